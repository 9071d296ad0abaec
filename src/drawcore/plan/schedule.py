"""Annual plans: a year of inspections, fair over the whole year (BL-5, BL-6, TJ-5).

:func:`plan_year` turns the registries, the year's :class:`YearParameters` and a
jurisdiction's :class:`~drawcore.plan.policy.Policy` into an :class:`AnnualPlan`:

1. **Decisions** (before the seed; :func:`commit_year` hashes them): the policy's
   weights, exclusions, frequencies, windows and team needs, plus the core's
   once-a-year rule (:mod:`drawcore.plan.once_a_year`), and the enforcement
   capacity of every open round (BL-5). Planned units that cannot fit, or industry
   experts too few for the planned tasks that need them, are refused here with
   :class:`InfeasibleError`, naming what is short and by how much.
2. **The yearly design** (:mod:`drawcore.plan.yearly`): planned units placed in
   distinct open rounds; one exact fixed-size draw for the year with published
   yearly inclusion probabilities; every drawn unit placed in one open round.
3. **Teams** (BL-5, TJ-8): every round is staffed by
   :func:`drawcore.draw.teams.draw_teams` with the policy's recusals and the declared
   conflicts of interest (回避); a general inspection (TJ-5) is not staffed here.

Every task carries its items (BL-9); its standard form (BL-7) is derived from them
(:func:`task_form`), so the record does not repeat it. The plan reports
its double-random share against the policy's minimum (BL-6), once-a-year units the
rounds left cannot take, and the policy's plan checks; ``strict=True`` turns any
problem into :class:`RuleError`. Everything is a pure function of the inputs and the
seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.randomness import DrawKey
from drawcore.draw.team_model import (
    MIN_TEAM_SIZE,
    Recusal,
    TeamAssignment,
    TeamTask,
    _expertise,
    drawn_task,
)
from drawcore.draw.teams import draw_teams
from drawcore.errors import InfeasibleError, RuleError
from drawcore.model import Expert, InspectionItem, InspectionMode, Inspector, Unit
from drawcore.plan.amendment import METHOD as AMENDMENT_METHOD
from drawcore.plan.amendment import draw_amendment
from drawcore.plan.collection import cycles_collected_after
from drawcore.plan.forms import format_plan, task_form
from drawcore.plan.parameters import ROUND_COUNTS, YearParameters
from drawcore.plan.policy import CORE, Policy
from drawcore.plan.prepare import DeclaredConflict, OfficeTeams, Prepared, parameters_of, prepare
from drawcore.plan.tasks import (
    AnnualPlan,
    InspectionForm,
    PublicName,
    Round,
    Task,
    TaskKind,
    UnitFrequency,
    UnitReasons,
    YearCommitment,
    made_task,
)
from drawcore.plan.yearly import (
    YearlyDraw,
    allowed_from,
    draw_year,
    place_drawn,
    place_planned,
)
from drawcore.plugin.values import PlanSummary, Reason

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
    "YearParameters",
    "commit_year",
    "format_plan",
    "plan_prepared",
    "plan_year",
    "task_form",
]


def _working_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Monday to Friday from ``start`` to ``end``: the days key inspections are spread over."""
    days = (end - start).days + 1
    every = (start + dt.timedelta(days=k) for k in range(days))
    return [d for d in every if d.weekday() < 5]


def commit_year(
    units: Iterable[Unit],
    inspectors: Iterable[Inspector],
    *,
    rules: Policy,
    params: YearParameters | None = None,
    experts: Iterable[Expert] = (),
    items: Iterable[InspectionItem] = (),
    conflicts: Iterable[DeclaredConflict] = (),
    office_teams: OfficeTeams | None = None,
    **year: Any,
) -> YearCommitment:
    """What :func:`plan_year` with the same arguments fixes before the seed: journal its
    hash first, draw the seed after, then plan. Raises as :func:`plan_year` does for
    bad inputs and impossible plans. The year's parameters are ``params`` or the
    keywords of :class:`YearParameters` (``year=2019, rounds=4, ...``)."""
    params = parameters_of(params, year)
    return prepare(
        units,
        inspectors,
        params,
        rules=rules,
        experts=experts,
        items=items,
        conflicts=conflicts,
        office_teams=office_teams or {},
    ).commitment


