"""Hostile journal and checkpoint files: FIFOs, devices, deep nesting, floods of empty lines,
files above the limits, names that reach one file twice (BL-9, TJ-8 full trace)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore.cli.main import main
from drawcore.errors import JournalError
from drawcore.record import limits
from drawcore.record.checkpoints import Checkpoint, read_checkpoints, write_checkpoint
from drawcore.record.journal import PENDING, Journal
from drawcore.record.journal_check import verify

NESTED = b"[" * 100_000


def _journal(tmp_path: Path, n: int = 3) -> Journal:
    j = Journal(tmp_path / "j.jsonl")
    for i in range(n):
        j.append("note", {"i": i})
    return j


def _with_timeout(fn: object, seconds: float = 10.0) -> BaseException | None:
    """Run ``fn`` in a thread; fail the test (not hang it) when it does not return."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            fn()  # type: ignore[operator]
            outcome.append(None)
        except BaseException as err:  # the error is what the test inspects
            outcome.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"{fn} did not return within {seconds} s (blocked on a FIFO?)"
    return outcome[0]


# -- FIFOs and devices ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "step",
    [
        lambda p: verify(p),
        lambda p: Journal(p).refresh(),
        lambda p: Journal(p).append("note", {}),
        lambda p: Journal(p).records(),
        lambda p: read_checkpoints(p),
        lambda p: write_checkpoint(p, Checkpoint(0, "00" * 32)),
    ],
    ids=["verify", "refresh", "append", "records", "read_checkpoints", "write_checkpoint"],
)
def test_bl9_a_fifo_is_refused_not_waited_on(tmp_path: Path, step: object) -> None:
    fifo = tmp_path / "journal.jsonl"
    os.mkfifo(fifo)
    err = _with_timeout(lambda: step(fifo))  # type: ignore[operator]
    assert isinstance(err, JournalError)
    assert "FIFO" in str(err)
    assert "not a regular file" in str(err)


@pytest.mark.parametrize("reader", [verify, read_checkpoints, lambda p: Journal(p).refresh()])
def test_bl9_dev_zero_is_refused_at_once(reader: object) -> None:
    err = _with_timeout(lambda: reader("/dev/zero"), 5)  # type: ignore[operator]
    assert isinstance(err, JournalError)
    assert "character device" in str(err)


def test_bl9_verify_command_on_a_fifo_exits_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "journal.jsonl"
    os.mkfifo(fifo)
    assert main(["verify", "--no-replay", str(fifo)]) == 2
    err = capsys.readouterr().err
    assert "FIFO" in err
    assert "Traceback" not in err


# -- size limits ---------------------------------------------------------------------------


def test_bl9_journal_above_the_limit_is_refused_and_the_limit_can_be_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    j = _journal(tmp_path)
    size = j.path.stat().st_size
    with pytest.raises(JournalError, match=r"more than the limit of 100\b.*DRAWCORE_MAX_JOURNAL"):
        verify(j.path, max_bytes=100)
    with pytest.raises(JournalError, match="more than the limit"):
        Journal(j.path, max_bytes=100).refresh()
    monkeypatch.setenv(limits.JOURNAL_ENV, str(size - 1))
    with pytest.raises(JournalError, match="more than the limit"):
        verify(j.path)
    monkeypatch.setenv(limits.JOURNAL_ENV, str(size))
    assert verify(j.path).ok
    monkeypatch.setenv(limits.JOURNAL_ENV, "lots")
    with pytest.raises(JournalError, match="not a whole number"):
        verify(j.path)


def test_bl9_checkpoint_file_above_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cp.jsonl"
    j = _journal(tmp_path)
    for _ in range(3):
        write_checkpoint(path, j.checkpoint())
    assert len(read_checkpoints(path)) == 3
    with pytest.raises(JournalError, match="more than the limit of 50"):
        read_checkpoints(path, max_bytes=50)


# -- deep nesting --------------------------------------------------------------------------


