"""``drawcore verify``: chain, Merkle root against checkpoints, and a replay of every draw."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from drawcore.i18n import N_, _, current

# -- verify -----------------------------------------------------------------------------------


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal file (one JSON record per line)"))
    p.add_argument(
        "--checkpoint",
        type=Path,
        help=N_("a checkpoint file held elsewhere; every checkpoint in it must match the journal"),
    )
    p.add_argument(
        "--registry-dir",
        type=Path,
        help=N_(
            "where the registry snapshots named by draw records are "
            "(default: the journal's directory)"
        ),
    )
    p.add_argument(
        "--no-replay", action="store_true", help=N_("check hashes, chain and rules only")
    )
    p.add_argument("--json", action="store_true", help=N_("print the report as JSON (stable keys)"))


def run(args: argparse.Namespace) -> int:
    from drawcore.record.journal_check import verify_file
    from drawcore.record.verification import replayers

    replay = None if args.no_replay else replayers(args.journal, registry_dir=args.registry_dir)
    report = verify_file(args.journal, args.checkpoint, replay=replay)
    if args.json:
        import json

        problems = [
            {"record": p.record, "kind": p.kind, "message": p.message} for p in report.problems
        ]
        doc = {
            "ok": report.ok,
            "journal": str(args.journal),
            "records": report.records,
            "root": report.root,
            "problems": problems,
            "notes": list(report.notes),
        }
        print(json.dumps(doc, ensure_ascii=False))
        return 0 if report.ok else 1
    lang = current()
    print(report.format(lang))
    if not report.ok:
        first = report.problems[0].format(lang) if report.problems else ""
        count = len(report.problems) + report.more_problems
        failed = _("drawcore: verify failed: {count} problem(s); {first}")
        print(failed.format(count=count, first=first), file=sys.stderr)
        return 1
    return 0
