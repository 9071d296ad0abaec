"""The single-draw ceremony at the journal's edge: draw -> journal, redo, results.

After :mod:`drawcore.record.commitments` has journaled the plan's hash and its
seed, each step here is one journal append (or none):

1. :func:`draw` runs :func:`~drawcore.record.records.run_draw` on the registry
   snapshots the plan names (checked by fingerprint) and journals the
   :class:`~drawcore.record.records.DrawRecord`. The draw is computed *before*
   anything is written, so a failed draw (e.g. :class:`InfeasibleError`) writes
   nothing; a second result for the plan is refused by the journal.
2. :func:`run_ceremony` journals whatever is missing of commit -> seed -> draw in
   one all-or-nothing append.
3. :func:`redo` voids a draw (and, with fresh entropy, its seed) and draws
   again in one all-or-nothing append; the new record says which draw it redoes
   and why.
4. :func:`record_result` journals an :class:`~drawcore.record.results.InspectionResult`.

Who drew and signed, and when, is one :class:`~drawcore.record.signing.Signing`.
Annual plans go through :mod:`drawcore.record.year_ceremony`; replay lives in
:mod:`drawcore.record.verification`, registry snapshots in
:mod:`drawcore.record.snapshots`, draw plans from rules in
:mod:`drawcore.record.draw_rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from drawcore.draw.sampling import UnitSample, sample_units
from drawcore.errors import InvalidInputError, JournalError
from drawcore.i18n import msg
from drawcore.record.ceremony_rules import Ceremony
from drawcore.record.commitments import _base, _changed_plan, _registries, _seed_body
from drawcore.record.draw_plans import DrawPlan
from drawcore.record.journal import Journal, Record
from drawcore.record.plan_checks import check_plan
from drawcore.record.records import DrawOutcome, DrawRecord, draw_record, run_draw
from drawcore.record.results import InspectionResult
from drawcore.record.seeding import (
    DRAW,
    PLAN_COMMITMENT,
    RESULT,
    SEED,
    VOID,
    plan_commitment_body,
    seed_body,
    void_body,
)
from drawcore.record.signing import Signing
from drawcore.record.snapshots import load_experts
from drawcore.registry.headers import PathLike
from drawcore.registry.registries import InspectorRegistry, UnitRegistry
from drawcore.serde import unstructure

__all__ = ["Drawn", "draw", "record_result", "redo", "run_ceremony"]


@attrs.frozen
class Drawn:
    """A journaled draw: its record and the outcome (sample and teams) it holds."""

    record: Record
    outcome: DrawOutcome


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
        raise JournalError(
            msg(
                "{what} {plan_id} refused: the plan has no commitment",
                what=what,
                plan_id=repr(plan_id),
            )
        )
    if state.plan_hash != plan_hash:
        raise _changed_plan(plan_id, state.plan_hash, plan_hash, this)
    if state.seed is None or state.seed_seq is None:
        raise JournalError(
            msg("{what} {plan_id} refused: no live seed", what=what, plan_id=repr(plan_id))
        )
    if state.draw_seq is not None:
        raise _second_result(plan_id, state.draw_seq, remedy)
    return state.seed_seq, state.seed, str(state.seed_method)


@attrs.frozen
class _Source:
    """Where a draw's registries come from (the plan's snapshots under ``registry_dir``,
    default the journal's folder, unless given) and the unit sampler it runs."""

    registry_dir: PathLike | None
    units: UnitRegistry | None
    inspectors: InspectorRegistry | None
    sampler: Callable[..., UnitSample]


