"""Annual plans: a year of inspections split into rounds (BL-5, BL-6, TJ-5).

:func:`plan_year` turns the registries and a jurisdiction's :class:`Rules` into an
:class:`AnnualPlan`, in four steps that read the plugins' decisions as plain values:

1. **Capacity** (BL-5 "enforcement capacity"): each round holds at most
   ``active inspectors * tasks_per_inspector // team size`` tasks, where the team
   size is the largest any unit needs (so every round can be staffed).
2. **Placements** (TJ-5 at least once a year; BL-6 / TJ-5 key supervision): a unit
   with ``times >= 1`` planned inspections gets that many distinct rounds, drawn
   uniformly from the rounds outside its recent-inspection window that still have
   room. Units are placed most-constrained first (more ``times`` first, then in the
   order of a keyed hash of their ids); each unit's rounds come from its own keyed
   stream ``key.child("placement/<unit id>")``. A placement never exceeds a round's
   capacity; a choice that would leave later units without room is redrawn (see
   :func:`_place`), and only a plan no placement can satisfy is refused with
   :class:`InfeasibleError`.
3. **Draws** (double-random): the rest of each round is filled by
   :func:`drawcore.sampling.sample_units` (exact inclusion probabilities, recorded
   per task) from the units that are not excluded, not planned, not yet drawn this
   year and not inside their recent-inspection window at the round's start.
   ``random_ratio`` limits the draws to that share of the eligible units over the year.
4. **Teams** (BL-5, TJ-8): every round is staffed by :func:`drawcore.assignment.draw_teams`
   with the plugins' conflicts (recusal) and team requirements; a general inspection
   (TJ-5) keeps the office's team and is not staffed here.

Every task carries its inspection items (BL-9) and a pre-filled standard form
(BL-7). The plan reports its double-random share against the plugins' minimum
(BL-6) and the plugins' plan checks; ``strict=True`` turns any problem into
:class:`RuleError`. Everything is a pure function of the inputs and the seed.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import cast

import attrs
import numpy as np

from drawcore.draw.randomness import DrawKey, hash_ids
from drawcore.draw.sampling import sample_units
from drawcore.draw.team_model import TeamAssignment, TeamDraw, TeamTask
from drawcore.draw.teams import draw_teams
from drawcore.errors import InfeasibleError, InvalidInputError, RuleError
from drawcore.model import Expert, InspectionItem, InspectionMode, Inspector, Unit
from drawcore.plan.policy import CORE, Policy, UnitDecisions
from drawcore.plugin.values import PlanContext, PlanSummary, Reason
from drawcore.serde import fingerprint

__all__ = [
    "ROUND_COUNTS",
    "AnnualPlan",
    "InspectionForm",
    "PublicName",
    "Round",
    "Task",
    "TaskKind",
    "UnitFrequency",
    "UnitReasons",
    "YearCommitment",
    "commit_year",
    "format_plan",
    "plan_year",
]

#: Rounds a year can be split into: whole months each.
ROUND_COUNTS = (1, 2, 3, 4, 6, 12)
#: Uniform draws of a unit's rounds tried before the most-room fallback.
_TRIES = 4

_METHODS = {
    InspectionMode.DOUBLE_RANDOM: "双随机: on-site inspection; unit and inspectors drawn",
    InspectionMode.KEY: "重点检查: planned unit, inspectors and round drawn",
    InspectionMode.GENERAL: "一般检查: unit drawn, team set by the office",
    InspectionMode.COVERT: "暗查暗访: unannounced on-site inspection; unit and inspectors drawn",
}
_DOUBLE_RANDOM = (InspectionMode.DOUBLE_RANDOM, InspectionMode.COVERT)


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
    """A unit's planned inspections this year and why (key supervision, must-once-a-year)."""

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
    """One inspection of one unit in one round."""

    unit_id: str
    unit_name: str
    round: int
    kind: TaskKind
    mode: InspectionMode
    probability: float  # inclusion probability in this round's draw; 1.0 when planned
    inspectors: tuple[str, ...]
    experts: tuple[str, ...]
    items: tuple[str, ...]
    form: InspectionForm
    reasons: tuple[Reason, ...]
    visit_order: int | None = None  # key inspection: drawn order of visits in the round (TJ-5)
    visit_date: dt.date | None = None  # key inspection: drawn working day of the visit

    @property
    def double_random(self) -> bool:
        """Unit and inspectors both drawn (BL-1, TJ-5)."""
        return self.kind is TaskKind.DRAWN and self.mode in _DOUBLE_RANDOM


