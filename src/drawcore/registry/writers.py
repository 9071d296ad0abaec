"""Write registry files (CSV or JSON) that read back equal.

Writers write atomically (a temporary file renamed into place), so a failed write leaves
any previous file untouched.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from drawcore.registry.headers import HEADER_ALIASES, PathLike, _kind_of
from drawcore.registry.registries import (
    NO_YEAR,
    ExpertRegistry,
    FieldSpec,
    InspectorRegistry,
    ItemList,
    Kind,
    UnitRegistry,
    _Registry,
)

__all__ = [
    "write_experts",
    "write_inspectors",
    "write_items",
    "write_registry",
    "write_units",
]


def _text_column(spec: FieldSpec, col: Any) -> list[str]:
    kind = spec.kind
    if kind is Kind.TEXT:
        return list(col.tolist())
    if kind is Kind.ENUM:
        values = np.array([str(m.value) for m in spec.members], dtype=object)
        return list(values[col].tolist())
    if kind is Kind.BOOL:
        return ["true" if v else "false" for v in col.tolist()]
    if kind is Kind.FLOAT:
        return [repr(v) for v in col.tolist()]
    if kind is Kind.YEAR:
        return ["" if v == NO_YEAR else str(v) for v in col.tolist()]
    if kind is Kind.DATE:
        return ["" if s == "NaT" else s for s in np.datetime_as_string(col, unit="D").tolist()]
    return [";".join(t) for t in col.tolist()]


def _json_column(spec: FieldSpec, col: Any) -> list[Any]:
    if spec.kind is Kind.TAGS:
        return [list(t) for t in col.tolist()]
    if spec.kind is Kind.BOOL:
        return [bool(v) for v in col.tolist()]
    if spec.kind is Kind.FLOAT:
        return [float(v) for v in col.tolist()]
    if spec.kind is Kind.YEAR:
        return [None if v == NO_YEAR else int(v) for v in col.tolist()]
    texts = _text_column(spec, col)
    return [None if (spec.kind is Kind.DATE and s == "") else s for s in texts]


def _default_mode() -> int:
    """0o666 less the process umask: what ``open(path, "w")`` would have given."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _atomic_write(path: Path, write: Callable[[Any], None], encoding: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            write(fh)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else _default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_registry(
    registry: _Registry[Any],
    path: PathLike,
    *,
    bom: bool = False,
    chinese_headers: bool = False,
    encoding: str = "utf-8",
) -> None:
    """Write a registry to ``.json`` (a list of objects) or CSV (any other suffix).

    CSV is UTF-8 (``bom=True`` adds a BOM, which spreadsheet programs like);
    ``encoding="gb18030"`` writes GB18030 instead. Rows are in id order.
    """
    p = Path(path)
    kind = _kind_of(type(registry))
    specs = registry.schema
    if p.suffix.lower() == ".json":
        cols = [_json_column(s, registry.column(s.name)) for s in specs]
        names = [s.name for s in specs]
        records = [dict(zip(names, row, strict=True)) for row in zip(*cols, strict=True)]

        def dump_json(fh: Any) -> None:
            json.dump(records, fh, ensure_ascii=False, indent=1)
            fh.write("\n")

        _atomic_write(p, dump_json, "utf-8")
        return
    header = [HEADER_ALIASES[kind][s.name][0] if chinese_headers else s.name for s in specs]
    text_cols = [_text_column(s, registry.column(s.name)) for s in specs]
    enc = "utf-8-sig" if bom and encoding.lower().replace("_", "-") == "utf-8" else encoding

    def dump_csv(fh: Any) -> None:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*text_cols, strict=True))

    _atomic_write(p, dump_csv, enc)


def write_units(
    registry: UnitRegistry,
    path: PathLike,
    *,
    bom: bool = False,
    chinese_headers: bool = False,
    encoding: str = "utf-8",
) -> None:
    """Write a unit registry (options as :func:`write_registry`)."""
    write_registry(registry, path, bom=bom, chinese_headers=chinese_headers, encoding=encoding)


def write_inspectors(
    registry: InspectorRegistry,
    path: PathLike,
    *,
    bom: bool = False,
    chinese_headers: bool = False,
    encoding: str = "utf-8",
) -> None:
    """Write an inspector registry (options as :func:`write_registry`)."""
    write_registry(registry, path, bom=bom, chinese_headers=chinese_headers, encoding=encoding)


def write_experts(
    registry: ExpertRegistry,
    path: PathLike,
    *,
    bom: bool = False,
    chinese_headers: bool = False,
    encoding: str = "utf-8",
) -> None:
    """Write an expert registry (options as :func:`write_registry`)."""
    write_registry(registry, path, bom=bom, chinese_headers=chinese_headers, encoding=encoding)


def write_items(
    registry: ItemList,
    path: PathLike,
    *,
    bom: bool = False,
    chinese_headers: bool = False,
    encoding: str = "utf-8",
) -> None:
    """Write an inspection item list (options as :func:`write_registry`)."""
    write_registry(registry, path, bom=bom, chinese_headers=chinese_headers, encoding=encoding)
