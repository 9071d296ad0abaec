"""The values of a team draw: tasks, recusals, replacements and the record (BL-5, TJ-5, TJ-8).

Everything a draw of inspector teams takes and returns, as frozen values, so the record of
who was drawn, who stepped aside (回避) and who replaced them (递补) can be stored and replayed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

import attrs

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.model import InspectionMode, Inspector

__all__ = [
    "PassedOver",
    "PoolTeam",
    "Recusal",
    "Replacement",
    "TeamAssignment",
    "TeamDraw",
    "TeamTask",
]


InspectorsLike: TypeAlias = Iterable[str] | Iterable[Inspector]


ConflictsLike: TypeAlias = Iterable["Recusal | tuple[str, str] | tuple[str, str, str]"]


CapLike: TypeAlias = int | Mapping[str, int] | None

MIN_TEAM_SIZE = 2  # Administrative Penalty Law: at least two enforcement officers


EXPLICIT_REASON = "recusal: declared conflict of interest (BL-5 回避)"


_UNLIMITED = 1 << 62


_MAX_SEARCH_FLOWS = 2_000  # flows the exact search may try (several expertise areas only)


EXPERTS = "experts"  # the pool of TJ-8 industry experts


def slot_setters(cls: type, names: str) -> tuple[Callable[[Any, Any], None], ...]:
    """The setters of the slots ``names`` (space-separated) of a slotted, frozen attrs
    class: what its ``__init__`` does through ``object.__setattr__``, without looking
    each name up again. For constructors of values the library made and checked."""
    return tuple(cls.__dict__[name].__set__ for name in names.split())


@attrs.frozen(kw_only=True)
class Recusal:
    """A conflict pair with its reason (回避): ``inspector_id`` never inspects ``unit_id``."""

    inspector_id: str
    unit_id: str
    reason: str = EXPLICIT_REASON


@attrs.frozen(kw_only=True)
class PassedOver:
    """A candidate the walk skipped, at ``position`` in the candidate order, and why."""

    inspector_id: str
    position: int
    reason: str


@attrs.frozen(kw_only=True)
class Replacement:
    """递补: ``drawn`` (a first-``size`` candidate) could not serve; ``replaced_by`` did."""

    drawn: str
    reason: str
    replaced_by: str | None


@attrs.frozen(kw_only=True)
class PoolTeam:
    """The part of a team drawn from one pool (the registry, a department, or the experts)."""

    pool: str
    size: int
    method: str  # "candidate_order" | "max_flow" | "fixed_by_office"
    candidates: tuple[str, ...]  # the candidate order, as far as the walk read it
    drawn: tuple[str, ...]  # the first ``size`` candidates
    members: tuple[str, ...]  # sorted
    passed_over: tuple[PassedOver, ...] = ()
    replacements: tuple[Replacement, ...] = ()


@attrs.frozen(kw_only=True)
class TeamAssignment:
    """One unit's team and how it came about."""

    unit_id: str
    mode: InspectionMode
    members: tuple[str, ...]  # inspectors, sorted
    experts: tuple[str, ...]  # TJ-8 experts, sorted
    parts: tuple[PoolTeam, ...]
    undisclosed: bool = False  # covert (暗查暗访): not disclosed before the date
    visit_order: int | None = None  # key inspection: random order over the round
    visit_date: dt.date | None = None


@attrs.frozen(kw_only=True)
class TeamDraw:
    """The full, replayable record of a team draw: inputs + seed give it back exactly."""

    draw_id: str
    processing_order: tuple[str, ...]  # unit ids in the order the walk took them
    assignments: tuple[TeamAssignment, ...]  # sorted by unit id

    def teams(self) -> dict[str, tuple[str, ...]]:
        """Unit id -> sorted inspector ids (the :func:`assign_teams` shape)."""
        return {a.unit_id: a.members for a in self.assignments}


def _positive_size(_i: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or value < MIN_TEAM_SIZE):
        raise InvalidInputError(
            msg(
                "{name} must be an integer >= {min_size} (at least two enforcement officers), got "
                "{value}",
                name=attribute.name,
                min_size=MIN_TEAM_SIZE,
                value=repr(value),
            )
        )


