"""The ``drawcore`` command line: thin wrappers over the library.

Each subcommand is one :class:`Command` in :data:`COMMANDS`: a name, a help line,
a function that adds its arguments and a function that runs it and returns the
exit status. Adding a subcommand is adding one entry to the table.

Exit status: 0 on success; 2 with a one-line reason on stderr (then every
problem, one per line) when drawcore refuses the input (any
:class:`~drawcore.errors.DrawcoreError`); argparse's usage errors also exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from drawcore import __version__
from drawcore.errors import DrawcoreError, InvalidInputError
from drawcore.io import HEADER_ALIASES, REGISTRY_KINDS, read_county, read_registry
from drawcore.registry import County, Kind, _Registry

__all__ = ["COMMANDS", "Command", "main", "summarise"]

#: Where ``drawcore demo`` finds the example county in a source checkout.
EXAMPLE_COUNTY = Path(__file__).resolve().parents[2] / "examples" / "county"


@attrs.frozen
class Command:
    """One subcommand: ``configure`` adds its arguments, ``run`` does it and returns the status."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# -- summaries --------------------------------------------------------------------------------


def summarise(registry: _Registry[Any], *, top: int = 12) -> list[str]:
    """Human-readable lines: record count, fingerprint, and counts of each category and flag."""
    lines = [
        f"{registry.what}: {len(registry)} records",
        f"  fingerprint: {registry.fingerprint}",
    ]
    for spec in registry.schema:
        col = registry.column(spec.name)
        if spec.kind is Kind.BOOL:
            lines.append(f"  {spec.name}: {int(np.count_nonzero(col))}")
        elif spec.kind is Kind.ENUM:
            counts = np.bincount(col.astype(np.int64), minlength=len(spec.members))
            parts = [f"{m.value} {int(c)}" for m, c in zip(spec.members, counts, strict=True) if c]
            lines.append(f"  {spec.name}: " + ", ".join(parts))
        elif spec.kind is Kind.YEAR:
            lines.append(f"  {spec.name} given: {int(np.count_nonzero(col))}")
        elif spec.kind in (Kind.TEXT, Kind.TAGS) and spec.name in (
            "industry",
            "township",
            "work_unit",
        ):
            counter = Counter(col.tolist())
            shown = ", ".join(f"{k} {v}" for k, v in sorted(counter.items())[:top])
            more = f", ... ({len(counter)} in all)" if len(counter) > top else ""
            lines.append(f"  {spec.name} ({len(counter)}): {shown}{more}")
    return lines


def _guess_kind(path: Path) -> str:
    """The registry kind from the file name, else from the first line's id column."""
    stem = path.stem.lower()
    for kind in REGISTRY_KINDS:
        if kind in stem or kind.rstrip("s") in stem:
            return kind
    try:
        head = path.read_bytes()[:4096].decode("utf-8-sig", errors="ignore")
    except OSError:
        head = ""
    for kind, aliases in HEADER_ALIASES.items():
        id_field = REGISTRY_KINDS[kind].id_field
        if any(name in head for name in (id_field, *aliases[id_field])):
            return kind
    raise InvalidInputError(
        f"{path}: cannot tell which registry this is; pass --kind ({'|'.join(REGISTRY_KINDS)})"
    )


# -- validate ---------------------------------------------------------------------------------


def _configure_validate(p: argparse.ArgumentParser) -> None:
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


def _run_validate(args: argparse.Namespace) -> int:
    kind = args.kind or _guess_kind(args.file)
    registry = read_registry(
        REGISTRY_KINDS[kind],
        args.file,
        encoding=args.encoding,
        allow_unknown_columns=args.allow_unknown_columns,
    )
    print(f"{args.file}: valid")
    print("\n".join(summarise(registry)))
    return 0


# -- demo -------------------------------------------------------------------------------------


def _configure_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--county",
        type=Path,
        default=EXAMPLE_COUNTY,
        help="directory with units, inspectors, experts and items files "
        "(default: the example county of this checkout)",
    )


def demo_load(directory: Path) -> County:
    """Step 1 of the demo: read and validate the four foundations."""
    if not directory.is_dir():
        raise InvalidInputError(
            f"{directory}: no such directory; run examples/make_county.py or pass --county DIR"
        )
    return read_county(directory)


def demo_report_county(county: County) -> None:
    """Step 2 of the demo: what was loaded, with the fingerprints a plan would commit to."""
    for registry in (county.units, county.inspectors, county.experts, county.items):
        print("\n".join(summarise(registry)))


def _run_demo(args: argparse.Namespace) -> int:
    print(f"drawcore {__version__} demo: county {args.county}")
    county = demo_load(args.county)
    demo_report_county(county)
    return 0


# -- verify -----------------------------------------------------------------------------------


def _configure_verify(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help="the journal file (one JSON record per line)")
    p.add_argument(
        "--checkpoint",
        type=Path,
        help="a checkpoint file held elsewhere; every checkpoint in it must match the journal",
    )


def _run_verify(args: argparse.Namespace) -> int:
    from drawcore.journal import verify_file

    report = verify_file(args.journal, args.checkpoint)
    print(report.format())
    if not report.ok:
        first = report.problems[0].format()
        count = len(report.problems)
        print(f"drawcore: verify failed: {count} problem(s); {first}", file=sys.stderr)
        return 1
    return 0


COMMANDS: dict[str, Command] = {
    "validate": Command(
        "validate",
        "check a registry file and print a summary, or every problem found",
        _configure_validate,
        _run_validate,
    ),
    "demo": Command(
        "demo", "load the example county and walk through a draw", _configure_demo, _run_demo
    ),
    "verify": Command(
        "verify",
        "check a journal: record hashes, chain, commit-before-reveal rules, Merkle root "
        "against checkpoints; exit 0 only if everything holds",
        _configure_verify,
        _run_verify,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand in :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="drawcore",
        description='Verifiable "double random, one public" (双随机、一公开) inspection draws.',
    )
    parser.add_argument("--version", action="version", version=f"drawcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        command.configure(p)
        p.set_defaults(_run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``drawcore`` and ``python -m drawcore``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args._run(args)
    except DrawcoreError as exc:
        print(f"drawcore: error: {exc}", file=sys.stderr)
        problems = getattr(exc, "problems", ())
        if len(problems) > 1 or (problems and problems[0] != str(exc)):
            print(f"{len(problems)} problem(s):", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
        return 2
    return status
