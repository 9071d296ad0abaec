"""``drawcore redo``: a visible redo of an annual plan or of a single draw (BL-9, TJ-9).

One plan, one result: a plan is never drawn twice in silence. A redo journals, in one
all-or-nothing append, the void of the live result and of its seed (the reason, who
voided it and when), a fresh seed from new public numbers, and the new result naming
the voided one (``redo_of``) with the reason and who drew and signed it. The plan
itself (registry snapshots, parameters, rules) is the committed one: a redo cannot
choose a more convenient registry or rule set. ``drawcore verify`` replays the redo
like any other result.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from drawcore.cli.common import parse_public_numbers, require_options, signing_of
from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, _, msg

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal holding the plan or draw redone"))
    p.add_argument("--plan-id", required=True, help=N_("the annual plan's or the draw's id"))
    p.add_argument("--reason", required=True, help=N_("why the result is voided and redone"))
    p.add_argument("--voided-by", required=True, help=N_("who voids the result (accountable)"))
    p.add_argument(
        "--voided-at", required=True, help=N_("when it is voided (ISO 8601 with offset)")
    )
    p.add_argument(
        "--public-numbers",
        required=True,
        help=N_(
            "fresh RFC 3797 sources announced in advance for the redo's seed: ',' within "
            "a source, '/' between sources, e.g. 3,11,17,22,28,31/9/742"
        ),
    )
    p.add_argument(
        "--entropy-at", required=True, help=N_("when the fresh public numbers were drawn")
    )
    p.add_argument("--drawn-by", required=True, help=N_("who makes the redo (TJ-9 谁抽查)"))
    p.add_argument("--signed-by", required=True, help=N_("who signs the redo (TJ-9 谁签字)"))
    p.add_argument("--drawn-at", required=True, help=N_("when the redo is made"))
    p.add_argument("--signed-at", required=True, help=N_("when the redo is signed"))
    p.add_argument(
        "--registry-dir",
        type=Path,
        help=N_("where the registry snapshots the plan names are (default: the journal's folder)"),
    )
    p.add_argument("--show", type=int, default=10, help=N_("lines shown per section (default 10)"))
    p.add_argument(
        "--json", action="store_true", help=N_("print the records written as JSON (stable keys)")
    )


def _redo_year(args: argparse.Namespace, journal: Any, record: Any) -> tuple[Any, list[str]]:
    from drawcore.plan.forms import format_plan
    from drawcore.plugin.rules import Rules
    from drawcore.record import year_ceremony
    from drawcore.record.annual import YearPlanSpec

    spec = YearPlanSpec.from_body(record.body.get("plan"))
    done = year_ceremony.redo_year(
        journal,
        spec,
        voids=record.seq,
        reason=args.reason,
        voided_by=args.voided_by,
        at=args.voided_at,
        rules=Rules.for_jurisdiction(spec.jurisdiction),
        signing=signing_of(args),
        rfc3797_sources=parse_public_numbers(args.public_numbers),
        entropy_at=args.entropy_at,
        registry_dir=args.registry_dir,
    )
    count = len(done.plan.tasks)
    line = _("record {seq}: annual plan {plan} redone, {count} tasks").format(
        seq=done.record.seq, plan=spec.plan_id, count=count
    )
    return done.record, [line, format_plan(done.plan, limit=args.show)]


def _redo_draw(args: argparse.Namespace, journal: Any, record: Any) -> tuple[Any, list[str]]:
    from drawcore.record import ceremony
    from drawcore.record.records import DrawRecord

    plan = DrawRecord.from_body(record.body).plan
    done = ceremony.redo(
        journal,
        plan,
        voids=record.seq,
        reason=args.reason,
        voided_by=args.voided_by,
        at=args.voided_at,
        signing=signing_of(args),
        rfc3797_sources=parse_public_numbers(args.public_numbers),
        entropy_at=args.entropy_at,
        registry_dir=args.registry_dir,
    )
    units = list(done.outcome.sample.selected)
    line = _("record {seq}: draw {plan} redone, {count} units").format(
        seq=done.record.seq, plan=plan.plan_id, count=len(units)
    )
    shown = [f"  {uid}" for uid in units[: args.show]]
    return done.record, [line, *shown]


def run(args: argparse.Namespace) -> int:
    from drawcore.record.journal import Journal
    from drawcore.record.live import live_plan
    from drawcore.record.seeding import ANNUAL_PLAN

    require_options(args, "voided_by", "voided_at")
    if not args.reason.strip():
        raise InvalidInputError(msg("a redo needs its reason (--reason)"))
    if not args.journal.is_file():
        raise InvalidInputError(msg("{journal}: no such journal file", journal=args.journal))
    journal = Journal(args.journal)
    records = journal.records()
    before = len(records)
    record, _value = live_plan(records, args.plan_id)
    redo = _redo_year if record.type == ANNUAL_PLAN else _redo_draw
    new, lines = redo(args, journal, record)
    written = journal.records()[before:]
    if args.json:
        doc = {
            "plan_id": args.plan_id,
            "redo_of": record.seq,
            "reason": args.reason,
            "voided_by": args.voided_by,
            "drawn_by": args.drawn_by,
            "signed_by": args.signed_by,
            "records": [{"record": r.seq, "type": r.type} for r in written],
            "result": {"record": new.seq, "type": new.type, "seed": new.body["seed"]},
        }
        print(json.dumps(doc, ensure_ascii=False))
        return 0
    for r in written[:-1]:
        if r.type == "void":
            print(
                _("record {seq}: record {voids} voided by {who}: {reason}").format(
                    seq=r.seq, voids=r.body["voids"], who=r.body["voided_by"], reason=args.reason
                )
            )
        else:
            print(
                _("record {seq}: fresh seed {seed}... ({method})").format(
                    seq=r.seq, seed=r.body["seed"][:16], method=r.body["method"]
                )
            )
    print("\n".join(lines))
    print(
        _("drawn by {drawn}, signed by {signed}; replay it: drawcore verify {journal}").format(
            drawn=args.drawn_by, signed=args.signed_by, journal=args.journal
        )
    )
    return 0
