"""Annual plans (schedule.py): placements, draws, capacity, windows, items, forms, reasons."""

from __future__ import annotations

import datetime as dt
import types
from collections import Counter
from functools import cache

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from unit_factory import unit

from drawcore import serde
from drawcore.draw.sampling import sample_units
from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.model import (
    CreditClass,
    IdKind,
    InspectionItem,
    InspectionMode,
    Inspector,
    RiskLevel,
    Unit,
)
from drawcore.plan.forms import format_plan, task_form
from drawcore.plan.parameters import ROUND_COUNTS
from drawcore.plan.schedule import _ints, commit_year, plan_year
from drawcore.plan.tasks import AnnualPlan, Task, TaskKind, made_task
from drawcore.plan.yearly import fits as _fits
from drawcore.plugin import Frequency, Reason, hookimpl
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext
from drawcore.testing import check_plan, synthetic_county
from tests.core.flow_oracle import FlowNetwork


@cache
def rules(jurisdiction: str | None) -> Rules:
    """The installed plugins, loaded through their real entry points."""
    return Rules.for_jurisdiction(jurisdiction)


def inspectors(n: int, **kw: object) -> list[Inspector]:
    return [
        Inspector(inspector_id=f"I{k:03d}", name=f"检查员{k}", work_unit="大队", **kw)  # type: ignore[arg-type]
        for k in range(n)
    ]


@given(
    seed=st.text(min_size=1, max_size=8),
    n=st.integers(1, 120),
    year=st.integers(2016, 2030),
    rounds=st.sampled_from(ROUND_COUNTS),
    jurisdiction=st.sampled_from(["boluo", "tianjin", None]),
    ratio=st.none() | st.floats(0.0, 1.0),
)
def test_tj5_plan_guarantees_hold_for_random_registries(
    seed: str, n: int, year: int, rounds: int, jurisdiction: str | None, ratio: float | None
) -> None:
    """Every mandatory unit inspected, no round over capacity, excluded never drawn, reasons."""
    county = synthetic_county(f"prop/{seed}", units=n, year=year)
    plan = plan_year(
        county.units,
        county.inspectors,
        year=year,
        rounds=rounds,
        rules=rules(jurisdiction),
        seed=seed or "s",
        tasks_per_inspector=60,
        random_ratio=ratio,
        experts=county.experts,
        items=county.items,
    )
    assert check_plan(plan, list(county.units)) == []
    times = plan.times_inspected()
    excluded = {e.unit_id for e in plan.excluded}
    for m in plan.mandatory:
        assert m.reasons
        assert m.unit_id in excluded or times[m.unit_id] >= 1
    for e in plan.excluded:
        assert e.reasons
        assert e.unit_id not in times
    for rd in plan.rounds:
        assert len(rd.tasks) <= rd.capacity


def max_flow_fits(caps: list[int], times: list[int]) -> bool:
    """Oracle: units -> rounds (one seat per unit and round) as an explicit max-flow."""
    rounds = len(caps)
    net = FlowNetwork(2 + len(times) + rounds)
    source, sink = 0, 1
    for u, t in enumerate(times):
        net.add_edge(source, 2 + u, t)
        for r in range(rounds):
            net.add_edge(2 + u, 2 + len(times) + r, 1)
    for r, c in enumerate(caps):
        net.add_edge(2 + len(times) + r, sink, c)
    return net.max_flow(source, sink) == sum(times)


@given(
    caps=st.lists(st.integers(0, 6), min_size=1, max_size=6),
    times=st.lists(st.integers(1, 6), max_size=12),
)
def test_fits_agrees_with_max_flow(caps: list[int], times: list[int]) -> None:
    demand = [0] * (max([len(caps), *times]) + 1)
    for t in times:
        demand[t] += 1
    expected = max_flow_fits(caps, times) if all(t <= len(caps) for t in times) else False
    assert _fits(caps, demand) == expected


