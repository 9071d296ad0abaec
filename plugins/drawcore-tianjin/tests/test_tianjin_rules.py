"""Tianjin rules (津应急执〔2018〕1号), through the installed entry point."""

from __future__ import annotations

import datetime as dt

import pytest
from tianjin_units import unit

from drawcore.model import (
    CreditClass,
    Expert,
    InspectionMode,
    Inspector,
    ProductionStatus,
    RiskLevel,
)
from drawcore.plan.forms import format_plan, task_form
from drawcore.plan.schedule import plan_year
from drawcore.plan.tasks import TaskKind
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext

CONTEXT = PlanContext(year=2019, rounds=4, start=dt.date(2019, 1, 1), jurisdiction="tianjin")


def staff(n: int, expertise: tuple[str, ...] = ("机械",)) -> list[Inspector]:
    return [
        Inspector(inspector_id=f"I{k:02d}", name=f"员{k}", work_unit="支队", expertise=expertise)
        for k in range(n)
    ]


def test_tianjin_plugin_comes_from_its_entry_point(tianjin: Rules) -> None:
    assert tianjin.plugins == ("drawcore-national", "tianjin")


def test_tj5_must_once_a_year_set(tianjin: Rules) -> None:
    units = [
        unit("HIGH", risk_level=RiskLevel.HIGH),
        unit("MAJOR", risk_level=RiskLevel.MAJOR),
        unit("FATAL3", fatal_accident_year=2017),
        unit("FATAL4", fatal_accident_year=2016),
        unit("JOINT", joint_punishment=True),
        unit("BLACK", blacklisted=True),
        unit("PLAIN", risk_level=RiskLevel.MODERATE),
    ]
    ur = tianjin.evaluate(units, CONTEXT)
    assert ur.mandatory.tolist() == [True, True, True, False, True, True, False]
    assert ur.mandatory_reasons["BLACK"][0].clause == "TJ-7"
    assert {r.clause for r in ur.mandatory_reasons["FATAL3"]} == {"TJ-5"}
    # the core's once-a-year rule (NAT-7) gives the same units its own reasons in a plan
    plan = plan_year(units, staff(4), year=2019, rules=tianjin, seed="tj5", random_ratio=0.0)
    times = plan.times_inspected()
    for uid in ("HIGH", "MAJOR", "FATAL3", "JOINT", "BLACK"):
        assert times[uid] == 1
    assert "FATAL4" not in times


def test_tj5_frequency_is_set_case_by_case(tianjin: Rules) -> None:
    units = [
        unit("HAZ", major_hazard=True),
        unit("TRIAL", production_status=ProductionStatus.TRIAL),
        unit("RESUMED", production_status=ProductionStatus.RESUMED),
    ]
    assert tianjin.evaluate(units, CONTEXT).times.tolist() == [4, 2, 2]
    monthly = attrs_evolve_rounds(CONTEXT, 12)
    assert tianjin.evaluate(units, monthly).times.tolist() == [4, 2, 2]
    twice = attrs_evolve_rounds(CONTEXT, 2)
    assert tianjin.evaluate(units, twice).times.tolist() == [2, 2, 2]


def attrs_evolve_rounds(context: PlanContext, rounds: int) -> PlanContext:
    import attrs

    return attrs.evolve(context, rounds=rounds)


def test_tj5_good_credit_lower_ratio_and_longer_window(tianjin: Rules) -> None:
    units = [unit("A", credit_class=CreditClass.A), unit("B", credit_class=CreditClass.B)]
    ur = tianjin.evaluate(units, CONTEXT)
    assert ur.weights.tolist() == [0.5, 1.0]
    assert ur.recent_inspection_days.tolist() == [365, 180]
    assert ur.recent_inspection_reasons["A"].clause == "TJ-5"
    assert ur.recent_inspection_reasons["B"].clause == "NAT-2"


