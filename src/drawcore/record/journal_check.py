"""Checking a whole journal: every record's hash, the chain, the ceremony rules, the Merkle
root against checkpoints, and a replay of what each record claims.

The journal is read as :mod:`drawcore.record.limits` says (regular file, at most
``DRAWCORE_MAX_JOURNAL_BYTES``). Problems are counted without bound but only the first
``DRAWCORE_MAX_PROBLEMS`` (default 1,000) are kept, so five million broken lines give a
short report, not gigabytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import attrs

from drawcore.record import merkle
from drawcore.record.ceremony_rules import Ceremony
from drawcore.record.checkpoints import Checkpoint, Verifier, read_checkpoints
from drawcore.record.limits import (
    JOURNAL_ENV,
    MAX_JOURNAL_BYTES,
    MAX_PROBLEMS,
    PROBLEMS_ENV,
    limit,
    read_regular,
)
from drawcore.record.lines import GENESIS, PENDING, Record, _lines, _parse

__all__ = ["Problem", "Replayer", "VerifyReport", "verify", "verify_file"]

Replayer = Callable[[Record], str | None]
"""``replay(record) -> problem or None``: re-run what the record claims and compare."""


@attrs.frozen
class Problem:
    """One thing wrong, at a record number (``None`` for the journal as a whole)."""

    record: int | None
    kind: str
    message: str

    def format(self) -> str:
        where = "journal" if self.record is None else f"record {self.record}"
        return f"{where}: {self.kind}: {self.message}"


@attrs.frozen
class VerifyReport:
    """What :func:`verify` found: ``ok`` only when there are no problems."""

    path: str
    records: int
    root: str
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    more_problems: int = 0
    """Problems found beyond the first ``DRAWCORE_MAX_PROBLEMS`` (counted, not kept)."""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.more_problems

    @property
    def bad_records(self) -> tuple[int, ...]:
        """Record numbers named by problems, sorted."""
        return tuple(sorted({p.record for p in self.problems if p.record is not None}))

    def format(self) -> str:
        total = len(self.problems) + self.more_problems
        head = f"{self.path}: {self.records} records, root {self.root}: " + (
            "OK" if self.ok else f"{total} problem(s)"
        )
        more = (
            [f"... 另有 {self.more_problems} 个问题 / and {self.more_problems} more problem(s)"]
            if self.more_problems
            else []
        )
        return "\n".join([head, *(p.format() for p in self.problems), *more, *self.notes])


def verify(
    journal_path: str | os.PathLike[str],
    *,
    checkpoints: Iterable[Checkpoint] = (),
    verifier: Verifier | None = None,
    replay: Replayer | Mapping[str, Replayer] | None = None,
    max_bytes: int | None = None,
    max_problems: int | None = None,
) -> VerifyReport:
    """Check every record's hash, the chain, the ceremony rules, the Merkle root
    against each checkpoint (and its signature when a ``verifier`` is given), and
    replay records with ``replay`` (one callable for all records, or one per type).

    ``max_bytes`` and ``max_problems`` override the limits of :mod:`drawcore.record.limits`.
    """
    path = Path(journal_path)
    data = read_regular(path, "journal", limit(JOURNAL_ENV, MAX_JOURNAL_BYTES, max_bytes))
    lines, rest = _lines(data)
    problems = _Problems(limit(PROBLEMS_ENV, MAX_PROBLEMS, max_problems))
    notes: list[str] = []
    leaves = [merkle.leaf_hash(line) for line in lines]
    ceremony = Ceremony()
    prev = GENESIS
    for i, line in enumerate(lines):
        record, found = _parse(line, i, prev)
        if found:
            problems.found(i, "record", found)
        if record is None:
            if i == len(lines) - 1 and not rest:
                problems.append(Problem(i, "torn", "the last line is unreadable (torn write?)"))
            continue
        prev = record.hash
        refusal = ceremony.check(i, record.type, record.body)
        if refusal is not None:
            problems.append(Problem(i, "rule", refusal))
        else:
            ceremony.apply(i, record.type, record.body)
        problems.extend(_replay(replay, record))
    if rest:
        what = (
            "an append that was never committed (its first byte is still the pending mark)"
            if rest.startswith(PENDING)
            else "the last line has no newline"
        )
        problems.append(
            Problem(
                len(lines),
                "torn",
                f"{what} ({len(rest)} bytes): a torn write (日志末尾不完整); `drawcore repair` "
                "keeps the bytes aside, cuts them off and records the repair",
            )
        )
    for cp in checkpoints:
        problems.extend(_check_checkpoint(cp, leaves, verifier, notes))
    return VerifyReport(
        os.fspath(path),
        len(lines),
        merkle.root(leaves).hex(),
        tuple(problems.kept),
        tuple(notes),
        problems.more,
    )


class _Problems:
    """Problems in the order found: the first ``cap`` kept, the rest only counted."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept: list[Problem] = []
        self.more = 0

    def append(self, problem: Problem) -> None:
        if len(self.kept) < self.cap:
            self.kept.append(problem)
        else:
            self.more += 1

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    def found(self, record: int, kind: str, messages: list[str]) -> None:
        """Problems of one record, built only while there is room to keep them."""
        room = self.cap - len(self.kept)
        self.kept.extend(Problem(record, kind, m) for m in messages[:room])
        self.more += max(0, len(messages) - max(room, 0))


