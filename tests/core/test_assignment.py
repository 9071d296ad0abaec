"""Inspector teams (BL-4, BL-5, BL-10, TJ-2, TJ-5, TJ-8): properties, oracle, fairness, records."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore import (
    InfeasibleError,
    InspectionMode,
    Inspector,
    InvalidInputError,
    TeamTask,
    assign_teams,
    draw_teams,
    format_team_draw,
)
from drawcore.draw.candidates import candidate_order
from drawcore.draw.randomness import DrawKey, hash_ids
from drawcore.draw.team_model import (
    PassedOver,
    PoolTeam,
    Replacement,
    TeamAssignment,
    TeamDraw,
    drawn_task,
    passed_over,
    pool_team,
    team_assignment,
)
from drawcore.model import Expert

EXPERTISE = ("chem", "mine")
AREAS = ("chem", "fire", "mine")


def areas(requirement: str | Sequence[str]) -> tuple[str, ...]:
    return (requirement,) if isinstance(requirement, str) else tuple(requirement)


def inspector(
    iid: str, *, wu: str = "bureau", exp: Sequence[str] = (), active: bool = True
) -> Inspector:
    return Inspector(
        inspector_id=iid, name=f"name {iid}", work_unit=wu, expertise=tuple(exp), active=active
    )


# --------------------------------------------------------------------------- oracle


def brute_force_feasible(
    units: Sequence[str],
    inspectors: Sequence[Inspector],
    size: int,
    conflicts: set[tuple[str, str]],
    cap: int | None,
    requirement: Mapping[str, str | Sequence[str]],
    wcap: int | None,
) -> bool:
    """Whether any assignment meets every constraint: enumerate every team of every task.

    A requirement is one area or several; each area needs at least one member holding it."""
    ids = [i.inspector_id for i in inspectors if i.active]
    wu = {i.inspector_id: i.work_unit for i in inspectors}
    exp = {i.inspector_id: set(i.expertise) for i in inspectors}
    options = []
    for u in units:
        teams = [
            team
            for team in itertools.combinations(ids, size)
            if not any((i, u) in conflicts for i in team)
            and all(any(r in exp[i] for i in team) for r in areas(requirement.get(u, ())))
        ]
        options.append(teams)
    for choice in itertools.product(*options):
        load = Counter(i for team in choice for i in team)
        if cap is not None and any(n > cap for n in load.values()):
            continue
        wload = Counter(wu[i] for team in choice for i in team)
        if wcap is not None and any(n > wcap for n in wload.values()):
            continue
        return True
    return False


@st.composite
def small_instances(draw: st.DrawFn) -> dict[str, object]:
    n_ins = draw(st.integers(2, 6))
    n_units = draw(st.integers(1, 3))
    size = draw(st.integers(2, 3))
    inspectors = [
        inspector(
            f"I{n}",
            wu=draw(st.sampled_from(["w1", "w2"])),
            exp=draw(st.lists(st.sampled_from(EXPERTISE), max_size=2, unique=True)),
            active=draw(st.booleans()) if n >= 2 else True,
        )
        for n in range(n_ins)
    ]
    units = [f"U{n}" for n in range(n_units)]
    pairs = [(i.inspector_id, u) for i in inspectors for u in units]
    conflicts = set(draw(st.lists(st.sampled_from(pairs), max_size=len(pairs), unique=True)))
    cap = draw(st.one_of(st.none(), st.integers(0, 3)))
    wcap = draw(st.one_of(st.none(), st.integers(1, 6)))
    requirement = {
        u: e
        for u in units
        if (e := draw(st.one_of(st.none(), st.sampled_from(EXPERTISE)))) is not None
    }
    seed = draw(st.text(alphabet="abcdef0123456789", min_size=1, max_size=6))
    return {
        "units": units,
        "inspectors": inspectors,
        "size": size,
        "conflicts": conflicts,
        "cap": cap,
        "wcap": wcap,
        "requirement": requirement,
        "seed": seed,
    }


def run(inst: Mapping[str, object]) -> TeamDraw:
    units = inst["units"]
    requirement = inst["requirement"]
    assert isinstance(units, list)
    assert isinstance(requirement, dict)
    return draw_teams(
        [TeamTask(unit_id=u, expertise=requirement.get(u)) for u in units],
        inst["inspectors"],  # type: ignore[arg-type]
        seed=inst["seed"],  # type: ignore[arg-type]
        team_size=inst["size"],  # type: ignore[arg-type]
        conflicts=sorted(inst["conflicts"]),  # type: ignore[call-overload]
        max_tasks=inst["cap"],  # type: ignore[arg-type]
        max_tasks_per_work_unit=inst["wcap"],  # type: ignore[arg-type]
    )


def check_constraints(draw: TeamDraw, inst: Mapping[str, object]) -> None:
    inspectors = {i.inspector_id: i for i in inst["inspectors"]}  # type: ignore[attr-defined]
    conflicts = inst["conflicts"]
    cap, wcap, size = inst["cap"], inst["wcap"], inst["size"]
    requirement = inst["requirement"]
    assert isinstance(conflicts, set)
    assert isinstance(requirement, dict)
    load: Counter[str] = Counter()
    wload: Counter[str] = Counter()
    for a in draw.assignments:
        assert len(a.members) == size == len(set(a.members))
        assert a.members == tuple(sorted(a.members))
        for i in a.members:
            assert inspectors[i].active
            assert (i, a.unit_id) not in conflicts
            load[i] += 1
            wload[inspectors[i].work_unit] += 1
        for r in areas(requirement.get(a.unit_id, ())):
            assert any(r in inspectors[i].expertise for i in a.members), (a.unit_id, r)
    if cap is not None:
        assert max(load.values(), default=0) <= cap  # type: ignore[operator]
    if wcap is not None:
        assert max(wload.values(), default=0) <= wcap  # type: ignore[operator]


def oracle_agrees(inst: Mapping[str, object]) -> None:
    """Staffed (and every rule holds) iff the brute-force oracle finds a way; otherwise the
    error names the units and the blocking constraint."""
    feasible = brute_force_feasible(
        inst["units"],  # type: ignore[arg-type]
        inst["inspectors"],  # type: ignore[arg-type]
        inst["size"],  # type: ignore[arg-type]
        inst["conflicts"],  # type: ignore[arg-type]
        inst["cap"],  # type: ignore[arg-type]
        inst["requirement"],  # type: ignore[arg-type]
        inst["wcap"],  # type: ignore[arg-type]
    )
    if feasible:
        check_constraints(run(inst), inst)
    else:
        with pytest.raises(InfeasibleError, match=r"cannot staff \d+ task") as info:
            run(inst)
        named = [u for u in inst["units"] if u in str(info.value)]  # type: ignore[attr-defined]
        assert named, "the error names the units that cannot be staffed"
        assert any(word in str(info.value) for word in ("recusal", "expertise", "workload caps")), (
            "the error names the blocking constraint"
        )


def shuffled_rows(inst: Mapping[str, object], rnd: object) -> dict[str, object]:
    """``inst`` with its inspectors and units in another row order."""
    shuffled = dict(inst)
    ins = list(inst["inspectors"])  # type: ignore[call-overload]
    units = list(inst["units"])  # type: ignore[call-overload]
    rnd.shuffle(ins)  # type: ignore[attr-defined]
    rnd.shuffle(units)  # type: ignore[attr-defined]
    shuffled["inspectors"], shuffled["units"] = ins, units
    return shuffled


# --------------------------------------------------------------------------- properties


@given(small_instances())
def test_bl5_team_rules_hold_or_infeasible_matches_brute_force_oracle(
    inst: dict[str, object],
) -> None:
    """Size exact, no conflict, caps, expertise; and staffed iff the oracle finds a way."""
    oracle_agrees(inst)


@given(small_instances(), st.randoms(use_true_random=False))
def test_bl5_row_order_never_changes_the_teams(inst: dict[str, object], rnd: object) -> None:
    try:
        first = run(inst)
    except InfeasibleError:
        return
    assert run(shuffled_rows(inst, rnd)) == first
    assert run(inst) == first  # and the same seed gives the same record again


@given(small_instances())
def test_bl5_walk_follows_the_published_candidate_order(inst: dict[str, object]) -> None:
    """Replay step 3 from the public candidate_order: each team is the first eligible candidates."""
    try:
        draw = run(inst)
    except InfeasibleError:
        return
    if any(p.method == "max_flow" for a in draw.assignments for p in a.parts):
        return  # the walk left a task short; the fallback is checked by the oracle test
    inspectors = {i.inspector_id: i for i in inst["inspectors"]}  # type: ignore[attr-defined]
    active = [i for i in inspectors.values() if i.active]
    cap, wcap, size = inst["cap"], inst["wcap"], inst["size"]
    conflicts, requirement = inst["conflicts"], inst["requirement"]
    assert isinstance(conflicts, set)
    assert isinstance(requirement, dict)
    assert isinstance(size, int)
    load: Counter[str] = Counter()
    wload: Counter[str] = Counter()
    teams = draw.teams()
    for unit in draw.processing_order:
        team: list[str] = []
        req = requirement.get(unit)
        for c in candidate_order(inst["seed"], unit, active):  # type: ignore[arg-type]
            if len(team) == size:
                break
            ok = (c, unit) not in conflicts
            ok = ok and (cap is None or load[c] < cap)  # type: ignore[operator]
            ok = ok and (wcap is None or wload[inspectors[c].work_unit] < wcap)  # type: ignore[operator]
            if ok and req and len(team) == size - 1:
                ok = any(req in inspectors[m].expertise for m in [*team, c])
            if ok:
                team.append(c)
                load[c] += 1
                wload[inspectors[c].work_unit] += 1
        assert teams[unit] == tuple(sorted(team))


def test_bl5_processing_order_is_the_keyed_hash_order() -> None:
    units = [f"U{n}" for n in range(30)]
    draw = draw_teams(units, [f"I{n}" for n in range(8)], seed="order")
    h = hash_ids(DrawKey.derive("order", "teams").child("order"), units)
    assert list(draw.processing_order) == [units[n] for n in np.argsort(h)]


def test_bl5_candidate_order_is_a_permutation_of_active_inspectors() -> None:
    ins = [inspector(f"I{n}", active=n != 3) for n in range(40)]
    order = candidate_order("perm", "U1", ins)
    assert sorted(order) == sorted(i.inspector_id for i in ins if i.active)
    assert candidate_order("perm", "U1", list(reversed(ins))) == order
    assert candidate_order("perm", "U2", ins) != order


def test_bl5_candidate_order_first_place_is_uniform() -> None:
    """Each of 10 inspectors heads the order 1/10 of the time, over 4,000 units (4 sigma)."""
    ids = [f"I{n}" for n in range(10)]
    n_units = 4000
    first = Counter(candidate_order("uniform", f"U{u}", ids)[0] for u in range(n_units))
    sigma = math.sqrt(n_units * 0.1 * 0.9)
    for i in ids:
        assert abs(first[i] - n_units / 10) < 4 * sigma, (i, first[i])


# --------------------------------------------------------------------------- recusal, replacement


def test_bl5_recused_inspector_never_on_team_and_is_replaced_by_next_candidate() -> None:
    ids = [f"I{n:02d}" for n in range(12)]
    units = [f"U{n}" for n in range(50)]
    conflicts = []
    for u in units:
        order = candidate_order("recuse", u, ids)
        conflicts.append((order[0], u, "recusal: related by marriage (BL-5 回避)"))
    draw = draw_teams(units, ids, seed="recuse", conflicts=conflicts)
    for a in draw.assignments:
        order = candidate_order("recuse", a.unit_id, ids)
        (part,) = a.parts
        assert order[0] not in a.members
        assert part.drawn == order[:2]
        assert a.members == tuple(sorted(order[1:3]))
        (rep,) = part.replacements
        assert rep.drawn == order[0]
        assert rep.replaced_by == order[2]
        assert "BL-5" in rep.reason
        assert part.passed_over[0].inspector_id == order[0]
        assert part.passed_over[0].position == 0


def test_bl5_assign_teams_matches_draw_teams_and_contract_shape() -> None:
    ids = [f"I{n}" for n in range(9)]
    units = [f"U{n}" for n in range(20)]
    conflicts = [("I1", "U3"), ("I2", "U3"), ("I4", "U7")]
    teams = assign_teams(units, ids, seed="x", conflicts=conflicts, max_tasks=6)
    assert list(teams) == sorted(units)
    assert teams == draw_teams(units, ids, seed="x", conflicts=conflicts, max_tasks=6).teams()
    assert all(isinstance(t, tuple) and len(t) == 2 for t in teams.values())


def test_bl5_derived_recusals_feed_the_draw() -> None:
    from drawcore import Unit
    from drawcore.draw.recusal import rotation_recusals, township_recusals, work_unit_recusals

    units = [
        Unit(
            unit_id=f"U{n}",
            name=f"unit {n}",
            subject_type="有限责任公司",
            industry="chem",
            township=f"T{n % 2}",
        )
        for n in range(6)
    ]
    ins = [
        Inspector(inspector_id="A", name="a", work_unit="T0", township="T1"),
        Inspector(inspector_id="B", name="b", work_unit="bureau", township="T0"),
        Inspector(inspector_id="C", name="c", work_unit="bureau"),
        Inspector(inspector_id="D", name="d", work_unit="bureau"),
        Inspector(inspector_id="E", name="e", work_unit="bureau"),
        Inspector(inspector_id="F", name="f", work_unit="bureau", township="T0", active=False),
    ]
    town = township_recusals(units, ins)
    assert {(r.inspector_id, r.unit_id) for r in town} == {
        ("A", "U1"),
        ("A", "U3"),
        ("A", "U5"),
        ("B", "U0"),
        ("B", "U2"),
        ("B", "U4"),
    }
    assert all("township" in r.reason and "BL-5" in r.reason for r in town)
    work = work_unit_recusals(units, ins)
    assert {(r.inspector_id, r.unit_id) for r in work} == {("A", "U0"), ("A", "U2"), ("A", "U4")}
    rot = rotation_recusals({"U0": ["C", "D"], "U1": ["E"]})
    assert {(r.inspector_id, r.unit_id) for r in rot} == {("C", "U0"), ("D", "U0"), ("E", "U1")}
    assert all("rotate" in r.reason for r in rot)
    unit_ids = [u.unit_id for u in units]
    # U0: A and B recuse by rule, C and D rotate out, F is inactive: only E is left
    with pytest.raises(InfeasibleError, match=r"U0 \(recusal leaves 1 eligible of 5, needs 2\)"):
        draw_teams(unit_ids, ins, seed="rules", conflicts=town + work + rot)
    rot = rotation_recusals({"U0": ["C"], "U1": ["E"]})
    teams = draw_teams(unit_ids, ins, seed="rules", conflicts=town + work + rot).teams()
    assert teams["U0"] == ("D", "E")
    for r in town + work + rot:
        assert r.inspector_id not in teams[r.unit_id]


# --------------------------------------------------------------------------- fallback, infeasible


@st.composite
def tight_instances(draw: st.DrawFn) -> dict[str, object]:
    """Instances where capacity barely covers the seats, so the walk can paint itself in."""
    n_ins = draw(st.integers(4, 6))
    cap = draw(st.integers(1, 2))
    n_units = min(4, max(1, (n_ins * cap) // 2))
    inspectors = [
        inspector(
            f"I{n}",
            wu="w1",
            exp=draw(st.lists(st.sampled_from(EXPERTISE[:1]), max_size=1)),
        )
        for n in range(n_ins)
    ]
    units = [f"U{n}" for n in range(n_units)]
    pairs = [(i.inspector_id, u) for i in inspectors for u in units]
    conflicts = set(draw(st.lists(st.sampled_from(pairs), max_size=3, unique=True)))
    requirement = {u: "chem" for u in units if draw(st.booleans())}
    seed = draw(st.text(alphabet="0123456789", min_size=1, max_size=4))
    return {
        "units": units,
        "inspectors": inspectors,
        "size": 2,
        "conflicts": conflicts,
        "cap": cap,
        "wcap": None,
        "requirement": requirement,
        "seed": seed,
    }


@given(tight_instances())
def test_bl5_tight_instances_staffed_whenever_brute_force_finds_a_way(
    inst: dict[str, object],
) -> None:
    feasible = brute_force_feasible(
        inst["units"],  # type: ignore[arg-type]
        inst["inspectors"],  # type: ignore[arg-type]
        2,
        inst["conflicts"],  # type: ignore[arg-type]
        inst["cap"],  # type: ignore[arg-type]
        inst["requirement"],  # type: ignore[arg-type]
        None,
    )
    if feasible:
        check_constraints(run(inst), inst)
    else:
        with pytest.raises(InfeasibleError):
            run(inst)


def test_bl5_max_flow_fallback_rescues_a_task_the_walk_left_short() -> None:
    """X needs A and B (C, D recuse); if Y's walk takes A or B first, only the fallback helps."""
    ids = ["A", "B", "C", "D"]
    conflicts = [("C", "X"), ("D", "X")]
    rescued = replaced = 0
    for n in range(40):
        draw = draw_teams(["X", "Y"], ids, seed=f"trap-{n}", conflicts=conflicts, max_tasks=1)
        teams = draw.teams()
        assert teams == {"X": ("A", "B"), "Y": ("C", "D")}
        methods = {a.unit_id: a.parts[0].method for a in draw.assignments}
        if "max_flow" in methods.values():
            rescued += 1
            moved = [a for a in draw.assignments if a.parts[0].method == "max_flow"]
            for a in moved:
                # each drawn candidate who does not serve is replaced by a member who was
                # not drawn, once each: the record says who took whose seat
                part = a.parts[0]
                gone = [d for d in part.drawn if d not in a.members]
                assert [r.drawn for r in part.replacements] == gone
                incoming = sorted(set(a.members) - set(part.drawn))
                assert sorted(str(r.replaced_by) for r in part.replacements) == incoming
                replaced += len(gone)
            assert "max-flow" in format_team_draw(draw)
    assert rescued > 0, "some seed makes the walk fail, so the fallback is exercised"
    assert replaced > 0, "a task moved by the fallback had a drawn candidate replaced"


