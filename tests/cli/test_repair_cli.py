"""``drawcore repair``: what it removes is printed and kept aside, the repair is recorded,
and nothing but a torn tail is ever cut (BL-9 full trace)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drawcore.cli.common import Exit
from drawcore.cli.main import main
from drawcore.errors import JournalError
from drawcore.record.journal import PENDING, Journal
from drawcore.record.journal_check import verify

AT = "2026-01-08T09:00:00+08:00"


def _repair(path: Path, *extra: str) -> list[str]:
    return [
        "repair",
        str(path),
        "--reason",
        "断电 power cut",
        "--repaired-by",
        "李明",
        "--at",
        AT,
        *extra,
    ]


def _journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "journal.jsonl")
    for i in range(3):
        j.append("note", {"i": i})
    return j


def test_bl9_repair_cuts_a_torn_line_prints_it_and_keeps_it_aside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    j = _journal(tmp_path)
    good = j.path.read_bytes()
    torn = b'{"body":{"i":3},"hash":"\x1b[31m'
    j.path.write_bytes(good + torn)
    assert main(["verify", "--no-replay", str(j.path)]) == Exit.VERIFY_FAILED
    capsys.readouterr()
    assert main(_repair(j.path)) == Exit.OK
    out = capsys.readouterr().out
    assert f"from byte {len(good)}: {len(torn)} bytes" in out
    assert "\x1b" not in out  # shown escaped, never sent raw to the terminal
    assert "\\x1b[31m" in out
    side = tmp_path / f"journal.jsonl.torn-{len(good)}"
    assert side.read_bytes() == torn
    assert str(side) in out
    records = Journal(j.path).records()
    assert records[-1].type == "repair"
    assert records[-1].body["discarded_bytes"] == len(torn)
    assert records[-1].body["repaired_by"] == "李明"
    assert j.path.read_bytes().startswith(good)
    assert verify(j.path).ok
    assert Journal(j.path).append("note", {"after": True}).seq == 4


def test_bl9_repair_removes_a_whole_uncommitted_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    j = _journal(tmp_path)
    good = j.path.read_bytes()
    other = Journal(tmp_path / "other.jsonl")
    other.path.write_bytes(good)
    other.append_many([("note", {"k": 1}), ("note", {"k": 2})])
    batch = other.path.read_bytes()[len(good) :]
    j.path.write_bytes(good + PENDING + batch[1:])
    assert main(_repair(j.path)) == Exit.OK
    assert "record 3 onwards" in capsys.readouterr().out
    assert [r.type for r in Journal(j.path).records()] == ["note"] * 3 + ["repair"]


def test_bl9_repair_of_a_sound_journal_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    j = _journal(tmp_path)
    before = j.path.read_bytes()
    assert main(_repair(j.path)) == Exit.OK
    assert "nothing done" in capsys.readouterr().out
    assert j.path.read_bytes() == before


def test_bl9_repair_refuses_damage_before_the_tail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    j = _journal(tmp_path)
    lines = j.path.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"i":1', b'"i":7')
    j.path.write_bytes(b"\n".join(lines))
    before = j.path.read_bytes()
    assert main(_repair(j.path)) == Exit.INVALID_INPUT
    assert "record 1 is damaged" in capsys.readouterr().err
    assert j.path.read_bytes() == before
    assert not list(tmp_path.glob("*.torn-*"))


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["--at", "yesterday"], Exit.INVALID_INPUT),
        (["--at", "2026-01-08T09:00:00"], Exit.INVALID_INPUT),
    ],
)
def test_bl9_repair_needs_a_real_time(
    tmp_path: Path, args: list[str], status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    j = _journal(tmp_path)
    j.path.write_bytes(j.path.read_bytes() + b"{")
    assert main(_repair(j.path, *args)) == status
    assert "--at" in capsys.readouterr().err
    assert j.path.read_bytes().endswith(b"{")


def test_bl9_repair_without_who_is_a_usage_error(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["repair", str(j.path), "--reason", "x", "--at", AT])
    assert exit_.value.code == Exit.USAGE


def test_bl9_repair_of_a_missing_journal_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.jsonl"
    assert main(_repair(missing)) == Exit.INVALID_INPUT
    assert "no such journal file" in capsys.readouterr().err
    with pytest.raises(JournalError, match="no such journal file"):
        Journal(missing).repair_torn_tail(reason="x", repaired_by="y", at=AT)
    assert not missing.exists()
