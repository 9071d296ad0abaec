"""Completion assessment (TJ-10): which tasks of a plan or draw were done, late, overdue or open.

:func:`completion_report` assesses a plan or a draw against its timetable
(TJ-10 「明确时间表和责任人，开展考核」): per round the tasks due by the
round's end, which were done (on time or late), which are overdue or still
open, who answers for each (the drawn team's inspectors; else a named person;
else the signer, TJ-9), the completion ratio and the publication deadline the
rules gave. :func:`format_completion` prints it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence

import attrs

from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, msg, render, translation
from drawcore.plan.tasks import AnnualPlan
from drawcore.plugin.values import Reason
from drawcore.publish.followup import result_key
from drawcore.record.records import DrawRecord
from drawcore.record.results import InspectionResult, Outcome
from drawcore.record.seeding import parse_time

__all__ = [
    "CompletionReport",
    "PersonCompletion",
    "RoundCompletion",
    "TaskCompletion",
    "TaskStatus",
    "completion_report",
    "format_completion",
]

# -- completion (TJ-10) --------------------------------------------------------------------


class TaskStatus(enum.StrEnum):
    """Where one task stands on the assessment date."""

    DONE = "done"  # inspected by its due date
    DONE_LATE = "done_late"  # inspected after its due date
    OVERDUE = "overdue"  # no result and the due date has passed
    OPEN = "open"  # no result yet, not yet due


_DONE = (TaskStatus.DONE, TaskStatus.DONE_LATE)


@attrs.frozen(kw_only=True)
class TaskCompletion:
    """One task: its due date, status, who answers for it and the result that closed it."""

    unit_id: str
    round: int
    due: dt.date
    status: TaskStatus
    responsible: tuple[str, ...]
    inspected_on: dt.date | None = None
    entered_on: dt.date | None = None
    outcome: Outcome | None = None

    @property
    def done(self) -> bool:
        return self.status in _DONE


def _ratio(done: int, total: int) -> float:
    return done / total if total else 1.0


@attrs.frozen(kw_only=True)
class RoundCompletion:
    """One round (or a whole draw): tasks due by ``due``, results to publish by
    ``publication_due`` (when the rules gave one), and who signed for it."""

    index: int
    start: dt.date | None
    due: dt.date
    publication_due: dt.date | None
    publication_reason: Reason | None
    signed_by: str | None
    tasks: tuple[TaskCompletion, ...]
    publication_overdue: bool  # publication date passed with results still missing

    def count(self, status: TaskStatus) -> int:
        return sum(t.status is status for t in self.tasks)

    @property
    def done(self) -> int:
        return sum(t.done for t in self.tasks)

    @property
    def overdue(self) -> int:
        return self.count(TaskStatus.OVERDUE)

    @property
    def ratio(self) -> float:
        """Share of the round's tasks done (1.0 for a round with no tasks)."""
        return _ratio(self.done, len(self.tasks))


@attrs.frozen(kw_only=True)
class PersonCompletion:
    """A named person's tasks (TJ-10 named responsibility): how many, done, overdue."""

    name: str
    tasks: int
    done: int
    overdue: int

    @property
    def ratio(self) -> float:
        return _ratio(self.done, self.tasks)


