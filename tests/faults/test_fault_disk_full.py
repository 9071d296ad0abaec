"""A full disk (ENOSPC) or an exhausted quota (EDQUOT) at any write or fsync of the journal,
a checkpoint or a repair: a typed error, nothing written, no traceback from the command,
and the next append works once there is room again (BL-9)."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from ceremony_site import DRAW_TIMES, ENTROPY, EXAMPLE

from drawcore.cli.common import Exit
from drawcore.cli.main import main
from drawcore.errors import JournalError
from drawcore.record.checkpoints import Checkpoint, read_checkpoints, write_checkpoint
from drawcore.record.journal import Journal
from drawcore.record.journal_check import verify

ERRORS = [errno.ENOSPC, errno.EDQUOT]


class Faults:
    """``os.write`` that fails after ``budget`` bytes (writing what fits first, as a
    full disk does), and ``os.fsync`` that fails on call number ``fsync_fails``."""

    def __init__(self, code: int, budget: int | None = None, fsync_fails: int | None = None):
        self.code, self.budget, self.fsync_fails = code, budget, fsync_fails
        self.fsyncs = 0
        self.real_write: Callable[[int, bytes], int] = os.write
        self.real_fsync: Callable[[int], None] = os.fsync

    def write(self, fd: int, data: bytes) -> int:
        if self.budget is None:
            return self.real_write(fd, data)
        if self.budget <= 0:
            raise OSError(self.code, os.strerror(self.code))
        n = self.real_write(fd, bytes(data[: self.budget]))
        self.budget -= n
        return n

    def fsync(self, fd: int) -> None:
        self.fsyncs += 1
        if self.fsyncs == self.fsync_fails:
            raise OSError(self.code, os.strerror(self.code))
        self.real_fsync(fd)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(os, "write", self.write)
        monkeypatch.setattr(os, "fsync", self.fsync)


def _journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "j.jsonl")
    for i in range(3):
        j.append("note", {"i": i})
    return j


@pytest.mark.parametrize("code", ERRORS, ids=["ENOSPC", "EDQUOT"])
@pytest.mark.parametrize("budget", [0, 1, 40, 150])
def test_bl9_disk_full_during_an_append_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, budget: int
) -> None:
    j = _journal(tmp_path)
    before = j.path.read_bytes()
    Faults(code, budget=budget).install(monkeypatch)
    with pytest.raises(JournalError, match=rf"append failed and was undone.*errno {code}"):
        j.append_many([("note", {"k": "x" * 100}), ("note", {"k": "y"})])
    monkeypatch.undo()
    assert j.path.read_bytes() == before
    assert j.append("note", {"room": True}).seq == 3
    assert verify(j.path).ok


@pytest.mark.parametrize("code", ERRORS, ids=["ENOSPC", "EDQUOT"])
@pytest.mark.parametrize("which", [1, 2])
def test_bl9_failed_fsync_of_either_phase_undoes_the_append(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, which: int
) -> None:
    j = _journal(tmp_path)
    before = j.path.read_bytes()
    Faults(code, fsync_fails=which).install(monkeypatch)
    with pytest.raises(JournalError, match="undone"):
        j.append("note", {"k": 1})
    monkeypatch.undo()
    assert j.path.read_bytes() == before
    assert verify(j.path).ok


def test_bl9_disk_full_on_a_new_journal_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Faults(errno.ENOSPC, budget=10).install(monkeypatch)
    j = Journal(tmp_path / "new.jsonl")
    with pytest.raises(JournalError):
        j.append("note", {})
    monkeypatch.undo()
    assert not j.path.exists()


def test_bl9_when_even_the_undo_fails_the_batch_stays_marked_unwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    j = _journal(tmp_path)
    before = j.path.read_bytes()
    Faults(errno.EIO, fsync_fails=1).install(monkeypatch)

    def no_truncate(fd: int, size: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "ftruncate", no_truncate)
    with pytest.raises(JournalError, match=r"could not be undone.*drawcore repair"):
        j.append("note", {"k": 1})
    monkeypatch.undo()
    report = verify(j.path)
    assert report.records == 3
    assert [p.kind for p in report.problems] == ["torn"]
    Journal(j.path).repair_torn_tail(reason="EIO", repaired_by="test", at=ENTROPY)
    assert j.path.read_bytes().startswith(before)
    assert verify(j.path).ok


@pytest.mark.parametrize("code", ERRORS, ids=["ENOSPC", "EDQUOT"])
def test_bl9_disk_full_writing_a_checkpoint_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    j = _journal(tmp_path)
    cps = tmp_path / "cp.jsonl"
    write_checkpoint(cps, j.checkpoint())
    before = cps.read_bytes()
    Faults(code, budget=20).install(monkeypatch)
    with pytest.raises(JournalError, match="write failed and was undone"):
        write_checkpoint(cps, Checkpoint(3, "ab" * 32))
    monkeypatch.undo()
    assert cps.read_bytes() == before
    assert len(read_checkpoints(cps)) == 1


def test_bl9_disk_full_during_a_repair_is_a_journal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    j = _journal(tmp_path)
    torn = j.path.read_bytes() + b'{"body":'
    j.path.write_bytes(torn)
    Faults(errno.ENOSPC, budget=3).install(monkeypatch)
    with pytest.raises(JournalError, match="repair failed"):
        Journal(j.path).repair_torn_tail(reason="x", repaired_by="y", at=ENTROPY)
    monkeypatch.undo()
    assert j.path.read_bytes() == torn  # the journal is cut only once the bytes are kept
    assert not list(tmp_path.glob("*.torn-*"))  # and no half-written copy is left


@pytest.mark.parametrize("code", ERRORS, ids=["ENOSPC", "EDQUOT"])
def test_bl9_drawcore_draw_on_a_full_disk_exits_2_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    code: int,
) -> None:
    for name in ("units", "inspectors"):
        shutil.copyfile(EXAMPLE / f"{name}.csv", tmp_path / f"{name}.csv")
    journal = tmp_path / "journal.jsonl"
    args = [
        "draw",
        str(journal),
        "--units",
        str(tmp_path / "units.csv"),
        "--inspectors",
        str(tmp_path / "inspectors.csv"),
        "--plan-id",
        "2026Q1-full",
        "--size",
        "40",
        *DRAW_TIMES,
        "--lang",
        "zh",
    ]
    Faults(code, budget=500).install(monkeypatch)
    status = main(args)
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert status == Exit.INVALID_INPUT
    assert err.count("\n") == 1
    assert err.startswith("drawcore: 错误 / error:")
    assert os.strerror(code) in err
    assert not journal.exists()
    assert main(args) == Exit.OK  # room again: the same command goes through
