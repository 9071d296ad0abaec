"""The team fallback (draw/solver.py, draw/residual.py): counted, not listed, at any size."""

from __future__ import annotations

import tracemalloc
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore.draw import solver
from drawcore.draw.candidates import _pool
from drawcore.draw.randomness import DrawKey
from drawcore.draw.teams import draw_teams
from drawcore.draw.walk import _eligible, _Job
from drawcore.model import Inspector

AREAS = ("化工", "机械", "消防")


@given(
    expertise=st.lists(st.sets(st.sampled_from(AREAS)), min_size=1, max_size=12),
    requirement=st.none() | st.sampled_from(AREAS),
    conflicts=st.sets(st.integers(0, 11)),
    require_all=st.booleans(),
)
def test_eligible_count_is_the_length_of_the_eligible_list(
    expertise: list[set[str]], requirement: str | None, conflicts: set[int], require_all: bool
) -> None:
    staff = [
        Inspector(inspector_id=f"I{k:02d}", name="检", work_unit="队", expertise=tuple(e))
        for k, e in enumerate(expertise)
    ]
    pool = _pool("inspectors", staff, DrawKey.derive("s", "d"), "inspector")
    job = _Job(0, "U1", 2, requirement, {i: "r" for i in conflicts if i < pool.size})
    counted = solver._eligible_count(pool, job, require_all, {})
    assert counted == len(_eligible(pool, job, require_all))


def test_bl5_the_fallback_staffs_a_city_sized_draw_without_building_its_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """3,000 units, 1,500 inspectors, cap 4: exactly the seats the teams need, so the walk
    can end with one inspector holding two seats for the last task, and the exact fallback
    re-staffs it. Its network would have 4,500,000 member edges; held implicitly, the
    fallback builds no eligible list and stays within a few MiB above the draw itself."""

    def built(*_args: object) -> list[int]:
        raise AssertionError("the fallback built an eligible list of the whole pool")

    monkeypatch.setattr(solver, "_eligible", built)
    units = [f"U{n:05d}" for n in range(3_000)]
    staff = [f"I{n:04d}" for n in range(1_500)]
    tracemalloc.start()
    try:
        drawn = draw_teams(units, staff, seed="city-1", max_tasks=4)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    methods = Counter(p.method for a in drawn.assignments for p in a.parts)
    assert methods["max_flow"] >= 1, methods
    load = Counter(i for a in drawn.assignments for i in a.members)
    assert all(len(set(a.members)) == 2 for a in drawn.assignments)
    assert len(drawn.assignments) == 3_000
    assert max(load.values()) <= 4
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.1f} MiB"
