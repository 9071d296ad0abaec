"""What can be checked of a draw plan before it is committed, so an impossible plan never
uses up its plan id: every reason it cannot be drawn, named at once."""

from __future__ import annotations

from typing import Any

import numpy as np

from drawcore.errors import DrawcoreError, InvalidInputError
from drawcore.i18n import msg
from drawcore.record.records import DrawPlan, stratum_labels
from drawcore.registry.registries import InspectorRegistry, UnitRegistry

__all__ = ["check_plan"]


def check_plan(plan: DrawPlan, units: UnitRegistry, inspectors: InspectorRegistry) -> None:
    """Refuse a draw plan that cannot be drawn, naming every reason (before it is committed).

    Teams of at least two (an inspection is carried out by at least two enforcement
    officers); mandatory and excluded units exist; no unit is both mandatory and
    excluded (by id or by an exclusion flag); no more mandatory units than the size;
    no more units asked for than are eligible (per stratum when stratified); enough
    active inspectors for one team.
    """
    problems: list[str] = []
    if plan.team_size < 2:
        problems.append(
            f"team_size {plan.team_size}: an inspection needs at least two enforcement "
            "officers (执法人员不得少于两人)"
        )
    for what, ids in (("mandatory", plan.mandatory), ("excluded", plan.excluded)):
        unknown = [u for u in ids if u not in units]
        if unknown:
            problems.append(
                f"{what} unit(s) not in the unit registry (登记册中无此单位): "
                + ", ".join(unknown[:20])
            )
    excluded = np.zeros(len(units), dtype=np.bool_)
    for flag in plan.exclude_flags:
        try:
            excluded |= units.mask(flag)
        except KeyError:
            problems.append(f"exclude flag {flag!r} is not a flag of the unit registry (无此标记)")
    for unit_id in plan.excluded:
        if unit_id in units:
            excluded[units.index_of(unit_id)] = True
    both = [u for u in plan.mandatory if u in units and excluded[units.index_of(u)]]
    if both:
        problems.append(
            f"unit(s) both mandatory and excluded (既必查又排除): {', '.join(both[:20])}"
        )
    if len(plan.mandatory) > plan.size:
        problems.append(
            f"{len(plan.mandatory)} mandatory units but the size is {plan.size} "
            "(必查单位多于抽取数)"
        )
    problems += _eligible_problems(plan, units, excluded)
    active = sum(1 for i in inspectors if i.active)
    if plan.size and active < plan.team_size:
        problems.append(
            f"{active} active inspector(s), fewer than a team of {plan.team_size} "
            "(在岗执法人员不足)"
        )
    if problems:
        raise InvalidInputError(
            msg(
                "plan {plan_id} cannot be drawn (计划无法执行): {problems}",
                plan_id=plan.plan_id,
                problems=problems[0],
            ),
            tuple(problems),
        )


def _eligible_problems(plan: DrawPlan, units: UnitRegistry, excluded: Any) -> list[str]:
    """Sizes above the units that can be drawn, in all or per stratum."""
    if plan.strata_field is None:
        eligible = int(len(units) - np.count_nonzero(excluded))
        if plan.size > eligible:
            return [
                f"size {plan.size} is above the {eligible} eligible (not excluded) units "
                "(抽取数超过可抽单位数)"
            ]
        return []
    try:
        labels = stratum_labels(units, plan.strata_field)
    except DrawcoreError as err:
        return [str(err)]
    counts: dict[str, int] = {}
    for label, out in zip(labels, excluded.tolist(), strict=True):
        if not out:
            counts[label] = counts.get(label, 0) + 1
    return [
        f"stratum {label!r}: size {n} is above its {counts.get(label, 0)} eligible units "
        "(层内可抽单位不足)"
        for label, n in plan.stratum_sizes
        if n > counts.get(label, 0)
    ]
