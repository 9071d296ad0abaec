"""Annual-plan records written by earlier versions still verify.

``tests/data/plan_year2_boluo`` holds a journal written by ``drawcore demo
--jurisdiction boluo`` with annual-plan method ``drawcore.plan.plan_year/2`` (each
task's team and reasons written out in full), its checkpoint and registry snapshots;
``tests/data/plan_year3_boluo`` the same demo's journal and checkpoint with method
``drawcore.plan.plan_year/3`` (the compact layout, its commitment fingerprinting the
registries' records), on the same registry snapshots.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from drawcore.cli import main
from drawcore.record.annual import AnnualPlanRecord

DATA = Path(__file__).resolve().parents[1] / "data"
REGISTRIES = DATA / "plan_year2_boluo" / "registries"
METHODS = {
    "plan_year2_boluo": "drawcore.plan.plan_year/2",
    "plan_year3_boluo": "drawcore.plan.plan_year/3",
}


@pytest.fixture(scope="module", params=sorted(METHODS))
def old(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """A fixture's method and its journal, copied beside its checkpoint and registries."""
    name: str = request.param
    out = tmp_path_factory.mktemp(name)
    shutil.copytree(REGISTRIES, out / "registries")
    shutil.copy(DATA / name / "checkpoints.jsonl", out / "checkpoints.jsonl")
    journal = gzip.decompress((DATA / name / "journal.jsonl.gz").read_bytes())
    (out / "journal.jsonl").write_bytes(journal)
    return METHODS[name], out / "journal.jsonl"


def _annual_body(journal: Path) -> dict[str, object]:
    for line in journal.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["type"] == "annual_plan":
            body: dict[str, object] = record["body"]
            return body
    raise AssertionError("no annual_plan record")


def test_bl9_an_earlier_annual_plan_journal_still_verifies(
    old: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, old_journal = old
    checkpoint = old_journal.parent / "checkpoints.jsonl"
    assert main(["verify", str(old_journal), "--checkpoint", str(checkpoint), "--lang", "en"]) == 0
    assert "3 records" in capsys.readouterr().out


def test_tj8_an_earlier_annual_plan_journal_is_replayed_not_only_hashed(
    old: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, old_journal = old
    shutil.copytree(old_journal.parent / "registries", tmp_path / "registries")
    items = tmp_path / "registries" / "items.csv"
    items.write_text(items.read_text(encoding="utf-8").replace("安全", "安全 ", 1), "utf-8")
    args = ["verify", str(old_journal), "--registry-dir", str(tmp_path), "--lang", "en"]
    assert main(args) == 1
    assert "record 2: replay" in capsys.readouterr().out


def test_tj9_an_earlier_annual_plan_body_reads_as_a_record_and_writes_back_the_same(
    old: tuple[str, Path],
) -> None:
    method, old_journal = old
    body = _annual_body(old_journal)
    record = AnnualPlanRecord.from_body(body)
    assert record.plan.method == method
    assert record.signing.drawn_by == body["drawn_by"]
    assert len(record.result.tasks) == 2440
    assert record.body() == body
