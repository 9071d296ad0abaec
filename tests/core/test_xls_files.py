"""Real BIFF ``.xls`` files, as older office systems still export them (BL-3, BL-4).

Written here with xlwt (Excel 97-2003 format, the ``test`` extra) and read through the
same spreadsheet reader as ``.xlsx``: a merged title row above the header, a 序号
column, dates as date cells, as Chinese text and as bare Excel serials, numbers as
numbers, and problems naming ``file!sheet!cell``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlwt

from drawcore import InvalidInputError
from drawcore.cli.main import main
from drawcore.registry.ids import make_uscc
from drawcore.registry.readers import ReadLimits, detect_kind, read_inspectors, read_units

USCC = [make_uscc(f"91441322MA4W{n:05d}") for n in range(4)]
HEADER = ["序号", "统一社会信用代码", "单位名称", "主体类型", "行业类别", "所属乡镇"]
HEADER += ["风险权重", "死亡事故年份", "最近检查日期"]
_DATE = xlwt.easyxf(num_format_str="yyyy-mm-dd")


def office_xls(path: Path, rows: list[list[object]], *, sheet: str = "单位名册") -> Path:
    """An .xls as an office exports it: a title merged over B1:J1, a blank row, the header
    in row 3 from column B (column A an empty margin), then the records; a date value is
    written as a date cell."""
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    ws.write_merge(0, 0, 1, len(HEADER), "博罗县2026年度安全生产检查对象名录")
    for r, row in enumerate([HEADER, *rows]):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write(2 + r, 1 + c, value, _DATE)
            elif value is not None:
                ws.write(2 + r, 1 + c, value)
    book.save(str(path))
    return path


def record(n: int, last: object, *, weight: object = 2, year: object = None) -> list[object]:
    return [n, USCC[n - 1], f"博罗县单位{n}", "有限责任公司", "机械", "石湾镇", weight, year, last]


def test_bl3_reads_a_real_xls_below_its_title(tmp_path: Path) -> None:
    path = office_xls(
        tmp_path / "单位名册.xls",
        [
            record(1, dt.date(2026, 1, 5), year=2019),  # a date cell, a year as a number
            [None] * len(HEADER),  # a blank row between records
            record(2, "2025年3月8日", weight=2.5),  # a Chinese date typed as text
            record(3, 46027),  # a date whose format was lost: its serial day number
            record(4, "2024/11/30"),
        ],
    )
    assert path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2, not a zip
    units = read_units(path)
    assert len(units) == 4
    assert units[USCC[0]].last_inspected == dt.date(2026, 1, 5)
    assert units[USCC[0]].fatal_accident_year == 2019
    assert units[USCC[1]].last_inspected == dt.date(2025, 3, 8)
    assert units[USCC[1]].risk_weight == 2.5
    assert units[USCC[2]].last_inspected == dt.date(2026, 1, 5)  # serial 46027
    assert units[USCC[3]].last_inspected == dt.date(2024, 11, 30)
    assert units[USCC[0]].name == "博罗县单位1"
    assert "序号" not in units.columns
    assert detect_kind(path) == "units"


def test_bl3_xls_problems_name_file_sheet_and_cell(tmp_path: Path) -> None:
    """Header in row 3 from column B; the second record is row 5; 最近检查日期 is column J,
    统一社会信用代码 column C."""
    bad_id = USCC[1][:-1] + ("A" if USCC[1][-1] != "A" else "B")
    rows = [record(1, "2025/13/5"), record(2, "2025-01-02")]
    rows[1][1] = bad_id
    path = office_xls(tmp_path / "单位名册.xls", rows)
    with pytest.raises(InvalidInputError) as err:
        read_units(path)
    first, second = err.value.problems
    assert first == (
        f"{path}!单位名册!J4, column '最近检查日期' (field 'last_inspected'): "
        "not a calendar date: '2025/13/5'"
    )
    assert second.startswith(
        f"{path}!单位名册!C5, column '统一社会信用代码' (field 'unit_id'): wrong USCC check"
    )


def test_bl4_reads_an_inspector_xls_by_sheet_name(tmp_path: Path) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    book.add_sheet("说明").write(0, 0, "本表由博罗县应急管理局导出")
    ws = book.add_sheet("执法人员")
    for c, h in enumerate(["执法证号", "姓名", "性别", "职务", "工作单位", "业务专长"]):
        ws.write(0, c, h)
    ws.write(1, 0, 44130001)  # a certificate number stored as a number keeps its digits
    for c, v in enumerate(["张三", "男", "科员", "博罗县应急管理局", "危险化学品、消防"], 1):
        ws.write(1, c, v)
    path = tmp_path / "执法人员.xls"
    book.save(str(path))
    inspectors = read_inspectors(path, sheet="执法人员")
    (inspector,) = inspectors
    assert inspector.inspector_id == "44130001"
    assert inspector.expertise == ("危险化学品", "消防")
    with pytest.raises(InvalidInputError, match="no sheet named '名册'"):
        read_inspectors(path, sheet="名册")


def test_an_xls_is_bounded_by_its_size(tmp_path: Path) -> None:
    path = office_xls(tmp_path / "u.xls", [record(1, "2025-01-02")])
    size = path.stat().st_size
    assert len(read_units(path, limits=ReadLimits(max_xls_bytes=size))) == 1
    with pytest.raises(InvalidInputError, match=r"ReadLimits\.max_xls_bytes"):
        read_units(path, limits=ReadLimits(max_xls_bytes=size - 1))


def test_validate_reads_an_xls_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = office_xls(tmp_path / "单位名册.xls", [record(1, "2026年1月5日")])
    assert main(["validate", str(path)]) == 0
    assert "unit registry: 1 records" in capsys.readouterr().out
