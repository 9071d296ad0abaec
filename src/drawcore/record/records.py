"""Draw records: everything a third party needs to replay a draw, and the replay itself.

A :class:`DrawPlan` is what is committed *before* the seed exists (BL-5, BL-9):
which registry snapshots (path and fingerprint), the draw size, mandatory and
excluded units, weight overrides, recusal pairs, team parameters, the rules
(plugin names and versions) that produced them, and the drawcore version and
methods. :func:`run_draw` is the draw: ``sample_units`` then ``draw_teams`` on
the registries the plan names, keyed by the seed and the plan id, so it is a
pure function of (plan, registries, seed).

A :class:`DrawRecord` is the journal body of a ``draw`` record: the plan (whose
hash the commitment holds), the seed and the record that formed it, the drawn
units with their exact inclusion probabilities, the full team draw (recusals
and replacements included), and who drew and who signed, when (TJ-9
谁抽查、谁签字、谁负责). :func:`replay` re-runs the draw from the record and the
registries and names the first difference, so a changed result, seed or
registry is found. Annual plans are in :mod:`drawcore.record.annual`.

Pure: no I/O, no clock. Reading registry files and journals is in
:mod:`drawcore.record.ceremony`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import numpy as np

from drawcore.draw.randomness import canonical_ids
from drawcore.draw.recusal import township_recusals, work_unit_recusals
from drawcore.draw.sampling import METHOD as UNIT_METHOD
from drawcore.draw.sampling import ProbabilityTable, UnitSample, sample_units
from drawcore.draw.team_model import Recusal, TeamDraw, TeamTask
from drawcore.draw.teams import draw_teams
from drawcore.errors import DrawcoreError, InvalidInputError
from drawcore.model import Expert
from drawcore.plugin.values import EntryRole, PlanContext
from drawcore.record.results import entry_role_tuple
from drawcore.record.seeding import plan_hash
from drawcore.record.signing import Signing
from drawcore.registry.registries import ExpertRegistry, InspectorRegistry, UnitRegistry
from drawcore.serde import OMIT_IF_DEFAULT, canonical_json, structure
from drawcore.version import __version__

__all__ = [
    "RECUSAL_RULES",
    "TEAM_METHOD",
    "UNIT_METHOD",
    "DrawOutcome",
    "DrawPlan",
    "DrawRecord",
    "DrawnUnit",
    "RegistryRef",
    "UnitRequirement",
    "draw_record",
    "first_difference",
    "replay",
    "run_draw",
    "stratum_labels",
]

#: The team procedure of :mod:`drawcore.assignment` (candidate order, walk, max-flow fallback).
TEAM_METHOD = "candidate-order-walk/1"

#: Recusal rules a plan may name; each is a pure function of the registries (BL-5 回避).
RECUSAL_RULES = {"township": township_recusals, "work_unit": work_unit_recusals}


_T = TypeVar("_T")


def _version() -> str:
    return __version__


def _nonempty(_i: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{attribute.name} must be a non-empty string, got {value!r}")


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInputError(f"expected a collection of unit ids, not the string {value!r}")
    return tuple(sorted({str(v) for v in value}))


def _weights(
    value: Iterable[tuple[str, float]] | Mapping[str, float],
) -> tuple[tuple[str, float], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    out = tuple(sorted((str(u), float(w)) for u, w in pairs))
    if len({u for u, _ in out}) != len(out):
        raise InvalidInputError("weights name a unit twice")
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
        raise InvalidInputError("stratum_sizes name a stratum twice")
    for s, n in out:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidInputError(f"stratum {s!r}: size must be an integer >= 0, got {n!r}")
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
            raise InvalidInputError(f"unit {self.unit_id}: experts must be an integer >= 0")


def _requirements(value: Iterable[UnitRequirement]) -> tuple[UnitRequirement, ...]:
    out = tuple(sorted(value, key=lambda r: r.unit_id))
    if len({r.unit_id for r in out}) != len(out):
        raise InvalidInputError("requirements name a unit twice")
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
            raise InvalidInputError(f"plan {self.plan_id}: size must be an integer >= 0")
        unknown = sorted(set(self.recusal_rules) - set(RECUSAL_RULES))
        if unknown:
            raise InvalidInputError(
                f"plan {self.plan_id}: unknown recusal rule(s) {unknown}; "
                f"known: {sorted(RECUSAL_RULES)}"
            )
        if self.strata_field is not None:
            total = sum(n for _, n in self.stratum_sizes)
            if not self.stratum_sizes or total != self.size:
                raise InvalidInputError(
                    f"plan {self.plan_id}: stratum sizes {dict(self.stratum_sizes)} "
                    f"must sum to the size {self.size}"
                )
        elif self.stratum_sizes:
            raise InvalidInputError(f"plan {self.plan_id}: stratum sizes without strata_field")
        if self.experts is None and any(r.experts for r in self.requirements):
            raise InvalidInputError(
                f"plan {self.plan_id}: requirements ask for industry experts but the plan "
                "names no expert registry"
            )

    @property
    def hash(self) -> str:
        """The plan hash a ``plan_commitment`` record holds."""
        return plan_hash(self)


@attrs.frozen(kw_only=True)
class DrawnUnit:
    """One drawn unit with its exact inclusion probability (π) in this draw."""

    unit_id: str
    probability: float


@attrs.frozen(kw_only=True)
class DrawOutcome:
    """The result of :func:`run_draw`: the unit sample and the team draw."""

    sample: UnitSample
    teams: TeamDraw


@attrs.frozen(kw_only=True)
class DrawRecord:
    """The body of a journal ``draw`` record (see module docs)."""

    plan_id: str
    plan: DrawPlan
    plan_hash: str
    seed: str  # hex
    seed_record: int
    seed_method: str
    population: int  # units in the registry snapshot
    sample_fingerprint: str  # UnitSample.fingerprint: hash of the draw's inputs
    units: tuple[DrawnUnit, ...]
    teams: TeamDraw
    drawn_by: str
    signed_by: str
    drawn_at: str
    signed_at: str
    drawcore_version: str
    redo_of: int | None = None
    redo_reason: str | None = None

    @property
    def signing(self) -> Signing:
        """Who drew and signed, and when, as one checked value (TJ-9)."""
        return Signing(
            drawn_by=self.drawn_by,
            signed_by=self.signed_by,
            drawn_at=self.drawn_at,
            signed_at=self.signed_at,
        )

    @classmethod
    def from_body(cls, body: object) -> DrawRecord:
        """A record from a journal body; :class:`InvalidInputError` names what is wrong."""
        return _structure(body, cls, "a draw record")


def _structure(body: object, cls: type[_T], what: str) -> _T:
    """``body`` as ``cls``; :class:`InvalidInputError` says what is wrong in cattrs' words."""
    try:
        return structure(body, cls)
    except Exception as err:  # cattrs raises its own exception groups
        raise InvalidInputError(f"not {what}: {_cattrs_message(err)}") from None


