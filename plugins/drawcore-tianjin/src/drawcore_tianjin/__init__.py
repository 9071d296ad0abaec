"""Tianjin rules for drawcore: 津应急执〔2018〕1号 (5 Dec 2018).

Each hook cites the clause it carries (``TJ-n``, see the policy summary). Tianjin
differs from Boluo where its document does: a must-once-a-year set, case-by-case
frequencies, lower frequency for good credit, general / key / covert modes,
industry experts and quarterly publication.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from drawcore.model import CreditClass, InspectionMode, ProductionStatus, RiskLevel, Unit
from drawcore.plan.once_a_year import FATAL_ACCIDENT_YEARS
from drawcore.plugin import (
    GroupFactor,
    GroupFrequency,
    GroupMode,
    GroupReason,
    GroupTeam,
    GroupWindow,
    PlanContext,
    PublicationDeadline,
    Reason,
    ReasonTexts,
    TeamRequirement,
    UnitColumns,
    hookimpl,
)
from drawcore.plugin.columns import NO_YEAR

__version__ = "0.2.0"

JURISDICTION = "tianjin"
#: TJ-5: major-hazard units, frequency set case by case: every round, up to quarterly.
KEY_SUPERVISION_TIMES = 4
#: TJ-5: trial or resumed production, frequency set case by case.
TRIAL_TIMES = 2
#: TJ-5: law-abiding units with good credit get a lower ratio ...
GOOD_CREDIT_FACTOR = 0.5
#: ... and a lower frequency: a longer window after an inspection.
GOOD_CREDIT_WINDOW_DAYS = 365
#: TJ-3 / TJ-5: high-danger key units (licence holders) weigh more.
KEY_UNIT_FACTOR = 1.5
#: TJ-6: quarterly results are published within this many days of the quarter's end.
PUBLICATION_DAYS = 15
#: The reasons below in Simplified Chinese (shown to readers; the record keeps English).
REASON_TEXTS = ReasonTexts(
    {
        "high safety-risk level ({level})": "安全风险等级高（{level}）",
        "production accident causing death in {year} (last three years)": (
            "近三年发生生产安全死亡事故（{year}年）"
        ),
        "under joint punishment for dishonesty": "失信联合惩戒对象",
        "on the work-safety dishonesty blacklist (黑名单)": "列入安全生产失信“黑名单”",
        "major accident hazard: {times} inspections": "存在重大事故隐患：检查{times}次",
        "{status} production: {times} inspections": "{status}：检查{times}次",
        "law-abiding with good credit: lower ratio": "守法经营、信用良好：降低抽查比例",
        "high-danger key unit (licence holder)": "高危行业重点单位（持有安全生产许可）",
        "good credit: not drawn within a year of the last inspection": (
            "信用良好：降低抽查频次，上次检查后一年内不再抽取"
        ),
        "major accident hazard: an industry expert joins": "存在重大事故隐患：行业专家参加检查",
        "no inspector has {industry} expertise: general inspection, unit drawn, team set "
        "by the office": (
            "无执法检查人员具备{industry}专长：一般检查，抽取检查对象，由处室确定检查组"
        ),
        "covert inspection (暗查暗访), double-random, not announced": (
            "暗查暗访：“双随机”抽取，不事先通知"
        ),
        "results published quarterly on the 双随机一公开 column": (
            "检查结果按季度在“双随机一公开”专栏公示"
        ),
        "{rounds} rounds straddle quarters; use 4 or 12 rounds so results can be "
        "published quarterly": "{rounds}轮检查跨越季度；请用4轮或12轮，以便按季度公示结果",
    },
    words={
        "high": "较大风险",
        "major": "重大风险",
        "trial": "试生产",
        "resumed": "恢复生产",
    },
)


def good_credit(unit: Unit) -> bool:
    """TJ-5 「守法经营、信用良好」: credit class A, not blacklisted, not under joint punishment.

    A blacklisted (黑名单) or jointly punished unit stays in the once-a-year set; its
    credit class does not earn it the lower ratio or the longer window.
    """
    return unit.credit_class is CreditClass.A and not unit.blacklisted and not unit.joint_punishment


@hookimpl
def drawcore_jurisdiction() -> str:
    return JURISDICTION


@hookimpl
def drawcore_reason_text(reason: Reason, lang: str) -> str | None:
    """This plugin's reasons in Simplified Chinese."""
    return REASON_TEXTS.translate(reason.text) if lang == "zh_CN" else None


def good_credit_rows(units: UnitColumns) -> npt.NDArray[np.bool_]:
    """:func:`good_credit` over columns."""
    return (
        units.equals("credit_class", CreditClass.A)
        & ~units.flag("blacklisted")
        & ~units.flag("joint_punishment")
    )


@hookimpl
def drawcore_units_mandatory(units: UnitColumns, context: PlanContext) -> Sequence[GroupReason]:
    """TJ-5: inspected at least once a year (the national rule, NAT-7, which the core
    applies too; "last three years" as the core counts it: the plan's year and the two
    before)."""
    groups = [
        GroupReason(
            rows=units.equals("risk_level", level),
            reason=Reason(clause="TJ-5", text=f"high safety-risk level ({level.value})"),
        )
        for level in RiskLevel
        if level.is_high
    ]
    year = units.column("fatal_accident_year")
    recent = (
        (year != NO_YEAR) & (year > context.year - FATAL_ACCIDENT_YEARS) & (year <= context.year)
    )
    groups += [
        GroupReason(
            rows=recent & (year == y),
            reason=Reason(
                clause="TJ-5", text=f"production accident causing death in {y} (last three years)"
            ),
        )
        for y in np.unique(year[recent]).tolist()
    ]
    groups.append(
        GroupReason(
            rows=units.flag("joint_punishment"),
            reason=Reason(clause="TJ-5", text="under joint punishment for dishonesty"),
        )
    )
    groups.append(
        GroupReason(
            rows=units.flag("blacklisted"),
            reason=Reason(clause="TJ-7", text="on the work-safety dishonesty blacklist (黑名单)"),
        )
    )
    return groups


