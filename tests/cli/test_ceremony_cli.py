"""``drawcore demo``, ``draw``, ``verify`` (with replay) and ``publish`` from the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from personal_data import scan

from drawcore.cli import main
from drawcore.publish.scan import find_personal_data
from drawcore.record.journal import Journal

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "county"


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out)]) == 0
    return out


def test_tj8_demo_journal_verifies_with_replay(
    demo_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, cps = demo_out / "journal.jsonl", demo_out / "checkpoints.jsonl"
    assert main(["verify", str(journal), "--checkpoint", str(cps)]) == 0
    assert ": OK" in capsys.readouterr().out
    types = [r.type for r in Journal(journal).records()]
    assert types[:3] == ["plan_commitment", "seed", "draw"]
    assert "result" in types


def test_tj8_verify_fails_on_a_tampered_copy_of_the_demo_journal(
    demo_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (demo_out / "journal.jsonl").read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"probability":0.', b'"probability":1.', 1)
    copy = tmp_path / "journal.jsonl"
    copy.write_bytes(b"\n".join(lines))
    args = ["verify", str(copy), "--checkpoint", str(demo_out / "checkpoints.jsonl")]
    assert main([*args, "--registry-dir", str(demo_out)]) == 1
    captured = capsys.readouterr()
    assert "record 2" in captured.out
    assert captured.err.startswith("drawcore: verify failed")


def test_tj8_verify_fails_when_a_draw_no_longer_replays(
    demo_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A registry snapshot changed after the draw: the chain holds, the replay does not."""
    import shutil

    shutil.copytree(demo_out / "registries", tmp_path / "registries")
    units = tmp_path / "registries" / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace(",low,", ",major,", 1), "utf-8")
    journal = demo_out / "journal.jsonl"
    assert main(["verify", str(journal), "--registry-dir", str(tmp_path)]) == 1
    assert "record 2: replay" in capsys.readouterr().out
    assert main(["verify", str(journal), "--registry-dir", str(tmp_path), "--no-replay"]) == 0


def test_bl8_demo_publication_has_no_unmasked_personal_data(demo_out: Path) -> None:
    files = sorted((demo_out / "public" / "2026Q1").iterdir())
    assert {f.name for f in files} >= {"draws.csv", "results.json", "index.html", "items.csv"}
    for f in files:
        assert scan(f.read_text(encoding="utf-8")) == [], f.name


def test_demo_prints_units_with_probabilities_and_teams(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--out", str(tmp_path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "units drawn (unit id, inclusion probability)" in out
    assert "... and 105 more units" in out
    assert "replacements" in out
    assert "== verify a copy with one edited draw record: FAILED" in out
    assert "every hash recomputed): FAILED" in out
    assert "record 2: replay: replay differs at units[119].unit_id" in out
    assert "441322********" in out  # persons drawn, shown as published (BL-8)
    assert find_personal_data(out) == []
    assert main(["demo", "--out", str(tmp_path)]) == 2  # refuses to overwrite a journal


def _draw_args(journal: Path) -> list[str]:
    """A draw on snapshots of the example registries beside the journal (where they must be)."""
    for name in ("units", "inspectors", "items"):
        if not (journal.parent / f"{name}.csv").exists():
            shutil.copyfile(EXAMPLE / f"{name}.csv", journal.parent / f"{name}.csv")
    return [
        "draw",
        str(journal),
        "--units",
        str(journal.parent / "units.csv"),
        "--inspectors",
        str(journal.parent / "inspectors.csv"),
        "--items",
        str(journal.parent / "items.csv"),
        "--plan-id",
        "2026Q2",
        "--size",
        "50",
        "--recusal",
        "township",
        "--committed-at",
        "2026-04-01T09:00:00+08:00",
        "--committed-by",
        "王建国",
    ]


ACCOUNTABLE = [
    "--drawn-by",
    "李明",
    "--signed-by",
    "王建国",
    "--drawn-at",
    "2026-04-03T09:00:00+08:00",
    "--signed-at",
    "2026-04-03T09:10:00+08:00",
]


def test_bl9_cli_draw_commit_then_seed_and_draw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "journal.jsonl"
    assert main(_draw_args(journal)) == 0
    out = capsys.readouterr().out
    assert "committed" in out
    assert "no seed yet" in out
    seeded = [
        *_draw_args(journal),
        "--public-numbers",
        "3,11,17,22,28,31/9/742",
        "--entropy-at",
        "2026-04-02T21:30:00+08:00",
        *ACCOUNTABLE,
    ]
    assert main(seeded) == 0
    out = capsys.readouterr().out
    assert "record 2: draw of plan 2026Q2: 50 of 3200 units" in out
    assert "inclusion probability" in out
    before = journal.read_bytes()
    assert main(seeded) == 2
    assert "second result" in capsys.readouterr().err
    assert journal.read_bytes() == before
    assert main(["verify", str(journal)]) == 0
    assert (
        main(["publish", str(journal), "--out", str(tmp_path / "pub"), "--quarter", "2026Q2"]) == 0
    )
    # a header and 50 rows; no comment line
    assert (tmp_path / "pub" / "draws.csv").read_text(encoding="utf-8").count("\n") == 51


def test_bl9_cli_draw_refuses_public_numbers_dated_before_the_commitment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "journal.jsonl"
    args = [
        *_draw_args(journal),
        "--public-numbers",
        "1,2,3",
        "--entropy-at",
        "2026-03-30T21:30:00+08:00",
        *ACCOUNTABLE,
    ]
    assert main(args) == 2
    assert "not after the plan's commitment" in capsys.readouterr().err
    assert not journal.exists() or journal.read_bytes() == b""


def test_cli_draw_bad_public_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        *_draw_args(tmp_path / "j.jsonl"),
        "--public-numbers",
        "3,x/9",
        "--entropy-at",
        "2026-04-02T21:30:00+08:00",
        *ACCOUNTABLE,
    ]
    assert main(args) == 2
    assert "--public-numbers" in capsys.readouterr().err


def test_tj8_cli_draw_on_dask_replays_with_numpy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("dask")
    journal = tmp_path / "journal.jsonl"
    args = [
        *_draw_args(journal),
        "--public-numbers",
        "3,11,17,22,28,31/9/742",
        "--entropy-at",
        "2026-04-02T21:30:00+08:00",
        *ACCOUNTABLE,
    ]
    assert main([*args, "--engine", "dask"]) == 0
    dask_out = capsys.readouterr().out
    assert main(["verify", str(journal)]) == 0  # replayed with sample_units
    assert main([*args[:1], str(tmp_path / "numpy.jsonl"), *args[2:]]) == 0
    numpy_out = capsys.readouterr().out
    assert dask_out.split("units drawn")[1] == numpy_out.split("units drawn")[1]