@attrs.frozen(kw_only=True, eq=False)
class _Year:
    """What every round of one plan shares when its tasks and teams are built."""

    prep: Prepared
    rules: Policy
    seed: str | bytes
    notes: dict[int, list[Reason]]
    recusals: dict[str, list[Recusal]]
    items: dict[tuple[str, str], tuple[str, ...]] = attrs.field(factory=dict)

    def items_for(self, unit: Unit) -> tuple[str, ...]:
        """The ids of the items that apply to ``unit`` (they depend on its industry and
        subject type only, so each pair is asked once)."""
        kind = (unit.industry, unit.subject_type)
        found = self.items.get(kind)
        if found is None:
            found = tuple(i.item_id for i in self.prep.items if i.applies_to(unit))
            self.items[kind] = found
        return found


@attrs.frozen(kw_only=True)
class RoundInputs:
    """One round's inputs to :func:`_build_round`: its place in the year and its units.

    ``entries``: (unit position, kind, yearly probability) of every task in the round.
    """

    index: int
    start: dt.date
    end: dt.date
    capacity: int
    open: bool
    draw_id: str
    entries: tuple[tuple[int, TaskKind, float], ...]


@cycles_collected_after
def plan_year(
    units: Iterable[Unit],
    inspectors: Iterable[Inspector],
    *,
    rules: Policy,
    seed: str | bytes,
    params: YearParameters | None = None,
    experts: Iterable[Expert] = (),
    items: Iterable[InspectionItem] = (),
    conflicts: Iterable[DeclaredConflict] = (),
    office_teams: OfficeTeams | None = None,
    strict: bool = False,
    **year: Any,
) -> AnnualPlan:
    """Plan a year under ``rules``; see the module docstring.

    The year's parameters are ``params`` or the keywords of :class:`YearParameters`
    (``year``, ``rounds``, ``tasks_per_inspector``, ``capacity``, ``random_ratio``,
    ``registry_date``, ``draw_id``, ``as_of``). ``conflicts``: declared conflicts of
    interest (BL-5 回避), ``(inspector_id, unit_id)`` pairs or :class:`Recusal`
    values, honoured by every team draw beside the rules' own. ``office_teams``: unit
    id -> the inspectors the office fixed for its general inspections (TJ-5); such a
    task carries that team (checked against recusal and the workload cap) and accepts
    results from it. The plan's
    ``commitment`` is the hash of :func:`commit_year` with the same arguments, which
    does not depend on ``seed``: journal it first. Raises
    :class:`InvalidInputError` for bad arguments, :class:`InfeasibleError` when
    planned units, experts or teams do not fit, and with ``strict=True``
    :class:`RuleError` listing the plan's problems.
    """
    params = parameters_of(params, year)
    prep = prepare(
        units,
        inspectors,
        params,
        rules=rules,
        experts=experts,
        items=items,
        conflicts=conflicts,
        office_teams=office_teams or {},
    )
    return plan_prepared(prep, rules=rules, seed=seed, strict=strict)


