"""Benchmark: assign_teams at county-plus scale against raw uniform integers.

Scenario (GUIDE §7): 100,000 tasks, 5,000 inspectors, team 2, a workload cap of
50 tasks per inspector (the mean load is 40), and 1 % conflicts read as: 1 % of
the tasks (1,000) each conflict with 1 % of the inspectors (50), i.e. 50,000
conflict pairs. The literal "1 % of all 5e8 (task, inspector) pairs" would be
5,000,000 Python tuples -- more memory than the whole draw -- so a heavier
second scenario (10 % of tasks, 500,000 pairs) is run as well.

Baseline, measured side by side: ``numpy.random.default_rng(0).integers(0, 5000,
size=200_000)`` -- drawing as many raw uniform integers as there are seats.

A last line measures a refusal at city scale: 320,000 units, 6,500 inspectors,
team 2, cap 98 (637,000 seats for 640,000), so no assignment can staff every unit.
The draw must be refused (``InfeasibleError`` naming the short units and the
workload caps) without building anything of the size of all eligible pairs
(2,080,000,000): its time, and its peak of traced
allocations (``tracemalloc``, a second run), for ``assign_teams`` and for
``draw_teams`` (the general path annual plans take).

Run: ``python benchmarks/bench_assignment.py``
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import cast

import numpy as np

from drawcore import InfeasibleError, assign_teams, draw_teams

TASKS = 100_000
INSPECTORS = 5_000
TEAM = 2
CAP = 50
CITY_UNITS, CITY_INSPECTORS, CITY_CAP = 320_000, 6_500, 98
REFUSAL_PEAK_MIB = 512  # the refused network alone would be tens of GiB


def scenario(conflict_share: float) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    units = [f"U{n:07d}" for n in range(TASKS)]
    inspectors = [f"I{n:05d}" for n in range(INSPECTORS)]
    gen = np.random.default_rng(1)  # test data only, not part of any draw
    conflicted = gen.choice(TASKS, size=int(TASKS * conflict_share), replace=False)
    per_task = INSPECTORS // 100
    pairs = [
        (inspectors[i], units[t])
        for t in conflicted.tolist()
        for i in gen.choice(INSPECTORS, size=per_task, replace=False).tolist()
    ]
    return units, inspectors, pairs


def best_of(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """The fastest of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def refusal(run: Callable[..., object]) -> tuple[float, float, str]:
    """Time and traced peak (MiB) of the city-scale draw that must be refused."""
    units = [f"U{n:07d}" for n in range(CITY_UNITS)]
    inspectors = [f"I{n:05d}" for n in range(CITY_INSPECTORS)]
    times, peak, text = [], 0.0, ""
    for traced in (False, True):
        if traced:
            tracemalloc.start()
        t0 = time.perf_counter()
        try:
            run(units, inspectors, seed="city", max_tasks=CITY_CAP)
        except InfeasibleError as err:
            text = str(err)
        finally:
            if traced:
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
        times.append(time.perf_counter() - t0)
    return times[0], peak, text


def main() -> int:
    rng = np.random.default_rng(0)
    base, _ = best_of(lambda: rng.integers(0, INSPECTORS, size=TASKS * TEAM), repeat=20)
    print(f"baseline rng.integers(0, {INSPECTORS}, size={TASKS * TEAM:,}): {base * 1e3:.2f} ms")
    ok = True
    for share in (0.01, 0.10):
        units, inspectors, pairs = scenario(share)
        elapsed, result = best_of(
            partial(assign_teams, units, inspectors, seed="bench", conflicts=pairs, max_tasks=CAP),
            repeat=2,
        )
        teams = cast(dict[str, tuple[str, ...]], result)
        load = np.bincount(
            [int(i[1:]) for team in teams.values() for i in team], minlength=INSPECTORS
        )
        assert len(teams) == TASKS
        assert all(len(t) == TEAM for t in teams.values())
        assert load.max() <= CAP
        cpu0 = time.process_time()
        assign_teams(units, inspectors, seed="bench", conflicts=pairs, max_tasks=CAP)
        cpu = time.process_time() - cpu0
        print(
            f"assign_teams {TASKS:,} tasks x {INSPECTORS:,} inspectors, team {TEAM}, "
            f"cap {CAP}, {len(pairs):,} conflict pairs ({share:.0%} of tasks x 1% of inspectors): "
            f"{elapsed:.3f} s, ratio to baseline {elapsed / base:,.0f}x, "
            f"load min/max {load.min()}/{load.max()} "
            f"(CPU time of one more run: {cpu:.3f} s; wall time grows with the machine's load)"
        )
        ok = ok and elapsed < 1.0
    elapsed, _ = best_of(
        partial(draw_teams, units, inspectors, seed="bench", conflicts=pairs, max_tasks=CAP),
        repeat=1,
    )
    print(f"(for information) draw_teams, the full record, last scenario: {elapsed:.3f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(f"peak RSS of the whole run (incl. test data): {peak:.0f} MiB (target < 1024 MiB)")
    ok = ok and peak < 1024
    print("target for assign_teams (< 1 s, < 1 GiB):", "met" if ok else "NOT met")
    for run in (assign_teams, draw_teams):
        elapsed, traced, text = refusal(run)
        refused = "cannot staff" in text and "max_tasks" in text
        print(
            f"refusal, {run.__name__} {CITY_UNITS:,} units x {CITY_INSPECTORS:,} inspectors, "
            f"cap {CITY_CAP}: {'refused' if refused else 'NOT refused'} in {elapsed:.2f} s "
            f"(ratio to baseline {elapsed / base:,.0f}x), traced peak {traced:.0f} MiB "
            f"(bound {REFUSAL_PEAK_MIB} MiB)"
        )
        ok = ok and refused and traced < REFUSAL_PEAK_MIB
    print(f"  {text[:160]}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
