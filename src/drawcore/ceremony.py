"""The draw ceremony at the journal's edge: commit -> seed -> draw -> journal, results, replay.

Small typed steps, each one journal append (or none):

1. :func:`commit_plan` journals the :class:`~drawcore.record.DrawPlan`'s hash
   *before* any entropy exists (optionally :func:`commit_party` /
   :func:`reveal_party` for several parties' contributions).
2. :func:`form_seed` journals the seed from public numbers announced in advance
   (RFC 3797) and/or the parties' revealed contributions.
3. :func:`draw` runs :func:`~drawcore.record.run_draw` on the registry
   snapshots the plan names (checked by fingerprint) and journals the
   :class:`~drawcore.record.DrawRecord`. The draw is computed *before* anything
   is written, so a failed draw (e.g. :class:`InfeasibleError`) writes nothing;
   a second result for the plan is refused by the journal.
4. :func:`redo` voids a draw (and, with fresh entropy, its seed) and draws
   again in one all-or-nothing append; the new record says which draw it redoes
   and why.
5. :func:`record_result` journals an :class:`~drawcore.results.InspectionResult`.

An annual plan goes through the same steps: :func:`commit_plan` with a
:class:`~drawcore.record.YearPlanSpec` (registry fingerprints, parameters,
rules and plugin versions, the rules' decisions), :func:`form_seed`, then
:func:`draw_year` runs :func:`~drawcore.schedule.plan_year` and journals an
``annual_plan`` record.

:func:`replayers` / :func:`verify_draws` replay every draw and annual plan
while verifying a journal (what ``drawcore verify`` runs; annual plans and
draws planned from rules under the installed plugins, whose versions must be
the recorded ones). Registry paths in a plan are resolved against
``registry_dir`` (default: the journal's directory).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import attrs

from drawcore.assignment import EXPLICIT_REASON, MIN_TEAM_SIZE, Recusal
from drawcore.errors import DrawcoreError, InvalidInputError, JournalError
from drawcore.io import read_experts, read_inspectors, read_items, read_units
from drawcore.journal import (
    Checkpoint,
    Journal,
    Record,
    Replayer,
    Verifier,
    VerifyReport,
    verify,
)
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext
from drawcore.record import (
    DrawOutcome,
    DrawPlan,
    DrawRecord,
    RegistryRef,
    UnitRequirement,
    YearPlanSpec,
    _structure,
    draw_record,
    first_difference,
    replay,
    replay_year,
    run_draw,
    run_year,
    year_plan_record,
)
from drawcore.registry import County, ExpertRegistry, InspectorRegistry, UnitRegistry
from drawcore.results import InspectionResult
from drawcore.sampling import UnitSample, sample_units
from drawcore.schedule import AnnualPlan
from drawcore.seeding import (
    ANNUAL_PLAN,
    DRAW,
    PARTY_COMMITMENT,
    PARTY_REVEAL,
    PLAN_COMMITMENT,
    RESULT,
    SEED,
    VOID,
    party_commitment_body,
    party_reveal_body,
    plan_commitment_body,
    seed_body,
    void_body,
)
from drawcore.serde import structure, unstructure

__all__ = [
    "DrawReplayer",
    "Drawn",
    "YearDrawn",
    "check_rules",
    "commit_party",
    "commit_plan",
    "draw",
    "draw_year",
    "form_seed",
    "live_plan",
    "live_results",
    "load_county",
    "load_inspectors",
    "load_units",
    "plan_from_rules",
    "record_result",
    "redo",
    "replayers",
    "resolve",
    "reveal_party",
    "run_ceremony",
    "verify_draws",
]

PathLike = str | os.PathLike[str]


class _Snapshot(Protocol):
    """What a plan's registry reference is checked against: a content fingerprint."""

    @property
    def fingerprint(self) -> str: ...


_Reg = TypeVar("_Reg", bound=_Snapshot)

#: The unit id of the ``DrawPlan.reasons`` entry saying the rules' conflicts were asked.
RECUSAL_ASKED = "*"


@attrs.frozen
class Drawn:
    """A journaled draw: its record and the outcome (sample and teams) it holds."""

    record: Record
    outcome: DrawOutcome


