"""TJ-5's once-a-year set, computed from the registry by the clause's own words.

「对安全生产风险等级较高的生产经营单位、近三年发生过造成人员死亡的生产安全事故的生产经营单位、
纳入安全生产失信行为联合惩戒对象的生产经营单位，每年至少进行一次监督检查」, with blacklisted
(黑名单) units among the dishonest (TJ-3, TJ-7). The plan is checked against this set, not
against the plan's own ``mandatory`` list; a closed unit (NAT-3) has nothing to inspect.

Good credit (「守法经营、信用良好」, class A) lowers the ratio and frequency, but not for a
blacklisted or jointly punished unit: those are not law-abiding, whatever their credit class.
"""

from __future__ import annotations

import datetime as dt

from tianjin_units import unit

from drawcore.model import CreditClass, InspectionMode, ProductionStatus, RiskLevel, Unit
from drawcore.plan.schedule import plan_year
from drawcore.plan.tasks import AnnualPlan, TaskKind
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext
from drawcore.testing import synthetic_county

YEAR = 2019


#: Good-credit units that each meet one clause, and the years around "the last three years".
EDGE_UNITS = [
    unit("BLACK-A", blacklisted=True, credit_class=CreditClass.A, licence_holder=True),
    unit(
        "BLACK-A-RECENT",
        blacklisted=True,
        credit_class=CreditClass.A,
        last_inspected=dt.date(2018, 11, 1),
    ),
    unit("JOINT-A", joint_punishment=True, credit_class=CreditClass.A),
    unit("HIGH-A", risk_level=RiskLevel.HIGH, credit_class=CreditClass.A),
    unit("MAJOR-A", risk_level=RiskLevel.MAJOR, credit_class=CreditClass.A),
    unit("FATAL-THIS-YEAR", fatal_accident_year=YEAR),
    unit("FATAL-2-AGO", fatal_accident_year=YEAR - 2, credit_class=CreditClass.A),
    unit("FATAL-3-AGO", fatal_accident_year=YEAR - 3),
    unit("BLACK-CLOSED", blacklisted=True, production_status=ProductionStatus.CLOSED),
    unit("PLAIN-A", credit_class=CreditClass.A, last_inspected=dt.date(2018, 11, 1)),
]


def once_a_year(u: Unit, year: int) -> bool:
    """The clause, read off the registry row. "The last three years" (近三年) is the plan's
    year and the two calendar years before it (NAT-7, docs/hooks.md)."""
    fatal = u.fatal_accident_year is not None and year - 2 <= u.fatal_accident_year <= year
    high = u.risk_level in (RiskLevel.HIGH, RiskLevel.MAJOR)
    return high or fatal or u.joint_punishment or u.blacklisted


def _plan(rules: Rules, units: list[Unit]) -> AnnualPlan:
    c = synthetic_county("tj5-once-a-year", year=YEAR)
    return plan_year(
        units,
        c.inspectors,
        year=YEAR,
        rounds=4,
        rules=rules,
        seed="tj5-once",
        tasks_per_inspector=40,
        random_ratio=0.3,
        experts=c.experts,
        items=c.items,
        registry_date=dt.date(YEAR - 1, 12, 5),
    )


def test_tj5_plan_inspects_every_unit_the_clause_names(tianjin: Rules) -> None:
    units = list(synthetic_county("tj5-once-a-year", year=YEAR).units) + EDGE_UNITS
    required = {
        u.unit_id
        for u in units
        if once_a_year(u, YEAR) and u.production_status is not ProductionStatus.CLOSED
    }
    assert {"BLACK-A", "BLACK-A-RECENT", "JOINT-A", "FATAL-2-AGO"} <= required
    assert "FATAL-3-AGO" not in required
    assert len(required) >= 30, "the synthetic county adds its own mix of such units"
    plan = _plan(tianjin, units)
    times = plan.times_inspected()
    planned = {t.unit_id for t in plan.tasks if t.kind is TaskKind.PLANNED}
    missing = sorted(u for u in required if times.get(u, 0) < 1)
    assert not missing, f"TJ-5 units not inspected this year: {missing}"
    assert required <= planned, sorted(required - planned)
    key = {k.unit_id for k in plan.key_supervision}
    assert planned - required <= key, "only key-supervision units are planned besides the set"
    assert "FATAL-4-AGO" not in planned
    assert "BLACK-CLOSED" not in times
    on_list = {m.unit_id for m in plan.mandatory} - {e.unit_id for e in plan.excluded}
    assert on_list == required


def test_tj5_blacklisted_unit_with_credit_a_gets_no_good_credit_treatment(tianjin: Rules) -> None:
    context = PlanContext(year=YEAR, rounds=4, start=dt.date(YEAR, 1, 1), jurisdiction="tianjin")
    ur = tianjin.evaluate(EDGE_UNITS, context)
    row = {u: n for n, u in enumerate(ur.unit_ids)}
    for uid in ("BLACK-A", "BLACK-A-RECENT", "JOINT-A"):
        assert ur.mandatory[row[uid]], uid
        assert ur.recent_inspection_days[row[uid]] == 180, uid
        assert ur.recent_inspection_reasons[uid].clause == "NAT-2", uid
        assert all("good credit" not in r.text for r in ur.weight_reasons.get(uid, ())), uid
    assert ur.weights[row["BLACK-A"]] == 1.5, "a licence holder: the TJ-3 key-unit weight"
    assert ur.weights[row["JOINT-A"]] == 1.0
    # a law-abiding unit of class A keeps the lower ratio and the year-long window
    assert (ur.weights[row["PLAIN-A"]], ur.recent_inspection_days[row["PLAIN-A"]]) == (0.5, 365)
    assert ur.recent_inspection_reasons["PLAIN-A"].text.startswith("good credit")
    assert (ur.weights[row["HIGH-A"]], ur.recent_inspection_days[row["HIGH-A"]]) == (0.5, 365)


def test_tj5_no_task_of_a_blacklisted_unit_cites_good_credit(tianjin: Rules) -> None:
    plan = _plan(tianjin, EDGE_UNITS)
    tasks = [t for t in plan.tasks if t.unit_id in ("BLACK-A", "BLACK-A-RECENT", "JOINT-A")]
    assert len(tasks) == 3
    for t in tasks:
        assert all("good credit" not in r.text for r in t.reasons), (t.unit_id, t.reasons)


def test_tj5_general_inspection_only_when_no_inspector_holds_the_whole_label(
    tianjin: Rules,
) -> None:
    """An industry is matched by whole label: 危险化学品 expertise does not cover 化学品."""
    haz = unit("HAZ", major_hazard=True, industry="化学品")
    context = PlanContext(
        year=YEAR,
        rounds=4,
        start=dt.date(YEAR, 1, 1),
        jurisdiction="tianjin",
        inspector_expertise={"危险化学品", "机械"},
    )
    assert tianjin.inspection_mode(haz, context, planned=True).mode is InspectionMode.GENERAL
    covered = PlanContext(
        year=YEAR,
        rounds=4,
        start=dt.date(YEAR, 1, 1),
        jurisdiction="tianjin",
        inspector_expertise={"化学品"},
    )
    assert tianjin.inspection_mode(haz, covered, planned=True).mode is InspectionMode.KEY
