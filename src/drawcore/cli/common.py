"""What every command shares: the command table entry, registry summaries, argument parsers."""

from __future__ import annotations

import argparse
import enum
import importlib.resources
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, _, current, msg, normalise, translation
from drawcore.record.signing import Signing
from drawcore.registry.headers import ENUM_LABELS, HEADER_ALIASES, REGISTRY_KINDS
from drawcore.registry.registries import Kind, _Registry

#: The example county, shipped inside the package so an installed wheel's demo finds it.
EXAMPLE_COUNTY = Path(str(importlib.resources.files("drawcore") / "examples" / "county"))


class Exit(enum.IntEnum):
    """The exit statuses of every ``drawcore`` command, distinct from each other.

    The README's "Exit status" table lists the same values; a test keeps them equal.
    """

    OK = 0
    """成功 / the command did what it was asked."""
    VERIFY_FAILED = 1
    """校验未通过 / a journal does not verify (or, with ``--fail-overdue``, work is overdue)."""
    INVALID_INPUT = 2
    """输入无效 / drawcore refused the input: a one-line reason, then every problem."""
    USAGE = 64
    """用法错误 / unknown option or missing argument (argparse's usage message)."""
    IO_ERROR = 74
    """读写失败 / the operating system refused a read or write (disk full, permission)."""
    BROKEN_PIPE = 141
    """输出管道已关闭 / whoever read the output stopped early (``| head``); what the
    command wrote to files before that stays written."""


@attrs.frozen
class Command:
    """One subcommand: ``configure`` adds its arguments, ``run`` does it and returns the status."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# -- summaries --------------------------------------------------------------------------------


#: The registries' names, marked for the catalog.
_REGISTRY_NAMES = {
    "unit registry": N_("unit registry"),
    "inspector registry": N_("inspector registry"),
    "expert registry": N_("expert registry"),
    "inspection item list": N_("inspection item list"),
}


def _field_label(registry: _Registry[Any], field: str, lang: str) -> str:
    """The field's name: the registry file's own (first Chinese) header in Chinese."""
    if normalise(lang) == "en":
        return field
    kind = next((k for k, cls in REGISTRY_KINDS.items() if isinstance(registry, cls)), None)
    aliases = HEADER_ALIASES.get(kind, {}).get(field, ()) if kind else ()
    return aliases[0] if aliases else field


def _value_word(member: enum.Enum, lang: str) -> str:
    """An enum value: the registry file's own (Chinese) word for it in Chinese."""
    if normalise(lang) != "en":
        for label, value in ENUM_LABELS.get(type(member), {}).items():
            if value is member:
                return label
    return str(member.value)


def summarise(registry: _Registry[Any], *, top: int = 12, lang: str = "en") -> list[str]:
    """Human-readable lines in ``lang`` (``"zh_CN"`` for Chinese): record count,
    fingerprint, and counts of each category and flag."""
    t = translation(lang).gettext
    name = t(_REGISTRY_NAMES.get(registry.what, registry.what))
    lines = [
        t(N_("{what}: {count} records")).format(what=name, count=len(registry)),
        t(N_("  fingerprint: {fingerprint}")).format(fingerprint=registry.fingerprint),
    ]
    for spec in registry.schema:
        col = registry.column(spec.name)
        label = _field_label(registry, spec.name, lang)
        if spec.kind is Kind.BOOL:
            lines.append(f"  {label}: {int(np.count_nonzero(col))}")
        elif spec.kind is Kind.ENUM:
            counts = np.bincount(col.astype(np.int64), minlength=len(spec.members))
            parts = [
                f"{_value_word(m, lang)} {int(c)}"
                for m, c in zip(spec.members, counts, strict=True)
                if c
            ]
            lines.append(f"  {label}: " + ", ".join(parts))
        elif spec.kind is Kind.YEAR:
            given = int(np.count_nonzero(col))
            lines.append(t(N_("  {field} given: {count}")).format(field=label, count=given))
        elif spec.kind in (Kind.TEXT, Kind.TAGS) and spec.name in (
            "industry",
            "township",
            "work_unit",
        ):
            counter = Counter(col.tolist())
            shown = ", ".join(f"{k} {v}" for k, v in sorted(counter.items())[:top])
            more = ""
            if len(counter) > top:
                more = t(N_(", ... ({count} in all)")).format(count=len(counter))
            lines.append(f"  {label} ({len(counter)}): {shown}{more}")
    return lines


def parse_public_numbers(text: str) -> list[list[int]]:
    """``"3,11,17,22,28,31/9/742"`` -> RFC 3797 sources (``/`` between sources, ``,`` within)."""
    try:
        return [[int(x) for x in part.split(",")] for part in text.strip().strip("/").split("/")]
    except ValueError:
        raise InvalidInputError(
            msg(
                "--public-numbers {text!r}: expected integers, ',' within a source and "
                "'/' between sources, e.g. 3,11,17,22,28,31/9/742",
                text=text,
            )
        ) from None