@given(
    seed=st.text(min_size=1, max_size=6),
    n=st.integers(1, 60),
    cap=st.integers(0, 12),
)
def test_tight_capacity_is_respected_or_the_plan_is_refused(seed: str, n: int, cap: int) -> None:
    """A plan either fits every planned unit within capacity or raises InfeasibleError."""
    county = synthetic_county(f"tight/{seed}", units=n)
    r = rules("tianjin")
    context = PlanContext(
        year=2019,
        rounds=4,
        start=dt.date(2019, 1, 1),
        jurisdiction="tianjin",
        inspector_expertise={e for i in county.inspectors if i.active for e in i.expertise},
        expert_expertise={e for x in county.experts for e in x.expertise},
        experts=len(county.experts),
    )
    times = [int(t) for t in r.evaluate(list(county.units), context).times if t > 0]
    feasible = max_flow_fits([cap] * 4, times)
    kwargs = {"year": 2019, "rules": r, "seed": seed, "capacity": cap, "experts": county.experts}
    if not feasible:
        with pytest.raises(InfeasibleError, match="capacity"):
            plan_year(county.units, county.inspectors, **kwargs)  # type: ignore[arg-type]
        return
    plan = plan_year(county.units, county.inspectors, **kwargs)  # type: ignore[arg-type]
    assert check_plan(plan, list(county.units)) == []
    assert all(len(rd.tasks) <= cap for rd in plan.rounds)


def test_tj5_mandatory_unit_lands_in_each_round_with_equal_chance() -> None:
    """Over 400 seeds a once-a-year unit's round is uniform on 4 rounds.

    Expected 100 per round, standard deviation sqrt(400 * 1/4 * 3/4) = 8.7;
    tolerance +-35 (4 standard deviations).
    """
    units = [unit("M1", risk_level=RiskLevel.MAJOR), unit("N1"), unit("N2")]
    staff = inspectors(4)
    where = Counter()
    for k in range(400):
        plan = plan_year(
            units, staff, year=2019, rules=rules("tianjin"), seed=f"s{k}", random_ratio=0.0
        )
        (task,) = [t for t in plan.tasks if t.unit_id == "M1"]
        where[task.round] += 1
    assert sorted(where) == [1, 2, 3, 4]
    assert all(abs(where[r] - 100) <= 35 for r in range(1, 5)), where


def test_tj5_good_credit_units_are_inspected_less_often() -> None:
    """Good-credit (A) units are drawn about half as often as others (TJ-5 lower ratio).

    100 A and 100 B units of equal base weight, 30 % drawn over four rounds, 30 seeds
    (6,000 unit-years). The A factor is 0.5, so p(A) is about 0.2 and p(B) about 0.4;
    asserted: p(A) < p(B) - 0.1 and p(A) / p(B) in [0.35, 0.7].
    """
    units = [
        unit(f"A{k:03d}", credit_class=CreditClass.A if k < 100 else CreditClass.B)
        for k in range(200)
    ]
    staff = inspectors(20)
    hits = Counter()
    for k in range(30):
        plan = plan_year(
            units, staff, year=2019, rules=rules("tianjin"), seed=f"credit{k}", random_ratio=0.3
        )
        for t in plan.tasks:
            hits["A" if int(t.unit_id[1:]) < 100 else "B"] += 1
    p_a, p_b = hits["A"] / 3000, hits["B"] / 3000
    assert p_a < p_b - 0.1, (p_a, p_b)
    assert 0.35 <= p_a / p_b <= 0.7, (p_a, p_b)


def test_recorded_probabilities_are_the_exact_yearly_inclusion_probabilities() -> None:
    """Weights 1, 2, 3, 4 (ten units each, total 100), 2 rounds of 10: the year draws 20,
    so by the spec (proportional, nothing above 1) pi = 20 * w / 100 = 0.2 w."""
    units = [unit(f"U{k:02d}", risk_weight=1.0 + k % 4) for k in range(40)]
    plan = plan_year(
        units, inspectors(4), year=2019, rules=rules(None), seed="pi", capacity=10, rounds=2
    )
    assert (plan.yearly.eligible, plan.yearly.size) == (40, 20)
    expected = {u.unit_id: 0.2 * u.risk_weight for u in units}
    assert dict(plan.yearly_probabilities) == pytest.approx(expected, rel=1e-12)
    for t in plan.tasks:
        assert t.kind is TaskKind.DRAWN
        assert t.probability == pytest.approx(expected[t.unit_id], rel=1e-12)
    assert len({t.unit_id for t in plan.tasks}) == 20
    assert [len(rd.tasks) for rd in plan.rounds] == [10, 10]


def test_recent_inspection_keeps_a_unit_out_of_rounds_inside_its_window() -> None:
    """NAT-2, 180 days: inspected 2018-12-01, the unit may be inspected from 2019-05-30,
    so in round 3 (July) at the earliest; with one round (from January) not this year."""
    units = [unit("R1", last_inspected=dt.date(2018, 12, 1))] + [unit(f"U{k}") for k in range(3)]
    plan = plan_year(units, inspectors(4), year=2019, rules=rules(None), seed="w", capacity=1)
    assert [t.round for t in plan.tasks if t.unit_id == "R1"] in ([3], [4])
    assert plan.recently_inspected == ()
    plan = plan_year(units, inspectors(4), year=2019, rules=rules(None), seed="w", rounds=1)
    (kept,) = plan.recently_inspected
    assert kept.unit_id == "R1"
    assert kept.reasons[0].clause == "NAT-2"
    assert "2018-12-01" in kept.reasons[0].text
    assert plan.yearly_probability("R1") == 0.0
    assert "R1" not in {t.unit_id for t in plan.tasks}


