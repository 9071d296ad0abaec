"""Read registry files: CSV, JSON and spreadsheets (xlsx, xls, ods), Chinese or English headers.

Readers validate strictly and all at once: every problem in a file is collected,
each naming the file, the data row (1-based, the first row after the header;
for CSV also the physical line) and the field, and one
:class:`~drawcore.errors.InvalidInputError` is raised with ``.problems`` listing
them all. Nothing partial is ever returned.

**Encodings.** CSV may be UTF-8, UTF-8 with BOM, UTF-16 with BOM, or GB18030
(GBK and GB2312 are subsets). Without ``encoding=``, a UTF-16 BOM selects
UTF-16, otherwise UTF-8 (BOM optional) is tried, then GB18030. A stray BOM at
the start of the text is always dropped.

**Spreadsheets.** ``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls`` and ``.ods`` files are
read as spreadsheets (first sheet, or ``sheet=``), everything else by content as CSV or,
for ``.json``, JSON. See :mod:`drawcore.registry.sheets`.

**Layout.** The header row is the first of the first 20 rows that names the id column
or two fields: title rows above it are skipped. Index columns (序号, 编号, 行号, No.)
are dropped unless the registry has a field of that name, and so are columns with
neither header nor values. Blank rows (including CSV rows of bare commas) are skipped
wherever they are; row and line numbers in messages still point into the file.

**Limits.** Only regular files are read, within :class:`~drawcore.registry.limits.ReadLimits`
(bytes, rows, columns, characters per field, JSON nesting, problems listed); text with
control or bidirectional-override characters is refused. See
:mod:`drawcore.registry.limits`.

**Cells.** Leading and trailing whitespace (including the ideographic space
U+3000) is stripped from every header and cell. Booleans: ``true/false``,
``1/0``, ``yes/no``, ``y/n``, ``是/否`` (any case); empty means the field's
default. Enums: their value (``low``, ``high``, ...) or the Chinese label in
:data:`ENUM_LABELS`. Dates: ``2026-01-05``, ``2026/1/5``, ``2026.1.5`` or
``2026年1月5日`` (a time of day after it is dropped), or an Excel serial day number.
Years: four digits (``2019`` or ``2019年``), not after the current year. Tags
(expertise, industries): separated by ``;``, ``；`` or ``、``. Empty optional cells take
the model default.

**Headers.** Each column is named by its English field name (``unit_id``, any
case) or one of the Chinese aliases in :data:`~drawcore.registry.headers.HEADER_ALIASES` (e.g.
统一社会信用代码 -> ``unit_id``). A column the mapping does not know is an
error unless ``allow_unknown_columns=True``, in which case it is ignored: a
misspelt header must not silently drop a field such as 黑名单. A required field
with no column is an error; an optional one takes its default.

A registry file with a header but no records is an error too: an empty registry
cannot be drawn from and is almost always a truncated export.

Problems name the column by the file's own header (``column '最近检查日期' (field
'last_inspected')``) and, in a spreadsheet, the sheet and cell
(``单位名册.xlsx!Sheet1!D17``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from pathlib import Path
from typing import Any

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.registry.cells import Progress
from drawcore.registry.formats import ReadOptions, _no_gc, _read_csv, _read_json, load_json
from drawcore.registry.headers import (
    HEADER_SEARCH_ROWS,
    REGISTRY_KINDS,
    PathLike,
    Reg,
    decode_text,
    kind_from_rows,
)
from drawcore.registry.limits import ReadLimits, read_regular_file
from drawcore.registry.registries import (
    County,
    ExpertRegistry,
    InspectorRegistry,
    ItemList,
    UnitRegistry,
    _Registry,
)
from drawcore.registry.sheets import SPREADSHEET_SUFFIXES, SheetRows, _read_sheet, sheet_rows

__all__ = [
    "ReadLimits",
    "detect_kind",
    "read_any",
    "read_county",
    "read_experts",
    "read_inspectors",
    "read_items",
    "read_registry",
    "read_units",
]


def _options(
    allow_unknown_columns: bool,
    limits: ReadLimits | None,
    today: dt.date | None,
    progress: Progress | None = None,
) -> ReadOptions:
    return ReadOptions(
        allow_unknown_columns,
        limits if limits is not None else ReadLimits(),
        (today if today is not None else dt.date.today()).year,
        progress,
    )


def read_registry(
    cls: type[Reg],
    path: PathLike,
    *,
    encoding: str | None = None,
    allow_unknown_columns: bool = False,
    sheet: str | None = None,
    limits: ReadLimits | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> Reg:
    """Read any registry class from a spreadsheet, a ``.json`` file or (any other suffix)
    a CSV file.

    ``sheet``: the spreadsheet's sheet (default the first); ``limits``: see
    :class:`ReadLimits`; ``today``: the date a year field may not be after (default
    the computer's date); ``progress``: called as ``progress(rows read, rows in the
    file)`` as the records are converted (a large CSV in blocks of rows), the
    first number growing to the second.
    """
    options = _options(allow_unknown_columns, limits, today, progress)
    with _no_gc():
        return _Source(Path(path), encoding, sheet, options.limits).read(cls, options)


def read_any(
    path: PathLike,
    *,
    kind: str | None = None,
    fallback: str | None = None,
    encoding: str | None = None,
    allow_unknown_columns: bool = False,
    sheet: str | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> tuple[str, _Registry[Any]]:
    """(kind, registry) of a registry file of any kind: ``kind``, else the kind its header
    tells (as :func:`detect_kind`), else ``fallback`` if given (so that reading it can
    say what is wrong with the file). The file is loaded once for both: a spreadsheet is
    parsed once. Other arguments as for :func:`read_registry`.
    """
    options = _options(allow_unknown_columns, limits, None, progress)
    with _no_gc():
        source = _Source(Path(path), encoding, sheet, options.limits)
        if kind is None:
            try:
                kind = source.kind()
            except InvalidInputError:
                if fallback is None:
                    raise
                kind = fallback
        return kind, source.read(REGISTRY_KINDS[kind], options)


def read_units(
    path: PathLike,
    *,
    encoding: str | None = None,
    allow_unknown_columns: bool = False,
    sheet: str | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> UnitRegistry:
    """Read and validate a unit registry (BL-3, TJ-3) from a spreadsheet, CSV or JSON."""
    return read_registry(
        UnitRegistry,
        path,
        encoding=encoding,
        allow_unknown_columns=allow_unknown_columns,
        sheet=sheet,
        limits=limits,
        progress=progress,
    )


def read_inspectors(
    path: PathLike,
    *,
    encoding: str | None = None,
    allow_unknown_columns: bool = False,
    sheet: str | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> InspectorRegistry:
    """Read and validate an inspector registry (BL-4, TJ-2) from a spreadsheet, CSV or JSON."""
    return read_registry(
        InspectorRegistry,
        path,
        encoding=encoding,
        allow_unknown_columns=allow_unknown_columns,
        sheet=sheet,
        limits=limits,
        progress=progress,
    )


def read_experts(
    path: PathLike,
    *,
    encoding: str | None = None,
    allow_unknown_columns: bool = False,
    sheet: str | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> ExpertRegistry:
    """Read and validate an industry expert registry (TJ-8) from a spreadsheet, CSV or JSON."""
    return read_registry(
        ExpertRegistry,
        path,
        encoding=encoding,
        allow_unknown_columns=allow_unknown_columns,
        sheet=sheet,
        limits=limits,
        progress=progress,
    )


def read_items(
    path: PathLike,
    *,
    encoding: str | None = None,
    allow_unknown_columns: bool = False,
    sheet: str | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> ItemList:
    """Read and validate an inspection item list (BL-2, TJ-1) from a spreadsheet, CSV or JSON."""
    return read_registry(
        ItemList,
        path,
        encoding=encoding,
        allow_unknown_columns=allow_unknown_columns,
        sheet=sheet,
        limits=limits,
        progress=progress,
    )


_HEAD_BYTES = 1 << 16


def detect_kind(
    path: PathLike,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    limits: ReadLimits | None = None,
) -> str:
    """Which registry a file holds (``"units"``, ``"inspectors"``, ...), from its header.

    The header is looked for as a reader looks for it (below title rows), in any
    encoding a reader accepts; the file name plays no part. The kind whose id column
    and most other fields the header names wins; ``InvalidInputError`` if none or a tie.
    To read the file as well, :func:`read_any` loads it only once.
    """
    return _Source(Path(path), encoding, sheet, _options(True, limits, None).limits).kind()


class _Source:
    """A registry file loaded once (its bytes; a spreadsheet's sheet parsed into rows), for
    telling its kind and reading it.

    A CSV's kind is told from its first 64 KiB, decoded as the reader decodes the whole
    file; the whole text is decoded only to be read, and a JSON text parsed only once.
    """

    def __init__(self, path: Path, encoding: str | None, sheet: str | None, limits: ReadLimits):
        self.path = path
        self.name = str(path)
        self.encoding = encoding
        self.limits = limits
        self.suffix = path.suffix.lower()
        data = read_regular_file(path, limits)
        self.sheet: SheetRows | None = None
        self.data: bytes | None = None
        self._text: str | None = None
        self._json: list[Any] = []  # the parsed JSON, once parsed
        if self.suffix in SPREADSHEET_SUFFIXES:
            self.sheet = sheet_rows(data, self.name, sheet, limits)
        else:
            self.data = data

    def text(self) -> str:
        """The file's text (decoded once; the bytes are then let go)."""
        if self._text is None:
            assert self.data is not None
            self._text = decode_text(self.data, self.name, self.encoding)
            self.data = None
        return self._text

    def parsed_json(self) -> Any:
        if not self._json:
            self._json.append(load_json(self.text(), self.name, self.limits))
        return self._json[0]

    def kind(self) -> str:
        """The registry kind the header names (see :func:`detect_kind`)."""
        rows: list[list[str]]
        if self.sheet is not None:
            rows = self.sheet[2][:HEADER_SEARCH_ROWS]
        elif self.suffix == ".json":
            records = self.parsed_json()
            keys = list(records[0]) if isinstance(records, list) and records else []
            rows = [keys] if all(isinstance(k, str) for k in keys) else []
        else:
            assert self.data is not None, "a CSV's kind is told before it is read"
            rows = _csv_head(self.data, self.name, self.encoding)
        if not any(c.strip() for row in rows for c in row):
            raise InvalidInputError(
                msg("{path}: file is empty (expected a header row and records)", path=self.name)
            )
        kind = kind_from_rows(rows)
        if kind is None:
            raise InvalidInputError(
                msg(
                    "{path}: cannot tell which registry this is from its header; "
                    "pass --kind ({kinds})",
                    path=self.name,
                    kinds="|".join(REGISTRY_KINDS),
                )
            )
        return kind

    def read(self, cls: type[Reg], options: ReadOptions) -> Reg:
        """The file as a registry of ``cls`` (every problem raised at once)."""
        if self.sheet is not None:
            return _read_sheet(cls, self.sheet, self.name, options)
        if self.suffix == ".json":
            return _read_json(cls, self.text(), self.name, options, self.parsed_json)
        text = self.text()
        self._text = None  # the reader's structures replace it
        return _read_csv(cls, text, self.name, options)


def _csv_head(data: bytes, path: str, encoding: str | None) -> list[list[str]]:
    """The first rows of a CSV file, decoded as the reader decodes the whole file.

    Only the first 64 KiB are decoded, cut after a line break (UTF-8 and GB18030 never
    hold the byte 0x0A inside a character) or, for UTF-16, at an even length.
    """
    head = data
    if len(data) > _HEAD_BYTES:
        head = data[:_HEAD_BYTES]
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
            encoding or ""
        ).lower().replace("-", "").startswith("utf16"):
            head = head[: len(head) - 2 - len(head) % 2]  # may cut a surrogate pair: drop a unit
        else:
            head = head[: head.rfind(b"\n") + 1] or head
    try:
        text = decode_text(head, path, encoding)
    except InvalidInputError:
        if head is data:
            raise
        text = decode_text(head[: head.rfind(b"\n") + 1], path, encoding)
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    try:
        return list(csv.reader(lines))
    except csv.Error:
        return [line.split(",") for line in lines]