@attrs.frozen(kw_only=True)
class Round:
    """One round of the plan: its dates, capacity, draw and tasks (sorted by unit id)."""

    index: int  # 1-based
    start: dt.date
    end: dt.date
    capacity: int
    draw_id: str
    eligible: int  # units the round's random draw chose from
    sample_method: str | None  # how the random draw was made (sampling.UnitSample.method)
    sample_fingerprint: str | None  # SHA-256 of the random draw's inputs, to replay it
    tasks: tuple[Task, ...]
    recently_inspected: tuple[
        UnitReasons, ...
    ]  # kept out of this round's draw by a recent inspection
    publication_due: dt.date
    publication_reason: Reason
    team_draw: TeamDraw | None


@attrs.frozen(kw_only=True)
class YearCommitment:
    """Everything an annual plan fixes before its seed exists (commit before reveal).

    The fingerprints are SHA-256 over the canonical JSON of the records sorted by
    id, so they do not depend on row order or file format. Journal :attr:`hash`
    before the seed is drawn; the plan drawn later carries the same hash in
    :attr:`AnnualPlan.commitment`, and anyone holding the inputs can recompute it.
    """

    year: int
    rounds: int
    draw_id: str
    jurisdiction: str | None
    plugins: tuple[tuple[str, str], ...]
    tasks_per_inspector: int
    capacities: tuple[int, ...]
    random_ratio: float | None
    registry_date: dt.date | None
    units: str
    inspectors: str
    experts: str
    items: str
    mandatory: tuple[UnitReasons, ...]
    excluded: tuple[UnitReasons, ...]
    key_supervision: tuple[UnitFrequency, ...]

    @property
    def hash(self) -> str:
        return fingerprint(self, domain="drawcore/year-commitment/1")


@attrs.frozen(kw_only=True)
class AnnualPlan:
    """A year's plan; ``problems`` lists every rule it does not meet (BL-3, BL-6, TJ-6 ...)."""

    year: int
    jurisdiction: str | None
    plugins: tuple[tuple[str, str], ...]  # (plugin, version) in effect
    draw_id: str
    commitment: str  # YearCommitment.hash of the inputs and decisions made before the seed
    tasks_per_inspector: int
    random_ratio: float | None
    rounds: tuple[Round, ...]
    mandatory: tuple[UnitReasons, ...]
    excluded: tuple[UnitReasons, ...]
    key_supervision: tuple[UnitFrequency, ...]
    double_random_share: float
    min_random_share: float | None
    min_random_share_reason: Reason | None
    problems: tuple[Reason, ...]
    public_names: tuple[PublicName, ...] = ()

    @property
    def tasks(self) -> tuple[Task, ...]:
        return tuple(t for r in self.rounds for t in r.tasks)

    def times_inspected(self) -> dict[str, int]:
        """Unit id -> number of tasks in the year."""
        out: dict[str, int] = {}
        for task in self.tasks:
            out[task.unit_id] = out.get(task.unit_id, 0) + 1
        return out


def _round_dates(year: int, rounds: int) -> list[tuple[dt.date, dt.date]]:
    months = 12 // rounds
    starts = [dt.date(year, 1 + i * months, 1) for i in range(rounds)]
    ends = [s - dt.timedelta(days=1) for s in [*starts[1:], dt.date(year + 1, 1, 1)]]
    return list(zip(starts, ends, strict=True))


