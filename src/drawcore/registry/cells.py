"""From cells to registry columns: conversion, collected problems, building the registry.

Every problem in a file is collected (file, row, field) and raised at once as one
:class:`~drawcore.errors.InvalidInputError`; nothing partial is returned.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.registry.headers import (
    _FALSE,
    _TAG_SEPARATORS,
    _TRUE,
    _WS,
    ENUM_LABELS,
    HEADER_ALIASES,
    INDEX_HEADERS,
    Reg,
    header_map,
)
from drawcore.registry.registries import (
    NO_YEAR,
    FieldSpec,
    Kind,
)

#: Told ``(records read, records in the file)`` after each block of records is converted:
#: the first number only grows, and the last call has it equal to the second.
Progress = Callable[[int, int], None]


@attrs.frozen
class Layout:
    """Where the records of a file are, to name each problem's place in the file's own terms.

    ``style``: ``"csv"`` (row and physical line), ``"json"`` (record number) or ``"sheet"``
    (``file!sheet!D17``). ``positions()`` gives, per record, its physical line (CSV) or
    0-based sheet row; it is called only if there are problems, so a clean read never
    pays for it. ``first_column`` and ``header_row`` (0-based) place the table in a sheet.
    """

    style: str
    positions: Callable[[], Sequence[int]] | None = None
    sheet: str = ""
    first_column: int = 0
    header_row: int = 0


def column_letters(index: int) -> str:
    """0 -> ``A``, 25 -> ``Z``, 26 -> ``AA``: a spreadsheet column's name."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


class _Collector:
    """Problems of one file; messages name the file, the place (row and line, record, or
    sheet cell) and the column by the file's own header.

    At most ``max_problems`` problems are kept; the rest are counted, so a file with a
    million bad cells gives a short error.
    """

    def __init__(
        self, path: str, layout: Layout, *, max_problems: int = 100, this_year: int = 9999
    ) -> None:
        self.path = path
        self.layout = layout
        self.max_problems = max_problems
        self.this_year = this_year
        self.items: list[tuple[int, str, str]] = []
        self.dropped = 0
        self.offset = 0  # index of the first record of the block being converted
        self.screened = False  # the whole text holds no forbidden character
        self.labels: dict[str, str] = {}  # field name -> the file's own header text
        self.columns: dict[str, int] = {}  # field name (or header text) -> column index
        self.progress: Progress | None = None
        self.total = 0  # records in the file, for progress
        self.stripped = False  # every text cell is stripped of whitespace (str.strip())
        # field name -> cell text -> its value, for the valid cells of blocks already
        # converted (see _convert)
        self.seen: dict[str, dict[str, Any]] = {}

    def add(self, row: int | None, field: str | None, message: str) -> None:
        """``row``: 0-based record index within the current block, or ``None`` for the
        file or header."""
        if len(self.items) >= self.max_problems:
            self.dropped += 1
            return
        self.items.append((-1 if row is None else row + self.offset, field or "", message))

    def count(self) -> int:
        """Problems found so far, listed or not."""
        return len(self.items) + self.dropped

    def full(self) -> bool:
        return len(self.items) >= self.max_problems

    def _where(self, row: int, field: str, positions: Sequence[int] | None) -> str:
        layout = self.layout
        if layout.style == "sheet" and positions is not None and 0 <= row < len(positions):
            column = self.columns.get(field)
            cell = (
                f"{column_letters(column + layout.first_column)}{positions[row] + 1}"
                if column is not None
                else f"{positions[row] + 1}:{positions[row] + 1}"
            )
            return f"{self.path}!{layout.sheet}!{cell}"
        if row < 0 and layout.style == "sheet" and field in self.columns:
            letters = column_letters(self.columns[field] + layout.first_column)
            cell = f"{self.path}!{layout.sheet}!{letters}{layout.header_row + 1}"
            return msg("{cell} (header)", cell=cell)
        if row < 0:
            return (
                msg("{path}: header", path=self.path)
                if field
                else msg("{path}: file", path=self.path)
            )
        if layout.style == "json":
            return msg("{path}: record {number}", path=self.path, number=row + 1)
        if positions is not None and row < len(positions):
            return msg(
                "{path}: row {number} (line {line})",
                path=self.path,
                number=row + 1,
                line=positions[row],
            )
        return msg("{path}: row {number}", path=self.path, number=row + 1)

    def _field(self, field: str) -> str:
        label = self.labels.get(field, field)
        if label == field:
            return msg("field {field}", field=repr(field))
        return msg("column {label} (field {field})", label=repr(label), field=repr(field))

    def raise_if_any(self, what: str) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda t: (t[0], t[1]))
        positions = self.layout.positions() if self.layout.positions is not None else None
        problems = []
        for row, field, message in self.items:
            where = self._where(row, field, positions)
            if field:
                line = msg(
                    "{where}, {field}: {problem}",
                    where=where,
                    field=self._field(field),
                    problem=message,
                )
            else:
                line = msg("{where}: {problem}", where=where, problem=message)
            problems.append(line)
        total = len(problems) + self.dropped
        if self.dropped:
            problems.append(
                msg(
                    "... and {count} more problems not listed (ReadLimits.max_problems = {limit})",
                    count=self.dropped,
                    limit=self.max_problems,
                )
            )
        if total > 1:
            raise InvalidInputError(
                msg(
                    "invalid {what}: {problem} (and {more} more)",
                    what=msg(what),
                    problem=problems[0],
                    more=total - 1,
                ),
                tuple(problems),
            )
        raise InvalidInputError(
            msg("invalid {what}: {problem}", what=msg(what), problem=problems[0]), tuple(problems)
        )


