"""``drawcore verify JOURNAL [--checkpoint FILE]``: exit 0 only if everything holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from drawcore.cli import main
from drawcore.record.checkpoints import write_checkpoint
from drawcore.record.journal import Journal


def _journal(tmp_path: Path) -> tuple[Path, Path]:
    j = Journal(tmp_path / "j.jsonl")
    j.append_many([("note", {"i": i}) for i in range(5)])
    cps = tmp_path / "cps.jsonl"
    write_checkpoint(cps, j.checkpoint(at="2026-10-01T00:00:00Z"))
    return j.path, cps


def test_tj8_cli_verify_passes_on_intact_journal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, cps = _journal(tmp_path)
    assert main(["verify", str(path), "--checkpoint", str(cps)]) == 0
    assert "5 records" in capsys.readouterr().out


def test_tj8_cli_verify_fails_on_tampered_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, cps = _journal(tmp_path)
    path.write_bytes(path.read_bytes().replace(b'"i":3', b'"i":4'))
    assert main(["verify", str(path), "--checkpoint", str(cps)]) == 1
    captured = capsys.readouterr()
    assert "record 3" in captured.out
    assert captured.err.startswith("drawcore: verify failed")
    assert len(captured.err.strip().splitlines()) == 1


def test_tj8_cli_verify_catches_truncation_against_checkpoint(tmp_path: Path) -> None:
    path, cps = _journal(tmp_path)
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:3]) + b"\n")
    assert main(["verify", str(path)]) == 0
    assert main(["verify", str(path), "--checkpoint", str(cps)]) == 1