def test_bl5_infeasible_error_names_units_and_blocking_constraint() -> None:
    ids = [f"I{n}" for n in range(4)]
    with pytest.raises(InfeasibleError, match=r"U2 \(recusal leaves 1 eligible of 4, needs 2\)"):
        assign_teams(["U1", "U2"], ids, seed="s", conflicts=[(i, "U2") for i in ids[1:]])
    with pytest.raises(InfeasibleError, match=r"workload caps \(max_tasks\)"):
        assign_teams([f"U{n}" for n in range(5)], ids, seed="s", max_tasks=2)
    with pytest.raises(InfeasibleError, match=r"expertise 'chem': no eligible member holds it"):
        assign_teams(["U1"], ids, seed="s", expertise={"U1": "chem"})
    with pytest.raises(InfeasibleError, match=r"recusal leaves 2 eligible of 2, needs 3"):
        assign_teams(["U1"], ids[:2], seed="s", team_size=3)


# --------------------------------------------------------------------------- workload and fairness


def test_bl5_fair_load_without_constraints_within_4_sigma() -> None:
    """No constraints: each task's count per inspector is Binomial(tasks * seeds, size / I)."""
    ids = [f"I{n}" for n in range(10)]
    units = [f"U{n}" for n in range(20)]
    seeds = 200
    load: Counter[str] = Counter()
    for s in range(seeds):
        for team in assign_teams(units, ids, seed=f"fair-{s}").values():
            load.update(team)
    trials, p = len(units) * seeds, 2 / len(ids)
    mean, sigma = trials * p, math.sqrt(trials * p * (1 - p))
    for i in ids:
        assert abs(load[i] - mean) < 4 * sigma, (i, load[i], mean, sigma)


