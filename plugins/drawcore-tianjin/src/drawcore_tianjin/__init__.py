"""Tianjin rules for drawcore: 津应急执〔2018〕1号 (5 Dec 2018).

Each hook cites the clause it carries (``TJ-n``, see the policy summary). Tianjin
differs from Boluo where its document does: a must-once-a-year set, case-by-case
frequencies, lower frequency for good credit, general / key / covert modes,
industry experts and quarterly publication.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from drawcore.model import CreditClass, InspectionMode, ProductionStatus, Unit
from drawcore.plan.once_a_year import FATAL_ACCIDENT_YEARS
from drawcore.plugin import (
    Frequency,
    InspectionModeChoice,
    PlanContext,
    PublicationDeadline,
    Reason,
    RecentInspectionWindow,
    TeamRequirement,
    WeightFactor,
    hookimpl,
)

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
def drawcore_unit_mandatory(unit: Unit, context: PlanContext) -> Sequence[Reason]:
    """TJ-5: inspected at least once a year (the national rule, NAT-7, which the core
    applies too; "last three years" as the core counts it: the plan's year and the two
    before)."""
    reasons = []
    if unit.risk_level.is_high:
        reasons.append(
            Reason(clause="TJ-5", text=f"high safety-risk level ({unit.risk_level.value})")
        )
    if (
        unit.fatal_accident_year is not None
        and context.year - FATAL_ACCIDENT_YEARS < unit.fatal_accident_year <= context.year
    ):
        reasons.append(
            Reason(
                clause="TJ-5",
                text=f"production accident causing death in {unit.fatal_accident_year} "
                "(last three years)",
            )
        )
    if unit.joint_punishment:
        reasons.append(Reason(clause="TJ-5", text="under joint punishment for dishonesty"))
    if unit.blacklisted:
        reasons.append(
            Reason(clause="TJ-7", text="on the work-safety dishonesty blacklist (黑名单)")
        )
    return reasons


@hookimpl
def drawcore_unit_frequency(unit: Unit, context: PlanContext) -> Frequency | None:
    """TJ-5: frequency set case by case for major hazards and trial or resumed production."""
    if unit.major_hazard:
        times = min(KEY_SUPERVISION_TIMES, context.rounds)
        return Frequency(
            times=times,
            reason=Reason(clause="TJ-5", text=f"major accident hazard: {times} inspections"),
        )
    if unit.production_status in (ProductionStatus.TRIAL, ProductionStatus.RESUMED):
        times = min(TRIAL_TIMES, context.rounds)
        return Frequency(
            times=times,
            reason=Reason(
                clause="TJ-5",
                text=f"{unit.production_status.value} production: {times} inspections",
            ),
        )
    return None


@hookimpl
def drawcore_unit_weight(unit: Unit) -> WeightFactor | None:
    """TJ-5: good credit lowers the ratio; TJ-3 high-danger key units raise it."""
    if good_credit(unit):
        return WeightFactor(
            factor=GOOD_CREDIT_FACTOR,
            reason=Reason(clause="TJ-5", text="law-abiding with good credit: lower ratio"),
        )
    if unit.licence_holder:
        return WeightFactor(
            factor=KEY_UNIT_FACTOR,
            reason=Reason(clause="TJ-3", text="high-danger key unit (licence holder)"),
        )
    return None


@hookimpl
def drawcore_recent_inspection_window(unit: Unit) -> RecentInspectionWindow | None:
    """TJ-5: good credit lowers the frequency: a year between inspections."""
    if good_credit(unit):
        return RecentInspectionWindow(
            days=GOOD_CREDIT_WINDOW_DAYS,
            reason=Reason(
                clause="TJ-5",
                text="good credit: not drawn within a year of the last inspection",
            ),
        )
    return None


@hookimpl
def drawcore_team_requirements(unit: Unit, context: PlanContext) -> TeamRequirement | None:
    """TJ-8: a major-hazard unit's team takes an industry expert when the registry has one."""
    if not unit.major_hazard or context.experts == 0:
        return None
    expertise = (unit.industry,) if unit.industry in context.expert_expertise else ()
    return TeamRequirement(
        size=2,
        experts=1,
        expert_expertise=expertise,
        reason=Reason(clause="TJ-8", text="major accident hazard: an industry expert joins"),
    )


@hookimpl
def drawcore_inspection_mode(
    unit: Unit, context: PlanContext, planned: bool
) -> InspectionModeChoice | None:
    """TJ-5: general, key and covert inspections."""
    if (
        unit.major_hazard
        and context.inspector_expertise
        and (unit.industry not in context.inspector_expertise)
    ):
        return InspectionModeChoice(
            mode=InspectionMode.GENERAL,
            reason=Reason(
                clause="TJ-5",
                text=f"no inspector has {unit.industry} expertise: general inspection, "
                "unit drawn, team set by the office",
            ),
        )
    if not planned and (unit.credit_class is CreditClass.D or unit.under_investigation):
        return InspectionModeChoice(
            mode=InspectionMode.COVERT,
            reason=Reason(
                clause="TJ-5",
                text="covert inspection (暗查暗访), double-random, not announced",
            ),
        )
    return None


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