@attrs.frozen(kw_only=True)
class CompletionReport:
    """A plan's or draw's completion on ``as_of`` (TJ-10); ``problems`` lists tasks
    that no named person answers for."""

    plan_id: str
    as_of: dt.date
    signed_by: str | None
    rounds: tuple[RoundCompletion, ...]
    problems: tuple[str, ...]

    @property
    def tasks(self) -> tuple[TaskCompletion, ...]:
        return tuple(t for rd in self.rounds for t in rd.tasks)

    @property
    def done(self) -> int:
        return sum(rd.done for rd in self.rounds)

    @property
    def overdue(self) -> int:
        return sum(rd.overdue for rd in self.rounds)

    @property
    def ratio(self) -> float:
        """Share of all tasks done (1.0 when there are none)."""
        return _ratio(self.done, len(self.tasks))

    @property
    def due_ratio(self) -> float:
        """Share of the tasks due by ``as_of`` that are done (1.0 when none is due yet)."""
        due = [t for t in self.tasks if t.due < self.as_of]
        return _ratio(sum(t.done for t in due), len(due))

    def by_person(self) -> tuple[PersonCompletion, ...]:
        """Each responsible person's tasks, by name."""
        tally: dict[str, list[int]] = {}
        for t in self.tasks:
            for name in t.responsible:
                row = tally.setdefault(name, [0, 0, 0])
                row[0] += 1
                row[1] += t.done
                row[2] += t.status is TaskStatus.OVERDUE
        return tuple(
            PersonCompletion(name=n, tasks=a, done=d, overdue=o)
            for n, (a, d, o) in sorted(tally.items())
        )


@attrs.frozen
class _Slot:
    unit_id: str
    round: int
    start: dt.date | None
    due: dt.date
    team: tuple[str, ...]


def _names(value: str | Sequence[str], where: str) -> tuple[str, ...]:
    names: tuple[object, ...] = (value,) if isinstance(value, str) else tuple(value)
    bad = [n for n in names if not isinstance(n, str) or not n.strip()]
    if not names or bad:
        raise InvalidInputError(
            msg("completion_report: {where} must name at least one person", where=where)
        )
    return tuple(str(n) for n in names)


def _begun(start: dt.date | None, day: dt.date) -> bool:
    return start is None or start <= day


def _status(due: dt.date, as_of: dt.date, result: InspectionResult | None) -> TaskStatus:
    if result is not None and result.inspected_on <= as_of:
        return TaskStatus.DONE if result.inspected_on <= due else TaskStatus.DONE_LATE
    return TaskStatus.OVERDUE if as_of > due else TaskStatus.OPEN


