"""Draw plans from a jurisdiction's rules: its decisions as plan values, and re-checking them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from drawcore.draw.team_model import EXPLICIT_REASON, Recusal
from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.plan.policy import Policy
from drawcore.plan.prepare import rule_parameters
from drawcore.plugin.values import PlanContext
from drawcore.record.draw_plans import DrawPlan, RegistryRef, UnitRequirement
from drawcore.record.replay import first_difference
from drawcore.record.results import entry_roles_of
from drawcore.registry.registries import InspectorRegistry, UnitRegistry
from drawcore.serde import unstructure

#: The unit id of the ``DrawPlan.reasons`` entry saying the rules' conflicts were asked.
RECUSAL_ASKED = "*"


def plan_from_rules(
    plan_id: str,
    units: UnitRegistry,
    units_ref: RegistryRef,
    inspectors_ref: RegistryRef,
    *,
    rules: Policy,
    context: PlanContext,
    size: int,
    include_mandatory: bool = False,
    inspectors: InspectorRegistry | None = None,
    **params: Any,
) -> DrawPlan:
    """A :class:`DrawPlan` whose weights, exclusions, recusals and team size are the
    jurisdiction's rules' decisions, each with its reason.

    The plugins' weights (where they differ from the registry's ``risk_weight``)
    and exclusions are written into the plan as plain values, with the plugins'
    names and versions, the context they were asked in and every reason
    (``DrawPlan.reasons``), so a replay needs the values, not the plugins, and
    can still ask the plugins again (:func:`check_rules`).
    ``include_mandatory`` also makes the units the rules require (e.g. at least
    once a year) mandatory in this draw -- right for a single yearly draw, not
    for one round of several (that is :func:`drawcore.schedule.plan_year`'s job);
    as there, an exclusion (the rules' or the plan's ``exclude_flags``) wins.
    With ``inspectors`` the rules' inspector-unit conflicts become recusal pairs
    (BL-5 回避), and a reason ``("*", "recusal", ...)`` says they were asked.
    The team size is the largest the rules require of any unit (at least
    ``team_size``): a single draw has one team size. The per-unit expertise and
    expert requirements become ``DrawPlan.requirements`` with reasons
    ``(unit, "requirement", ...)``; when any asks for experts, ``params`` must
    name the expert registry (``experts=RegistryRef``), else
    :class:`InvalidInputError`. Other :class:`DrawPlan` fields (``recusal_rules``,
    ``strata_field``, ``stratum_sizes``, ...) pass through ``params``.
    """
    return DrawPlan(
        plan_id=plan_id,
        units=units_ref,
        inspectors=inspectors_ref,
        size=size,
        **_rule_values(units, inspectors, rules, context, include_mandatory, params),
    )


def _rule_values(
    units: UnitRegistry,
    inspectors: InspectorRegistry | None,
    rules: Policy,
    context: PlanContext,
    include_mandatory: bool,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """The DrawPlan fields the rules decide (merged with the caller's ``params``)."""
    translated = rule_parameters(units, rules, context)
    decided = translated.decisions
    ids = list(decided.unit_ids)
    order = [units.index_of(u) for u in ids]
    weights = translated.changed_weights()
    reasons = translated.reason_lines()
    required = translated.required_team_size
    team_size = max(int(params.get("team_size", 2)), required)
    reasons += translated.team_lines()
    requirements = []
    for u, need, n, ee, why in translated.requirements():
        requirements.append(
            UnitRequirement(unit_id=u, expertise=need, experts=n, expert_expertise=ee)
        )
        reasons += [(u, "requirement", str(r)) for r in why]
    if any(r.experts for r in requirements) and params.get("experts") is None:
        needing = [r.unit_id for r in requirements if r.experts]
        raise InvalidInputError(
            msg(
                "the rules of {jurisdiction} ask for industry experts on the teams of"
                " {n_needing} unit(s) (e.g. {needing}); name an expert registry"
                " (--experts EXPERTS.csv)",
                jurisdiction=repr(rules.jurisdiction),
                n_needing=len(needing),
                needing=", ".join(needing[:3]),
            )
        )
    conflicts: list[Recusal] = list(params.get("conflicts", ()))
    if inspectors is not None:
        active = [i for i in inspectors if i.active]
        pairs = rules.conflicts(list(units), active, context)
        conflicts += pairs
        reasons.append((RECUSAL_ASKED, "recusal", f"{len(pairs)} conflict pair(s) from the rules"))
    flags = params.get("exclude_flags", DrawPlan.__attrs_attrs__.exclude_flags.default)
    flagged = [False] * len(ids)
    for flag in flags:
        try:
            mask = units.mask(flag)
        except KeyError:
            raise InvalidInputError(
                msg("exclude flag {flag} is not a flag of the unit registry", flag=repr(flag))
            ) from None
        flagged = [f or bool(mask[i]) for f, i in zip(flagged, order, strict=True)]
    flagged = [f or bool(x) for f, x in zip(flagged, decided.excluded.tolist(), strict=True)]
    values = dict(params)
    values.update(
        weights=weights,
        excluded=sorted({*params.get("excluded", ()), *translated.excluded_ids}),
        mandatory=sorted(
            {
                *params.get("mandatory", ()),
                *(
                    u
                    for u, m, x in zip(ids, decided.mandatory.tolist(), flagged, strict=True)
                    if m and not x
                ),
            }
        )
        if include_mandatory
        else tuple(params.get("mandatory", ())),
        conflicts=conflicts,
        team_size=team_size,
        requirements=requirements,
        jurisdiction=rules.jurisdiction,
        rules=rules.versions,
        rules_context=context,
        reasons=reasons,
        entry_roles=entry_roles_of(rules, context.year),
    )
    return values


def check_rules(
    plan: DrawPlan, units: UnitRegistry, inspectors: InspectorRegistry, rules: Policy
) -> str | None:
    """Ask the installed rules again: a problem when the plan's recorded rule values
    (weights, exclusions, mandatory units, recusals, team size and requirements,
    reasons) are not
    what they decide, or when the installed plugin versions are not the recorded ones."""
    if plan.rules_context is None:
        return None
    if rules.jurisdiction != plan.jurisdiction:
        return f"plan follows {plan.jurisdiction!r}, the rules given are {rules.jurisdiction!r}"
    if tuple(sorted(rules.versions)) != plan.rules:
        show = ", ".join(f"{n} {v}" for n, v in plan.rules) or "none"
        now = ", ".join(f"{n} {v}" for n, v in sorted(rules.versions)) or "none"
        return f"recorded with plugins {show}; installed: {now}; cannot re-check the rules"
    explicit = {r for r in plan.conflicts if r.reason == EXPLICIT_REASON}
    params = {"team_size": plan.team_size, "conflicts": explicit, "experts": plan.experts}
    asked = any(u == RECUSAL_ASKED and d == "recusal" for u, d, _ in plan.reasons)
    again = _rule_values(
        units, inspectors if asked else None, rules, plan.rules_context, False, params
    )
    recorded = {
        "requirements": unstructure(plan.requirements),
        "weights": [list(w) for w in plan.weights],
        "excluded_by_rules": sorted(u for u, d, _ in plan.reasons if d == "excluded"),
        "reasons": [list(r) for r in plan.reasons],
        "conflicts": sorted(
            (r.inspector_id, r.unit_id, r.reason) for r in plan.conflicts if r not in explicit
        ),
        "entry_roles": unstructure(plan.entry_roles),
    }
    decided = DrawPlan(
        plan_id=plan.plan_id, units=plan.units, inspectors=plan.inspectors, size=0, **again
    )
    expected = {
        "requirements": unstructure(decided.requirements),
        "weights": [list(w) for w in decided.weights],
        "excluded_by_rules": sorted(u for u, d, _ in decided.reasons if d == "excluded"),
        "reasons": [list(r) for r in decided.reasons],
        "conflicts": sorted(
            (r.inspector_id, r.unit_id, r.reason) for r in decided.conflicts if r not in explicit
        ),
        "entry_roles": unstructure(decided.entry_roles),
    }
    diff = first_difference(json.loads(json.dumps(recorded)), json.loads(json.dumps(expected)))
    if diff is not None:
        return f"the rules of {plan.jurisdiction!r} decide differently: {diff}"
    rule_excluded = {u for u, d, _ in decided.reasons if d == "excluded"}
    missing = sorted(rule_excluded - set(plan.excluded))
    if missing:
        return f"units the rules exclude are not excluded: {', '.join(missing[:5])}"
    if plan.team_size < decided.team_size:
        return f"team size {plan.team_size} is below the rules' {decided.team_size}"
    return None