def test_tj5_drawn_dishonest_units_are_inspected_covertly(tianjin: Rules) -> None:
    units = [unit(f"D{k}", credit_class=CreditClass.D) for k in range(4)] + [
        unit("J1", joint_punishment=True, credit_class=CreditClass.D)
    ]
    plan = plan_year(units, staff(6), year=2019, rules=tianjin, seed="cov", rounds=1)
    modes = {t.unit_id: (t.kind, t.mode) for t in plan.tasks}
    assert modes["J1"] == (TaskKind.PLANNED, InspectionMode.KEY)
    drawn = [m for u, m in modes.items() if u != "J1"]
    assert drawn
    assert all(m == (TaskKind.DRAWN, InspectionMode.COVERT) for m in drawn)
    assert plan.double_random_share == pytest.approx(len(drawn) / len(modes))
    text = format_plan(plan, limit=None)
    assert "team of 2 (undisclosed)" in text
    covert = next(t for t in plan.tasks if t.mode is InspectionMode.COVERT)
    assert not any(i in text for i in covert.inspectors)


def test_tj5_general_inspection_when_no_inspector_has_the_expertise(tianjin: Rules) -> None:
    units = [unit("HAZ", major_hazard=True, industry="危险化学品"), unit("U1")]
    plan = plan_year(units, staff(4), year=2019, rules=tianjin, seed="gen", rounds=4)
    general = [t for t in plan.tasks if t.unit_id == "HAZ"]
    assert len(general) == 4
    for t in general:
        assert t.mode is InspectionMode.GENERAL
        assert t.inspectors == ()
        assert task_form(t, units[0], ()).method.startswith("一般检查")
        assert any(r.clause == "TJ-5" and "general" in r.text for r in t.reasons)
    assert "team set by the office" in format_plan(plan, limit=None)


def test_tj6_results_are_published_quarterly(tianjin: Rules) -> None:
    due = tianjin.publication_deadline
    assert due(dt.date(2019, 1, 31), CONTEXT).due == dt.date(2019, 4, 15)
    assert due(dt.date(2019, 3, 31), CONTEXT).due == dt.date(2019, 4, 15)
    assert due(dt.date(2019, 12, 31), CONTEXT).due == dt.date(2020, 1, 15)
    assert due(dt.date(2019, 3, 31), CONTEXT).reason.clause == "TJ-6"


@pytest.mark.parametrize(
    ("rounds", "problem"), [(1, True), (2, True), (3, True), (4, False), (6, True), (12, False)]
)
def test_tj6_rounds_straddling_quarters_are_a_problem(
    tianjin: Rules, rounds: int, problem: bool
) -> None:
    plan = plan_year([unit("U1")], staff(2), year=2019, rules=tianjin, seed="q", rounds=rounds)
    assert [p.clause for p in plan.problems] == (["TJ-6"] if problem else [])


def test_tj8_an_industry_expert_joins_a_major_hazard_team(tianjin: Rules) -> None:
    experts = [
        Expert(expert_id="E1", name="专家甲", expertise=("机械",)),
        Expert(expert_id="E2", name="专家乙", expertise=("冶金",)),
    ]
    units = [unit("HAZ", major_hazard=True)]
    plan = plan_year(units, staff(4), year=2019, rules=tianjin, seed="tj8", experts=experts)
    assert [t.experts for t in plan.tasks] == [("E1",)] * 4
    no_experts = plan_year(units, staff(4), year=2019, rules=tianjin, seed="tj8")
    assert all(t.experts == () for t in no_experts.tasks)


def test_tianjin_does_not_carry_boluo_higher_plan_exclusion(tianjin: Rules) -> None:
    ur = tianjin.evaluate([unit("X1", in_higher_plan=True)], CONTEXT)
    assert ur.excluded.tolist() == [False]


def test_tj7_blacklisted_units_are_inspected_every_year(tianjin: Rules) -> None:
    units = [unit("BLACK", blacklisted=True)] + [unit(f"U{k}") for k in range(8)]
    for seed in ("a", "b", "c"):
        plan = plan_year(units, staff(4), year=2019, rules=tianjin, seed=seed, random_ratio=0.0)
        (task,) = [t for t in plan.tasks if t.unit_id == "BLACK"]
        assert task.kind is TaskKind.PLANNED
        assert any(r.clause == "TJ-7" for r in task.reasons)