def _replay(replay: Replayer | Mapping[str, Replayer] | None, record: Record) -> list[Problem]:
    if replay is None:
        return []
    fn = replay.get(record.type) if isinstance(replay, Mapping) else replay
    if fn is None:
        return []
    try:
        problem = fn(record)
    except Exception as err:  # a replayer's failure is a finding about this record
        return [Problem(record.seq, "replay", f"replay raised {type(err).__name__}: {err}")]
    return [] if problem is None else [Problem(record.seq, "replay", problem)]


def _signature_ok(verifier: Verifier, cp: Checkpoint) -> bool:
    try:
        signature = bytes.fromhex(cp.signature or "")
    except ValueError:
        return False
    return verifier(cp.signed_by or "", cp.message(), signature)


def _check_checkpoint(
    cp: Checkpoint, leaves: list[bytes], verifier: Verifier | None, notes: list[str]
) -> list[Problem]:
    label = f"checkpoint (size {cp.size}, root {cp.root[:16]}...)"
    out: list[Problem] = []
    if cp.signature is not None:
        if verifier is None:
            notes.append(f"note: {label} is signed by {cp.signed_by}; no verifier given")
        elif not _signature_ok(verifier, cp):
            out.append(
                Problem(None, "checkpoint", f"{label}: signature by {cp.signed_by} is invalid")
            )
    elif verifier is not None:
        out.append(Problem(None, "checkpoint", f"{label} is unsigned but signatures are required"))
    if cp.size > len(leaves):
        out.append(
            Problem(
                len(leaves),
                "checkpoint",
                f"{label}: the journal has only {len(leaves)} records; records "
                f"{len(leaves)}..{cp.size - 1} are missing (truncated)",
            )
        )
    elif merkle.root(leaves[: cp.size]).hex() != cp.root:
        out.append(
            Problem(
                None,
                "checkpoint",
                f"{label}: the journal's first {cp.size} records do not match it "
                "(records were rewritten after the checkpoint)",
            )
        )
    return out


def verify_file(
    path: str | os.PathLike[str],
    checkpoint_path: str | os.PathLike[str] | None = None,
    replay: Replayer | Mapping[str, Replayer] | None = None,
    verifier: Verifier | None = None,
) -> VerifyReport:
    """:func:`verify` with checkpoints read from ``checkpoint_path`` (for ``drawcore verify``)."""
    cps = read_checkpoints(checkpoint_path) if checkpoint_path is not None else []
    return verify(path, checkpoints=cps, verifier=verifier, replay=replay)
