"""What stands in a journal: live results and the live record of a plan (BL-10, TJ-7, TJ-10)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.plan.tasks import AnnualPlan
from drawcore.record.annual import AnnualPlanRecord
from drawcore.record.journal import (
    Record,
)
from drawcore.record.records import DrawRecord, _structure
from drawcore.record.results import InspectionResult
from drawcore.record.seeding import (
    ANNUAL_PLAN,
    DRAW,
    RESULT,
    VOID,
)

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
            out.append(_structure(r.body, InspectionResult, msg("an inspection result")))
        except InvalidInputError as err:
            raise InvalidInputError(
                msg("journal record {seq}: {err}", seq=r.seq, err=err)
            ) from None
    return tuple(out)


def live_plan(records: Iterable[Record], plan_id: str) -> tuple[Record, AnnualPlan | DrawRecord]:
    """The live ``draw`` or ``annual_plan`` record of ``plan_id`` and the value it holds
    (a :class:`~drawcore.record.records.DrawRecord`, or the :class:`~drawcore.schedule.AnnualPlan`
    of the record's ``result``); :class:`InvalidInputError` when the plan has none."""
    record = live_record(records, plan_id)
    try:
        if record.type == DRAW:
            return record, DrawRecord.from_body(record.body)
        return record, AnnualPlanRecord.from_body(record.body).result
    except InvalidInputError as err:
        raise InvalidInputError(
            msg("journal record {seq}: {err}", seq=record.seq, err=err)
        ) from None


def live_record(records: Iterable[Record], plan_id: str) -> Record:
    """The live ``draw`` or ``annual_plan`` record of ``plan_id``, its body as journaled
    (read in a verified journal, it need not be built again: a city's annual plan takes
    seconds to build); :class:`InvalidInputError` when the plan has none."""
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
        if known:
            raise InvalidInputError(
                msg(
                    "plan {plan_id} has no live draw or annual plan in the journal "
                    "(plans drawn: {plans})",
                    plan_id=repr(plan_id),
                    plans=", ".join(known[:10]),
                )
            )
        raise InvalidInputError(
            msg(
                "plan {plan_id} has no live draw or annual plan in the journal",
                plan_id=repr(plan_id),
            )
        )
    return live[-1]