def test_bl5_fair_load_with_a_cap_within_4_sigma() -> None:
    """With a cap inspectors stay exchangeable: equal expected load; per draw the count is in
    [0, cap], so its variance is at most cap**2 / 4 (Popoviciu) -- the bound used here."""
    ids = [f"I{n}" for n in range(10)]
    units = [f"U{n}" for n in range(18)]
    seeds, cap = 300, 5
    load: Counter[str] = Counter()
    for s in range(seeds):
        teams = assign_teams(units, ids, seed=f"cap-{s}", max_tasks=cap)
        per = Counter(i for t in teams.values() for i in t)
        assert max(per.values()) <= cap
        load.update(per)
    mean = seeds * len(units) * 2 / len(ids)
    sigma = math.sqrt(seeds * cap**2 / 4)
    for i in ids:
        assert abs(load[i] - mean) < 4 * sigma, (i, load[i], mean)


def test_bl5_work_unit_cap_is_never_exceeded() -> None:
    ins = [inspector(f"I{n}", wu=f"team{n % 3}") for n in range(9)]
    units = [f"U{n}" for n in range(9)]
    caps = {"team0": 2, "team1": 8, "team2": 8}
    draw = draw_teams(units, ins, seed="wu", max_tasks_per_work_unit=caps)
    wu = Counter(f"team{int(m[1:]) % 3}" for a in draw.assignments for m in a.members)
    assert wu["team0"] <= 2
    assert sum(wu.values()) == 18
    with pytest.raises(InfeasibleError):
        draw_teams(units, ins, seed="wu", max_tasks_per_work_unit=5)


