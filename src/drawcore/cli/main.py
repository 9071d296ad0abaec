"""The ``drawcore`` command line: thin wrappers over the library.

Each subcommand is one :class:`Command` in :data:`COMMANDS`: a name, a help line,
a function that adds its arguments and a function that runs it and returns the
exit status. Adding a subcommand is adding one entry to the table.

Exit status: 0 on success; 1 when a journal does not verify (``verify``,
``followup``, ``completion``) or, with ``completion --fail-overdue``, when work is
overdue; 2 with a one-line reason on stderr (then every
problem, one per line) when drawcore refuses the input (any
:class:`~drawcore.errors.DrawcoreError`); argparse's usage errors also exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from drawcore import __version__
from drawcore.cli import amend, demo, draw, followup, plan, publish, validate, verify
from drawcore.cli.common import Command
from drawcore.errors import DrawcoreError

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS: dict[str, Command] = {
    "validate": Command(
        "validate",
        "check a registry file and print a summary, or every problem found",
        validate.configure,
        validate.run,
    ),
    "demo": Command(
        "demo", "load the example county and walk through a draw", demo.configure, demo.run
    ),
    "verify": Command(
        "verify",
        "check a journal: record hashes, chain, commit-before-reveal rules, Merkle root "
        "against checkpoints, and replay every draw; exit 0 only if everything holds",
        verify.configure,
        verify.run,
    ),
    "draw": Command(
        "draw",
        "commit a draw plan, form its seed from public numbers and/or parties, draw units "
        "and teams, and journal the record (each step once; run again for the next step)",
        draw.configure,
        draw.run,
    ),
    "plan": Command(
        "plan",
        "the annual-plan ceremony: commit the year's spec, form its seed from public numbers "
        "and/or parties, plan the year (yearly probabilities, rounds, teams) and journal it "
        "(each step once; run again for the next step)",
        plan.configure,
        plan.run,
    ),
    "amend": Command(
        "amend",
        "a mid-year amendment to an annual plan: the units added to the registry or newly "
        "planned since, planned for the rest of the year through the same ceremony steps",
        amend.configure,
        amend.run,
    ),
    "publish": Command(
        "publish",
        "export the item list, plans, draws and results (one quarter) to CSV, JSON and "
        "HTML with personal data masked, stamped with the journal checkpoint",
        publish.configure,
        publish.run,
    ),
    "followup": Command(
        "followup",
        "apply the journal's live results to a unit registry (key supervision, blacklist, "
        "joint punishment, credit class, last inspected) and write next year's registry",
        followup.configure_followup,
        followup.run_followup,
    ),
    "completion": Command(
        "completion",
        "assess a draw or annual plan on a date: tasks done, late, overdue and open, per "
        "round and per responsible person (exit 0; 1 with --fail-overdue when overdue)",
        followup.configure_completion,
        followup.run_completion,
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