def _cattrs_message(err: BaseException) -> str:
    subs = getattr(err, "exceptions", None)
    if subs:
        return "; ".join(_cattrs_message(e) for e in subs)
    return f"{type(err).__name__}: {err}"


def _check_ref(
    ref: RegistryRef,
    registry: UnitRegistry | InspectorRegistry | ExpertRegistry,
    what: str,
) -> None:
    if registry.fingerprint != ref.fingerprint:
        raise InvalidInputError(
            f"{what} registry {ref.path} has fingerprint {registry.fingerprint}, "
            f"but the plan names {ref.fingerprint} (a different or changed registry)"
        )


def stratum_labels(units: UnitRegistry, field: str) -> list[str]:
    """Each unit's stratum: the text, enum value or flag of its column ``field``, in row order."""
    from drawcore.registry.registries import Kind

    spec = next((f for f in units.schema if f.name == field), None)
    if spec is None or spec.kind not in (Kind.TEXT, Kind.ENUM, Kind.BOOL):
        usable = sorted(f.name for f in units.schema if f.kind in (Kind.TEXT, Kind.ENUM, Kind.BOOL))
        raise InvalidInputError(
            f"cannot stratify by {field!r}: not a text, category or flag field of the unit "
            f"registry (usable: {', '.join(usable)})"
        )
    col = units.column(field)
    if spec.kind is Kind.ENUM:
        names = [str(m.value) for m in spec.members]
        return [names[int(c)] for c in col.tolist()]
    if spec.kind is Kind.BOOL:
        return ["true" if c else "false" for c in col.tolist()]
    return [str(c) for c in col.tolist()]


def _team_tasks(plan: DrawPlan, selected: Sequence[str]) -> list[str | TeamTask]:
    """The drawn units as team tasks, with each one's recorded requirement (if any)."""
    needs = {r.unit_id: r for r in plan.requirements}
    tasks: list[str | TeamTask] = []
    for unit_id in selected:
        need = needs.get(unit_id)
        if need is None:
            tasks.append(unit_id)
            continue
        tasks.append(
            TeamTask(
                unit_id=unit_id,
                team_size=plan.team_size,
                expertise=need.expertise or None,
                experts=need.experts,
                expert_expertise=need.expert_expertise,
            )
        )
    return tasks