def completion_report(
    plan_or_draw: AnnualPlan | DrawRecord,
    results: Iterable[InspectionResult],
    *,
    as_of: dt.date,
    responsible: Mapping[str, str | Sequence[str]] | None = None,
    signed_by: str | None = None,
    due: dt.date | None = None,
    publication_due: dt.date | None = None,
) -> CompletionReport:
    """Tasks due, done, overdue and open on ``as_of``, per round, with who answers for each.

    For an :class:`~drawcore.schedule.AnnualPlan` each task is due by its round's
    end and the round's results by the publication date the rules gave
    (``Round.publication_due``). A :class:`~drawcore.record.records.DrawRecord` carries
    no dates: give ``due`` (and ``publication_due`` if there is one); it is one
    round, signed by its ``signed_by``. ``signed_by`` names the annual plan's signer.

    A task's responsible persons are ``responsible[unit id]`` when given (e.g. the
    office's team for a general inspection), else the inspectors drawn for it, else
    the signer; a task with none is listed in ``problems``.

    Results of other plans are ignored. A result of this plan completes its
    unit's earliest open task whose round began on or before the inspection date
    (so a late inspection closes the overdue task first); a result dated after
    ``as_of`` does not count yet. A result for a unit with no task, or one more
    result than the unit has tasks, raises :class:`InvalidInputError`.
    """
    if not isinstance(as_of, dt.date):
        raise InvalidInputError(
            msg("completion_report: as_of must be a date, got {as_of!r}", as_of=as_of)
        )
    slots: list[_Slot] = []
    rounds_info: list[tuple[int, dt.date | None, dt.date, dt.date | None, Reason | None]] = []
    if isinstance(plan_or_draw, AnnualPlan):
        plan_id = plan_or_draw.draw_id
        for rd in plan_or_draw.rounds:
            rounds_info.append(
                (rd.index, rd.start, rd.end, rd.publication_due, rd.publication_reason)
            )
            slots += [_Slot(t.unit_id, rd.index, rd.start, rd.end, t.inspectors) for t in rd.tasks]
    elif isinstance(plan_or_draw, DrawRecord):
        if due is None:
            raise InvalidInputError(
                msg(
                    "completion_report: draw {plan_id} has no timetable; give due",
                    plan_id=plan_or_draw.plan_id,
                )
            )
        plan_id = plan_or_draw.plan_id
        signed_by = signed_by if signed_by is not None else plan_or_draw.signed_by
        teams = plan_or_draw.teams.teams()
        rounds_info.append((1, None, due, publication_due, None))
        slots += [
            _Slot(u.unit_id, 1, None, due, teams.get(u.unit_id, ())) for u in plan_or_draw.units
        ]
    else:
        raise InvalidInputError(
            msg(
                "completion_report needs an AnnualPlan or a DrawRecord, got {name}",
                name=type(plan_or_draw).__name__,
            )
        )
    named = {uid: _names(who, f"responsible[{uid!r}]") for uid, who in (responsible or {}).items()}
    by_unit: dict[str, list[int]] = {}
    for k, s in enumerate(slots):
        by_unit.setdefault(s.unit_id, []).append(k)
    unknown = sorted(set(named) - set(by_unit))
    if unknown:
        raise InvalidInputError(
            f"completion_report: responsible names unit(s) with no task in {plan_id}: "
            + ", ".join(unknown[:10])
        )

    closing: dict[int, InspectionResult] = {}
    problems: list[str] = []
    given = list(results)
    strangers = [k + 1 for k, r in enumerate(given) if not isinstance(r, InspectionResult)]
    if strangers:
        raise InvalidInputError(
            msg(
                "completion_report: result {strangers} is not an InspectionResult",
                strangers=strangers[0],
            )
        )
    mine = [r for r in given if r.plan_id == plan_id]
    previous: set[InspectionResult] = set()
    for r in sorted(mine, key=result_key):
        if r in previous:
            problems.append(
                msg(
                    "the same result for unit {unit_id} ({inspected_on}) twice",
                    unit_id=r.unit_id,
                    inspected_on=r.inspected_on,
                )
            )
            continue
        previous.add(r)
        if r.unit_id not in by_unit:
            problems.append(
                msg(
                    "a result for unit {unit_id}, which has no task in {plan_id}",
                    unit_id=r.unit_id,
                    plan_id=plan_id,
                )
            )
            continue
        open_slots = [
            k
            for k in by_unit[r.unit_id]
            if k not in closing and _begun(slots[k].start, r.inspected_on)
        ]
        if not open_slots:
            problems.append(
                msg(
                    "a result for unit {unit_id} inspected {inspected_on} matches no open "
                    "task of {plan_id} (each of its tasks already has a result, or none "
                    "has begun)",
                    unit_id=r.unit_id,
                    inspected_on=r.inspected_on,
                    plan_id=plan_id,
                )
            )
            continue
        closing[min(open_slots, key=lambda k: (slots[k].due, slots[k].round))] = r
    if problems:
        raise InvalidInputError(
            msg(
                "completion_report: {n_problems} result(s) do not fit the plan; first: {problems}",
                n_problems=len(problems),
                problems=problems[0],
            ),
            tuple(problems),
        )

    unanswered: list[str] = []
    built: list[RoundCompletion] = []
    for index, start, end, pub_due, pub_reason in rounds_info:
        tasks = []
        for k, s in enumerate(slots):
            if s.round != index:
                continue
            who = named.get(s.unit_id) or s.team or ((signed_by,) if signed_by else ())
            if not who:
                unanswered.append(
                    msg(
                        "round {index}: no named person answers for unit {unit_id}",
                        index=index,
                        unit_id=s.unit_id,
                    )
                )
            closed = closing.get(k)
            counted = closed if closed is not None and closed.inspected_on <= as_of else None
            tasks.append(
                TaskCompletion(
                    unit_id=s.unit_id,
                    round=index,
                    due=s.due,
                    status=_status(s.due, as_of, counted),
                    responsible=tuple(sorted(who)),
                    inspected_on=counted.inspected_on if counted else None,
                    entered_on=parse_time(counted.entered_at, "entered_at").date()
                    if counted
                    else None,
                    outcome=counted.outcome if counted else None,
                )
            )
        late_for_publication = (
            pub_due is not None
            and as_of > pub_due
            and any(t.entered_on is None or t.entered_on > pub_due for t in tasks)
        )
        built.append(
            RoundCompletion(
                index=index,
                start=start,
                due=end,
                publication_due=pub_due,
                publication_reason=pub_reason,
                signed_by=signed_by,
                tasks=tuple(tasks),
                publication_overdue=late_for_publication,
            )
        )
    return CompletionReport(
        plan_id=plan_id,
        as_of=as_of,
        signed_by=signed_by,
        rounds=tuple(built),
        problems=tuple(unanswered),
    )