# --------------------------------------------------------------------------- expertise and experts


def test_bl4_expertise_requirement_met_by_reserving_the_last_seat() -> None:
    ins = [inspector(f"I{n}", exp=("chem",) if n == 7 else ()) for n in range(12)]
    tasks = [TeamTask(unit_id=f"U{n}", expertise="chem") for n in range(5)]
    draw = draw_teams(tasks, ins, seed="chem", team_size=3)
    for a in draw.assignments:
        assert "I7" in a.members
        (part,) = a.parts
        skipped = [p for p in part.passed_over if "reserved for expertise 'chem'" in p.reason]
        order = list(part.candidates)
        if order.index("I7") < 2:  # drawn among the first two: nothing to reserve
            assert len(order) == 3
            assert skipped == []
        else:  # non-experts skipped once two seats are taken, until I7 comes up
            assert order[-1] == "I7"
            assert len(skipped) == len(order) - 3
    assert any(a.parts[0].passed_over for a in draw.assignments), "the reservation is exercised"


# ------------------------------------------------------------------------- several expertise areas


@st.composite
def multi_instances(draw: st.DrawFn, *, tight: bool = False) -> dict[str, object]:
    """Tasks needing one to three areas; inspectors holding up to two. ``tight``: caps of
    1-2 on barely enough inspectors, so the walk often paints itself into a corner."""
    n_ins = draw(st.integers(4, 6) if tight else st.integers(2, 6))
    size = draw(st.integers(2, 3))
    cap = draw(st.integers(1, 2)) if tight else draw(st.one_of(st.none(), st.integers(0, 3)))
    n_units = min(3, max(1, (n_ins * cap) // size)) if tight else draw(st.integers(1, 3))
    inspectors = [
        inspector(
            f"I{n}",
            wu=draw(st.sampled_from(["w1", "w2"])),
            exp=draw(st.lists(st.sampled_from(AREAS), max_size=2, unique=True)),
        )
        for n in range(n_ins)
    ]
    units = [f"U{n}" for n in range(n_units)]
    pairs = [(i.inspector_id, u) for i in inspectors for u in units]
    conflicts = set(draw(st.lists(st.sampled_from(pairs), max_size=3 if tight else 6, unique=True)))
    wcap = None if tight else draw(st.one_of(st.none(), st.integers(1, 6)))
    requirement: dict[str, tuple[str, ...]] = {}
    for u in units:
        need = draw(st.lists(st.sampled_from(AREAS), min_size=0 if not tight else 2, max_size=3))
        if need:
            requirement[u] = tuple(sorted(set(need)))
    seed = draw(st.text(alphabet="abcdef0123456789", min_size=1, max_size=6))
    return {
        "units": units,
        "inspectors": inspectors,
        "size": size,
        "conflicts": conflicts,
        "cap": cap,
        "wcap": wcap,
        "requirement": requirement,
        "seed": seed,
    }


@given(multi_instances())
def test_bl5_several_areas_rules_hold_or_infeasible_matches_brute_force_oracle(
    inst: dict[str, object],
) -> None:
    """Every area covered by some member, with recusal and both caps; staffed iff possible."""
    oracle_agrees(inst)


@given(multi_instances(tight=True))
def test_bl5_several_areas_tight_instances_staffed_whenever_brute_force_finds_a_way(
    inst: dict[str, object],
) -> None:
    oracle_agrees(inst)


@given(multi_instances())
def test_bl5_several_areas_walk_holds_a_seat_for_each_uncovered_area(
    inst: dict[str, object],
) -> None:
    """Replay step 3 from the public candidate order: a candidate is taken unless the areas it
    leaves uncovered outnumber the seats left after it."""
    try:
        draw = run(inst)
    except InfeasibleError:
        return
    if any(p.method == "max_flow" for a in draw.assignments for p in a.parts):
        return  # the walk left a task short; the exact fallback is checked by the oracle
    inspectors = {i.inspector_id: i for i in inst["inspectors"]}  # type: ignore[attr-defined]
    active = list(inspectors.values())
    cap, wcap, size = inst["cap"], inst["wcap"], inst["size"]
    conflicts, requirement = inst["conflicts"], inst["requirement"]
    assert isinstance(conflicts, set)
    assert isinstance(requirement, dict)
    assert isinstance(size, int)
    load: Counter[str] = Counter()
    wload: Counter[str] = Counter()
    teams = draw.teams()
    for unit in draw.processing_order:
        team: list[str] = []
        missing = set(requirement.get(unit, ()))
        for c in candidate_order(inst["seed"], unit, active):  # type: ignore[arg-type]
            if len(team) == size:
                break
            ok = (c, unit) not in conflicts
            ok = ok and (cap is None or load[c] < cap)  # type: ignore[operator]
            ok = ok and (wcap is None or wload[inspectors[c].work_unit] < wcap)  # type: ignore[operator]
            left = missing - set(inspectors[c].expertise)
            if ok and len(left) <= size - len(team) - 1:
                team.append(c)
                missing = left
                load[c] += 1
                wload[inspectors[c].work_unit] += 1
        assert teams[unit] == tuple(sorted(team))


@given(multi_instances(tight=True), st.randoms(use_true_random=False))
def test_bl5_several_areas_row_order_never_changes_the_teams(
    inst: dict[str, object], rnd: object
) -> None:
    """Also when the exact search decides the teams."""
    try:
        first = run(inst)
    except InfeasibleError as err:
        first_error = str(err)
    else:
        first_error = ""
    shuffled = shuffled_rows(inst, rnd)
    if first_error:
        with pytest.raises(InfeasibleError):
            run(shuffled)
    else:
        assert run(shuffled) == first


def test_tj8_two_areas_trap_rescued_by_the_exact_search() -> None:
    """X and Y each need chem and mine; A has chem, B mine, C both, D neither; one task each.
    The only teams are {A, B} and {C, D}: when the walk gives X both A and C, only the
    exact search over the ways to cover (C alone, or A with B) finds them."""
    ins = [
        inspector("A", exp=("chem",)),
        inspector("B", exp=("mine",)),
        inspector("C", exp=("chem", "mine")),
        inspector("D"),
    ]
    tasks = [TeamTask(unit_id=u, expertise=["mine", "chem"]) for u in ("X", "Y")]
    rescued = 0
    for n in range(40):
        draw = draw_teams(tasks, ins, seed=f"trap2-{n}", max_tasks=1)
        assert sorted(draw.teams().values()) == [("A", "B"), ("C", "D")]
        if any(a.parts[0].method == "max_flow" for a in draw.assignments):
            rescued += 1
            assert "max-flow" in format_team_draw(draw)
    assert rescued > 0, "some seed makes the walk fail, so the exact search is exercised"


def test_bl5_several_areas_infeasible_error_names_task_and_uncovered_areas() -> None:
    one_each = [inspector(f"I{n}", exp=(AREAS[n % 3],)) for n in range(6)]
    with pytest.raises(
        InfeasibleError,
        match=r"U1 \(expertise 'chem', 'fire', 'mine': no 2 eligible members cover them all\)",
    ):
        assign_teams(["U1"], one_each, seed="s", expertise={"U1": AREAS})
    with pytest.raises(InfeasibleError, match=r"U1 \(expertise 'gas': no eligible member holds"):
        assign_teams(["U1"], one_each, seed="s", expertise={"U1": ["chem", "gas"]})
    # only B holds mine and B may take one task: one of the two tasks cannot cover mine
    ins = [inspector("A", exp=("chem",)), inspector("B", exp=("mine",))]
    ins += [inspector(f"C{n}", exp=("chem",)) for n in range(3)]
    with pytest.raises(InfeasibleError, match=r"cannot staff 1 task.*expertise 'mine' uncovered"):
        draw_teams(
            [TeamTask(unit_id=u, expertise=("chem", "mine")) for u in ("X", "Y")],
            ins,
            seed="s",
            max_tasks=1,
        )


def test_bl5_several_areas_team_may_cover_them_with_one_member() -> None:
    """One inspector holding both areas is enough; the other seat is anyone's."""
    ins = [inspector("I0", exp=("chem", "mine"))] + [inspector(f"I{n}") for n in range(1, 9)]
    teams = assign_teams(
        [f"U{n}" for n in range(6)],
        ins,
        seed="both",
        expertise={f"U{n}": ("chem", "mine") for n in range(6)},
    )
    for team in teams.values():
        assert "I0" in team
        assert len(team) == 2
    assert len({t for team in teams.values() for t in team}) > 3, "the other seat is drawn"


def test_bl5_task_expertise_accepts_one_area_or_several() -> None:
    assert TeamTask(unit_id="U", expertise="chem").expertise == "chem"
    assert TeamTask(unit_id="U", expertise=["chem"]).expertise == "chem"
    assert TeamTask(unit_id="U", expertise=["mine", "chem", "mine"]).expertise == ("chem", "mine")
    assert TeamTask(unit_id="U", expertise=()).expertise is None
    assert TeamTask(unit_id="U", expertise=["mine", "chem"]).required_expertise == ("chem", "mine")
    assert TeamTask(unit_id="U", expertise="chem").required_expertise == ("chem",)
    assert TeamTask(unit_id="U").required_expertise == ()
    for bad in ("", ["chem", ""], ["chem", 3], 7):
        with pytest.raises(InvalidInputError, match="expertise"):
            TeamTask(unit_id="U", expertise=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="expert_expertise is one area"):
        TeamTask(unit_id="U", experts=1, expert_expertise=("chem", "mine"))  # type: ignore[arg-type]


def test_drawn_task_is_the_task_the_constructor_makes() -> None:
    for areas_held in (None, "chem", ("chem", "mine")):
        for expert_area in (None, "fire"):
            made = drawn_task("U", 3, areas_held, 1, expert_area, InspectionMode.KEY)
            given = TeamTask(
                unit_id="U",
                team_size=3,
                expertise=areas_held,
                experts=1,
                expert_expertise=expert_area,
                mode=InspectionMode.KEY,
            )
            assert type(made) is TeamTask
            assert made == given
            assert repr(made) == repr(given)
            assert hash(made) == hash(given)
    with pytest.raises(AttributeError):
        made.unit_id = "V"  # type: ignore[misc]


def test_the_record_values_made_in_order_are_the_constructors() -> None:
    skipped = passed_over("I3", 1, "recusal")
    assert type(skipped) is PassedOver
    assert skipped == PassedOver(inspector_id="I3", position=1, reason="recusal")
    replaced = (Replacement(drawn="I3", reason="recusal", replaced_by="I4"),)
    part = pool_team(
        "inspectors",
        2,
        "candidate_order",
        ("I1", "I3", "I4"),
        ("I1", "I3"),
        ("I1", "I4"),
        (skipped,),
        replaced,
    )
    given_part = PoolTeam(
        pool="inspectors",
        size=2,
        method="candidate_order",
        candidates=("I1", "I3", "I4"),
        drawn=("I1", "I3"),
        members=("I1", "I4"),
        passed_over=(skipped,),
        replacements=replaced,
    )
    assert type(part) is PoolTeam
    assert part == given_part
    assert repr(part) == repr(given_part)
    day = dt.date(2019, 3, 4)
    made = team_assignment("U1", InspectionMode.KEY, ("I1", "I4"), ("E1",), (part,), False, 2, day)
    given = TeamAssignment(
        unit_id="U1",
        mode=InspectionMode.KEY,
        members=("I1", "I4"),
        experts=("E1",),
        parts=(given_part,),
        undisclosed=False,
        visit_order=2,
        visit_date=day,
    )
    assert type(made) is TeamAssignment
    assert made == given
    assert repr(made) == repr(given)


def test_bl5_one_area_as_a_list_draws_the_same_teams_as_the_string() -> None:
    ins = [inspector(f"I{n}", exp=("chem",) if n % 4 == 0 else ()) for n in range(16)]
    units = [f"U{n}" for n in range(20)]
    as_str = assign_teams(units, ins, seed="same", expertise=dict.fromkeys(units, "chem"))
    as_list = assign_teams(units, ins, seed="same", expertise={u: ["chem"] for u in units})
    assert as_str == as_list


def test_tj8_expert_joins_when_the_task_asks() -> None:
    experts = [
        Expert(expert_id=f"E{n}", name=f"expert {n}", expertise=("chem",) if n % 2 else ("mine",))
        for n in range(8)
    ]
    tasks = [
        TeamTask(unit_id="U1", experts=1, expert_expertise="chem"),
        TeamTask(unit_id="U2", experts=2),
        TeamTask(unit_id="U3"),
    ]
    draw = draw_teams(
        tasks,
        [f"I{n}" for n in range(5)],
        seed="experts",
        experts=experts,
        expert_conflicts=[("E1", "U1"), ("E3", "U1")],
        max_expert_tasks=1,
    )
    by = {a.unit_id: a for a in draw.assignments}
    (e1,) = by["U1"].experts
    assert e1 in {"E5", "E7"}
    assert len(by["U2"].experts) == 2
    assert e1 not in by["U2"].experts
    assert by["U3"].experts == ()
    assert all(len(a.members) == 2 for a in draw.assignments)
    with pytest.raises(InfeasibleError, match="experts"):
        draw_teams(tasks, ["I1", "I2"], seed="experts", experts=experts[:1])


# --------------------------------------------------------------------------- joint inspections


def test_bl10_joint_inspection_draws_each_department_from_its_own_registry() -> None:
    registries = {
        "safety": [f"S{n}" for n in range(6)],
        "fire": [f"F{n}" for n in range(4)],
        "market": [f"M{n}" for n in range(3)],
    }
    tasks = [
        TeamTask(unit_id=f"U{n}", departments=(("safety", 2), ("fire", 1))) for n in range(6)
    ] + [TeamTask(unit_id="U9")]
    conflicts = [("F0", "U0"), ("F1", "U0"), ("S0", "U0")]
    draw = draw_teams(
        tasks, registries, seed="joint", conflicts=conflicts, lead_department="safety"
    )
    for a in draw.assignments:
        if a.unit_id == "U9":
            assert [p.pool for p in a.parts] == ["department/safety"]
            continue
        parts = {p.pool: p for p in a.parts}
        assert set(parts) == {"department/safety", "department/fire"}
        assert all(m.startswith("S") for m in parts["department/safety"].members)
        assert len(parts["department/fire"].members) == 1
        assert parts["department/fire"].members[0].startswith("F")
        assert len(a.members) == 3
    u0 = next(a for a in draw.assignments if a.unit_id == "U0")
    assert not {"F0", "F1", "S0"} & set(u0.members)
    with pytest.raises(InvalidInputError, match="lead_department"):
        draw_teams(["U1"], registries, seed="joint")
    with pytest.raises(InvalidInputError, match="two registries"):
        draw_teams(["U1"], {"a": ["X", "Y"], "b": ["X"]}, seed="j", lead_department="a")


# --------------------------------------------------------------------------- modes


def test_tj5_modes_general_key_and_covert_are_recorded() -> None:
    ids = [f"I{n}" for n in range(8)]
    tasks: list[str | TeamTask] = [
        TeamTask(unit_id="G1", mode=InspectionMode.GENERAL, fixed_team=("I0", "I1")),
        TeamTask(unit_id="C1", mode=InspectionMode.COVERT),
        *(TeamTask(unit_id=f"K{n}", mode=InspectionMode.KEY) for n in range(4)),
        "D1",
    ]
    dates = [dt.date(2026, 3, d) for d in (2, 9)]
    draw = draw_teams(tasks, ids, seed="modes", dates=dates, max_tasks=3)
    by = {a.unit_id: a for a in draw.assignments}
    g = by["G1"]
    assert g.members == ("I0", "I1")
    assert g.parts[0].method == "fixed_by_office"
    assert by["C1"].undisclosed
    assert by["C1"].mode is InspectionMode.COVERT
    keys = [by[f"K{n}"] for n in range(4)]
    assert sorted(k.visit_order for k in keys) == [1, 2, 3, 4]  # type: ignore[type-var]
    assert Counter(k.visit_date for k in keys) == {dates[0]: 2, dates[1]: 2}
    assert by["D1"].mode is InspectionMode.DOUBLE_RANDOM
    assert by["D1"].visit_order is None
    text = format_team_draw(draw)
    assert "C1 [covert] team: (covert: undisclosed)" in text
    assert "fixed by the office" in text
    assert ", ".join(by["C1"].members) in format_team_draw(draw, reveal=True)
    load = Counter(m for a in draw.assignments for m in a.members)
    assert max(load.values()) <= 3
    with pytest.raises(InvalidInputError, match="must recuse"):
        draw_teams(tasks[:1], ids, seed="modes", conflicts=[("I1", "G1")])


# --------------------------------------------------------------------------- inputs


class Registry:
    """A stand-in for InspectorRegistry: iterable, yielding Inspector records."""

    def __init__(self, rows: list[Inspector]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[Inspector]:
        return iter(self._rows)


def test_bl4_registry_duck_typed_and_inactive_inspectors_never_drawn() -> None:
    rows = [inspector(f"I{n}", active=n % 3 != 0) for n in range(12)]
    units = [f"U{n}" for n in range(30)]
    teams = assign_teams(units, Registry(rows), seed="reg")
    drawn = {m for t in teams.values() for m in t}
    assert drawn <= {r.inspector_id for r in rows if r.active}
    assert teams == assign_teams(units, [r.inspector_id for r in rows if r.active], seed="reg")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"team_size": 1}, "at least two"),
        ({"team_size": True}, "team_size"),
        ({"max_tasks": -1}, "max_tasks must be >= 0"),
        ({"max_tasks": {"I1": "x"}}, r"max_tasks\['I1'\]"),
        ({"conflicts": [("I1",)]}, "conflicts item 0"),
        ({"conflicts": "I1U1"}, "conflicts must be"),
        ({"seed": ""}, "seed"),
        ({"draw_id": ""}, "draw_id"),
    ],
)
def test_bl5_bad_arguments_raise_typed_errors(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"seed": "s"} | kwargs
    with pytest.raises(InvalidInputError, match=match):
        assign_teams(["U1", "U2"], ["I1", "I2", "I3"], **args)  # type: ignore[arg-type]