@cycles_collected_after
def plan_prepared(
    prep: Prepared, *, rules: Policy, seed: str | bytes, strict: bool = False
) -> AnnualPlan:
    """The plan :func:`plan_year` draws once :func:`~drawcore.plan.prepare.prepare` has
    decided ``prep`` under the same ``rules`` (a replay that asked the rules already
    does not ask them again)."""
    params = prep.params
    unit_list, ur, caps = prep.units, prep.decisions, prep.capacities
    key = DrawKey.derive(seed, params.draw_id)
    periods = params.periods()
    starts = [s for s, _ in periods]
    ids = [u.unit_id for u in unit_list]
    last = [u.last_inspected for u in unit_list]
    seen = np.array([d is not None for d in last], dtype=np.bool_)
    last_day = np.array([d.toordinal() if d is not None else 0 for d in last], dtype=np.int64)
    first_round = allowed_from(last_day, seen, ur.recent_inspection_days, starts)
    problems: list[Reason] = []

    times = ur.times
    too_many = [
        f"{ids[i]} needs {int(times[i])} rounds, the plan has {params.rounds}"
        for i in np.flatnonzero(times > params.rounds).tolist()
    ]
    if too_many:
        raise InfeasibleError(
            f"{len(too_many)} unit(s) need more rounds than the plan has: "
            + "; ".join(too_many[:10])
        )
    open_count = sum(params.open_rounds())
    capped = np.minimum(times, open_count)
    for i in np.flatnonzero(capped < times).tolist():
        problems.append(
            Reason(
                clause="NAT-7" if ur.mandatory[i] else "BL-6",
                plugin=CORE,
                text=f"{ids[i]} needs {int(times[i])} inspection(s) in distinct rounds; only "
                f"{open_count} round(s) remain after {params.as_of}: planned {int(capped[i])}",
            )
        )
    placed, inside = place_planned(ids, capped.tolist(), first_round.tolist(), caps, key)
    notes: dict[int, list[Reason]] = {}
    for i in inside:
        window = ur.recent_inspection_reasons.get(ids[i])
        if window is not None:
            notes[i] = [
                Reason(
                    clause=window.clause,
                    plugin=CORE,
                    text=f"planned inside the recent-inspection window (last inspected "
                    f"{last[i]}); the planned inspection takes precedence",
                )
            ]

    drawable = ~ur.excluded & (times == 0) & (ur.weights > 0)
    kept_out = drawable & (first_round >= params.rounds)
    pool_idx = np.flatnonzero(drawable & ~kept_out)
    pool_idx = pool_idx[np.argsort(np.array(ids, dtype=object)[pool_idx].astype(str))]
    room = [c - len(p) for c, p in zip(caps, placed, strict=True)]
    size = min(sum(room), int(pool_idx.size))
    if params.random_ratio is not None:
        size = min(size, round(params.random_ratio * int(pool_idx.size)))
    pool_ids = [ids[i] for i in pool_idx.tolist()]
    if params.amendment is not None and params.random_ratio is None:
        chosen, probs, yearly = _amendment_draw(params, pool_ids, ur.weights[pool_idx], seed)
    else:
        chosen, probs, yearly = draw_year(
            pool_ids, ur.weights[pool_idx], size, seed=seed, draw_id=params.draw_id
        )
    drawn_ids = [pool_ids[j] for j in chosen]
    drawn_rounds, drawn_inside = place_drawn(
        drawn_ids, [int(first_round[pool_idx[j]]) for j in chosen], room, key
    )
    entries: list[list[tuple[int, TaskKind, float]]] = [
        [(i, TaskKind.PLANNED, 1.0) for i in p] for p in placed
    ]
    for k, (j, r) in enumerate(zip(chosen, drawn_rounds, strict=True)):
        i = int(pool_idx[j])
        entries[r].append((i, TaskKind.DRAWN, float(probs[j])))
        if k in drawn_inside and ids[i] in ur.recent_inspection_reasons:
            notes[i] = [
                Reason(
                    clause=ur.recent_inspection_reasons[ids[i]].clause,
                    plugin=CORE,
                    text=f"drawn for the year; no round outside the recent-inspection window "
                    f"(last inspected {last[i]}) had room left",
                )
            ]

    recusals: dict[str, list[Recusal]] = {}
    for c in (*rules.conflicts(unit_list, prep.inspectors, prep.context), *prep.declared):
        recusals.setdefault(c.unit_id, []).append(c)
    shared = _Year(prep=prep, rules=rules, seed=seed, notes=notes, recusals=recusals)
    built = [
        _build_round(
            RoundInputs(
                index=r + 1,
                start=start,
                end=end,
                capacity=caps[r],
                open=params.open_rounds()[r],
                draw_id=f"{params.draw_id}/round-{r + 1}",
                entries=tuple(entries[r]),
            ),
            shared,
        )
        for r, (start, end) in enumerate(periods)
    ]
    # planned units (each once) and the drawable ones with a chance: two runs sorted by id,
    # of distinct units (a planned unit is never drawable), merged by one sort
    yearly_probabilities = [(u, 1.0) for u in sorted({ids[i] for p in placed for i in p})]
    yearly_probabilities += [
        (u, float(p)) for u, p in zip(pool_ids, probs.tolist(), strict=True) if p > 0
    ]
    yearly_probabilities.sort(key=itemgetter(0))
    recently = [
        UnitReasons(
            unit_id=ids[i],
            reasons=(
                attrs.evolve(
                    ur.recent_inspection_reasons[ids[i]],
                    text=ur.recent_inspection_reasons[ids[i]].text
                    + f" (last inspected {last[i]}; no round of the year is outside the window)",
                ),
            ),
        )
        for i in np.flatnonzero(kept_out).tolist()
    ]
    return _finish(
        prep,
        rules,
        built,
        problems,
        yearly=yearly,
        yearly_probabilities=tuple(yearly_probabilities),
        recently_inspected=tuple(sorted(recently, key=lambda a: a.unit_id)),
        strict=strict,
    )


