"""Registries: the unit registry, inspector registry, expert registry and item list.

"One list, two registries" (BL-2..4, TJ-1..3, TJ-8) are held **columnar**: one
numpy array per field, rows in canonical id order (sorted by id, code point
order). A draw over a million units needs ``ids``, ``weights`` and a few flag
masks as arrays, not a million objects; a single record is built only when it
is looked up (``registry[id]``) or iterated.

A registry is immutable and validated on construction: every record id is
unique, every required text is non-empty, weights are finite and non-negative,
and a unit's id carries a valid check character (USCC, GB 32100-2015, or
ID-card number, GB 11643, for a person). All problems are collected and raised
together as one :class:`~drawcore.errors.InvalidInputError`.

The :attr:`fingerprint` names exactly which registry a draw used. It is the
SHA-256 (hex) of the format tag (e.g. ``drawcore.units/1``) and a NUL byte, then
for each field in model order: ``name NUL kind NUL``, the 8-byte big-endian length
of the column's canonical bytes, and those bytes (rows in id order). Canonical
bytes: text and tags as :func:`drawcore.serde.canonical_json` of the list; enums as
canonical JSON of the member values, NUL, then one ``uint8`` code per row; flags
one byte 0/1 per row; floats little-endian IEEE 754 doubles (``-0.0`` written as
``0.0``); years little-endian ``int32`` (0 = none); dates little-endian ``int64``
days since 1970-01-01 (``NaT`` = -2**63). It does not depend on input row order
and changes with any field; binary columns keep it fast at a million rows.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import operator
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.model import Expert, IdKind, InspectionItem, Inspector, RiskLevel, Unit
from drawcore.registry import ids as _ids
from drawcore.registry.idcolumns import as_str_array, id_card_bad, id_order, uscc_bad
from drawcore.registry.limits import forbidden_character
from drawcore.serde import canonical_json

__all__ = [
    "NO_YEAR",
    "County",
    "ExpertRegistry",
    "FieldSpec",
    "InspectorRegistry",
    "ItemList",
    "Kind",
    "Problem",
    "UnitRegistry",
]

#: Stored in an optional year column (``fatal_accident_year``) when there is no year.
NO_YEAR = 0


class Kind(enum.Enum):
    """How a field is stored as a column."""

    TEXT = "text"  # object array of str
    ENUM = "enum"  # int8 codes into the enum's members, in definition order
    BOOL = "bool"  # bool array
    FLOAT = "float"  # float64 array
    YEAR = "year"  # int32 array, NO_YEAR when missing
    DATE = "date"  # datetime64[D] array, NaT when missing
    TAGS = "tags"  # object array of tuple[str, ...]


@attrs.frozen
class FieldSpec:
    """One field of a record type: its column kind, whether it is required, its default."""

    name: str
    kind: Kind
    required: bool
    default: Any
    enum_type: type[enum.Enum] | None = None

    @property
    def members(self) -> tuple[enum.Enum, ...]:
        return tuple(self.enum_type) if self.enum_type is not None else ()


@attrs.frozen
class Problem:
    """One validation problem: 0-based record index (or ``None``), field (or ``None``), message."""

    index: int | None
    field: str | None
    message: str


def _schema(cls: type) -> tuple[FieldSpec, ...]:
    """Derive the column schema from the attrs model class, so the two never drift apart."""
    attrs.resolve_types(cls)
    specs = []
    for f in attrs.fields(cls):
        required = f.default is attrs.NOTHING
        default = None if required else f.default
        tp = f.type
        if tp is str:
            kind = Kind.TEXT
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            specs.append(FieldSpec(f.name, Kind.ENUM, required, default, tp))
            continue
        elif tp is bool:
            kind = Kind.BOOL
        elif tp is float:
            kind = Kind.FLOAT
        elif tp == int | None:
            kind = Kind.YEAR
        elif tp == dt.date | None:
            kind = Kind.DATE
        elif tp == tuple[str, ...]:
            kind = Kind.TAGS
            default = ()
        else:  # pragma: no cover - guards the model against unsupported field types
            raise TypeError(
                msg(
                    "{model}.{field}: no column kind for {type}",
                    model=cls.__name__,
                    field=f.name,
                    type=repr(tp),
                )
            )
        specs.append(FieldSpec(f.name, kind, required, default))
    return tuple(specs)


Array = npt.NDArray[Any]
#: Rows decoded at a time when a registry is iterated (bounds the decoded columns).
_RECORDS_CHUNK = 8192
R = TypeVar("R")
_NAME = operator.attrgetter("_name_")
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_NAT = int(np.iinfo(np.int64).min)  # NaT as datetime64 stores it


def _as_column(spec: FieldSpec, values: Sequence[Any] | Array) -> Array:
    """A column of typed Python values (or an array of the stored dtype) as the stored array."""
    if isinstance(values, np.ndarray) and values.dtype != object and spec.kind is not Kind.TEXT:
        wanted: np.dtype[Any] | None = {
            Kind.ENUM: np.dtype(np.int8),
            Kind.BOOL: np.dtype(np.bool_),
            Kind.FLOAT: np.dtype(np.float64),
            Kind.YEAR: np.dtype(np.int32),
            Kind.DATE: np.dtype("datetime64[D]"),
        }.get(spec.kind)
        if wanted is not None:
            return np.asarray(values, dtype=wanted)
    seq = values.tolist() if isinstance(values, np.ndarray) else list(values)
    n = len(seq)
    if spec.kind is Kind.TEXT:
        out = np.empty(n, dtype=object)
        out[:] = seq
        return out
    if spec.kind is Kind.ENUM:
        members = spec.members
        if set(map(type, seq)) <= {spec.enum_type}:
            # members only (the usual case): their names look up faster than they hash
            by_name = {m.name: i for i, m in enumerate(members)}
            return np.fromiter(map(by_name.__getitem__, map(_NAME, seq)), dtype=np.int8, count=n)
        code = {m: i for i, m in enumerate(members)}
        return np.fromiter((code[v] for v in seq), dtype=np.int8, count=n)
    if spec.kind is Kind.BOOL:
        return np.array(seq, dtype=np.bool_).reshape(n)
    if spec.kind is Kind.FLOAT:
        return np.array(seq, dtype=np.float64).reshape(n)
    if spec.kind is Kind.YEAR:
        return np.fromiter((NO_YEAR if v is None else v for v in seq), dtype=np.int32, count=n)
    if spec.kind is Kind.DATE:
        if set(map(type, seq)) <= {dt.date, types.NoneType}:
            days = [_NAT if v is None else v.toordinal() - _EPOCH_ORDINAL for v in seq]
            return np.array(days, dtype=np.int64).view("datetime64[D]").reshape(n)
        return np.array(
            ["NaT" if v is None else v.isoformat() for v in seq], dtype="datetime64[D]"
        ).reshape(n)
    out = np.empty(n, dtype=object)
    out[:] = [tuple(v) for v in seq]
    return out


def _is_objects(values: object) -> bool:
    return isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1


def _default_column(spec: FieldSpec, n: int) -> Array:
    """A column of ``n`` default values, as :func:`_as_column` would store them."""
    if spec.kind in (Kind.TEXT, Kind.TAGS):
        out = np.empty(n, dtype=object)
        out.fill(spec.default)
        return out
    return _as_column(spec, [spec.default]).repeat(n)


def _decode_column(spec: FieldSpec, column: Array) -> list[Any]:
    """The Python values of every row of a stored column (a record's field values),
    read in one pass."""
    values = column.tolist()  # text -> str, flags -> bool, floats -> float, dates -> date
    if spec.kind is Kind.ENUM:
        return list(map(spec.members.__getitem__, values))
    if spec.kind is Kind.YEAR:
        return [None if v == NO_YEAR else v for v in values]
    return cast(list[Any], values)


def _column_bytes(spec: FieldSpec, column: Array) -> bytes:
    """The canonical bytes of one column (rows in id order), for the fingerprint."""
    kind = spec.kind
    if kind is Kind.TEXT:
        return canonical_json(column.tolist())  # tolist() gives plain str
    if kind is Kind.TAGS:
        return canonical_json([list(t) for t in column.tolist()])
    if kind is Kind.ENUM:
        members = canonical_json([m.value for m in spec.members])
        return members + b"\x00" + column.astype(np.uint8).tobytes()
    if kind is Kind.BOOL:
        return column.astype(np.uint8).tobytes()
    if kind is Kind.FLOAT:
        return (column + 0.0).astype("<f8").tobytes()  # + 0.0 turns -0.0 into 0.0
    if kind is Kind.YEAR:
        return column.astype("<i4").tobytes()
    return column.astype("<i8").tobytes()  # days since 1970-01-01; NaT is -2**63


class _Registry(Generic[R]):
    """Shared machinery; subclasses name the record type, its id field and format tag."""

    record_type: ClassVar[type]
    id_field: ClassVar[str]
    format: ClassVar[str]
    schema: ClassVar[tuple[FieldSpec, ...]]
    what: ClassVar[str]

    __slots__ = ("_columns", "_fingerprint", "_ids")
    _columns: Mapping[str, Array]
    _ids: npt.NDArray[np.str_]
    _fingerprint: str | None

    def __init__(self, columns: Mapping[str, Sequence[Any] | Array]) -> None:
        """Build from one sequence per field (typed values or stored arrays); validates all.

        Prefer :meth:`from_records`, or the readers in :mod:`drawcore.registry.readers`.
        """
        stored, problems = self.check_columns(columns)
        if problems:
            problems.sort(key=lambda p: (-1 if p.index is None else p.index, p.field or ""))
            raise InvalidInputError(
                msg(
                    "{what}: {count} problem(s); first: {problem}",
                    what=msg(self.what),
                    count=len(problems),
                    problem=_describe(problems[0]),
                ),
                tuple(_describe(p) for p in problems),
            )
        self._init_sorted(stored)

    @classmethod
    def from_checked(cls, stored: dict[str, Array]) -> Self:
        """A registry from columns that :meth:`check_columns` returned with no problems."""
        obj = object.__new__(cls)
        obj._init_sorted(stored)
        return obj

    def _init_sorted(self, stored: dict[str, Array]) -> None:
        for col in stored.values():
            col.flags.writeable = False
        object.__setattr__(self, "_columns", types.MappingProxyType(stored))
        object.__setattr__(self, "_ids", stored[self.id_field])
        object.__setattr__(self, "_fingerprint", None)

    @classmethod
    def check_columns(
        cls,
        columns: Mapping[str, Sequence[Any] | Array],
        *,
        screened: bool = False,
        stripped: bool = False,
        owned: bool = False,
    ) -> tuple[dict[str, Array], list[Problem]]:
        """Typed columns -> (stored columns sorted by id, every problem found).

        Problem indices refer to the input order. The stored columns are meant only for
        :meth:`from_checked`, and only when there are no problems. ``screened``: the
        caller has already found no control or bidirectional-override character in the
        text the columns come from (a reader searches the whole file at once);
        ``stripped``: no text value has leading or trailing whitespace (a reader strips
        every cell), so a blank value is the empty string; ``owned``: the columns were built
        for this call (a reader's), so a text column that is already an object array is
        stored as it is, not copied.
        """
        names = {s.name for s in cls.schema}
        unknown = sorted(set(columns) - names)
        missing = sorted(s.name for s in cls.schema if s.required and s.name not in columns)
        problems = [Problem(None, f, msg("unknown field")) for f in unknown]
        problems += [Problem(None, f, msg("required field is missing")) for f in missing]
        if problems:
            return {}, problems
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            differ = msg("columns differ in length: {lengths}", lengths=str(sorted(lengths)))
            return {}, [Problem(None, None, differ)]
        n = lengths.pop() if lengths else 0
        stored: dict[str, Array] = {}
        for spec in cls.schema:
            if spec.name in columns:
                given = columns[spec.name]
                if owned and spec.kind is Kind.TEXT and _is_objects(given):
                    stored[spec.name] = cast(Array, given)
                    continue
                try:
                    stored[spec.name] = _as_column(spec, given)
                except (KeyError, TypeError, ValueError) as exc:
                    problems.append(
                        Problem(None, spec.name, msg("bad value ({why})", why=str(exc)))
                    )
                    continue
            else:
                stored[spec.name] = _default_column(spec, n)
        if problems:
            return {}, problems
        for spec in cls.schema:
            col = stored[spec.name]
            if spec.kind is Kind.TEXT and spec.required:
                given = columns[spec.name]
                values = given if isinstance(given, list) else col
                if "" in values or (not stripped and any(map(str.isspace, values))):
                    values = values if isinstance(values, list) else values.tolist()
                    for i in [i for i, v in enumerate(values) if not v or v.isspace()]:
                        problems.append(Problem(i, spec.name, msg("required field is empty")))
            elif spec.kind is Kind.FLOAT:
                for i in np.flatnonzero(~(np.isfinite(col) & (col >= 0))).tolist():
                    negative = msg("must be a number >= 0, got {value}", value=repr(float(col[i])))
                    problems.append(Problem(i, spec.name, negative))
            elif spec.kind is Kind.TAGS:
                for i, tags in enumerate(col.tolist()):
                    if any(not t or not t.strip() or ";" in t for t in tags):
                        problems.append(Problem(i, spec.name, msg("empty tag, or a tag with ';'")))
            if spec.kind in (Kind.TEXT, Kind.TAGS) and not screened:
                problems += _forbidden_text(spec.name, col)
        raw_ids = stored[cls.id_field]
        u = as_str_array(raw_ids)
        stored[cls.id_field] = u
        if not screened:  # screened text has no NUL
            # numpy's str_ drops trailing NULs: compare with the Python strings' lengths
            id_lengths = np.fromiter(map(len, raw_ids.tolist()), dtype=np.int64, count=n)
            for i in np.flatnonzero(id_lengths != np.char.str_len(u)).tolist():
                problems.append(Problem(i, cls.id_field, msg("id ends in a NUL character")))
        problems += cls._check_ids(stored)
        order = id_order(u)
        if n > 1:
            su = u[order]
            dup = np.flatnonzero(su[1:] == su[:-1])
            first_of: dict[str, int] = {}
            for k in dup.tolist():
                first_of.setdefault(str(su[k]), int(order[k]))
                duplicate = msg(
                    "duplicate id {id} (first at record {number})",
                    id=str(su[k]),
                    number=first_of[str(su[k])] + 1,
                )
                problems.append(Problem(int(order[k + 1]), cls.id_field, duplicate))
        if problems or bool((order[1:] > order[:-1]).all()):
            return stored, problems  # problems, or already in id order (e.g. written by us)
        return {name: col[order] for name, col in stored.items()}, problems

    @classmethod
    def _check_ids(cls, stored: dict[str, Array]) -> list[Problem]:
        return []

    @classmethod
    def from_records(cls, records: Iterable[R]) -> Self:
        """A registry of these records (any order); InvalidInputError lists every problem."""
        rows = list(records)
        bad = [i for i, r in enumerate(rows) if not isinstance(r, cls.record_type)]
        if bad:
            raise InvalidInputError(
                msg(
                    "{what}: record {number} is not a {type}",
                    what=msg(cls.what),
                    number=bad[0] + 1,
                    type=cls.record_type.__name__,
                )
            )
        return cls({s.name: [getattr(r, s.name) for r in rows] for s in cls.schema})

    # -- reading ---------------------------------------------------------------------------

    @property
    def ids(self) -> npt.NDArray[np.str_]:
        """Ids in canonical (sorted) order; row ``i`` of every column belongs to ``ids[i]``."""
        return self._ids

    @property
    def columns(self) -> Mapping[str, Array]:
        """Read-only mapping field name -> read-only column array (rows in id order)."""
        return self._columns

    def column(self, name: str) -> Array:
        """One column by field name (see :class:`Kind` for how each kind is stored)."""
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(
                msg("{what} has no field {field}", what=msg(self.what), field=repr(name))
            ) from None

    def index_of(self, record_id: str) -> int:
        """Row index of ``record_id``; ``KeyError`` if absent."""
        i = int(np.searchsorted(self.ids, record_id))
        if i < len(self.ids) and self.ids[i] == record_id:
            return i
        raise KeyError(record_id)

    def record(self, index: int) -> R:
        """The record at row ``index`` (built on demand)."""
        row = range(len(self))[index]  # an IndexError out of range, as a list gives
        rows = slice(row, row + 1)
        values = {s.name: _decode_column(s, self._columns[s.name][rows])[0] for s in self.schema}
        return cast(R, self.record_type(**values))

    def __getitem__(self, record_id: str) -> R:
        return self.record(self.index_of(record_id))

    def get(self, record_id: str, default: R | None = None) -> R | None:
        try:
            return self[record_id]
        except KeyError:
            return default

    def __contains__(self, record_id: object) -> bool:
        if not isinstance(record_id, str):
            return False
        try:
            self.index_of(record_id)
        except KeyError:
            return False
        return True

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[R]:
        """Records in canonical id order (each column decoded once, in chunks of rows)."""
        make, names = self.record_type, [s.name for s in self.schema]
        for start in range(0, len(self), _RECORDS_CHUNK):
            rows = slice(start, start + _RECORDS_CHUNK)
            columns = [_decode_column(s, self._columns[s.name][rows]) for s in self.schema]
            for values in zip(*columns, strict=True):
                yield make(**dict(zip(names, values, strict=True)))

    @property
    def fingerprint(self) -> str:
        """SHA-256 hex of the canonical serialisation (row-order free; see module docstring)."""
        if self._fingerprint is None:
            digest = hashlib.sha256(self.format.encode("ascii") + b"\x00")
            for spec in self.schema:
                payload = _column_bytes(spec, self._columns[spec.name])
                digest.update(f"{spec.name}\x00{spec.kind.value}\x00".encode("ascii"))
                digest.update(len(payload).to_bytes(8, "big"))
                digest.update(payload)
            object.__setattr__(self, "_fingerprint", digest.hexdigest())
        return cast(str, self._fingerprint)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.fingerprint == other.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(msg("{type} is immutable", type=type(self).__name__))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} records, fingerprint {self.fingerprint[:12]})"


def _forbidden_text(field: str, column: Array) -> list[Problem]:
    """Cells of a text or tags column holding a control or bidirectional-override character."""
    values = column.tolist()
    cells = values if not values or isinstance(values[0], str) else ["\n".join(t) for t in values]
    if forbidden_character("\n".join(cells)) is None:
        return []
    found = ((i, forbidden_character(c)) for i, c in enumerate(cells))
    return [Problem(i, field, why) for i, why in found if why is not None]


def _describe(p: Problem) -> str:
    if p.index is None and p.field is None:
        return p.message
    if p.index is None:
        return msg("field {field}: {problem}", field=repr(p.field), problem=p.message)
    if p.field is None:
        return msg("record {number}: {problem}", number=p.index + 1, problem=p.message)
    return msg(
        "record {number}, field {field}: {problem}",
        number=p.index + 1,
        field=repr(p.field),
        problem=p.message,
    )


class UnitRegistry(_Registry[Unit]):
    """The unit registry (检查对象名录库, BL-3, TJ-3)."""

    __slots__ = ()
    record_type = Unit
    id_field = "unit_id"
    format = "drawcore.units/1"
    schema = _schema(Unit)
    what = "unit registry"

    @classmethod
    def _check_ids(cls, stored: dict[str, Array]) -> list[Problem]:
        ids = stored["unit_id"]
        person = stored["id_kind"] == list(IdKind).index(IdKind.ID_CARD)
        problems = []
        for mask, bad_of, fix in (
            (~person, uscc_bad, _ids.uscc_problem),
            (person, id_card_bad, _ids.id_card_problem),
        ):
            rows = np.flatnonzero(mask)
            for i in rows[bad_of(ids[rows])].tolist():
                problems.append(Problem(i, "unit_id", fix(str(ids[i])) or msg("invalid")))
        return problems

    @property
    def weights(self) -> npt.NDArray[np.float64]:
        """``risk_weight`` per unit, in id order."""
        return cast(npt.NDArray[np.float64], self._columns["risk_weight"])

    @property
    def high_risk(self) -> npt.NDArray[np.bool_]:
        """Mask of units of high safety-risk level (``RiskLevel.is_high``, TJ-5)."""
        codes = [i for i, m in enumerate(RiskLevel) if m.is_high]
        return np.isin(self._columns["risk_level"], codes)

    @property
    def is_person(self) -> npt.NDArray[np.bool_]:
        """Mask of units identified by an ID-card number (individuals, masked on publication)."""
        code = list(IdKind).index(IdKind.ID_CARD)
        return cast(npt.NDArray[np.bool_], self._columns["id_kind"] == code)

    def mask(self, field: str) -> npt.NDArray[np.bool_]:
        """A boolean flag column (e.g. ``"blacklisted"``, ``"major_hazard"``) as a mask."""
        col = self.column(field)
        if col.dtype != np.bool_:
            raise KeyError(msg("{field} is not a flag field", field=repr(field)))
        return cast(npt.NDArray[np.bool_], col)


class _People(_Registry[R]):
    """A registry of people who enter and leave it by an ``active`` flag."""

    __slots__ = ()

    @property
    def active(self) -> npt.NDArray[np.bool_]:
        """Mask of the people who may be drawn (BL-4 dynamic entry and exit)."""
        return cast(npt.NDArray[np.bool_], self._columns["active"])


class InspectorRegistry(_People[Inspector]):
    """The inspector registry (执法检查人员名录库, BL-4, TJ-2), keyed by certificate number."""

    __slots__ = ()
    record_type = Inspector
    id_field = "inspector_id"
    format = "drawcore.inspectors/1"
    schema = _schema(Inspector)
    what = "inspector registry"


class ExpertRegistry(_People[Expert]):
    """The industry expert registry (行业专家信息库, TJ-8)."""

    __slots__ = ()
    record_type = Expert
    id_field = "expert_id"
    format = "drawcore.experts/1"
    schema = _schema(Expert)
    what = "expert registry"


class ItemList(_Registry[InspectionItem]):
    """The inspection item list (随机抽查事项清单, BL-2, TJ-1)."""

    __slots__ = ()
    record_type = InspectionItem
    id_field = "item_id"
    format = "drawcore.items/1"
    schema = _schema(InspectionItem)
    what = "inspection item list"

    def applicable(self, unit: Unit) -> tuple[InspectionItem, ...]:
        """The items that apply to ``unit``, in item id order (BL-9: system-generated items)."""
        return tuple(item for item in self if item.applies_to(unit))


@attrs.frozen
class County:
    """The four foundations of one jurisdiction: unit, inspector and expert registries, items."""

    units: UnitRegistry
    inspectors: InspectorRegistry
    experts: ExpertRegistry
    items: ItemList

    @property
    def fingerprints(self) -> dict[str, str]:
        """Fingerprint of each registry, by name (what a draw plan commits to)."""
        return {
            "units": self.units.fingerprint,
            "inspectors": self.inspectors.fingerprint,
            "experts": self.experts.fingerprint,
            "items": self.items.fingerprint,
        }
