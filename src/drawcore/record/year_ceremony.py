"""The annual plan's ceremony: after :mod:`drawcore.record.commitments` has journaled
the :class:`~drawcore.record.annual.YearPlanSpec`'s hash and its seed,
:func:`draw_year` runs :func:`~drawcore.record.annual.run_year` and journals an
``annual_plan`` record; :func:`redo_year` voids one and plans the year again with
fresh public numbers, in one visible, all-or-nothing append (BL-5, BL-9, TJ-5).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from drawcore.errors import InvalidInputError, JournalError
from drawcore.i18n import msg
from drawcore.plan.prepare import Prepared
from drawcore.plan.tasks import AnnualPlan
from drawcore.plugin.rules import Rules
from drawcore.record.annual import (
    YearPlanSpec,
    prepare_spec,
    run_year,
    spec_inputs,
    year_plan_record,
)
from drawcore.record.ceremony import _live_seed
from drawcore.record.journal import Journal, Record
from drawcore.record.seeding import ANNUAL_PLAN, SEED, VOID, seed_body, void_body
from drawcore.record.signing import Signing
from drawcore.record.snapshots import load_county
from drawcore.registry.headers import PathLike
from drawcore.registry.registries import County

__all__ = ["YearDrawn", "draw_year", "redo_year"]


@attrs.frozen
class YearDrawn:
    """A journaled annual plan: its ``annual_plan`` record and the plan it holds."""

    record: Record
    plan: AnnualPlan


def draw_year(
    journal: Journal,
    spec: YearPlanSpec,
    *,
    rules: Rules,
    signing: Signing,
    registry_dir: PathLike | None = None,
    county: County | None = None,
    prepared: Prepared | None = None,
) -> YearDrawn:
    """Plan the committed, seeded year and journal the ``annual_plan`` record.

    Like a single draw (:func:`drawcore.record.ceremony.draw`): refused without a
    commitment of this spec's hash and a live seed formed after it, or when the plan
    already has a result; the
    registries (read from the spec's snapshots under ``registry_dir`` unless
    given) must match its fingerprints and ``rules`` its plugin versions; the
    plan is made before anything is written, so a failure writes nothing.
    ``prepared``: the rules' decisions for ``spec`` on ``county`` (given with it), as
    :func:`~drawcore.record.annual.prepared_year_plan_spec` made them, so that they
    are not asked again; the plan's commitment is still checked against the spec's.
    """
    if prepared is not None and county is None:
        raise InvalidInputError(
            msg("give the county the rules' decisions were made on with them (county=)")
        )
    seed_seq, seed_hex, method = _live_seed(
        journal,
        spec.plan_id,
        spec.hash,
        what=msg("annual plan"),
        this="spec",
        remedy="void it first (a visible record with a reason)",
    )
    base = registry_dir if registry_dir is not None else journal.path.parent
    regs = county if county is not None else load_county(spec, base)
    seed = bytes.fromhex(seed_hex)
    prep = prepared if prepared is not None else prepare_spec(spec, regs, rules)
    plan = run_year(spec, regs, rules, seed, prepared=prep)
    body = year_plan_record(
        spec,
        plan,
        inputs=spec_inputs(spec, regs, rules, prepared=prep),
        seed=seed,
        seed_record=seed_seq,
        seed_method=method,
        population=len(regs.units),
        signing=signing,
    )
    return YearDrawn(journal.append(ANNUAL_PLAN, body), plan)


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
            msg(
                "redo of annual plan {plan_id} refused: record {voids} is not its live plan",
                plan_id=repr(spec.plan_id),
                voids=voids,
            )
        )
    if state.plan_hash != spec.hash:
        raise JournalError(
            msg("plan {plan_id} was committed with another plan hash", plan_id=repr(spec.plan_id))
        )
    assert state.seed_seq is not None
    if not reason.strip():
        raise InvalidInputError(msg("a redo needs its reason"))
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
    prep = prepare_spec(spec, regs, rules)
    plan = run_year(spec, regs, rules, seed_bytes, prepared=prep)
    seed_seq = journal.size + 2
    body = year_plan_record(
        spec,
        plan,
        inputs=spec_inputs(spec, regs, rules, prepared=prep),
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
