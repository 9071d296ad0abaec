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
import json
import logging
import os
import sys
from collections.abc import Sequence

from drawcore.cli import (
    amend,
    checkpoint,
    demo,
    draw,
    followup,
    plan,
    publish,
    redo,
    repair,
    result,
    sheet,
    validate,
    verify,
)
from drawcore.cli.common import Command, Exit
from drawcore.cli.console import printable, translate_error
from drawcore.cli.parser import Parser, requested_language, translate_help
from drawcore.errors import DrawcoreError
from drawcore.i18n import N_, _, chosen_language, render, set_language, translation
from drawcore.version import __version__

__all__ = ["COMMANDS", "SHOWN_PROBLEMS", "build_parser", "main"]

SHOWN_PROBLEMS = 50
"""At most this many problems of one error are printed, then how many more there are."""

DESCRIPTION = N_('Verifiable "double random, one public" (双随机、一公开) inspection draws.')
"""What ``drawcore --help`` says drawcore is."""

COMMANDS: dict[str, Command] = {
    "validate": Command(
        "validate",
        N_("check a registry file and print a summary, or every problem found"),
        validate.configure,
        validate.run,
    ),
    "demo": Command(
        "demo", N_("load the example county and walk through a draw"), demo.configure, demo.run
    ),
    "verify": Command(
        "verify",
        N_(
            "check a journal: record hashes, chain, commit-before-reveal rules, Merkle root "
            "against checkpoints, and replay every draw; exit 0 only if everything holds"
        ),
        verify.configure,
        verify.run,
    ),
    "repair": Command(
        "repair",
        N_(
            "cut a torn tail (a crash mid-append) off a journal: the bytes removed are printed, "
            "kept beside the journal, and a repair record says what, why, who and when"
        ),
        repair.configure,
        repair.run,
    ),
    "draw": Command(
        "draw",
        N_(
            "commit a draw plan, form its seed from public numbers and/or parties, draw units "
            "and teams, and journal the record (each step once; run again for the next step)"
        ),
        draw.configure,
        draw.run,
    ),
    "plan": Command(
        "plan",
        N_(
            "the annual-plan ceremony: commit the year's spec, form its seed from public numbers "
            "and/or parties, plan the year (yearly probabilities, rounds, teams) and journal it "
            "(each step once; run again for the next step)"
        ),
        plan.configure,
        plan.run,
    ),
    "amend": Command(
        "amend",
        N_(
            "a mid-year amendment to an annual plan: the units added to the registry or newly "
            "planned since, planned for the rest of the year through the same ceremony steps"
        ),
        amend.configure,
        amend.run,
    ),
    "redo": Command(
        "redo",
        N_(
            "a visible redo of an annual plan or a draw: void the live result and its seed with "
            "a reason, form a fresh seed from new public numbers and draw again, in one append"
        ),
        redo.configure,
        redo.run,
    ),
    "publish": Command(
        "publish",
        N_(
            "export the item list, plans, draws and results (one quarter) to CSV, JSON and "
            "HTML with personal data masked, stamped with the journal checkpoint"
        ),
        publish.configure,
        publish.run,
    ),
    "followup": Command(
        "followup",
        N_(
            "apply the journal's live results to a unit registry (key supervision, blacklist, "
            "joint punishment, credit class, last inspected) and write next year's registry"
        ),
        followup.configure_followup,
        followup.run_followup,
    ),
    "completion": Command(
        "completion",
        N_(
            "assess a draw or annual plan on a date: tasks done, late, overdue and open, per "
            "round and per responsible person (exit 0; 1 with --fail-overdue when overdue)"
        ),
        followup.configure_completion,
        followup.run_completion,
    ),
    "result": Command(
        "result",
        N_(
            "enter inspection results from a CSV/XLSX file, every row checked against the draw "
            "before any is journaled"
        ),
        result.configure,
        result.run,
    ),
    "checkpoint": Command(
        "checkpoint",
        N_("verify a journal, then append its checkpoint (records, Merkle root) to a file"),
        checkpoint.configure,
        checkpoint.run,
    ),
    "sheet": Command(
        "sheet",
        N_(
            "printable A4 sheets of a draw: the draw record sheet with signature lines and "
            "the standard inspection form (BL-7) per task, pre-filled"
        ),
        sheet.configure,
        sheet.run,
    ),
}


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand in :data:`COMMANDS`, its help in ``lang``
    (``--lang``'s value; ``None``: the locale's language, see
    :func:`~drawcore.i18n.chosen_language`)."""
    lang = chosen_language(lang)
    t = translation(lang).gettext
    parser = Parser(
        prog="drawcore",
        description=t(DESCRIPTION),
        lang=lang,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"drawcore {__version__}",
        help=N_("show program's version number and exit"),
    )
    _add_language(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = Parser(add_help=False, lang=lang)
    _add_language(common)
    common.add_argument(
        "-v", "--verbose", action="count", default=0, help=N_("log progress (-vv: debug)")
    )
    for command in COMMANDS.values():
        about = t(command.help)
        p = sub.add_parser(command.name, help=about, description=about, parents=[common], lang=lang)
        command.configure(p)
        p.set_defaults(_run=command.run)
    translate_help(parser, lang)
    return parser


def _add_language(parser: argparse.ArgumentParser) -> None:
    """``--lang``, on the command and on every subcommand (absent when not given, so one
    given before the subcommand is kept)."""
    parser.add_argument(
        "--lang",
        choices=("zh", "zh_CN", "en"),
        default=argparse.SUPPRESS,
        help=N_(
            "language of what is printed and published (default: Simplified Chinese, or "
            "English when LANGUAGE/LC_ALL/LANG starts with en)"
        ),
    )


def _setup(args: argparse.Namespace) -> None:
    """The language (``--lang``, else the locale) and logging (``-v``) of this run."""
    set_language(chosen_language(getattr(args, "lang", None)))
    level = {0: logging.WARNING, 1: logging.INFO}.get(getattr(args, "verbose", 0), logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ReadersLanguage("drawcore: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    logging.getLogger("drawcore").setLevel(level)


class ReadersLanguage(logging.Formatter):
    """Log lines in the reader's language: drawcore's messages (``%``-style templates marked
    with ``N_``) are looked up in the catalog before their arguments are filled in."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name.startswith("drawcore") and isinstance(record.msg, str):
            record = logging.makeLogRecord(record.__dict__)
            record.msg = _(record.msg)
        return super().format(record)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``drawcore`` and ``python -m drawcore``; returns the exit status."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(requested_language(arguments)).parse_args(arguments)
    _setup(args)
    try:
        status: int = args._run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return Exit.BROKEN_PIPE
    except DrawcoreError as exc:
        problems = getattr(exc, "problems", ())
        if getattr(args, "json", False):
            doc = {"ok": False, "error": str(exc), "problems": list(problems)}
            print(json.dumps(doc, ensure_ascii=False))
        _print_error(translate_error(exc), problems, same=str(exc))
        return Exit.INVALID_INPUT
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        refused = _("the system refused a read or write{where}: {reason}")
        _print_error(refused.format(where=where, reason=exc.strerror), ())
        return Exit.IO_ERROR
    return status


def _print_error(message: str, problems: Sequence[str], *, same: str | None = None) -> None:
    """The one-line reason (in the run's language), then the problems: the first
    :data:`SHOWN_PROBLEMS`, then a count. ``same``: the untranslated reason, so a single
    problem that only repeats it is not printed twice."""
    try:
        frame = _("drawcore: error:")
        print(f"{frame} {printable(message)}", file=sys.stderr)
        first = same if same is not None else message
        if len(problems) > 1 or (problems and problems[0] != first):
            print(_("{count} problem(s):").format(count=len(problems)), file=sys.stderr)
            for problem in problems[:SHOWN_PROBLEMS]:
                print(f"  {printable(render(problem))}", file=sys.stderr)
            if len(problems) > SHOWN_PROBLEMS:
                more = len(problems) - SHOWN_PROBLEMS
                print(_("  ... and {count} more").format(count=more), file=sys.stderr)
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
