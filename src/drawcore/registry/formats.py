"""The file formats: CSV (a fast path for plain CSV, read in blocks) and JSON."""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import io as _stdio
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, msg
from drawcore.registry.cells import Layout, Progress, _build, _Collector
from drawcore.registry.headers import (
    _SPACE,
    _WS,
    HEADER_SEARCH_ROWS,
    Reg,
    _kind_of,
    find_header,
)
from drawcore.registry.limits import FORBIDDEN, ReadLimits


@attrs.frozen
class ReadOptions:
    """What one read allows: unknown columns, the limits, and the current year (a year
    after it is refused); and who is told how many rows have been read."""

    allow_unknown_columns: bool
    limits: ReadLimits
    this_year: int
    progress: Progress | None = None


def _collector(path: str, layout: Layout, options: ReadOptions) -> _Collector:
    out = _Collector(
        path, layout, max_problems=options.limits.max_problems, this_year=options.this_year
    )
    out.progress = options.progress
    return out


def _too_many_rows(path: str, count: int, limit: int) -> InvalidInputError:
    return InvalidInputError(
        msg(
            "{path}: {count} rows, more rows than the limit {limit} (ReadLimits.max_rows)",
            path=path,
            count=count,
            limit=limit,
        )
    )


def check_size(path: str, rows: int, columns: int, limits: ReadLimits) -> None:
    """Refuse a table with more data rows or header columns than the limits allow."""
    if columns > limits.max_columns:
        raise InvalidInputError(
            msg(
                "{path}: {count} columns, more columns than the limit {limit} "
                "(ReadLimits.max_columns)",
                path=path,
                count=columns,
                limit=limits.max_columns,
            )
        )
    if rows > limits.max_rows:
        raise _too_many_rows(path, rows, limits.max_rows)


def _field_too_long(path: str, line: int, limit: int) -> InvalidInputError:
    return InvalidInputError(
        msg(
            "{path}: line {line}: a field is longer than {limit} characters "
            "(ReadLimits.max_field_chars); is a quote unbalanced?",
            path=path,
            line=line,
            limit=limit,
        )
    )


# a line of nothing but separators and spaces; the text is searched up to its last
# non-newline character, so the match cannot be the end of the file itself
_BLANK_LINE = re.compile(r"\n[ ,\t\r\u3000\ufeff]*(?:\n|\Z)")
_SCREEN_CHARS = 1 << 22  # characters screened at a time


@functools.cache
def _screen_table() -> npt.NDArray[np.uint8]:
    """Per UTF-16 code unit: 1 if a space character (:data:`_SPACE`), 2 if forbidden
    (:data:`~drawcore.registry.limits.FORBIDDEN`). Neither set holds a character beyond
    U+3000 (so a surrogate, half of a character beyond U+FFFF, is neither)."""
    table = np.zeros(1 << 16, dtype=np.uint8)
    for code in range(0x3001):
        char = chr(code)
        table[code] = (1 if _SPACE.match(char) else 0) | (2 if FORBIDDEN.match(char) else 0)
    return table


def screen(text: str) -> tuple[bool, bool]:
    """(does ``text`` hold a space character, does it hold a forbidden character).

    A text that :meth:`str.isprintable` passes holds neither (every character of both
    sets but the space is a control, format or separator character, which Python does
    not count as printable): then only the space is looked for. Otherwise each code unit
    is looked up over numpy arrays of the text, a few million characters at a time: as
    exact as the two regular expressions and about twice as fast on a million-row
    registry.
    """
    if text.isprintable():
        return " " in text, False
    table = _screen_table()
    flags = 0
    for start in range(0, len(text), _SCREEN_CHARS):
        part = text[start : start + _SCREEN_CHARS].encode("utf-16-le", "surrogatepass")
        flags |= int(np.bitwise_or.reduce(table[np.frombuffer(part, dtype=np.uint16)]))
        if flags == 3:
            break
    return bool(flags & 1), bool(flags & 2)


_BLANKS = " ,\t\r\u3000\ufeff"
# a character that makes a CSV text more than blank (found without copying the text, as
# ``text.strip()`` would)
_NOT_BLANK = re.compile(f"[^{re.escape(_WS)},]")