@functools.cache
def _code_lookup(spec: FieldSpec) -> dict[str, int]:
    """Cell text -> code for an enum field (value, any case, or Chinese label) or a flag
    (1 or 0); the empty cell is the field's default. Built once per field, never changed."""
    if spec.kind is Kind.BOOL:
        return {**dict.fromkeys(_TRUE, 1), **dict.fromkeys(_FALSE, 0), "": int(spec.default)}
    members = spec.members
    lut = {str(m.value).lower(): i for i, m in enumerate(members)}
    lut.update({str(m.value): i for i, m in enumerate(members)})
    for label, member in ENUM_LABELS.get(spec.enum_type or object, {}).items():
        lut[label] = members.index(member)
    lut[""] = members.index(spec.default)
    return lut


def _hint(spec: FieldSpec) -> str:
    """What an enum or flag cell may hold, for a problem."""
    if spec.kind is Kind.BOOL:
        return msg("use true or false")
    return msg("expected one of: {values}", values=", ".join(str(m.value) for m in spec.members))


def _lookup(spec: FieldSpec, cells: Sequence[str], lut: dict[str, int], out: _Collector) -> Any:
    """Codes of ``cells`` by ``lut`` (then case-insensitively); unknown cells are reported.

    A column whose every cell is in ``lut`` (nearly always) is looked up in one C loop of
    ``dict.__getitem__``; only a column with some other cell pays for a default per cell.
    """
    n = len(cells)
    try:
        return np.fromiter(map(lut.__getitem__, cells), dtype=np.int64, count=n)
    except KeyError:
        pass
    codes = np.fromiter(map(lut.get, cells, itertools.repeat(-1)), dtype=np.int64, count=n)
    for i in np.flatnonzero(codes < 0).tolist():
        code = lut.get(cells[i].lower())
        if code is None:
            unknown = msg("unknown value {value} ({hint})", value=repr(cells[i]), hint=_hint(spec))
            out.add(i, spec.name, unknown)
            code = 0
        codes[i] = code
    return codes


#: Kinds whose valid cells are remembered per read (text -> value, stored as this dtype):
#: a registry repeats its weights, years and dates, and a dictionary lookup costs a
#: fraction of parsing a number or a date again.
_REMEMBERED = {Kind.FLOAT: np.float64, Kind.YEAR: np.int32, Kind.DATE: np.int64}


def _convert(spec: FieldSpec, cells: Sequence[str], out: _Collector) -> Any:
    """A column of stripped cells -> a typed column, reporting each bad cell.

    A column whose cells are all the same text (a flag that is ``false`` throughout a
    block, an empty optional year) is converted once and repeated, if that one cell is
    valid: comparing cells costs a fraction of converting them. A number, year or date
    column whose every cell was met before in a block without problems takes the values
    found then (``out.seen``).
    """
    n = len(cells)
    kind = spec.kind
    if kind is Kind.TEXT:
        return cells if spec.required or "" not in cells else [c or spec.default for c in cells]
    if n > 1 and cells == [cells[0]] * n:
        probe = _Collector(out.path, out.layout, this_year=out.this_year)
        one = _convert(spec, cells[:1], probe)
        if not probe.items:
            return one.repeat(n) if isinstance(one, np.ndarray) else one * n
    stored = _REMEMBERED.get(kind)
    if stored is None:
        return _convert_cells(spec, cells, out)
    seen = out.seen.setdefault(spec.name, {})
    try:
        values = np.fromiter(map(seen.__getitem__, cells), dtype=stored, count=n)
    except KeyError:
        before = out.count()
        converted = _convert_cells(spec, cells, out)
        if out.count() == before:
            seen.update(zip(cells, converted.view(stored).tolist(), strict=True))
        return converted
    return values.view("datetime64[D]") if kind is Kind.DATE else values