def test_bl5_bad_tasks_and_registries_raise_typed_errors() -> None:
    with pytest.raises(InvalidInputError, match="appears twice in the tasks"):
        assign_teams(["U1", "U1"], ["I1", "I2"], seed="s")
    with pytest.raises(InvalidInputError, match="appears twice"):
        assign_teams(["U1"], ["I1", "I1", "I2"], seed="s")
    with pytest.raises(InvalidInputError, match="item 1"):
        assign_teams(["U1"], ["I1", 7, "I2"], seed="s")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="collection"):
        assign_teams(["U1"], "I1I2", seed="s")
    with pytest.raises(InvalidInputError, match="unit_ids"):
        assign_teams("U1", ["I1", "I2"], seed="s")
    with pytest.raises(InvalidInputError, match="general inspection needs"):
        TeamTask(unit_id="U1", mode=InspectionMode.GENERAL)
    with pytest.raises(InvalidInputError, match="only for general"):
        TeamTask(unit_id="U1", fixed_team=("I1", "I2"))
    with pytest.raises(InvalidInputError, match="at least 2 inspectors"):
        TeamTask(unit_id="U1", departments=(("a", 1),))
    with pytest.raises(InvalidInputError, match="team_size"):
        TeamTask(unit_id="U1", team_size=1)