@hookimpl
def drawcore_units_frequency(units: UnitColumns, context: PlanContext) -> Sequence[GroupFrequency]:
    """TJ-5: frequency set case by case for major hazards and trial or resumed production."""
    hazard = units.flag("major_hazard")
    key = min(KEY_SUPERVISION_TIMES, context.rounds)
    trial = min(TRIAL_TIMES, context.rounds)
    groups = [
        GroupFrequency(
            rows=hazard,
            times=key,
            reason=Reason(clause="TJ-5", text=f"major accident hazard: {key} inspections"),
        )
    ]
    groups += [
        GroupFrequency(
            rows=~hazard & units.equals("production_status", status),
            times=trial,
            reason=Reason(clause="TJ-5", text=f"{status.value} production: {trial} inspections"),
        )
        for status in (ProductionStatus.TRIAL, ProductionStatus.RESUMED)
    ]
    return groups


@hookimpl
def drawcore_units_weight(units: UnitColumns) -> Sequence[GroupFactor]:
    """TJ-5: good credit lowers the ratio; TJ-3 high-danger key units raise it."""
    good = good_credit_rows(units)
    return [
        GroupFactor(
            rows=good,
            factor=GOOD_CREDIT_FACTOR,
            reason=Reason(clause="TJ-5", text="law-abiding with good credit: lower ratio"),
        ),
        GroupFactor(
            rows=~good & units.flag("licence_holder"),
            factor=KEY_UNIT_FACTOR,
            reason=Reason(clause="TJ-3", text="high-danger key unit (licence holder)"),
        ),
    ]


@hookimpl
def drawcore_units_recent_inspection_window(units: UnitColumns) -> Sequence[GroupWindow]:
    """TJ-5: good credit lowers the frequency: a year between inspections."""
    return [
        GroupWindow(
            rows=good_credit_rows(units),
            days=GOOD_CREDIT_WINDOW_DAYS,
            reason=Reason(
                clause="TJ-5",
                text="good credit: not drawn within a year of the last inspection",
            ),
        )
    ]


@hookimpl
def drawcore_units_team_requirements(
    units: UnitColumns, context: PlanContext
) -> Sequence[GroupTeam]:
    """TJ-8: a major-hazard unit's team takes an industry expert when the registry has one."""
    if context.experts == 0:
        return []
    hazard = units.flag("major_hazard")
    industry = units.column("industry")
    matched = (
        np.isin(industry, list(context.expert_expertise))
        if context.expert_expertise
        else (np.zeros(len(units), dtype=np.bool_))
    )
    reason = Reason(clause="TJ-8", text="major accident hazard: an industry expert joins")
    groups = [
        GroupTeam(
            rows=hazard & ~matched,
            team=TeamRequirement(size=2, experts=1, reason=reason),
        )
    ]
    groups += [
        GroupTeam(
            rows=hazard & (industry == name),
            team=TeamRequirement(size=2, experts=1, expert_expertise=(name,), reason=reason),
        )
        for name in sorted(set(industry[hazard & matched].tolist()))
    ]
    return groups


@hookimpl
def drawcore_units_inspection_mode(
    units: UnitColumns, context: PlanContext, planned: npt.NDArray[np.bool_]
) -> Sequence[GroupMode]:
    """TJ-5: general, key and covert inspections."""
    groups: list[GroupMode] = []
    if context.inspector_expertise:
        industry = units.column("industry")
        general = units.flag("major_hazard") & ~np.isin(
            industry, sorted(context.inspector_expertise)
        )
        groups += [
            GroupMode(
                rows=general & (industry == name),
                mode=InspectionMode.GENERAL,
                reason=Reason(
                    clause="TJ-5",
                    text=f"no inspector has {name} expertise: general inspection, "
                    "unit drawn, team set by the office",
                ),
            )
            for name in sorted(set(industry[general].tolist()))
        ]
    covert = ~planned & (
        units.equals("credit_class", CreditClass.D) | units.flag("under_investigation")
    )
    groups.append(
        GroupMode(
            rows=covert,
            mode=InspectionMode.COVERT,
            reason=Reason(
                clause="TJ-5",
                text="covert inspection (暗查暗访), double-random, not announced",
            ),
        )
    )
    return groups


@hookimpl
def drawcore_publication_deadline(round_end: dt.date) -> PublicationDeadline:
    """TJ-6: results are published quarterly."""
    quarter_end_month = ((round_end.month - 1) // 3 + 1) * 3
    next_month = dt.date(round_end.year + quarter_end_month // 12, quarter_end_month % 12 + 1, 1)
    due = next_month + dt.timedelta(days=PUBLICATION_DAYS - 1)
    return PublicationDeadline(
        due=due,
        reason=Reason(clause="TJ-6", text="results published quarterly on the 双随机一公开 column"),
    )


@hookimpl
def drawcore_plan_checks(context: PlanContext) -> Sequence[Reason]:
    """TJ-6: rounds must not straddle quarters, or quarterly results cannot be published."""
    if context.rounds % 4:
        return [
            Reason(
                clause="TJ-6",
                text=f"{context.rounds} rounds straddle quarters; use 4 or 12 rounds so "
                "results can be published quarterly",
            )
        ]
    return []
