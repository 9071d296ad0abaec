"""What the command line shows a person: safe text, errors in their language, progress.

- :func:`printable`: registry text may hold control characters or bidirectional
  overrides (ESC, BEL, U+202E); on a terminal they would recolour, ring or
  reverse what follows. They are shown as ``\\u202e``-style escapes instead.
- :func:`translate_error`: errors are raised in English inside the library; at
  the edge they are shown in the user's language: a frame per error class
  (输入有误, 抽查日志错误, ...) and, for the common messages of the ceremony,
  the journal and verification, the whole message, with the English original
  beside it so a vendor's support can search for it.
- :func:`progress`: a progress bar on stderr (tqdm) only when stderr is a terminal;
  :func:`rows_progress` the same for a reader's ``progress`` callback.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from drawcore.errors import (
    DrawcoreError,
    InfeasibleError,
    InvalidInputError,
    JournalError,
    PluginError,
    RuleError,
    StorageError,
)
from drawcore.i18n import N_, Text, _, current, render

__all__ = ["draw_json", "printable", "progress", "raised_text", "rows_progress", "translate_error"]

T = TypeVar("T")

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


def printable(text: str) -> str:
    """``text`` with control and bidirectional-override characters shown as escapes."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


_FRAMES: tuple[tuple[type[DrawcoreError], str], ...] = (
    (StorageError, N_("could not write")),
    (JournalError, N_("journal problem")),
    (InvalidInputError, N_("invalid input")),
    (InfeasibleError, N_("cannot be done")),
    (RuleError, N_("rule broken")),
    (PluginError, N_("plugin problem")),
)

#: Common English messages (a regular expression with named parts) and their translation.
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S), message)
    for pattern, message in (
        (r"^(?P<path>.+): no such journal file$", N_("{path}: no such journal file")),
        (r"^this step needs (?P<options>.+)$", N_("this step needs {options}")),
        (
            r"^plan '(?P<plan>[^']+)' is not committed yet.*$",
            N_("plan {plan} is not committed yet: give --committed-at and --committed-by"),
        ),
        (
            r"^plan '(?P<plan>[^']+)' has no seed yet.*$",
            N_(
                "plan {plan} has no seed yet: give the public numbers (--public-numbers) "
                "and/or the parties' secrets, and --entropy-at"
            ),
        ),
        (
            r"^\S+ '(?P<plan>[^']+)' refused: the plan has no commitment$",
            N_("plan {plan} refused: it has no commitment"),
        ),
        (
            r"^\S+ '(?P<plan>[^']+)' refused: no live seed$",
            N_("plan {plan} refused: it has no live seed"),
        ),
        (
            r"^second result for plan '(?P<plan>[^']+)' refused: record (?P<seq>\d+) .*$",
            N_("plan {plan} already has its result in record {seq}; a redo needs a reason"),
        ),
        (
            r"^plan '(?P<plan>[^']+)' was committed with hash .*a new plan id\)$",
            N_("plan {plan} was committed differently; a changed plan needs a new plan id"),
        ),
        (
            r"^(?P<path>.+): record (?P<seq>\d+) is damaged: (?P<why>.+)$",
            N_("{path}: record {seq} is damaged: {why}"),
        ),
        (
            r"^(?P<path>.+): record (?P<seq>\d+) \(from byte (?P<offset>\d+)\) is torn.*$",
            N_("{path}: record {seq} (from byte {offset}) is torn; appending is refused"),
        ),
        (
            r"^(?P<path>.+): journal shrank from .*$",
            N_("{path}: the journal was truncated; refusing to continue"),
        ),
        (
            r"^append of (?P<kind>\S+) as record (?P<seq>\d+) refused: (?P<why>.+)$",
            N_("record {seq} ({kind}) refused: {why}"),
        ),
        (r"^cannot read journal (?P<path>.+?): (?P<why>.+)$", N_("cannot read journal {path}")),
        (
            r"^cannot read checkpoint file (?P<path>.+?): (?P<why>.+)$",
            N_("cannot read checkpoint file {path}"),
        ),
        (
            r"^(?P<path>.+) does not verify; not publishing.*$",
            N_("{path} does not verify; nothing published"),
        ),
    )
)


