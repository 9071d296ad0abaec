"""``drawcore validate``: check a registry file; print a summary, or every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from drawcore.cli.common import summarise
from drawcore.cli.console import rows_progress
from drawcore.i18n import N_, _, current
from drawcore.registry.headers import REGISTRY_KINDS
from drawcore.registry.readers import read_any

# -- validate ---------------------------------------------------------------------------------


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help=N_("a registry file (.xlsx, .xls, .ods, .csv or .json)"))
    p.add_argument(
        "--kind",
        choices=sorted(REGISTRY_KINDS),
        help=N_("which registry the file holds (default: told by its header row)"),
    )
    p.add_argument("--sheet", help=N_("the spreadsheet's sheet to read (default: the first sheet)"))
    p.add_argument(
        "--encoding", help=N_("text encoding (default: UTF-8, with or without BOM, or GB18030)")
    )
    p.add_argument(
        "--allow-unknown-columns",
        action="store_true",
        help=N_("ignore columns the header mapping does not know instead of rejecting the file"),
    )
    p.add_argument("--json", action="store_true", help=N_("print the result as JSON (stable keys)"))


def _named_kind(path: Path) -> str | None:
    """The one registry kind the file's name says (``units.csv``), if any: a file whose
    header cannot tell (a required column missing, say) is read as that kind, so the
    reader can say what is wrong with it."""
    stem = path.stem.lower()
    named = [k for k in REGISTRY_KINDS if k in stem or k.rstrip("s") in stem]
    return named[0] if len(named) == 1 else None


def run(args: argparse.Namespace) -> int:
    with rows_progress(args.file.name) as progress:
        kind, registry = read_any(
            args.file,
            kind=args.kind,
            fallback=_named_kind(args.file),
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
