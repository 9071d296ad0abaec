"""``drawcore plan``: the annual-plan ceremony, step by step, like ``drawcore draw``.

Commit the year's spec (registry snapshots, parameters, the rules' decisions), form
the seed from public numbers and/or parties, then plan the year and journal the
``annual_plan`` record. Each step is done once; run the command again with the next
step's options. ``drawcore verify`` replays the plan; ``drawcore publish`` exports it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import Any

from drawcore.cli.common import (
    add_ceremony_options,
    parse_pair,
    parse_public_numbers,
    party_steps,
    require_options,
    signing_of,
)
from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, _, current, msg


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            msg("{option}: {text!r} is not a date (YYYY-MM-DD)", option=option, text=text)
        ) from None


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal file (created if missing)"))
    p.add_argument(
        "--county",
        type=Path,
        required=True,
        help=N_(
            "directory with the units, inspectors, experts and items files (the snapshot "
            "the plan names; verify reads it again relative to the journal)"
        ),
    )
    p.add_argument("--plan-id", required=True, help=N_("the plan's id, e.g. 2026-boluo"))
    p.add_argument("--year", type=int, required=True, help=N_("the plan's year"))
    p.add_argument(
        "--jurisdiction",
        help=N_("the rules of this jurisdiction (e.g. boluo, tianjin); default: national only"),
    )
    p.add_argument(
        "--rounds", type=int, default=4, help=N_("rounds of whole months: 1 2 3 4 6 12 (default 4)")
    )
    p.add_argument(
        "--tasks-per-inspector", type=int, default=20, help=N_("tasks per inspector per round")
    )
    configure_steps(p)


def configure_steps(p: argparse.ArgumentParser) -> None:
    """The options ``drawcore plan`` and ``drawcore amend`` share."""
    p.add_argument(
        "--capacity",
        type=int,
        nargs="+",
        metavar="N",
        help=N_("tasks per round instead of the computed capacity: one number, or one per round"),
    )
    p.add_argument(
        "--random-ratio", type=float, help=N_("share of the drawable units drawn this year (0..1)")
    )
    p.add_argument("--registry-date", help=N_("when the unit registry was last renewed (BL-3)"))
    p.add_argument(
        "--as-of",
        help=N_("the day the plan is made (YYYY-MM-DD); rounds already over get no placements"),
    )
    p.add_argument(
        "--conflict",
        action="append",
        default=[],
        metavar="INSPECTOR=UNIT",
        help=N_(
            "a declared conflict of interest (BL-5 回避): the inspector never inspects the "
            "unit (repeatable)"
        ),
    )
    p.add_argument(
        "--office-team",
        action="append",
        default=[],
        metavar="UNIT=I1,I2",
        help=N_(
            "the team the office fixed for a unit's general inspections (TJ-5), "
            "comma-separated inspector ids (repeatable)"
        ),
    )
    add_ceremony_options(p, "plan")
    p.add_argument("--show", type=int, default=10, help=N_("lines shown per section (default 10)"))
    p.add_argument(
        "--json",
        action="store_true",
        help=N_(
            "print the records written (and the plan: yearly probabilities, tasks, teams) as JSON"
        ),
    )


def county_refs(directory: Path, journal: Path) -> tuple[Any, dict[str, Any]]:
    """The county in ``directory`` and its snapshot refs, relative to the journal's folder."""
    from drawcore.record.draw_plans import RegistryRef
    from drawcore.registry.readers import COUNTY_FILES, read_county

    county = read_county(directory)
    base = journal.resolve().parent
    refs = {}
    for kind, stem in COUNTY_FILES.items():
        found = [p for p in (directory / f"{stem}.csv", directory / f"{stem}.json") if p.exists()]
        if not found:
            raise InvalidInputError(
                msg(
                    "--county {directory}: no {stem}.csv or {stem}.json",
                    directory=directory,
                    stem=stem,
                )
            )
        refs[kind] = RegistryRef(
            path=os.path.relpath(found[0].resolve(), base),
            fingerprint=getattr(county, kind).fingerprint,
        )
    return county, refs


def plan_spec(args: argparse.Namespace, rules: Any, **extra: Any) -> tuple[Any, Any, Any]:
    """The year's spec, the county it names (paths relative to the journal) and the
    rules' decisions it committed."""
    from drawcore.draw.team_model import Recusal
    from drawcore.record.annual import prepared_year_plan_spec

    county, refs = county_refs(args.county, args.journal)
    conflicts = []
    for text in args.conflict:
        inspector, unit = parse_pair(text, "--conflict")
        conflicts.append(Recusal(inspector_id=inspector, unit_id=unit))
    office_teams = {}
    for text in args.office_team:
        unit, members = parse_pair(text, "--office-team")
        office_teams[unit] = [m.strip() for m in members.split(",") if m.strip()]
    capacity = args.capacity[0] if args.capacity and len(args.capacity) == 1 else args.capacity
    spec, prepared = prepared_year_plan_spec(
        args.plan_id,
        county,
        refs,
        rules=rules,
        conflicts=conflicts,
        office_teams=office_teams,
        year=args.year,
        rounds=args.rounds,
        tasks_per_inspector=args.tasks_per_inspector,
        capacity=capacity,
        random_ratio=args.random_ratio,
        registry_date=_date(args.registry_date, "--registry-date") if args.registry_date else None,
        as_of=_date(args.as_of, "--as-of") if args.as_of else None,
        **extra,
    )
    return spec, county, prepared


