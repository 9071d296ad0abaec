"""The values an annual plan is made of: tasks, rounds, the commitment, the plan.

All frozen ``attrs`` classes, serialised by :mod:`drawcore.serde`; the plan is built
by :func:`drawcore.plan.schedule.plan_year` and never changed afterwards (a redo or
an amendment is a new, visible plan).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
from json.encoder import encode_basestring as _string

import attrs

from drawcore.draw.team_model import TeamDraw, slot_setters
from drawcore.model import InspectionMode
from drawcore.plan.parameters import YearParameters
from drawcore.plan.yearly import YearlyDraw
from drawcore.plugin.values import Reason
from drawcore.serde import canonical_json

__all__ = [
    "DOUBLE_RANDOM_MODES",
    "AnnualPlan",
    "InspectionForm",
    "PublicName",
    "Round",
    "Task",
    "TaskKind",
    "UnitFrequency",
    "UnitReasons",
    "YearCommitment",
]

DOUBLE_RANDOM_MODES = (InspectionMode.DOUBLE_RANDOM, InspectionMode.COVERT)


class TaskKind(enum.StrEnum):
    """Why a unit is in a round: planned (mandatory / key supervision) or drawn at random."""

    PLANNED = "planned"
    DRAWN = "drawn"


@attrs.frozen(kw_only=True)
class UnitReasons:
    """A unit and the reasons for one decision about it."""

    unit_id: str
    reasons: tuple[Reason, ...]


@attrs.frozen(kw_only=True)
class UnitFrequency:
    """A key-supervision unit's planned inspections this year and why (BL-6, TJ-5)."""

    unit_id: str
    times: int
    reasons: tuple[Reason, ...]


@attrs.frozen(kw_only=True)
class PublicName:
    """How a unit is shown in publication (BL-8, TJ-6), where that differs from its record."""

    unit_id: str
    shown_id: str
    shown_name: str


@attrs.frozen(kw_only=True)
class InspectionForm:
    """The standard inspection form (BL-7), pre-filled from the task's items.

    ``handling_opinion`` (处理意见) is written by the team after the inspection,
    so the plan leaves it empty.
    """

    unit_id: str
    unit_name: str
    basis: tuple[str, ...]  # 检查依据
    scope: str  # 检查范围
    content: tuple[str, ...]  # 检查内容
    method: str  # 检查方式
    handling_opinion: str = ""  # 处理意见


@attrs.frozen(kw_only=True)
class Task:
    """One inspection of one unit in one round.

    ``probability``: the unit's probability of being inspected this year (1.0 when
    planned), published with the plan. A general inspection (TJ-5) has no drawn team:
    its ``inspectors`` are the team the office fixed (``office_team`` true), given to
    :func:`~drawcore.plan.schedule.plan_year`, or none when the office gave none (then
    the plan lists a problem). The standard form (BL-7) is derived, not stored:
    :func:`drawcore.plan.forms.task_form`.
    """

    unit_id: str
    unit_name: str
    round: int
    kind: TaskKind
    mode: InspectionMode
    probability: float
    inspectors: tuple[str, ...]
    experts: tuple[str, ...]
    items: tuple[str, ...]
    reasons: tuple[Reason, ...]
    visit_order: int | None = None  # key inspection: drawn order of visits in the round (TJ-5)
    visit_date: dt.date | None = None  # key inspection: drawn working day of the visit
    office_team: bool = False  # general inspection: the inspectors are the office's team

    @property
    def double_random(self) -> bool:
        """Unit and inspectors both drawn (BL-1, TJ-5)."""
        return self.kind is TaskKind.DRAWN and self.mode in DOUBLE_RANDOM_MODES


@attrs.frozen(kw_only=True)
class Round:
    """One round of the plan: its dates, capacity, tasks (sorted by unit id) and teams.

    ``open``: whether the round could still receive placements when the plan was made
    (it ends on or after ``as_of``).
    """

    index: int  # 1-based
    start: dt.date
    end: dt.date
    capacity: int
    open: bool
    draw_id: str
    tasks: tuple[Task, ...]
    publication_due: dt.date
    publication_reason: Reason
    team_draw: TeamDraw | None


# the commitment's fields that are lists of UnitReasons
_UNIT_REASON_LISTS = frozenset({"mandatory", "excluded", "waived"})
# the commitment's hash domains: registries named by their records, or by their snapshots
_CONTENT_DOMAIN = "drawcore/year-commitment/2"
_SNAPSHOT_DOMAIN = "drawcore/year-commitment/3"


