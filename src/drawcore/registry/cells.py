"""From cells to registry columns: conversion, collected problems, building the registry.

Every problem in a file is collected (file, row, field) and raised at once as one
:class:`~drawcore.errors.InvalidInputError`; nothing partial is returned.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from drawcore.errors import InvalidInputError
from drawcore.registry.headers import (
    _FALSE,
    _TAG_SEPARATORS,
    _TRUE,
    _WS,
    ENUM_LABELS,
    HEADER_ALIASES,
    Reg,
)
from drawcore.registry.registries import (
    NO_YEAR,
    FieldSpec,
    Kind,
)


class _Collector:
    """Problems of one file; messages name file, row (and, for CSV, line) and field.

    ``lines`` gives the physical line of each record; it is called only if there
    are problems to report, so a clean read never pays for it.
    """

    def __init__(self, path: str, lines: Callable[[], Sequence[int]] | None) -> None:
        self.path = path
        self.lines = lines
        self.items: list[tuple[int, str, str]] = []
        self.offset = 0  # index of the first record of the block being converted

    def add(self, row: int | None, field: str | None, message: str) -> None:
        """``row``: 0-based record index within the current block, or ``None`` for the
        file or header."""
        self.items.append((-1 if row is None else row + self.offset, field or "", message))

    def raise_if_any(self, what: str) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda t: (t[0], t[1]))
        lines = self.lines() if self.lines is not None else None
        problems = []
        for row, field, message in self.items:
            if row < 0:
                where = "header" if field else "file"
            else:
                where = f"row {row + 1}"
                if lines is not None and row < len(lines):
                    where += f" (line {lines[row]})"
            loc = f"{where}, field {field!r}" if field else where
            problems.append(f"{self.path}: {loc}: {message}")
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInputError(f"invalid {what}: {problems[0]}{more}", tuple(problems))


def _header_map(kind: str) -> dict[str, str]:
    """Header text (lower-cased for English) -> field name."""
    mapping: dict[str, str] = {}
    for field, aliases in HEADER_ALIASES[kind].items():
        mapping[field.lower()] = field
        for alias in aliases:
            mapping[alias] = field
    return mapping


def _enum_lookup(spec: FieldSpec) -> dict[str, int]:
    members = spec.members
    lut = {str(m.value).lower(): i for i, m in enumerate(members)}
    lut.update({str(m.value): i for i, m in enumerate(members)})
    for label, member in ENUM_LABELS.get(spec.enum_type or object, {}).items():
        lut[label] = members.index(member)
    return lut


def _lookup(
    spec: FieldSpec, cells: Sequence[str], lut: dict[str, int], out: _Collector, hint: str
) -> Any:
    """Codes of ``cells`` by ``lut`` (then case-insensitively); unknown cells are reported."""
    codes: list[int | None] = list(map(lut.get, cells))
    if None in codes:
        for i, c in enumerate(cells):
            if codes[i] is None:
                codes[i] = lut.get(c.lower())
                if codes[i] is None:
                    out.add(i, spec.name, f"unknown value {c!r} ({hint})")
                    codes[i] = 0
    return np.array(codes, dtype=np.int64).reshape(len(cells))


def _convert(spec: FieldSpec, cells: Sequence[str], out: _Collector) -> Any:
    """A column of stripped cells -> a typed column, reporting each bad cell."""
    n = len(cells)
    kind = spec.kind
    if kind is Kind.TEXT:
        return cells if spec.required or "" not in cells else [c or spec.default for c in cells]
    if kind is Kind.ENUM:
        lut = _enum_lookup(spec)
        lut[""] = spec.members.index(spec.default)
        allowed = ", ".join(str(m.value) for m in spec.members)
        return _lookup(spec, cells, lut, out, f"expected one of: {allowed}").astype(np.int8)
    if kind is Kind.BOOL:
        lut = {**dict.fromkeys(_TRUE, 1), **dict.fromkeys(_FALSE, 0), "": int(spec.default)}
        return _lookup(spec, cells, lut, out, "use true or false") == 1
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
                    out.add(i, spec.name, f"not a number: {c!r}")
            return values
    if kind is Kind.YEAR:
        values = np.full(n, NO_YEAR, dtype=np.int32)
        for i, c in enumerate(cells):
            if c:
                if len(c) == 4 and c.isascii() and c.isdigit() and c[0] != "0":
                    values[i] = int(c)
                else:
                    out.add(i, spec.name, f"not a four-digit year: {c!r}")
        return values
    if kind is Kind.DATE:
        shaped: list[str | None] = [
            "NaT" if not c else c if len(c) == 10 and c[4] == c[7] == "-" else None for c in cells
        ]
        for i in [i for i, c in enumerate(shaped) if c is None]:
            out.add(i, spec.name, f"not a date: {cells[i]!r} (use YYYY-MM-DD)")
            shaped[i] = "NaT"
        try:
            return np.array(shaped, dtype="datetime64[D]").reshape(n)
        except ValueError:
            dates = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
            for i, d in enumerate(shaped):
                try:
                    dates[i] = np.datetime64(d, "D")
                except ValueError:
                    out.add(i, spec.name, f"not a calendar date: {d!r}")
            return dates
    tags = []
    for c in cells:
        for sep in _TAG_SEPARATORS:
            c = c.replace(sep, ";")
        tags.append(tuple(sorted({t.strip(_WS) for t in c.split(";")} - {""})))
    return tags


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
) -> Reg:
    """Header + blocks of raw string columns -> a validated registry, or raise with every
    problem. A block is (index of its first record, its columns)."""
    names = _header_map(kind)
    fields: dict[str, int] = {}
    for j, raw in enumerate(header):
        field = names.get(raw) or names.get(raw.lower())
        if field is None:
            if not allow_unknown_columns:
                known = ", ".join(HEADER_ALIASES[kind])
                out.add(
                    None, raw, f"unknown column (known fields: {known}; Chinese aliases in docs)"
                )
        elif field in fields:
            out.add(None, raw, f"column for field {field!r} appears twice")
        else:
            fields[field] = j
    for spec in cls.schema:
        if spec.required and spec.name not in fields:
            aliases = " / ".join(HEADER_ALIASES[kind][spec.name])
            out.add(
                None, spec.name, f"required column is missing (header {spec.name} or {aliases})"
            )
    out.raise_if_any(cls.what)
    specs = [spec for spec in cls.schema if spec.name in fields]
    parts: dict[str, list[Any]] = {spec.name: [] for spec in specs}
    for start, columns in blocks:
        out.offset = start
        for spec in specs:
            parts[spec.name].append(_convert(spec, columns[fields[spec.name]], out))
    out.offset = 0
    typed = {name: _joined(converted) for name, converted in parts.items()}
    # bad cells hold a valid placeholder by now, so record checks still run: one pass
    # reports every problem in the file
    stored, problems = cls.check_columns(typed)
    for p in problems:
        out.add(p.index, p.field, p.message)
    out.raise_if_any(cls.what)
    return cls.from_checked(stored)
