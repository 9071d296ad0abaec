"""``drawcore followup`` and ``drawcore completion``: the use of results (BL-10, TJ-7, TJ-10)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from drawcore.cli.common import parse_date, verified_records
from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, _, current, msg


def configure_followup(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal holding the results"))
    p.add_argument("--units", type=Path, required=True, help=N_("the unit registry to follow up"))
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help=N_("where to write the new unit registry (.csv or .json; not the --units file)"),
    )
    p.add_argument(
        "--registry-dir",
        type=Path,
        help=N_("where the registry snapshots named by the draws are (default: the journal's dir)"),
    )
    p.add_argument("--plan-id", help=N_("use the results of this plan only (default: every plan)"))


def run_followup(args: argparse.Namespace) -> int:
    """BL-10, TJ-7: the journal's live results applied to a unit registry: next year's registry."""
    from drawcore.publish.followup import apply_results, format_changes
    from drawcore.publish.masking import scrub
    from drawcore.record.live import live_results
    from drawcore.registry.readers import read_units
    from drawcore.registry.writers import write_units

    if args.out.resolve() == args.units.resolve():
        raise InvalidInputError(
            msg(
                "--out {out} is the --units file; write the new registry beside it "
                "(the journal names the old one by fingerprint)",
                out=args.out,
            )
        )
    units = read_units(args.units)
    records = verified_records(args.journal, args.registry_dir)
    if records is None:
        return 1
    results = live_results(records, plan_id=args.plan_id)
    if args.plan_id is not None and not results:
        raise InvalidInputError(
            msg(
                "plan {plan_id!r} has no live results in {journal}",
                plan_id=args.plan_id,
                journal=args.journal,
            )
        )
    new, changes = apply_results(units, results)
    write_units(new, args.out)
    applied = _("{results} live result(s) applied to {units} units of {file}")
    print(applied.format(results=len(results), units=len(units), file=args.units))
    print(scrub(format_changes(changes, new, lang=current())))
    written = _("new unit registry: {file} (fingerprint {fingerprint})")
    print(written.format(file=args.out, fingerprint=new.fingerprint))
    return 0


def configure_completion(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal holding the plan and its results"))
    p.add_argument("--plan-id", required=True, help=N_("the draw or annual plan to assess"))
    p.add_argument("--as-of", required=True, help=N_("the assessment date, e.g. 2026-06-30"))
    p.add_argument(
        "--due",
        help=N_(
            "when a draw's tasks are due (a draw has no timetable; an annual plan's "
            "rounds give their own)"
        ),
    )
    p.add_argument(
        "--registry-dir",
        type=Path,
        help=N_("where the registry snapshots named by the draws are (default: the journal's dir)"),
    )
    p.add_argument(
        "--fail-overdue",
        action="store_true",
        help=N_("exit 1 when a task or a round's publication is overdue (default: exit 0)"),
    )
    p.add_argument("--json", action="store_true", help=N_("print the report as JSON (stable keys)"))


def run_completion(args: argparse.Namespace) -> int:
    """TJ-10: the plan's tasks due, done and overdue on --as-of, with who answers for each.

    Exit 0 when the report was made (overdue work is reported, not an error);
    with ``--fail-overdue``, 1 when any task or publication is overdue."""
    from drawcore.i18n import current
    from drawcore.publish.completion import completion_report, format_completion
    from drawcore.publish.masking import scrub
    from drawcore.record.live import live_plan, live_results

    as_of = parse_date(args.as_of, "--as-of")
    due = parse_date(args.due, "--due")
    records = verified_records(args.journal, args.registry_dir)
    if records is None:
        return 1
    record, plan = live_plan(records, args.plan_id)
    report = completion_report(
        plan,
        live_results(records, plan_id=args.plan_id),
        as_of=as_of,
        signed_by=str(record.body["signed_by"]),
        due=due,
    )
    late_publication = sum(rd.publication_overdue for rd in report.rounds)
    if args.json:
        print(scrub(completion_json(report, record.seq, late_publication)))
        return 1 if args.fail_overdue and (report.overdue or late_publication) else 0
    print(scrub(format_completion(report, lang=current())))
    if report.overdue or late_publication:
        late = _(
            "overdue: {tasks} task(s), {rounds} round(s) with results not published in time "
            "(record {record}, as of {as_of})"
        )
        print(
            late.format(
                tasks=report.overdue, rounds=late_publication, record=record.seq, as_of=as_of
            )
        )
    else:
        print(
            _("overdue: none (record {record}, as of {as_of})").format(
                record=record.seq, as_of=as_of
            )
        )
    return 1 if args.fail_overdue and (report.overdue or late_publication) else 0


def completion_json(report: Any, record: int, late_publication: int) -> str:
    """The completion report as JSON: the report's fields, dates as ISO text."""
    import json

    import attrs

    doc = {
        "record": record,
        "overdue_tasks": report.overdue,
        "late_publications": late_publication,
        **attrs.asdict(report),
    }
    return json.dumps(doc, ensure_ascii=False, default=str)
