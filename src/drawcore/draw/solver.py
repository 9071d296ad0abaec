"""The fallback when the walk leaves a task short: exact max-flow and branch-and-bound.

A max-flow warm-started from the walk staffs every task if any assignment can; tasks needing
several expertise areas are searched over their minimal coverings, each try checked by one
flow. Otherwise :class:`InfeasibleError` names each task and what blocks it.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from typing import TypeAlias

import attrs

from drawcore.draw.candidates import _Pool
from drawcore.draw.residual import ImplicitNetwork
from drawcore.draw.team_model import _MAX_SEARCH_FLOWS, _UNLIMITED, EXPERTS
from drawcore.draw.walk import _eligible, _Job, _Load, _names, _requirements
from drawcore.errors import InfeasibleError

Pattern: TypeAlias = tuple[frozenset[str], ...]


def _patterns(sigs: set[frozenset[str]], reqs: tuple[str, ...], seats: int) -> list[Pattern]:
    """Every minimal way to cover ``reqs`` by distinct members, as the expertise each must hold.

    A team covers ``reqs`` exactly when, for one of these patterns, it has a
    distinct member holding each of the pattern's sets. Sets are the
    signatures ``sigs`` (expertise within ``reqs``) present among the eligible
    (:func:`_signatures`); at most ``seats`` of them.
    """
    need = frozenset(reqs)
    ordered = sorted(sigs - {frozenset()}, key=sorted)
    out: list[Pattern] = []
    for k in range(1, min(seats, len(need)) + 1):
        for combo in itertools.combinations(ordered, k):
            if frozenset().union(*combo) == need and not any(set(p) < set(combo) for p in out):
                out.append(combo)
    return out


def _signatures(
    pool: _Pool,
    job: _Job,
    reqs: tuple[str, ...],
    cache: dict[frozenset[str], Counter[frozenset[str]]],
) -> set[frozenset[str]]:
    """The signatures (expertise within ``reqs``) of a job's eligible members, from the
    pool's counts (``cache``, per set of areas) less its recused members: no list of the
    eligible is built. Only for a pool whose eligibility is recusal alone."""
    need = frozenset(reqs)
    counts = cache.get(need)
    if counts is None:
        counts = cache[need] = Counter(e & need for e in pool.expertise)
    if job.conflicts:
        counts = counts.copy()
        counts.subtract(pool.expertise[i] & need for i in job.conflicts)
    return {s for s, n in counts.items() if n > 0}


def _fit(pool: _Pool, members: list[int], pattern: Pattern) -> dict[int, int] | None:
    """Member -> index of the pattern set it fills, if the team fits the pattern."""
    if not pattern:
        return {}
    for perm in itertools.permutations(members, len(pattern)):
        if all(s <= pool.expertise[m] for s, m in zip(pattern, perm, strict=True)):
            return {m: j for j, m in enumerate(perm)}
    return None


@attrs.define
class _FlowState:
    """What stays fixed while the exact search tries patterns: caps left for this pool."""

    pool: _Pool
    jobs: list[_Job]
    room: list[int]  # per inspector: tasks left under its cap, outside fixed teams
    wroom: dict[str, int] | None  # per work unit: seats left, outside this pool's walk
    require_all: bool


def _solve(state: _FlowState, patterns: list[Pattern | None]) -> list[tuple[list[int], bool]]:
    """One exact max-flow, warm-started from the walk: each job's members, and whether full.

    A job with pattern ``None`` only needs its seats (the search's relaxation);
    with a pattern, it gets one distinct member holding each of its sets. The network
    is §10.7's, held implicitly (:mod:`drawcore.draw.residual`).
    """
    pool, jobs = state.pool, state.jobs
    net = ImplicitNetwork(pool, jobs, patterns, state.room, state.wroom, state.require_all)
    if net.plain and state.wroom is None:  # every team fits: warmed in one pass
        net.warm_plain()
    else:
        for j, (job, pattern) in enumerate(zip(jobs, patterns, strict=True)):
            fit = _fit(pool, job.members, pattern or ())
            if fit is not None:
                net.warm(j, fit)
    net.max_flow()
    return net.result()


def _eligible_count(pool: _Pool, job: _Job, require_all: bool, holders: dict[object, int]) -> int:
    """``len(_eligible(pool, job, require_all))`` without building the list: the members
    the requirement admits (counted once per requirement in ``holders``) minus the
    admitted members the job's conflicts remove."""
    req = job.requirement
    if not require_all or req is None:
        return pool.size - len(job.conflicts)
    if req not in holders:
        holders[req] = sum(1 for e in pool.expertise if req in e)
    return holders[req] - sum(1 for i in job.conflicts if req in pool.expertise[i])


_NO_PATTERN: list[Pattern] = [()]  # shared, never changed: a job without areas to cover


def _fallback(pool: _Pool, jobs: list[_Job], load: _Load, require_all: bool) -> None:
    """Step 4: exact max-flow (and, for several expertise areas, an exact search over the
    ways each team can cover them), warm-started from the walk; raise if nothing works."""
    caps = load.caps[pool.name]
    wcaps = load.wcaps if pool.name != EXPERTS else None
    # tasks no assignment can staff, whatever the others do (counted, not listed)
    reqs = [_requirements(j, require_all) for j in jobs]
    options: list[list[Pattern]] = []
    hopeless: list[str] = []
    holders: dict[object, int] = {}
    signatures: dict[frozenset[str], Counter[frozenset[str]]] = {}
    for job, r in zip(jobs, reqs, strict=True):
        if not r:  # no areas to cover: one way, which any team fits
            pats = _NO_PATTERN
            options.append(pats)
        else:
            pats = _patterns(_signatures(pool, job, r, signatures), r, job.seats)
            fitting = [p for p in pats if _fit(pool, job.members, p) is not None]
            options.append(fitting + [p for p in pats if p not in fitting])
        if _eligible_count(pool, job, require_all, holders) < job.seats or not pats:
            elig = _eligible(pool, job, require_all)
            hopeless.append(f"{job.unit_id} ({_blocker(pool, job, elig, require_all, load)})")
    if hopeless:
        _infeasible(pool, hopeless)
    mine = [load.counts.get((pool.name, i), 0) for i in range(pool.size)]
    walked = [0] * pool.size
    for j in jobs:
        for i in j.members:
            walked[i] += 1
    base = [m - w for m, w in zip(mine, walked, strict=True)]  # fixed teams, outside this flow
    wroom: dict[str, int] | None = None
    if wcaps is not None:
        wused_here: dict[str, int] = {}
        for i in range(pool.size):
            wused_here[pool.work_units[i]] = wused_here.get(pool.work_units[i], 0) + walked[i]
        wroom = {
            wu: max(0, wcaps.get(wu, _UNLIMITED) - (load.wcounts.get(wu, 0) - used))
            for wu, used in wused_here.items()
        }
    state = _FlowState(
        pool=pool,
        jobs=jobs,
        room=[max(0, caps[i] - base[i]) for i in range(pool.size)],
        wroom=wroom,
        require_all=require_all,
    )
    if wroom is None and all(o is _NO_PATTERN for o in options) and _plain_flow(state, load, mine):
        return
    # exact search: a job with one way to cover its areas is fixed to it; the others start
    # relaxed (seats only) and are branched on, one uncovered job at a time, over their
    # minimal covers. A relaxation that cannot staff every job prunes its whole subtree.
    root: list[Pattern | None] = [o[0] if len(o) == 1 else None for o in options]
    stack = [root]
    first: list[tuple[list[int], bool]] | None = None
    found: list[list[int]] | None = None
    flows = 0
    while stack and found is None:
        flows += 1
        if flows > _MAX_SEARCH_FLOWS:
            break
        patterns = stack.pop()
        teams = _solve(state, patterns)
        first = teams if first is None else first
        if not all(ok for _, ok in teams):
            continue
        full = [t for t, _ in teams]
        uncovered = [
            n
            for n, p in enumerate(patterns)
            if p is None and not set(reqs[n]) <= _held(pool, full[n])
        ]
        if not uncovered:
            found = full
            break
        n = uncovered[0]
        for p in reversed(options[n]):
            child = list(patterns)
            child[n] = p
            stack.append(child)
    if found is None:
        assert first is not None
        short: list[str] = []
        for n, (job, (team, ok)) in enumerate(zip(jobs, first, strict=True)):
            gap = [r for r in reqs[n] if r not in _held(pool, team)]
            if not ok:
                why = _blocker(pool, job, _eligible(pool, job, require_all), require_all, load)
                lacking = f"expertise {_names(gap)} uncovered: " if gap else ""
                short.append(f"{job.unit_id} ({lacking}{why})")
            elif gap:
                short.append(
                    f"{job.unit_id} (expertise {_names(gap)} uncovered: no team of {job.seats} "
                    f"covering {_names(reqs[n])} fits the recusals and workload caps "
                    f"({_cap_names(pool, load)})"
                    + (f"; exact search stopped after {_MAX_SEARCH_FLOWS} flows" if stack else "")
                    + ")"
                )
        _infeasible(pool, short)
        return
    _take_teams(pool, jobs, enumerate(found), load, mine)


def _plain_flow(state: _FlowState, load: _Load, mine: list[int]) -> bool:
    """The search's one flow when no job has areas to cover and no work unit a cap (the
    common case), told from the jobs the flow moved alone: whether it staffs every job,
    and if so, the moved jobs' new teams taken. ``mine``: each member's load in
    ``state``'s pool before the fallback. When a job stays short, the search itself
    runs and names it."""
    pool, jobs = state.pool, state.jobs
    net = ImplicitNetwork(pool, jobs, [()] * len(jobs), state.room, None, state.require_all)
    net.warm_plain()
    net.max_flow()
    if not net.seated():
        return False
    _take_teams(pool, jobs, ((j, sorted(net.team[j])) for j in sorted(net.moved)), load, mine)
    return True


def _take_teams(
    pool: _Pool,
    jobs: list[_Job],
    teams: Iterable[tuple[int, list[int]]],
    load: _Load,
    mine: list[int],
) -> None:
    """Each job ``j`` of ``teams`` takes its members (ascending) where they are not the
    walk's, marked as moved by the flow; the loads of the pool's members (``mine``
    before the fallback) and of their work units follow the change."""
    change: Counter[int] = Counter()
    for j, members in teams:
        job = jobs[j]
        if sorted(job.members) != members:
            change.subtract(job.members)
            change.update(members)
            job.members = members
            job.flow = True
    units = load.wcaps is not None and pool.name != EXPERTS  # work-unit caps bind inspectors
    for i in sorted(change):
        moved = change[i]
        if not moved:
            continue
        total = mine[i] + moved
        if total:
            load.counts[(pool.name, i)] = total
        else:
            load.counts.pop((pool.name, i), None)
        if units:
            wu = pool.work_units[i]
            load.wcounts[wu] = load.wcounts.get(wu, 0) + moved


def _held(pool: _Pool, team: list[int]) -> set[str]:
    return {e for i in team for e in pool.expertise[i]}


def _infeasible(pool: _Pool, short: list[str]) -> None:
    raise InfeasibleError(
        f"cannot staff {len(short)} task(s) from pool {pool.name!r}: "
        + "; ".join(short[:20])
        + (f"; and {len(short) - 20} more" if len(short) > 20 else "")
    )


def _cap_names(pool: _Pool, load: _Load) -> str:
    wcaps = load.wcaps is not None and pool.name != EXPERTS
    cap_name = "max_expert_tasks" if pool.name == EXPERTS else load.cap_text
    return cap_name + (" and work unit caps" if wcaps else "")


def _blocker(pool: _Pool, job: _Job, elig: list[int], require_all: bool, load: _Load) -> str:
    reqs = _requirements(job, require_all)
    if len(elig) < job.seats:
        why = "recusal" if not require_all or job.requirement is None else "recusal/expertise"
        return f"{why} leaves {len(elig)} eligible of {pool.size}, needs {job.seats}"
    held = _held(pool, elig)
    absent = [r for r in reqs if r not in held]
    if absent:
        return f"expertise {_names(absent)}: no eligible member holds it"
    if reqs and not _patterns({pool.expertise[i] & set(reqs) for i in elig}, reqs, job.seats):
        return f"expertise {_names(reqs)}: no {job.seats} eligible members cover them all"
    return f"workload caps ({_cap_names(pool, load)}): its eligible members are fully booked"
