"""The once-a-year rule, a core promise for every jurisdiction (NAT-7, TJ-5).

The national rule on annual supervision plans (安监总政法〔2017〕150号, which TJ-5
repeats) inspects four kinds of unit at least once a year: a high safety-risk
level, a production accident causing death in the last three years, joint
punishment for work-safety dishonesty, and the work-safety blacklist. The core
applies it to every plan, whatever plugins are installed. A jurisdiction may add
units or reasons (``drawcore_unit_mandatory``); it can drop the rule for a unit only
by an explicit answer with a reason (``drawcore_once_a_year_waiver``), which the plan
records.

"The last three years" (近三年): the registry records the *year* of a unit's latest
fatal accident, not its date, so three years are counted as three calendar years:
the plan's year and the two before it (``year - 2 .. year``). An accident in the
plan's year itself can only be in the registry when it happened before the plan
(a plan made mid-year, or an amendment), and then it is certainly recent; an
accident in ``year - 3`` is at least two years before the plan's year began.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.model import RiskLevel, Unit
from drawcore.plan.policy import CORE, UnitDecisions
from drawcore.plugin.columns import NO_YEAR, UnitColumns
from drawcore.plugin.values import Reason

__all__ = [
    "CLAUSE",
    "FATAL_ACCIDENT_YEARS",
    "once_a_year_groups",
    "once_a_year_reasons",
    "with_once_a_year",
]

#: The clause the core's reasons cite (listed in ``docs/hooks.md``).
CLAUSE = "NAT-7"
#: 近三年: the plan's year and the two calendar years before it.
FATAL_ACCIDENT_YEARS = 3


def _reason(text: str) -> Reason:
    return Reason(clause=CLAUSE, plugin=CORE, text=text)


def once_a_year_reasons(unit: Unit, year: int) -> tuple[Reason, ...]:
    """Why ``unit`` is inspected at least once in ``year`` under the national rule."""
    reasons = []
    if unit.risk_level.is_high:
        reasons.append(
            _reason(
                f"每年至少检查一次: 安全风险等级高 high safety-risk level ({unit.risk_level.value})"
            )
        )
    accident = unit.fatal_accident_year
    if accident is not None and year - FATAL_ACCIDENT_YEARS < accident <= year:
        reasons.append(
            _reason(
                f"每年至少检查一次: 近三年发生生产安全死亡事故 fatal accident in {accident} "
                f"(last three years: {year - FATAL_ACCIDENT_YEARS + 1}-{year})"
            )
        )
    if unit.joint_punishment:
        reasons.append(
            _reason("每年至少检查一次: 失信联合惩戒对象 under joint punishment for dishonesty")
        )
    if unit.blacklisted:
        reasons.append(_reason("每年至少检查一次: 安全生产黑名单 on the work-safety blacklist"))
    return tuple(reasons)


def once_a_year_groups(units: UnitColumns, year: int) -> list[tuple[npt.NDArray[np.bool_], Reason]]:
    """:func:`once_a_year_reasons` over columns: (mask, reason) per group of units."""
    groups = [
        (
            units.equals("risk_level", level),
            _reason(f"每年至少检查一次: 安全风险等级高 high safety-risk level ({level.value})"),
        )
        for level in RiskLevel
        if level.is_high
    ]
    accident = units.column("fatal_accident_year")
    recent = (accident != NO_YEAR) & (accident > year - FATAL_ACCIDENT_YEARS) & (accident <= year)
    groups += [
        (
            recent & (accident == y),
            _reason(
                f"每年至少检查一次: 近三年发生生产安全死亡事故 fatal accident in {y} "
                f"(last three years: {year - FATAL_ACCIDENT_YEARS + 1}-{year})"
            ),
        )
        for y in np.unique(accident[recent]).tolist()
    ]
    groups.append(
        (
            units.flag("joint_punishment"),
            _reason("每年至少检查一次: 失信联合惩戒对象 under joint punishment for dishonesty"),
        )
    )
    groups.append(
        (
            units.flag("blacklisted"),
            _reason("每年至少检查一次: 安全生产黑名单 on the work-safety blacklist"),
        )
    )
    return groups


def with_once_a_year(
    units: Sequence[Unit] | UnitColumns, decisions: UnitDecisions, year: int
) -> UnitDecisions:
    """``decisions`` with the national once-a-year rule added: a unit the rule names is
    mandatory, with the core's reasons beside the jurisdiction's, unless the
    jurisdiction waived it with a reason. ``waiver_reasons`` of the result holds the
    waived units only, each with the jurisdiction's reasons and then the rule's."""
    cols = units if isinstance(units, UnitColumns) else UnitColumns.of(units)
    ids = cols.id_objects
    groups = once_a_year_groups(cols, year)
    codes = np.zeros(len(cols), dtype=np.int64)
    for bit, (mask, _) in enumerate(groups):
        codes[mask] |= np.int64(1) << bit
    named = np.flatnonzero(codes)
    distinct, inverse = np.unique(codes[named], return_inverse=True)
    by_code = [
        tuple(r for bit, (_, r) in enumerate(groups) if code >> bit & 1)
        for code in distinct.tolist()
    ]
    found = dict(zip(ids[named].tolist(), [by_code[k] for k in inverse.tolist()], strict=True))
    waived_ids = decisions.waiver_reasons
    rule_holds = np.zeros(len(cols), dtype=np.bool_)
    rule_holds[named] = True
    if waived_ids:
        for i in named.tolist():
            if str(ids[i]) in waived_ids:
                rule_holds[i] = False
    mandatory = np.array(decisions.mandatory, dtype=np.bool_) | rule_holds
    reasons = dict(decisions.mandatory_reasons)
    waived: dict[str, tuple[Reason, ...]] = {}
    merged: dict[tuple[int, int], tuple[Reason, ...]] = {}
    for uid, rs in found.items():
        if uid in waived_ids:
            waived[uid] = waived_ids[uid] + rs
            continue
        own = reasons.get(uid, ())
        key = (id(own), id(rs))
        if key not in merged:
            merged[key] = tuple(sorted({*own, *rs}))
        reasons[uid] = merged[key]
    return attrs.evolve(
        decisions, mandatory=mandatory, mandatory_reasons=reasons, waiver_reasons=waived
    )
