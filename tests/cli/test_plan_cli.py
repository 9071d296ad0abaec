"""``drawcore plan``: the annual-plan ceremony for the example county, step by step."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest
from ceremony_site import COMMITTED, DRAW_TIMES

from drawcore.cli import main
from drawcore.record.journal import Journal

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "county"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "county")
    return tmp_path


def year_args(site: Path, jurisdiction: str, *extra: str) -> list[str]:
    return [
        "plan",
        str(site / "journal.jsonl"),
        "--county",
        str(site / "county"),
        "--plan-id",
        f"2026-{jurisdiction}",
        "--year",
        "2026",
        "--jurisdiction",
        jurisdiction,
        "--registry-date",
        "2025-12-05",
        *extra,
    ]


@pytest.mark.parametrize("jurisdiction", ["boluo", "tianjin"])
def test_tj5_bl6_plan_runs_a_year_step_by_step_and_verify_replays_it(
    site: Path, jurisdiction: str
) -> None:
    status, printed, _ = run(
        *year_args(site, jurisdiction, "--committed-at", COMMITTED, "--committed-by", "王建国")
    )
    assert status == 0
    assert "record 0: annual plan" in printed
    assert "no seed yet" in printed
    status, printed, _ = run(*year_args(site, jurisdiction, *DRAW_TIMES[4:]))
    assert status == 0, printed
    assert "record 1: seed" in printed
    assert "record 2: annual plan" in printed
    assert "yearly pi=" in printed
    assert "NAT-7 [drawcore]" in printed
    kinds = [r.type for r in Journal(site / "journal.jsonl").records()]
    assert kinds == ["plan_commitment", "seed", "annual_plan"]
    status, printed, _ = run("verify", str(site / "journal.jsonl"))
    assert status == 0, printed
    assert "OK" in printed


def test_bl5_impossible_plan_is_refused_before_anything_is_journaled(site: Path) -> None:
    """A capacity of 1 task a round cannot hold the county's once-a-year units."""
    status, _, err = run(
        *year_args(
            site,
            "boluo",
            "--capacity",
            "1",
            "--committed-at",
            COMMITTED,
            "--committed-by",
            "王建国",
        )
    )
    assert status == 2
    assert "drawcore: error:" in err
    assert "short by" in err
    assert "Traceback" not in err
    assert not (site / "journal.jsonl").exists() or not list(
        Journal(site / "journal.jsonl").records()
    )


def test_plan_needs_the_commitment_options_first(site: Path) -> None:
    status, _, err = run(*year_args(site, "tianjin"))
    assert status == 2
    assert "--committed-at" in err