def _draw_entry(
    journal: Journal,
    plan: DrawPlan,
    seed: tuple[int, str, str],
    source: _Source,
    signing: Signing,
    redo_of: int | None = None,
    redo_reason: str | None = None,
) -> tuple[DrawRecord, DrawOutcome]:
    """Run the plan on its registries with the seed (record, hex, method); the draw
    record body and the outcome."""
    seed_seq, seed_hex, method = seed
    base = _base(journal, source.registry_dir)
    unit_reg, insp_reg = _registries(plan, base, source.units, source.inspectors)
    experts = load_experts(plan.experts, base) if plan.experts is not None else None
    outcome = run_draw(
        plan, unit_reg, insp_reg, bytes.fromhex(seed_hex), sampler=source.sampler, experts=experts
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
    signing: Signing,
    registry_dir: PathLike | None = None,
    units: UnitRegistry | None = None,
    inspectors: InspectorRegistry | None = None,
    sampler: Callable[..., UnitSample] = sample_units,
) -> Drawn:
    """Draw the committed, seeded plan and journal the result; nothing is written on failure.

    ``signing`` says who drew and signed, and when (TJ-9), checked once when it was made.
    Registries are read from the plan's snapshots under ``registry_dir``
    (default: the journal's directory) unless given; either way their
    fingerprints must match the plan.
    """
    seed = _live_seed(
        journal, plan.plan_id, plan.hash, what=msg("draw for plan"), this="plan", remedy=_USE_REDO
    )
    source = _Source(registry_dir, units, inspectors, sampler)
    body, outcome = _draw_entry(journal, plan, seed, source, signing)
    return Drawn(journal.append(DRAW, body), outcome)


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
                msg(
                    "plan {plan_id} changed in the journal while it was being drawn"
                    " (another process?); nothing written, run the step again",
                    plan_id=repr(plan_id),
                )
            )
        if seed_at is None:
            return [*entries, (DRAW, draw)]
        return [*entries, (DRAW, attrs.evolve(draw, seed_record=next_seq + seed_at))]

    return journal.append_batch(build)[-1]


def redo(
    journal: Journal,
    plan: DrawPlan,
    *,
    voids: int,
    reason: str,
    voided_by: str,
    at: str,
    signing: Signing,
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
            msg(
                "redo of plan {plan_id} refused: record {voids} is not its live draw",
                plan_id=repr(plan.plan_id),
                voids=voids,
            )
        )
    if plan_state.plan_hash != plan.hash:
        raise JournalError(
            msg("plan {plan_id} was committed with another plan hash", plan_id=repr(plan.plan_id))
        )
    assert plan_state.seed_seq is not None
    assert plan_state.seed is not None
    entries: list[tuple[str, object]] = [
        (VOID, void_body(voids, reason, voided_by=voided_by, at=at))
    ]
    seed_seq, seed_hex, method = plan_state.seed_seq, plan_state.seed, plan_state.seed_method
    seed_at: int | None = None
    if rfc3797_sources is not None:
        if entropy_at is None:
            raise InvalidInputError(msg("a redo with fresh public numbers needs entropy_at"))
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
    source = _Source(registry_dir, units, inspectors, sampler)
    seed = (seed_seq, seed_hex, str(method))
    record, outcome = _draw_entry(journal, plan, seed, source, signing, voids, reason)
    assumed = _plan_key(state, plan.plan_id)
    return Drawn(_append_draw(journal, plan.plan_id, assumed, entries, record, seed_at), outcome)


def run_ceremony(
    journal: Journal,
    plan: DrawPlan,
    *,
    signing: Signing,
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
    parties' reveals, fixed at ``entropy_at``, recorded at ``signing.drawn_at``); then
    the draw. Everything is computed before anything is written, so a failed
    draw (or a plan :func:`check_plan` refuses) leaves the journal as it was; the
    record numbers (the draw's ``seed_record``) are fixed inside the journal's lock.
    """
    current = journal.ceremony()
    state = current.plans.get(plan.plan_id)
    entries: list[tuple[str, object]] = []
    if state is None:
        if committed_at is None or committed_by is None:
            raise InvalidInputError(
                msg(
                    "plan {plan_id} is not committed yet: give committed_at and committed_by",
                    plan_id=repr(plan.plan_id),
                )
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
                msg(
                    "plan {plan_id} has no seed yet: give public numbers (rfc3797_sources)"
                    " and/or parties, and entropy_at",
                    plan_id=repr(plan.plan_id),
                )
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
    source = _Source(registry_dir, units, inspectors, sampler)
    record, outcome = _draw_entry(journal, plan, (seed_seq, seed_hex, method), source, signing)
    assumed = _plan_key(current, plan.plan_id)
    return Drawn(_append_draw(journal, plan.plan_id, assumed, entries, record, seed_at), outcome)


def record_result(journal: Journal, result: InspectionResult) -> Record:
    """Journal an inspection result (BL-7, BL-8); refused unless its draw is live and drew
    the unit, the unit has no result yet, and the inspectors are the unit's drawn team."""
    return journal.append(RESULT, unstructure(result))