def test_bl5_stream_pinned() -> None:
    """Pins the candidate-order construction (drawcore/1): written once; a change here is a
    change of the published procedure and must be a new construction version."""
    order = candidate_order("pin", "91441322MA4UJ8XX1X", [f"I{n}" for n in range(6)])
    assert order == PINNED_ORDER


PINNED_ORDER = ("I3", "I4", "I2", "I5", "I0", "I1")


def test_bl9_team_draw_round_trips_through_the_journal_converter() -> None:
    """Full trace (全程留痕): the record is plain data the one cattrs converter can store."""
    from drawcore.serde import canonical_json, structure, unstructure

    tasks = [
        TeamTask(unit_id="G1", mode=InspectionMode.GENERAL, fixed_team=("I0", "I1")),
        TeamTask(unit_id="K1", mode=InspectionMode.KEY, experts=1),
        TeamTask(unit_id="C1", mode=InspectionMode.COVERT),
    ]
    draw = draw_teams(
        tasks,
        [f"I{n}" for n in range(6)],
        seed="serde",
        conflicts=[("I2", "K1")],
        experts=[Expert(expert_id="E1", name="e")],
        dates=[dt.date(2026, 5, 1)],
    )
    data = unstructure(draw)
    assert structure(data, TeamDraw) == draw
    assert canonical_json(structure(data, TeamDraw)) == canonical_json(draw)


