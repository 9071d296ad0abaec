"""How much of a registry file drawcore will read, and what text it refuses.

A registry comes from outside: an office's export, a platform's upload, or a hostile
file. Every reader therefore opens only a **regular file** (a FIFO, ``/dev/zero``, a
socket or a directory is refused before a byte is read, so nothing hangs or fills
memory), reads at most :attr:`ReadLimits.max_bytes`, and refuses files with more
rows, columns, characters in one field or JSON nesting than its limits. A spreadsheet
is also bounded before it is loaded: what it unpacks to and how many cells its sheets
span (see :mod:`drawcore.registry.sheetbounds`). At most
:attr:`ReadLimits.max_problems` problems are listed, then a count of the rest, so a
file with a million bad columns gives a short answer, not hundreds of megabytes.

The defaults fit a city's registry with room to spare; pass your own
``ReadLimits`` (``read_units(path, limits=ReadLimits(max_rows=20_000_000))``) for more.

Registry text may not hold control characters (NUL, BEL, ESC, ... — every C0 and C1
control except TAB, LF and CR, and DEL) nor the bidirectional overrides and
isolates U+202A–U+202E, U+2066–U+2069: they can hide or reorder what a published
list or a terminal shows.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

import attrs

from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, msg

__all__ = ["ReadLimits", "forbidden_character", "read_regular_file"]


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInputError(
            msg(
                "ReadLimits.{name} must be a positive integer, got {value}",
                name=attribute.name,
                value=repr(value),
            )
        )


@attrs.frozen
class ReadLimits:
    """Bounds on one registry read (every field a positive integer)."""

    #: bytes read from the file (1 GiB: a million-row CSV is about 150 MB)
    max_bytes: int = attrs.field(default=1 << 30, validator=_positive)
    #: data rows after the header
    max_rows: int = attrs.field(default=5_000_000, validator=_positive)
    #: columns in the header row
    max_columns: int = attrs.field(default=256, validator=_positive)
    #: characters in one field, quoted or not (the :mod:`csv` module's default limit)
    max_field_chars: int = attrs.field(default=131_072, validator=_positive)
    #: nesting of ``[`` and ``{`` in a JSON registry (a registry needs 3)
    max_json_depth: int = attrs.field(default=32, validator=_positive)
    #: problems listed in an error before the rest are only counted
    max_problems: int = attrs.field(default=100, validator=_positive)
    #: bytes a zipped spreadsheet (xlsx, xlsm, xlsb, ods) unpacks to, all members together
    max_unpacked_bytes: int = attrs.field(default=1 << 30, validator=_positive)
    #: cells (rows x columns) of a spreadsheet's sheet, counted before it is loaded
    max_cells: int = attrs.field(default=50_000_000, validator=_positive)
    #: bytes of an ``.xls`` file (BIFF is not compressed; its sheets hold at most
    #: 65,536 rows by 256 columns)
    max_xls_bytes: int = attrs.field(default=256 << 20, validator=_positive)


_KINDS = {
    stat.S_ISDIR: N_("a directory"),
    stat.S_ISFIFO: N_("a FIFO"),
    stat.S_ISCHR: N_("a character device"),
    stat.S_ISBLK: N_("a block device"),
    stat.S_ISSOCK: N_("a socket"),
}


def _not_regular(path: Path, mode: int) -> InvalidInputError:
    what = next((w for test, w in _KINDS.items() if test(mode)), N_("a special file"))
    return InvalidInputError(
        msg("{path}: not a regular file ({what})", path=str(path), what=msg(what))
    )


def read_regular_file(path: Path, limits: ReadLimits) -> bytes:
    """The bytes of ``path``, if it is a regular file of at most ``limits.max_bytes``.

    The file is opened without blocking (a FIFO with no writer would otherwise hang)
    and checked through the open descriptor, so it cannot be swapped between the check
    and the read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InvalidInputError(msg("{path}: no such file", path=str(path))) from None
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise _not_regular(path, stat.S_IFDIR) from None
        raise _cannot_read(path, exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode)
        if info.st_size > limits.max_bytes:
            raise _too_large(path, limits)
        chunks = []
        size = 0
        # the whole file in one read (one chunk is joined without a copy), then whatever
        # it grew by since fstat, up to one byte past the limit
        wanted = max(info.st_size + 1, 1 << 16)
        while True:
            chunk = os.read(fd, min(wanted, limits.max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limits.max_bytes:
                raise _too_large(path, limits)
        return b"".join(chunks)
    except OSError as exc:
        raise _cannot_read(path, exc) from None
    finally:
        os.close(fd)


def _cannot_read(path: Path, exc: OSError) -> InvalidInputError:
    return InvalidInputError(
        msg("{path}: cannot read ({why})", path=str(path), why=str(exc.strerror or exc))
    )


def _too_large(path: Path, limits: ReadLimits) -> InvalidInputError:
    return InvalidInputError(
        msg(
            "{path}: file is larger than the limit of {limit} bytes (ReadLimits.max_bytes)",
            path=str(path),
            limit=limits.max_bytes,
        )
    )


#: C0 controls but TAB, LF, CR; DEL and the C1 controls; bidirectional overrides/isolates.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def forbidden_character(text: str) -> str | None:
    """Why ``text`` may not be registry text (its first forbidden character), else ``None``."""
    found = FORBIDDEN.search(text)
    if found is None:
        return None
    char = found.group()
    template = (
        N_(
            "contains the bidirectional control character {code} at character {n}; "
            "remove it and export again"
        )
        if ord(char) > 0x2000
        else N_(
            "contains the control character {code} at character {n}; remove it and export again"
        )
    )
    return msg(template, code=f"U+{ord(char):04X}", n=found.start() + 1)