def _capacities(
    capacity: int | Sequence[int] | None,
    rounds: int,
    inspectors: int,
    tasks_per_inspector: int,
    team_size: int,
) -> list[int]:
    if capacity is None:
        return [inspectors * tasks_per_inspector // team_size] * rounds
    if isinstance(capacity, int):
        caps = [capacity] * rounds
    else:
        caps = list(capacity)
        if len(caps) != rounds:
            raise InvalidInputError(f"capacity lists {len(caps)} rounds, the plan has {rounds}")
    for i, c in enumerate(caps):
        if not isinstance(c, int) or isinstance(c, bool) or c < 0:
            raise InvalidInputError(f"capacity of round {i + 1} must be an integer >= 0, got {c!r}")
    return caps


def _working_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Monday to Friday from ``start`` to ``end``: the days key inspections are spread over."""
    days = (end - start).days + 1
    every = (start + dt.timedelta(days=k) for k in range(days))
    return [d for d in every if d.weekday() < 5]


def _outside_window(last: dt.date | None, days: int, starts: Sequence[dt.date]) -> list[bool]:
    if last is None or days <= 0:
        return [True] * len(starts)
    return [(start - last).days >= days for start in starts]


def _fits(caps: Sequence[int], demand: Sequence[int]) -> bool:
    """Whether units needing ``demand[t]`` units of ``t`` distinct rounds fit ``caps``.

    Max-flow min-cut for units -> rounds (one seat per unit and round): the
    placement exists iff for every ``b`` the ``b`` smallest capacities plus
    ``sum_t demand[t] * min(t, R - b)`` cover the total demand.
    """
    rounds = len(caps)
    total = sum(t * n for t, n in enumerate(demand))
    smallest = sorted(caps)
    covered = 0
    for b in range(rounds + 1):
        if covered + sum(n * min(t, rounds - b) for t, n in enumerate(demand)) < total:
            return False
        if b < rounds:
            covered += smallest[b]
    return True


def _place(
    units: Sequence[Unit],
    ur: UnitDecisions,
    starts: Sequence[dt.date],
    caps: list[int],
    key: DrawKey,
) -> tuple[list[list[int]], dict[int, list[Reason]]]:
    """Planned units -> rounds (step 2 of the module docstring).

    A unit's rounds are a uniform random choice among the open rounds outside its
    window (then among all open rounds), redrawn up to :data:`_TRIES` times if the
    choice would leave the units still to be placed without room. Failing that, the
    unit takes the rounds with the most room left (ties in random order): taken
    most-constrained first, that step always keeps a placement possible (the
    Gale-Ryser construction), so only a truly impossible plan is refused.
    """
    rounds = len(starts)
    placed: list[list[int]] = [[] for _ in range(rounds)]
    notes: dict[int, list[Reason]] = {}
    planned = np.flatnonzero(ur.times > 0)
    if planned.size == 0:
        return placed, notes
    too_many = [
        f"{units[i].unit_id} needs {int(ur.times[i])} rounds, the plan has {rounds}"
        for i in planned.tolist()
        if ur.times[i] > rounds
    ]
    if too_many:
        raise InfeasibleError(
            f"{len(too_many)} unit(s) need more rounds than the plan has: "
            + "; ".join(too_many[:10])
        )
    demand = [0] * (rounds + 1)
    for i in planned.tolist():
        demand[int(ur.times[i])] += 1
    if not _fits(caps, demand):
        needed = sum(t * n for t, n in enumerate(demand))
        raise InfeasibleError(
            f"{int(planned.size)} planned unit(s) need {needed} inspections in distinct rounds, "
            f"which the rounds' capacity {list(caps)} cannot hold (add inspectors, raise "
            "tasks_per_inspector or capacity)"
        )
    ids = [units[i].unit_id for i in planned.tolist()]
    order_hash = hash_ids(key.child("placement-order"), ids)
    order = sorted(
        range(planned.size),
        key=lambda j: (-int(ur.times[planned[j]]), int(order_hash[j]), ids[j]),
    )
    remaining = list(caps)
    for j in order:
        i = int(planned[j])
        times = int(ur.times[i])
        unit = units[i]
        demand[times] -= 1
        outside = _outside_window(unit.last_inspected, int(ur.recent_inspection_days[i]), starts)
        open_rounds = [r for r in range(rounds) if remaining[r] > 0]
        stream = key.child(f"placement/{unit.unit_id}").stream()
        chosen: list[int] | None = None
        for pool in ([r for r in open_rounds if outside[r]], open_rounds):
            if len(pool) < times:
                continue
            for _ in range(_TRIES):
                pick = cast(list[int], stream.shuffle(pool))[:times]
                after = [c - (r in pick) for r, c in enumerate(remaining)]
                if _fits(after, demand):
                    chosen = pick
                    break
            if chosen is not None:
                break
        if chosen is None:
            tie = stream.shuffle(open_rounds)
            ranked = sorted(open_rounds, key=lambda r: (-remaining[r], tie.index(r)))
            chosen = ranked[:times]
        if not all(outside[r] for r in chosen) and unit.unit_id in ur.recent_inspection_reasons:
            window = ur.recent_inspection_reasons[unit.unit_id]
            notes[i] = [
                Reason(
                    clause=window.clause,
                    plugin=CORE,
                    text=f"planned inside the recent-inspection window (last inspected "
                    f"{unit.last_inspected}); the planned inspection takes precedence",
                )
            ]
        for r in chosen:
            placed[r].append(i)
            remaining[r] -= 1
    return placed, notes


def _targets(ratio: float | None, pool: int, rounds: int) -> list[int] | None:
    if ratio is None:
        return None
    total = round(ratio * pool)
    base, extra = divmod(total, rounds)
    return [base + (1 if r < extra else 0) for r in range(rounds)]


def _form(unit: Unit, items: Sequence[InspectionItem], mode: InspectionMode) -> InspectionForm:
    scope = f"{unit.name}（{unit.industry}，{unit.subject_type}）{unit.address}".rstrip()
    return InspectionForm(
        unit_id=unit.unit_id,
        unit_name=unit.name,
        basis=tuple(sorted({item.legal_basis for item in items})),
        scope=scope,
        content=tuple(f"{item.item}: {item.content}" for item in items),
        method=_METHODS[mode],
    )


@attrs.frozen(kw_only=True, eq=False)
class _Prepared:
    """What :func:`plan_year` knows before it uses the seed."""

    units: list[Unit]
    inspectors: list[Inspector]
    experts: list[Expert]
    items: list[InspectionItem]
    periods: list[tuple[dt.date, dt.date]]
    context: PlanContext
    decisions: UnitDecisions
    capacities: list[int]
    commitment: YearCommitment


def _sorted_fingerprint(records: Iterable[object], key: str, domain: str) -> str:
    return fingerprint(tuple(sorted(records, key=lambda r: str(getattr(r, key)))), domain=domain)


def _prepare(
    units: Iterable[Unit],
    inspectors: Iterable[Inspector],
    *,
    year: int,
    rules: Policy,
    rounds: int,
    tasks_per_inspector: int,
    capacity: int | Sequence[int] | None,
    random_ratio: float | None,
    experts: Iterable[Expert],
    items: Iterable[InspectionItem],
    registry_date: dt.date | None,
    draw_id: str | None,
) -> _Prepared:
    unit_list = list(units)
    all_inspectors = list(inspectors)
    all_experts = list(experts)
    active = [i for i in all_inspectors if i.active]
    expert_list = [e for e in all_experts if e.active]
    item_list = sorted(items, key=lambda it: it.item_id)
    if not isinstance(year, int) or not 1949 <= year <= 9999:
        raise InvalidInputError(f"year must be a four-digit year, got {year!r}")
    if rounds not in ROUND_COUNTS:
        raise InvalidInputError(
            f"rounds must be one of {ROUND_COUNTS} (whole months), got {rounds!r}"
        )
    if not isinstance(tasks_per_inspector, int) or tasks_per_inspector < 1:
        raise InvalidInputError(f"tasks_per_inspector must be >= 1, got {tasks_per_inspector!r}")
    if random_ratio is not None and not 0.0 <= random_ratio <= 1.0:
        raise InvalidInputError(f"random_ratio must be in [0, 1], got {random_ratio!r}")
    counts = Counter(u.unit_id for u in unit_list)
    dupes = sorted(uid for uid, n in counts.items() if n > 1)
    if dupes:
        raise InvalidInputError(f"unit ids appear more than once: {', '.join(dupes[:10])}")
    periods = _round_dates(year, rounds)
    context = PlanContext(
        year=year,
        rounds=rounds,
        start=periods[0][0],
        jurisdiction=rules.jurisdiction,
        registry_date=registry_date,
        inspector_expertise={e for i in active for e in i.expertise},
        expert_expertise={e for x in expert_list for e in x.expertise},
        experts=len(expert_list),
    )
    ur = rules.evaluate(unit_list, context)
    team_size = int(ur.team_size.max()) if unit_list else 2
    caps = _capacities(capacity, rounds, len(active), tasks_per_inspector, team_size)
    commitment = YearCommitment(
        year=year,
        rounds=rounds,
        draw_id=draw_id or f"plan/{year}",
        jurisdiction=rules.jurisdiction,
        plugins=rules.versions,
        tasks_per_inspector=tasks_per_inspector,
        capacities=tuple(caps),
        random_ratio=random_ratio,
        registry_date=registry_date,
        units=_sorted_fingerprint(unit_list, "unit_id", "drawcore/units/1"),
        inspectors=_sorted_fingerprint(all_inspectors, "inspector_id", "drawcore/inspectors/1"),
        experts=_sorted_fingerprint(all_experts, "expert_id", "drawcore/experts/1"),
        items=_sorted_fingerprint(item_list, "item_id", "drawcore/items/1"),
        mandatory=tuple(
            UnitReasons(unit_id=u, reasons=rs) for u, rs in sorted(ur.mandatory_reasons.items())
        ),
        excluded=tuple(
            UnitReasons(unit_id=u, reasons=rs) for u, rs in sorted(ur.exclusion_reasons.items())
        ),
        key_supervision=tuple(
            UnitFrequency(
                unit_id=unit_list[i].unit_id,
                times=int(ur.times[i]),
                reasons=ur.frequency_reasons.get(unit_list[i].unit_id, ()),
            )
            for i in sorted(
                np.flatnonzero((ur.frequency > 0) & ~ur.excluded).tolist(),
                key=lambda i: unit_list[i].unit_id,
            )
        ),
    )
    return _Prepared(
        units=unit_list,
        inspectors=active,
        experts=expert_list,
        items=item_list,
        periods=periods,
        context=context,
        decisions=ur,
        capacities=caps,
        commitment=commitment,
    )


def commit_year(
    units: Iterable[Unit],
    inspectors: Iterable[Inspector],
    *,
    year: int,
    rules: Policy,
    rounds: int = 4,
    tasks_per_inspector: int = 20,
    capacity: int | Sequence[int] | None = None,
    random_ratio: float | None = None,
    experts: Iterable[Expert] = (),
    items: Iterable[InspectionItem] = (),
    registry_date: dt.date | None = None,
    draw_id: str | None = None,
) -> YearCommitment:
    """What :func:`plan_year` with the same arguments fixes before the seed: journal its hash
    first, draw the seed after, then plan. Raises as :func:`plan_year` does for bad inputs."""
    return _prepare(
        units,
        inspectors,
        year=year,
        rules=rules,
        rounds=rounds,
        tasks_per_inspector=tasks_per_inspector,
        capacity=capacity,
        random_ratio=random_ratio,
        experts=experts,
        items=items,
        registry_date=registry_date,
        draw_id=draw_id,
    ).commitment


def plan_year(
    units: Iterable[Unit],
    inspectors: Iterable[Inspector],
    *,
    year: int,
    rules: Policy,
    seed: str | bytes,
    rounds: int = 4,
    tasks_per_inspector: int = 20,
    capacity: int | Sequence[int] | None = None,
    random_ratio: float | None = None,
    experts: Iterable[Expert] = (),
    items: Iterable[InspectionItem] = (),
    registry_date: dt.date | None = None,
    draw_id: str | None = None,
    strict: bool = False,
) -> AnnualPlan:
    """Plan ``year`` in ``rounds`` rounds under ``rules``; see the module docstring.

    ``tasks_per_inspector`` is per round. ``capacity`` overrides the computed
    per-round capacity (one number, or one per round). ``random_ratio`` caps the
    random draws at that share of the eligible units over the year (``None``: fill
    every round's capacity). ``registry_date`` is the unit registry's last renewal
    (BL-3). The plan's ``commitment`` is the hash of :func:`commit_year` with the
    same arguments, which does not depend on ``seed``: journal it first. Raises
    :class:`InvalidInputError` for bad arguments, :class:`InfeasibleError` when
    planned units or teams do not fit, and with ``strict=True`` :class:`RuleError`
    listing the plan's problems.
    """
    prep = _prepare(
        units,
        inspectors,
        year=year,
        rules=rules,
        rounds=rounds,
        tasks_per_inspector=tasks_per_inspector,
        capacity=capacity,
        random_ratio=random_ratio,
        experts=experts,
        items=items,
        registry_date=registry_date,
        draw_id=draw_id,
    )
    unit_list, active, expert_list, item_list = (
        prep.units,
        prep.inspectors,
        prep.experts,
        prep.items,
    )
    periods, context, ur, caps = prep.periods, prep.context, prep.decisions, prep.capacities
    draw_id = prep.commitment.draw_id
    key = DrawKey.derive(seed, draw_id)
    starts = [s for s, _ in periods]
    placed, notes = _place(unit_list, ur, starts, caps, key)

    ids = np.array([u.unit_id for u in unit_list], dtype=object)
    drawable = ~ur.excluded & (ur.times == 0) & (ur.weights > 0)
    targets = _targets(random_ratio, int(drawable.sum()), rounds)
    drawn_before = np.zeros(len(unit_list), dtype=np.bool_)
    last = [u.last_inspected for u in unit_list]
    seen = np.array([d is not None for d in last], dtype=np.bool_)
    last_day = np.array([d.toordinal() if d is not None else 0 for d in last], dtype=np.int64)
    conflicts = rules.conflicts(unit_list, active, context)
    conflict_pairs: dict[str, list[tuple[str, str, str]]] = {}
    for c in conflicts:
        conflict_pairs.setdefault(c.unit_id, []).append((c.inspector_id, c.unit_id, str(c.reason)))
    built: list[Round] = []
    for r, (start, end) in enumerate(periods):
        round_id = f"{draw_id}/round-{r + 1}"
        in_window = seen & (start.toordinal() - last_day < ur.recent_inspection_days)
        pool = drawable & ~drawn_before
        window_idx = np.flatnonzero(pool & in_window)
        pool &= ~in_window
        room = caps[r] - len(placed[r])
        size = min(room, int(pool.sum()))
        if targets is not None:
            size = min(size, targets[r])
        pool_idx = np.flatnonzero(pool)
        # ids in sorted order: the recorded fingerprint of the draw's inputs is then
        # independent of the registry's row order, like the draw itself
        pool_idx = pool_idx[np.argsort(ids[pool_idx].astype(str), kind="stable")]
        chosen: list[tuple[int, float]] = []
        sample_info: tuple[str | None, str | None] = (None, None)
        if size > 0:
            sample = sample_units(
                ids[pool_idx].tolist(),
                ur.weights[pool_idx],
                size,
                seed=seed,
                draw_id=round_id,
            )
            index_of = {unit_list[i].unit_id: i for i in pool_idx.tolist()}
            chosen = [(index_of[str(u)], float(sample.probabilities[u])) for u in sample.selected]
            for i, _ in chosen:
                drawn_before[i] = True
            sample_info = (sample.method, sample.fingerprint)
        entries = [(i, TaskKind.PLANNED, 1.0) for i in placed[r]]
        entries += [(i, TaskKind.DRAWN, p) for i, p in chosen]
        built.append(
            _build_round(
                r,
                start,
                end,
                caps[r],
                round_id,
                int(pool.sum()),
                sample_info,
                entries,
                [
                    UnitReasons(
                        unit_id=unit_list[i].unit_id,
                        reasons=(
                            attrs.evolve(
                                ur.recent_inspection_reasons[unit_list[i].unit_id],
                                text=ur.recent_inspection_reasons[unit_list[i].unit_id].text
                                + f" (last inspected {last[i]})",
                            ),
                        ),
                    )
                    for i in window_idx.tolist()
                ],
                unit_list=unit_list,
                ur=ur,
                notes=notes,
                rules=rules,
                context=context,
                items=item_list,
                inspectors=active,
                experts=expert_list,
                conflicts=conflict_pairs,
                seed=seed,
                tasks_per_inspector=tasks_per_inspector,
            )
        )

    all_tasks = [t for rd in built for t in rd.tasks]
    share = sum(t.double_random for t in all_tasks) / len(all_tasks) if all_tasks else 0.0
    minimum = rules.min_random_share(context)
    problems: list[Reason] = []
    if minimum is not None and share < minimum.share:
        problems.append(
            attrs.evolve(
                minimum.reason,
                text=f"double-random tasks are {share:.1%} of the plan, below the required "
                f"{minimum.share:.0%}",
            )
        )
    if item_list:
        bare = sorted({t.unit_id for t in all_tasks if not t.items})
        if bare:
            problems.append(
                Reason(
                    clause="BL-9",
                    plugin=CORE,
                    text=f"no inspection item applies to {len(bare)} unit(s): "
                    + ", ".join(bare[:5]),
                )
            )
    mentioned = {t.unit_id for t in all_tasks} | set(ur.mandatory_reasons)
    mentioned |= set(ur.exclusion_reasons) | {
        a.unit_id for rd in built for a in rd.recently_inspected
    }
    public_names = []
    for u in unit_list:
        if u.unit_id in mentioned:
            shown_id = rules.mask("unit_id", u.unit_id, u)
            shown_name = rules.mask("name", u.name, u)
            if (shown_id, shown_name) != (u.unit_id, u.name):
                public_names.append(
                    PublicName(unit_id=u.unit_id, shown_id=shown_id, shown_name=shown_name)
                )
    plan = AnnualPlan(
        year=year,
        jurisdiction=rules.jurisdiction,
        plugins=rules.versions,
        draw_id=draw_id,
        commitment=prep.commitment.hash,
        tasks_per_inspector=tasks_per_inspector,
        random_ratio=random_ratio,
        rounds=tuple(built),
        mandatory=prep.commitment.mandatory,
        excluded=prep.commitment.excluded,
        key_supervision=prep.commitment.key_supervision,
        double_random_share=share,
        min_random_share=minimum.share if minimum is not None else None,
        min_random_share_reason=minimum.reason if minimum is not None else None,
        problems=(),
        public_names=tuple(sorted(public_names, key=lambda n: n.unit_id)),
    )
    planned_tasks = sum(t.kind is TaskKind.PLANNED for t in all_tasks)
    summary = PlanSummary(
        year=year,
        rounds=rounds,
        tasks=len(all_tasks),
        planned=planned_tasks,
        drawn=len(all_tasks) - planned_tasks,
        double_random_share=share,
    )
    problems.extend(rules.plan_checks(summary, context))
    plan = attrs.evolve(plan, problems=tuple(problems))
    if strict and problems:
        raise RuleError(
            f"the {year} plan breaks {len(problems)} rule(s): " + "; ".join(map(str, problems))
        )
    return plan


def _build_round(
    r: int,
    start: dt.date,
    end: dt.date,
    capacity: int,
    round_id: str,
    eligible: int,
    sample_info: tuple[str | None, str | None],
    entries: list[tuple[int, TaskKind, float]],
    recently_inspected: list[UnitReasons],
    *,
    unit_list: Sequence[Unit],
    ur: UnitDecisions,
    notes: dict[int, list[Reason]],
    rules: Policy,
    context: PlanContext,
    items: Sequence[InspectionItem],
    inspectors: Sequence[Inspector],
    experts: Sequence[Expert],
    conflicts: dict[str, list[tuple[str, str, str]]],
    seed: str | bytes,
    tasks_per_inspector: int,
) -> Round:
    """Modes, items, forms and teams of one round's tasks."""
    prepared = []
    team_tasks: list[TeamTask] = []
    for i, kind, probability in entries:
        unit = unit_list[i]
        choice = rules.inspection_mode(unit, context, planned=kind is TaskKind.PLANNED)
        applicable = [item for item in items if item.applies_to(unit)]
        reasons: list[Reason] = []
        if kind is TaskKind.PLANNED:
            reasons += ur.frequency_reasons.get(unit.unit_id, ())
            reasons += ur.mandatory_reasons.get(unit.unit_id, ())
            reasons += notes.get(i, [])
        reasons.append(choice.reason)
        prepared.append((unit, kind, probability, choice.mode, applicable, tuple(reasons)))
        if choice.mode is not InspectionMode.GENERAL:
            expertise = ur.expertise[i]
            expert_expertise = ur.expert_expertise[i]
            team_tasks.append(
                TeamTask(
                    unit_id=unit.unit_id,
                    team_size=int(ur.team_size[i]),
                    expertise=expertise,
                    experts=int(ur.experts[i]),
                    expert_expertise=expert_expertise[0] if expert_expertise else None,
                    mode=choice.mode,
                )
            )
    team_draw = None
    teams: dict[str, TeamAssignment] = {}
    if team_tasks:
        team_draw = draw_teams(
            team_tasks,
            inspectors,
            seed=seed,
            draw_id=f"{round_id}/teams",
            conflicts=[p for t in team_tasks for p in conflicts.get(t.unit_id, ())],
            max_tasks=tasks_per_inspector,
            experts=experts,
            max_expert_tasks=tasks_per_inspector,
            dates=_working_days(start, end),
        )
        teams = {a.unit_id: a for a in team_draw.assignments}
    tasks = []
    for unit, kind, probability, mode, applicable, why in prepared:
        team = teams.get(unit.unit_id)
        tasks.append(
            Task(
                unit_id=unit.unit_id,
                unit_name=unit.name,
                round=r + 1,
                kind=kind,
                mode=mode,
                probability=probability,
                inspectors=team.members if team is not None else (),
                experts=team.experts if team is not None else (),
                items=tuple(item.item_id for item in applicable),
                form=_form(unit, applicable, mode),
                reasons=why,
                visit_order=team.visit_order if team is not None else None,
                visit_date=team.visit_date if team is not None else None,
            )
        )
    deadline = rules.publication_deadline(end, context)
    return Round(
        index=r + 1,
        start=start,
        end=end,
        capacity=capacity,
        draw_id=round_id,
        eligible=eligible,
        sample_method=sample_info[0],
        sample_fingerprint=sample_info[1],
        tasks=tuple(sorted(tasks, key=lambda t: t.unit_id)),
        recently_inspected=tuple(sorted(recently_inspected, key=lambda a: a.unit_id)),
        publication_due=deadline.due,
        publication_reason=deadline.reason,
        team_draw=team_draw,
    )


def format_plan(plan: AnnualPlan, *, limit: int | None = 20, mask: bool = True) -> str:
    """The plan as text for the CLI demo: rounds, tasks, mandatory and excluded reasons.

    ``limit`` caps the lines listed per section (``None``: everything). With
    ``mask`` units are shown as the plugins publish them (``plan.public_names``:
    ID-card numbers and persons' names in part) and a covert team only by its
    size (TJ-5: not disclosed before the date).
    """

    shown = {n.unit_id: n for n in plan.public_names} if mask else {}

    def uid(unit_id: str) -> str:
        return shown[unit_id].shown_id if unit_id in shown else unit_id

    def uname(unit_id: str, name: str) -> str:
        return shown[unit_id].shown_name if unit_id in shown else name

    def cut(lines: list[str]) -> list[str]:
        if limit is None or len(lines) <= limit:
            return lines
        return [*lines[:limit], f"    ... and {len(lines) - limit} more"]

    who = plan.jurisdiction or "national practice only"
    out = [
        f"Annual plan {plan.year} -- {who} ({', '.join(f'{n} {v}' for n, v in plan.plugins)})",
        f"  rounds: {len(plan.rounds)}; tasks: {len(plan.tasks)}; "
        f"double-random share: {plan.double_random_share:.1%}"
        + (
            f" (required >= {plan.min_random_share:.0%}, {plan.min_random_share_reason.clause})"
            if plan.min_random_share is not None and plan.min_random_share_reason is not None
            else ""
        ),
        f"  mandatory or key-supervision units: {len(plan.key_supervision)}; "
        f"excluded units: {len(plan.excluded)}",
    ]
    out.append("Mandatory (at least once a year):")
    out += cut(
        [f"  {uid(m.unit_id)}: " + "; ".join(map(str, m.reasons)) for m in plan.mandatory]
    ) or ["  (none)"]
    out.append("Key supervision (planned inspections per year):")
    out += cut(
        [
            f"  {uid(k.unit_id)}: {k.times}x -- " + "; ".join(map(str, k.reasons))
            for k in plan.key_supervision
        ]
    ) or ["  (none)"]
    out.append("Excluded:")
    out += cut(
        [f"  {uid(e.unit_id)}: " + "; ".join(map(str, e.reasons)) for e in plan.excluded]
    ) or ["  (none)"]
    for rd in plan.rounds:
        planned = sum(t.kind is TaskKind.PLANNED for t in rd.tasks)
        out.append(
            f"Round {rd.index} ({rd.start} .. {rd.end}): {len(rd.tasks)}/{rd.capacity} tasks, "
            f"{planned} planned, {len(rd.tasks) - planned} drawn from {rd.eligible} eligible, "
            f"{len(rd.recently_inspected)} kept out (recent inspection); "
            f"results due {rd.publication_due} "
            f"({rd.publication_reason.clause})"
        )
        lines = []
        for t in rd.tasks:
            if t.mode is InspectionMode.COVERT and mask:
                team = f"team of {len(t.inspectors)} (undisclosed)"
            elif t.inspectors:
                team = "team " + ",".join(t.inspectors)
            else:
                team = "team set by the office"
            if t.experts:
                team += " + experts " + ",".join(t.experts)
            how = "planned" if t.kind is TaskKind.PLANNED else f"drawn pi={t.probability:.3f}"
            if t.visit_date is not None:
                how += f", visit {t.visit_date}"
            lines.append(
                f"  {uid(t.unit_id)} {uname(t.unit_id, t.unit_name)} [{t.mode.value}, {how}] "
                f"{team}; {len(t.items)} item(s)"
            )
        out += cut(lines)
    out.append("Problems:")
    out += [f"  {p}" for p in plan.problems] or ["  (none)"]
    return "\n".join(out)
