"""Read and write registry files: CSV and JSON, Chinese or English headers.

Readers validate strictly and all at once: every problem in a file is collected,
each naming the file, the data row (1-based, the first row after the header;
for CSV also the physical line) and the field, and one
:class:`~drawcore.errors.InvalidInputError` is raised with ``.problems`` listing
them all. Nothing partial is ever returned.

**Encodings.** CSV may be UTF-8, UTF-8 with BOM, UTF-16 with BOM, or GB18030
(GBK and GB2312 are subsets). Without ``encoding=``, a UTF-16 BOM selects
UTF-16, otherwise UTF-8 (BOM optional) is tried, then GB18030. A stray BOM at
the start of the text is always dropped.

**Cells.** Leading and trailing whitespace (including the ideographic space
U+3000) is stripped from every header and cell. Booleans: ``true/false``,
``1/0``, ``yes/no``, ``y/n``, ``是/否`` (any case); empty means the field's
default. Enums: their value (``low``, ``high``, ...) or the Chinese label in
:data:`ENUM_LABELS`. Dates: ``YYYY-MM-DD``. Tags (expertise, industries): separated by
``;``, ``；`` or ``、``. Empty optional cells take the model default.

**Headers.** Each column is named by its English field name (``unit_id``, any
case) or one of the Chinese aliases in :data:`HEADER_ALIASES` (e.g.
统一社会信用代码 -> ``unit_id``). A column the mapping does not know is an
error unless ``allow_unknown_columns=True``, in which case it is ignored: a
misspelt header must not silently drop a field such as 黑名单. A required field
with no column is an error; an optional one takes its default.

A registry file with a header but no records is an error too: an empty registry
cannot be drawn from and is almost always a truncated export.

Writers write atomically (a temporary file renamed into place), so a failed
write leaves any previous file untouched; what they write reads back equal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drawcore.errors import InvalidInputError
from drawcore.registry.formats import _no_gc, _read_csv, _read_json
from drawcore.registry.headers import REGISTRY_KINDS, PathLike, Reg, _decode
from drawcore.registry.registries import (
    County,
    ExpertRegistry,
    InspectorRegistry,
    ItemList,
    UnitRegistry,
)

__all__ = [
    "read_county",
    "read_experts",
    "read_inspectors",
    "read_items",
    "read_registry",
    "read_units",
]


def read_registry(
    cls: type[Reg],
    path: PathLike,
    *,
    encoding: str | None = None,
    allow_unknown_columns: bool = False,
) -> Reg:
    """Read any registry class from a ``.json`` file or (any other suffix) a CSV file."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{p}: cannot read ({exc.strerror})") from None
    text = _decode(data, str(p), encoding)
    del data
    with _no_gc():
        if p.suffix.lower() == ".json":
            return _read_json(cls, text, str(p), allow_unknown_columns)
        return _read_csv(cls, text, str(p), allow_unknown_columns)


def read_units(
    path: PathLike, *, encoding: str | None = None, allow_unknown_columns: bool = False
) -> UnitRegistry:
    """Read and validate a unit registry (BL-3, TJ-3) from CSV or JSON."""
    return read_registry(
        UnitRegistry, path, encoding=encoding, allow_unknown_columns=allow_unknown_columns
    )


def read_inspectors(
    path: PathLike, *, encoding: str | None = None, allow_unknown_columns: bool = False
) -> InspectorRegistry:
    """Read and validate an inspector registry (BL-4, TJ-2) from CSV or JSON."""
    return read_registry(
        InspectorRegistry, path, encoding=encoding, allow_unknown_columns=allow_unknown_columns
    )


def read_experts(
    path: PathLike, *, encoding: str | None = None, allow_unknown_columns: bool = False
) -> ExpertRegistry:
    """Read and validate an industry expert registry (TJ-8) from CSV or JSON."""
    return read_registry(
        ExpertRegistry, path, encoding=encoding, allow_unknown_columns=allow_unknown_columns
    )


def read_items(
    path: PathLike, *, encoding: str | None = None, allow_unknown_columns: bool = False
) -> ItemList:
    """Read and validate an inspection item list (BL-2, TJ-1) from CSV or JSON."""
    return read_registry(
        ItemList, path, encoding=encoding, allow_unknown_columns=allow_unknown_columns
    )


#: The file names :func:`read_county` looks for (CSV, or JSON with the same stem).
COUNTY_FILES = {
    "units": "units",
    "inspectors": "inspectors",
    "experts": "experts",
    "items": "items",
}


def read_county(directory: PathLike, *, encoding: str | None = None) -> County:
    """Read ``units``, ``inspectors``, ``experts`` and ``items`` (``.csv`` or ``.json``).

    Every file is read before anything is returned; the problems of all four files
    are reported together.
    """
    base = Path(directory)
    found: dict[str, Any] = {}
    problems: list[str] = []
    for kind, stem in COUNTY_FILES.items():
        candidates = [base / f"{stem}.csv", base / f"{stem}.json"]
        path = next((c for c in candidates if c.exists()), None)
        if path is None:
            problems.append(f"{base}: no {stem}.csv or {stem}.json")
            continue
        try:
            found[kind] = read_registry(REGISTRY_KINDS[kind], path, encoding=encoding)
        except InvalidInputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInputError(f"invalid county {base}: {problems[0]}", tuple(problems))
    return County(**found)
