"""Annual-plan records written by earlier versions still verify.

``tests/data/plan_year2_boluo`` holds a journal written by ``drawcore demo
--jurisdiction boluo`` with annual-plan method ``drawcore.plan.plan_year/2`` (each
task's team and reasons written out in full), its checkpoint and registry snapshots.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from drawcore.cli import main
from drawcore.record.annual import AnnualPlanRecord

OLD = Path(__file__).resolve().parents[1] / "data" / "plan_year2_boluo"


@pytest.fixture(scope="module")
def old_journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan_year2")
    shutil.copytree(OLD / "registries", out / "registries")
    shutil.copy(OLD / "checkpoints.jsonl", out / "checkpoints.jsonl")
    (out / "journal.jsonl").write_bytes(gzip.decompress((OLD / "journal.jsonl.gz").read_bytes()))
    return out / "journal.jsonl"


def _annual_body(journal: Path) -> dict[str, object]:
    for line in journal.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["type"] == "annual_plan":
            body: dict[str, object] = record["body"]
            return body
    raise AssertionError("no annual_plan record")


def test_bl9_a_plan_year_2_journal_still_verifies(
    old_journal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = old_journal.parent / "checkpoints.jsonl"
    assert main(["verify", str(old_journal), "--checkpoint", str(checkpoint), "--lang", "en"]) == 0
    assert "3 records" in capsys.readouterr().out


def test_tj8_a_plan_year_2_journal_is_replayed_not_only_hashed(
    old_journal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(old_journal.parent / "registries", tmp_path / "registries")
    items = tmp_path / "registries" / "items.csv"
    items.write_text(items.read_text(encoding="utf-8").replace("安全", "安全 ", 1), "utf-8")
    args = ["verify", str(old_journal), "--registry-dir", str(tmp_path), "--lang", "en"]
    assert main(args) == 1
    assert "record 2: replay" in capsys.readouterr().out


def test_tj9_a_plan_year_2_body_reads_as_a_record_and_writes_back_the_same(
    old_journal: Path,
) -> None:
    body = _annual_body(old_journal)
    record = AnnualPlanRecord.from_body(body)
    assert record.plan.method == "drawcore.plan.plan_year/2"
    assert record.signing.drawn_by == body["drawn_by"]
    assert len(record.result.tasks) == 2440
    assert record.body() == body
