"""Benchmark: ``plan_year`` under Tianjin rules, 4 rounds, against ``sample_units``.

Targets (issue 13, GUIDE §7): 10^6 units, 10^4 inspectors: ``plan_year`` < 10 s and
< 4 GiB peak; 10^5 units < 1.5 s; at 10^6 the plan costs at most 50x
``sample_units`` on the same weights; record at most 400 bytes per task plus a fixed
part; replaying the plan (what ``verify`` does) within 2x the plan's time.

Baseline, measured side by side in the same run on the same registry:
``sample_units`` of the plan's yearly size on the weights the rules decided (the
year's draw alone). Printed per size: the plan's time and the baseline's, their
ratio, the time of :func:`drawcore.record.annual.replay_year` on the plan's record
(what ``verify`` runs: the rules asked again, the year re-planned, the record
compared), the record's size per task (``annual_plan`` body, canonical JSON, in the
method's layout; beside it the plan written out in full), and the peak RSS after the
plan (the target's) and after the record and its replay as well. The replay runs once
the plan that wrote the record is dropped, as in ``verify``, which holds the record and
its own replay only.
Times are wall-clock, best of ``--repeat`` (the plan, the baseline and the replay
alike, so that their ratios compare like with like); CPU time is printed beside them
because a loaded machine inflates wall-clock.

The registry is :func:`drawcore.testing.synthetic_county` (one inspector and one expert
per ``--inspectors-per`` units; its share of once-a-year and key-supervision units is
high, so inspectors take 40 tasks a round to hold them).

With ``--phases``, one more plan is made with each of its steps timed (:data:`PHASES`),
and the time of each step is printed beside its share of the plan and its multiple of
``sample_units``: where the plan's time goes. That run is not the timed one (its timers
add a little), and its steps are timed once each, so the noise of a shared machine is in
them.

Run: ``python benchmarks/bench_plan.py [--units 10000 100000 ...] [--inspectors-per 100]
[--phases]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import gc
import importlib
import json
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from drawcore import serde
from drawcore.draw.sampling import sample_units
from drawcore.plan.tasks import AnnualPlan
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext
from drawcore.record.annual import (
    replay_year,
    run_year,
    spec_inputs,
    year_plan_record,
    year_plan_spec,
)
from drawcore.record.records import RegistryRef
from drawcore.record.signing import Signing
from drawcore.testing import synthetic_county

T = TypeVar("T")
AT = "2019-01-07T09:00"

#: The plan's steps ``--phases`` times: (module, function as that module calls it, what
#: the step does). A step called inside another is counted in the inner step only
#: (:data:`INSIDE`), the cycle collector's passes on their own row, and "the rest" is
#: the plan's time outside all of them.
PHASES = (
    ("drawcore.record.annual", "prepare", "the rules asked over the registry; commitment"),
    ("drawcore.plan.schedule", "place_planned", "planned units placed (a keyed stream each)"),
    ("drawcore.plan.schedule", "draw_year", "the year's draw (sample_units)"),
    ("drawcore.plan.schedule", "place_drawn", "drawn units placed in rounds"),
    ("drawcore.draw.teams", "_walk", "team draws: the walk, task by task"),
    ("drawcore.draw.teams", "_fallback", "team draws: the max-flow fallback"),
    ("drawcore.draw.teams", "_record", "team draws: the records (candidates, replacements)"),
    ("drawcore.plan.schedule", "draw_teams", "team draws: pools, jobs, recusals"),
    ("drawcore.plan.schedule", "_build_round", "tasks: modes, items, reasons, Task values"),
    ("drawcore.plan.schedule", "_finish", "the plan: share, problems, public names, hash"),
)
INSIDE = {"draw_teams": ("_walk", "_fallback", "_record"), "_build_round": ("draw_teams",)}


class BenchCounty:
    """The synthetic county as the record functions read it: its four record lists and a
    fingerprint of each (its ids are not real USCCs, so it is not a registry)."""

    def __init__(self, synthetic: Any) -> None:
        self.units, self.inspectors = synthetic.units, synthetic.inspectors
        self.experts, self.items = synthetic.experts, synthetic.items
        self.fingerprints = {
            name: serde.fingerprint(list(getattr(synthetic, name)), domain=f"bench/{name}")
            for name in ("units", "inspectors", "experts", "items")
        }


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


class StepClock:
    """The steps of :data:`PHASES` timed while inside :meth:`timing`: wall-clock seconds
    and calls per step (by function name), and the cycle collector's passes, each
    counted in the innermost step running when it ran ("" outside every step)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.calls: Counter[str] = Counter()
        self.collector: Counter[str] = Counter()
        self._running: list[str] = []
        self._collecting = 0.0

    def _timed(self, fn: Callable[..., T], name: str) -> Callable[..., T]:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> T:
            self._running.append(name)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - t0
                self.calls[name] += 1
                self._running.pop()

        return call

    def _collected(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._collecting = time.perf_counter()
        else:
            where = self._running[-1] if self._running else ""
            self.collector[where] += time.perf_counter() - self._collecting

    @contextlib.contextmanager
    def timing(self) -> Iterator[None]:
        saved = []
        gc.callbacks.append(self._collected)
        try:
            for module_name, name, _ in PHASES:
                module = importlib.import_module(module_name)
                fn = getattr(module, name)  # a renamed step fails here, loudly
                saved.append((module, name, fn))
                setattr(module, name, self._timed(fn, name))
            yield
        finally:
            for module, name, fn in saved:
                setattr(module, name, fn)
            gc.callbacks.remove(self._collected)

    def own(self, name: str) -> float:
        """A step's seconds outside the steps it calls and outside the collector."""
        inner = sum(self.spent.get(step, 0.0) for step in INSIDE.get(name, ()))
        return self.spent.get(name, 0.0) - inner - self.collector[name]


def print_phases(plan: Callable[[], object], base_wall: float) -> None:
    """One more plan, its steps timed: each step's seconds, share and multiple of
    ``sample_units`` (``base_wall``)."""
    clock = StepClock()
    with clock.timing():
        t0 = time.perf_counter()
        plan()
        total = time.perf_counter() - t0
    rows = [(what, clock.own(name), clock.calls[name]) for _, name, what in PHASES]
    collector = sum(clock.collector.values())
    rows.append(("the cycle collector's passes over new objects", collector, 1))
    rest = total - sum(seconds for _, seconds, _ in rows)
    rows.append(("the rest (lists of ids, reasons, probabilities)", rest, 1))
    print(f"where the plan's time goes (one more plan, {total:.2f} s wall, its steps timed):")
    for what, seconds, count in rows:
        if not count:
            print(f"  {what:<52} {'-':>8}   not called in this plan")
            continue
        print(
            f"  {what:<52} {seconds:8.3f} s {seconds / total:6.1%} "
            f"{seconds / base_wall:8,.1f}x sample_units"
        )


def run(n: int, per: int, repeat: int, rules: Rules, phases: bool = False) -> bool:
    """One registry size: print the figures, return whether its targets are met."""
    t0 = time.perf_counter()
    staff_n = max(2, n // per)
    synthetic = synthetic_county("bench-plan", units=n, inspectors=staff_n, experts=staff_n)
    county: Any = BenchCounty(synthetic)
    units, staff = list(county.units), list(county.inspectors)
    built = time.perf_counter() - t0
    print(f"\n== {n:,} units, {len(staff):,} inspectors (registry built in {built:.1f} s)")

    refs = {
        name: RegistryRef(path=f"registries/{name}.csv", fingerprint=fp)
        for name, fp in county.fingerprints.items()
    }
    spec = year_plan_spec(
        "bench",
        county,
        refs,
        rules=rules,
        year=2019,
        tasks_per_inspector=40,
        random_ratio=0.3,
    )
    seed = b"bench"

    def plan() -> AnnualPlan:
        return run_year(spec, county, rules, seed)

    wall, cpu, result = timed(plan, repeat)
    plan_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    decided = rules.evaluate(units, PlanContext(year=2019, rounds=4, start=dt.date(2019, 1, 1)))
    ids, weights, size = list(decided.unit_ids), decided.weights, result.yearly.size

    def baseline() -> object:
        return sample_units(ids, weights, size, seed="bench", draw_id="year")

    base_wall, base_cpu, _ = timed(baseline, max(3, repeat))
    who = Signing(
        drawn_by="bench", signed_by="bench", drawn_at=f"{AT}:00+08:00", signed_at=f"{AT}:01+08:00"
    )

    def record_of(made: AnnualPlan) -> bytes:
        return serde.canonical_json(
            year_plan_record(
                spec,
                made,
                seed=seed,
                seed_record=1,
                seed_method="rfc3797",
                population=n,
                signing=who,
                inputs=spec_inputs(spec, county, rules),
            )
        )

    record_wall, _, written = timed(functools.partial(record_of, result), 1)
    body = json.loads(written)
    size_bytes = len(serde.canonical_json(body))
    tasks = len(result.tasks)
    per_task = size_bytes / max(tasks, 1)
    old_bytes = len(serde.canonical_json(serde.unstructure(result)))
    # a verify holds the record and its own replay, not the plan that wrote it
    del result, written
    gc.collect()
    replay_wall, replay_cpu, problem = timed(lambda: replay_year(body, county, rules) or "", repeat)
    assert problem == "", problem
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"plan_year: {wall:.2f} s wall ({cpu:.2f} s CPU), {tasks:,} tasks")
    print(
        f"sample_units of the year's {size:,} on the same {len(ids):,} units and weights: "
        f"{base_wall * 1e3:.1f} ms wall ({base_cpu * 1e3:.1f} ms CPU); "
        f"plan / sample_units = {wall / base_wall:,.0f}x "
        f"(CPU {cpu / max(base_cpu, 1e-9):,.0f}x; target at 10^6: <= 50x)"
    )
    print(
        f"record ({spec.method}): made and written as JSON in {record_wall:.2f} s wall; "
        f"replay_year (what verify runs): {replay_wall:.2f} s wall = "
        f"{replay_wall / wall:.2f}x the plan (<= 2x); "
        f"CPU {replay_cpu:.2f} s = {replay_cpu / max(cpu, 1e-9):.2f}x the plan's CPU"
    )
    print(
        f"record: {size_bytes:,} bytes = {per_task:,.0f} bytes per task (target <= 400); "
        f"the plan written out in full (plan_year/2 layout): {old_bytes / max(tasks, 1):,.0f} "
        "bytes per task"
    )
    print(
        f"peak RSS: {plan_peak:,.0f} MiB after the registry and the plan (target at 10^6: "
        f"< 4,096); {peak:,.0f} MiB after the record and its replay as well"
    )
    if phases:
        print_phases(plan, base_wall)
    ok = per_task <= 400 and replay_wall <= 2 * wall
    if n >= 1_000_000:
        ok = ok and wall < 10 and plan_peak < 4096 and wall / base_wall <= 50
    elif n >= 100_000:
        ok = ok and wall < 1.5
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--inspectors-per", type=int, default=100, help="units per inspector")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--phases", action="store_true", help="time each step of one more plan (where time goes)"
    )
    args = parser.parse_args()
    rules = Rules.for_jurisdiction("tianjin")
    results = [run(n, args.inspectors_per, args.repeat, rules, args.phases) for n in args.units]
    print("\ntargets:", "met" if all(results) else "NOT met")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