def _finish(
    prep: Prepared,
    rules: Policy,
    built: list[Round],
    problems: list[Reason],
    *,
    strict: bool,
    **plan_fields: Any,
) -> AnnualPlan:
    """The plan's share, problems and public names, and the plan itself."""
    params, context, ur = prep.params, prep.context, prep.decisions
    all_tasks = [t for rd in built for t in rd.tasks]
    share = sum(t.double_random for t in all_tasks) / len(all_tasks) if all_tasks else 0.0
    minimum = rules.min_random_share(context)
    if minimum is not None and share < minimum.share:
        problems.append(
            attrs.evolve(
                minimum.reason,
                text=f"double-random tasks are {share:.1%} of the plan, below the required "
                f"{minimum.share:.0%}",
            )
        )
    if prep.items:
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
    teamless = sorted(
        {t.unit_id for t in all_tasks if t.mode is InspectionMode.GENERAL and not t.inspectors}
    )
    if teamless:
        problems.append(
            Reason(
                clause="TJ-5",
                plugin=CORE,
                text=f"一般检查 general inspection of {len(teamless)} unit(s) without the "
                f"office's team ({', '.join(teamless[:5])}); give office_teams, or no result "
                "can be recorded for them",
            )
        )
    mentioned = {t.unit_id for t in all_tasks} | set(ur.mandatory_reasons)
    mentioned |= set(ur.exclusion_reasons) | {a.unit_id for a in plan_fields["recently_inspected"]}
    named = [u for u in prep.units if u.unit_id in mentioned]
    ids = [u.unit_id for u in named]
    names = [u.name for u in named]
    public_names = [
        PublicName(unit_id=uid, shown_id=shown_id, shown_name=shown_name)
        for uid, name, shown_id, shown_name in zip(
            ids,
            names,
            rules.mask_all("unit_id", ids, named),
            rules.mask_all("name", names, named),
            strict=True,
        )
        if (shown_id, shown_name) != (uid, name)
    ]
    planned = sum(t.kind is TaskKind.PLANNED for t in all_tasks)
    summary = PlanSummary(
        year=params.year,
        rounds=params.rounds,
        tasks=len(all_tasks),
        planned=planned,
        drawn=len(all_tasks) - planned,
        double_random_share=share,
    )
    problems.extend(rules.plan_checks(summary, context))
    plan = AnnualPlan(
        parameters=params,
        jurisdiction=rules.jurisdiction,
        plugins=rules.versions,
        commitment=prep.commitment.hash,
        rounds=tuple(built),
        mandatory=prep.commitment.mandatory,
        excluded=prep.commitment.excluded,
        key_supervision=prep.commitment.key_supervision,
        waived=prep.commitment.waived,
        double_random_share=share,
        min_random_share=minimum.share if minimum is not None else None,
        min_random_share_reason=minimum.reason if minimum is not None else None,
        problems=tuple(problems),
        public_names=tuple(sorted(public_names, key=lambda n: n.unit_id)),
        **plan_fields,
    )
    if strict and problems:
        raise RuleError(
            f"the {params.year} plan breaks {len(problems)} rule(s): "
            + "; ".join(map(str, problems))
        )
    return plan


def _amendment_draw(
    params: YearParameters, ids: list[str], weights: npt.NDArray[np.float64], seed: str | bytes
) -> tuple[list[int], npt.NDArray[np.float64], YearlyDraw]:
    """An amendment's draw: each unit independently with ``share * min(1, scale * w)``."""
    assert params.amendment is not None
    probs = params.amendment.probabilities(weights)
    chosen = draw_amendment(ids, probs, seed=seed, draw_id=params.draw_id)
    return (
        chosen,
        probs,
        YearlyDraw(
            draw_id=f"{params.draw_id}/amendment",
            eligible=len(ids),
            size=len(chosen),
            method=AMENDMENT_METHOD,
            fingerprint=None,
        ),
    )


def _ints(column: npt.NDArray[Any], rows: list[int]) -> list[int]:
    """``int(column[i])`` of every row ``i`` (an integer column read in one pass)."""
    picked = column[rows]
    return picked.tolist() if picked.dtype.kind in "iu" else [int(v) for v in picked]


_Needs = tuple[str | tuple[str, ...] | None, str | None, bool]


def _team_needs(expertise: tuple[str, ...], expert_expertise: tuple[str, ...]) -> _Needs:
    """A unit's expertise and expert expertise as :class:`TeamTask` stores them, and
    whether the expert expertise is one it takes unchecked (a non-empty string or none).
    The expertise goes through the task's own converter, which raises as the task
    would."""
    first = expert_expertise[0] if expert_expertise else None
    valid = first is None or (isinstance(first, str) and first != "")
    return _expertise(expertise), first, valid


