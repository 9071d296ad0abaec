"""``drawcore publish``: one quarter's publication (CSV, JSON, HTML), personal data masked."""

from __future__ import annotations

import argparse
from pathlib import Path

from drawcore.i18n import N_

# -- publish ------------------------------------------------------------------------------------


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal file"))
    p.add_argument("--out", type=Path, required=True, help=N_("directory for the published files"))
    p.add_argument("--quarter", help=N_("publish one quarter, e.g. 2026Q1 (default: everything)"))
    p.add_argument(
        "--registry-dir",
        type=Path,
        help=N_("where the registry snapshots named by the draws are (default: the journal's dir)"),
    )
    p.add_argument("--items", type=Path, help=N_("the inspection item list to publish"))
    p.add_argument(
        "--jurisdiction",
        help=N_(
            "whose masking rules apply (the plugin's drawcore_mask_field hook, then the "
            "national ones; default: national practice only)"
        ),
    )
    p.add_argument(
        "--withhold",
        nargs="*",
        default=[],
        metavar="FIELD",
        help=N_("fields withheld as commercial secret (e.g. handling_opinion)"),
    )


def run(args: argparse.Namespace) -> int:
    from drawcore.i18n import _, current
    from drawcore.plugin.rules import Rules
    from drawcore.publish.disclosure import publish
    from drawcore.registry.readers import read_items

    rules = Rules.for_jurisdiction(args.jurisdiction)
    items = read_items(args.items) if args.items is not None else None
    files = publish(
        args.journal,
        args.out,
        quarter=args.quarter,
        registry_dir=args.registry_dir,
        items=items,
        mask=rules.mask,
        withhold=frozenset(args.withhold),
        lang=current(),
        reason_text=rules.reason_text,
    )
    print(
        _("published {count} files to {out}: {names}").format(
            count=len(files), out=args.out, names=", ".join(f.name for f in files)
        )
    )
    return 0