def test_bl9_deeply_nested_journal_line_is_a_damaged_record_not_a_recursion_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "base").mkdir()
    base = _journal(tmp_path / "base", 3).path.read_bytes()
    for line, why in (
        (NESTED, "does not start with '{'"),
        (b'{"a":' + NESTED, "nested too deeply"),
    ):
        path = tmp_path / f"{len(line)}.jsonl"
        path.write_bytes(base + line + b"\n")
        report = verify(path)
        assert not report.ok
        assert any(why in p.message for p in report.problems), report.format()
        assert report.bad_records == (3,)
    j = _journal(tmp_path)
    with j.path.open("ab") as f:
        f.write(NESTED + b"\n")
    Journal(j.path).refresh()  # an unreadable last line is a torn tail, reported
    with pytest.raises(JournalError, match="torn or unreadable"):
        Journal(j.path).append("note", {})


def test_bl9_deeply_nested_body_inside_a_record_is_refused(tmp_path: Path) -> None:
    j = _journal(tmp_path, 1)
    body = (
        b'{"body":'
        + NESTED
        + b"0"
        + b"]" * 100_000
        + b',"hash":"00","prev":"00","seq":1,"type":"x"}'
    )
    with j.path.open("ab") as f:
        f.write(body + b"\n")
    report = verify(j.path)
    assert not report.ok
    assert report.bad_records == (1,)


def test_bl9_deeply_nested_checkpoint_is_a_journal_error(tmp_path: Path) -> None:
    path = tmp_path / "cp.jsonl"
    path.write_bytes(NESTED + b"\n")
    with pytest.raises(JournalError, match="nested too deeply"):
        read_checkpoints(path)


def test_bl9_deeply_nested_body_is_refused_on_append(tmp_path: Path) -> None:
    body: object = 0
    for _ in range(100_000):
        body = [body]
    j = Journal(tmp_path / "j.jsonl")
    with pytest.raises(Exception) as raised:  # noqa: PT011 -- the type is the assertion below
        j.append("note", body)
    assert isinstance(raised.value, JournalError | ValueError)
    assert not isinstance(raised.value, RecursionError)
    assert not j.path.exists()


# -- floods --------------------------------------------------------------------------------


def test_bl9_five_million_empty_lines_give_a_bounded_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(b"\n" * 5_000_000)
    assert main(["verify", "--no-replay", str(path)]) == 1
    out, err = capsys.readouterr()
    assert len(out) + len(err) < 200_000
    # one problem a line, and the last line also counts as a torn tail
    assert "5000001 problem(s)" in out
    assert f"and {5_000_001 - limits.MAX_PROBLEMS} more problem(s)" in out


def test_bl9_problems_beyond_the_cap_are_counted_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(b"\n" * 20_000)
    report = verify(path)
    assert len(report.problems) == limits.MAX_PROBLEMS
    assert len(report.problems) + report.more_problems == 20_001
    assert not report.ok


def test_bl9_problem_cap_is_overridable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(b"x\n" * 100)
    assert len(verify(path, max_problems=7).problems) == 7
    monkeypatch.setenv(limits.PROBLEMS_ENV, "3")
    report = verify(path)
    assert (len(report.problems), report.more_problems) == (3, 98)  # + the torn last line
    assert not report.ok