def _read_csv(cls: type[Reg], text: str, path: str, options: ReadOptions) -> Reg:
    kind = _kind_of(cls)
    limits = options.limits
    if _NOT_BLANK.search(text) is None:
        raise InvalidInputError(
            msg("{path}: file is empty (expected a header row and records)", path=path)
        )
    fast = _split_plain(text)
    blocks: Iterable[tuple[int, list[Sequence[str]]]]
    positions: Callable[[], Sequence[int]]
    if fast is not None:
        lines, width = fast
        check_size(path, len(lines) - 1, width, limits)
        if len(text) > limits.max_field_chars and max(map(len, lines)) > limits.max_field_chars:
            for k in (k for k, line in enumerate(lines) if len(line) > limits.max_field_chars):
                if max(map(len, lines[k].split(","))) > limits.max_field_chars:
                    raise _field_too_long(path, k + 1, limits.max_field_chars)
        head = [line.split(",") for line in lines[:HEADER_SEARCH_ROWS]]
        h = find_header(head, kind)
        header = head[h]
        records = lines[h + 1 :]
        del lines
        first_line = h + 2
        end = len(text)
        while end and text[end - 1] in "\r\n":
            end -= 1
        if _BLANK_LINE.search(text, 0, end):
            kept = [i for i, line in enumerate(records) if line.strip(_BLANKS)]
            records = [records[i] for i in kept]
            positions = lambda: [first_line + i for i in kept]  # noqa: E731
        else:
            positions = lambda: range(first_line, first_line + len(records))  # noqa: E731
        if not records:
            raise InvalidInputError(msg("{path}: has a header but no records", path=path))
        total = len(records)
        out = _collector(path, Layout("csv", positions), options)
        out.screened = True  # until a block holds a forbidden character
        # a plain text has no line break in a cell, and every other whitespace is
        # stripped block by block
        out.stripped = True
        blocks = _plain_blocks(records, width, screen_into=out)
    else:
        rows, ends = _csv_rows(text, path, limits)
        check_size(path, 0, max(map(len, rows[:HEADER_SEARCH_ROWS]), default=0), limits)
        h = find_header(rows, kind)
        header = rows[h]
        kept = [i for i in range(h + 1, len(rows)) if any(c.strip(_WS) for c in rows[i])]
        check_size(path, len(kept), len(header), limits)
        rows = [rows[i] for i in kept]
        record_ends = [ends[i] for i in kept]
        del ends
        positions = lambda: record_ends  # noqa: E731
        if not rows:
            raise InvalidInputError(msg("{path}: has a header but no records", path=path))
        width = len(header)
        if any(len(row) != width for row in rows):
            bad = _collector(path, Layout("csv", positions), options)
            for i, row in enumerate(rows):
                if len(row) != width:
                    template = (
                        N_("has {count} fields, the header has {width} (truncated?)")
                        if len(row) < width
                        else N_("has {count} fields, the header has {width}")
                    )
                    bad.add(i, None, msg(template, count=len(row), width=width))
            bad.raise_if_any(cls.what)
        total = len(rows)
        columns: list[Sequence[str]] = list(zip(*rows, strict=True))
        del rows
        blocks = [(0, columns)]
        out = _collector(path, Layout("csv", positions), options)
        # one pass for both screens (the forbidden screen spares the per-column screens)
        has_space, has_forbidden = screen(text)
        out.screened = not has_forbidden
        # a quoted cell may hold a line break, which only stripping removes
        out.stripped = has_space
        if has_space:
            # str.strip() with no argument strips all Unicode whitespace, U+3000 included
            blocks = [(0, [list(map(str.strip, col)) for col in columns])]
    header = [c.strip(_WS) for c in header]
    out.total = total
    return _build(cls, kind, header, blocks, out, options.allow_unknown_columns)


