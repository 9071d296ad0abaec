"""The ceremony's first steps: commit a plan, then form its seed (BL-5, BL-9).

1. :func:`commit_plan` journals the hash of a :class:`~drawcore.record.draw_plans.DrawPlan`
   or an annual plan's :class:`~drawcore.record.annual.YearPlanSpec` *before* any
   entropy exists (optionally :func:`commit_party` / :func:`reveal_party` for several
   parties' contributions). A draw plan is first checked against its registries, so
   an impossible plan is refused before anything is written.
2. :func:`form_seed` journals the seed from public numbers announced in advance
   (RFC 3797) and/or the parties' revealed contributions.

The draw that follows is in :mod:`drawcore.record.ceremony` (single draws) and
:mod:`drawcore.record.year_ceremony` (annual plans).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drawcore.errors import InvalidInputError, JournalError
from drawcore.i18n import msg
from drawcore.record.annual import YearPlanSpec
from drawcore.record.draw_plans import DrawPlan
from drawcore.record.journal import Journal, Record
from drawcore.record.plan_checks import check_plan
from drawcore.record.seeding import (
    PARTY_COMMITMENT,
    PARTY_REVEAL,
    PLAN_COMMITMENT,
    SEED,
    party_commitment_body,
    party_reveal_body,
    plan_commitment_body,
    seed_body,
)
from drawcore.record.snapshots import load_inspectors, load_units
from drawcore.registry.headers import PathLike
from drawcore.registry.registries import InspectorRegistry, UnitRegistry

__all__ = ["commit_party", "commit_plan", "committed_state", "form_seed", "reveal_party"]


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
                msg(
                    "plan {plan_id}: parties=True but no party has revealed a contribution",
                    plan_id=plan.plan_id,
                )
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
