"""Team draws with the max-flow fallback (spec §10.7) against the reference replayer.

drawcore holds the fallback's network implicitly (its flow as teams and loads, each
node's edges produced when the search reads them); the reference replayer
(``spec/reference/replay.py``) builds the network of §10.7 edge by edge. On tight
random draws (small pools, caps, recusals, expertise areas, experts, work-unit caps)
both must give the same record, byte for byte: the same teams, replacements and
``method: "max_flow"`` parts.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from drawcore.errors import InfeasibleError
from tests.core.flow_oracle import FlowNetwork
from tests.spec_modules import MAKE_VECTORS, REPLAY, load

AREAS = ["冶金", "危险化学品", "机械"]
WORK_UNITS = ["一中队", "二中队", "综合监管股"]


MAKE = load(MAKE_VECTORS)
REFERENCE = load(REPLAY)


@st.composite
def tight_draws(draw: st.DrawFn, plain: bool = False) -> dict[str, Any]:
    """A small team draw whose caps leave little room, so the walk often ends short
    (``plain``: no task requires an area, so the network has no pattern sets)."""
    n_staff = draw(st.integers(3, 9))
    staff = [
        {
            "id": f"44130{i:04d}",
            "work_unit": draw(st.sampled_from(WORK_UNITS)),
            "expertise": sorted(draw(st.sets(st.sampled_from(AREAS), max_size=2))),
            "active": True,
        }
        for i in range(n_staff)
    ]
    n_experts = 0 if plain else draw(st.integers(0, 4))
    experts = [
        {
            "id": f"ZJ{i:04d}",
            "work_unit": "专家库",
            "expertise": sorted(draw(st.sets(st.sampled_from(AREAS), min_size=1, max_size=2))),
            "active": True,
        }
        for i in range(n_experts)
    ]
    units = MAKE.uscc_like(draw(st.integers(2, 7)), "9144")
    tasks = []
    for u in units:
        task: dict[str, Any] = {"unit_id": u, "team_size": draw(st.integers(2, 3))}
        areas = [] if plain else sorted(draw(st.sets(st.sampled_from(AREAS), max_size=2)))
        if areas:
            task["expertise"] = areas
        with_expert: bool = bool(experts) and draw(st.booleans())
        if with_expert:
            task["experts"] = 1
            task["expert_expertise"] = draw(st.none() | st.sampled_from(AREAS))
        tasks.append(task)
    conflicts = draw(
        st.lists(
            st.tuples(st.sampled_from([s["id"] for s in staff]), st.sampled_from(units)),
            max_size=8,
            unique=True,
        )
    )
    return {
        "tasks": tasks,
        "inspectors": staff,
        "experts": experts,
        "conflicts": [[i, u, "recusal: test"] for i, u in conflicts],
        "max_tasks": draw(st.integers(1, 3)),
        "max_tasks_per_work_unit": draw(st.none() | st.integers(2, 6)),
        "max_expert_tasks": draw(st.none() | st.integers(1, 2)) if experts else None,
        "draw_id": f"fallback/{draw(st.integers(0, 10**6))}",
    }


def _vector(case: dict[str, Any]) -> dict[str, Any] | None:
    """drawcore's record of the draw as a test vector, or None when it is infeasible."""
    try:
        vector: dict[str, Any] = MAKE.team_vector(
            "fallback", "random tight draw", case.pop("tasks"), case.pop("inspectors"), **case
        )
    except InfeasibleError:
        return None
    return vector


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=tight_draws())
def test_drawcore_and_the_reference_give_the_same_record(case: dict[str, Any]) -> None:
    vector = _vector(case)
    assume(vector is not None)
    assert vector is not None
    REFERENCE.run_vector(vector)  # raises, naming the first difference, when they disagree


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=tight_draws(plain=True))
def test_without_areas_drawcore_and_the_reference_give_the_same_record(
    case: dict[str, Any],
) -> None:
    """Tasks needing no area: the inspectors' network has only seat edges (its own
    shortcuts in drawcore), and a short task is staffed by moving others' members.
    A draw drawcore refuses must be one no assignment staffs (an independent max-flow)."""
    seats = sum(t["team_size"] for t in case["tasks"])
    staffed = _most_seats(case)
    vector = _vector(dict(case))
    if vector is None:
        assert staffed < seats, "drawcore refused a draw that can be staffed"
        return
    assert staffed == seats
    REFERENCE.run_vector(vector)


