"""After the fallback, every job is staffed within the caps and each member's load is
the number of teams it sits on, each work unit's the number of seats its members take
(with and without an area to cover, with and without work-unit caps)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from drawcore.draw.candidates import _pool
from drawcore.draw.randomness import DrawKey
from drawcore.draw.solver import _fallback
from drawcore.draw.walk import _Job, _Load, _walk
from drawcore.errors import InfeasibleError
from drawcore.model import Inspector

AREAS = ("化工", "冶金")
UNITS = ("一队", "二队")


@st.composite
def tight_pools(
    draw: st.DrawFn,
) -> tuple[list[Inspector], list[_Job], list[int], dict[str, int] | None, str]:
    size = draw(st.integers(2, 7))
    staff = [
        Inspector(
            inspector_id=f"I{k}",
            name="检",
            work_unit=draw(st.sampled_from(UNITS)),
            expertise=tuple(draw(st.sets(st.sampled_from(AREAS)))),
        )
        for k in range(size)
    ]
    caps = draw(st.lists(st.integers(1, 4), min_size=size, max_size=size))
    unit_caps = draw(st.none() | st.fixed_dictionaries({u: st.integers(4, 16) for u in UNITS}))
    areas = draw(st.booleans())  # without areas, the flow's common case
    jobs = []
    for t in range(draw(st.integers(1, min(10, max(1, sum(caps) // 3))))):
        recused = draw(st.sets(st.integers(0, size - 1), max_size=1))
        jobs.append(
            _Job(
                task=t,
                unit_id=f"U{t:02d}",
                seats=draw(st.integers(2, 3)),
                requirement=draw(st.none() | st.sampled_from(AREAS)) if areas else None,
                conflicts=dict.fromkeys(recused, "recused: declared conflict"),
            )
        )
    return staff, jobs, caps, unit_caps, draw(st.text("abc", min_size=1, max_size=4))


@settings(max_examples=300, deadline=None)
@given(tight_pools())
def test_after_the_fallback_each_load_is_the_teams_a_member_sits_on(
    case: tuple[list[Inspector], list[_Job], list[int], dict[str, int] | None, str],
) -> None:
    staff, jobs, caps, unit_caps, seed = case
    pool = _pool("inspectors", staff, DrawKey.derive(seed, "teams"), "inspector")
    load = _Load(
        counts={}, caps={"inspectors": caps}, wcounts={}, wcaps=unit_caps, cap_text="max_tasks"
    )
    _walk(pool, jobs, load, False, max(j.seats for j in jobs) + 4)
    try:
        _fallback(pool, jobs, load, False)
    except InfeasibleError:
        return
    sits = Counter(i for j in jobs for i in j.members)
    assert {i: n for (_, i), n in load.counts.items()} == dict(sits)
    for job in jobs:
        assert len(job.members) == job.seats == len(set(job.members))
        assert not set(job.members) & set(job.conflicts)
    assert all(sits[i] <= caps[i] for i in range(pool.size))
    seats = Counter(pool.work_units[i] for j in jobs for i in j.members)
    if unit_caps is not None:
        assert {w: n for w, n in load.wcounts.items() if n} == dict(seats)
        assert all(n <= unit_caps[w] for w, n in seats.items())