def _convert_cells(spec: FieldSpec, cells: Sequence[str], out: _Collector) -> Any:
    """:func:`_convert` cell by cell (for a number, year or date, parsing each cell)."""
    n = len(cells)
    kind = spec.kind
    if kind is Kind.ENUM:
        return _lookup(spec, cells, _code_lookup(spec), out).astype(np.int8)
    if kind is Kind.BOOL:
        return _lookup(spec, cells, _code_lookup(spec), out) == 1
    if kind is Kind.FLOAT:
        default = repr(float(spec.default))
        filled = [c or default for c in cells]
        try:
            return np.array(filled, dtype=np.float64).reshape(n)
        except ValueError:
            values = np.zeros(n)
            for i, c in enumerate(filled):
                try:
                    values[i] = float(c)
                except ValueError:
                    out.add(i, spec.name, msg("not a number: {value}", value=repr(c)))
            return values
    if kind is Kind.YEAR:
        values = np.full(n, NO_YEAR, dtype=np.int32)
        for i, c in enumerate(cells):
            if c:
                year = c[:-1] if c.endswith("年") else c
                if len(year) == 4 and year.isascii() and year.isdigit() and year[0] != "0":
                    values[i] = int(year)
                    if values[i] > out.this_year:
                        out.add(
                            i,
                            spec.name,
                            msg(
                                "year {year} is in the future (after {this_year})",
                                year=year,
                                this_year=out.this_year,
                            ),
                        )
                else:
                    out.add(i, spec.name, msg("not a four-digit year: {value}", value=repr(c)))
        return values
    if kind is Kind.DATE:
        shaped: list[str | None] = [
            "NaT" if not c else c if len(c) == 10 and c[4] == c[7] == "-" else None for c in cells
        ]
        for i in [i for i, c in enumerate(shaped) if c is None]:
            shaped[i] = iso_date(cells[i])
            if shaped[i] is None:
                out.add(
                    i,
                    spec.name,
                    msg(
                        "not a date: {value} (use YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日)",
                        value=repr(cells[i]),
                    ),
                )
                shaped[i] = "NaT"
        try:
            return np.array(shaped, dtype="datetime64[D]").reshape(n)
        except ValueError:
            dates = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
            for i, d in enumerate(shaped):
                try:
                    dates[i] = np.datetime64(d, "D")
                except ValueError:
                    out.add(i, spec.name, msg("not a calendar date: {value}", value=repr(cells[i])))
            return dates
    tags = []
    for c in cells:
        for sep in _TAG_SEPARATORS:
            c = c.replace(sep, ";")
        tags.append(tuple(sorted({t.strip(_WS) for t in c.split(";")} - {""})))
    return tags


_DATE = re.compile(
    r"(\d{4})(?:(?P<s>[-/.])(\d{1,2})(?P=s)(\d{1,2})|年(\d{1,2})月(\d{1,2})日)"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_EXCEL_SERIAL = re.compile(r"(\d{5})(?:\.0+)?")
#: Day 0 of Excel's 1900 date system as it counts after its phantom 1900-02-29.
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def iso_date(cell: str) -> str | None:
    """A date cell in a common spelling as ``YYYY-MM-DD`` (not checked against the
    calendar), else ``None``.

    Accepted: ``2026-01-05``, ``2026/1/5``, ``2026.1.5``, ``2026年1月5日`` (one separator
    throughout), each optionally followed by a time of day, which is dropped; and an
    Excel serial day number of five digits (10000-99999, 1927-05-18 to 2173-10-14 in the
    1900 date system), which is what a date cell becomes when its format is lost.
    """
    m = _DATE.fullmatch(cell)
    if m is not None:
        year, _, month, day, month_zh, day_zh = m.groups()
        return f"{year}-{int(month or month_zh):02d}-{int(day or day_zh):02d}"
    if _EXCEL_SERIAL.fullmatch(cell):
        return (_EXCEL_EPOCH + dt.timedelta(days=int(float(cell)))).isoformat()
    return None


def _joined(parts: list[Any]) -> Any:
    """One column from its converted blocks (numpy arrays, or lists of cells / tags)."""
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts)
    return list(itertools.chain.from_iterable(parts))


