"""Use of results: registry follow-up and completion assessment (BL-10, TJ-7, TJ-10).

Two pure steps after the inspections of a plan or draw:

* :func:`apply_results` feeds results back into the unit registry (BL-10
  「检查结果纳入信用记录、黑名单和联合惩戒」, TJ-7): it returns a **new**
  :class:`~drawcore.registry.UnitRegistry` and every change it made, each with
  a :class:`~drawcore.plugin.values.Reason` citing its clause and the result it
  came from. Which result changes which field is a :class:`FollowUpPolicy`; its
  defaults carry the two documents:

  - ``last_inspected`` becomes the latest inspection date (BL-8: the result is
    attached to the unit's record), which the next plan's recent-inspection
    windows read;
  - a major accident hazard found sets ``major_hazard`` (BL-6: key supervision,
    a dedicated plan and more inspections), and a re-inspection confirming it
    cleared resets it;
  - a concealed or unremedied major hazard blacklists the unit (TJ-7) and puts
    it under joint punishment (TJ-7 「对失信单位实施联合惩戒」);
  - a penalised outcome lowers the work-safety credit class one step (BL-10:
    results enter credit records).

  Results are applied in the order of their inspection date (then entry time,
  plan, draw and unit), so the answer does not depend on the order they are
  given in; a unit inspected several times under one plan (key supervision)
  takes each result in turn. Nothing is applied unless every result is valid: a
  result for a unit the registry does not hold, or the same result twice, raises
  :class:`~drawcore.errors.InvalidInputError` naming every such result.

* :func:`completion_report` assesses a plan or a draw against its timetable
  (TJ-10 「明确时间表和责任人，开展考核」): per round the tasks due by the
  round's end, which were done (on time or late), which are overdue or still
  open, who answers for each (the drawn team's inspectors; else a named person;
  else the signer, TJ-9), the completion ratio and the publication deadline the
  rules gave. :func:`format_completion` prints it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, translation
from drawcore.model import CreditClass, Unit
from drawcore.plan.schedule import AnnualPlan
from drawcore.plugin.values import CLAUSE_PATTERN, Reason
from drawcore.publish.disclosure import default_mask
from drawcore.record.records import DrawRecord
from drawcore.record.results import HAZARD_PRESENT, Finding, InspectionResult, Outcome
from drawcore.record.seeding import parse_time
from drawcore.registry.registries import UnitRegistry
from drawcore.serde import canonical_json

__all__ = [
    "FOLLOWUP",
    "CompletionReport",
    "FollowUpPolicy",
    "PersonCompletion",
    "RegistryChange",
    "RoundCompletion",
    "TaskCompletion",
    "TaskStatus",
    "apply_results",
    "completion_report",
    "format_changes",
    "format_completion",
]

#: Plugin name on the reasons this module gives (the core's own decisions).
FOLLOWUP = "drawcore"
_CREDIT = tuple(CreditClass)  # A (good) .. D, the order of the registry's enum codes


# -- use of results ------------------------------------------------------------------------


def _findings_set(value: Iterable[Finding | str]) -> frozenset[Finding]:
    try:
        return frozenset(Finding(str(v)) for v in value)
    except ValueError as err:
        raise InvalidInputError(f"follow-up policy: {err}") from None


def _outcomes_set(value: Iterable[Outcome | str]) -> frozenset[Outcome]:
    try:
        return frozenset(Outcome(str(v)) for v in value)
    except ValueError as err:
        raise InvalidInputError(f"follow-up policy: {err}") from None


def _clause(_i: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not CLAUSE_PATTERN.match(value):
        raise InvalidInputError(
            f"follow-up policy: {attribute.name} must be a clause like 'BL-10', got {value!r}"
        )


def _steps(_i: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(_CREDIT):
        raise InvalidInputError(
            f"follow-up policy: {attribute.name} must be a whole number 0..{len(_CREDIT) - 1}, "
            f"got {value!r}"
        )


def _flag(_i: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidInputError(
            f"follow-up policy: {attribute.name} must be true or false, got {value!r}"
        )


@attrs.frozen(kw_only=True)
class FollowUpPolicy:
    """Which results change which registry fields, and the clause each change cites.

    An empty set (or ``False``, or 0 steps) turns an effect off, so a
    jurisdiction can keep only what its rulebook asks for. Blacklisting is never
    undone here: leaving the blacklist is its own procedure, not an inspection's.
    """

    record_inspection: bool = attrs.field(default=True, validator=_flag)
    record_inspection_clause: str = attrs.field(default="BL-8", validator=_clause)
    key_supervision_on: frozenset[Finding] = attrs.field(
        default=HAZARD_PRESENT, converter=_findings_set
    )
    hazard_cleared_on: frozenset[Finding] = attrs.field(
        default=frozenset({Finding.MAJOR_HAZARD_CLEARED}), converter=_findings_set
    )
    key_supervision_clause: str = attrs.field(default="BL-6", validator=_clause)
    blacklist_on: frozenset[Finding] = attrs.field(
        default=frozenset({Finding.MAJOR_HAZARD_CONCEALED, Finding.MAJOR_HAZARD_UNREMEDIED}),
        converter=_findings_set,
    )
    joint_punishment_with_blacklist: bool = attrs.field(default=True, validator=_flag)
    blacklist_clause: str = attrs.field(default="TJ-7", validator=_clause)
    credit_down_on: frozenset[Outcome] = attrs.field(
        default=frozenset({Outcome.PENALISED}), converter=_outcomes_set
    )
    credit_steps: int = attrs.field(default=1, validator=_steps)
    credit_clause: str = attrs.field(default="BL-10", validator=_clause)

    def __attrs_post_init__(self) -> None:
        both = self.key_supervision_on & self.hazard_cleared_on
        if both:
            raise InvalidInputError(
                "follow-up policy: a finding cannot both set and clear key supervision: "
                + ", ".join(sorted(both))
            )


@attrs.frozen(kw_only=True)
class RegistryChange:
    """One field of one unit changed by one result, and why.

    ``before`` and ``after`` are the field's values as text: dates ISO 8601, flags
    ``true`` / ``false``, enums their value, no value ``""``. ``plan_id``,
    ``draw`` and ``inspected_on`` name the result (journal ``result`` record).
    """

    unit_id: str
    field: str
    before: str
    after: str
    reason: Reason
    plan_id: str
    draw: int
    inspected_on: dt.date


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _result_key(r: InspectionResult) -> tuple[dt.date, dt.datetime, str, int, str, bytes]:
    """Inspection date, entry time, plan, draw, unit, then the canonical bytes: a total order."""
    when = parse_time(r.entered_at, "entered_at")
    return (r.inspected_on, when, r.plan_id, r.draw, r.unit_id, canonical_json(r))


def _validate(units: UnitRegistry, results: Iterable[object]) -> list[InspectionResult]:
    given = list(results)
    problems: list[str] = []
    for k, r in enumerate(given):
        if not isinstance(r, InspectionResult):
            problems.append(f"result {k + 1} is not an InspectionResult ({type(r).__name__})")
    if problems:
        raise InvalidInputError(f"apply_results: {problems[0]}", tuple(problems))
    checked = [r for r in given if isinstance(r, InspectionResult)]
    seen: dict[InspectionResult, int] = {}
    for k, r in enumerate(checked):
        if r.unit_id not in units:
            problems.append(
                f"result {k + 1} (plan {r.plan_id}, draw {r.draw}) is for unit {r.unit_id}, "
                "which is not in the unit registry"
            )
        if r in seen:
            problems.append(
                f"result {k + 1} repeats result {seen[r] + 1}: unit {r.unit_id} of plan "
                f"{r.plan_id}, draw {r.draw}, inspected {r.inspected_on}"
            )
        else:
            seen[r] = k
    if problems:
        raise InvalidInputError(
            f"apply_results: {len(problems)} problem(s), nothing applied; first: {problems[0]}",
            tuple(problems),
        )
    return sorted(checked, key=_result_key)


def _change(
    r: InspectionResult, field: str, before: object, after: object, clause: str, why: str
) -> RegistryChange:
    where = f"result of plan {r.plan_id}, draw {r.draw}, inspected {r.inspected_on}"
    return RegistryChange(
        unit_id=r.unit_id,
        field=field,
        before=_text(before),
        after=_text(after),
        reason=Reason(clause=clause, text=f"{why} ({where})", plugin=FOLLOWUP),
        plan_id=r.plan_id,
        draw=r.draw,
        inspected_on=r.inspected_on,
    )


def apply_results(
    units: UnitRegistry,
    results: Iterable[InspectionResult],
    *,
    policy: FollowUpPolicy | None = None,
) -> tuple[UnitRegistry, tuple[RegistryChange, ...]]:
    """A new registry with the results' use applied, and every change with its reason.

    ``units`` is not modified. Changes are listed in the order they were applied
    (results by inspection date); a field a result leaves as it was gets no change.
    See the module docstring for the default policy and
    :class:`FollowUpPolicy` to change it.
    """
    if not isinstance(units, UnitRegistry):
        raise InvalidInputError(f"apply_results needs a UnitRegistry, got {type(units).__name__}")
    policy = policy if policy is not None else FollowUpPolicy()
    if not isinstance(policy, FollowUpPolicy):
        raise InvalidInputError(f"policy must be a FollowUpPolicy, got {type(policy).__name__}")
    ordered = _validate(units, results)
    if not ordered:
        return units, ()
    rows = np.searchsorted(units.ids, np.array([r.unit_id for r in ordered], dtype=units.ids.dtype))
    fields = ("last_inspected", "major_hazard", "blacklisted", "joint_punishment", "credit_class")
    cols: dict[str, Any] = {f: np.array(units.column(f)) for f in fields}  # writable copies
    changes: list[RegistryChange] = []

    for r, row in zip(ordered, rows.tolist(), strict=True):

        def change(
            field: str,
            before: object,
            after: object,
            clause: str,
            why: str,
            r: InspectionResult = r,
        ) -> None:
            changes.append(_change(r, field, before, after, clause, why))

        found = set(r.findings)
        if policy.record_inspection:
            last = cols["last_inspected"][row]
            before = None if np.isnat(last) else dt.date.fromisoformat(str(last))
            if before is None or r.inspected_on > before:
                cols["last_inspected"][row] = np.datetime64(r.inspected_on.isoformat(), "D")
                change(
                    "last_inspected",
                    before,
                    r.inspected_on,
                    policy.record_inspection_clause,
                    "inspection result attached to the unit's record",
                )
        hazard = bool(cols["major_hazard"][row])
        if found & policy.key_supervision_on and not hazard:
            cols["major_hazard"][row] = True
            change(
                "major_hazard",
                False,
                True,
                policy.key_supervision_clause,
                "major accident hazard found: key supervision with more frequent inspections",
            )
        elif found & policy.hazard_cleared_on and hazard:
            cols["major_hazard"][row] = False
            change(
                "major_hazard",
                True,
                False,
                policy.key_supervision_clause,
                "major accident hazard cleared and confirmed on re-inspection",
            )
        hit = sorted(found & policy.blacklist_on)
        if hit:
            why = ", ".join(hit).replace("_", " ")
            if not cols["blacklisted"][row]:
                cols["blacklisted"][row] = True
                change(
                    "blacklisted",
                    False,
                    True,
                    policy.blacklist_clause,
                    f"{why}: exposed and put on the work-safety dishonesty blacklist",
                )
            if policy.joint_punishment_with_blacklist and not cols["joint_punishment"][row]:
                cols["joint_punishment"][row] = True
                change(
                    "joint_punishment",
                    False,
                    True,
                    policy.blacklist_clause,
                    f"{why}: joint punishment of a dishonest unit",
                )
        if r.outcome in policy.credit_down_on and policy.credit_steps:
            code = int(cols["credit_class"][row])
            lowered = min(code + policy.credit_steps, len(_CREDIT) - 1)
            if lowered != code:
                cols["credit_class"][row] = lowered
                change(
                    "credit_class",
                    _CREDIT[code],
                    _CREDIT[lowered],
                    policy.credit_clause,
                    f"outcome {r.outcome.value}: entered in the credit record, "
                    "credit class lowered",
                )
    if not changes:
        return units, ()
    stored = dict(units.columns)
    stored.update(cols)
    return UnitRegistry.from_checked(stored), tuple(changes)


def format_changes(
    changes: Sequence[RegistryChange],
    units: UnitRegistry | Iterable[Unit] = (),
    *,
    mask: Callable[[str, str, Unit | None], str] = default_mask,
) -> str:
    """The changes as text, one per line, for the record and for exposure (TJ-7).

    Unit ids pass through ``mask(field, value, unit)`` -- by default
    :func:`drawcore.disclosure.default_mask`, which hides most of a person's
    ID-card number -- with the unit looked up in ``units`` when given.
    """
    by_id = {u.unit_id: u for u in units}
    lines = [f"Registry changes from results: {len(changes)}"]
    for c in changes:
        shown = mask("unit_id", c.unit_id, by_id.get(c.unit_id))
        lines.append(f"  {shown} {c.field}: {c.before or '-'} -> {c.after or '-'}; {c.reason}")
    return "\n".join(lines)


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
        raise InvalidInputError(f"completion_report: {where} must name at least one person")
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
    (``Round.publication_due``). A :class:`~drawcore.record.DrawRecord` carries
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
        raise InvalidInputError(f"completion_report: as_of must be a date, got {as_of!r}")
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
                f"completion_report: draw {plan_or_draw.plan_id} has no timetable; give due"
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
            "completion_report needs an AnnualPlan or a DrawRecord, got "
            f"{type(plan_or_draw).__name__}"
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
            f"completion_report: result {strangers[0]} is not an InspectionResult"
        )
    mine = [r for r in given if r.plan_id == plan_id]
    previous: set[InspectionResult] = set()
    for r in sorted(mine, key=_result_key):
        if r in previous:
            problems.append(f"the same result for unit {r.unit_id} ({r.inspected_on}) twice")
            continue
        previous.add(r)
        if r.unit_id not in by_unit:
            problems.append(f"a result for unit {r.unit_id}, which has no task in {plan_id}")
            continue
        open_slots = [
            k
            for k in by_unit[r.unit_id]
            if k not in closing and _begun(slots[k].start, r.inspected_on)
        ]
        if not open_slots:
            problems.append(
                f"a result for unit {r.unit_id} inspected {r.inspected_on} matches no open task "
                f"of {plan_id} (each of its tasks already has a result, or none has begun)"
            )
            continue
        closing[min(open_slots, key=lambda k: (slots[k].due, slots[k].round))] = r
    if problems:
        raise InvalidInputError(
            f"completion_report: {len(problems)} result(s) do not fit the plan; first: "
            f"{problems[0]}",
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
                unanswered.append(f"round {index}: no named person answers for unit {s.unit_id}")
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
    out += [f"  {p}" for p in report.problems] or [t(N_("  (none)"))]
    return "\n".join(out)
