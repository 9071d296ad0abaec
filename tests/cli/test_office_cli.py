"""An office with only its spreadsheet exports: validate, draw, verify and publish a quarter
from the command line (the steps of docs/guide-office.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from drawcore.cli.main import main
from drawcore.record.journal import Journal
from tests.test_i18n import RESULT_HEADER, english_phrases

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


@pytest.mark.slow
def test_an_office_runs_a_quarter_from_xlsx_exports_in_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole quarter from spreadsheet exports, in Chinese (the default language):
    validate, draw, enter results from the office's xlsx, verify, checkpoint, publish.
    Every line shown is Chinese but the office's own data."""
    zh = ["--lang", "zh"]
    units = export(EXAMPLE / "units.csv", tmp_path / "单位名册.xlsx", "检查对象名录")
    staff = export(EXAMPLE / "inspectors.csv", tmp_path / "执法人员名册.xlsx", "执法人员名录")
    journal = str(tmp_path / "抽查记录.jsonl")
    plan = ["--units", str(units), "--inspectors", str(staff), "--plan-id", "2026Q1-县局"]
    plan += ["--size", "6"]
    commit = ["--committed-at", "2026-01-05T09:00:00+08:00", "--committed-by", "张科长"]
    reveal = ["--public-numbers", "3,11,17,22,28,31/9/742"]
    reveal += ["--entropy-at", "2026-01-06T21:30:00+08:00", "--drawn-by", "李四"]
    reveal += ["--signed-by", "王五", "--drawn-at", "2026-01-07T09:00:00+08:00"]
    reveal += ["--signed-at", "2026-01-07T09:15:00+08:00"]
    for argv in (["validate", str(units)], ["validate", str(staff)]):
        assert main([*argv, *zh]) == 0
    assert main(["draw", journal, *plan, *commit, *zh]) == 0
    assert main(["draw", journal, *plan, *reveal, *zh]) == 0
    draw = next(r for r in Journal(journal).records() if r.type == "draw")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["检查结果录入表"])  # the office's title row
    sheet.append(["序号", *RESULT_HEADER])
    for n, a in enumerate(draw.body["teams"]["assignments"][:2], start=1):
        sheet.append(
            [n, a["unit_id"], "责令限期整改", "", "《安全生产法》", "生产经营场所",
             "主体责任落实", "现场检查", "限期整改", "；".join(a["members"]), "2026/2/10"]
        )  # fmt: skip
    results = tmp_path / "检查结果.xlsx"
    book.save(results)
    capsys.readouterr()
    entry = ["--from", str(results), "--plan-id", "2026Q1-县局"]
    assert main(["result", journal, *entry, "--entered-at", "2026-02-11T09:00:00+08:00", *zh]) == 0
    assert main(["verify", journal, *zh]) == 0
    assert main(["checkpoint", journal, "--at", "2026-03-31T17:00:00+08:00", *zh]) == 0
    out = tmp_path / "公示"
    assert main(["publish", journal, "--out", str(out), "--quarter", "2026Q1", *zh]) == 0
    shown = capsys.readouterr()
    text = (shown.out + shown.err).replace(str(tmp_path), "<tmp>")
    assert english_phrases(text) == [], text
    results_rows = [r for r in Journal(journal).records() if r.type == "result"]
    assert len(results_rows) == 2
    checkpoints = (tmp_path / "checkpoints.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(checkpoints) == 1
    assert (out / "checkpoint.json").is_file()
    with (out / "results.csv").open(encoding="utf-8-sig") as fh:
        published = fh.read()
    assert "责令限期整改" in published