def run_draw(
    plan: DrawPlan,
    units: UnitRegistry,
    inspectors: InspectorRegistry,
    seed: bytes,
    *,
    sampler: Callable[..., UnitSample] = sample_units,
    experts: ExpertRegistry | None = None,
) -> DrawOutcome:
    """Draw ``plan.size`` units (exact πps) and a team for each, keyed by seed and plan id.

    The registries must be the snapshots the plan names (checked by fingerprint).
    Raises :class:`InfeasibleError` when the plan cannot be met; nothing else happens.
    ``sampler`` is ``sample_units`` or a drop-in with the same result (e.g.
    :func:`drawcore.scale.dask_sampler`); replay always uses ``sample_units``,
    so it also checks the engine. ``experts`` is the expert registry snapshot
    ``plan.experts`` names (needed when it names one). A stratified plan draws
    ``stratum_sizes`` within the strata of ``strata_field``; the drawn units' teams
    meet their ``requirements`` (expertise, experts).
    """
    _check_ref(plan.units, units, "unit")
    _check_ref(plan.inspectors, inspectors, "inspector")
    expert_list: list[Expert] = []
    if plan.experts is not None:
        if experts is None:
            raise InvalidInputError(
                f"plan {plan.plan_id} names the expert registry {plan.experts.path}; none was given"
            )
        _check_ref(plan.experts, experts, "expert")
        expert_list = list(experts)
    weights = np.array(units.weights, dtype=np.float64, copy=True)
    for unit_id, w in plan.weights:
        if unit_id not in units:
            raise InvalidInputError(f"plan {plan.plan_id}: weight for unknown unit {unit_id}")
        weights[units.index_of(unit_id)] = w
    excluded = np.zeros(len(units), dtype=np.bool_)
    for flag in plan.exclude_flags:
        try:
            excluded |= units.mask(flag)
        except KeyError:
            raise InvalidInputError(
                f"plan {plan.plan_id}: exclude flag {flag!r} is not a flag of the unit registry"
            ) from None
    for unit_id in plan.excluded:
        if unit_id not in units:
            raise InvalidInputError(f"plan {plan.plan_id}: excluded unit {unit_id} is unknown")
        excluded[units.index_of(unit_id)] = True
    strata: dict[str, Any] = {}
    size: int | dict[str, int] = plan.size
    if plan.strata_field is not None:
        strata["strata"] = stratum_labels(units, plan.strata_field)
        size = dict(plan.stratum_sizes)
    sample = sampler(
        units.ids,
        weights,
        size,
        seed=seed,
        mandatory=plan.mandatory,
        excluded=excluded,
        draw_id=f"{plan.plan_id}/units",
        **strata,
    )
    selected = [str(u) for u in sample.selected]
    conflicts = list(plan.conflicts)
    if plan.recusal_rules:
        drawn = [units[u] for u in selected]
        for name in plan.recusal_rules:
            conflicts.extend(RECUSAL_RULES[name](drawn, inspectors))
    teams = draw_teams(
        _team_tasks(plan, selected),
        inspectors,
        seed=seed,
        draw_id=f"{plan.plan_id}/teams",
        team_size=plan.team_size,
        conflicts=conflicts,
        max_tasks=plan.max_tasks,
        max_tasks_per_work_unit=plan.max_tasks_per_work_unit,
        experts=expert_list,
    )
    return DrawOutcome(sample=sample, teams=teams)


def _selected_probabilities(sample: UnitSample) -> list[float]:
    """The drawn units' probabilities, looked up in one vectorised pass."""
    probs = sample.probabilities
    if not isinstance(probs, ProbabilityTable) or not sample.selected:
        return [float(probs[u]) for u in sample.selected]
    ids, values = probs.arrays()
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    want = canonical_ids(list(sample.selected))
    pos = np.searchsorted(ordered, want)
    if not np.array_equal(ordered[np.minimum(pos, len(ordered) - 1)], want):
        raise InvalidInputError("a drawn unit has no inclusion probability")  # not reachable
    return [float(x) for x in values[order[pos]].tolist()]


def _check_signing(drawn_by: str, signed_by: str, drawn_at: str, signed_at: str, what: str) -> None:
    """Who drew and who signed are named (TJ-9), and the signature comes after the draw."""
    Signing(drawn_by=drawn_by, signed_by=signed_by, drawn_at=drawn_at, signed_at=signed_at)


