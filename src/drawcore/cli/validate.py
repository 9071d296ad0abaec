"""``drawcore validate``: check a registry file; print a summary, or every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from drawcore.cli.common import summarise
from drawcore.cli.console import rows_progress
from drawcore.errors import InvalidInputError
from drawcore.i18n import _, current
from drawcore.registry.headers import REGISTRY_KINDS
from drawcore.registry.readers import detect_kind, read_registry

# -- validate ---------------------------------------------------------------------------------


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="a registry file (.xlsx, .xls, .ods, .csv or .json)")
    p.add_argument(
        "--kind",
        choices=sorted(REGISTRY_KINDS),
        help="which registry the file holds (default: told by its header row)",
    )
    p.add_argument("--sheet", help="the spreadsheet's sheet to read (default: the first sheet)")
    p.add_argument(
        "--encoding", help="text encoding (default: UTF-8, with or without BOM, or GB18030)"
    )
    p.add_argument(
        "--allow-unknown-columns",
        action="store_true",
        help="ignore columns the header mapping does not know instead of rejecting the file",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON (stable keys)")


def _kind(args: argparse.Namespace) -> str:
    """``--kind``, else told by the header; a file whose header cannot tell (a required
    column missing, say) is read as the kind its name says, so the reader can say what
    is wrong with it."""
    if args.kind:
        return str(args.kind)
    try:
        return detect_kind(args.file, encoding=args.encoding, sheet=args.sheet)
    except InvalidInputError:
        stem = args.file.stem.lower()
        named = [k for k in REGISTRY_KINDS if k in stem or k.rstrip("s") in stem]
        if len(named) != 1:
            raise
        return named[0]


def run(args: argparse.Namespace) -> int:
    kind = _kind(args)
    with rows_progress(args.file.name) as progress:
        registry = read_registry(
            REGISTRY_KINDS[kind],
            args.file,
            encoding=args.encoding,
            allow_unknown_columns=args.allow_unknown_columns,
            sheet=args.sheet,
            progress=progress,
        )
    if args.json:
        import json

        doc = {
            "ok": True,
            "file": str(args.file),
            "kind": kind,
            "records": len(registry),
            "fingerprint": registry.fingerprint,
        }
        print(json.dumps(doc, ensure_ascii=False))
        return 0
    print(_("{file}: valid").format(file=args.file))
    print("\n".join(summarise(registry, lang=current())))
    return 0
