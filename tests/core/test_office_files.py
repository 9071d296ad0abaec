"""What offices export: spreadsheets, title rows, index columns, blank rows, Chinese dates,
kind told by the header (BL-3, BL-4, TJ-2, TJ-3).

The spreadsheets are written here with openpyxl, laid out as a county office's export
is: a merged title row, a 序号 column, Chinese headers, date cells, a blank row.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.datetime import from_excel

from drawcore import InvalidInputError
from drawcore.cli.main import main
from drawcore.model import RiskLevel
from drawcore.registry.cells import iso_date
from drawcore.registry.ids import make_uscc
from drawcore.registry.readers import detect_kind, read_inspectors, read_items, read_units

USCC = ["91310110666007217T", "91350500676532779B", "91350100M000100Y43"]
HEADER = ["序号", "统一社会信用代码", "单位名称", "主体类型", "行业类别", "所属乡镇", "风险等级"]
HEADER += ["最近检查日期"]


def office_book(path: Path, rows: list[list[object]], *, title: bool = True) -> Path:
    """A workbook as an office exports it: title (merged B1:I1), blank row, header in row 3
    from column B (column A is an empty margin), then the records."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    if title:
        sheet["B1"] = "博罗县2026年度安全生产检查对象名录"
        sheet.merge_cells("B1:I1")
    first = 3 if title else 1
    for r, row in enumerate([HEADER, *rows]):
        for c, value in enumerate(row):
            if value is not None:
                sheet.cell(row=first + r, column=2 + c, value=value)
    book.save(path)
    return path


def record(n: int, uscc: str, last: object) -> list[object]:
    return [n, uscc, f"博罗县单位{n}", "有限责任公司", "机械", "石湾镇", "较大风险", last]


def test_bl3_reads_an_office_xlsx_below_its_title(tmp_path: Path) -> None:
    path = office_book(
        tmp_path / "单位名册.xlsx",
        [
            record(1, USCC[0], dt.date(2026, 1, 5)),  # a date cell
            [None] * 8,  # a blank row between records
            record(2, USCC[1], dt.datetime(2025, 11, 30, 9, 30)),  # a date-and-time cell
            record(3, USCC[2], "2025年3月8日"),  # a date typed as text
        ],
    )
    units = read_units(path)
    assert len(units) == 3
    assert units[USCC[0]].last_inspected == dt.date(2026, 1, 5)
    assert units[USCC[1]].last_inspected == dt.date(2025, 11, 30)
    assert units[USCC[2]].last_inspected == dt.date(2025, 3, 8)
    assert units[USCC[2]].name == "博罗县单位3"
    assert units[USCC[0]].risk_level is RiskLevel.HIGH
    assert "序号" not in units.columns  # the index column is dropped, not a field


def test_bl3_a_problem_names_the_sheet_cell_and_the_files_own_header(tmp_path: Path) -> None:
    path = office_book(tmp_path / "单位名册.xlsx", [record(1, USCC[0], "2025/13/5")])
    with pytest.raises(InvalidInputError) as err:
        read_units(path)
    # header in row 3 from column B: the record is row 4; 最近检查日期 is the 8th column, I
    assert err.value.problems == (
        f"{path}!Sheet1!I4, column '最近检查日期' (field 'last_inspected'): "
        "not a calendar date: '2025/13/5'",
    )


