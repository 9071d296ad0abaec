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

import codecs
import contextlib
import csv
import gc
import io as _stdio
import itertools
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from drawcore.errors import InvalidInputError
from drawcore.model import CreditClass, IdKind, ProductionStatus, RiskLevel
from drawcore.registry import (
    NO_YEAR,
    County,
    ExpertRegistry,
    FieldSpec,
    InspectorRegistry,
    ItemList,
    Kind,
    UnitRegistry,
    _Registry,
)

__all__ = [
    "ENUM_LABELS",
    "HEADER_ALIASES",
    "REGISTRY_KINDS",
    "read_county",
    "read_experts",
    "read_inspectors",
    "read_items",
    "read_registry",
    "read_units",
    "write_experts",
    "write_inspectors",
    "write_items",
    "write_registry",
    "write_units",
]

PathLike = str | os.PathLike[str]
Reg = TypeVar("Reg", bound=_Registry[Any])

#: Registry kind name (as used by ``drawcore validate --kind``) -> registry class.
REGISTRY_KINDS: dict[str, type[_Registry[Any]]] = {
    "units": UnitRegistry,
    "inspectors": InspectorRegistry,
    "experts": ExpertRegistry,
    "items": ItemList,
}

#: Chinese column headers accepted for each field; the first is written by
#: ``chinese_headers=True``. The English field name is always accepted.
HEADER_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "units": {
        "unit_id": ("统一社会信用代码", "统一社会信用代码或身份证号码", "身份证号码", "证件号码"),
        "name": ("名称", "单位名称", "检查对象名称", "姓名"),
        "id_kind": ("证件类型",),
        "subject_type": ("主体类型",),
        "industry": ("行业类别", "行业", "所属行业"),
        "township": ("所属乡镇", "乡镇", "乡镇街道", "区域"),
        "address": ("住所", "地址", "经营地址"),
        "person_in_charge": ("负责人", "法定代表人"),
        "contact": ("联系方式", "联系电话"),
        "risk_level": ("风险等级",),
        "risk_weight": ("风险权重",),
        "credit_class": ("信用等级",),
        "blacklisted": ("黑名单",),
        "joint_punishment": ("失信联合惩戒",),
        "major_hazard": ("重大事故隐患",),
        "fatal_accident_year": ("死亡事故年份",),
        "licence_holder": ("安全生产许可",),
        "under_investigation": ("立案查处",),
        "production_status": ("生产状态",),
        "in_higher_plan": ("已列入上级抽查计划",),
        "last_inspected": ("最近检查日期",),
    },
    "inspectors": {
        "inspector_id": ("执法证号", "执法证件号码"),
        "name": ("姓名",),
        "gender": ("性别",),
        "post": ("职务",),
        "work_unit": ("工作单位", "所在单位"),
        "phone": ("联系电话", "电话"),
        "expertise": ("业务专长", "专长"),
        "township": ("所在乡镇",),
        "active": ("在岗",),
    },
    "experts": {
        "expert_id": ("专家编号",),
        "name": ("姓名",),
        "gender": ("性别",),
        "employer": ("工作单位",),
        "title": ("职称",),
        "phone": ("联系电话", "电话"),
        "expertise": ("专业领域", "专长"),
        "active": ("在库",),
    },
    "items": {
        "item_id": ("事项编号", "编号"),
        "body": ("检查主体",),
        "item": ("检查事项", "检查项目"),
        "content": ("检查内容",),
        "legal_basis": ("检查依据", "法律依据"),
        "industries": ("适用行业",),
        "subject_types": ("适用主体类型",),
        "version": ("版本",),
        "effective_date": ("生效日期",),
    },
}

#: Chinese labels accepted for enum values (besides the values themselves).
ENUM_LABELS: dict[type, dict[str, Any]] = {
    IdKind: {
        "统一社会信用代码": IdKind.USCC,
        "身份证": IdKind.ID_CARD,
        "身份证号码": IdKind.ID_CARD,
    },
    RiskLevel: {
        "低风险": RiskLevel.LOW,
        "一般风险": RiskLevel.MODERATE,
        "较大风险": RiskLevel.HIGH,
        "重大风险": RiskLevel.MAJOR,
    },
    CreditClass: {},
    ProductionStatus: {
        "正常生产": ProductionStatus.NORMAL,
        "试生产": ProductionStatus.TRIAL,
        "复产": ProductionStatus.RESUMED,
        "停产停业": ProductionStatus.SUSPENDED,
        "关闭": ProductionStatus.CLOSED,
    },
}

_TRUE = ("true", "1", "yes", "y", "是")
_FALSE = ("false", "0", "no", "n", "否")
_WS = " \t\r\n\u3000\ufeff"
_TAG_SEPARATORS = ("；", "、")
# Any whitespace other than line breaks: without it no cell can need stripping.
_SPACE = re.compile(r"[^\S\r\n]")


def _kind_of(cls: type[_Registry[Any]]) -> str:
    return next(k for k, c in REGISTRY_KINDS.items() if c is cls)


# -- decoding ---------------------------------------------------------------------------------


def _decode(data: bytes, path: str, encoding: str | None) -> str:
    """Bytes -> text by the documented detection order; a clear error if nothing fits."""
    if encoding is not None:
        candidates = [encoding]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8-sig", "gb18030"]
    first_error: UnicodeDecodeError | None = None
    for enc in candidates:
        try:
            text = data.decode(enc)
        except LookupError:
            raise InvalidInputError(f"{path}: unknown encoding {enc!r}") from None
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        return text.lstrip("\ufeff")
    assert first_error is not None
    line = data[: first_error.start].count(b"\n") + 1
    tried = " or ".join(candidates)
    raise InvalidInputError(
        f"{path}: line {line}: cannot decode byte {first_error.start} as {tried} "
        f"({first_error.reason}); save the file as UTF-8 or GB18030, or pass encoding="
    )


# -- reading ----------------------------------------------------------------------------------


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


# -- writing ----------------------------------------------------------------------------------


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
