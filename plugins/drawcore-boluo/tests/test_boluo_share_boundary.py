"""BL-6 at its boundary: double-random draws are 「不低于30%」 (not less than 30 %) of the plan.

One round, ``planned`` major-hazard units (key supervision, one planned task each in a
single round) and 20 ordinary units of which ``drawn`` are drawn: the share is
``drawn / (planned + drawn)``, exactly.
"""

from __future__ import annotations

import datetime as dt

import pytest

from drawcore.errors import RuleError
from drawcore.model import Inspector, Unit
from drawcore.plan.schedule import plan_year
from drawcore.plan.tasks import AnnualPlan, TaskKind
from drawcore.plugin.rules import Rules

ORDINARY = 20


@pytest.fixture(scope="module")
def boluo() -> Rules:
    return Rules.for_jurisdiction("boluo")


def _plan(rules: Rules, planned: int, drawn: int, *, strict: bool = False) -> AnnualPlan:
    units = [
        Unit(
            unit_id=f"{'H' if k < planned else 'U'}{k:03d}",
            name=f"单位{k}",
            subject_type="有限责任公司",
            industry="机械",
            township="石湾镇",
            major_hazard=k < planned,
        )
        for k in range(planned + ORDINARY)
    ]
    staff = [Inspector(inspector_id=f"I{k:02d}", name=f"员{k}", work_unit="大队") for k in range(8)]
    return plan_year(
        units,
        staff,
        year=2019,
        rounds=1,
        rules=rules,
        seed="bl6-boundary",
        random_ratio=drawn / ORDINARY,
        capacity=100,
        registry_date=dt.date(2018, 12, 1),
        strict=strict,
    )


@pytest.mark.parametrize(("planned", "drawn"), [(7, 3), (14, 6), (7, 4), (0, 5)])
def test_bl6_share_of_30_percent_or_more_is_accepted(
    boluo: Rules, planned: int, drawn: int
) -> None:
    plan = _plan(boluo, planned, drawn, strict=True)
    kinds = [t.kind for t in plan.tasks]
    assert (kinds.count(TaskKind.PLANNED), kinds.count(TaskKind.DRAWN)) == (planned, drawn)
    assert plan.double_random_share == drawn / (planned + drawn) >= 0.30
    assert plan.min_random_share == 0.30
    assert plan.problems == ()


@pytest.mark.parametrize(
    ("planned", "drawn", "shown"), [(12, 5, "29.4%"), (26, 11, "29.7%"), (3, 1, "25.0%")]
)
def test_bl6_share_just_below_30_percent_is_refused(
    boluo: Rules, planned: int, drawn: int, shown: str
) -> None:
    plan = _plan(boluo, planned, drawn)
    assert plan.double_random_share == pytest.approx(drawn / (planned + drawn))
    assert [p.clause for p in plan.problems] == ["BL-6"]
    assert shown in plan.problems[0].text
    with pytest.raises(RuleError, match=r"below the required 30%"):
        _plan(boluo, planned, drawn, strict=True)