def format_completion(report: CompletionReport, *, limit: int | None = 20, lang: str = "en") -> str:
    """The completion report as text in ``lang`` (``"zh_CN"`` for Chinese): totals, each
    round, each person, and the tasks overdue (``limit`` per round; ``None``: all)."""
    t = translation(lang).gettext
    head = t(N_("Completion of {plan} as of {as_of}")).format(
        plan=report.plan_id, as_of=report.as_of
    )
    if report.signed_by:
        head += t(N_(" (signed by {who})")).format(who=report.signed_by)
    totals = N_(
        "  tasks: {tasks}; done: {done} ({ratio}); overdue: {overdue}; "
        "done of those due: {due_ratio}"
    )
    out = [
        head,
        t(totals).format(
            tasks=len(report.tasks),
            done=report.done,
            ratio=f"{report.ratio:.1%}",
            overdue=report.overdue,
            due_ratio=f"{report.due_ratio:.1%}",
        ),
    ]
    line = N_(
        "Round {index} ({when}): {done}/{tasks} done ({ratio}), {late} late, "
        "{overdue} overdue, {open} open{publication}"
    )
    for rd in report.rounds:
        if rd.start:
            when = t(N_("{start} .. {due}")).format(start=rd.start, due=rd.due)
        else:
            when = t(N_("due {due}")).format(due=rd.due)
        pub = ""
        if rd.publication_due is not None:
            clause = f", {rd.publication_reason.clause}" if rd.publication_reason else ""
            pub = t(N_("; results published by {date}{clause}")).format(
                date=rd.publication_due, clause=clause
            )
            if rd.publication_overdue:
                pub += t(N_(" -- OVERDUE"))
        out.append(
            t(line).format(
                index=rd.index,
                when=when,
                done=rd.done,
                tasks=len(rd.tasks),
                ratio=f"{rd.ratio:.1%}",
                late=rd.count(TaskStatus.DONE_LATE),
                overdue=rd.overdue,
                open=rd.count(TaskStatus.OPEN),
                publication=pub,
            )
        )
        late = [x for x in rd.tasks if x.status is TaskStatus.OVERDUE]
        shown = late if limit is None else late[:limit]
        out += [
            t(N_("  overdue {unit}: {who}")).format(
                unit=x.unit_id, who=", ".join(x.responsible) or t(N_("(nobody)"))
            )
            for x in shown
        ]
        if len(shown) < len(late):
            out.append(t(N_("  ... and {count} more")).format(count=len(late) - len(shown)))
    out.append(t(N_("Responsible persons (tasks, done, overdue):")))
    out += [
        f"  {p.name}: {p.tasks}, {p.done} ({p.ratio:.0%}), {p.overdue}" for p in report.by_person()
    ] or [t(N_("  (none)"))]
    out.append(t(N_("Problems:")))
    out += [f"  {render(p, lang)}" for p in report.problems] or [t(N_("  (none)"))]
    return "\n".join(out)
