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

Replay lives in :mod:`drawcore.record.verification`, registry snapshots in
:mod:`drawcore.record.snapshots`, draw plans from rules in
:mod:`drawcore.record.draw_rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from drawcore.draw.sampling import UnitSample, sample_units
from drawcore.errors import InvalidInputError, JournalError
from drawcore.plan.tasks import AnnualPlan
from drawcore.plugin.rules import Rules
from drawcore.record.annual import YearPlanSpec, run_year, spec_inputs, year_plan_record
from drawcore.record.ceremony_rules import Ceremony
from drawcore.record.journal import (
    Journal,
    Record,
)
from drawcore.record.plan_checks import check_plan
from drawcore.record.records import DrawOutcome, DrawPlan, DrawRecord, draw_record, run_draw
from drawcore.record.results import InspectionResult
from drawcore.record.seeding import (
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
from drawcore.record.signing import Signing
from drawcore.record.snapshots import load_county, load_experts, load_inspectors, load_units
from drawcore.registry.headers import PathLike
from drawcore.registry.registries import County, InspectorRegistry, UnitRegistry
from drawcore.serde import unstructure


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


# -- the steps -----------------------------------------------------------------------------


def commit_plan(
    journal: Journal,
    plan: DrawPlan | YearPlanSpec,
    *,
    committed_at: str,
    committed_by: str,
    registry_dir: PathLike | None = None,
    units: UnitRegistry | None = None,
    inspectors: InspectorRegistry | None = None,
) -> Record:
    """Journal the plan's hash (a draw plan or an annual plan's spec); the seed must come
    from entropy fixed after this.

    A draw plan is first checked against its registries (read from its snapshots
    under ``registry_dir``, default the journal's folder, unless given) by
    :func:`check_plan`: an impossible plan is refused before anything is written,
    so its plan id stays free.
    """
    body = plan_commitment_body(
        plan.plan_id, plan, committed_at=committed_at, committed_by=committed_by
    )
    if isinstance(plan, DrawPlan):
        committed_state(journal, plan)
        check_plan(plan, *_registries(plan, _base(journal, registry_dir), units, inspectors))
    return journal.append(PLAN_COMMITMENT, body)


def committed_state(journal: Journal, plan: DrawPlan | YearPlanSpec) -> Any:
    """The journal's state of ``plan``'s id (``None`` when unused); a :class:`JournalError`
    when the id is already used by a plan with another hash (a changed plan needs a new id)."""
    state = journal.ceremony().plans.get(plan.plan_id)
    if state is not None and state.plan_hash != plan.hash:
        raise _changed_plan(plan.plan_id, state.plan_hash, plan.hash)
    return state


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


def _base(journal: Journal, registry_dir: PathLike | None) -> PathLike:
    return registry_dir if registry_dir is not None else journal.path.parent


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
        f"hashes to {actual} (a changed plan needs a new plan id; 计划已变更，须使用新的计划编号)"
    )


_USE_REDO = "use redo (a visible void record with a reason)"


def _second_result(plan_id: str, draw_seq: int, remedy: str = _USE_REDO) -> JournalError:
    return JournalError(
        f"second result for plan {plan_id!r} refused: record {draw_seq} "
        f"already holds its result; {remedy}"
    )


def _live_seed(
    journal: Journal, plan_id: str, plan_hash: str, *, what: str, this: str, remedy: str
) -> tuple[int, str, str]:
    """(seed record, seed hex, seed method) of a committed plan that has a live seed and
    no result yet."""
    state = journal.ceremony().plans.get(plan_id)
    if state is None:
        raise JournalError(f"{what} {plan_id!r} refused: the plan has no commitment")
    if state.plan_hash != plan_hash:
        raise _changed_plan(plan_id, state.plan_hash, plan_hash, this)
    if state.seed is None or state.seed_seq is None:
        raise JournalError(f"{what} {plan_id!r} refused: no live seed")
    if state.draw_seq is not None:
        raise _second_result(plan_id, state.draw_seq, remedy)
    return state.seed_seq, state.seed, str(state.seed_method)


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
    signing: Signing,
    redo_of: int | None = None,
    redo_reason: str | None = None,
) -> tuple[DrawRecord, DrawOutcome]:
    """Run the plan on its registries with the seed; the draw record body and the outcome."""
    base = _base(journal, registry_dir)
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
        signing=signing,
        redo_of=redo_of,
        redo_reason=redo_reason,
    )
    return record, outcome


def draw(
    journal: Journal,
    plan: DrawPlan,
    *,
    signing: Signing | None = None,
    drawn_by: str | None = None,
    signed_by: str | None = None,
    drawn_at: str | None = None,
    signed_at: str | None = None,
    registry_dir: PathLike | None = None,
    units: UnitRegistry | None = None,
    inspectors: InspectorRegistry | None = None,
    sampler: Callable[..., UnitSample] = sample_units,
) -> Drawn:
    """Draw the committed, seeded plan and journal the result; nothing is written on failure.

    ``signing`` says who drew and signed, and when (TJ-9); the four fields
    ``drawn_by``, ``signed_by``, ``drawn_at``, ``signed_at`` may be given instead.
    Registries are read from the plan's snapshots under ``registry_dir``
    (default: the journal's directory) unless given; either way their
    fingerprints must match the plan.
    """
    signing = Signing.of(
        signing, drawn_by=drawn_by, signed_by=signed_by, drawn_at=drawn_at, signed_at=signed_at
    )
    seed_seq, seed_hex, method = _live_seed(
        journal, plan.plan_id, plan.hash, what="draw for plan", this="plan", remedy=_USE_REDO
    )
    body, outcome = _draw_entry(
        journal,
        plan,
        seed_seq,
        seed_hex,
        method,
        registry_dir=registry_dir,
        units=units,
        inspectors=inspectors,
        sampler=sampler,
        signing=signing,
    )
    return Drawn(journal.append(DRAW, body), outcome)


def draw_year(
    journal: Journal,
    spec: YearPlanSpec,
    *,
    rules: Rules,
    signing: Signing,
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
    seed_seq, seed_hex, method = _live_seed(
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
        inputs=spec_inputs(spec, regs, rules),
        seed=seed,
        seed_record=seed_seq,
        seed_method=method,
        population=len(regs.units),
        signing=signing,
    )
    return YearDrawn(journal.append(ANNUAL_PLAN, body), plan)


def _plan_key(ceremony: Ceremony, plan_id: str) -> tuple[object, ...] | None:
    """What a batch decided outside the lock assumes about its plan (to re-check inside)."""
    state = ceremony.plans.get(plan_id)
    if state is None:
        return None
    return (state.plan_hash, state.seed_seq, state.seed, state.draw_seq)


def _append_draw(
    journal: Journal,
    plan_id: str,
    assumed: tuple[object, ...] | None,
    entries: list[tuple[str, object]],
    draw: DrawRecord,
    seed_at: int | None,
) -> Record:
    """Append ``entries`` then ``draw`` as one batch; inside the lock, check the plan is
    as assumed and number the draw's seed record (``seed_at``: the seed's index in
    ``entries``, or ``None`` when the seed is an earlier record)."""

    def build(ceremony: Ceremony, next_seq: int) -> list[tuple[str, object]]:
        if _plan_key(ceremony, plan_id) != assumed:
            raise JournalError(
                f"plan {plan_id!r} changed in the journal while it was being drawn "
                "(another process?); nothing written, run the step again"
            )
        if seed_at is None:
            return [*entries, (DRAW, draw)]
        return [*entries, (DRAW, attrs.evolve(draw, seed_record=next_seq + seed_at))]

    return journal.append_batch(build)[-1]


def redo_year(
    journal: Journal,
    spec: YearPlanSpec,
    *,
    voids: int,
    reason: str,
    voided_by: str,
    at: str,
    rules: Rules,
    signing: Signing,
    rfc3797_sources: Sequence[int | Sequence[int]],
    entropy_at: str,
    registry_dir: PathLike | None = None,
    county: County | None = None,
) -> YearDrawn:
    """Void annual-plan record ``voids`` and its seed, journal a fresh seed from new public
    numbers and plan the year again, in one all-or-nothing append: a visible redo.

    The new ``annual_plan`` record names the voided one (``redo_of``) and the reason.
    The spec (and so the commitment) is the same; only the seed is new, so a redo
    cannot pick a more convenient registry or rule set.
    """
    state = journal.ceremony().plans.get(spec.plan_id)
    if state is None or state.draw_seq != voids:
        raise JournalError(
            f"redo of annual plan {spec.plan_id!r} refused: record {voids} is not its live plan"
        )
    if state.plan_hash != spec.hash:
        raise JournalError(f"plan {spec.plan_id!r} was committed with another plan hash")
    assert state.seed_seq is not None
    if not reason.strip():
        raise InvalidInputError("a redo needs its reason")
    seed = seed_body(
        spec.plan_id,
        spec.hash,
        entropy_at=entropy_at,
        recorded_at=signing.drawn_at,
        rfc3797_sources=rfc3797_sources,
    )
    base = registry_dir if registry_dir is not None else journal.path.parent
    regs = county if county is not None else load_county(spec, base)
    seed_bytes = bytes.fromhex(seed["seed"])
    plan = run_year(spec, regs, rules, seed_bytes)
    seed_seq = journal.size + 2
    body = year_plan_record(
        spec,
        plan,
        inputs=spec_inputs(spec, regs, rules),
        seed=seed_bytes,
        seed_record=seed_seq,
        seed_method=seed["method"],
        population=len(regs.units),
        signing=signing,
        redo_of=voids,
        redo_reason=reason,
    )
    entries: list[tuple[str, object]] = [
        (VOID, void_body(voids, reason, voided_by=voided_by, at=at)),
        (VOID, void_body(state.seed_seq, reason, voided_by=voided_by, at=at)),
        (SEED, seed),
        (ANNUAL_PLAN, body),
    ]
    return YearDrawn(journal.append_many(entries)[-1], plan)


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
    signing: Signing | None = None,
    drawn_by: str | None = None,
    signed_by: str | None = None,
    drawn_at: str | None = None,
    signed_at: str | None = None,
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
    signing = Signing.of(
        signing, drawn_by=drawn_by, signed_by=signed_by, drawn_at=drawn_at, signed_at=signed_at
    )
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
    seed_seq, seed_hex, method = plan_state.seed_seq, plan_state.seed, plan_state.seed_method
    seed_at: int | None = None
    if rfc3797_sources is not None:
        if entropy_at is None:
            raise InvalidInputError("a redo with fresh public numbers needs entropy_at")
        entries.append((VOID, void_body(plan_state.seed_seq, reason, voided_by=voided_by, at=at)))
        body = seed_body(
            plan.plan_id,
            plan.hash,
            entropy_at=entropy_at,
            recorded_at=signing.drawn_at,
            rfc3797_sources=rfc3797_sources,
        )
        seed_at = len(entries)
        entries.append((SEED, body))
        seed_seq, seed_hex, method = -1, body["seed"], body["method"]  # numbered in the lock
    record, outcome = _draw_entry(
        journal,
        plan,
        seed_seq,
        seed_hex,
        str(method),
        registry_dir=registry_dir,
        units=units,
        inspectors=inspectors,
        sampler=sampler,
        signing=signing,
        redo_of=voids,
        redo_reason=reason,
    )
    assumed = _plan_key(state, plan.plan_id)
    return Drawn(_append_draw(journal, plan.plan_id, assumed, entries, record, seed_at), outcome)


def run_ceremony(
    journal: Journal,
    plan: DrawPlan,
    *,
    signing: Signing | None = None,
    drawn_by: str | None = None,
    signed_by: str | None = None,
    drawn_at: str | None = None,
    signed_at: str | None = None,
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
    draw (or a plan :func:`check_plan` refuses) leaves the journal as it was; the
    record numbers (the draw's ``seed_record``) are fixed inside the journal's lock.
    """
    signing = Signing.of(
        signing, drawn_by=drawn_by, signed_by=signed_by, drawn_at=drawn_at, signed_at=signed_at
    )
    current = journal.ceremony()
    state = current.plans.get(plan.plan_id)
    entries: list[tuple[str, object]] = []
    if state is None:
        if committed_at is None or committed_by is None:
            raise InvalidInputError(
                f"plan {plan.plan_id!r} is not committed yet: give committed_at and committed_by"
            )
        check_plan(plan, *_registries(plan, _base(journal, registry_dir), units, inspectors))
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
    seed_at: int | None = None
    if state is not None and state.seed is not None and state.seed_seq is not None:
        seed_seq, seed_hex, method = state.seed_seq, state.seed, str(state.seed_method)
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
            recorded_at=signing.drawn_at,
            rfc3797_sources=rfc3797_sources,
            parties=parties,
        )
        seed_at = len(entries)
        entries.append((SEED, body))
        seed_seq, seed_hex, method = -1, body["seed"], body["method"]  # numbered in the lock
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
        signing=signing,
    )
    assumed = _plan_key(current, plan.plan_id)
    return Drawn(_append_draw(journal, plan.plan_id, assumed, entries, record, seed_at), outcome)


def record_result(journal: Journal, result: InspectionResult) -> Record:
    """Journal an inspection result (BL-7, BL-8); refused unless its draw is live and drew
    the unit, the unit has no result yet, and the inspectors are the unit's drawn team."""
    return journal.append(RESULT, unstructure(result))