# -- one file, two names -------------------------------------------------------------------


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_tj8_two_names_of_one_journal_share_one_chain(tmp_path: Path, link: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Journal(tmp_path / "a" / "j.jsonl")
    first.append("note", {"by": "a"})
    other = tmp_path / "b" / "j.jsonl"
    if link == "symlink":
        other.symlink_to(first.path)
    else:
        os.link(first.path, other)
    second = Journal(other)
    second.append("note", {"by": "b"})
    assert first.append("note", {"by": "a"}).seq == 2
    assert second.append("note", {"by": "b"}).seq == 3
    assert verify(first.path).ok
    assert [r.body["by"] for r in Journal(other).records()] == ["a", "b", "a", "b"]


def test_tj8_lock_is_held_on_the_file_reached_by_any_name(tmp_path: Path) -> None:
    """While one name's lock is held, an append through a hard link waits for it."""
    import fcntl

    j = _journal(tmp_path, 1)
    (tmp_path / "other").mkdir()
    os.link(j.path, tmp_path / "other" / "j.jsonl")
    fd = os.open(j.path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    done = threading.Event()
    thread = threading.Thread(
        target=lambda: (Journal(tmp_path / "other" / "j.jsonl").append("note", {}), done.set()),
        daemon=True,
    )
    thread.start()
    assert not done.wait(0.5), "the append through the other name did not wait for the lock"
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    assert done.wait(10)
    assert verify(j.path).records == 2


def test_tj8_a_journal_replaced_under_its_name_is_not_mixed(tmp_path: Path) -> None:
    j = _journal(tmp_path, 2)
    other = Journal(tmp_path / "other.jsonl")
    other.append("note", {"x": 1})
    os.replace(other.path, j.path)
    with pytest.raises(JournalError, match="another file"):
        j.append("note", {})


# -- an append that was never committed ----------------------------------------------------


def test_bl9_an_uncommitted_batch_is_a_torn_tail_and_repair_removes_all_of_it(
    tmp_path: Path,
) -> None:
    j = _journal(tmp_path, 2)
    before = j.path.read_bytes()
    probe = Journal(tmp_path / "probe.jsonl")
    probe.append_many([("note", {"i": 0}), ("note", {"i": 1})])
    batch = Journal(tmp_path / "batch.jsonl")
    for i in range(2):
        batch.append("note", {"i": i})
    batch.append_many([("note", {"k": 1}), ("note", {"k": 2})])
    complete = batch.path.read_bytes()[len(before) :]
    assert complete.count(b"\n") == 2
    j.path.write_bytes(before + PENDING + complete[1:])  # both lines whole, not committed
    report = verify(j.path)
    assert report.records == 2
    assert [p.kind for p in report.problems] == ["torn"]
    assert "never committed" in report.problems[0].message
    with pytest.raises(JournalError, match="drawcore repair"):
        Journal(j.path).append("note", {})
    repair = Journal(j.path).repair_torn_tail(
        reason="crash", repaired_by="李明", at="2026-01-07T10:00:00+08:00"
    )
    assert repair.seq == 2
    assert repair.body["discarded_bytes"] == len(complete)
    assert j.path.read_bytes().startswith(before)
    assert (tmp_path / repair.body["saved_to"]).read_bytes() == PENDING + complete[1:]
    assert verify(j.path).ok


def test_bl9_every_committed_line_starts_with_a_brace(tmp_path: Path) -> None:
    j = _journal(tmp_path, 4)
    j.append_many([("note", {"k": 1}), ("note", {"k": 2})])
    assert all(line.startswith(b"{") for line in j.path.read_bytes().splitlines())


@given(
    bodies=st.lists(st.dictionaries(st.text(max_size=5), st.integers()), min_size=1, max_size=4),
    cut=st.floats(0, 1),
    committed=st.booleans(),
)
def test_bl9_any_prefix_of_a_batch_write_reads_as_old_or_new(
    tmp_path_factory: pytest.TempPathFactory,
    bodies: list[dict[str, int]],
    cut: float,
    committed: bool,
) -> None:
    """Whatever a crash leaves of the two writes of a batch -- any prefix of the pending
    bytes, or the committed batch -- a reader sees the old records or all the new ones."""
    d = tmp_path_factory.mktemp("prefix")
    j = _journal(d, 2)
    old = j.path.read_bytes()
    j.append_many([("note", b) for b in bodies])
    batch = j.path.read_bytes()[len(old) :]
    if committed:
        state, expected = old + batch, 2 + len(bodies)
    else:
        pending = PENDING + batch[1:]
        state, expected = old + pending[: round(cut * len(pending))], 2
    j.path.write_bytes(state)
    report = verify(j.path)
    assert report.records == expected
    assert report.ok == (state in (old, old + batch))
    assert {p.kind for p in report.problems} <= {"torn"}