@attrs.frozen
class YearDrawn:
    """A journaled annual plan: its ``annual_plan`` record and the plan it holds."""

    record: Record
    plan: AnnualPlan


# -- registries ----------------------------------------------------------------------------


def resolve(ref: RegistryRef, registry_dir: PathLike) -> Path:
    """Where a registry snapshot is: its path, relative to ``registry_dir`` unless absolute."""
    path = Path(ref.path)
    return path if path.is_absolute() else Path(registry_dir) / path


def _check(ref: RegistryRef, fingerprint: str, path: Path, what: str) -> None:
    if fingerprint != ref.fingerprint:
        raise InvalidInputError(
            f"{what} registry {path} has fingerprint {fingerprint}, but the plan names "
            f"{ref.fingerprint} (a different or changed registry)"
        )


def _load(
    ref: RegistryRef, registry_dir: PathLike, reader: Callable[[Path], _Reg], what: str
) -> _Reg:
    path = resolve(ref, registry_dir)
    registry = reader(path)
    _check(ref, registry.fingerprint, path, what)
    return registry


def load_units(ref: RegistryRef, registry_dir: PathLike) -> UnitRegistry:
    """The unit registry snapshot ``ref`` names, checked by fingerprint."""
    return _load(ref, registry_dir, read_units, "unit")


def load_inspectors(ref: RegistryRef, registry_dir: PathLike) -> InspectorRegistry:
    """The inspector registry snapshot ``ref`` names, checked by fingerprint."""
    return _load(ref, registry_dir, read_inspectors, "inspector")


def load_experts(ref: RegistryRef, registry_dir: PathLike) -> ExpertRegistry:
    """The expert registry snapshot ``ref`` names, checked by fingerprint."""
    return _load(ref, registry_dir, read_experts, "expert")


def load_county(spec: YearPlanSpec, registry_dir: PathLike) -> County:
    """The four registry snapshots an annual plan names, each checked by fingerprint."""
    readers: dict[str, Callable[[Path], _Snapshot]] = {
        "units": read_units,
        "inspectors": read_inspectors,
        "experts": read_experts,
        "items": read_items,
    }
    loaded: dict[str, Any] = {}
    for name, reader in readers.items():
        loaded[name] = _load(getattr(spec, name), registry_dir, reader, name.rstrip("s"))
    return County(**loaded)