def run(args: argparse.Namespace) -> int:
    from drawcore.plugin.rules import Rules

    rules = Rules.for_jurisdiction(args.jurisdiction)
    # bad options and impossible plans fail before any record
    spec, county, prepared = plan_spec(args, rules)
    return steps(args, spec, county, rules, prepared)


def steps(args: argparse.Namespace, spec: Any, county: Any, rules: Any, prepared: Any) -> int:
    """Commit, seed and plan ``spec``, each step once, as the options given allow; with
    ``--json`` print what they journaled as one JSON document instead. ``prepared``: the
    rules' decisions ``spec`` committed, made on ``county``."""
    if not getattr(args, "json", False):
        return _steps(args, spec, county, rules, prepared)
    import contextlib
    import io

    from drawcore.cli.console import plan_json
    from drawcore.record.journal import Journal

    before = Journal(args.journal).refresh() if args.journal.exists() else 0
    with contextlib.redirect_stdout(io.StringIO()):
        status = _steps(args, spec, county, rules, prepared)
    print(plan_json(Journal(args.journal).records()[before:], spec.plan_id))
    return status


def _steps(args: argparse.Namespace, spec: Any, county: Any, rules: Any, prepared: Any) -> int:
    from drawcore.plan.forms import format_plan
    from drawcore.record import commitments, year_ceremony
    from drawcore.record.journal import Journal

    plugins = ", ".join(f"{n} {v}" for n, v in spec.rules) or "none"
    head = _(
        "annual plan {plan}: {year} in {rounds} rounds, rules of {jurisdiction} ({plugins}); "
        "rules' decisions {decisions}"
    )
    print(
        head.format(
            plan=spec.plan_id,
            year=spec.year,
            rounds=spec.rounds,
            jurisdiction=spec.jurisdiction or _("national practice only"),
            plugins=plugins,
            decisions=spec.commitment,
        )
    )
    journal = Journal(args.journal)
    state = journal.ceremony().plans.get(spec.plan_id)
    if state is None:
        require_options(args, "committed_at", "committed_by")
    seeding_now = args.public_numbers is not None or args.party_reveal
    if state is None and (not seeding_now or args.party_commit):
        rec = commitments.commit_plan(
            journal, spec, committed_at=args.committed_at, committed_by=args.committed_by
        )
        committed = _("record {seq}: annual plan {plan} committed, hash {hash}")
        print(committed.format(seq=rec.seq, plan=spec.plan_id, hash=spec.hash))
        state = journal.ceremony().plans.get(spec.plan_id)
    party_steps(journal, spec.plan_id, args)
    has_seed = state is not None and state.seed is not None
    if not has_seed and not seeding_now:
        later = _(
            "no seed yet: run again with --public-numbers and/or --party-reveal after the draw"
        )
        print(later)
        return 0
    signing = signing_of(args)
    if not has_seed:
        if state is None:
            rec = commitments.commit_plan(
                journal, spec, committed_at=args.committed_at, committed_by=args.committed_by
            )
            committed = _("record {seq}: annual plan {plan} committed, hash {hash}")
            print(committed.format(seq=rec.seq, plan=spec.plan_id, hash=spec.hash))
        require_options(args, "entropy_at")
        rec = commitments.form_seed(
            journal,
            spec,
            entropy_at=args.entropy_at,
            recorded_at=args.drawn_at,
            rfc3797_sources=parse_public_numbers(args.public_numbers)
            if args.public_numbers
            else None,
            parties=bool(args.party_reveal),
        )
        seeded = _("record {seq}: seed {seed}... ({method})")
        print(seeded.format(seq=rec.seq, seed=rec.body["seed"][:16], method=rec.body["method"]))
    drawn = year_ceremony.draw_year(
        journal,
        spec,
        rules=rules,
        signing=signing,
        county=county,
        prepared=prepared,
    )
    planned = _(
        "record {seq}: annual plan {plan}, {tasks} tasks; drawn by {drawn_by}, "
        "signed by {signed_by}"
    )
    print(
        planned.format(
            seq=drawn.record.seq,
            plan=spec.plan_id,
            tasks=len(drawn.plan.tasks),
            drawn_by=args.drawn_by,
            signed_by=args.signed_by,
        )
    )
    print(format_plan(drawn.plan, limit=args.show, lang=current(), reason_text=rules.reason_text))
    print("\n" + _("replay it: {command}").format(command=f"drawcore verify {args.journal}"))
    return 0