def draw_record(
    plan: DrawPlan,
    outcome: DrawOutcome,
    *,
    seed_record: int,
    seed_method: str,
    population: int,
    signing: Signing,
    redo_of: int | None = None,
    redo_reason: str | None = None,
) -> DrawRecord:
    """The journal body of a draw: plan, seed, result and who is accountable (TJ-9,
    ``signing``, checked when it was made; kept as the record's four fields)."""
    if (redo_of is None) != (redo_reason is None):
        raise InvalidInputError("a redo names both the voided draw (redo_of) and redo_reason")
    sample = outcome.sample
    return DrawRecord(
        plan_id=plan.plan_id,
        plan=plan,
        plan_hash=plan.hash,
        seed=outcome.sample.seed_hex,
        seed_record=seed_record,
        seed_method=seed_method,
        population=population,
        sample_fingerprint=outcome.sample.fingerprint,
        units=tuple(
            DrawnUnit(unit_id=str(u), probability=p)
            for u, p in zip(sample.selected, _selected_probabilities(sample), strict=True)
        ),
        teams=outcome.teams,
        **signing.fields(),
        drawcore_version=_version(),
        redo_of=redo_of,
        redo_reason=redo_reason,
    )


def first_difference(recorded: Any, replayed: Any, path: str = "") -> str | None:
    """The first place two plain JSON values differ, as ``path: recorded X, replay Y``."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        for key in sorted(set(recorded) | set(replayed)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in recorded or key not in replayed:
                return f"{sub}: present in only one of record and replay"
            found = first_difference(recorded[key], replayed[key], sub)
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(replayed, list):
        for i, (a, b) in enumerate(zip(recorded, replayed, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(recorded) != len(replayed):
            return f"{path}: recorded {len(recorded)} entries, replay gives {len(replayed)}"
        return None
    if recorded != replayed or type(recorded) is not type(replayed):
        return f"{path or 'value'}: recorded {recorded!r}, replay gives {replayed!r}"
    return None


def replay(
    body: Mapping[str, Any],
    units: UnitRegistry,
    inspectors: InspectorRegistry,
    *,
    committed_hash: str | None = None,
    experts: ExpertRegistry | None = None,
) -> str | None:
    """Re-run the draw a ``draw`` record body describes and compare: a problem, or ``None``.

    ``committed_hash`` is the plan hash of the plan's commitment; when given, the
    plan in the record must hash to it (its parameters are what was committed).
    ``experts``: the expert registry snapshot the plan names, if it names one.
    """
    try:
        record = DrawRecord.from_body(body)
    except InvalidInputError as err:
        return str(err)
    problem = _header_problem(
        record.plan.hash, record.plan_hash, committed_hash, record.plan.plan_id, record.plan_id
    )
    if problem is not None:
        return problem
    try:
        seed = bytes.fromhex(record.seed)
    except ValueError:
        return f"seed {record.seed!r} is not hex"
    try:
        signing = record.signing
    except InvalidInputError as err:
        return str(err)
    try:
        outcome = run_draw(record.plan, units, inspectors, seed, experts=experts)
    except DrawcoreError as err:
        return f"cannot replay: {err}"
    expected = draw_record(
        record.plan,
        outcome,
        seed_record=record.seed_record,
        seed_method=record.seed_method,
        population=len(units),
        signing=signing,
        redo_of=record.redo_of,
        redo_reason=record.redo_reason,
    )
    expected = attrs.evolve(expected, drawcore_version=record.drawcore_version)
    return _replay_difference(body, expected, record.drawcore_version)


def _header_problem(
    plan_hash: str,
    recorded_hash: object,
    committed_hash: str | None,
    plan_id: str,
    recorded_id: object,
) -> str | None:
    """The record's plan hashes to its ``plan_hash`` (the committed one) and has its plan id."""
    if plan_hash != recorded_hash:
        return f"the plan in the record hashes to {plan_hash}, not {recorded_hash}"
    if committed_hash is not None and plan_hash != committed_hash:
        return f"plan hash {plan_hash} is not the committed {committed_hash}"
    if plan_id != recorded_id:
        return f"plan_id {recorded_id!r} differs from the plan's {plan_id!r}"
    return None


def _replay_difference(
    body: Mapping[str, Any], expected: object, recorded_version: object
) -> str | None:
    """The first difference between a record body and its replay, naming both versions."""
    recorded = json.loads(canonical_json(dict(body)))  # as the journal holds it
    diff = first_difference(recorded, json.loads(canonical_json(expected)))
    if diff is None:
        return None
    note = ""
    if recorded_version != _version():
        note = f" (recorded with drawcore {recorded_version}, replayed with {_version()})"
    return f"replay differs at {diff}{note}"