def plan_from_rules(
    plan_id: str,
    units: UnitRegistry,
    units_ref: RegistryRef,
    inspectors_ref: RegistryRef,
    *,
    rules: Rules,
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
    rules: Rules,
    context: PlanContext,
    include_mandatory: bool,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """The DrawPlan fields the rules decide (merged with the caller's ``params``)."""
    unit_list = list(units)
    decided = rules.evaluate(unit_list, context)
    ids = list(decided.unit_ids)
    base = units.weights
    order = [units.index_of(u) for u in ids]
    weights = {
        u: float(w)
        for u, w, b in zip(ids, decided.weights.tolist(), base[order].tolist(), strict=True)
        if w != b
    }
    reasons: list[tuple[str, str, str]] = []
    for decision, found in (
        ("mandatory", decided.mandatory_reasons),
        ("excluded", decided.exclusion_reasons),
        ("weight", decided.weight_reasons),
    ):
        reasons += [(u, decision, str(r)) for u, rs in found.items() for r in rs]
    required = max(decided.team_size.tolist(), default=MIN_TEAM_SIZE)
    team_size = max(int(params.get("team_size", 2)), required)
    if required > MIN_TEAM_SIZE:
        reasons += [
            (u, "team", str(r))
            for u, n in zip(ids, decided.team_size.tolist(), strict=True)
            if n == required
            for r in decided.team_reasons.get(u, ())
        ]
    requirements = []
    for u, need, n, ee in zip(
        ids,
        decided.expertise,
        decided.experts.tolist(),
        decided.expert_expertise,
        strict=True,
    ):
        if not need and not n:
            continue
        requirements.append(
            UnitRequirement(
                unit_id=u, expertise=need, experts=n, expert_expertise=ee[0] if ee else None
            )
        )
        reasons += [(u, "requirement", str(r)) for r in decided.team_reasons.get(u, ())]
    if any(r.experts for r in requirements) and params.get("experts") is None:
        needing = [r.unit_id for r in requirements if r.experts]
        raise InvalidInputError(
            f"the rules of {rules.jurisdiction!r} ask for industry experts on the teams of "
            f"{len(needing)} unit(s) (e.g. {', '.join(needing[:3])}); "
            "name an expert registry (--experts EXPERTS.csv)"
        )
    conflicts: list[Recusal] = list(params.get("conflicts", ()))
    if inspectors is not None:
        active = [i for i in inspectors if i.active]
        pairs = rules.conflicts(unit_list, active, context)
        conflicts += [
            Recusal(inspector_id=c.inspector_id, unit_id=c.unit_id, reason=str(c.reason))
            for c in pairs
        ]
        reasons.append((RECUSAL_ASKED, "recusal", f"{len(pairs)} conflict pair(s) from the rules"))
    flags = params.get("exclude_flags", DrawPlan.__attrs_attrs__.exclude_flags.default)
    flagged = [False] * len(ids)
    for flag in flags:
        try:
            mask = units.mask(flag)
        except KeyError:
            raise InvalidInputError(
                f"exclude flag {flag!r} is not a flag of the unit registry"
            ) from None
        flagged = [f or bool(mask[i]) for f, i in zip(flagged, order, strict=True)]
    flagged = [f or bool(x) for f, x in zip(flagged, decided.excluded.tolist(), strict=True)]
    values = dict(params)
    values.update(
        weights=weights,
        excluded=sorted(
            {
                *params.get("excluded", ()),
                *(u for u, x in zip(ids, decided.excluded.tolist(), strict=True) if x),
            }
        ),
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
    )
    return values


def check_rules(
    plan: DrawPlan, units: UnitRegistry, inspectors: InspectorRegistry, rules: Rules
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


# -- the steps -----------------------------------------------------------------------------


def commit_plan(
    journal: Journal, plan: DrawPlan | YearPlanSpec, *, committed_at: str, committed_by: str
) -> Record:
    """Journal the plan's hash (a draw plan or an annual plan's spec); the seed must come
    from entropy fixed after this."""
    body = plan_commitment_body(
        plan.plan_id, plan, committed_at=committed_at, committed_by=committed_by
    )
    return journal.append(PLAN_COMMITMENT, body)


def commit_party(
    journal: Journal, plan_id: str, party: str, commitment: str, *, committed_at: str
) -> Record:
    """Journal one party's commitment (``commit_contribution(contribution, salt)``)."""
    return journal.append(
        PARTY_COMMITMENT,
        party_commitment_body(plan_id, party, commitment, committed_at=committed_at),
    )


def reveal_party(
    journal: Journal,
    plan_id: str,
    party: str,
    contribution: bytes,
    salt: bytes,
    *,
    revealed_at: str,
) -> Record:
    """Journal one party's reveal; the journal refuses one that does not open its commitment."""
    return journal.append(
        PARTY_REVEAL,
        party_reveal_body(plan_id, party, contribution, salt, revealed_at=revealed_at),
    )


def _seed_body(
    journal: Journal,
    plan: DrawPlan | YearPlanSpec,
    *,
    entropy_at: str,
    recorded_at: str,
    rfc3797_sources: Sequence[int | Sequence[int]] | None,
    parties: bool,
) -> dict[str, Any]:
    reveals: dict[str, bytes] | None = None
    if parties:
        state = journal.ceremony().plans.get(plan.plan_id)
        if state is None or not state.reveals:
            raise InvalidInputError(
                f"plan {plan.plan_id}: parties=True but no party has revealed a contribution"
            )
        reveals = dict(state.reveals)
    return seed_body(
        plan.plan_id,
        plan.hash,
        entropy_at=entropy_at,
        recorded_at=recorded_at,
        rfc3797_sources=rfc3797_sources,
        reveals=reveals,
    )


def form_seed(
    journal: Journal,
    plan: DrawPlan | YearPlanSpec,
    *,
    entropy_at: str,
    recorded_at: str,
    rfc3797_sources: Sequence[int | Sequence[int]] | None = None,
    parties: bool = False,
) -> Record:
    """Journal the plan's seed from public numbers (RFC 3797) and/or the parties' reveals.

    ``entropy_at``: when the numbers were drawn (or the last reveal); it must be
    after the plan's commitment or the journal refuses the seed.
    """
    body = _seed_body(
        journal,
        plan,
        entropy_at=entropy_at,
        recorded_at=recorded_at,
        rfc3797_sources=rfc3797_sources,
        parties=parties,
    )
    return journal.append(SEED, body)


def _registries(
    plan: DrawPlan,
    registry_dir: PathLike,
    units: UnitRegistry | None,
    inspectors: InspectorRegistry | None,
) -> tuple[UnitRegistry, InspectorRegistry]:
    return (
        units if units is not None else load_units(plan.units, registry_dir),
        inspectors if inspectors is not None else load_inspectors(plan.inspectors, registry_dir),
    )


def _changed_plan(plan_id: str, committed: str, actual: str, this: str = "plan") -> JournalError:
    return JournalError(
        f"plan {plan_id!r} was committed with hash {committed}; this {this} "
        f"hashes to {actual} (a changed plan needs a new plan id)"
    )


_USE_REDO = "use redo (a visible void record with a reason)"


def _second_result(plan_id: str, draw_seq: int, remedy: str = _USE_REDO) -> JournalError:
    return JournalError(
        f"second result for plan {plan_id!r} refused: record {draw_seq} "
        f"already holds its result; {remedy}"
    )


def _live_seed(
    journal: Journal, plan_id: str, plan_hash: str, *, what: str, this: str, remedy: str
) -> tuple[int, str]:
    """(seed record, seed hex) of a committed plan that has a live seed and no result yet."""
    state = journal.ceremony().plans.get(plan_id)
    if state is None:
        raise JournalError(f"{what} {plan_id!r} refused: the plan has no commitment")
    if state.plan_hash != plan_hash:
        raise _changed_plan(plan_id, state.plan_hash, plan_hash, this)
    if state.seed is None or state.seed_seq is None:
        raise JournalError(f"{what} {plan_id!r} refused: no live seed")
    if state.draw_seq is not None:
        raise _second_result(plan_id, state.draw_seq, remedy)
    return state.seed_seq, state.seed


def _draw_entry(
    journal: Journal,
    plan: DrawPlan,
    seed_seq: int,
    seed_hex: str,
    method: str,
    *,
    registry_dir: PathLike | None,
    units: UnitRegistry | None,
    inspectors: InspectorRegistry | None,
    sampler: Callable[..., UnitSample],
    drawn_by: str,
    signed_by: str,
    drawn_at: str,
    signed_at: str,
    redo_of: int | None = None,
    redo_reason: str | None = None,
) -> tuple[DrawRecord, DrawOutcome]:
    """Run the plan on its registries with the seed; the draw record body and the outcome."""
    base = registry_dir if registry_dir is not None else journal.path.parent
    unit_reg, insp_reg = _registries(plan, base, units, inspectors)
    experts = load_experts(plan.experts, base) if plan.experts is not None else None
    outcome = run_draw(
        plan, unit_reg, insp_reg, bytes.fromhex(seed_hex), sampler=sampler, experts=experts
    )
    record = draw_record(
        plan,
        outcome,
        seed_record=seed_seq,
        seed_method=method,
        population=len(unit_reg),
        drawn_by=drawn_by,
        signed_by=signed_by,
        drawn_at=drawn_at,
        signed_at=signed_at,
        redo_of=redo_of,
        redo_reason=redo_reason,
    )
    return record, outcome


def draw(
    journal: Journal,
    plan: DrawPlan,
    *,
    drawn_by: str,
    signed_by: str,
    drawn_at: str,
    signed_at: str,
    registry_dir: PathLike | None = None,
    units: UnitRegistry | None = None,
    inspectors: InspectorRegistry | None = None,
    sampler: Callable[..., UnitSample] = sample_units,
) -> Drawn:
    """Draw the committed, seeded plan and journal the result; nothing is written on failure.

    Registries are read from the plan's snapshots under ``registry_dir``
    (default: the journal's directory) unless given; either way their
    fingerprints must match the plan.
    """
    seed_seq, seed_hex = _live_seed(
        journal, plan.plan_id, plan.hash, what="draw for plan", this="plan", remedy=_USE_REDO
    )
    body, outcome = _draw_entry(
        journal,
        plan,
        seed_seq,
        seed_hex,
        _seed_method(journal, seed_seq),
        registry_dir=registry_dir,
        units=units,
        inspectors=inspectors,
        sampler=sampler,
        drawn_by=drawn_by,
        signed_by=signed_by,
        drawn_at=drawn_at,
        signed_at=signed_at,
    )
    return Drawn(journal.append(DRAW, body), outcome)


def draw_year(
    journal: Journal,
    spec: YearPlanSpec,
    *,
    rules: Rules,
    drawn_by: str,
    signed_by: str,
    drawn_at: str,
    signed_at: str,
    registry_dir: PathLike | None = None,
    county: County | None = None,
) -> YearDrawn:
    """Plan the committed, seeded year and journal the ``annual_plan`` record.

    Like :func:`draw`: refused without a commitment of this spec's hash and a
    live seed formed after it, or when the plan already has a result; the
    registries (read from the spec's snapshots under ``registry_dir`` unless
    given) must match its fingerprints and ``rules`` its plugin versions; the
    plan is made before anything is written, so a failure writes nothing.
    """
    seed_seq, seed_hex = _live_seed(
        journal,
        spec.plan_id,
        spec.hash,
        what="annual plan",
        this="spec",
        remedy="void it first (a visible record with a reason)",
    )
    base = registry_dir if registry_dir is not None else journal.path.parent
    regs = county if county is not None else load_county(spec, base)
    seed = bytes.fromhex(seed_hex)
    plan = run_year(spec, regs, rules, seed)
    body = year_plan_record(
        spec,
        plan,
        seed=seed,
        seed_record=seed_seq,
        seed_method=_seed_method(journal, seed_seq),
        population=len(regs.units),
        drawn_by=drawn_by,
        signed_by=signed_by,
        drawn_at=drawn_at,
        signed_at=signed_at,
    )
    return YearDrawn(journal.append(ANNUAL_PLAN, body), plan)


def _seed_method(journal: Journal, seed_seq: int) -> str:
    for record in journal.records()[seed_seq : seed_seq + 1]:
        if record.type == SEED:
            return str(record.body["method"])
    raise JournalError(f"record {seed_seq} is not a seed record")


def redo(
    journal: Journal,
    plan: DrawPlan,
    *,
    voids: int,
    reason: str,
    voided_by: str,
    at: str,
    drawn_by: str,
    signed_by: str,
    drawn_at: str,
    signed_at: str,
    rfc3797_sources: Sequence[int | Sequence[int]] | None = None,
    entropy_at: str | None = None,
    registry_dir: PathLike | None = None,
    units: UnitRegistry | None = None,
    inspectors: InspectorRegistry | None = None,
    sampler: Callable[..., UnitSample] = sample_units,
) -> Drawn:
    """Void draw record ``voids`` and draw the plan again, in one all-or-nothing append.

    With ``rfc3797_sources`` (fresh public numbers, fixed at ``entropy_at``) the
    seed is voided too and a new seed is journaled, so the redo is a new draw;
    without, the same seed is reused (it reproduces the same units and teams
    unless the registries changed -- which the plan's fingerprints forbid -- so a
    redo usually needs fresh numbers). The new draw record names the voided one
    (``redo_of``) and the reason.
    """
    state = journal.ceremony()
    plan_state = state.plans.get(plan.plan_id)
    if plan_state is None or plan_state.draw_seq != voids:
        raise JournalError(
            f"redo of plan {plan.plan_id!r} refused: record {voids} is not its live draw"
        )
    if plan_state.plan_hash != plan.hash:
        raise JournalError(f"plan {plan.plan_id!r} was committed with another plan hash")
    assert plan_state.seed_seq is not None
    assert plan_state.seed is not None
    entries: list[tuple[str, object]] = [
        (VOID, void_body(voids, reason, voided_by=voided_by, at=at))
    ]
    next_seq = journal.size + 1
    seed_seq, seed_hex, method = plan_state.seed_seq, plan_state.seed, ""
    if rfc3797_sources is not None:
        if entropy_at is None:
            raise InvalidInputError("a redo with fresh public numbers needs entropy_at")
        entries.append((VOID, void_body(plan_state.seed_seq, reason, voided_by=voided_by, at=at)))
        body = seed_body(
            plan.plan_id,
            plan.hash,
            entropy_at=entropy_at,
            recorded_at=drawn_at,
            rfc3797_sources=rfc3797_sources,
        )
        entries.append((SEED, body))
        seed_seq, seed_hex, method = next_seq + 1, body["seed"], body["method"]
        next_seq += 2
    else:
        method = _seed_method(journal, seed_seq)
    record, outcome = _draw_entry(
        journal,
        plan,
        seed_seq,
        seed_hex,
        method,
        registry_dir=registry_dir,
        units=units,
        inspectors=inspectors,
        sampler=sampler,
        drawn_by=drawn_by,
        signed_by=signed_by,
        drawn_at=drawn_at,
        signed_at=signed_at,
        redo_of=voids,
        redo_reason=reason,
    )
    entries.append((DRAW, record))
    return Drawn(journal.append_many(entries)[-1], outcome)


def run_ceremony(
    journal: Journal,
    plan: DrawPlan,
    *,
    drawn_by: str,
    signed_by: str,
    drawn_at: str,
    signed_at: str,
    committed_at: str | None = None,
    committed_by: str | None = None,
    entropy_at: str | None = None,
    rfc3797_sources: Sequence[int | Sequence[int]] | None = None,
    parties: bool = False,
    registry_dir: PathLike | None = None,
    units: UnitRegistry | None = None,
    inspectors: InspectorRegistry | None = None,
    sampler: Callable[..., UnitSample] = sample_units,
) -> Drawn:
    """Whatever is missing of commit -> seed -> draw, journaled in one all-or-nothing append.

    The plan is committed unless it already is (with the same hash); a seed is
    formed unless a live one exists (from ``rfc3797_sources`` and/or the
    parties' reveals, fixed at ``entropy_at``, recorded at ``drawn_at``); then
    the draw. Everything is computed before anything is written, so a failed
    draw leaves the journal as it was.
    """
    state = journal.ceremony().plans.get(plan.plan_id)
    entries: list[tuple[str, object]] = []
    if state is None:
        if committed_at is None or committed_by is None:
            raise InvalidInputError(
                f"plan {plan.plan_id!r} is not committed yet: give committed_at and committed_by"
            )
        entries.append(
            (
                PLAN_COMMITMENT,
                plan_commitment_body(
                    plan.plan_id, plan, committed_at=committed_at, committed_by=committed_by
                ),
            )
        )
    elif state.plan_hash != plan.hash:
        raise _changed_plan(plan.plan_id, state.plan_hash, plan.hash)
    elif state.draw_seq is not None:
        raise _second_result(plan.plan_id, state.draw_seq)
    if state is not None and state.seed is not None and state.seed_seq is not None:
        seed_seq, seed_hex = state.seed_seq, state.seed
        method = _seed_method(journal, seed_seq)
    else:
        if entropy_at is None or (rfc3797_sources is None and not parties):
            raise InvalidInputError(
                f"plan {plan.plan_id!r} has no seed yet: give public numbers "
                "(rfc3797_sources) and/or parties, and entropy_at"
            )
        body = _seed_body(
            journal,
            plan,
            entropy_at=entropy_at,
            recorded_at=drawn_at,
            rfc3797_sources=rfc3797_sources,
            parties=parties,
        )
        entries.append((SEED, body))
        seed_seq, seed_hex, method = journal.size + len(entries) - 1, body["seed"], body["method"]
    record, outcome = _draw_entry(
        journal,
        plan,
        seed_seq,
        seed_hex,
        method,
        registry_dir=registry_dir,
        units=units,
        inspectors=inspectors,
        sampler=sampler,
        drawn_by=drawn_by,
        signed_by=signed_by,
        drawn_at=drawn_at,
        signed_at=signed_at,
    )
    entries.append((DRAW, record))
    return Drawn(journal.append_many(entries)[-1], outcome)


def record_result(journal: Journal, result: InspectionResult) -> Record:
    """Journal an inspection result (BL-7, BL-8); refused unless its draw is live and drew
    the unit, the unit has no result yet, and the inspectors are the unit's drawn team."""
    return journal.append(RESULT, unstructure(result))


# -- use of results (BL-10, TJ-7, TJ-10) -----------------------------------------------------


def _voided_seqs(records: Sequence[Record]) -> set[int]:
    return {int(r.body["voids"]) for r in records if r.type == VOID}


def live_results(
    records: Iterable[Record], *, plan_id: str | None = None
) -> tuple[InspectionResult, ...]:
    """The results journaled for live draws and annual plans, rebuilt as values (of
    ``plan_id`` only, when given): a voided draw's results no longer count.

    Read the records of a journal that verifies; a body that is not a result raises
    :class:`InvalidInputError` naming its record.
    """
    recs = list(records)
    voided = _voided_seqs(recs)
    out: list[InspectionResult] = []
    for r in recs:
        if r.type != RESULT or not isinstance(r.body, dict) or r.body.get("draw") in voided:
            continue
        if plan_id is not None and r.body.get("plan_id") != plan_id:
            continue
        try:
            out.append(_structure(r.body, InspectionResult, "an inspection result"))
        except InvalidInputError as err:
            raise InvalidInputError(f"journal record {r.seq}: {err}") from None
    return tuple(out)


def live_plan(records: Iterable[Record], plan_id: str) -> tuple[Record, AnnualPlan | DrawRecord]:
    """The live ``draw`` or ``annual_plan`` record of ``plan_id`` and the value it holds
    (a :class:`~drawcore.record.DrawRecord`, or the :class:`~drawcore.schedule.AnnualPlan`
    of the record's ``result``); :class:`InvalidInputError` when the plan has none."""
    recs = list(records)
    voided = _voided_seqs(recs)
    live = [
        r
        for r in recs
        if r.type in (DRAW, ANNUAL_PLAN)
        and isinstance(r.body, dict)
        and r.body.get("plan_id") == plan_id
        and r.seq not in voided
    ]
    if not live:
        known = sorted({str(r.body.get("plan_id")) for r in recs if r.type in (DRAW, ANNUAL_PLAN)})
        raise InvalidInputError(
            f"plan {plan_id!r} has no live draw or annual plan in the journal"
            + (f" (plans drawn: {', '.join(known[:10])})" if known else "")
        )
    record = live[-1]
    try:
        if record.type == DRAW:
            return record, DrawRecord.from_body(record.body)
        return record, _structure(record.body.get("result"), AnnualPlan, "an annual plan")
    except InvalidInputError as err:
        raise InvalidInputError(f"journal record {record.seq}: {err}") from None


# -- replay --------------------------------------------------------------------------------


class DrawReplayer:
    """Replays every ``draw`` and ``annual_plan`` record while
    :func:`drawcore.journal.verify` reads a journal.

    It follows plan commitments and seeds as they go by (verify calls it in
    record order), so each draw is checked against the commitment of its plan and
    the seed record it names, then re-run on the registry snapshots its plan names.
    A draw whose plan came from a jurisdiction's rules (``rules_context``) and
    every annual plan are also checked against the installed plugins, which
    must have the recorded versions.
    """

    def __init__(self, registry_dir: PathLike) -> None:
        self.registry_dir = Path(registry_dir)
        self.committed: dict[str, str] = {}
        self.seeds: dict[int, Mapping[str, Any]] = {}
        self._units: dict[tuple[str, str], UnitRegistry] = {}
        self._inspectors: dict[tuple[str, str], InspectorRegistry] = {}
        self._counties: dict[str, County] = {}
        self._rules: dict[str | None, Rules] = {}

    def mapping(self) -> dict[str, Replayer]:
        """Record type -> replayer, for ``verify(..., replay=...)``."""
        return {
            PLAN_COMMITMENT: self._commitment,
            SEED: self._seed,
            DRAW: self._draw,
            ANNUAL_PLAN: self._year,
        }

    def _rules_for(self, jurisdiction: str | None) -> Rules:
        if jurisdiction not in self._rules:
            self._rules[jurisdiction] = Rules.for_jurisdiction(jurisdiction)
        return self._rules[jurisdiction]

    def _seeded(self, body: Mapping[str, Any]) -> str | None:
        seed = self.seeds.get(body.get("seed_record"))  # type: ignore[arg-type]
        if seed is None:
            return f"seed_record {body.get('seed_record')!r} is not an earlier seed record"
        if seed.get("seed") != body.get("seed") or seed.get("plan_id") != body.get("plan_id"):
            return f"seed differs from seed record {body.get('seed_record')}"
        if seed.get("method") != body.get("seed_method"):
            return f"seed_method differs from seed record {body.get('seed_record')}"
        return None

    def _checked(self, record: Record, kind: str) -> tuple[dict[str, Any], str] | str:
        """(body, committed plan hash) of a record whose seed and commitment precede it,
        or the problem."""
        body = record.body
        if not isinstance(body, dict):
            return f"{kind} record body is not an object"
        problem = self._seeded(body)
        if problem is not None:
            return problem
        committed = self.committed.get(str(body.get("plan_id")))
        if committed is None:
            return f"plan {body.get('plan_id')!r} has no earlier commitment"
        return body, committed

    def _year(self, record: Record) -> str | None:
        checked = self._checked(record, "annual_plan")
        if isinstance(checked, str):
            return checked
        body, committed = checked
        try:
            spec = YearPlanSpec.from_body(body.get("plan"))
            key = _refs_key(spec)
            if key not in self._counties:
                self._counties[key] = load_county(spec, self.registry_dir)
            rules = self._rules_for(spec.jurisdiction)
        except DrawcoreError as err:
            return f"cannot replay: {err}"
        return replay_year(body, self._counties[key], rules, committed_hash=committed)

    def _commitment(self, record: Record) -> str | None:
        body = record.body
        if isinstance(body, dict) and isinstance(body.get("plan_id"), str):
            self.committed.setdefault(body["plan_id"], str(body.get("plan_hash")))
        return None

    def _seed(self, record: Record) -> str | None:
        if isinstance(record.body, dict):
            self.seeds[record.seq] = record.body
        return None

    def _draw(self, record: Record) -> str | None:
        checked = self._checked(record, "draw")
        if isinstance(checked, str):
            return checked
        body, committed = checked
        try:
            refs = body["plan"]
            units = self._load_units(RegistryRef(**refs["units"]))
            inspectors = self._load_inspectors(RegistryRef(**refs["inspectors"]))
            experts = None
            if refs.get("experts"):
                experts = load_experts(RegistryRef(**refs["experts"]), self.registry_dir)
        except (KeyError, TypeError) as err:
            return f"cannot replay: the plan does not name its registries ({err})"
        except DrawcoreError as err:
            return f"cannot replay: {err}"
        problem = replay(body, units, inspectors, committed_hash=committed, experts=experts)
        if problem is not None or not refs.get("rules_context"):
            return problem
        try:
            plan = structure(refs, DrawPlan)
            return check_rules(plan, units, inspectors, self._rules_for(plan.jurisdiction))
        except DrawcoreError as err:
            return f"cannot re-check the rules: {err}"

    def _load_units(self, ref: RegistryRef) -> UnitRegistry:
        key = (ref.path, ref.fingerprint)
        if key not in self._units:
            self._units[key] = load_units(ref, self.registry_dir)
        return self._units[key]

    def _load_inspectors(self, ref: RegistryRef) -> InspectorRegistry:
        key = (ref.path, ref.fingerprint)
        if key not in self._inspectors:
            self._inspectors[key] = load_inspectors(ref, self.registry_dir)
        return self._inspectors[key]


def _refs_key(spec: YearPlanSpec) -> str:
    """One key for the four registry snapshots a spec names (to load them once)."""
    refs = [getattr(spec, n) for n in ("units", "inspectors", "experts", "items")]
    return "|".join(f"{r.path}@{r.fingerprint}" for r in refs)


def replayers(
    journal_path: PathLike, *, registry_dir: PathLike | None = None
) -> dict[str, Replayer]:
    """The replay mapping for ``journal.verify`` (registries under the journal's directory)."""
    base = registry_dir if registry_dir is not None else Path(journal_path).parent
    return DrawReplayer(base).mapping()


def verify_draws(
    journal_path: PathLike,
    *,
    checkpoints: Iterable[Checkpoint] = (),
    verifier: Verifier | None = None,
    registry_dir: PathLike | None = None,
) -> VerifyReport:
    """:func:`drawcore.journal.verify` with every draw replayed."""
    return verify(
        journal_path,
        checkpoints=checkpoints,
        verifier=verifier,
        replay=replayers(journal_path, registry_dir=registry_dir),
    )
