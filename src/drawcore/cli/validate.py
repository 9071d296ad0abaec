"""``drawcore validate``: check a registry file; print a summary, or every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from drawcore.cli.common import guess_kind, summarise
from drawcore.registry.headers import REGISTRY_KINDS
from drawcore.registry.readers import read_registry

# -- validate ---------------------------------------------------------------------------------


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="a registry file (.csv or .json)")
    p.add_argument(
        "--kind",
        choices=sorted(REGISTRY_KINDS),
        help="which registry the file holds (default: guessed from the file name or header)",
    )
    p.add_argument(
        "--encoding", help="text encoding (default: UTF-8, with or without BOM, or GB18030)"
    )
    p.add_argument(
        "--allow-unknown-columns",
        action="store_true",
        help="ignore columns the header mapping does not know instead of rejecting the file",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON (stable keys)")


def run(args: argparse.Namespace) -> int:
    kind = args.kind or guess_kind(args.file)
    registry = read_registry(
        REGISTRY_KINDS[kind],
        args.file,
        encoding=args.encoding,
        allow_unknown_columns=args.allow_unknown_columns,
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
    print(f"{args.file}: valid")
    print("\n".join(summarise(registry)))
    return 0