def _departments(value: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    if value == ():  # the common case: no joint inspection
        return ()
    out = tuple((str(d), s) for d, s in value)
    names = [d for d, _ in out]
    if len(set(names)) != len(names):
        raise InvalidInputError(msg("departments repeat a department: {names}", names=names))
    for name, size in out:
        if not isinstance(size, int) or size < 1:
            raise InvalidInputError(
                msg(
                    "department {name} needs a size >= 1, got {size}",
                    name=repr(name),
                    size=repr(size),
                )
            )
    if out and sum(s for _, s in out) < MIN_TEAM_SIZE:
        raise InvalidInputError(
            msg(
                "a joint team needs at least {min_size} inspectors in all, got {out}",
                min_size=MIN_TEAM_SIZE,
                out=out,
            )
        )
    return out


def _expertise(value: str | Iterable[str] | None) -> str | tuple[str, ...] | None:
    """One area stays a string; several become a sorted tuple without repeats."""
    if value is None or isinstance(value, str):
        if value == "":
            raise InvalidInputError(msg("expertise must be a non-empty string"))
        return value
    if not isinstance(value, Iterable):
        raise InvalidInputError(
            msg("expertise must be a string or strings, got {value}", value=repr(value))
        )
    areas = list(value)
    if not areas:
        return None
    bad = [a for a in areas if not isinstance(a, str) or not a]
    if bad:
        raise InvalidInputError(
            msg("expertise areas must be non-empty strings, got {bad}", bad=repr(bad[0]))
        )
    unique = tuple(sorted(set(areas)))
    return unique[0] if len(unique) == 1 else unique


def _id_tuple(value: Iterable[str]) -> tuple[str, ...]:
    if type(value) is tuple:
        return value
    if isinstance(value, str):
        raise InvalidInputError(
            msg("expected a collection of inspector ids, not the string {value}", value=repr(value))
        )
    return tuple(value)


@attrs.frozen(kw_only=True)
class TeamTask:
    """What one unit's team must look like.

    ``departments`` (BL-10 joint inspection) lists ``(department, size)``; the
    first is the lead department and carries the ``expertise`` requirement.
    ``expertise``: one area (a string) or several (any collection of strings,
    kept as a sorted tuple); each area must be held by at least one member,
    and one member may cover several. ``fixed_team`` is the office's team for
    a general inspection (TJ-5).
    """

    unit_id: str
    team_size: int | None = attrs.field(default=None, validator=_positive_size)
    expertise: str | tuple[str, ...] | None = attrs.field(default=None, converter=_expertise)
    experts: int = 0
    expert_expertise: str | None = None
    departments: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_departments)
    mode: InspectionMode = InspectionMode.DOUBLE_RANDOM
    fixed_team: tuple[str, ...] = attrs.field(default=(), converter=_id_tuple)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.unit_id, str) or not self.unit_id:
            raise InvalidInputError(
                msg("a task needs a non-empty unit id, got {unit_id}", unit_id=repr(self.unit_id))
            )
        if not isinstance(self.experts, int) or self.experts < 0:
            raise InvalidInputError(
                msg("task {unit_id}: experts must be >= 0", unit_id=self.unit_id)
            )
        ee = self.expert_expertise
        if ee is not None and (not isinstance(ee, str) or not ee):
            raise InvalidInputError(
                msg(
                    "task {unit_id}: expert_expertise is one area (a non-empty string), got {ee}",
                    unit_id=self.unit_id,
                    ee=repr(ee),
                )
            )
        if self.mode is InspectionMode.GENERAL:
            if len(set(self.fixed_team)) < MIN_TEAM_SIZE:
                raise InvalidInputError(
                    msg(
                        "task {unit_id}: a general inspection needs the office's fixed_team of at "
                        "least {min_size} distinct inspectors (TJ-5)",
                        unit_id=self.unit_id,
                        min_size=MIN_TEAM_SIZE,
                    )
                )
        elif self.fixed_team:
            raise InvalidInputError(
                msg(
                    "task {unit_id}: fixed_team is only for general inspections (TJ-5); mode "
                    "{value} draws its team at random",
                    unit_id=self.unit_id,
                    value=self.mode.value,
                )
            )

    @property
    def required_expertise(self) -> tuple[str, ...]:
        """Every area the team must cover (sorted; empty when none is required)."""
        e = self.expertise
        return () if e is None else (e,) if isinstance(e, str) else e


