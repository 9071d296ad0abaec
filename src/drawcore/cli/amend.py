"""``drawcore amend``: a mid-year amendment to an annual plan, as its own visible plan.

A unit added to the registry during the year, or one that has become subject to a
planned inspection (once a year, key supervision) since the plan was drawn, cannot be
slipped into the journaled plan. The amendment is a new annual plan over those units
only, for the rest of the year (``--as-of``): committed, seeded and planned step by step
like ``drawcore plan``, naming the plan it amends, and replayed by ``drawcore verify``.

Which units: those of the renewed registry (``--county``) that the amended plan's
registry snapshot did not hold, and those the rules now plan (once-a-year or key
supervision) that the amended plan did not. Their registry is written next to the
journal (``amendments/<plan id>/``, with the other three registries copied) so the
replay reads the same snapshot.

Once-a-year and key-supervision units are placed for sure; every other unit is drawn
at random with the yearly probability the amended plan's design gives it for the part
of the year left (``share * min(1, c * w)``, :mod:`drawcore.plan.amendment`), unless
``--random-ratio`` asks for a fixed share instead. The rounds' room and each
inspector's tasks per round are what the amended plan and earlier amendments leave;
an amendment that cannot fit is refused before anything is journaled.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from drawcore.cli import plan as plan_command
from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, msg


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal holding the plan amended"))
    p.add_argument("--amends", required=True, help=N_("the live annual plan's id"))
    p.add_argument(
        "--county",
        type=Path,
        required=True,
        help=N_("directory with the renewed units, inspectors, experts and items files"),
    )
    p.add_argument(
        "--plan-id", help=N_("the amendment's id (default: <amended plan>/amend-<as-of date>)")
    )
    plan_command.configure_steps(p)


def _changed_units(amended: Any, before: Any, county: Any, rules: Any) -> list[Any]:
    """Units of ``county`` new since the amended plan's snapshot ``before``, or planned now
    and not then."""
    from drawcore.plan.once_a_year import with_once_a_year
    from drawcore.plugin.values import PlanContext

    known = {u.unit_id for u in before.units}
    planned = {m.unit_id for m in amended.mandatory} | {k.unit_id for k in amended.key_supervision}
    units = list(county.units)
    start = dt.date(amended.year, 1, 1)
    context = PlanContext(
        year=amended.year, rounds=len(amended.rounds), start=start, jurisdiction=rules.jurisdiction
    )
    decided = with_once_a_year(units, rules.evaluate(units, context), amended.year)
    now = {uid for uid, t in zip(decided.unit_ids, decided.times.tolist(), strict=True) if t > 0}
    return [u for u in units if u.unit_id not in known or (u.unit_id in now - planned)]


def run(args: argparse.Namespace) -> int:
    from drawcore.cli.common import parse_date
    from drawcore.plan.tasks import AnnualPlan
    from drawcore.plugin.rules import Rules
    from drawcore.record.amendments import amendment_of
    from drawcore.record.annual import YearPlanSpec
    from drawcore.record.journal import Journal
    from drawcore.record.live import live_plan
    from drawcore.record.snapshots import load_county
    from drawcore.registry.readers import COUNTY_FILES, read_county
    from drawcore.registry.registries import UnitRegistry
    from drawcore.registry.writers import write_units

    if args.as_of is None:
        raise InvalidInputError(msg("an amendment needs --as-of (the day it is made)"))
    records = Journal(args.journal).records()
    record, amended = live_plan(records, args.amends)
    if not isinstance(amended, AnnualPlan):
        raise InvalidInputError(
            msg("{amends!r} is a single draw, not an annual plan", amends=args.amends)
        )
    spec = YearPlanSpec.from_body(record.body.get("plan"))
    rules = Rules.for_jurisdiction(spec.jurisdiction)
    before = load_county(spec, args.journal.resolve().parent)
    changed = _changed_units(amended, before, read_county(args.county), rules)
    if not changed:
        print(f"nothing to amend: no unit added to or newly planned in {args.amends}")
        return 0
    plan_id = args.plan_id or f"{args.amends}/amend-{args.as_of}"
    folder = args.journal.resolve().parent / "amendments" / plan_id.replace("/", "_")
    if not folder.exists():
        folder.mkdir(parents=True)
        for kind, stem in COUNTY_FILES.items():
            if kind == "units":
                write_units(UnitRegistry.from_records(changed), folder / f"{stem}.csv")
                continue
            src = next(
                (
                    p
                    for p in (args.county / f"{stem}.csv", args.county / f"{stem}.json")
                    if p.exists()
                ),
                None,
            )
            if src is None:
                raise InvalidInputError(
                    msg(
                        "--county {county}: no {stem}.csv or {stem}.json",
                        county=args.county,
                        stem=stem,
                    )
                )
            shutil.copyfile(src, folder / src.name)
    print(
        f"amendment {plan_id} of {args.amends}: {len(changed)} unit(s) added or newly planned "
        f"(snapshot in {folder})"
    )
    args.county, args.plan_id, args.year = folder, plan_id, spec.year
    args.rounds, args.tasks_per_inspector = spec.rounds, spec.parameters.tasks_per_inspector
    plan_state = Journal(args.journal).ceremony().plans.get(plan_id)
    if plan_state is not None:  # committed earlier: the journal as it stood then
        records = records[: plan_state.commitment_seq]
    amendment = amendment_of(
        records,
        args.amends,
        as_of=parse_date(args.as_of, "--as-of"),
        county=before,
        rules=rules,
    )
    new_spec, county, prepared = plan_command.plan_spec(
        args, rules, amends=args.amends, amendment=amendment
    )
    return plan_command.steps(args, new_spec, county, rules, prepared)