def _build_round(inputs: RoundInputs, year: _Year) -> Round:
    """Modes, items, forms and teams of one round's tasks."""
    prep, ur = year.prep, year.prep.decisions
    entries = inputs.entries
    rows = [i for i, _, _ in entries]
    round_units = list(map(prep.units.__getitem__, rows))
    modes = year.rules.inspection_modes(
        prep.columns.take(rows, round_units),
        prep.context,
        planned=[kind is TaskKind.PLANNED for _, kind, _ in entries],
    )
    # the team needs of the round's units; sizes and expert counts the tasks take
    # unchecked when all of them are valid (else each task checks its own, as given)
    sizes, counts = _ints(ur.team_size, rows), _ints(ur.experts, rows)
    checked = min(sizes, default=MIN_TEAM_SIZE) >= MIN_TEAM_SIZE and min(counts, default=0) >= 0
    needs: dict[tuple[tuple[str, ...], tuple[str, ...]], _Needs] = {}
    areas, expert_areas = ur.expertise, ur.expert_expertise
    frequency_reasons, mandatory_reasons = ur.frequency_reasons, ur.mandatory_reasons
    notes, office = year.notes, prep.office_teams
    found_items, items_for = year.items, year.items_for
    general, planned = InspectionMode.GENERAL, TaskKind.PLANNED
    uids: list[str] = []
    task_items: list[tuple[str, ...]] = []
    task_reasons: list[tuple[Reason, ...]] = []
    team_tasks: list[TeamTask] = []
    for (i, kind, _), unit, choice, size, count in zip(
        entries, round_units, modes, sizes, counts, strict=True
    ):
        uid = unit.unit_id
        uids.append(uid)
        note = notes.get(i)
        if kind is planned:
            task_reasons.append(
                (
                    *frequency_reasons.get(uid, ()),
                    *mandatory_reasons.get(uid, ()),
                    *(note or ()),
                    choice.reason,
                )
            )
        else:
            task_reasons.append((*note, choice.reason) if note else (choice.reason,))
        applicable = found_items.get((unit.industry, unit.subject_type))
        task_items.append(items_for(unit) if applicable is None else applicable)
        mode = choice.mode
        if mode is general:
            fixed = office.get(uid)
            if fixed:
                team_tasks.append(TeamTask(unit_id=uid, mode=general, fixed_team=fixed))
            continue
        raw = (areas[i], expert_areas[i])
        need = needs.get(raw)
        if need is None:
            need = needs[raw] = _team_needs(*raw)
        expertise, expert_expertise, valid = need
        if checked and valid:
            team_tasks.append(drawn_task(uid, size, expertise, count, expert_expertise, mode))
        else:
            team_tasks.append(
                TeamTask(
                    unit_id=uid,
                    team_size=size,
                    expertise=expertise,
                    experts=count,
                    expert_expertise=expert_expertise,
                    mode=mode,
                )
            )
    team_draw = None
    teams: dict[str, TeamAssignment] = {}
    if team_tasks:
        per = prep.params.tasks_per_inspector
        amendment = prep.params.amendment
        team_draw = draw_teams(
            team_tasks,
            prep.inspectors,
            seed=year.seed,
            draw_id=f"{inputs.draw_id}/teams",
            conflicts=[p for t in team_tasks for p in year.recusals.get(t.unit_id, ())],
            max_tasks=per
            if amendment is None
            else amendment.caps(inputs.index, (i.inspector_id for i in prep.inspectors), per),
            experts=prep.experts,
            max_expert_tasks=per
            if amendment is None
            else amendment.caps(inputs.index, (e.expert_id for e in prep.experts), per),
            dates=_working_days(inputs.start, inputs.end),
        )
        teams = {a.unit_id: a for a in team_draw.assignments}
    index, none = inputs.index, ()
    tasks: list[Task] = []
    members: tuple[str, ...]
    experts: tuple[str, ...]
    for k in sorted(range(len(uids)), key=uids.__getitem__):  # by unit id
        _, kind, probability = entries[k]
        mode = modes[k].mode
        team = teams.get(uids[k])
        if team is None:
            members, experts, order, day, by_office = none, none, None, None, False
        else:
            members, experts = team.members, team.experts
            order, day, by_office = team.visit_order, team.visit_date, mode is general
        tasks.append(
            made_task(
                uids[k],
                round_units[k].name,
                index,
                kind,
                mode,
                probability,
                members,
                experts,
                task_items[k],
                task_reasons[k],
                order,
                day,
                by_office,
            )
        )
    deadline = year.rules.publication_deadline(inputs.end, prep.context)
    return Round(
        index=inputs.index,
        start=inputs.start,
        end=inputs.end,
        capacity=inputs.capacity,
        open=inputs.open,
        draw_id=inputs.draw_id,
        tasks=tuple(tasks),
        publication_due=deadline.due,
        publication_reason=deadline.reason,
        team_draw=team_draw,
    )
