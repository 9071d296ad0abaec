"""Inspector teams: the second "random" (BL-4, BL-5, BL-10, TJ-2, TJ-5, TJ-8).

For every drawn unit a team is drawn from the inspector registry so that
nobody can choose who inspects whom. The procedure is fixed and published:

1. **Processing order.** Tasks are taken in ascending order of
   ``hash_ids(key.child("order"), unit_ids)`` (ties by unit id), so that with
   workload caps no unit is favoured by its id or its row.
2. **Candidate order** (precommitted, per task and per pool). Inspectors of a
   pool are put in canonical order (sorted ids), ``I`` of them. With
   ``pk = key.child("pool/<pool>")``, ``h = hash_ids(pk.child("unit"), [unit_id])``
   and ``u_j = to_uniforms(mix_columns(pk.child("position"), h, j))``, position
   ``j = 0 .. 2I-1`` names inspector ``floor(u_j * I)``; repeats are skipped.
   The inspectors never named are appended in ascending order of
   ``mix_columns(pk.child("rest"), h, hash_ids(pk.child("inspector"), ids))``.
   The result is a uniformly random permutation, a pure function of
   (seed, draw id, pool, unit id, the set of inspector ids) -- never of row order.
   See :func:`candidate_order`.
3. **Walk** (递补, replacement by procedure). The team is the first eligible
   candidates in that order. A candidate is passed over, with a recorded
   reason, when recused (回避: a conflict pair), at its workload cap, its work
   unit at its cap, or -- for a task that requires an expertise -- when only
   one seat is left and it lacks the expertise (the seat is reserved). A task
   may require several expertise areas, each to be held by at least one
   member (one member may cover several): then one seat is held for each
   area still uncovered, i.e. a candidate is skipped when the areas it leaves
   uncovered outnumber the seats left after it. The first ``size``
   candidates are "drawn"; each drawn candidate passed over is replaced by
   the next accepted candidate.
4. **Fallback.** If the walk leaves a task short, an exact max-flow
   (:mod:`drawcore.draw.residual`), warm-started from the walk, finds a feasible
   assignment if one exists; tasks it changes are recorded with method
   ``"max_flow"``. Covering several areas is not a flow problem, so for those
   tasks the fallback is an exact branch-and-bound: each such task's ways to
   cover its areas (minimal sets of expertise its distinct members must hold)
   are tried, one uncovered task at a time, each time with one max-flow over
   the whole pool (caps included); a flow that cannot staff every task
   prunes. Otherwise :class:`InfeasibleError` names the tasks and the
   constraint that blocks them (for expertise, the areas left uncovered).
   Nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from drawcore.draw.candidates import _caps, _conflicts, _Pool, _pool
from drawcore.draw.randomness import DrawKey, hash_ids
from drawcore.draw.solver import _fallback
from drawcore.draw.team_fast import _processing_order, assign_plain
from drawcore.draw.team_model import (
    _UNLIMITED,
    EXPERTS,
    MIN_TEAM_SIZE,
    CapLike,
    ConflictsLike,
    InspectorsLike,
    PoolTeam,
    Replacement,
    TeamAssignment,
    TeamDraw,
    TeamTask,
    passed_over,
    pool_team,
    team_assignment,
)
from drawcore.draw.walk import _NONE, _Job, _Load, _walk
from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.i18n import msg
from drawcore.model import Expert, InspectionMode

__all__ = [
    "assign_teams",
    "draw_teams",
    "format_team_draw",
]


def _tasks(tasks: Iterable[str | TeamTask]) -> tuple[list[str | TeamTask], list[str]]:
    """Tasks as given (a plain unit id stays a string: the common case is cheap) and their ids."""
    if isinstance(tasks, str | bytes) or not isinstance(tasks, Iterable):
        raise InvalidInputError(msg("tasks must be a collection of unit ids or TeamTask values"))
    out = list(tasks)
    ids: list[str] = []
    for n, t in enumerate(out):
        if isinstance(t, str):
            if not t:
                raise InvalidInputError(msg("task {n}: empty unit id", n=n))
            ids.append(t)
        elif isinstance(t, TeamTask):
            ids.append(t.unit_id)
        else:
            raise InvalidInputError(
                msg("task {n}: expected a unit id or TeamTask, got {t}", n=n, t=repr(t))
            )
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(u for u in ids if u in seen or seen.add(u))  # type: ignore[func-returns-value]
        raise InvalidInputError(msg("unit {dup} appears twice in the tasks", dup=repr(dup)))
    return out, ids


def _spec(task: str | TeamTask) -> TeamTask:
    return TeamTask(unit_id=task) if isinstance(task, str) else task


def _draw(
    tasks: Iterable[str | TeamTask],
    inspectors: object,
    *,
    seed: str | bytes,
    draw_id: str,
    team_size: int,
    conflicts: object,
    max_tasks: object,
    max_tasks_per_work_unit: object,
    experts: object,
    expert_conflicts: object,
    max_expert_tasks: object,
    lead_department: str | None,
    dates: Sequence[dt.date],
    record: bool,
) -> tuple[list[str], dict[str, list[_Job]], dict[str, _Pool], TeamDraw | None]:
    if isinstance(team_size, bool) or not isinstance(team_size, int) or team_size < MIN_TEAM_SIZE:
        raise InvalidInputError(
            msg(
                "team_size must be an integer >= {min_size} (national law: at least two "
                "enforcement officers), got {team_size}",
                min_size=MIN_TEAM_SIZE,
                team_size=repr(team_size),
            )
        )
    if not isinstance(draw_id, str) or not draw_id:
        raise InvalidInputError(msg("draw_id must be a non-empty string"))
    key = DrawKey.derive(seed, draw_id)
    task_list, unit_ids = _tasks(tasks)
    # pools
    pools: dict[str, _Pool] = {}
    if isinstance(inspectors, Mapping):
        for dept in sorted(inspectors):
            name = f"department/{dept}"
            pools[name] = _pool(name, inspectors[dept], key, msg("inspector"))
        if lead_department is not None and f"department/{lead_department}" not in pools:
            raise InvalidInputError(
                msg(
                    "lead_department {lead_department} has no registry",
                    lead_department=repr(lead_department),
                )
            )
    else:
        pools["inspectors"] = _pool("inspectors", inspectors, key, msg("inspector"))
    owner: dict[str, str] = {}
    for p in pools.values():
        for iid in p.ids:
            if iid in owner:
                raise InvalidInputError(
                    msg(
                        "inspector {iid} is in two registries ({owner}, {name}); each inspector "
                        "belongs to one department",
                        iid=repr(iid),
                        owner=owner[iid],
                        name=p.name,
                    )
                )
            owner[iid] = p.name
    expert_pool = _pool(EXPERTS, experts, key, msg("expert"))
    # workload
    caps = {name: _caps(max_tasks, p.ids, "max_tasks") for name, p in pools.items()}
    caps[EXPERTS] = _caps(max_expert_tasks, expert_pool.ids, "max_expert_tasks")
    wcaps: dict[str, int] | None = None
    if max_tasks_per_work_unit is not None:
        all_wus = sorted({w for p in pools.values() for w in p.work_units if w})
        wlist = _caps(max_tasks_per_work_unit, all_wus, "max_tasks_per_work_unit")
        wcaps = dict(zip(all_wus, wlist, strict=True))
    load = _Load(counts={}, caps=caps, wcounts={}, wcaps=wcaps, cap_text="max_tasks")
    # conflicts, indexed per task
    task_index = {u: n for n, u in enumerate(unit_ids)}
    conf = _conflicts(conflicts, "conflicts", task_index)
    econf = _conflicts(expert_conflicts, "expert_conflicts", task_index)
    order = _processing_order(key, unit_ids)  # step 1
    # fixed teams (general inspections) take their load first
    for t in order:
        task = task_list[t]
        if isinstance(task, str) or task.mode is not InspectionMode.GENERAL:
            continue
        for iid in task.fixed_team:
            pname = owner.get(iid)
            if pname is None:
                raise InvalidInputError(
                    msg(
                        "task {unit_id}: fixed_team member {iid} is not an active inspector",
                        unit_id=task.unit_id,
                        iid=repr(iid),
                    )
                )
            if iid in conf.get(t, {}):
                raise InvalidInputError(
                    msg(
                        "task {unit_id}: fixed_team member {iid} must recuse: {reason}",
                        unit_id=task.unit_id,
                        iid=repr(iid),
                        reason=conf[t][iid],
                    )
                )
            ix = pools[pname].index[iid]
            load.counts[(pname, ix)] = load.counts.get((pname, ix), 0) + 1
            if wcaps is not None:
                wu = pools[pname].work_units[ix]
                load.wcounts[wu] = load.wcounts.get(wu, 0) + 1
    over = [
        f"{pools[p].ids[i]} ({n} > {caps[p][i]})"
        for (p, i), n in load.counts.items()
        if n > caps[p][i]
    ]
    if wcaps is not None:
        over += [
            f"work unit {w} ({n} > {wcaps[w]})"
            for w, n in load.wcounts.items()
            if n > wcaps.get(w, _UNLIMITED)
        ]
    if over:
        raise InfeasibleError(
            msg(
                "fixed teams of general inspections exceed the caps: {units}",
                units=", ".join(sorted(over)),
            )
        )
    # jobs per pool (in processing order)
    jobs: dict[str, list[_Job]] = {name: [] for name in [*pools, EXPERTS]}
    plain_name = "inspectors"
    plain = plain_name in pools
    plain_index = pools[plain_name].index if plain else {}
    plain_jobs, expert_jobs, expert_index = (
        jobs.get(plain_name, []),
        jobs[EXPERTS],
        expert_pool.index,
    )
    no_conflicts: dict[int, str] = {}  # shared: a job only reads its conflicts
    general = InspectionMode.GENERAL
    for t in order:
        task = task_list[t]
        if plain and (isinstance(task, str) or (task.mode is not general and not task.departments)):
            # one pool, the common case, kept cheap
            tconf = conf.get(t)
            cmap = no_conflicts
            if tconf:
                cmap = {plain_index[i]: r for i, r in tconf.items() if i in plain_index}
            if isinstance(task, str):
                plain_jobs.append(_Job(t, task, team_size, None, cmap))
                continue
            unit_id = task.unit_id
            plain_jobs.append(_Job(t, unit_id, task.team_size or team_size, task.expertise, cmap))
            if task.experts:
                tconf = econf.get(t)
                emap = no_conflicts
                if tconf:
                    emap = {expert_index[i]: r for i, r in tconf.items() if i in expert_index}
                expert_jobs.append(_Job(t, unit_id, task.experts, task.expert_expertise, emap))
            continue
        task = _spec(task)
        parts: list[tuple[str, int, str | tuple[str, ...] | None]] = []
        if task.mode is not InspectionMode.GENERAL:
            if task.departments:
                if not isinstance(inspectors, Mapping):
                    raise InvalidInputError(
                        msg(
                            "task {unit_id}: a joint inspection (BL-10) needs inspectors as a "
                            "mapping department -> registry",
                            unit_id=task.unit_id,
                        )
                    )
                for d, (dept, size) in enumerate(task.departments):
                    name = f"department/{dept}"
                    if name not in pools:
                        raise InvalidInputError(
                            msg(
                                "task {unit_id}: department {dept} has no inspector registry",
                                unit_id=task.unit_id,
                                dept=repr(dept),
                            )
                        )
                    parts.append((name, size, task.expertise if d == 0 else None))
            elif isinstance(inspectors, Mapping):
                if lead_department is None:
                    raise InvalidInputError(
                        msg(
                            "task {unit_id}: with registries per department, give the task "
                            "departments or give lead_department",
                            unit_id=task.unit_id,
                        )
                    )
                parts.append(
                    (f"department/{lead_department}", task.team_size or team_size, task.expertise)
                )
            else:
                parts.append(("inspectors", task.team_size or team_size, task.expertise))
        for name, size, req in parts:
            pool = pools[name]
            cmap = {pool.index[i]: r for i, r in conf.get(t, {}).items() if i in pool.index}
            jobs[name].append(
                _Job(task=t, unit_id=task.unit_id, seats=size, requirement=req, conflicts=cmap)
            )
        if task.experts:
            emap = {
                expert_pool.index[i]: r
                for i, r in econf.get(t, {}).items()
                if i in expert_pool.index
            }
            jobs[EXPERTS].append(
                _Job(
                    task=t,
                    unit_id=task.unit_id,
                    seats=task.experts,
                    requirement=task.expert_expertise,
                    conflicts=emap,
                )
            )
    all_pools = {**pools, EXPERTS: expert_pool}
    for name, pool in all_pools.items():
        require_all = name == EXPERTS
        pjobs = jobs[name]
        if not pjobs:
            continue
        head = max(j.seats for j in pjobs) + 4
        _walk(pool, pjobs, load, require_all, head)
        if any(len(j.members) < j.seats for j in pjobs):
            _fallback(pool, pjobs, load, require_all)
    result = None
    if record:
        result = _record(task_list, unit_ids, order, jobs, all_pools, draw_id, key, dates)
    return unit_ids, jobs, all_pools, result


def _replacements(pool: _Pool, job: _Job) -> tuple[tuple[str, ...], tuple[Replacement, ...]]:
    cands = job.candidates
    drawn = cands[: job.seats]
    if not job.flow and job.passed is _NONE:  # nobody passed over: the drawn are the team
        return tuple(map(pool.ids.__getitem__, drawn)), ()
    passed = {i: why for i, _, why in job.passed}
    members = set(job.members)
    incoming = [c for c in cands[job.seats :] if c in members]
    reps: list[Replacement] = []
    if job.flow:
        incoming = sorted(members - set(drawn))
    for d in drawn:
        if d in members:
            continue
        why = passed.get(d, "moved by the max-flow fallback so that every task is staffed")
        reps.append(
            Replacement(
                drawn=pool.ids[d],
                reason=why,
                replaced_by=pool.ids[incoming.pop(0)] if incoming else None,
            )
        )
    return tuple(pool.ids[d] for d in drawn), tuple(reps)


def _record(
    given: list[str | TeamTask],
    unit_ids: list[str],
    order: list[int],
    jobs: dict[str, list[_Job]],
    pools: dict[str, _Pool],
    draw_id: str,
    key: DrawKey,
    dates: Sequence[dt.date],
) -> TeamDraw:
    plain_mode = InspectionMode.DOUBLE_RANDOM  # a task given as a plain unit id
    modes = [plain_mode if isinstance(t, str) else t.mode for t in given]
    # every task's parts, pool by pool (the experts last)
    parts: list[list[PoolTeam] | None] = [None] * len(given)
    for name, pjobs in jobs.items():
        pool = pools[name]
        name_of = pool.ids.__getitem__  # ids are in sorted order: sorted indices, sorted ids
        for job in pjobs:
            candidates = tuple(map(name_of, job.candidates))
            if not job.flow and job.passed is _NONE:  # nobody passed over: the drawn are the team
                drawn = candidates[: job.seats]
                team = pool_team(
                    name,
                    job.seats,
                    "candidate_order",
                    candidates,
                    drawn,
                    tuple(sorted(drawn)),
                    (),
                    (),
                )
            else:
                drawn, reps = _replacements(pool, job)
                team = pool_team(
                    name,
                    job.seats,
                    "max_flow" if job.flow else "candidate_order",
                    candidates,
                    drawn,
                    tuple(map(name_of, sorted(job.members))),
                    tuple([passed_over(name_of(i), p, why) for i, p, why in job.passed]),
                    reps,
                )
            got = parts[job.task]
            if got is None:
                parts[job.task] = [team]
            else:
                got.append(team)
    # key inspections: random order (and dates) of visits over the round (TJ-5)
    key_mode = InspectionMode.KEY
    key_tasks = [t for t in order if modes[t] is key_mode]
    visit_order: list[int | None] = [None] * len(given)
    visit_date: list[dt.date | None] = [None] * len(given)
    if key_tasks:
        vh = hash_ids(key.child("visit"), [unit_ids[t] for t in key_tasks])
        ranked = [key_tasks[n] for n in np.argsort(vh, kind="stable").tolist()]
        for pos, t in enumerate(ranked):
            visit_order[t] = pos + 1
            if dates:
                visit_date[t] = dates[pos * len(dates) // len(ranked)]
    general, covert = InspectionMode.GENERAL, InspectionMode.COVERT
    out: list[TeamAssignment] = []
    for t in sorted(range(len(given)), key=unit_ids.__getitem__):  # by unit id
        tparts = parts[t] or []
        mode = modes[t]
        if mode is general:
            task = given[t]
            assert not isinstance(task, str)
            fixed = tuple(sorted(set(task.fixed_team)))
            tparts.insert(
                0, pool_team("office", len(fixed), "fixed_by_office", (), (), fixed, (), ())
            )
        members: tuple[str, ...]
        experts: tuple[str, ...] = ()
        n_parts = len(tparts)
        if n_parts == 1 and tparts[0].pool != EXPERTS:  # one pool: its sorted members
            members = tparts[0].members
        elif n_parts == 2 and tparts[0].pool != EXPERTS and tparts[1].pool == EXPERTS:
            members, experts = tparts[0].members, tparts[1].members  # each sorted
        else:
            members = tuple(sorted(m for p in tparts if p.pool != EXPERTS for m in p.members))
            experts = tuple(sorted(m for p in tparts if p.pool == EXPERTS for m in p.members))
        out.append(
            team_assignment(
                unit_ids[t],
                mode,
                members,
                experts,
                tuple(tparts),
                mode is covert,
                visit_order[t],
                visit_date[t],
            )
        )
    return TeamDraw(
        draw_id=draw_id,
        processing_order=tuple(map(unit_ids.__getitem__, order)),
        assignments=tuple(out),
    )


def draw_teams(
    tasks: Iterable[str | TeamTask],
    inspectors: InspectorsLike | Mapping[str, InspectorsLike],
    *,
    seed: str | bytes,
    draw_id: str = "teams",
    team_size: int = 2,
    conflicts: ConflictsLike = (),
    max_tasks: CapLike = None,
    max_tasks_per_work_unit: CapLike = None,
    experts: Iterable[Expert] = (),
    expert_conflicts: ConflictsLike = (),
    max_expert_tasks: CapLike = None,
    lead_department: str | None = None,
    dates: Sequence[dt.date] = (),
) -> TeamDraw:
    """Draw every task's team and return the full record (who was drawn, recused, replaced).

    ``inspectors``: ids, :class:`Inspector` records or a registry yielding them
    (inactive ones are ignored); or a mapping department -> such a registry for
    joint inspections (BL-10). ``conflicts`` / ``expert_conflicts``: (id, unit id)
    pairs, (id, unit id, reason) triples or :class:`Recusal` values; pairs for
    units or inspectors outside the draw are ignored. ``max_tasks_per_work_unit``
    caps the seats filled by each work unit's inspectors. ``dates`` spreads key
    inspections over the round in a random order (TJ-5).
    """
    _, _, _, result = _draw(
        tasks,
        inspectors,
        seed=seed,
        draw_id=draw_id,
        team_size=team_size,
        conflicts=conflicts,
        max_tasks=max_tasks,
        max_tasks_per_work_unit=max_tasks_per_work_unit,
        experts=experts,
        expert_conflicts=expert_conflicts,
        max_expert_tasks=max_expert_tasks,
        lead_department=lead_department,
        dates=tuple(dates),
        record=True,
    )
    assert result is not None
    return result


def assign_teams(
    unit_ids: Iterable[str],
    inspectors: InspectorsLike,
    *,
    seed: str | bytes,
    team_size: int = 2,
    conflicts: ConflictsLike = (),
    max_tasks: CapLike = None,
    draw_id: str = "teams",
    expertise: Mapping[str, str | Iterable[str]] | None = None,
    max_tasks_per_work_unit: CapLike = None,
) -> dict[str, tuple[str, ...]]:
    """Unit id -> sorted inspector ids (GUIDE §3); the same teams as :func:`draw_teams`.

    ``expertise`` maps a unit id to the expertise its team must include: one
    area (a string) or several (each held by at least one member).
    Raises :class:`InfeasibleError` naming the units that cannot be staffed.
    """
    if isinstance(unit_ids, str | bytes) or not isinstance(unit_ids, Iterable):
        raise InvalidInputError(msg("unit_ids must be a collection of unit id strings"))
    staff: object = inspectors
    pairs: object = conflicts
    if not expertise and max_tasks_per_work_unit is None and not isinstance(inspectors, Mapping):
        # the plain case over arrays; one-shot iterables are read once, for both paths
        unit_ids, staff, pairs = list(unit_ids), _once(inspectors), _once(conflicts)
        fast = assign_plain(
            unit_ids,
            staff,
            seed=seed,
            draw_id=draw_id,
            team_size=team_size,
            conflicts=pairs,
            max_tasks=max_tasks,
        )
        if fast is not None:
            return fast
    if expertise:
        tasks: list[str | TeamTask] = [
            TeamTask(unit_id=u, expertise=expertise[u])
            if isinstance(u, str) and u in expertise
            else u
            for u in unit_ids
        ]
    else:
        tasks = list(unit_ids)
    unit_list, jobs, pools, _ = _draw(
        tasks,
        staff,
        seed=seed,
        draw_id=draw_id,
        team_size=team_size,
        conflicts=pairs,
        max_tasks=max_tasks,
        max_tasks_per_work_unit=max_tasks_per_work_unit,
        experts=(),
        expert_conflicts=(),
        max_expert_tasks=None,
        lead_department=None,
        dates=(),
        record=False,
    )
    ids = pools["inspectors"].ids
    out: dict[str, tuple[str, ...]] = {}
    for job in jobs["inspectors"]:
        out[job.unit_id] = tuple([ids[i] for i in sorted(job.members)])  # ids are in sorted order
    return {u: out[u] for u in sorted(unit_list)}


def _once(values: object) -> object:
    """A collection read into a list (a generator can be read only once); else as given."""
    if isinstance(values, Iterable) and not isinstance(values, str | bytes):
        return list(values)
    return values


def format_team_draw(draw: TeamDraw, *, limit: int | None = None, reveal: bool = False) -> str:
    """Human-readable lines for the CLI demo: each unit, its team, recusals and replacements.

    Covert teams are masked unless ``reveal`` (they are not disclosed before the date).
    """
    lines: list[str] = []
    shown = draw.assignments if limit is None else draw.assignments[:limit]
    for a in shown:
        team = ", ".join(a.members) if (reveal or not a.undisclosed) else "(covert: undisclosed)"
        extra = f"; experts: {', '.join(a.experts)}" if a.experts else ""
        when = ""
        if a.visit_order is not None:
            when = f"; visit #{a.visit_order}" + (
                f" on {a.visit_date.isoformat()}" if a.visit_date else ""
            )
        lines.append(f"{a.unit_id} [{a.mode.value}] team: {team}{extra}{when}")
        if a.undisclosed and not reveal:
            continue
        for part in a.parts:
            if part.method == "fixed_by_office":
                lines.append(f"  {part.pool}: fixed by the office (general inspection, TJ-5)")
            elif part.method == "max_flow":
                lines.append(f"  {part.pool}: reassigned by the max-flow fallback")
            for r in part.replacements:
                by = r.replaced_by or "-"
                lines.append(f"  {part.pool}: {r.drawn} -> {by} ({r.reason})")
    if limit is not None and len(draw.assignments) > limit:
        lines.append(f"... and {len(draw.assignments) - limit} more units")
    return "\n".join(lines)
