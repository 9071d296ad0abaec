"""Boluo County rules for drawcore: 博安监〔2018〕129号 (12 Sept 2018).

Each hook cites the clause it carries (``BL-n``, see the policy summary). Where
the Boluo document is silent (credit classes, trial production, covert
selection), the national defaults of drawcore apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from drawcore.model import Inspector, ProductionStatus, RiskLevel, Unit
from drawcore.plugin import (
    GroupFactor,
    GroupFrequency,
    GroupReason,
    PlanContext,
    RandomShareMinimum,
    Reason,
    ReasonTexts,
    Recusals,
    UnitColumns,
    hookimpl,
)

__version__ = "0.1.0"

JURISDICTION = "boluo"
#: BL-5: the annual plan weighs the risk level; a unit's weight is multiplied by this.
RISK_FACTORS = {
    RiskLevel.LOW: 1.0,
    RiskLevel.MODERATE: 1.5,
    RiskLevel.HIGH: 2.0,
    RiskLevel.MAJOR: 3.0,
}
#: BL-6: major-hazard units are inspected every round, up to quarterly.
KEY_SUPERVISION_TIMES = 4
#: BL-6: a unit resuming production after a major hazard is followed up twice.
RESUMED_TIMES = 2
#: BL-6: double-random draws are not less than 30 % of the annual plan.
MIN_RANDOM_SHARE = 0.30
#: BL-3: the registry is renewed once a year (collected each early December).
REGISTRY_MAX_AGE = dt.timedelta(days=366)
#: The reasons above in Simplified Chinese (shown to readers; the record keeps English).
REASON_TEXTS = ReasonTexts(
    {
        "risk level {level}: weight x{factor}": "风险等级为{level}：抽取权重×{factor}",
        "already in a provincial or city draw plan; not drawn again by the county": (
            "已列入省、市抽查计划，县局不再重复抽查"
        ),
        "major accident hazard: key supervision, {times} inspections this year": (
            "存在重大事故隐患：重点监管，本年度检查{times}次"
        ),
        "resumed production after clearance: followed up {times} times this year": (
            "整改后恢复生产：本年度跟踪检查{times}次"
        ),
        "recusal (回避): the inspector's home township is {township}": (
            "回避：执法检查人员居住在{township}"
        ),
        "double-random draws are at least 30 % of the plan": (
            "“双随机”抽查不少于年度检查计划的30%"
        ),
        "the unit registry's renewal date is not given; it is renewed every year": (
            "未提供检查对象名录库的更新日期；名录库每年更新一次"
        ),
        "the unit registry was renewed on {renewed}, more than a year before the plan "
        "starts ({start})": "检查对象名录库于{renewed}更新，距计划开始（{start}）已超过一年",
    },
    words={"low": "低风险", "moderate": "一般风险", "high": "较大风险", "major": "重大风险"},
)


@hookimpl
def drawcore_jurisdiction() -> str:
    return JURISDICTION


@hookimpl
def drawcore_reason_text(reason: Reason, lang: str) -> str | None:
    """This plugin's reasons in Simplified Chinese."""
    return REASON_TEXTS.translate(reason.text) if lang == "zh_CN" else None


@hookimpl
def drawcore_units_weight(units: UnitColumns) -> Sequence[GroupFactor]:
    """BL-5: the plan weighs each unit's risk level."""
    return [
        GroupFactor(
            rows=units.equals("risk_level", level),
            factor=factor,
            reason=Reason(clause="BL-5", text=f"risk level {level.value}: weight x{factor}"),
        )
        for level, factor in RISK_FACTORS.items()
        if factor != 1.0
    ]


@hookimpl
def drawcore_units_exclusions(units: UnitColumns) -> Sequence[GroupReason]:
    """BL-3: units already in a provincial or city draw plan are not drawn again."""
    return [
        GroupReason(
            rows=units.flag("in_higher_plan"),
            reason=Reason(
                clause="BL-3",
                text="already in a provincial or city draw plan; not drawn again by the county",
            ),
        )
    ]


@hookimpl
def drawcore_units_frequency(units: UnitColumns, context: PlanContext) -> Sequence[GroupFrequency]:
    """BL-6: major-hazard units get key supervision, more frequent inspections; a unit
    resuming production after clearance is followed up."""
    hazard = units.flag("major_hazard")
    key = min(KEY_SUPERVISION_TIMES, context.rounds)
    resumed = min(RESUMED_TIMES, context.rounds)
    return [
        GroupFrequency(
            rows=hazard,
            times=key,
            reason=Reason(
                clause="BL-6",
                text=f"major accident hazard: key supervision, {key} inspections this year",
            ),
        ),
        GroupFrequency(
            rows=~hazard & units.equals("production_status", ProductionStatus.RESUMED),
            times=resumed,
            reason=Reason(
                clause="BL-6",
                text=f"resumed production after clearance: followed up {resumed} times this year",
            ),
        ),
    ]


@hookimpl
def drawcore_inspector_conflicts(
    units: Sequence[Unit], inspectors: Sequence[Inspector]
) -> Sequence[Recusals]:
    """BL-5: an inspector with an interest recuses; a home-township tie is such an interest.

    One group per township: its resident inspectors recuse from its units.
    """
    staff: dict[str, list[str]] = {}
    for inspector in inspectors:
        if inspector.township:
            staff.setdefault(inspector.township, []).append(inspector.inspector_id)
    local: dict[str, list[str]] = {}
    for unit in units:
        if unit.township in staff:
            local.setdefault(unit.township, []).append(unit.unit_id)
    return [
        Recusals(
            inspector_ids=staff[township],
            unit_ids=unit_ids,
            reason=Reason(
                clause="BL-5", text=f"recusal (回避): the inspector's home township is {township}"
            ),
        )
        for township, unit_ids in sorted(local.items())
    ]


@hookimpl
def drawcore_min_random_share() -> RandomShareMinimum:
    """BL-6: double-random draws make up not less than 30 % of the annual plan."""
    return RandomShareMinimum(
        share=MIN_RANDOM_SHARE,
        reason=Reason(clause="BL-6", text="double-random draws are at least 30 % of the plan"),
    )


@hookimpl
def drawcore_plan_checks(context: PlanContext) -> Sequence[Reason]:
    """BL-3: the unit registry is renewed once a year."""
    if context.registry_date is None:
        return [
            Reason(
                clause="BL-3",
                text="the unit registry's renewal date is not given; it is renewed every year",
            )
        ]
    if context.start - context.registry_date > REGISTRY_MAX_AGE:
        return [
            Reason(
                clause="BL-3",
                text=(
                    f"the unit registry was renewed on {context.registry_date.isoformat()}, "
                    f"more than a year before the plan starts ({context.start.isoformat()})"
                ),
            )
        ]
    return []
