"""Draw plans: what a single draw commits to before its seed exists (BL-5, BL-9).

A :class:`DrawPlan` names the registry snapshots (path and fingerprint), the draw
size, mandatory and excluded units, weight overrides, recusal pairs and rules, team
parameters, strata, per-unit team requirements, the rules (plugin names and
versions) that produced them, and the drawcore version and methods. Its
:attr:`~DrawPlan.hash` is what the ``plan_commitment`` record holds; the draw
itself is in :mod:`drawcore.record.records`, replay in :mod:`drawcore.record.replay`.

Pure: values only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from drawcore.draw.recusal import township_recusals, work_unit_recusals
from drawcore.draw.sampling import METHOD as UNIT_METHOD
from drawcore.draw.team_model import Recusal
from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.plugin.values import EntryRole, PlanContext
from drawcore.record.results import entry_role_tuple
from drawcore.record.seeding import plan_hash
from drawcore.serde import OMIT_IF_DEFAULT
from drawcore.version import __version__

__all__ = [
    "RECUSAL_RULES",
    "TEAM_METHOD",
    "UNIT_METHOD",
    "DrawPlan",
    "RegistryRef",
    "UnitRequirement",
]

#: The team procedure of :mod:`drawcore.draw.teams` (candidate order, walk, max-flow fallback).
TEAM_METHOD = "candidate-order-walk/1"

#: Recusal rules a plan may name; each is a pure function of the registries (BL-5 回避).
RECUSAL_RULES = {"township": township_recusals, "work_unit": work_unit_recusals}


def _version() -> str:
    return __version__


def _nonempty(_i: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(
            msg(
                "{name} must be a non-empty string, got {value}",
                name=attribute.name,
                value=repr(value),
            )
        )


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInputError(
            msg("expected a collection of unit ids, not the string {value}", value=repr(value))
        )
    return tuple(sorted({str(v) for v in value}))


def _weights(
    value: Iterable[tuple[str, float]] | Mapping[str, float],
) -> tuple[tuple[str, float], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    out = tuple(sorted((str(u), float(w)) for u, w in pairs))
    if len({u for u, _ in out}) != len(out):
        raise InvalidInputError(msg("weights name a unit twice"))
    return out


def _pairs(value: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(a), str(b)) for a, b in value))


def _recusals(value: Iterable[Recusal]) -> tuple[Recusal, ...]:
    return tuple(sorted(set(value), key=lambda r: (r.unit_id, r.inspector_id, r.reason)))


def _reasons(value: Iterable[tuple[str, str, str]]) -> tuple[tuple[str, str, str], ...]:
    return tuple(sorted({(str(u), str(d), str(r)) for u, d, r in value}))


def _sizes(
    value: Iterable[tuple[str, int]] | Mapping[str, int],
) -> tuple[tuple[str, int], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    out = tuple(sorted((str(s), n) for s, n in pairs))
    if len({s for s, _ in out}) != len(out):
        raise InvalidInputError(msg("stratum_sizes name a stratum twice"))
    for s, n in out:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidInputError(
                msg("stratum {s}: size must be an integer >= 0, got {n}", s=repr(s), n=repr(n))
            )
    return out


def _strs(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(sorted({str(v) for v in value}))


@attrs.frozen(kw_only=True)
class UnitRequirement:
    """What the team of one unit needs beyond its size, should the unit be drawn (TJ-8):
    inspectors' ``expertise`` (each area held by some member) and ``experts`` industry
    experts, holding ``expert_expertise`` when set."""

    unit_id: str = attrs.field(validator=_nonempty)
    expertise: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    experts: int = 0
    expert_expertise: str | None = None

    def __attrs_post_init__(self) -> None:
        if isinstance(self.experts, bool) or not isinstance(self.experts, int) or self.experts < 0:
            raise InvalidInputError(
                msg("unit {unit_id}: experts must be an integer >= 0", unit_id=self.unit_id)
            )


def _requirements(value: Iterable[UnitRequirement]) -> tuple[UnitRequirement, ...]:
    out = tuple(sorted(value, key=lambda r: r.unit_id))
    if len({r.unit_id for r in out}) != len(out):
        raise InvalidInputError(msg("requirements name a unit twice"))
    return out


@attrs.frozen(kw_only=True)
class RegistryRef:
    """A registry snapshot: where it is (relative to the journal's directory unless
    absolute) and its fingerprint, which replay checks before using it."""

    path: str = attrs.field(validator=_nonempty)
    fingerprint: str = attrs.field(validator=_nonempty)


@attrs.frozen(kw_only=True)
class DrawPlan:
    """What a draw commits to before its seed exists; its :func:`plan_hash` is journaled.

    ``weights`` overrides the registry's ``risk_weight`` for the units it names
    (e.g. the factors a jurisdiction's rules apply); ``exclude_flags`` excludes
    units whose registry flag is set (BL-3: units already in a higher plan).
    ``conflicts`` are declared recusal pairs; ``recusal_rules`` names rules of
    :data:`RECUSAL_RULES` applied to the drawn units (they follow from the
    fingerprinted registries, so the record stays small). ``rules`` records
    (plugin, version) of the rules that produced the parameters,
    ``jurisdiction`` whose rulebook they are, ``rules_context`` what the rules
    were told about the plan, and ``reasons`` every decision they made as
    ``(unit id, "mandatory" | "excluded" | "weight" | "team", reason)``, so a
    drawn or excluded unit can be explained and a replay can ask the rules again.

    ``strata_field`` names a unit column (e.g. ``township``, ``industry``,
    ``risk_level``) to stratify by; ``stratum_sizes`` then gives every stratum's
    sample size (they sum to ``size``) and ``allocation`` how they were reached
    (e.g. ``"proportional"``), recorded so the sizes are committed, not recomputed.
    ``requirements`` are per-unit team needs (expertise, experts) applied when
    the unit is drawn, with ``experts`` the expert registry snapshot they draw from.
    """

    plan_id: str = attrs.field(validator=_nonempty)
    units: RegistryRef
    inspectors: RegistryRef
    size: int
    team_size: int = 2
    max_tasks: int | None = None
    max_tasks_per_work_unit: int | None = None
    mandatory: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    excluded: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    exclude_flags: tuple[str, ...] = attrs.field(default=("in_higher_plan",), converter=_ids)
    weights: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=_weights)
    conflicts: tuple[Recusal, ...] = attrs.field(default=(), converter=_recusals)
    recusal_rules: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    jurisdiction: str | None = None
    rules: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    rules_context: PlanContext | None = None
    reasons: tuple[tuple[str, str, str], ...] = attrs.field(default=(), converter=_reasons)
    items: RegistryRef | None = None
    experts: RegistryRef | None = None
    strata_field: str | None = None
    stratum_sizes: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_sizes)
    allocation: str | None = None
    requirements: tuple[UnitRequirement, ...] = attrs.field(default=(), converter=_requirements)
    unit_method: str = UNIT_METHOD
    team_method: str = TEAM_METHOD
    drawcore_version: str = attrs.field(factory=_version)
    # BL-8: roles the rules allow to enter results besides the team (absent when none)
    entry_roles: tuple[EntryRole, ...] = attrs.field(
        default=(), converter=entry_role_tuple, metadata=OMIT_IF_DEFAULT
    )

    def __attrs_post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise InvalidInputError(
                msg("plan {plan_id}: size must be an integer >= 0", plan_id=self.plan_id)
            )
        unknown = sorted(set(self.recusal_rules) - set(RECUSAL_RULES))
        if unknown:
            raise InvalidInputError(
                msg(
                    "plan {plan_id}: unknown recusal rule(s) {unknown}; known: {known}",
                    plan_id=self.plan_id,
                    unknown=unknown,
                    known=sorted(RECUSAL_RULES),
                )
            )
        if self.strata_field is not None:
            total = sum(n for _, n in self.stratum_sizes)
            if not self.stratum_sizes or total != self.size:
                raise InvalidInputError(
                    msg(
                        "plan {plan_id}: stratum sizes {stratum_sizes} must sum to the size {size}",
                        plan_id=self.plan_id,
                        stratum_sizes=dict(self.stratum_sizes),
                        size=self.size,
                    )
                )
        elif self.stratum_sizes:
            raise InvalidInputError(
                msg("plan {plan_id}: stratum sizes without strata_field", plan_id=self.plan_id)
            )
        if self.experts is None and any(r.experts for r in self.requirements):
            raise InvalidInputError(
                msg(
                    "plan {plan_id}: requirements ask for industry experts but the plan"
                    " names no expert registry",
                    plan_id=self.plan_id,
                )
            )

    @property
    def hash(self) -> str:
        """The plan hash a ``plan_commitment`` record holds."""
        return plan_hash(self)
