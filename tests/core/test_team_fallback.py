"""The team fallback's size limit (draw/solver.py): counted before anything is built."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore.draw import solver
from drawcore.draw.candidates import _pool
from drawcore.draw.randomness import DrawKey
from drawcore.draw.teams import draw_teams
from drawcore.draw.walk import _eligible, _Job
from drawcore.errors import InfeasibleError
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


def test_bl5_a_fallback_over_its_limit_is_refused_before_it_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """X needs A and B (C, D recuse); some seeds make the walk leave X short, so the exact
    fallback is needed: 4 + 2 eligible pairs. With the limit at 5 it is refused, naming
    the edge count, and the eligible lists are never built."""

    def built(*_args: object) -> list[int]:
        raise AssertionError("the fallback built its eligible lists before checking the limit")

    monkeypatch.setattr(solver, "_MAX_FLOW_EDGES", 5)
    monkeypatch.setattr(solver, "_eligible", built)
    messages = []
    for n in range(40):
        try:
            draw_teams(
                ["X", "Y"],
                ["A", "B", "C", "D"],
                seed=f"trap-{n}",
                conflicts=[("C", "X"), ("D", "X")],
                max_tasks=1,
            )
        except InfeasibleError as err:
            messages.append(str(err))
    assert messages, "some seed makes the walk fail, so the fallback is reached"
    assert all("would need 6 edges (limit 5)" in m for m in messages), messages