@st.composite
def joint_instances(draw: st.DrawFn) -> dict[str, object]:
    depts = {
        "safety": [f"S{n}" for n in range(draw(st.integers(1, 5)))],
        "fire": [f"F{n}" for n in range(draw(st.integers(1, 4)))],
    }
    units = [f"U{n}" for n in range(draw(st.integers(1, 5)))]
    sizes = {u: (draw(st.integers(1, 3)), draw(st.integers(1, 2))) for u in units}
    every = [(i, u) for ids in depts.values() for i in ids for u in units]
    conflicts = draw(st.lists(st.sampled_from(every), max_size=6, unique=True))
    experts = [
        Expert(expert_id=f"E{n}", name="e", expertise=draw(st.sampled_from([(), ("chem",)])))
        for n in range(draw(st.integers(0, 4)))
    ]
    expert_need = {u: draw(st.integers(0, 2)) for u in units}
    return {
        "depts": depts,
        "units": units,
        "sizes": sizes,
        "conflicts": conflicts,
        "experts": experts,
        "expert_need": expert_need,
        "cap": draw(st.one_of(st.none(), st.integers(1, 3))),
        "chem": draw(st.booleans()),
    }


@given(joint_instances())
def test_bl10_tj8_joint_parts_and_experts_keep_every_rule(inst: dict[str, object]) -> None:
    depts: dict[str, list[str]] = inst["depts"]  # type: ignore[assignment]
    sizes: dict[str, tuple[int, int]] = inst["sizes"]  # type: ignore[assignment]
    need: dict[str, int] = inst["expert_need"]  # type: ignore[assignment]
    conflicts: list[tuple[str, str]] = inst["conflicts"]  # type: ignore[assignment]
    experts: list[Expert] = inst["experts"]  # type: ignore[assignment]
    cap: int | None = inst["cap"]  # type: ignore[assignment]
    chem = "chem" if inst["chem"] else None
    tasks = [
        TeamTask(
            unit_id=u,
            departments=(("safety", sizes[u][0]), ("fire", sizes[u][1])),
            experts=need[u],
            expert_expertise=chem,
        )
        for u in inst["units"]  # type: ignore[attr-defined]
    ]
    try:
        draw = draw_teams(
            tasks, depts, seed="joint", conflicts=conflicts, max_tasks=cap, experts=experts
        )
    except InfeasibleError as exc:
        message = str(exc)
        draw = None
    if draw is None:
        assert "cannot staff" in message
        return
    load: Counter[str] = Counter()
    for a in draw.assignments:
        parts = {p.pool: p.members for p in a.parts}
        assert len(parts["department/safety"]) == sizes[a.unit_id][0]
        assert len(parts["department/fire"]) == sizes[a.unit_id][1]
        assert set(parts["department/safety"]) <= set(depts["safety"])
        assert set(parts["department/fire"]) <= set(depts["fire"])
        assert len(a.experts) == need[a.unit_id] == len(set(a.experts))
        holders = {e.expert_id for e in experts if chem is None or chem in e.expertise}
        assert set(a.experts) <= holders
        for m in (*a.members, *a.experts):
            assert (m, a.unit_id) not in conflicts
        load.update(a.members)
    if cap is not None:
        assert max(load.values(), default=0) <= cap