def _most_seats(case: dict[str, Any]) -> int:
    """The most seats any assignment fills: task -> member (not recused) -> work unit ->
    sink, under the workload caps."""
    tasks, staff = case["tasks"], case["inspectors"]
    recused = {(i, u) for i, u, _ in case["conflicts"]}
    units = sorted({s["work_unit"] for s in staff})
    net = FlowNetwork(2 + len(tasks) + len(staff) + len(units))
    source, sink = 0, 1
    member = {s["id"]: 2 + len(tasks) + k for k, s in enumerate(staff)}
    unit = {wu: 2 + len(tasks) + len(staff) + k for k, wu in enumerate(units)}
    per_unit = case["max_tasks_per_work_unit"]
    for k, t in enumerate(tasks):
        net.add_edge(source, 2 + k, t["team_size"])
        for s in staff:
            if (s["id"], t["unit_id"]) not in recused:
                net.add_edge(2 + k, member[s["id"]], 1)
    for s in staff:
        net.add_edge(member[s["id"]], unit[s["work_unit"]], case["max_tasks"])
    for wu in units:
        net.add_edge(unit[wu], sink, len(tasks) * len(staff) if per_unit is None else per_unit)
    return net.max_flow(source, sink)


def test_the_random_draws_reach_the_fallback() -> None:
    """The draws above exercise §10.7: over fixed seeds, many end in max-flow parts."""
    reached = 0
    for case in _fixed_cases(200):
        vector = _vector(case)
        if vector is not None and "max_flow" in str(vector["result"]):
            reached += 1
            REFERENCE.run_vector(vector)
    assert reached >= 15, f"only {reached} of 200 draws reached the fallback"


def _fixed_cases(n: int) -> list[dict[str, Any]]:
    """``n`` tight draws from a seeded generator (a fixed, counted set)."""
    rnd = random.Random(20261205)
    out = []
    for k in range(n):
        staff = [
            {
                "id": f"44130{i:04d}",
                "work_unit": rnd.choice(WORK_UNITS),
                "expertise": sorted(rnd.sample(AREAS, rnd.randint(0, 2))),
                "active": True,
            }
            for i in range(rnd.randint(3, 8))
        ]
        cap = rnd.randint(1, 2)  # about as many seats as the caps allow
        units = MAKE.uscc_like(max(2, min(8, len(staff) * cap // 2 - rnd.randint(0, 1))), "9144")
        tasks: list[dict[str, Any]] = []
        for u in units:
            task: dict[str, Any] = {"unit_id": u, "team_size": 2 if rnd.random() < 0.8 else 3}
            areas = sorted(rnd.sample(AREAS, rnd.choice([0, 0, 1, 2])))
            if areas:
                task["expertise"] = areas
            tasks.append(task)
        conflicts = sorted(
            {(rnd.choice(staff)["id"], rnd.choice(units)) for _ in range(rnd.randint(0, 4))}
        )
        out.append(
            {
                "tasks": tasks,
                "inspectors": staff,
                "experts": [],
                "conflicts": [[i, u, "recusal: test"] for i, u in conflicts],
                "max_tasks": cap,
                "max_tasks_per_work_unit": rnd.choice([None, None, 3, 4]),
                "max_expert_tasks": None,
                "draw_id": f"fallback/fixed-{k}",
            }
        )
    return out
