"""Boluo rules (博安监〔2018〕129号), through the installed entry point."""

from __future__ import annotations

import datetime as dt

import pytest

from drawcore.errors import RuleError
from drawcore.model import Inspector, ProductionStatus, RiskLevel, Unit
from drawcore.plan.schedule import plan_year
from drawcore.plan.tasks import TaskKind
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext

CONTEXT = PlanContext(year=2019, rounds=4, start=dt.date(2019, 1, 1), jurisdiction="boluo")


@pytest.fixture(scope="module")
def boluo() -> Rules:
    return Rules.for_jurisdiction("boluo")


def unit(uid: str, **kw: object) -> Unit:
    base: dict[str, object] = {
        "unit_id": uid,
        "name": f"单位{uid}",
        "subject_type": "有限责任公司",
        "industry": "机械",
        "township": "石湾镇",
    }
    base.update(kw)
    return Unit(**base)  # type: ignore[arg-type]


def staff(n: int, township: str = "罗阳街道") -> list[Inspector]:
    return [
        Inspector(inspector_id=f"I{k:02d}", name=f"员{k}", work_unit="大队", township=township)
        for k in range(n)
    ]


def test_boluo_plugin_comes_from_its_entry_point(boluo: Rules) -> None:
    assert boluo.jurisdiction == "boluo"
    assert "boluo" in boluo.plugins
    assert "tianjin" not in boluo.plugins


def test_bl3_units_in_a_higher_level_plan_are_excluded_and_never_drawn(boluo: Rules) -> None:
    units = [unit("X1", in_higher_plan=True, major_hazard=True)] + [unit(f"U{k}") for k in range(5)]
    plan = plan_year(units, staff(4), year=2019, rules=boluo, seed="bl3", registry_date=None)
    assert [(e.unit_id, e.reasons[0].clause) for e in plan.excluded] == [("X1", "BL-3")]
    assert "X1" not in plan.times_inspected()
    assert len(plan.times_inspected()) == 5


def test_bl3_registry_not_renewed_within_a_year_is_a_plan_problem(boluo: Rules) -> None:
    units = [unit(f"U{k}") for k in range(5)]

    def problems(renewed: dt.date | None) -> list[str]:
        plan = plan_year(units, staff(4), year=2019, rules=boluo, seed="r", registry_date=renewed)
        return [p.text for p in plan.problems if p.clause == "BL-3"]

    assert problems(dt.date(2018, 12, 5)) == []
    (old,) = problems(dt.date(2017, 12, 5))
    assert "2017-12-05" in old
    (unknown,) = problems(None)
    assert "not given" in unknown
    with pytest.raises(RuleError, match="BL-3"):
        plan_year(units, staff(4), year=2019, rules=boluo, seed="r", strict=True)


def test_bl5_the_plan_weighs_risk_level(boluo: Rules) -> None:
    units = [unit(f"U{k}", risk_level=level, risk_weight=2.0) for k, level in enumerate(RiskLevel)]
    ur = boluo.evaluate(units, CONTEXT)
    assert ur.weights.tolist() == [2.0, 3.0, 4.0, 6.0]
    assert "U0" not in ur.weight_reasons
    assert ur.weight_reasons["U3"][0].clause == "BL-5"


def test_bl5_inspectors_recuse_from_units_in_their_home_township(boluo: Rules) -> None:
    inspectors = staff(4, "石湾镇") + [
        Inspector(inspector_id=f"J{k}", name=f"外{k}", work_unit="大队", township="园洲镇")
        for k in range(4)
    ]
    units = [unit(f"U{k}", township="石湾镇") for k in range(6)]
    conflicts = boluo.conflicts(units, inspectors, CONTEXT)
    assert len(conflicts) == 24
    assert {c.reason.split(" ")[0] for c in conflicts} == {"BL-5"}
    plan = plan_year(units, inspectors, year=2019, rules=boluo, seed="bl5", rounds=1)
    assert plan.tasks
    for task in plan.tasks:
        assert all(i.startswith("J") for i in task.inspectors), task.inspectors


def test_bl6_major_hazard_units_get_key_supervision_every_quarter(boluo: Rules) -> None:
    units = [unit("H1", major_hazard=True)] + [unit(f"U{k}") for k in range(10)]
    plan = plan_year(units, staff(4), year=2019, rules=boluo, seed="bl6", random_ratio=0.2)
    rounds = [t.round for t in plan.tasks if t.unit_id == "H1"]
    assert rounds == [1, 2, 3, 4]
    assert all(t.kind is TaskKind.PLANNED for t in plan.tasks if t.unit_id == "H1")
    (key,) = plan.key_supervision
    assert (key.unit_id, key.times, key.reasons[0].clause) == ("H1", 4, "BL-6")


def test_bl6_resumed_production_is_followed_up_twice(boluo: Rules) -> None:
    ur = boluo.evaluate([unit("R1", production_status=ProductionStatus.RESUMED)], CONTEXT)
    assert ur.times.tolist() == [2]
    trial = boluo.evaluate([unit("T1", production_status=ProductionStatus.TRIAL)], CONTEXT)
    assert trial.times.tolist() == [0]


def test_bl6_double_random_share_below_30_percent_is_a_problem(boluo: Rules) -> None:
    units = [unit(f"H{k}", major_hazard=True) for k in range(3)] + [
        unit(f"U{k}") for k in range(20)
    ]
    low = plan_year(
        units,
        staff(4),
        year=2019,
        rules=boluo,
        seed="s",
        random_ratio=0.1,
        registry_date=dt.date(2018, 12, 1),
    )
    assert low.min_random_share == 0.3
    assert low.double_random_share == pytest.approx(2 / 14)
    assert [p.clause for p in low.problems] == ["BL-6"]
    assert "14.3%" in low.problems[0].text
    with pytest.raises(RuleError, match="below the required 30%"):
        plan_year(
            units,
            staff(4),
            year=2019,
            rules=boluo,
            seed="s",
            random_ratio=0.1,
            registry_date=dt.date(2018, 12, 1),
            strict=True,
        )
    high = plan_year(
        units,
        staff(4),
        year=2019,
        rules=boluo,
        seed="s",
        random_ratio=0.8,
        registry_date=dt.date(2018, 12, 1),
    )
    assert high.double_random_share >= 0.3
    assert high.problems == ()


def test_boluo_has_no_must_once_a_year_set(boluo: Rules) -> None:
    ur = boluo.evaluate([unit("B1", blacklisted=True, risk_level=RiskLevel.MAJOR)], CONTEXT)
    assert ur.mandatory.tolist() == [False]
    assert ur.times.tolist() == [0]