_TASK_SLOTS = slot_setters(
    TeamTask, "unit_id team_size expertise experts expert_expertise departments mode fixed_team"
)


def drawn_task(
    unit_id: str,
    team_size: int | None,
    expertise: str | tuple[str, ...] | None,
    experts: int,
    expert_expertise: str | None,
    mode: InspectionMode,
) -> TeamTask:
    """A :class:`TeamTask` drawn from one pool, without departments (not a general
    inspection), of values already in the form the constructor stores and valid there
    (``expertise`` as its converter leaves it); nothing is converted or checked again."""
    task: TeamTask = object.__new__(TeamTask)
    s_unit, s_size, s_areas, s_experts, s_expert_areas, s_departments, s_mode, s_fixed = _TASK_SLOTS
    s_unit(task, unit_id)
    s_size(task, team_size)
    s_areas(task, expertise)
    s_experts(task, experts)
    s_expert_areas(task, expert_expertise)
    s_departments(task, ())
    s_mode(task, mode)
    s_fixed(task, ())
    return task


_PART_SLOTS = slot_setters(
    PoolTeam, "pool size method candidates drawn members passed_over replacements"
)


def pool_team(
    pool: str,
    size: int,
    method: str,
    candidates: tuple[str, ...],
    drawn: tuple[str, ...],
    members: tuple[str, ...],
    passed_over: tuple[PassedOver, ...],
    replacements: tuple[Replacement, ...],
) -> PoolTeam:
    """``PoolTeam(pool=pool, ...)``, its fields in order (the constructor converts and
    checks nothing either; this one takes no keywords)."""
    part: PoolTeam = object.__new__(PoolTeam)
    s_pool, s_size, s_method, s_candidates, s_drawn, s_members, s_passed, s_replaced = _PART_SLOTS
    s_pool(part, pool)
    s_size(part, size)
    s_method(part, method)
    s_candidates(part, candidates)
    s_drawn(part, drawn)
    s_members(part, members)
    s_passed(part, passed_over)
    s_replaced(part, replacements)
    return part


_PASSED_SLOTS = slot_setters(PassedOver, "inspector_id position reason")


def passed_over(inspector_id: str, position: int, reason: str) -> PassedOver:
    """``PassedOver(inspector_id=inspector_id, ...)``, its fields in order."""
    passed: PassedOver = object.__new__(PassedOver)
    s_id, s_position, s_reason = _PASSED_SLOTS
    s_id(passed, inspector_id)
    s_position(passed, position)
    s_reason(passed, reason)
    return passed


_ASSIGNMENT_SLOTS = slot_setters(
    TeamAssignment, "unit_id mode members experts parts undisclosed visit_order visit_date"
)


def team_assignment(
    unit_id: str,
    mode: InspectionMode,
    members: tuple[str, ...],
    experts: tuple[str, ...],
    parts: tuple[PoolTeam, ...],
    undisclosed: bool,
    visit_order: int | None,
    visit_date: dt.date | None,
) -> TeamAssignment:
    """``TeamAssignment(unit_id=unit_id, ...)``, its fields in order (the constructor
    converts and checks nothing either; this one takes no keywords)."""
    made: TeamAssignment = object.__new__(TeamAssignment)
    s_unit, s_mode, s_members, s_experts, s_parts, s_undisclosed, s_order, s_date = (
        _ASSIGNMENT_SLOTS
    )
    s_unit(made, unit_id)
    s_mode(made, mode)
    s_members(made, members)
    s_experts(made, experts)
    s_parts(made, parts)
    s_undisclosed(made, undisclosed)
    s_order(made, visit_order)
    s_date(made, visit_date)
    return made