def test_bl5_medium_draw_is_row_order_free() -> None:
    rng = np.random.default_rng(5)  # builds test data only
    ins = [
        inspector(f"I{n:03d}", wu=f"w{n % 4}", exp=("chem",) if n % 5 == 0 else ())
        for n in range(40)
    ]
    tasks = [
        TeamTask(unit_id=f"U{n:04d}", expertise="chem" if n % 7 == 0 else None) for n in range(300)
    ]
    conflicts = [
        (f"I{int(i):03d}", f"U{int(u):04d}") for i, u in rng.integers(0, [40, 300], (400, 2))
    ]
    kwargs: dict[str, object] = {"conflicts": conflicts, "max_tasks": 18, "seed": "medium"}
    first = draw_teams(tasks, ins, **kwargs)  # type: ignore[arg-type]
    perm_i = [ins[n] for n in rng.permutation(len(ins))]
    perm_t = [tasks[n] for n in rng.permutation(len(tasks))]
    kwargs["conflicts"] = [conflicts[n] for n in rng.permutation(len(conflicts))]
    assert draw_teams(perm_t, perm_i, **kwargs) == first  # type: ignore[arg-type]
    assert draw_teams(tasks, ins, **(kwargs | {"seed": "other"})) != first  # type: ignore[arg-type]