def test_planned_unit_inside_its_window_everywhere_is_kept_with_a_note() -> None:
    units = [unit("M1", blacklisted=True, last_inspected=dt.date(2018, 12, 20))]
    plan = plan_year(units, inspectors(2), year=2019, rules=rules("tianjin"), seed="n", rounds=1)
    (task,) = plan.tasks
    assert task.kind is TaskKind.PLANNED
    notes = [r for r in task.reasons if "takes precedence" in r.text]
    assert [r.plugin for r in notes] == ["drawcore"]


def test_bl5_capacity_is_inspectors_times_tasks_over_team_size() -> None:
    staff = [
        *inspectors(7),
        Inspector(inspector_id="OFF", name="离岗", work_unit="大队", active=False),
    ]
    units = [unit(f"U{k}") for k in range(100)]
    plan = plan_year(units, staff, year=2019, rules=rules(None), seed="c", tasks_per_inspector=3)
    assert [rd.capacity for rd in plan.rounds] == [7 * 3 // 2] * 4
    assert all(len(rd.tasks) == 10 for rd in plan.rounds)
    assert all("OFF" not in t.inspectors for t in plan.tasks)


def test_random_ratio_limits_the_draws_over_the_year() -> None:
    units = [unit(f"U{k:02d}") for k in range(50)]
    plan = plan_year(
        units, inspectors(10), year=2019, rules=rules(None), seed="r", random_ratio=0.3
    )
    assert plan.yearly.size == 15  # 0.3 * 50
    assert len(plan.tasks) == len({t.unit_id for t in plan.tasks}) == 15
    assert all(len(rd.tasks) <= rd.capacity for rd in plan.rounds)
    assert plan.double_random_share == 1.0


def test_bl9_items_and_bl7_form_are_filled_from_the_item_list() -> None:
    items = [
        InspectionItem(
            item_id="A", body="局", item="安全管理", content="制度", legal_basis="安全生产法第4条"
        ),
        InspectionItem(
            item_id="B",
            body="局",
            item="危化品",
            content="储存",
            legal_basis="危险化学品安全管理条例",
            industries=("危险化学品",),
        ),
    ]
    units = [unit("C1", industry="危险化学品"), unit("M1")]
    plan = plan_year(
        units, inspectors(4), year=2019, rules=rules(None), seed="i", items=items, rounds=1
    )
    by_id = {t.unit_id: t for t in plan.tasks}
    assert by_id["C1"].items == ("A", "B")
    assert by_id["M1"].items == ("A",)
    (c1,) = [u for u in units if u.unit_id == "C1"]
    form = task_form(by_id["C1"], c1, items)
    assert form.basis == ("危险化学品安全管理条例", "安全生产法第4条")
    assert form.content == ("安全管理: 制度", "危化品: 储存")
    assert form.method.startswith("双随机")
    assert "危险化学品" in form.scope
    assert form.handling_opinion == ""
    assert plan.problems == ()


def test_bl9_a_task_without_any_item_is_a_problem() -> None:
    items = [
        InspectionItem(
            item_id="B",
            body="局",
            item="危化品",
            content="储存",
            legal_basis="条例",
            industries=("危险化学品",),
        )
    ]
    plan = plan_year(
        [unit("M1")], inspectors(2), year=2019, rules=rules(None), seed="i", items=items, rounds=1
    )
    assert [p.clause for p in plan.problems] == ["BL-9"]


def test_plan_is_reproducible_order_free_and_seed_dependent() -> None:
    county = synthetic_county("repro", units=80)
    kwargs = {
        "year": 2019,
        "rules": rules("boluo"),
        "experts": county.experts,
        "items": county.items,
    }
    a = plan_year(county.units, county.inspectors, seed="x", **kwargs)  # type: ignore[arg-type]
    b = plan_year(county.units[::-1], county.inspectors[::-1], seed="x", **kwargs)  # type: ignore[arg-type]
    c = plan_year(county.units, county.inspectors, seed="y", **kwargs)  # type: ignore[arg-type]
    assert a == b
    assert a.tasks != c.tasks


def test_plan_round_trips_through_the_converter() -> None:
    county = synthetic_county("serde", units=60)
    plan = plan_year(
        county.units,
        county.inspectors,
        year=2019,
        rules=rules("tianjin"),
        seed="s",
        experts=county.experts,
        items=county.items,
    )
    data = serde.unstructure(plan)
    assert serde.structure(data, AnnualPlan) == plan
    assert serde.canonical_json(plan) == serde.canonical_json(serde.structure(data, AnnualPlan))


def test_format_plan_shows_rounds_and_every_kind_of_reason() -> None:
    units = [
        unit("M1", joint_punishment=True),
        unit("X1", in_higher_plan=True),
        unit("H1", major_hazard=True),
    ] + [unit(f"U{k}") for k in range(6)]
    text = format_plan(
        plan_year(units, inspectors(4), year=2019, rules=rules("tianjin"), seed="f"), limit=None
    )
    assert "Round 4 (2019-10-01 .. 2019-12-31)" in text
    assert "M1: NAT-7 [drawcore]: 每年至少检查一次: 失信联合惩戒对象" in text
    assert "TJ-5 [tianjin]: under joint punishment for dishonesty" in text
    assert "H1: 4x -- TJ-5 [tianjin]: major accident hazard" in text
    text = format_plan(
        plan_year(units, inspectors(4), year=2019, rules=rules("boluo"), seed="f"), limit=None
    )
    assert "X1: BL-3 [boluo]: already in a provincial or city draw plan" in text
    assert "Problems:" in text


def test_format_plan_lists_the_first_lines_of_each_section_and_counts_the_rest() -> None:
    """``limit=3``: each section lists its first three entries, as the full listing has
    them, then how many more there are."""
    units = [unit(f"M{k:02d}", blacklisted=True) for k in range(12)]
    units += [unit(f"U{k:02d}") for k in range(30)]
    plan = plan_year(units, inspectors(6), year=2019, rules=rules(None), seed="l", capacity=8)
    full = format_plan(plan, limit=None).splitlines()
    short = format_plan(plan, limit=3).splitlines()

    def section(lines: list[str], head: str) -> list[str]:
        start = next(n for n, line in enumerate(lines) if line.startswith(head)) + 1
        end = next(
            (n for n in range(start, len(lines)) if not lines[n].startswith("  ")), len(lines)
        )
        return lines[start:end]

    heads = ["Mandatory", *(f"Round {rd.index} " for rd in plan.rounds)]
    counts = [len(plan.mandatory), *(len(rd.tasks) for rd in plan.rounds)]
    assert counts[0] == 12
    assert all(c > 3 for c in counts[1:]), counts
    for head, count in zip(heads, counts, strict=True):
        listed = section(short, head)
        assert listed[:3] == section(full, head)[:3]
        assert listed[3:] == [f"    ... and {count - 3} more"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rounds": 5}, "rounds must be one of"),
        ({"year": 20}, "four-digit year"),
        ({"tasks_per_inspector": 0}, "tasks_per_inspector"),
        ({"random_ratio": 1.5}, "random_ratio"),
        ({"capacity": [1, 2]}, "capacity lists 2 rounds"),
        ({"capacity": -1}, "capacity of round 1"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"year": 2019, "rules": rules(None), "seed": "b"}
    args.update(kwargs)
    with pytest.raises(InvalidInputError, match=message):
        plan_year([unit("U1")], inspectors(2), **args)  # type: ignore[arg-type]


def test_duplicate_unit_ids_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="U1"):
        plan_year([unit("U1"), unit("U1")], inspectors(2), year=2019, rules=rules(None), seed="d")


def test_bl6_key_supervision_fits_the_rounds_there_are() -> None:
    plan = plan_year(
        [unit("H1", major_hazard=True)],
        inspectors(2),
        year=2019,
        rules=rules("boluo"),
        seed="h",
        rounds=2,
    )
    assert [t.round for t in plan.tasks] == [1, 2]


def test_unit_needing_more_rounds_than_the_plan_has_is_refused() -> None:
    @hookimpl
    def drawcore_unit_frequency(unit: Unit) -> Frequency:
        return Frequency(times=5, reason=Reason(clause="XA-1", text="five times"))

    greedy = types.SimpleNamespace(drawcore_unit_frequency=drawcore_unit_frequency)
    r = Rules(make_plugin_manager(entrypoints=False, plugins={"greedy": greedy}))
    with pytest.raises(InfeasibleError, match="U1 needs 5 rounds, the plan has 4"):
        plan_year([unit("U1")], inspectors(2), year=2019, rules=r, seed="g")


def test_bl8_format_plan_shows_persons_as_published() -> None:
    person = unit("441322199001011234", name="张三丰", id_kind=IdKind.ID_CARD, blacklisted=True)
    plan = plan_year([person], inspectors(2), year=2019, rules=rules("tianjin"), seed="p")
    (shown,) = plan.public_names
    assert (shown.shown_id, shown.shown_name) == ("441322********1234", "张*")
    masked = format_plan(plan, limit=None)
    assert "441322199001011234" not in masked
    assert "张三丰" not in masked
    assert "441322********1234 张*" in masked
    assert "441322199001011234 张三丰" in format_plan(plan, limit=None, mask=False)


def test_the_years_draw_can_be_replayed_from_the_record() -> None:
    units = [unit(f"U{k:02d}", risk_weight=1.0 + k % 3) for k in range(30)]
    plan = plan_year(units, inspectors(4), year=2019, rules=rules(None), seed="rp", capacity=5)
    ordered = sorted(units, key=lambda u: u.unit_id)
    replay = sample_units(
        [u.unit_id for u in ordered],
        [u.risk_weight for u in ordered],
        20,
        seed="rp",
        draw_id=plan.yearly.draw_id,
    )
    assert replay.fingerprint == plan.yearly.fingerprint
    assert replay.method == plan.yearly.method
    assert set(replay.selected) == {t.unit_id for t in plan.tasks}


def test_tj5_key_inspections_get_a_drawn_working_day_in_their_round() -> None:
    units = [unit(f"H{k}", joint_punishment=True) for k in range(6)]
    plan = plan_year(units, inspectors(6), year=2019, rules=rules("tianjin"), seed="kd")
    for rd in plan.rounds:
        orders = sorted(t.visit_order for t in rd.tasks if t.visit_order is not None)
        assert orders == list(range(1, len(rd.tasks) + 1))
        for t in rd.tasks:
            assert t.mode is InspectionMode.KEY
            assert t.visit_date is not None
            assert rd.start <= t.visit_date <= rd.end
            assert t.visit_date.weekday() < 5


def test_commitment_is_fixed_before_the_seed_and_carried_by_the_plan() -> None:
    county = synthetic_county("commit", units=60)
    kwargs: dict[str, object] = {
        "year": 2019,
        "rules": rules("tianjin"),
        "random_ratio": 0.3,
        "experts": county.experts,
        "items": county.items,
    }
    committed = commit_year(county.units, county.inspectors, **kwargs)  # type: ignore[arg-type]
    for seed in ("one", "two"):
        plan = plan_year(county.units, county.inspectors, seed=seed, **kwargs)  # type: ignore[arg-type]
        assert plan.commitment == committed.hash
        assert plan.mandatory == committed.mandatory
        assert plan.key_supervision == committed.key_supervision
    reordered = commit_year(county.units[::-1], county.inspectors[::-1], **kwargs)  # type: ignore[arg-type]
    assert reordered.hash == committed.hash
    changed_unit = (attrs.evolve(county.units[0], risk_weight=9.0), *county.units[1:])
    assert commit_year(changed_unit, county.inspectors, **kwargs).hash != committed.hash  # type: ignore[arg-type]
    kwargs["random_ratio"] = 0.4
    assert commit_year(county.units, county.inspectors, **kwargs).hash != committed.hash  # type: ignore[arg-type]
    assert len(committed.hash) == 64


def test_made_task_is_the_task_the_constructor_makes() -> None:
    reason = Reason(clause="NAT-5", text="drawn")
    day = dt.date(2019, 4, 2)
    made = made_task(
        "U1",
        "单位",
        2,
        TaskKind.DRAWN,
        InspectionMode.KEY,
        0.25,
        ("I1", "I2"),
        ("E1",),
        ("item-1",),
        (reason,),
        3,
        day,
        False,
    )
    given = Task(
        unit_id="U1",
        unit_name="单位",
        round=2,
        kind=TaskKind.DRAWN,
        mode=InspectionMode.KEY,
        probability=0.25,
        inspectors=("I1", "I2"),
        experts=("E1",),
        items=("item-1",),
        reasons=(reason,),
        visit_order=3,
        visit_date=day,
        office_team=False,
    )
    assert type(made) is Task
    assert made == given
    assert repr(made) == repr(given)


def test_team_columns_are_read_as_int_reads_them() -> None:
    assert _ints(np.array([3, 2, 5], dtype=np.int64), [2, 0]) == [5, 3]
    for column in (np.array([True, False]), np.array([1.0, 0.0]), np.array([1, 0], np.uint8)):
        got = _ints(column, [0, 1])
        assert got == [1, 0]
        assert [type(v) for v in got] == [int, int]
