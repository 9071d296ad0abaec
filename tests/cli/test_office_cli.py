"""An office with only its spreadsheet exports: validate, draw, verify and publish a quarter
from the command line (the steps of docs/guide-office.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from drawcore.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "county"


def export(source: Path, target: Path, title: str) -> Path:
    """The example registry as an office's xlsx export: title row, 序号 column, blank row."""
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet["A1"] = title
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]) + 1)
    sheet.append(["序号", *rows[0]])
    for i, row in enumerate(rows[1:], start=1):
        sheet.append([i, *row])
        if i == 5:
            sheet.append([])  # a blank row left in the middle
    book.save(target)
    return target


@pytest.mark.slow
def test_an_office_draws_and_publishes_a_quarter_from_its_xlsx_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = export(EXAMPLE / "units.csv", tmp_path / "单位名册.xlsx", "检查对象名录")
    staff = export(EXAMPLE / "inspectors.csv", tmp_path / "执法人员名册.xlsx", "执法人员名录")
    assert main(["validate", str(units)]) == 0
    assert "unit registry: 3200 records" in capsys.readouterr().out
    assert main(["validate", str(staff)]) == 0
    assert "inspector registry: 64 records" in capsys.readouterr().out

    journal = str(tmp_path / "抽查记录.jsonl")
    plan = ["--units", str(units), "--inspectors", str(staff), "--plan-id", "2026Q1-县局"]
    plan += ["--size", "20"]
    commit = ["--committed-at", "2026-01-05T09:00:00+08:00", "--committed-by", "张科长"]
    assert main(["draw", journal, *plan, *commit]) == 0
    reveal = ["--public-numbers", "3,11,17,22,28,31/9/742"]
    reveal += ["--entropy-at", "2026-01-06T21:30:00+08:00", "--drawn-by", "李四"]
    reveal += ["--signed-by", "王五", "--drawn-at", "2026-01-07T09:00:00+08:00"]
    reveal += ["--signed-at", "2026-01-07T09:15:00+08:00"]
    assert main(["draw", journal, *plan, *reveal]) == 0
    assert "20 of 3200 units" in capsys.readouterr().out

    assert main(["verify", journal]) == 0  # replays the draw from the xlsx files
    out = tmp_path / "公示"
    assert main(["publish", journal, "--out", str(out), "--quarter", "2026Q1"]) == 0
    with (out / "draws.csv").open(encoding="utf-8-sig") as fh:
        text = fh.read()
    assert "2026Q1-县局" in text
