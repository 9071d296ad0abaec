"""What can be checked of a draw plan before it is committed, so an impossible plan never
uses up its plan id: every reason it cannot be drawn, named at once."""

from __future__ import annotations

from typing import Any

import numpy as np

from drawcore.errors import DrawcoreError, InvalidInputError
from drawcore.i18n import N_, Text, msg
from drawcore.record.draw_plans import DrawPlan
from drawcore.record.records import stratum_labels
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
            msg(
                "team_size {size}: an inspection needs at least two enforcement officers",
                size=plan.team_size,
            )
        )
    for what, ids in ((N_("mandatory"), plan.mandatory), (N_("excluded"), plan.excluded)):
        unknown = [u for u in ids if u not in units]
        if unknown:
            problems.append(
                msg(
                    "{what} unit(s) not in the unit registry: {units}",
                    what=Text(what, {}),
                    units=", ".join(unknown[:20]),
                )
            )
    excluded = np.zeros(len(units), dtype=np.bool_)
    for flag in plan.exclude_flags:
        try:
            excluded |= units.mask(flag)
        except KeyError:
            problems.append(
                msg("exclude flag {flag!r} is not a flag of the unit registry", flag=flag)
            )
    for unit_id in plan.excluded:
        if unit_id in units:
            excluded[units.index_of(unit_id)] = True
    both = [u for u in plan.mandatory if u in units and excluded[units.index_of(u)]]
    if both:
        problems.append(
            msg("unit(s) both mandatory and excluded: {units}", units=", ".join(both[:20]))
        )
    if len(plan.mandatory) > plan.size:
        problems.append(
            msg(
                "{count} mandatory units but the size is {size}",
                count=len(plan.mandatory),
                size=plan.size,
            )
        )
    problems += _eligible_problems(plan, units, excluded)
    active = sum(1 for i in inspectors if i.active)
    if plan.size and active < plan.team_size:
        problems.append(
            msg(
                "{active} active inspector(s), fewer than a team of {size}",
                active=active,
                size=plan.team_size,
            )
        )
    if problems:
        raise InvalidInputError(
            msg(
                "plan {plan_id} cannot be drawn: {problems}",
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
                msg(
                    "size {size} is above the {eligible} eligible (not excluded) units",
                    size=plan.size,
                    eligible=eligible,
                )
            ]
        return []
    try:
        labels = stratum_labels(units, plan.strata_field)
    except DrawcoreError as err:
        raised = err.args[0] if err.args else None
        return [raised if isinstance(raised, Text) and raised == str(err) else str(err)]
    counts: dict[str, int] = {}
    for label, out in zip(labels, excluded.tolist(), strict=True):
        if not out:
            counts[label] = counts.get(label, 0) + 1
    return [
        msg(
            "stratum {label!r}: size {size} is above its {eligible} eligible units",
            label=label,
            size=n,
            eligible=counts.get(label, 0),
        )
        for label, n in plan.stratum_sizes
        if n > counts.get(label, 0)
    ]
