"""``UnitColumns``: the unit registry as columns, the one argument of the columnar hooks.

A city's registry holds a million units; a rule that is a Python call per unit costs
seconds. The columnar hooks of :mod:`drawcore.plugin.spec` receive the units as one
read-only numpy array per field instead, and answer with groups of rows
(:class:`~drawcore.plugin.values.GroupReason` and its kin), so a rule such as
"blacklisted units are inspected every year" is one vectorised mask.

Rows are in the order the caller gave the units (not necessarily id order); every
answer names rows of this view.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.model import Unit
from drawcore.registry.registries import (
    NO_YEAR,
    FieldSpec,
    Kind,
    UnitRegistry,
    _as_column,
)

__all__ = ["NO_DAY", "NO_YEAR", "UnitColumns"]

#: ``days`` of a missing date (e.g. a unit never inspected).
NO_DAY = np.iinfo(np.int64).min

_SPECS: dict[str, FieldSpec] = {s.name: s for s in UnitRegistry.schema}
_EPOCH = dt.date(1970, 1, 1)


def _frozen(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    if a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


class UnitColumns:
    """The units a rule is asked about, one read-only array per field of :class:`Unit`.

    How fields are stored is the registry's (``docs/design.md``, Registries): text as
    object arrays of ``str``, enums as ``int8`` codes (use :meth:`equals` / :meth:`isin`
    with the members), flags as ``bool``, ``fatal_accident_year`` as ``int32`` with
    :data:`NO_YEAR` = 0 for none, dates as ``datetime64[D]`` (:meth:`days` gives
    days since 1970-01-01 as ``int64``, :data:`NO_DAY` when missing).
    """

    __slots__ = ("_columns", "_id_objects", "_ids", "_units")

    def __init__(
        self, columns: Mapping[str, npt.NDArray[Any]], *, units: Sequence[Unit] | None = None
    ) -> None:
        missing = sorted(set(_SPECS) - set(columns))
        if missing:
            raise InvalidInputError(
                msg("unit columns miss field(s) {fields}", fields=", ".join(missing))
            )
        frozen = {name: _frozen(np.asarray(columns[name])) for name in _SPECS}
        lengths = {len(a) for a in frozen.values()}
        if len(lengths) > 1:
            raise InvalidInputError(
                msg(
                    "unit columns of different lengths: {lengths}; give one value per unit",
                    lengths=sorted(lengths),
                )
            )
        self._columns = types.MappingProxyType(frozen)
        self._ids = cast(npt.NDArray[np.str_], frozen["unit_id"])
        self._units = tuple(units) if units is not None else None
        self._id_objects: npt.NDArray[np.object_] | None = None

    @classmethod
    def of(cls, units: UnitRegistry | Iterable[Unit]) -> UnitColumns:
        """The columns of a registry (id order, no copy) or of units (their order)."""
        if isinstance(units, UnitRegistry):
            return cls(units.columns)
        seq: Sequence[Unit] = units if isinstance(units, Sequence) else list(units)
        columns = {
            name: _as_column(spec, list(map(attrgetter(name), seq)))
            for name, spec in _SPECS.items()
        }
        return cls(columns, units=seq)

    @classmethod
    def rows_of(cls, registry: UnitRegistry, rows: npt.NDArray[np.intp]) -> UnitColumns:
        """The registry's rows ``rows`` (in that order)."""
        return cls({name: col[rows] for name, col in registry.columns.items()})

    def take(self, rows: Sequence[int], units: Sequence[Unit]) -> UnitColumns:
        """Rows ``rows`` of these columns (in that order), ``units`` being those rows
        as :class:`Unit` values."""
        picked = np.asarray(rows, dtype=np.intp)
        return UnitColumns({name: col[picked] for name, col in self._columns.items()}, units=units)

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> npt.NDArray[np.str_]:
        """The unit ids (USCC or ID-card number)."""
        return self._ids

    @property
    def id_objects(self) -> npt.NDArray[np.object_]:
        """The unit ids as an object array of ``str``: indexing it and ``tolist()`` hand
        out the same string objects every time (fast keys for many mappings)."""
        if self._id_objects is None:
            out = np.empty(len(self._ids), dtype=object)
            out[:] = self._ids.tolist()
            out.flags.writeable = False
            self._id_objects = out
        return self._id_objects

    def column(self, field: str) -> npt.NDArray[Any]:
        """The stored column of ``field`` (read-only)."""
        try:
            return self._columns[field]
        except KeyError:
            raise KeyError(msg("no unit field {field}", field=repr(field))) from None

    def __getattr__(self, field: str) -> npt.NDArray[Any]:
        if field.startswith("_"):
            raise AttributeError(field)
        try:
            return self._columns[field]
        except KeyError:
            raise AttributeError(msg("no unit field {field}", field=repr(field))) from None

    def equals(self, field: str, member: enum.Enum) -> npt.NDArray[np.bool_]:
        """Mask of the rows whose enum ``field`` is ``member``."""
        return self.isin(field, (member,))

    def isin(self, field: str, members: Iterable[enum.Enum]) -> npt.NDArray[np.bool_]:
        """Mask of the rows whose enum ``field`` is one of ``members``."""
        spec = _SPECS[field]
        if spec.kind is not Kind.ENUM:
            raise KeyError(msg("{field} is not an enum field", field=repr(field)))
        codes = [spec.members.index(m) for m in members]
        return np.isin(self._columns[field], codes)

    def flag(self, field: str) -> npt.NDArray[np.bool_]:
        """A boolean field (``"blacklisted"``, ``"major_hazard"`` ...) as a mask."""
        if _SPECS[field].kind is not Kind.BOOL:
            raise KeyError(msg("{field} is not a flag field", field=repr(field)))
        return cast(npt.NDArray[np.bool_], self._columns[field])

    def days(self, field: str) -> npt.NDArray[np.int64]:
        """A date field as days since 1970-01-01, :data:`NO_DAY` where missing."""
        if _SPECS[field].kind is not Kind.DATE:
            raise KeyError(msg("{field} is not a date field", field=repr(field)))
        return self._columns[field].astype(np.int64)

    @property
    def high_risk(self) -> npt.NDArray[np.bool_]:
        """Mask of the units of a high safety-risk level (``RiskLevel.is_high``, TJ-5)."""
        spec = _SPECS["risk_level"]
        codes = [i for i, m in enumerate(spec.members) if getattr(m, "is_high", False)]
        return np.isin(self._columns["risk_level"], codes)

    def member(self, field: str, row: int) -> enum.Enum:
        """The enum member of ``field`` at ``row`` (for a reason's text)."""
        return _SPECS[field].members[int(self._columns[field][row])]

    def units(self) -> tuple[Unit, ...]:
        """Every row as a :class:`Unit` (the units given, when built from units)."""
        if self._units is None:
            return tuple(self.unit(i) for i in range(len(self)))
        return self._units

    def unit(self, row: int) -> Unit:
        """Row ``row`` as a :class:`Unit` (slow: for a few rows only)."""
        values: dict[str, Any] = {}
        for name, spec in _SPECS.items():
            v = self._columns[name][row]
            if spec.kind is Kind.TEXT:
                values[name] = str(v)
            elif spec.kind is Kind.ENUM:
                values[name] = spec.members[int(v)]
            elif spec.kind is Kind.BOOL:
                values[name] = bool(v)
            elif spec.kind is Kind.FLOAT:
                values[name] = float(v)
            elif spec.kind is Kind.YEAR:
                values[name] = None if int(v) == NO_YEAR else int(v)
            elif spec.kind is Kind.DATE:
                values[name] = (
                    None if np.isnat(v) else _EPOCH + dt.timedelta(days=int(v.astype(np.int64)))
                )
            else:
                values[name] = v
        return Unit(**values)
