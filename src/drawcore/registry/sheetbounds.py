"""A spreadsheet's size, checked before the spreadsheet reader loads a sheet.

A spreadsheet is small on disk and large in memory: ``.xlsx``, ``.xlsm``, ``.xlsb`` and
``.ods`` are zip archives, and a sheet is loaded as a dense table spanning its first to
its last cell. A file of a few hundred bytes can thus ask for gigabytes: a member that
unpacks a thousandfold (a zip bomb), or two cells at ``A1`` and ``ZZ200000`` (a 140
million cell table). The reader aborts the whole process when it cannot allocate, so
these are refused before it runs, within :class:`~drawcore.registry.limits.ReadLimits`:

- **unpacked size** (``max_unpacked_bytes``, 1 GiB): the members' declared sizes added
  up, from the archive's directory; and the worksheets' text, unpacked as far as the
  limit, so a member that unpacks to more than it declares is refused too;
- **cells** (``max_cells``, 50 million): for ``.xlsx``/``.xlsm``, every worksheet's
  extent from the ``r="D17"`` references of its rows and cells (plus, conservatively,
  one row or column for each row or cell without a reference), never from the
  ``<dimension>`` element, which the reader does not trust either. ``.xlsb`` and
  ``.ods`` sheets are measured by their own reader's table size, before their cells
  are converted;
- **.xls size** (``max_xls_bytes``, 256 MiB): a BIFF file is not compressed, and its
  format holds at most 65,536 rows by 256 columns.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import numpy as np

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.registry.limits import ReadLimits

__all__ = ["ZIPPED_SUFFIXES", "check_cells", "check_spreadsheet"]

#: Spreadsheet formats stored as zip archives.
ZIPPED_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".ods")
#: Those whose worksheets are XML with ``r="D17"`` cell references.
_XML_SHEETS = (".xlsx", ".xlsm")
_CHUNK = 1 << 24
_WINDOW = 16  # bytes looked at after each ` r="`: 3 letters and 7 digits fit


def check_spreadsheet(data: bytes, path: str, suffix: str, limits: ReadLimits) -> None:
    """Refuse a spreadsheet larger than ``limits`` allow, before any sheet is loaded."""
    if suffix == ".xls":
        if len(data) > limits.max_xls_bytes:
            raise InvalidInputError(
                msg(
                    "{path}: the .xls file is {size} bytes, more than the limit of {limit} "
                    "bytes (ReadLimits.max_xls_bytes)",
                    path=path,
                    size=len(data),
                    limit=limits.max_xls_bytes,
                )
            )
        return
    if suffix not in ZIPPED_SUFFIXES:
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip: the spreadsheet reader says what is wrong with it
    declared = sum(m.file_size for m in members)
    if declared > limits.max_unpacked_bytes:
        raise _unpacked(path, declared, limits)
    if suffix in _XML_SHEETS:
        for member in members:
            name = member.filename
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                rows, columns = _extent(archive, member, path, limits)
                check_cells(path, rows, columns, limits)


def check_cells(path: str, rows: int, columns: int, limits: ReadLimits) -> None:
    """Refuse a sheet whose table would hold more than ``limits.max_cells`` cells."""
    if rows * columns > limits.max_cells:
        raise InvalidInputError(
            msg(
                "{path}: a sheet spans {rows} rows by {columns} columns, more than the limit "
                "of {limit} cells (ReadLimits.max_cells)",
                path=path,
                rows=rows,
                columns=columns,
                limit=limits.max_cells,
            )
        )


def _unpacked(path: str, size: int, limits: ReadLimits) -> InvalidInputError:
    return InvalidInputError(
        msg(
            "{path}: the spreadsheet unpacks to at least {size} bytes, more than the limit "
            "of {limit} bytes (ReadLimits.max_unpacked_bytes)",
            path=path,
            size=size,
            limit=limits.max_unpacked_bytes,
        )
    )


def _chunks(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: str, limits: ReadLimits
) -> Iterator[tuple[bytes, bool]]:
    """(bytes, is it the last chunk) of the member, a chunk at a time.

    :mod:`zipfile` stops at the declared size and checks the CRC, so a member that
    unpacks to more than it declares ends in an error, not in more bytes.
    """
    total = 0
    try:
        with archive.open(member) as stream:
            chunk = stream.read(_CHUNK)
            while chunk:
                total += len(chunk)
                if total > limits.max_unpacked_bytes:
                    raise _unpacked(path, total, limits)
                after = stream.read(_CHUNK)
                yield chunk, not after
                chunk = after
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise InvalidInputError(
            msg(
                "{path}: the spreadsheet's member {member} cannot be unpacked ({why})",
                path=path,
                member=member.filename,
                why=str(exc)[:200],
            )
        ) from None


def _extent(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: str, limits: ReadLimits
) -> tuple[int, int]:
    """(last row, last column), 1-based, a worksheet's cells may reach, at the least.

    Every ``r="..."`` attribute is read (a row's ``r="17"``, a cell's ``r="D17"``),
    over numpy arrays of the text; rows and cells without one each count for one more.
    """
    last_row = last_column = 0
    row_tags = cell_tags = refs_rows = refs_cells = 0
    pending, lo = b"", 2
    for chunk, last in _chunks(archive, member, path, limits):
        # look at the '=' of each ` r="` from ``lo`` (2 bytes of context before it) to ``hi``
        # (a whole window after it, unless the text ends); the rest waits for the next chunk
        text = pending + chunk
        hi = len(text) if last else max(len(text) - _WINDOW, lo)
        keep = max(hi - 4, 0)
        pending, next_lo = text[keep:], hi - keep
        for tag in (b"<row", b":row"):
            row_tags += text.count(tag, lo, hi + len(tag) - 1)
        for tag in (b"<c", b":c "):
            cell_tags += text.count(tag, lo, hi + len(tag) - 1)
        buf = np.frombuffer(text + b"\0" * (_WINDOW + 4), dtype=np.uint8)
        at = np.flatnonzero(buf[lo:hi] == ord("=")) + lo
        at = at[(buf[at - 1] == ord("r")) & (buf[at + 1] == ord('"'))]
        before = buf[at - 2]
        at = at[(before == 32) | (before == 9) | (before == 10) | (before == 13)] + 2
        lo = next_lo
        if not len(at):
            continue
        n_letters = np.zeros(len(at), dtype=np.int64)
        columns = np.zeros(len(at), dtype=np.int64)
        for k in range(4):  # "AB" -> 1 * 26 + 2
            byte = buf[at + k].astype(np.int64)
            more = (n_letters == k) & (byte >= ord("A")) & (byte <= ord("Z"))
            n_letters += more
            columns = np.where(more, columns * 26 + byte - 64, columns)
        if int(n_letters.max()) > 3:
            raise _beyond(path, member.filename)
        n_digits = np.zeros(len(at), dtype=np.int64)
        rows = np.zeros(len(at), dtype=np.int64)
        for k in range(_WINDOW - 4):
            byte = buf[at + n_letters + k].astype(np.int64)
            more = (n_digits == k) & (byte >= ord("0")) & (byte <= ord("9"))
            if not more.any():
                break
            n_digits += more
            rows = np.where(more, rows * 10 + byte - ord("0"), rows)
        if int(n_digits.max()) > 9:
            raise _beyond(path, member.filename)
        is_cell = n_letters > 0
        refs_cells += int(is_cell.sum())
        refs_rows += int((~is_cell).sum())
        last_row = max(last_row, int(rows.max()))
        last_column = max(last_column, int(columns.max()))
    return (
        last_row + max(row_tags - refs_rows, 0),
        last_column + max(cell_tags - refs_cells, 0),
    )


def _beyond(path: str, member: str) -> InvalidInputError:
    return InvalidInputError(
        msg(
            "{path}: the spreadsheet's member {member} names a cell beyond any sheet's size",
            path=path,
            member=member,
        )
    )