def test_bl3_cell_address_counts_blank_rows_and_title_rows(tmp_path: Path) -> None:
    """The example of the issue: 单位名册.xlsx!Sheet1!D17 — a bad id in column D, row 17."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet["A1"] = "检查对象名录"
    sheet.merge_cells("A1:F1")
    sheet.append(["填报单位：博罗县应急管理局"])
    sheet.append(["序号", "单位名称", "主体类型", "统一社会信用代码", "行业类别", "所属乡镇"])
    good = (make_uscc(f"91310110{n:09d}") for n in range(20))
    for n in [*range(4, 10), *range(12, 18)]:  # rows 10 and 11 are left blank
        uscc = "91310110666007217A" if n == 17 else next(good)
        for c, value in enumerate([n - 3, f"单位{n}", "有限责任公司", uscc, "机械", "石湾镇"]):
            sheet.cell(row=n, column=1 + c, value=value)
    path = tmp_path / "单位名册.xlsx"
    book.save(path)
    with pytest.raises(InvalidInputError) as err:
        read_units(path)
    (problem,) = err.value.problems
    assert problem.startswith(
        f"{path}!Sheet1!D17, column '统一社会信用代码' (field 'unit_id'): wrong USCC check"
    )


def test_bl3_numbers_in_cells_read_as_their_digits(tmp_path: Path) -> None:
    """A spreadsheet keeps numbers as floats: 4 is 4.0, a year 2019 is 2019.0."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["统一社会信用代码", "单位名称", "主体类型", "行业类别", "所属乡镇"])
    sheet["F1"] = "风险权重"
    sheet["G1"] = "死亡事故年份"
    sheet.append([USCC[0], "甲", "有限责任公司", "机械", "石湾镇", 4, 2019])
    sheet.append([USCC[1], "乙", "有限责任公司", "机械", "石湾镇", 2.5, None])
    path = tmp_path / "u.xlsx"
    book.save(path)
    units = read_units(path)
    assert units[USCC[0]].risk_weight == 4.0
    assert units[USCC[0]].fatal_accident_year == 2019
    assert units[USCC[1]].risk_weight == 2.5
    assert units[USCC[1]].fatal_accident_year is None


