"""The file formats: CSV (a fast path for plain CSV, read in blocks) and JSON."""

from __future__ import annotations

import contextlib
import csv
import gc
import io as _stdio
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence

from drawcore.errors import InvalidInputError
from drawcore.registry.cells import _build, _Collector
from drawcore.registry.headers import _SPACE, _WS, Reg, _kind_of


def _read_csv(cls: type[Reg], text: str, path: str, allow_unknown_columns: bool) -> Reg:
    kind = _kind_of(cls)
    if not text.strip(_WS):
        raise InvalidInputError(f"{path}: file is empty (expected a header row and records)")
    fast = _split_plain(text)
    columns: list[Sequence[str]]
    blocks: Iterable[tuple[int, list[Sequence[str]]]]
    if fast is not None:
        header, lines = fast
        if len(lines) < 2:
            raise InvalidInputError(f"{path}: has a header but no records")
        blocks = _plain_blocks(lines, len(header))
    else:
        reader = csv.reader(_stdio.StringIO(text, newline=""), strict=True)
        try:
            header = next(reader)
            rows = list(reader)
        except csv.Error as exc:
            raise InvalidInputError(
                f"{path}: line {reader.line_num}: malformed CSV ({exc}); "
                "is the file truncated or a quote unbalanced?"
            ) from None
        while rows and not any(c.strip(_WS) for c in rows[-1]):
            rows.pop()
        if not rows:
            raise InvalidInputError(f"{path}: has a header but no records")
        width = len(header)
        if any(len(row) != width for row in rows):
            bad = _Collector(path, lambda: _line_numbers(text))
            for i, row in enumerate(rows):
                if len(row) != width:
                    hint = " (truncated?)" if len(row) < width else ""
                    bad.add(i, None, f"has {len(row)} fields, the header has {width}{hint}")
            bad.raise_if_any(cls.what)
        columns = list(zip(*rows, strict=True))
        del rows
        blocks = [(0, columns)]
    header = [h.strip(_WS) for h in header]
    out = _Collector(path, lambda: _line_numbers(text))
    if _SPACE.search(text):
        # str.strip() with no argument strips all Unicode whitespace, U+3000 included
        blocks = ((start, [list(map(str.strip, col)) for col in cols]) for start, cols in blocks)
    return _build(cls, kind, header, blocks, out, allow_unknown_columns)


_BLOCK = 1 << 16  # records split and converted at a time by the plain-CSV path


def _plain_blocks(
    lines: list[str], width: int, block: int | None = None
) -> Iterator[tuple[int, list[Sequence[str]]]]:
    """(first record index, columns) of each block of records of a plain CSV text.

    Splitting block by block instead of the whole text at once keeps only the text
    columns' cells alive between blocks: converted cells are freed and their memory
    reused, so a million-row read does not allocate (and fault in) every cell at once.
    """
    step = block or _BLOCK
    for start in range(1, len(lines), step):
        cells = ",".join(lines[start : start + step]).split(",")
        yield start - 1, [cells[j::width] for j in range(width)]


def _split_plain(text: str) -> tuple[list[str], list[str]] | None:
    """Header fields and **lines** (header line first) of a CSV text with no quotes and
    no lone CR, every line holding exactly the header's number of fields.

    For such text, splitting each line at its commas is exactly what ``csv.reader``
    gives (there is nothing to unquote), at a fraction of the cost (see
    :func:`_plain_blocks`). ``None`` (use ``csv.reader``) for anything else, including
    rows whose field count differs from the header's.
    """
    if '"' in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    end = len(text)
    while end and text[end - 1] == "\n":
        end -= 1
    lines = text.split("\n")
    del lines[len(lines) - (len(text) - end) :]  # the empty strings after trailing newlines
    header = lines[0].split(",")
    width = len(header)
    if width == 1:
        return None  # a blank line is a row of no fields to csv.reader, not one empty field
    # every line, blank ones included, must hold exactly width - 1 commas
    if set(map(str.count, lines, itertools.repeat(","))) != {width - 1}:
        return None
    return header, lines


def _line_numbers(text: str) -> list[int]:
    """The physical line on which each record ends (records may span lines in quotes)."""
    reader = csv.reader(_stdio.StringIO(text, newline=""))
    next(reader, None)
    lines = []
    try:
        for _row in reader:
            lines.append(reader.line_num)
    except csv.Error:
        pass
    return lines


def _cell(value: object) -> str | None:
    """A JSON value as the cell text the CSV path would see; ``None`` if it cannot be one."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value.strip(_WS)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    return None


def _read_json(cls: type[Reg], text: str, path: str, allow_unknown_columns: bool) -> Reg:
    kind = _kind_of(cls)
    if not text.strip(_WS):
        raise InvalidInputError(f"{path}: file is empty (expected a JSON list of records)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{path}: line {exc.lineno}: malformed JSON ({exc.msg}); is the file truncated?"
        ) from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InvalidInputError(f"{path}: expected a JSON list of objects, one per record")
    if not data:
        raise InvalidInputError(f"{path}: has no records")
    out = _Collector(path, None)
    header: list[str] = []
    seen: set[str] = set()
    for record in data:
        for key in record:
            if key not in seen:
                seen.add(key)
                header.append(key)
    columns: list[list[str]] = [[] for _ in header]
    for i, record in enumerate(data):
        for j, key in enumerate(header):
            cell = _cell(record.get(key))
            if cell is None:
                out.add(i, key, f"unsupported value {record[key]!r}")
                cell = ""
            columns[j].append(cell)
    return _build(
        cls, kind, [h.strip(_WS) for h in header], [(0, columns)], out, allow_unknown_columns
    )


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of cells are allocated.

    Nothing built during a read forms reference cycles, and without this the collector
    rescans the growing row lists again and again (reads run about 2-3x slower).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
