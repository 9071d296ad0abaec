"""``drawcore redo``: a visible redo of an annual plan or a draw, replayed by verify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ceremony_site import DRAW_TIMES, copied_county
from ceremony_site import run_cli as run

from drawcore.record.annual import AnnualPlanRecord
from drawcore.record.journal import Journal


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return copied_county(tmp_path)


def redo_args(journal: Path, plan_id: str, *extra: str) -> list[str]:
    return [
        "redo",
        str(journal),
        "--plan-id",
        plan_id,
        "--reason",
        "公示期内发现名录库快照登记错误",
        "--voided-by",
        "王建国",
        "--voided-at",
        "2026-01-08T09:00:00+08:00",
        "--public-numbers",
        "5,8,13/21",
        "--entropy-at",
        "2026-01-09T21:30:00+08:00",
        "--drawn-by",
        "李明",
        "--signed-by",
        "王建国",
        "--drawn-at",
        "2026-01-10T09:00:00+08:00",
        "--signed-at",
        "2026-01-10T09:15:00+08:00",
        *extra,
    ]


def plan_year(site: Path) -> Path:
    journal = site / "journal.jsonl"
    status, _, err = run(
        "plan",
        str(journal),
        "--county",
        str(site / "county"),
        "--plan-id",
        "2026-boluo",
        "--year",
        "2026",
        "--jurisdiction",
        "boluo",
        "--registry-date",
        "2025-12-05",
        *DRAW_TIMES,
    )
    assert status == 0, err
    return journal


def test_bl9_redo_of_an_annual_plan_is_journaled_with_reason_and_signers(site: Path) -> None:
    journal = plan_year(site)
    status, printed, err = run(*redo_args(journal, "2026-boluo", "--lang", "zh"))
    assert status == 0, err
    records = Journal(journal).records()
    assert [r.type for r in records[3:]] == ["void", "void", "seed", "annual_plan"]
    assert records[3].body["voids"] == 2
    assert records[4].body["voids"] == 1
    new = records[-1].body
    assert new["redo_of"] == 2
    assert new["redo_reason"] == "公示期内发现名录库快照登记错误"
    assert (new["drawn_by"], new["signed_by"]) == ("李明", "王建国")
    assert new["seed_record"] == 5
    old, redone = (AnnualPlanRecord.from_body(r.body).result for r in (records[2], records[-1]))
    assert redone != old
    assert "重做" in printed  # Chinese first
    status, printed, _ = run("verify", str(journal))
    assert status == 0, printed


def test_bl9_redo_of_a_draw_with_json(site: Path) -> None:
    journal = site / "journal.jsonl"
    status, _, err = run(
        "draw",
        str(journal),
        "--units",
        str(site / "county" / "units.csv"),
        "--inspectors",
        str(site / "county" / "inspectors.csv"),
        "--plan-id",
        "2026Q1",
        "--size",
        "8",
        *DRAW_TIMES,
    )
    assert status == 0, err
    status, printed, err = run(*redo_args(journal, "2026Q1", "--json"))
    assert status == 0, err
    doc = json.loads(printed)
    assert doc["redo_of"] == 2
    assert [r["type"] for r in doc["records"]] == ["void", "void", "seed", "draw"]
    assert doc["result"]["record"] == 6
    assert Journal(journal).records()[6].body["redo_reason"] == doc["reason"]
    status, printed, _ = run("verify", str(journal))
    assert status == 0, printed


def test_redo_of_a_plan_not_in_the_journal_writes_nothing(site: Path) -> None:
    journal = plan_year(site)
    size = len(Journal(journal).records())
    status, _, err = run(*redo_args(journal, "2027-boluo"))
    assert status == 2
    assert "2027-boluo" in err
    assert "Traceback" not in err
    assert len(Journal(journal).records()) == size


def test_redo_with_a_blank_reason_is_refused(site: Path) -> None:
    journal = plan_year(site)
    argv = redo_args(journal, "2026-boluo")
    argv[argv.index("--reason") + 1] = "  "
    status, _, err = run(*argv)
    assert status == 2
    assert "reason" in err
    assert len(Journal(journal).records()) == 3
