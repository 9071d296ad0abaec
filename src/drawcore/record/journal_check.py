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

from drawcore.i18n import N_, msg, render, translation
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

    def format(self, lang: str = "en") -> str:
        """``where: kind: message`` in ``lang`` (``"zh_CN"`` for Chinese)."""
        t = translation(lang).gettext
        if self.record is None:
            where = t(N_("journal"))
        else:
            where = t(N_("record {seq}")).format(seq=self.record)
        kind = t(_KINDS[self.kind]) if self.kind in _KINDS else self.kind
        return t(N_("{where}: {kind}: {message}")).format(
            where=where, kind=kind, message=render(self.message, lang)
        )


#: The kinds of problem :func:`verify` reports, marked for the catalog.
_KINDS = {
    "record": N_("record"),
    "torn": N_("torn"),
    "rule": N_("rule"),
    "replay": N_("replay"),
    "checkpoint": N_("checkpoint"),
}


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

    def format(self, lang: str = "en") -> str:
        """The report as text in ``lang`` (``"zh_CN"`` for Chinese): a head line, then
        each problem and note."""
        t = translation(lang).gettext
        total = len(self.problems) + self.more_problems
        verdict = t(N_("OK")) if self.ok else t(N_("{count} problem(s)")).format(count=total)
        head = t(N_("{path}: {records} records, root {root}: {verdict}")).format(
            path=self.path, records=self.records, root=self.root, verdict=verdict
        )
        if self.more_problems:
            more = [t(N_("... and {count} more problem(s)")).format(count=self.more_problems)]
        else:
            more = []
        problems = (p.format(lang) for p in self.problems)
        notes = (render(n, lang) for n in self.notes)
        return "\n".join([head, *problems, *more, *notes])


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
                torn = msg("the last line is unreadable (torn write?)")
                problems.append(Problem(i, "torn", torn))
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
            msg("an append that was never committed (its first byte is still the pending mark)")
            if rest.startswith(PENDING)
            else msg("the last line has no newline")
        )
        torn = msg(
            "{what} ({size} bytes): a torn write; `drawcore repair` "
            "keeps the bytes aside, cuts them off and records the repair",
            what=what,
            size=len(rest),
        )
        problems.append(Problem(len(lines), "torn", torn))
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
        raised = msg("replay raised {error}: {err}", error=type(err).__name__, err=err)
        return [Problem(record.seq, "replay", raised)]
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
    label = msg("checkpoint (size {size}, root {root}...)", size=cp.size, root=cp.root[:16])
    out: list[Problem] = []
    if cp.signature is not None:
        if verifier is None:
            notes.append(
                msg(
                    "note: {label} is signed by {who}; no verifier given",
                    label=label,
                    who=cp.signed_by,
                )
            )
        elif not _signature_ok(verifier, cp):
            bad = msg("{label}: signature by {who} is invalid", label=label, who=cp.signed_by)
            out.append(Problem(None, "checkpoint", bad))
    elif verifier is not None:
        unsigned = msg("{label} is unsigned but signatures are required", label=label)
        out.append(Problem(None, "checkpoint", unsigned))
    if cp.size > len(leaves):
        short = msg(
            "{label}: the journal has only {count} records; records "
            "{count}..{last} are missing (truncated)",
            label=label,
            count=len(leaves),
            last=cp.size - 1,
        )
        out.append(Problem(len(leaves), "checkpoint", short))
    elif merkle.root(leaves[: cp.size]).hex() != cp.root:
        rewritten = msg(
            "{label}: the journal's first {size} records do not match it "
            "(records were rewritten after the checkpoint)",
            label=label,
            size=cp.size,
        )
        out.append(Problem(None, "checkpoint", rewritten))
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
