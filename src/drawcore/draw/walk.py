"""The walk (递补, replacement by procedure): each task takes the first eligible candidates.

A candidate is passed over, with a reason, when recused, at a workload cap, or when the
seats left must be held for an expertise still uncovered.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from drawcore.draw.candidates import _Candidates, _Pool, _positions
from drawcore.draw.randomness import hash_ids
from drawcore.draw.team_model import _UNLIMITED, EXPERTS

_NONE: list[Any] = []  # shared and never appended to: a job's lists start as this


class _Job:
    """One task's seats in one pool (a plain slotted class: there is one per task)."""

    __slots__ = (
        "candidates",
        "conflicts",
        "flow",
        "members",
        "passed",
        "requirement",
        "seats",
        "task",
        "unit_id",
    )

    def __init__(
        self,
        task: int,
        unit_id: str,
        seats: int,
        requirement: str | tuple[str, ...] | None,
        conflicts: dict[int, str],
    ) -> None:
        self.task = task  # index into the draw's task list
        self.unit_id = unit_id
        self.seats = seats
        self.requirement = requirement
        self.conflicts = conflicts
        self.members: list[int] = _NONE  # set by the walk
        self.passed: list[tuple[int, int, str]] = _NONE  # (inspector, position, why)
        self.candidates: list[int] = _NONE  # the candidate order as far as the walk read it
        self.flow = False


@attrs.define
class _Load:
    """Workload state shared by every pool of one draw."""

    counts: dict[tuple[str, int], int]
    caps: dict[str, list[int]]
    wcounts: dict[str, int]
    wcaps: dict[str, int] | None
    cap_text: str


def _walk(pool: _Pool, jobs: list[_Job], load: _Load, require_all: bool, head: int) -> None:
    """Step 3 of the procedure: each job takes the first eligible candidates, in order."""
    if not jobs or pool.size == 0:
        return
    h = hash_ids(pool.key.child("unit"), [j.unit_id for j in jobs])
    heads = _positions(pool, h, 0, min(head, 2 * pool.size)).tolist()
    caps = load.caps[pool.name]
    counts = [load.counts.get((pool.name, i), 0) for i in range(pool.size)]
    wus = pool.work_units
    wcaps = load.wcaps if pool.name != EXPERTS else None  # work unit caps bind inspectors
    cap_name = "max_expert_tasks" if pool.name == EXPERTS else load.cap_text
    wcounts = load.wcounts
    expertise = pool.expertise
    # seats the caps leave in the whole pool: once none is left, no later job can be
    # staffed by any assignment, so the draw is infeasible and the walk reads no further
    # (the fallback then names every such job; no record of this walk is ever written)
    room = sum(max(0, caps[i] - counts[i]) for i in range(pool.size))
    at_cap: dict[int, str] = {}  # the reason of a candidate at its cap, per cap (one text each)
    for n, job in enumerate(jobs):
        if room == 0:
            job.members = []
            continue
        row: list[int] = heads[n]
        order: list[int] = []  # the candidate order (repeats skipped) while in the head row
        raw = 0
        cands: _Candidates | None = None
        team: list[int] = []
        job.members = team
        need, req, conf = job.seats, job.requirement, job.conflicts
        has_req = req is None
        missing: tuple[str, ...] = req if isinstance(req, tuple) else ()
        k = 0
        while len(team) < need:
            if cands is None:
                while raw < len(row) and row[raw] in order:
                    raw += 1
                if raw < len(row):
                    c: int | None = row[raw]
                    order.append(row[raw])
                else:
                    cands = _Candidates(pool, h[n], row)
                    c = cands.get(k)
            else:
                c = cands.get(k)
            if c is None:
                break
            k += 1
            why = None
            if conf and c in conf:
                why = conf[c]
            elif counts[c] >= caps[c]:
                why = at_cap.get(caps[c])
                if why is None:
                    why = at_cap[caps[c]] = (
                        f"unavailable: workload cap reached ({cap_name}={caps[c]})"
                    )
            elif wcaps is not None and wcounts.get(wus[c], 0) >= wcaps.get(wus[c], _UNLIMITED):
                why = f"unavailable: work unit {wus[c]!r} at its cap ({wcaps.get(wus[c])})"
            elif missing:  # several areas: hold one seat for each area still uncovered
                left = tuple(r for r in missing if r not in expertise[c])
                if len(left) > need - len(team) - 1:
                    why = f"skipped: seats reserved for expertise {_names(missing)}"
                else:
                    missing = left
            elif isinstance(req, str):
                holds = req in expertise[c]
                if require_all and not holds:
                    why = f"ineligible: lacks expertise {req!r}"
                elif not has_req and not holds and len(team) == need - 1:
                    why = f"skipped: last seat reserved for expertise {req!r}"
                elif holds:
                    has_req = True
            if why is not None:
                if job.passed is _NONE:
                    job.passed = []
                job.passed.append((c, k - 1, why))
                continue
            team.append(c)
            counts[c] += 1
            room -= 1
            if wcaps is not None:
                wcounts[wus[c]] = wcounts.get(wus[c], 0) + 1
        job.candidates = cands.order[:k] if cands is not None else order
    for i, c in enumerate(counts):
        if c:
            load.counts[(pool.name, i)] = c


def _admits(pool: _Pool, job: _Job, require_all: bool, i: int) -> bool:
    """Whether member ``i`` is eligible for ``job``: not recused (and, in the expert pool,
    holding the job's area)."""
    if i in job.conflicts:
        return False
    return not require_all or job.requirement is None or job.requirement in pool.expertise[i]


def _eligible(pool: _Pool, job: _Job, require_all: bool) -> list[int]:
    return [i for i in range(pool.size) if _admits(pool, job, require_all, i)]


def _names(areas: Iterable[str]) -> str:
    return ", ".join(repr(a) for a in areas)


def _requirements(job: _Job, require_all: bool) -> tuple[str, ...]:
    """Areas the team must cover (an expert pool filters by eligibility instead)."""
    req = job.requirement
    if req is None or require_all:
        return ()
    return (req,) if isinstance(req, str) else req