def _csv_rows(text: str, path: str, limits: ReadLimits) -> tuple[list[list[str]], list[int]]:
    """Every row of a CSV text by :mod:`csv`, and the physical line each ends on.

    The same field limit holds as on the plain path: :mod:`csv`'s own limit is raised to
    ours if it is lower (never lowered), and ours is checked on every field.
    """
    if csv.field_size_limit() < limits.max_field_chars:
        csv.field_size_limit(limits.max_field_chars)
    reader = csv.reader(_stdio.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    ends: list[int] = []
    most = limits.max_rows + HEADER_SEARCH_ROWS
    try:
        for row in reader:
            rows.append(row)
            ends.append(reader.line_num)
            if len(rows) > most:
                raise _too_many_rows(path, len(rows), limits.max_rows)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise _field_too_long(path, reader.line_num, limits.max_field_chars) from None
        raise InvalidInputError(
            msg(
                "{path}: line {line}: malformed CSV ({why}); "
                "is the file truncated or a quote unbalanced?",
                path=path,
                line=reader.line_num,
                why=str(exc),
            )
        ) from None
    if len(text) > limits.max_field_chars:
        for i, row in enumerate(rows):
            if row and max(map(len, row)) > limits.max_field_chars:
                raise _field_too_long(path, ends[i], limits.max_field_chars)
    return rows, ends


_BLOCK = 1 << 9  # records split and converted at a time by the plain-CSV path


def _plain_blocks(
    lines: list[str], width: int, block: int | None = None, screen_into: _Collector | None = None
) -> Iterator[tuple[int, list[Sequence[str]]]]:
    """(first record index, columns) of each block of records of a plain CSV text.

    With ``screen_into``, each block's text is screened (:func:`screen`) as it is split,
    while it is in the processor's cache: the cells of a block holding a space character
    are stripped, and a block holding a forbidden character clears the collector's
    ``screened``.

    Splitting block by block instead of the whole text at once keeps only the text
    columns' cells alive between blocks: converted cells are freed and their memory
    reused, so a million-row read does not allocate (and fault in) every cell at once.
    A block is small (512 records, some 10,000 cells) so that its cells are still in the
    processor's cache when each column is converted: every column looks at every one of
    its cells, and a block of 65,536 records made each look a cache miss (about 15 %
    of a million-row read).
    """
    step = block or _BLOCK
    for start in range(0, len(lines), step):
        text = ",".join(lines[start : start + step])
        cells = text.split(",")
        if screen_into is not None:
            has_space, has_forbidden = screen(text)
            if has_forbidden:
                screen_into.screened = False
            if has_space:
                # str.strip() with no argument strips all Unicode whitespace, U+3000 included
                cells = list(map(str.strip, cells))
        yield start, [cells[j::width] for j in range(width)]


def _split_plain(text: str) -> tuple[list[str], int] | None:
    """The **lines** and the number of fields per line of a CSV text with no quotes and
    no lone CR, every line holding exactly the first line's number of fields.

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
    width = lines[0].count(",") + 1
    if width == 1:
        return None  # a blank line is a row of no fields to csv.reader, not one empty field
    # every line, blank ones included, must hold exactly width - 1 commas
    if set(map(str.count, lines, itertools.repeat(","))) != {width - 1}:
        return None
    return lines, width


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


class _Keys(dict[str, Any]):
    """A JSON object's keys and values, remembering the keys it held more than once."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Keys:
    obj = _Keys(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return obj


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def json_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in a JSON text (strings skipped), found
    without recursion, so a hostile file cannot exhaust the stack."""
    brackets = re.sub(r"[^\[\]{}]", "", _JSON_STRING.sub("", text))
    if not brackets:
        return 0
    steps = np.frombuffer(brackets.encode("ascii"), dtype=np.uint8)
    depth = np.cumsum(np.where((steps == ord("[")) | (steps == ord("{")), 1, -1))
    return int(depth.max())


def load_json(text: str, path: str, limits: ReadLimits) -> Any:
    """Parse a JSON text within the nesting limit; duplicate keys are kept on :class:`_Keys`."""
    depth = json_depth(text)
    if depth > limits.max_json_depth:
        raise InvalidInputError(
            msg(
                "{path}: JSON nested {depth} deep, more than the limit {limit} "
                "(ReadLimits.max_json_depth)",
                path=path,
                depth=depth,
                limit=limits.max_json_depth,
            )
        )
    try:
        return json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            msg(
                "{path}: line {line}: malformed JSON ({why}); is the file truncated?",
                path=path,
                line=exc.lineno,
                why=exc.msg,
            )
        ) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise InvalidInputError(msg("{path}: JSON nested too deeply", path=path)) from None


def _read_json(
    cls: type[Reg], text: str, path: str, options: ReadOptions, parsed: Callable[[], Any]
) -> Reg:
    """A registry from a JSON text; ``parsed()`` gives the text parsed by :func:`load_json`
    (called once the text is known not to be blank)."""
    kind = _kind_of(cls)
    if not text.strip(_WS):
        raise InvalidInputError(
            msg("{path}: file is empty (expected a JSON list of records)", path=path)
        )
    data = parsed()
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InvalidInputError(
            msg("{path}: expected a JSON list of objects, one per record", path=path)
        )
    if not data:
        raise InvalidInputError(msg("{path}: has no records", path=path))
    check_size(path, len(data), 0, options.limits)
    out = _collector(path, Layout("json"), options)
    out.total = len(data)
    header: list[str] = []
    first_in: list[int] = []
    seen: set[str] = set()
    for i, record in enumerate(data):
        for key in record.duplicates:
            out.add(i, key, msg("the key appears more than once in this record"))
        for key in record:
            if key not in seen:
                seen.add(key)
                header.append(key)
                first_in.append(i)
    check_size(path, len(data), len(header), options.limits)
    columns: list[list[str]] = [[] for _ in header]
    for i, record in enumerate(data):
        for j, key in enumerate(header):
            cell = _cell(record.get(key))
            if cell is None:
                out.add(i, key, msg("unsupported value {value}", value=repr(record[key])))
                cell = ""
            columns[j].append(cell)
    return _build(
        cls,
        kind,
        [h.strip(_WS) for h in header],
        [(0, columns)],
        out,
        options.allow_unknown_columns,
        header_rows=first_in,
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