def raised_text(exc: BaseException) -> str:
    """The error's message as raised: its :class:`~drawcore.i18n.Text` when it was built
    with :func:`~drawcore.i18n.msg` (so a message quoting it is rendered in the reader's
    language), else its text."""
    raised = exc.args[0] if exc.args else None
    return raised if isinstance(raised, Text) and raised == str(exc) else str(exc)


def translate_error(exc: DrawcoreError) -> str:
    """The error's message for the user: in English as raised, or in Chinese with the
    class's frame and, where known, the message translated (English beside it)."""
    text = str(exc)
    if current() == "en":
        return text
    frame = next((_(label) for cls, label in _FRAMES if isinstance(exc, cls)), "")
    raised = exc.args[0] if exc.args else None
    if isinstance(raised, Text) and raised == text:
        shown = render(raised)
        if shown != text:
            return f"{frame}：{shown}（{text}）" if frame else f"{shown}（{text}）"
    for pattern, message in _MESSAGES:
        m = pattern.match(text)
        if m:
            shown = _(message).format(**m.groupdict())
            return f"{frame}：{shown}（{text}）" if frame else f"{shown}（{text}）"
    return f"{frame}：{text}" if frame else text


def progress(items: Iterable[T], *, total: int | None = None, what: str = "") -> Iterator[T]:
    """``items``, with a progress bar on stderr when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=what, file=sys.stderr, leave=False)


@contextlib.contextmanager
def rows_progress(what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A reader's ``progress`` callback drawing a bar of rows read on stderr, or ``None``
    when stderr is not a terminal (nothing is written to a pipe or a log file)."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bars: list[tqdm[Any]] = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc=what, unit=_("rows"), file=sys.stderr, leave=False))
        bars[0].update(done - bars[0].n)

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


def draw_json(records: Iterable[Any], plan_id: str) -> str:
    """What ``drawcore draw`` journaled, for a platform: each record's number and type,
    and for a draw its units (id, inclusion probability) and teams (mode, members)."""
    import json

    steps, draw = [], None
    for r in records:
        steps.append({"record": r.seq, "type": r.type})
        if r.type == "draw":
            body = r.body
            draw = {
                "record": r.seq,
                "population": body["population"],
                "seed": body["seed"],
                "units": [
                    {"unit_id": u["unit_id"], "probability": u["probability"]}
                    for u in body["units"]
                ],
                "teams": [
                    {
                        "unit_id": a["unit_id"],
                        "mode": a.get("mode"),
                        "members": list(a.get("members", ())),
                        "experts": list(a.get("experts", ())),
                    }
                    for a in body["teams"]["assignments"]
                ],
            }
    doc = {"plan_id": plan_id, "records": steps, "draw": draw}
    return json.dumps(doc, ensure_ascii=False)


def plan_json(records: Iterable[Any], plan_id: str) -> str:
    """What ``drawcore plan`` (or ``amend``) journaled, for a platform: each record's
    number and type, and for an annual plan its yearly probabilities and its tasks
    (unit, round, kind, mode, probability, inspectors, experts, visit date)."""
    import json

    from drawcore.record.annual import AnnualPlanRecord

    steps, plan = [], None
    for r in records:
        steps.append({"record": r.seq, "type": r.type})
        if r.type == "annual_plan":
            result = AnnualPlanRecord.from_body(r.body).result
            plan = {
                "record": r.seq,
                "year": result.parameters.year,
                "yearly_probabilities": [
                    {"unit_id": u, "probability": p} for u, p in result.yearly_probabilities
                ],
                "tasks": [
                    {
                        "unit_id": t.unit_id,
                        "round": t.round,
                        "kind": t.kind.value,
                        "mode": t.mode.value,
                        "probability": t.probability,
                        "inspectors": list(t.inspectors),
                        "experts": list(t.experts),
                        "visit_date": None if t.visit_date is None else t.visit_date.isoformat(),
                    }
                    for t in result.tasks
                ],
            }
    doc = {"plan_id": plan_id, "records": steps, "plan": plan}
    return json.dumps(doc, ensure_ascii=False)