def parse_pair(text: str, what: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise InvalidInputError(msg("{what} {text!r}: expected NAME=VALUE", what=what, text=text))
    return name, value


def parse_hex(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InvalidInputError(msg("{what}: {text!r} is not hex", what=what, text=text)) from None


def signing_of(args: argparse.Namespace) -> Signing:
    """Who drew and signed, and when, from the ``--drawn-by`` ... ``--signed-at`` options
    (each required: a usage error names the missing ones)."""
    require_options(args, "drawn_by", "signed_by", "drawn_at", "signed_at")
    return Signing(
        drawn_by=args.drawn_by,
        signed_by=args.signed_by,
        drawn_at=args.drawn_at,
        signed_at=args.signed_at,
    )


def require_options(args: argparse.Namespace, *names: str) -> None:
    missing = [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) is None]
    if missing:
        raise InvalidInputError(msg("this step needs {missing}", missing=", ".join(missing)))


def parse_date(text: str | None, what: str) -> Any:
    import datetime as dt

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            msg("{what} {text!r} is not a date like 2026-06-30", what=what, text=text)
        ) from None


def verified_records(journal: Path, registry_dir: Path | None) -> list[Any] | None:
    """The journal's records when it verifies (every draw replayed), else ``None`` after
    printing why on stderr."""
    from drawcore.record.journal import Journal
    from drawcore.record.verification import verify_draws

    if not journal.is_file():
        raise InvalidInputError(msg("{journal}: no such journal file", journal=journal))
    report = verify_draws(journal, registry_dir=registry_dir)
    if not report.ok:
        first = report.problems[0].format(current()) if report.problems else ""
        failed = _(
            "drawcore: {journal} does not verify ({count} problem(s); {first}); nothing done"
        )
        count = len(report.problems) + report.more_problems
        print(failed.format(journal=journal, count=count, first=first), file=sys.stderr)
        return None
    return Journal(journal).records()


def party_steps(journal: Any, plan_id: str, args: argparse.Namespace) -> None:
    """The parties' commitments and reveals named on the command line (``--party-commit
    NAME=HASH``, ``--party-reveal NAME=CONTRIBUTION:SALT``), journaled in that order."""
    from drawcore.record import commitments

    for text in args.party_commit:
        require_options(args, "party_at")
        name, commitment = parse_pair(text, "--party-commit")
        rec = commitments.commit_party(
            journal, plan_id, name, commitment, committed_at=args.party_at
        )
        print(_("record {seq}: party {name} committed").format(seq=rec.seq, name=name))
    for text in args.party_reveal:
        require_options(args, "party_at")
        name, value = parse_pair(text, "--party-reveal")
        contribution, _colon, salt = value.partition(":")
        rec = commitments.reveal_party(
            journal,
            plan_id,
            name,
            parse_hex(contribution, "--party-reveal contribution"),
            parse_hex(salt, "--party-reveal salt"),
            revealed_at=args.party_at,
        )
        print(_("record {seq}: party {name} revealed").format(seq=rec.seq, name=name))


def add_ceremony_options(p: argparse.ArgumentParser, what: str) -> None:
    """The options of the commit-before-reveal steps that ``drawcore draw`` and ``drawcore plan``
    share: commit, the seed (public numbers and/or parties), and who draws and signs
    (TJ-9); ``what`` names the thing drawn ("draw" or "plan") in the help."""
    p.add_argument("--committed-at", help=N_("when the plan is committed (ISO 8601 with offset)"))
    p.add_argument("--committed-by", help=N_("who commits the plan"))
    p.add_argument(
        "--public-numbers",
        help=N_(
            "RFC 3797 sources announced in advance: ',' within a source, '/' between "
            "sources, e.g. 3,11,17,22,28,31/9/742"
        ),
    )
    p.add_argument("--entropy-at", help=N_("when the public numbers were drawn / the last reveal"))
    p.add_argument(
        "--party-commit",
        action="append",
        default=[],
        metavar="NAME=COMMITMENT",
        help=N_("a party's commitment, SHA-256(contribution || salt) hex (repeatable)"),
    )
    p.add_argument(
        "--party-reveal",
        action="append",
        default=[],
        metavar="NAME=CONTRIBUTION:SALT",
        help=N_("a party's reveal, both hex (repeatable); the seed then uses the parties"),
    )
    p.add_argument("--party-at", help=N_("when the party commitments / reveals happen"))
    for option, about in _SIGNING_HELP[what].items():
        p.add_argument(option, help=about)


#: The help of who draws and signs, and when, for the thing drawn (whole messages, so each
#: language can order its own words).
_SIGNING_HELP = {
    "draw": {
        "--drawn-by": N_("who makes the draw (TJ-9 谁抽查)"),
        "--signed-by": N_("who signs the draw (TJ-9 谁签字)"),
        "--drawn-at": N_("when the draw is made"),
        "--signed-at": N_("when the draw is signed"),
    },
    "plan": {
        "--drawn-by": N_("who makes the plan (TJ-9 谁抽查)"),
        "--signed-by": N_("who signs the plan (TJ-9 谁签字)"),
        "--drawn-at": N_("when the plan is made"),
        "--signed-at": N_("when the plan is signed"),
    },
}
