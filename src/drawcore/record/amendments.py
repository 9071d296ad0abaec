"""A mid-year amendment's :class:`~drawcore.plan.amendment.Amendment`, read from the journal.

What an amendment takes from the plan it amends is fixed before its commitment, from
what stands in the journal then: the amended plan's live ``annual_plan`` record and
the live amendments of it journaled earlier (their tasks per round and per person),
the amended plan's scale (its yearly probabilities over the weights its rules gave),
and the share of the year left on the amendment's ``as_of`` day. The value is part of
the amendment's committed parameters, so ``drawcore verify`` replays the amendment
from its record and, with :func:`amendment_difference`, checks the value against the
journal before the amendment's commitment.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from drawcore.errors import DrawcoreError, InvalidInputError
from drawcore.i18n import msg
from drawcore.plan.amendment import Amendment, share_of_year_left, yearly_scale
from drawcore.plan.policy import Policy
from drawcore.plan.tasks import AnnualPlan, TaskKind
from drawcore.record.annual import AnnualPlanRecord, YearPlanSpec, prepare_spec
from drawcore.record.journal import Record
from drawcore.record.seeding import ANNUAL_PLAN, PLAN_COMMITMENT, VOID
from drawcore.registry.registries import County

__all__ = ["amended_plans", "amendment_difference", "amendment_of"]


def amended_plans(records: Iterable[Record], amends: str) -> list[tuple[Record, AnnualPlan]]:
    """The live ``annual_plan`` record of ``amends`` and of every live amendment of it,
    in journal order; :class:`InvalidInputError` when ``amends`` has no live plan."""
    recs = list(records)
    voided = {int(r.body["voids"]) for r in recs if r.type == VOID}
    out: list[tuple[Record, AnnualPlan]] = []
    for r in recs:
        if r.type != ANNUAL_PLAN or r.seq in voided or not isinstance(r.body, dict):
            continue
        spec = r.body.get("plan")
        named = spec.get("amends") if isinstance(spec, dict) else None
        if r.body.get("plan_id") == amends or named == amends:
            plan = AnnualPlanRecord.from_body(r.body).result
            out.append((r, plan))
    if not any(r.body.get("plan_id") == amends for r, _ in out):
        raise InvalidInputError(
            msg("plan {plan} has no live annual plan in the journal", plan=repr(amends))
        )
    return out


def _weights(spec: YearPlanSpec, county: County, rules: Policy) -> dict[str, float]:
    """Unit id -> the weight the amended plan's rules gave each unit of its snapshot."""
    prep = prepare_spec(spec, county, rules)
    return dict(zip((u.unit_id for u in prep.units), prep.decisions.weights.tolist(), strict=True))


def amendment_of(
    records: Sequence[Record], amends: str, *, as_of: dt.date, county: County, rules: Policy
) -> Amendment:
    """What an amendment made on ``as_of`` takes from plan ``amends`` (see module docs).

    ``records``: the journal as it stands before the amendment's commitment; ``county``:
    the amended plan's registry snapshots; ``rules``: its rules.
    """
    plans = amended_plans(records, amends)
    base_record, base = next((r, p) for r, p in plans if r.body.get("plan_id") == amends)
    spec = YearPlanSpec.from_body(base_record.body.get("plan"))
    if as_of.year != spec.year:
        raise InvalidInputError(
            msg(
                "an amendment of {plan} is made in its year {year}, not on {day}",
                plan=amends,
                year=spec.year,
                day=as_of.isoformat(),
            )
        )
    taken = [0] * len(base.rounds)
    held: Counter[tuple[int, str]] = Counter()
    for _record, plan in plans:
        for rd in plan.rounds:
            taken[rd.index - 1] += len(rd.tasks)
            for task in rd.tasks:
                for person in (*task.inspectors, *task.experts):
                    held[(rd.index, person)] += 1
    probabilities = dict(base.yearly_probabilities)
    drawn = {t.unit_id for t in base.tasks if t.kind is TaskKind.DRAWN}
    return Amendment(
        amends=amends,
        scale=yearly_scale(
            {u: p for u, p in probabilities.items() if u in drawn or p < 1},
            _weights(spec, county, rules),
        ),
        share=share_of_year_left(as_of),
        capacity=tuple(rd.capacity for rd in base.rounds),
        taken=tuple(taken),
        held=tuple((r, p, n) for (r, p), n in held.items()),
    )


def amendment_difference(
    records: Sequence[Record],
    body: Mapping[str, Any],
    load: Callable[[YearPlanSpec], tuple[County, Policy]],
) -> str | None:
    """For an amendment's ``annual_plan`` body: a problem when its committed
    :class:`Amendment` is not what ``records`` (the journal, in order) held before the
    amendment's commitment, else ``None``. ``load`` gives the amended plan's
    snapshots and rules from its spec."""
    try:
        spec = YearPlanSpec.from_body(body.get("plan"))
    except InvalidInputError as err:
        return str(err)
    committed = spec.parameters.amendment
    if committed is None or spec.parameters.as_of is None:
        return None
    start = next(
        (
            k
            for k, r in enumerate(records)
            if r.type == PLAN_COMMITMENT and r.body.get("plan_id") == spec.plan_id
        ),
        len(records),
    )
    before = records[:start]
    try:
        base = next(
            r
            for r, _ in amended_plans(before, committed.amends)
            if r.body.get("plan_id") == committed.amends
        )
        county, rules = load(YearPlanSpec.from_body(base.body.get("plan")))
        expected = amendment_of(
            before, committed.amends, as_of=spec.parameters.as_of, county=county, rules=rules
        )
    except DrawcoreError as err:
        return f"cannot re-derive amendment {spec.plan_id}: {err}"
    if expected != committed:
        return (
            f"amendment {spec.plan_id} commits {committed!r}, but the journal before its "
            f"commitment gives {expected!r}"
        )
    return None