@attrs.frozen(kw_only=True)
class YearCommitment:
    """Everything an annual plan fixes before its seed exists (commit before reveal).

    The registries (``units`` .. ``items``) are named by fingerprints that do not depend
    on row order or file format: with ``by_snapshot`` (an annual plan journaled from
    its spec, method ``drawcore.plan.plan_year/4``) the fingerprints of the registry
    snapshots the spec names (``docs/spec.md`` §8.3), else SHA-256 over the canonical
    JSON of the records sorted by id (:func:`~drawcore.plan.schedule.plan_year` on
    records, and earlier methods). Journal :attr:`hash` before the seed is drawn; the
    plan drawn later carries the same hash in :attr:`AnnualPlan.commitment`, and anyone
    holding the inputs can recompute it.
    """

    parameters: YearParameters
    jurisdiction: str | None
    plugins: tuple[tuple[str, str], ...]
    capacities: tuple[int, ...]
    units: str
    inspectors: str
    experts: str
    items: str
    declared_conflicts: str
    office_teams: str
    mandatory: tuple[UnitReasons, ...]
    excluded: tuple[UnitReasons, ...]
    key_supervision: tuple[UnitFrequency, ...]
    waived: tuple[UnitReasons, ...]
    by_snapshot: bool = False  # how the registries are named: not itself hashed

    @property
    def domain(self) -> str:
        """The hash's domain: ``drawcore/year-commitment/3`` when the registries are named
        by their snapshots, ``drawcore/year-commitment/2`` by their records."""
        return _SNAPSHOT_DOMAIN if self.by_snapshot else _CONTENT_DOMAIN

    @functools.cached_property
    def hash(self) -> str:  # computed once: a plan and its replay both read it
        """``fingerprint(value, domain=self.domain)`` of the commitment's value (every
        field but ``by_snapshot``), the unit lists written with each distinct list of
        reasons encoded once."""
        digest = hashlib.sha256(self.domain.encode("ascii") + b"\x00")
        digest.update(self.canonical_text().encode("utf-8"))
        return digest.hexdigest()

    def canonical_text(self) -> str:
        """:func:`~drawcore.serde.canonical_json` of the commitment, as text."""
        reasons: dict[tuple[Reason, ...], str] = {}

        def listed(rs: tuple[Reason, ...]) -> str:
            text = reasons.get(rs)
            if text is None:
                text = reasons[rs] = canonical_json(rs).decode("utf-8")
            return text

        fields: dict[str, str] = {}
        for field in attrs.fields(YearCommitment):
            if field.name == "by_snapshot":
                continue
            value = getattr(self, field.name)
            if field.name == "key_supervision":
                text = ",".join(
                    f'{{"reasons":{listed(f.reasons)},"times":{int(f.times)},'
                    f'"unit_id":{_string(f.unit_id)}}}'
                    for f in value
                )
            elif field.name in _UNIT_REASON_LISTS:
                text = ",".join(
                    f'{{"reasons":{listed(r.reasons)},"unit_id":{_string(r.unit_id)}}}'
                    for r in value
                )
            else:
                fields[field.name] = canonical_json(value).decode("utf-8")
                continue
            fields[field.name] = f"[{text}]"
        return "{" + ",".join(f"{_string(k)}:{fields[k]}" for k in sorted(fields)) + "}"


@attrs.frozen(kw_only=True)
class AnnualPlan:
    """A year's plan; ``problems`` lists every rule it does not meet (BL-3, BL-6, TJ-6 ...).

    ``yearly_probabilities``: every unit that could be inspected this year with its
    exact probability of being inspected (1.0 when planned; the year's draw's
    inclusion probability otherwise); units not listed have probability 0 (excluded,
    weight 0, or kept out by a recent inspection, listed in ``recently_inspected``).
    ``waived``: once-a-year units a jurisdiction set the national rule aside for.
    """

    parameters: YearParameters
    jurisdiction: str | None
    plugins: tuple[tuple[str, str], ...]  # (plugin, version) in effect
    commitment: str  # YearCommitment.hash of the inputs and decisions made before the seed
    rounds: tuple[Round, ...]
    mandatory: tuple[UnitReasons, ...]
    excluded: tuple[UnitReasons, ...]
    key_supervision: tuple[UnitFrequency, ...]
    waived: tuple[UnitReasons, ...]
    recently_inspected: tuple[UnitReasons, ...]
    yearly: YearlyDraw
    yearly_probabilities: tuple[tuple[str, float], ...]
    double_random_share: float
    min_random_share: float | None
    min_random_share_reason: Reason | None
    problems: tuple[Reason, ...]
    public_names: tuple[PublicName, ...] = ()

    @property
    def year(self) -> int:
        return self.parameters.year

    @property
    def draw_id(self) -> str:
        return self.parameters.draw_id

    @property
    def tasks_per_inspector(self) -> int:
        return self.parameters.tasks_per_inspector

    @property
    def random_ratio(self) -> float | None:
        return self.parameters.random_ratio

    @property
    def tasks(self) -> tuple[Task, ...]:
        return tuple(t for r in self.rounds for t in r.tasks)

    def times_inspected(self) -> dict[str, int]:
        """Unit id -> number of tasks in the year."""
        out: dict[str, int] = {}
        for task in self.tasks:
            out[task.unit_id] = out.get(task.unit_id, 0) + 1
        return out

    def yearly_probability(self, unit_id: str) -> float:
        """The unit's published probability of being inspected this year."""
        return dict(self.yearly_probabilities).get(unit_id, 0.0)


_TASK_SLOTS = slot_setters(
    Task,
    "unit_id unit_name round kind mode probability inspectors experts items reasons "
    "visit_order visit_date office_team",
)


def made_task(
    unit_id: str,
    unit_name: str,
    round_index: int,
    kind: TaskKind,
    mode: InspectionMode,
    probability: float,
    inspectors: tuple[str, ...],
    experts: tuple[str, ...],
    items: tuple[str, ...],
    reasons: tuple[Reason, ...],
    visit_order: int | None,
    visit_date: dt.date | None,
    office_team: bool,
) -> Task:
    """``Task(unit_id=unit_id, ...)`` for a plan's own values, its fields in order (the
    constructor converts and checks nothing either; this one takes no keywords)."""
    task: Task = object.__new__(Task)
    s_id, s_name, s_round, s_kind, s_mode, s_prob, s_insp, s_exp, s_items, s_why = _TASK_SLOTS[:10]
    s_order, s_date, s_office = _TASK_SLOTS[10:]
    s_id(task, unit_id)
    s_name(task, unit_name)
    s_round(task, round_index)
    s_kind(task, kind)
    s_mode(task, mode)
    s_prob(task, probability)
    s_insp(task, inspectors)
    s_exp(task, experts)
    s_items(task, items)
    s_why(task, reasons)
    s_order(task, visit_order)
    s_date(task, visit_date)
    s_office(task, office_team)
    return task
