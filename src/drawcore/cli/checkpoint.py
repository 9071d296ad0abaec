"""``drawcore checkpoint``: verify a journal, then append its checkpoint to a checkpoint file.

A checkpoint (number of records, Merkle root) is what a later ``drawcore verify
--checkpoint`` compares the journal with: keep the file where the journal's
writer cannot rewrite it, and publish it (``drawcore publish`` writes the one it
was made from). The journal must verify first, replaying every draw: a
checkpoint of a damaged journal would vouch for the damage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from drawcore.i18n import N_, _, current

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal file"))
    p.add_argument(
        "--out",
        type=Path,
        help=N_("the checkpoint file to append to (default: checkpoints.jsonl beside the journal)"),
    )
    p.add_argument("--at", help=N_("when the checkpoint is taken, e.g. 2026-03-31T17:00:00+08:00"))
    p.add_argument(
        "--registry-dir",
        type=Path,
        help=N_("where the registry snapshots named by the draws are (default: the journal's dir)"),
    )
    p.add_argument("--json", action="store_true", help=N_("print the checkpoint as JSON"))


def run(args: argparse.Namespace) -> int:
    from drawcore.errors import InvalidInputError
    from drawcore.record.checkpoints import write_checkpoint
    from drawcore.record.journal import Journal
    from drawcore.record.verification import verify_draws

    if not args.journal.is_file():
        raise InvalidInputError(_("{path}: no such journal file").format(path=args.journal))
    if args.at is not None:
        from drawcore.publish.tables import quarter_of

        quarter_of(args.at)  # refuses what is no ISO 8601 timestamp
    report = verify_draws(args.journal, registry_dir=args.registry_dir)
    if not report.ok:
        print(
            _("drawcore: {path} does not verify; no checkpoint written").format(path=args.journal),
            file=sys.stderr,
        )
        print(report.format(current()), file=sys.stderr)
        return 1
    journal = Journal(args.journal)
    cp = journal.checkpoint(at=args.at)
    if cp.size != report.records or cp.root != report.root:
        raise InvalidInputError(
            _("{path} changed while it was verified; run the command again").format(
                path=args.journal
            )
        )
    out = args.out if args.out is not None else args.journal.with_name("checkpoints.jsonl")
    write_checkpoint(out, cp)
    if args.json:
        print(json.dumps({"checkpoint": json.loads(cp.to_json()), "file": str(out)}))
    else:
        print(
            _("checkpoint: {size} records, Merkle root {root} -> {out}").format(
                size=cp.size, root=cp.root, out=out
            )
        )
    return 0