def _build(
    cls: type[Reg],
    kind: str,
    header: Sequence[str],
    blocks: Iterable[tuple[int, Sequence[Sequence[str]]]],
    out: _Collector,
    allow_unknown_columns: bool,
    header_rows: Sequence[int] | None = None,
) -> Reg:
    """Header + blocks of raw string columns -> a validated registry, or raise with every
    problem. A block is (index of its first record, its columns).

    An index column (序号, 编号, ... unless the registry names a field so) is dropped, and
    so is a column with no header and no values (an export's empty margin). For JSON,
    ``header_rows`` gives the record in which each key first appears.
    """
    names = header_map(kind)
    fields: dict[str, int] = {}
    unnamed: list[int] = []
    for j, raw in enumerate(header):
        field = names.get(raw) or names.get(raw.lower())
        out.columns.setdefault(raw, j)
        if field is None:
            if not raw:
                unnamed.append(j)
            elif raw in INDEX_HEADERS or raw.lower() in INDEX_HEADERS:
                continue
            elif not allow_unknown_columns:
                known = ", ".join(HEADER_ALIASES[kind])
                row = None if header_rows is None else header_rows[j]
                unknown = (
                    msg("unknown key (known fields: {known}; Chinese aliases in docs)", known=known)
                    if header_rows is not None
                    else msg(
                        "unknown column (known fields: {known}; Chinese aliases in docs)",
                        known=known,
                    )
                )
                out.add(row, raw, unknown)
        elif field in fields:
            out.add(None, raw, msg("column for field {field} appears twice", field=repr(field)))
        else:
            fields[field] = j
            out.labels[field] = raw
            out.columns[field] = j
    for spec in cls.schema:
        if spec.required and spec.name not in fields:
            aliases = " / ".join(HEADER_ALIASES[kind][spec.name])
            missing = msg(
                "required column is missing (header {name} or {aliases})",
                name=spec.name,
                aliases=aliases,
            )
            out.add(None, spec.name, missing)
    out.raise_if_any(cls.what)
    if unnamed:
        blocks = _without_unnamed(blocks, unnamed, out)
    specs = [spec for spec in cls.schema if spec.name in fields]
    # a text column goes straight into the array it is stored in, block by block while
    # its cells are still in the processor's cache; other columns are joined at the end
    texts = {s.name: np.empty(out.total, dtype=object) for s in specs if s.kind is Kind.TEXT}
    parts: dict[str, list[Any]] = {s.name: [] for s in specs if s.name not in texts}
    end = 0
    for start, columns in blocks:
        out.offset = start
        end = start + len(columns[0])
        for spec in specs:
            converted = _convert(spec, columns[fields[spec.name]], out)
            if spec.name in texts:
                texts[spec.name][start:end] = converted
            else:
                parts[spec.name].append(converted)
        if out.progress is not None:
            out.progress(min(end, out.total), out.total)
    out.offset = 0
    typed = {name: _joined(converted) for name, converted in parts.items()}
    typed.update({name: column[:end] for name, column in texts.items()})
    # bad cells hold a valid placeholder by now, so record checks still run: one pass
    # reports every problem in the file
    stored, problems = cls.check_columns(
        typed, screened=out.screened, stripped=out.stripped, owned=True
    )
    for p in problems:
        out.add(p.index, p.field, p.message)
    out.raise_if_any(cls.what)
    return cls.from_checked(stored)


def _without_unnamed(
    blocks: Iterable[tuple[int, Sequence[Sequence[str]]]], unnamed: list[int], out: _Collector
) -> Iterator[tuple[int, Sequence[Sequence[str]]]]:
    """The blocks, reporting each value in a column that has no header."""
    for start, columns in blocks:
        for j in unnamed:
            for i in (i for i, c in enumerate(columns[j]) if c):
                out.offset = start
                name = f"#{j + 1}"
                out.columns[name] = j
                out.add(i, name, msg("column {number} has values, no header", number=j + 1))
                break
        yield start, columns
