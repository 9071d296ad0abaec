"""SIGKILL at random points of a draw: the journal shows the old state or the new one,
never a mix, and no acknowledged record is lost (BL-9 full trace, TJ-8).

Two ways to kill: the writer kills itself after a random number of journal bytes
(every point of the batch's two writes, chosen by a seeded RNG), and the test kills
the writer after a random delay (wherever it happens to be). After each kill the
journal is checked as a reader sees it, then repaired when it has a torn tail.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from ceremony_site import COMMITTED, ENTROPY, NUMBERS, SIGNING
from fault_site import plan_for

from drawcore.record import ceremony
from drawcore.record.journal import Journal
from drawcore.record.journal_check import verify
from drawcore.registry.registries import County

TRIALS_BY_BYTES = 40
TRIALS_BY_TIME = 20


def _run_all(journal: Journal, county: County, plan_id: str) -> None:
    ceremony.run_ceremony(
        journal,
        plan_for(county, plan_id),
        committed_at=COMMITTED,
        committed_by="王建国",
        entropy_at=ENTROPY,
        rfc3797_sources=NUMBERS,
        signing=SIGNING,
    )


def _in_child(work: Callable[[], None]) -> tuple[int, bool]:
    """Fork; the child runs ``work`` and reports 'ACK' on a pipe once it returned (an
    acknowledged append). Returns the child's pid and whether it acknowledged."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        try:
            work()
            os.write(write_end, b"ACK")
            os._exit(0)
        except BaseException:
            os._exit(3)
    os.close(write_end)
    return pid, read_end  # type: ignore[return-value]


def _finish(pid: int, read_end: int) -> tuple[bool, int]:
    _, status = os.waitpid(pid, 0)
    acked = os.read(read_end, 3) == b"ACK"
    os.close(read_end)
    return acked, status


def _check_after_kill(path: Path, old: bytes, old_count: int, acked: bool) -> str:
    """Old state or new state, never a mix; an acknowledged batch is always there.

    Returns which state was found: "old", "new" or "torn" (old + a torn tail that
    repair removes, leaving exactly the old records and a repair record)."""
    data = path.read_bytes()
    assert data.startswith(old), "a record that was already there changed"
    report = verify(path)
    if report.ok:
        kinds = [r.type for r in Journal(path).records()]
        assert kinds[old_count:] in ([], ["plan_commitment", "seed", "draw"]), kinds
        state = "old" if len(kinds) == old_count else "new"
        assert not (acked and state == "old"), "an acknowledged draw was lost"
        return state
    assert not acked, f"acknowledged, yet the journal does not verify:\n{report.format()}"
    assert [p.kind for p in report.problems] == ["torn"], report.format()
    assert report.records == old_count, "a reader sees part of the batch"
    Journal(path).repair_torn_tail(reason="killed", repaired_by="test", at=ENTROPY)
    kinds = [r.type for r in Journal(path).records()]
    assert len(kinds) == old_count + 1
    assert kinds[-1] == "repair"
    assert path.read_bytes().startswith(old)
    return "torn"


def _seeded_journal(d: Path, county: County) -> tuple[Path, bytes, int]:
    path = d / "journal.jsonl"
    _run_all(Journal(path), county, "2026Q1-before")
    return path, path.read_bytes(), 3


def test_bl9_sigkill_at_every_kind_of_byte_position_of_a_batch(
    fault_site: tuple[Path, County], monkeypatch: pytest.MonkeyPatch
) -> None:
    d, county = fault_site
    path, old, old_count = _seeded_journal(d, county)
    # the batch's size: draw it once on a copy
    probe = d / "probe.jsonl"
    probe.write_bytes(old)
    _run_all(Journal(probe), county, "2026Q1-after")
    batch = len(probe.read_bytes()) - len(old)
    rng = random.Random(20260107)
    points = sorted(
        {
            0,
            1,
            batch - 1,
            batch,
            batch + 1,
            *(rng.randrange(batch + 2) for _ in range(TRIALS_BY_BYTES)),
        }
    )
    seen: dict[str, int] = {}
    for kill_at in points:
        path.write_bytes(old)

        def write_then_die(self: Journal, fd: int, data: bytes, _at: int = kill_at) -> None:
            written = getattr(self, "_fault_written", 0)
            room = _at - written
            if room < len(data):
                if room > 0:
                    os.write(fd, data[:room])
                os.kill(os.getpid(), signal.SIGKILL)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            self._fault_written = written + len(data)  # type: ignore[attr-defined]

        monkeypatch.setattr(Journal, "_write_all", write_then_die)
        pid, read_end = _in_child(lambda: _run_all(Journal(path), county, "2026Q1-after"))
        acked, status = _finish(pid, read_end)
        monkeypatch.undo()
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        assert killed != acked, f"kill point {kill_at} of {batch + 1}: killed={killed}, ack={acked}"
        state = _check_after_kill(path, old, old_count, acked)
        seen[state] = seen.get(state, 0) + 1
        if kill_at <= batch:  # the commit byte was not written: nothing of the batch counts
            assert state in ("old", "torn"), f"kill at byte {kill_at} of {batch}: {state}"
    assert seen.get("torn", 0) > 0
    assert seen.get("new", 0) > 0  # the kill point past the end lets the draw finish


def test_bl9_sigkill_after_a_random_delay(fault_site: tuple[Path, County]) -> None:
    d, county = fault_site
    path, old, old_count = _seeded_journal(d, county)
    t0 = time.perf_counter()
    probe = d / "probe.jsonl"
    probe.write_bytes(old)
    _run_all(Journal(probe), county, "2026Q1-after")
    duration = time.perf_counter() - t0
    rng = random.Random(3797)
    seen: dict[str, int] = {}
    for _ in range(TRIALS_BY_TIME):
        path.write_bytes(old)
        pid, read_end = _in_child(lambda: _run_all(Journal(path), county, "2026Q1-after"))
        time.sleep(rng.uniform(0, 1.5 * duration))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        acked, _ = _finish(pid, read_end)
        state = _check_after_kill(path, old, old_count, acked)
        seen[state] = seen.get(state, 0) + 1
    assert sum(seen.values()) == TRIALS_BY_TIME
