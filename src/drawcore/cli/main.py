"""The ``drawcore`` command line: thin wrappers over the library.

Each subcommand is one :class:`Command` in :data:`COMMANDS`: a name, a help line,
a function that adds its arguments and a function that runs it and returns the
exit status. Adding a subcommand is adding one entry to the table.

Exit status (:class:`~drawcore.cli.common.Exit`, one value per outcome): 0 on
success; 1 when a journal does not verify (``verify``, ``followup``,
``completion``) or, with ``completion --fail-overdue``, when work is overdue; 2
with a one-line reason on stderr (then every problem, one per line, at most
:data:`SHOWN_PROBLEMS`) when drawcore refuses the input (any
:class:`~drawcore.errors.DrawcoreError`); 64 for a usage error; 74 when the
operating system refuses a read or write; 141 when the reader of the output
went away (``drawcore draw ... | head``). No status prints a Python traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from drawcore.cli import demo, draw, followup, publish, repair, validate, verify
from drawcore.cli.common import Command, Exit
from drawcore.errors import DrawcoreError
from drawcore.version import __version__

__all__ = ["COMMANDS", "SHOWN_PROBLEMS", "build_parser", "main"]

SHOWN_PROBLEMS = 50
"""At most this many problems of one error are printed, then how many more there are."""

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
    "repair": Command(
        "repair",
        "cut a torn tail (a crash mid-append) off a journal: the bytes removed are printed, "
        "kept beside the journal, and a repair record says what, why, who and when",
        repair.configure,
        repair.run,
    ),
    "draw": Command(
        "draw",
        "commit a draw plan, form its seed from public numbers and/or parties, draw units "
        "and teams, and journal the record (each step once; run again for the next step)",
        draw.configure,
        draw.run,
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


class _Parser(argparse.ArgumentParser):
    """argparse, exiting with :attr:`Exit.USAGE` (not 2, which means invalid input)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(Exit.USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand in :data:`COMMANDS`."""
    parser = _Parser(
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
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return Exit.BROKEN_PIPE
    except DrawcoreError as exc:
        _print_error(str(exc), getattr(exc, "problems", ()))
        return Exit.INVALID_INPUT
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        _print_error(f"读写失败 / the system refused a read or write{where}: {exc.strerror}", ())
        return Exit.IO_ERROR
    return status


def _print_error(message: str, problems: Sequence[str]) -> None:
    """The one-line reason, then the problems (the first :data:`SHOWN_PROBLEMS`, then a count)."""
    try:
        print(f"drawcore: error: {message}", file=sys.stderr)
        if len(problems) > 1 or (problems and problems[0] != message):
            print(f"{len(problems)} problem(s):", file=sys.stderr)
            for problem in problems[:SHOWN_PROBLEMS]:
                print(f"  {problem}", file=sys.stderr)
            if len(problems) > SHOWN_PROBLEMS:
                more = len(problems) - SHOWN_PROBLEMS
                print(f"  ... 另有 {more} 个问题 / and {more} more problem(s)", file=sys.stderr)
    except BrokenPipeError:
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError):  # stdout is not a real file (captured in tests)
        pass
