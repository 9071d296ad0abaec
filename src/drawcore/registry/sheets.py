"""Spreadsheets as offices export them: ``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls``, ``.ods``.

Read through python-calamine (the Rust ``calamine`` reader). The first sheet is read
unless ``sheet=`` names another. Cells become the text a CSV export would hold: a
whole number without ``.0`` (``4.0`` -> ``4``, so a certificate number stored as a
number keeps its digits), a date cell as ``YYYY-MM-DD``, a date-and-time cell as
``YYYY-MM-DD HH:MM:SS`` (a date field keeps the date), ``true``/``false``. Then the
same rules hold as for CSV: the header row is found below title rows (a merged title
cell holds its text in its first cell), index columns and blank rows are dropped, and
every problem names the file, sheet and cell, e.g. ``单位名册.xlsx!Sheet1!D17``.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import PurePath
from typing import Any

import python_calamine as calamine

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.registry.cells import Layout, _build
from drawcore.registry.formats import ReadOptions, _collector, check_size
from drawcore.registry.headers import _WS, HEADER_SEARCH_ROWS, Reg, _kind_of, find_header
from drawcore.registry.limits import ReadLimits
from drawcore.registry.sheetbounds import check_cells, check_spreadsheet

__all__ = ["SPREADSHEET_SUFFIXES", "SheetRows", "sheet_rows"]

#: File name endings read as spreadsheets (any case).
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def _text(value: Any) -> str:
    """A cell value as the text a CSV export of it would hold."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    return str(value)


#: A loaded sheet: its name, (first row, first column) of its used area, its rows as text.
SheetRows = tuple[str, tuple[int, int], list[list[str]]]


def sheet_rows(data: bytes, path: str, sheet: str | None, limits: ReadLimits) -> SheetRows:
    """(sheet name, (first row, first column) of the used area, its rows as text)."""
    check_spreadsheet(data, path, PurePath(path).suffix.lower(), limits)
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several unrelated types for a bad file
        raise InvalidInputError(
            msg(
                "{path}: not a readable spreadsheet ({why})",
                path=path,
                why=f"{type(exc).__name__}: {str(exc)[:200]}",
            )
        ) from None
    names = list(book.sheet_names)
    if not names:
        raise InvalidInputError(msg("{path}: the workbook has no sheet", path=path))
    name = names[0] if sheet is None else sheet
    if name not in names:
        raise InvalidInputError(
            msg(
                "{path}: no sheet named {name} (sheets: {names})",
                path=path,
                name=repr(name),
                names=", ".join(names),
            )
        )
    try:
        found = book.get_sheet_by_name(name)
        check_cells(path, found.height, found.width, limits)
        check_size(path, found.height - 1, found.width, limits)
        values = found.to_python(skip_empty_area=True, nrows=limits.max_rows + HEADER_SEARCH_ROWS)
    except InvalidInputError:
        raise
    except Exception as exc:
        raise InvalidInputError(
            msg(
                "{path}!{sheet}: cannot read the sheet ({why})",
                path=path,
                sheet=name,
                why=f"{type(exc).__name__}: {str(exc)[:200]}",
            )
        ) from None
    start = found.start or (0, 0)
    return name, (int(start[0]), int(start[1])), [[_text(v) for v in row] for row in values]


def _read_sheet(cls: type[Reg], loaded: SheetRows, path: str, options: ReadOptions) -> Reg:
    """A registry from a sheet :func:`sheet_rows` loaded."""
    kind = _kind_of(cls)
    name, (top, left), rows = loaded
    if not any(c.strip(_WS) for row in rows for c in row):
        raise InvalidInputError(msg("{path}!{sheet}: the sheet is empty", path=path, sheet=name))
    h = find_header(rows, kind)
    header = [c.strip(_WS) for c in rows[h]]
    kept = [i for i in range(h + 1, len(rows)) if any(c.strip(_WS) for c in rows[i])]
    if not kept:
        raise InvalidInputError(
            msg("{path}!{sheet}: has a header but no records", path=path, sheet=name)
        )
    check_size(path, len(kept), len(header), options.limits)
    width = len(header)
    columns = [[rows[i][j].strip() if j < len(rows[i]) else "" for i in kept] for j in range(width)]
    sheet_rows_of = [top + i for i in kept]
    out = _collector(path, Layout("sheet", lambda: sheet_rows_of, name, left, top + h), options)
    out.total = len(kept)
    out.stripped = True
    return _build(cls, kind, header, [(0, columns)], out, options.allow_unknown_columns)
