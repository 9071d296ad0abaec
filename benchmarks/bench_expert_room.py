"""Benchmark: the check before the seed that planned expert places fit the experts who
hold their areas (``plan.people_room._short``: Hall's condition by a maximum flow).

Cases: ``--areas`` asked areas (one per industry), ``--experts`` experts holding 1 to 3
of them at random, 20 tasks a round over 4 rounds each, and planned places per area
drawn around ``load`` times what all experts give (below 1 they usually fit, above 1
they cannot); every case is drawn from a fixed seed.

Baseline, in the same run on the same case: one pass over the experts' areas (what
the check must read at least: the set of asked areas each expert holds). Printed per
case: the check's best time of ``--repeat`` runs, the baseline's, their ratio, and
whether the places fit.

Run: ``python benchmarks/bench_expert_room.py [--areas 13 40 100] [--experts 1000 10000]``
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from drawcore.plan.people_room import _short

T = TypeVar("T")
ROOM = 20 * 4


def best(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Best wall-clock time of ``repeat`` runs (at least one), and the last result."""
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def _one_pass(wanted: frozenset[str], people: list[tuple[str, ...]]) -> list[frozenset[str]]:
    return [wanted.intersection(p) for p in people]


def case(
    areas: int, experts: int, load: float
) -> tuple[list[tuple[str, frozenset[str], int]], list[tuple[str, ...]]]:
    rnd = random.Random(f"{areas}/{experts}/{load}")
    names = [f"行业{i:03d}" for i in range(areas)]
    people = [tuple(rnd.sample(names, rnd.randint(1, 3))) for _ in range(experts)]
    per_area = ROOM * experts * load / areas
    needs = [
        (f"U{i:03d}", frozenset([a]), int(per_area * rnd.uniform(0.5, 1.5)))
        for i, a in enumerate(names)
    ]
    return needs, people


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--areas", type=int, nargs="+", default=[13, 40, 100])
    parser.add_argument("--experts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--load", type=float, nargs="+", default=[0.8, 1.0, 1.2])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for areas in args.areas:
        for experts in args.experts:
            for load in args.load:
                needs, people = case(areas, experts, load)
                wanted = frozenset().union(*(a for _, a, _ in needs))
                base, _ = best(partial(_one_pass, wanted, people), args.repeat)
                took, short = best(partial(_short, needs, people, ROOM), args.repeat)
                verdict = "fits" if short is None else f"short by {short.needed - short.available}"
                print(
                    f"{areas:4d} areas, {experts:6,d} experts, load {load:.1f}: check "
                    f"{took * 1e3:7.1f} ms, one pass over the experts {base * 1e3:6.1f} ms, "
                    f"ratio {took / base:5.1f}x ({verdict})"
                )


if __name__ == "__main__":
    main()
