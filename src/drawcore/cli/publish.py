"""``drawcore publish``: one quarter's publication (CSV, JSON, HTML), personal data masked."""

from __future__ import annotations

import argparse
from pathlib import Path

# -- publish ------------------------------------------------------------------------------------


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help="the journal file")
    p.add_argument("--out", type=Path, required=True, help="directory for the published files")
    p.add_argument("--quarter", help="publish one quarter, e.g. 2026Q1 (default: everything)")
    p.add_argument(
        "--registry-dir",
        type=Path,
        help="where the registry snapshots named by the draws are (default: the journal's dir)",
    )
    p.add_argument("--items", type=Path, help="the inspection item list to publish")
    p.add_argument(
        "--lang",
        choices=("zh", "zh_CN", "en"),
        help="language of the pages and CSV files (default: Simplified Chinese, or English "
        "when LANGUAGE/LC_ALL/LANG starts with en)",
    )
    p.add_argument(
        "--jurisdiction",
        help="whose masking rules apply (the plugin's drawcore_mask_field hook, then the "
        "national ones; default: national practice only)",
    )
    p.add_argument(
        "--withhold",
        nargs="*",
        default=[],
        metavar="FIELD",
        help="fields withheld as commercial secret (e.g. handling_opinion)",
    )


def run(args: argparse.Namespace) -> int:
    from drawcore.i18n import language_from_env, normalise
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
        lang=normalise(args.lang) if args.lang else language_from_env(),
    )
    print(f"published {len(files)} files to {args.out}: {', '.join(f.name for f in files)}")
    return 0
