"""Results files as offices save them (drawcore result): read like the registries."""

from __future__ import annotations

from pathlib import Path

import pytest

from drawcore.cli.result import read_result_rows
from drawcore.errors import InvalidInputError

HEADER = (
    "序号,统一社会信用代码,检查结果,检查依据,检查范围,检查内容,检查方式,处理意见,检查人员,检查日期"
)
ROW = "{n},91441322MA4UH1XX0L,未发现问题,《安全生产法》,场所,内容,现场检查,无,A；B,2026年2月10日"


def test_a_gb18030_csv_with_a_title_row_and_a_blank_row_is_read_by_its_own_rows(
    tmp_path: Path,
) -> None:
    """Title above the header, an index column, a blank row: each row is named by its
    line in the file (the blank row still counts), and GB18030 text is decoded."""
    lines = ["检查结果录入表,,,,,,,,,", HEADER, ROW.format(n=1), ",,,,,,,,,", ROW.format(n=2)]
    path = tmp_path / "结果.csv"
    path.write_bytes("\r\n".join(lines).encode("gb18030"))
    rows = read_result_rows(path)
    assert [r["_row"] for r in rows] == ["3", "5"]
    assert rows[0]["outcome"] == "未发现问题"
    assert rows[1]["inspected_on"] == "2026年2月10日"
    assert "序号" not in rows[0]


def test_a_problem_names_the_row_of_the_file(tmp_path: Path) -> None:
    bad = ROW.format(n=2).replace("场所", "场\x07所")
    lines = ["检查结果录入表", HEADER, "", ROW.format(n=1), bad]
    path = tmp_path / "结果.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        read_result_rows(path)
    assert "row 5, column 检查范围" in str(caught.value)