def test_bl3_reads_an_ods_export(tmp_path: Path) -> None:
    """LibreOffice / WPS save .ods; written here with odfpy, title row and all."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="名录")
    rows: list[list[object]] = [["检查对象名录"], HEADER, record(1, USCC[0], "2026年1月5日")]
    rows.append(record(2, USCC[1], "2025/13/1"))
    for row in rows:
        tr = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    path = tmp_path / "名录.ods"
    doc.save(str(path))
    with pytest.raises(InvalidInputError) as err:
        read_units(path)
    assert err.value.problems == (
        f"{path}!名录!H4, column '最近检查日期' (field 'last_inspected'): "
        "not a calendar date: '2025/13/1'",
    )


def test_a_named_sheet_is_read_and_an_unknown_one_refused(tmp_path: Path) -> None:
    path = office_book(tmp_path / "u.xlsx", [record(1, USCC[0], None)])
    book = openpyxl.load_workbook(path)
    book.create_sheet("说明", 0)["A1"] = "本表由系统导出"
    book.save(path)
    assert len(read_units(path, sheet="Sheet1")) == 1
    with pytest.raises(InvalidInputError, match=r"no sheet named '名录' \(sheets: 说明, Sheet1\)"):
        read_units(path, sheet="名录")


def test_a_spreadsheet_that_is_not_one_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "u.xlsx"
    path.write_text("unit_id,name\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not a readable spreadsheet"):
        read_units(path)


# -- CSV exports ------------------------------------------------------------------------------


def test_bl3_csv_title_row_index_column_and_rows_of_bare_commas(tmp_path: Path) -> None:
    text = (
        "博罗县检查对象名录,,,,,,\n"
        "序号,统一社会信用代码,名称,主体类型,行业类别,所属乡镇,最近检查日期\n"
        f"1,{USCC[0]},甲,有限责任公司,机械,石湾镇,2026.1.5\n"
        ",,,,,,\n"
        f"2,{USCC[1]},乙,有限责任公司,机械,石湾镇,\n"
        ",,,,,,\n"
        ",,,,,,\n"
    )
    path = tmp_path / "名录.csv"
    path.write_text(text, encoding="utf-8")
    units = read_units(path)
    assert list(units.ids) == USCC[:2]
    assert units[USCC[0]].last_inspected == dt.date(2026, 1, 5)


def test_bl3_csv_blank_rows_do_not_shift_the_line_named(tmp_path: Path) -> None:
    text = (
        "unit_id,name,subject_type,industry,township,risk_weight\n"
        f"{USCC[0]},甲,有限责任公司,机械,石湾镇,1\n"
        ",,,,,\n"
        f"{USCC[1]},乙,有限责任公司,机械,石湾镇,heavy\n"
    )
    path = tmp_path / "u.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        read_units(path)
    assert err.value.problems == (
        f"{path}: row 2 (line 4), field 'risk_weight': not a number: 'heavy'",
    )


def test_bl2_bianhao_is_the_item_lists_id_not_an_index(tmp_path: Path) -> None:
    path = tmp_path / "事项.csv"
    path.write_text(
        "序号,编号,检查主体,检查事项,检查内容,检查依据\n"
        "1,SX-01,应急管理局,安全生产许可,查许可证,《安全生产法》\n",
        encoding="utf-8",
    )
    items = read_items(path)
    assert list(items.ids) == ["SX-01"]


def test_a_value_under_no_header_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(
        f"unit_id,name,subject_type,industry,township,\n{USCC[0]},甲,公司,机械,石湾镇,备注\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInputError, match="column 6 has values, no header"):
        read_units(path)


# -- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-01-05", "2026-01-05"),
        ("2026/1/5", "2026-01-05"),
        ("2026年1月5日", "2026-01-05"),
        ("2026.1.5", "2026-01-05"),
        ("2026/01/05 08:30", "2026-01-05"),
        # Microsoft's DATEVALUE documentation: January 1, 2008 is serial number 39448
        ("39448", "2008-01-01"),
        ("2026/1-5", None),
        ("5/1/2026", None),
        ("2026年1月5", None),
        ("20260105", None),
    ],
)
def test_bl3_date_spellings(cell: str, expected: str | None) -> None:
    assert iso_date(cell) == expected


@given(st.dates(dt.date(1927, 5, 18), dt.date(2173, 10, 14)))
def test_bl3_every_spelling_of_a_date_reads_as_that_date(day: dt.date) -> None:
    y, m, d = day.year, day.month, day.day
    for cell in (f"{y}/{m}/{d}", f"{y}年{m}月{d}日", f"{y}.{m}.{d}", f"{y}-{m:02d}-{d:02d}"):
        assert iso_date(cell) == day.isoformat(), cell


@given(st.integers(10_000, 99_999))
def test_bl3_excel_serials_agree_with_openpyxl(serial: int) -> None:
    assert iso_date(str(serial)) == from_excel(serial).date().isoformat()


# -- which registry ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_the_kind_is_told_by_the_header_in_any_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "导出数据.csv"  # the name says nothing
    path.write_bytes(
        "花名册\n执法证号,姓名,工作单位,业务专长\nA001,张三,应急管理局,危险化学品\n".encode(
            encoding
        )
    )
    assert detect_kind(path) == "inspectors"
    assert len(read_inspectors(path)) == 1


def test_the_kind_is_told_by_the_header_below_a_spreadsheet_title(tmp_path: Path) -> None:
    path = office_book(tmp_path / "export.xlsx", [record(1, USCC[0], None)])
    assert detect_kind(path) == "units"


def test_the_kind_of_a_long_gb18030_file_is_told_from_its_head(tmp_path: Path) -> None:
    rows = "".join(f"A{i:05d},张三{i},应急管理局,危险化学品\n" for i in range(5000))
    path = tmp_path / "data.csv"
    path.write_bytes(("执法证号,姓名,工作单位,业务专长\n" + rows).encode("gb18030"))
    assert path.stat().st_size > 1 << 16
    assert detect_kind(path) == "inspectors"


def test_validate_reads_an_xlsx_export_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = office_book(tmp_path / "单位名册.xlsx", [record(1, USCC[0], "2026/1/5")])
    assert main(["validate", str(path)]) == 0
    assert "unit registry: 1 records" in capsys.readouterr().out


class CountingWorkbooks:
    """python-calamine's workbook class, counting the workbooks parsed."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.parsed = 0

    def from_filelike(self, source: object) -> object:
        self.parsed += 1
        return self.real.from_filelike(source)  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", [[], ["--kind", "units"]])
def test_validate_parses_a_spreadsheet_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: list[str]
) -> None:
    """Telling the kind from the header and reading the records share one load."""
    import python_calamine

    from drawcore.registry import sheets

    workbooks = CountingWorkbooks(python_calamine.CalamineWorkbook)
    fake = type("calamine", (), {"CalamineWorkbook": workbooks})
    monkeypatch.setattr(sheets, "calamine", fake)
    path = office_book(tmp_path / "export.xlsx", [record(1, USCC[0], "2026/1/5")])
    assert main(["validate", str(path), *kind]) == 0
    assert workbooks.parsed == 1
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["单位名称", "风险等级"])  # no id column: the header cannot tell
    sheet.append(["博罗县单位1", "低风险"])
    book.save(tmp_path / "units-2026.xlsx")
    assert main(["validate", str(tmp_path / "units-2026.xlsx"), *kind]) == 2
    assert workbooks.parsed == 2  # read as its name (or --kind) says, from the same load


def test_validate_reports_a_missing_file_as_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path / "单位名册.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err
    assert "cannot tell" not in err
    assert "Traceback" not in err
