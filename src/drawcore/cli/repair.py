"""``drawcore repair``: cut a torn tail off a journal, keep it aside, and journal the repair.

A crash (SIGKILL, power loss, a full disk) can leave a journal ending in a torn line
or in an append that was never committed; every later step is refused until it is
repaired. The repair never drops anything silently: the bytes removed are printed
(escaped), kept in ``<journal>.torn-<byte offset>``, and a ``repair`` record names
them (offset, length, SHA-256, file), the reason, who and when. A journal damaged
anywhere but at its tail is not repaired: that is tampering or corruption for
``drawcore verify`` to report.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from drawcore.cli.common import Exit
from drawcore.i18n import N_, _, msg

PREVIEW = 160
"""How many bytes of the removed tail are shown (escaped), the rest counted."""


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal file with a torn tail"))
    p.add_argument("--reason", required=True, help=N_("why it is repaired, e.g. 'power cut'"))
    p.add_argument("--repaired-by", required=True, help=N_("who repairs it (谁修复)"))
    p.add_argument("--at", required=True, help=N_("when (ISO 8601 with offset)"))


def run(args: argparse.Namespace) -> int:
    from drawcore.errors import InvalidInputError
    from drawcore.record.journal import Journal
    from drawcore.record.seeding import parse_time

    parse_time(args.at, "--at")
    if not args.journal.exists():
        raise InvalidInputError(msg("{journal}: no such journal file", journal=args.journal))
    journal = Journal(args.journal)
    journal.refresh()  # damage before the tail is a JournalError, not repaired
    if journal.torn_tail is None:
        nothing = _("{journal}: no torn tail; nothing done ({records} records)")
        print(nothing.format(journal=args.journal, records=journal.size))
        return Exit.OK
    record = journal.repair_torn_tail(reason=args.reason, repaired_by=args.repaired_by, at=args.at)
    body = record.body
    saved = args.journal.with_name(body["saved_to"])
    removed = saved.read_bytes()[:PREVIEW]
    more = body["discarded_bytes"] - len(removed)
    gone = _("removed: record {record} onwards, from byte {offset}: {size} bytes, SHA-256 {sha}")
    print(
        gone.format(
            record=body["record"],
            offset=body["byte_offset"],
            size=body["discarded_bytes"],
            sha=body["discarded_sha256"],
        )
    )
    more_bytes = _(" ... and {count} more bytes").format(count=more) if more > 0 else ""
    print(f"  {removed!r}" + more_bytes)
    print(_("kept in: {file}").format(file=saved))
    recorded = _("record {seq}: repair recorded (reason {reason}, by {who}, at {at})")
    print(
        recorded.format(
            seq=record.seq, reason=repr(body["reason"]), who=body["repaired_by"], at=body["at"]
        )
    )
    return Exit.OK
