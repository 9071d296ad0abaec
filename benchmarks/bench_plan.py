"""Benchmark: ``plan_year`` under Tianjin rules, 4 rounds, against ``sample_units``.

Targets (issue 13, GUIDE §7): 10^6 units, 10^4 inspectors: ``plan_year`` < 10 s and
< 4 GiB peak; 10^5 units < 1.5 s; at 10^6 the plan costs at most 50x
``sample_units`` on the same weights; record at most 400 bytes per task plus a fixed
part; replaying the plan (what ``verify`` does) within 2x the plan's time.

Baseline, measured side by side in the same run on the same registry:
``sample_units`` of the plan's yearly size on the weights the rules decided (the
year's draw alone). Printed per size: the plan's time and the baseline's, their
ratio, the time of a second ``plan_year`` with the same seed (the replay ``verify``
runs), the annual plan's serialised size per task, and the process's peak RSS.
Times are wall-clock, best of ``--repeat``; CPU time is printed beside them
because a loaded machine inflates wall-clock.

The registry is :func:`drawcore.testing.synthetic_county` (one inspector and one expert
per ``--inspectors-per`` units; its share of once-a-year and key-supervision units is
high, so inspectors take 40 tasks a round to hold them).

Run: ``python benchmarks/bench_plan.py [--units 10000 100000 ...] [--inspectors-per 100]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from drawcore import serde
from drawcore.draw.sampling import sample_units
from drawcore.plan.schedule import plan_year
from drawcore.plan.tasks import AnnualPlan
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext
from drawcore.testing import synthetic_county

T = TypeVar("T")


def timed(fn: Callable[[], T], repeat: int) -> tuple[float, float, T]:
    """Best wall-clock and CPU seconds of ``repeat`` runs, and the last result."""
    walls, cpus = [], []
    result: T | None = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    assert result is not None
    return min(walls), min(cpus), result


def run(n: int, per: int, repeat: int, rules: Rules) -> bool:
    """One registry size: print the figures, return whether its targets are met."""
    t0 = time.perf_counter()
    staff_n = max(2, n // per)
    county = synthetic_county("bench-plan", units=n, inspectors=staff_n, experts=staff_n)
    units, staff = list(county.units), list(county.inspectors)
    built = time.perf_counter() - t0
    print(f"\n== {n:,} units, {len(staff):,} inspectors (registry built in {built:.1f} s)")

    def plan() -> AnnualPlan:
        return plan_year(
            units,
            staff,
            year=2019,
            rules=rules,
            seed="bench",
            tasks_per_inspector=40,
            random_ratio=0.3,
            experts=county.experts,
            items=county.items,
        )

    wall, cpu, result = timed(plan, repeat)
    decided = rules.evaluate(units, PlanContext(year=2019, rounds=4, start=dt.date(2019, 1, 1)))
    ids, weights, size = list(decided.unit_ids), decided.weights, result.yearly.size

    def baseline() -> object:
        return sample_units(ids, weights, size, seed="bench", draw_id="year")

    base_wall, base_cpu, _ = timed(baseline, max(3, repeat))
    replay_wall, _, again = timed(plan, 1)
    assert again == result
    body = serde.canonical_json(serde.unstructure(result))
    tasks = len(result.tasks)
    per_task = len(body) / max(tasks, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"plan_year: {wall:.2f} s wall ({cpu:.2f} s CPU), {tasks:,} tasks")
    print(
        f"sample_units of the year's {size:,} on the same {len(ids):,} units and weights: "
        f"{base_wall * 1e3:.1f} ms wall ({base_cpu * 1e3:.1f} ms CPU); "
        f"plan / sample_units = {wall / base_wall:,.0f}x "
        f"(CPU {cpu / max(base_cpu, 1e-9):,.0f}x; target at 10^6: <= 50x)"
    )
    print(f"replay (verify): {replay_wall:.2f} s wall = {replay_wall / wall:.2f}x the plan (<= 2x)")
    print(f"record: {len(body):,} bytes = {per_task:,.0f} bytes per task (target <= 400)")
    print(f"peak RSS so far: {peak:,.0f} MiB")
    ok = per_task <= 400 and replay_wall <= 2 * wall
    if n >= 1_000_000:
        ok = ok and wall < 10 and peak < 4096 and wall / base_wall <= 50
    elif n >= 100_000:
        ok = ok and wall < 1.5
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--inspectors-per", type=int, default=100, help="units per inspector")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    rules = Rules.for_jurisdiction("tianjin")
    results = [run(n, args.inspectors_per, args.repeat, rules) for n in args.units]
    print("\ntargets:", "met" if all(results) else "NOT met")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
