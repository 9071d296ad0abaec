"""argparse in the reader's language: help, usage and argparse's own words from the catalog.

Help strings are written in English and marked with :func:`~drawcore.i18n.N_`; the
parser is built in the language of the run (:func:`requested_language` reads
``--lang`` before parsing, :func:`~drawcore.i18n.chosen_language` falls back to the
locale) and :func:`translate_help` puts every help string into that language. Option
names, metavars and choices are identifiers and stay as they are. argparse's own
words (``usage:``, the section titles, ``-h``'s and ``--version``'s help, the error
frame) come from the same catalog, through :class:`Parser` and :class:`HelpFormatter`;
nothing in argparse itself is changed.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

from drawcore.cli.common import Exit
from drawcore.i18n import DEFAULT, N_, translation

__all__ = ["HelpFormatter", "Parser", "requested_language", "translate_help", "wrap"]


def requested_language(argv: Sequence[str]) -> str | None:
    """What ``--lang`` says in ``argv`` (``--lang en``, ``--lang=en``, or an abbreviation
    argparse accepts, such as ``--lan en``; the last one wins), read before parsing so
    the parser, its help included, is built in that language; ``None`` when not given."""
    lang = None
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            break
        name, eq, value = token.partition("=")
        if len(name) > 2 and "--lang".startswith(name):
            lang = value if eq else next(tokens, None)
    return lang


# -- wrapping by display width ------------------------------------------------------------

#: A wide character (Chinese) is a unit of its own; a run of other non-space characters is one.
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_UNITS = re.compile(rf"\s+|[{_WIDE}]|[^\s{_WIDE}]+")
#: Punctuation that never starts a line: it stays with what comes before it.
_CLOSING = frozenset("，。、；：？！）》」』】,.;:?!)")


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns: broken at spaces, or between two
    Chinese characters (not before closing punctuation); a longer word gets a line of its own."""
    lines: list[str] = []
    line = ""
    space = False
    for unit in _UNITS.findall(" ".join(text.split())):
        if unit.isspace():
            space = True
            continue
        glue = " " if space and line else ""
        space = False
        if not line or _columns(line + glue + unit) <= width or unit in _CLOSING:
            line += glue + unit
            continue
        lines.append(line)
        line = unit
    if line:
        lines.append(line)
    return lines


class HelpFormatter(argparse.HelpFormatter):
    """argparse's layout with the usage prefix given (translated), wrapping and indenting
    by display width (a Chinese character takes two columns) so Chinese help stays
    inside the terminal."""

    def __init__(self, prog: str, *, usage_prefix: str = "usage: ") -> None:
        super().__init__(prog)
        self._usage_prefix = usage_prefix

    def _format_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[Any],
        prefix: str | None,
    ) -> str:
        # argparse measures the prefix in characters to indent the lines below it: give
        # it one as wide as ours on screen, then put ours in its place.
        prefix = self._usage_prefix if prefix is None else prefix
        stand_in = "u" * _columns(prefix)
        text = super()._format_usage(usage, actions, groups, stand_in)
        return prefix + text.removeprefix(stand_in)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))


class Parser(argparse.ArgumentParser):
    """argparse in ``lang``: its own words from the catalog, exiting with :attr:`Exit.USAGE`
    (not 2, which means invalid input) on a usage error."""

    def __init__(
        self,
        *,
        lang: str = DEFAULT,
        add_help: bool = True,
        parents: Sequence[argparse.ArgumentParser] = (),
        **kwargs: Any,
    ) -> None:
        # the sections are named before the parents' options join them (argparse puts an
        # option in the parent's section by its title), -h/--help first as argparse does
        super().__init__(add_help=False, **kwargs)
        self.lang = lang
        t = translation(lang).gettext
        self._positionals.title = t(N_("positional arguments"))
        self._optionals.title = t(N_("options"))
        if add_help:
            self.add_argument(
                "-h",
                "--help",
                action="help",
                default=argparse.SUPPRESS,
                help=N_("show this help message and exit"),
            )
        for parent in parents:
            self._add_container_actions(parent)
            # argparse copies a parent's defaults with its options
            self._defaults.update(parent._defaults)

    def _get_formatter(self) -> argparse.HelpFormatter:
        prefix = translation(self.lang).gettext(N_("usage: "))
        return HelpFormatter(self.prog, usage_prefix=prefix)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        t = translation(self.lang).gettext
        frame = t(N_("{prog}: error: {message}"))
        said = usage_message(message, self.lang)
        self.exit(Exit.USAGE, frame.format(prog=self.prog, message=said) + "\n")


#: argparse's usage errors as it words them (Python 3.11 to 3.13), and the same message
#: in the catalog: the option names, values and choices it quotes are kept as they are.
_ARGPARSE_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"\Z", re.DOTALL), template)
    for pattern, template in (
        (
            r"the following arguments are required: (?P<names>.+)",
            N_("the following arguments are required: {names}"),
        ),
        (r"unrecognized arguments: (?P<names>.+)", N_("unrecognized arguments: {names}")),
        (
            r"argument (?P<arg>.+?): invalid choice: (?P<value>.+?) "
            r"\(choose from (?P<choices>.+)\)",
            N_("argument {arg}: invalid choice: {value} (choose from {choices})"),
        ),
        (
            r"argument (?P<arg>.+?): invalid (?P<kind>\w+) value: (?P<value>.+)",
            N_("argument {arg}: invalid {kind} value: {value}"),
        ),
        (
            r"argument (?P<arg>.+?): expected one argument",
            N_("argument {arg}: expected one argument"),
        ),
        (
            r"argument (?P<arg>.+?): expected at least one argument",
            N_("argument {arg}: expected at least one argument"),
        ),
        (
            r"argument (?P<arg>.+?): not allowed with argument (?P<other>.+)",
            N_("argument {arg}: not allowed with argument {other}"),
        ),
        (
            r"ambiguous option: (?P<option>.+?) could match (?P<matches>.+)",
            N_("ambiguous option: {option} could match {matches}"),
        ),
    )
)


def usage_message(message: str, lang: str) -> str:
    """One of argparse's usage errors in ``lang`` (the option names and values it quotes
    unchanged); a message it words otherwise is left as it is."""
    for pattern, template in _ARGPARSE_ERRORS:
        found = pattern.match(message)
        if found is not None:
            return translation(lang).gettext(template).format(**found.groupdict())
    return message


def translate_help(parser: argparse.ArgumentParser, lang: str) -> None:
    """Every help string of ``parser`` and of its subcommands' parsers, in ``lang`` (each
    action once: the options a parser shares with others through ``parents`` included)."""
    t = translation(lang).gettext
    seen: set[int] = set()

    def visit(p: argparse.ArgumentParser) -> None:
        for action in p._actions:
            if id(action) in seen:
                continue
            seen.add(id(action))
            if action.help and action.help is not argparse.SUPPRESS:
                action.help = t(action.help)
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    visit(sub)

    visit(parser)