#: The file names :func:`read_county` looks for (CSV, or JSON with the same stem).
COUNTY_FILES = {
    "units": "units",
    "inspectors": "inspectors",
    "experts": "experts",
    "items": "items",
}


def read_county(directory: PathLike, *, encoding: str | None = None) -> County:
    """Read ``units``, ``inspectors``, ``experts`` and ``items`` (``.csv``, ``.json`` or
    ``.xlsx``).

    Every file is read before anything is returned; the problems of all four files
    are reported together.
    """
    base = Path(directory)
    found: dict[str, Any] = {}
    problems: list[str] = []
    for kind, stem in COUNTY_FILES.items():
        candidates = [base / f"{stem}{suffix}" for suffix in (".csv", ".json", ".xlsx")]
        path = next((c for c in candidates if c.exists()), None)
        if path is None:
            problems.append(
                msg(
                    "{directory}: no {stem}.csv or {stem}.json (or {stem}.xlsx)",
                    directory=str(base),
                    stem=stem,
                )
            )
            continue
        try:
            found[kind] = read_registry(REGISTRY_KINDS[kind], path, encoding=encoding)
        except InvalidInputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInputError(
            msg("invalid county {directory}: {problem}", directory=str(base), problem=problems[0]),
            tuple(problems),
        )
    return County(**found)
