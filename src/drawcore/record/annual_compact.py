"""The compact annual-plan layout (``drawcore.plan.plan_year/4`` and ``/3``) and the inputs
it carries.

An annual plan's record was mostly repetition: every task spelt out its unit id,
its items, its reasons and its team's parts as objects with the same keys. The
compact layout writes the same values once:

- every scalar (text, number, flag, null) is written once, in a table ``v`` in the
  order first met, and referred to by its position;
- a list of objects that share their keys is written as columns
  (``{"n": rows, "c": {key: column}}``), each column encoded the same way;
- a list of scalars is the list of their positions; another list in which each value
  occurs twice on average or more is written as its distinct values, in the order first met,
  and each item's index among them (``{"u": distinct, "i": indices}``);
- a list of lists is written as the lengths of its lists and their items one after
  another (``{"k": lengths, "f": items}``);
- any other list is ``{"l": [items]}`` and any other object ``{"o": {key: value}}``.

Decoding is exact: :func:`decode` of :func:`encode` gives back the same JSON value,
so the plan a record holds is the plan replay computes, compared value for value.

:class:`YearInputs` is what a replay needs beside the plan and that only the rules
know: each unit's weight (and the reasons of weights other than the registry's),
its recent-inspection window and team size, as parallel columns over the units of
the registry (ids ascending). With them the year's draw and the placement are
replayed from the record alone; drawcore's own ``verify`` also asks the installed
rules and names the first unit whose weight or window they now decide differently.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping, Sequence
from itertools import accumulate, chain
from operator import itemgetter, sub
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.plan.collection import cycles_collected_after
from drawcore.plan.parameters import YearParameters
from drawcore.plan.policy import Policy, UnitDecisions
from drawcore.plan.prepare import prepare
from drawcore.plugin.values import Reason
from drawcore.registry.registries import County

__all__ = [
    "COMPACT_METHOD",
    "COMPACT_METHODS",
    "YearInputs",
    "decode",
    "encode",
    "holds",
    "plan_json",
    "year_inputs",
]

#: The annual-plan method this version writes: the compact layout, and a commitment that
#: names the registries by their snapshots' fingerprints (``docs/spec.md`` §12.1).
COMPACT_METHOD = "drawcore.plan.plan_year/4"
#: The methods whose records use the compact layout (``/3``: written before ``/4``, its
#: commitment fingerprints the registries' records).
COMPACT_METHODS = frozenset({"drawcore.plan.plan_year/3", COMPACT_METHOD})

_Scalar = str | int | float | bool | None


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _is_scalar(value: object) -> bool:
    return type(value) in _SCALARS or isinstance(value, str | int | float)


class _Table:
    """Scalars in the order first met; the same value (and type) is written once."""

    def __init__(self) -> None:
        self.values: list[_Scalar] = []
        self._index: dict[tuple[str, _Scalar], int] = {}
        self._text: dict[str, int] = {}  # plain ``str`` values: the common case, keyed by value
        self._int: dict[int, int] = {}  # plain ``int`` values (not ``bool``), keyed by value

    def ref(self, value: _Scalar) -> int:
        index: dict[Any, int]
        if type(value) is str:
            index = self._text
            key: Any = value
        elif type(value) is int:
            index = self._int
            key = value
        else:
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidInputError(msg("{value} has no JSON form", value=repr(value)))
            # 1, 1.0 and true are different scalars, and so are 0.0 and -0.0
            index = self._index
            key = (type(value).__name__, repr(value) if isinstance(value, float) else value)
        found = index.get(key)
        if found is None:
            found = index[key] = len(self.values)
            self.values.append(value)
        return found

    def refs(self, values: Sequence[_Scalar]) -> list[int]:
        """:meth:`ref` of each value, in order."""
        get, number = self._text.get, self._int.get
        out = [
            get(v, -1) if type(v) is str else number(v, -1) if type(v) is int else -1
            for v in values
        ]
        if -1 in out:
            ref = self.ref
            for n, v in enumerate(values):
                if out[n] == -1:
                    out[n] = ref(v)
        return out


def _encode(value: Any, table: _Table) -> Any:
    if _is_scalar(value):
        return table.ref(value)
    if isinstance(value, Mapping):
        return {"o": {k: _encode(value[k], table) for k in sorted(value)}}
    if not isinstance(value, Sequence):
        raise InvalidInputError(msg("not a JSON value: {kind}", kind=type(value).__name__))
    if all(map(_SCALARS.__contains__, map(type, value))) or all(map(_is_scalar, value)):
        return table.refs(value)
    repeated = _repeats(value)
    if repeated is not None:
        distinct, rows = repeated
        return {"u": _encode(distinct, table), "i": rows}
    if all(isinstance(v, list | tuple) for v in value):
        flat = [x for v in value for x in v]
        return {"k": [len(v) for v in value], "f": _encode(flat, table)}
    if all(isinstance(v, Mapping) for v in value):
        keys = sorted(value[0])
        if all(sorted(v) == keys for v in value):
            return {
                "n": len(value),
                "c": {k: _encode([v[k] for v in value], table) for k in keys},
            }
    return {"l": [_encode(v, table) for v in value]}


def _repeats(value: Sequence[Any]) -> tuple[list[Any], list[int]] | None:
    """The distinct items (by canonical JSON, in the order first met) and each item's
    place among them, when they are at most half the items; else ``None``."""
    half = len(value) // 2  # more distinct items than this: no repeats layout
    if _differ(value, half):
        return None
    first: dict[str, int] = {}
    rows = []
    for v in value:
        key = _canonical(v)
        row = first.get(key)
        if row is None:
            row = first[key] = len(first)
            if row >= half:
                return None
        rows.append(row)
    distinct: list[Any] = [None] * len(first)
    for v, i in zip(value, rows, strict=True):
        distinct[i] = v
    return distinct, rows


_OTHER = object()  # the probe of a value no probe looks into


def _differ(value: Sequence[Any], half: int) -> bool:
    """Whether more than ``half`` of the items surely differ, told by probes: keys that
    items with the same canonical JSON share (1, 1.0 and true share one, which only makes
    probes coarser). Mappings are probed a key at a time, by their scalars under it."""
    if all(isinstance(v, Mapping) for v in value):
        # first the scalars under each key (cheap, and an id among them settles it), then
        # the probes of the other values, a key at a time, then all the keys' together
        keys = sorted(value[0])
        columns = [[v.get(k, _OTHER) for v in value] for k in keys]
        shallow = [[x if type(x) in _SCALARS else _OTHER for x in c] for c in columns]
        if any(len(set(c)) > half for c in shallow):
            return True
        for n, column in enumerate(columns):
            if type(column[0]) not in _SCALARS:
                shallow[n] = [x if type(x) in _SCALARS else _probe(x) for x in column]
                if len(set(shallow[n])) > half:
                    return True
        return len(set(zip(*shallow, strict=True))) > half
    seen: set[Hashable] = set()
    for v in value:
        seen.add(_probe(v))
        if len(seen) > half:
            return True
    return False


def _probe(value: Any) -> Hashable:
    """A scalar itself; a list its length, the probe of its first item and its last item
    if a scalar; a mapping its keys and their values' probes; anything else one key."""
    if isinstance(value, list | tuple):
        if not value:
            return ()
        last = value[-1]
        return (len(value), _item_probe(value[0]), last if type(last) in _SCALARS else _OTHER)
    if isinstance(value, Mapping):
        return _item_probe(value)
    return value if type(value) in _SCALARS else _OTHER


def _item_probe(value: Any) -> Hashable:
    """A scalar itself; a mapping its keys and their scalars; anything else one key."""
    if type(value) in _SCALARS:
        return value  # type: ignore[no-any-return]
    if isinstance(value, Mapping):
        return tuple([(k, _value_probe(x)) for k, x in sorted(value.items(), key=_first)])
    return _OTHER


def _value_probe(value: Any) -> Hashable:
    """A scalar itself; a list its length and its first item if a scalar; else one key."""
    if type(value) in _SCALARS:
        return value  # type: ignore[no-any-return]
    if isinstance(value, list | tuple):
        return (len(value), value[0] if value and type(value[0]) in _SCALARS else _OTHER)
    return _OTHER


def _first(item: tuple[str, Any]) -> str:
    return item[0]


_CANONICAL_TEXT = (
    getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring
)
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)


_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_ONE_PASS = (
    None
    if _C_ENCODER is None
    else _C_ENCODER(None, _CANONICAL.default, _CANONICAL_TEXT, None, ":", ",", True, False, True)
)


def _canonical(value: Any) -> str:
    if _ONE_PASS is not None and type(value) is not str:
        return "".join(_ONE_PASS(value, 0))  # the encoder _CANONICAL.encode makes per call
    return _CANONICAL.encode(value)


@cycles_collected_after
def encode(value: Any) -> dict[str, Any]:
    """``value`` (plain JSON values) in the compact layout: ``{"v": table, "d": data}``."""
    table = _Table()
    data = _encode(value, table)
    return {"v": table.values, "d": data}


#: The fields of a value to decode: key -> the fields of its value (``None``: all of it);
#: a list's items are read with the fields of the list.
Fields = Mapping[str, "Fields | None"]


def _decode(data: Any, table: Sequence[_Scalar], keep: Fields | None = None) -> Any:
    if isinstance(data, int) and not isinstance(data, bool):
        return table[data]
    if isinstance(data, list):
        return [table[i] for i in data]
    if not isinstance(data, Mapping) or len(data) not in (1, 2):
        raise InvalidInputError(msg("not a compact value: {value}", value=str(data)[:80]))
    if "o" in data:
        fields = data["o"]
        if keep is None:
            return {k: _decode(v, table) for k, v in fields.items()}
        return {k: _decode(fields[k], table, keep[k]) for k in keep if k in fields}
    if "l" in data:
        return [_decode(v, table, keep) for v in data["l"]]
    if "k" in data:
        flat = _decode(data["f"], table, keep)
        out, at = [], 0
        for k in data["k"]:
            out.append(flat[at : at + k])
            at += k
        if at != len(flat):
            raise InvalidInputError(msg("lengths k do not add up to the items of f"))
        return out
    if "u" in data:
        distinct = _decode(data["u"], table, keep)
        return [distinct[i] for i in data["i"]]
    n, columns = data["n"], data["c"]
    decoded = {
        k: _decode(v, table, None if keep is None else keep[k])
        for k, v in columns.items()
        if keep is None or k in keep
    }
    for k, column in decoded.items():
        if not isinstance(column, list) or len(column) != n:
            raise InvalidInputError(
                msg("column {column} does not have {rows} rows", column=repr(k), rows=n)
            )
    keys = list(decoded)
    if not keys:
        return [{} for _ in range(n)]
    return [dict(zip(keys, row, strict=True)) for row in zip(*decoded.values(), strict=True)]


@cycles_collected_after
def decode(compact: Mapping[str, Any], keep: Fields | None = None) -> Any:
    """The JSON value a compact ``{"v": table, "d": data}`` holds; :class:`InvalidInputError`
    (or :class:`KeyError`, :class:`IndexError`, :class:`TypeError`) when it is malformed.
    ``keep``: only these fields of its objects (the rest is not read)."""
    table = compact["v"]
    if not isinstance(table, list):
        raise InvalidInputError(msg("the table v is not a list"))
    return _decode(compact["d"], table, keep)


def decode_key(compact: Mapping[str, Any], key: str) -> Any:
    """One key of the object a compact value holds, decoded alone (the rest is not read)."""
    table = compact["v"]
    data = compact["d"]
    if not isinstance(table, list) or not isinstance(data, Mapping) or "o" not in data:
        raise InvalidInputError(msg("not a compact value: {value}", value=str(data)[:80]))
    return _decode(data["o"][key], table)


def holds(compact: Mapping[str, Any], value: Any) -> bool:
    """Whether :func:`decode` of ``compact`` gives exactly ``value`` (the same canonical
    JSON), told without decoding it: the layout is walked beside ``value``, and each
    column of scalars is compared with ``value``'s column as a whole, value and type.

    ``False`` also when it cannot be told this way (a table holding other than finite
    JSON scalars, a malformed layout, a value that is not plain JSON); a caller then
    decodes and compares, which names what differs."""
    try:
        table = compact["v"]
        if type(table) is not list or not all(map(_finite_scalar, table)):
            return False
        return _holds(compact["d"], value, _Refs(table))
    except (ValueError, LookupError, TypeError, AttributeError, RecursionError):
        return False  # InvalidInputError (what _decode refuses with) is a ValueError


def _finite_scalar(value: object) -> bool:
    return type(value) in _SCALARS and (type(value) is not float or math.isfinite(value))


class _Refs:
    """A table and the positions (either sign) of its numbers and of its float zeros:
    the values that another type (``1``, ``1.0``, ``true``) or sign (``0.0``, ``-0.0``)
    equals in Python but not in JSON. Text and null equal only text and null."""

    def __init__(self, table: list[_Scalar]) -> None:
        self.table = table
        n = len(table)
        numbers = [i for i, x in enumerate(table) if type(x) in (int, float, bool)]
        zeros = [i for i in numbers if type(table[i]) is float and table[i] == 0.0]
        self.numbers = frozenset(numbers) | {i - n for i in numbers}
        self.zeros = frozenset(zeros) | {i - n for i in zeros}


_LISTS = (list, tuple)


def _holds(data: Any, value: Any, refs: _Refs) -> bool:
    """:func:`holds` for one node of the layout; the cases are :func:`_decode`'s, in its
    order, so that a node it would refuse is never found to hold a value."""
    if isinstance(data, int) and not isinstance(data, bool):
        return _same_scalars([data], [value], refs)
    if isinstance(data, list):
        return type(value) in _LISTS and _same_scalars(data, value, refs)
    if not isinstance(data, Mapping) or len(data) not in (1, 2):
        return False
    if "o" in data:
        fields = data["o"]
        return (
            type(value) is dict
            and type(fields) is dict
            and value.keys() == fields.keys()
            and all(_holds(v, value[k], refs) for k, v in fields.items())
        )
    if "l" in data:
        items = data["l"]
        return (
            type(items) is list
            and type(value) in _LISTS
            and len(items) == len(value)
            and all(_holds(d, v, refs) for d, v in zip(items, value, strict=True))
        )
    if "k" in data:
        lengths = data["k"]
        return (
            type(lengths) is list
            and set(map(type, lengths)) <= {int}
            and type(value) in _LISTS
            and set(map(type, value)) <= set(_LISTS)
            and list(map(len, value)) == lengths
            and _holds(data["f"], list(chain.from_iterable(value)), refs)
        )
    if "u" in data:
        return _holds_repeats(data, value, refs)
    rows, columns = data["n"], data["c"]
    if type(rows) is not int or type(columns) is not dict:
        return False
    if type(value) not in _LISTS or len(value) != rows:
        return False
    # every row a dict of as many keys as the columns, each found (else KeyError)
    if not set(map(type, value)) <= {dict} or not set(map(len, value)) <= {len(columns)}:
        return False
    return all(_holds(c, list(map(itemgetter(k), value)), refs) for k, c in columns.items())


def _same_scalars(data: list[int], value: Sequence[Any], refs: _Refs) -> bool:
    """Whether ``value`` holds the table's scalars at ``data`` with their JSON types
    (``1``, ``1.0`` and ``true`` differ in JSON; a text enum is text) and signs (``0.0``
    and ``-0.0``)."""
    scalars = list(map(refs.table.__getitem__, data))
    if type(value) is not list:
        value = list(value)
    if scalars != value:
        return False
    if refs.numbers.isdisjoint(data):
        return True
    types = list(map(type, value))
    wanted = list(map(type, scalars))
    if types != wanted:
        kinds = {t: _json_kind(t) for t in set(types)}
        if [kinds[t] for t in types] != wanted:
            return False
    return refs.zeros.isdisjoint(data) or all(
        math.copysign(1.0, x) == math.copysign(1.0, y)
        for x, y in zip(scalars, value, strict=True)
        if type(x) is float and x == 0.0
    )


def _json_kind(kind: type) -> type:
    """The scalar type whose JSON form values of ``kind`` have (``object``: none): the
    JSON encoder writes a subclass of text or of a number (an enum) as its base."""
    if kind in _SCALARS:
        return kind
    for base in (str, int, float):
        if issubclass(kind, base):
            return base
    return object


def _holds_repeats(data: Mapping[str, Any], value: Any, refs: _Refs) -> bool:
    """A ``{"u": distinct, "i": indices}`` node: the distinct items are decoded (so the
    node is one :func:`_decode` reads), then ``value`` is compared with them laid out by
    the indices, as the layout of the distinct items with each column picked by them."""
    indices = data["i"]
    if type(indices) is not list or type(value) not in _LISTS or len(indices) != len(value):
        return False
    distinct = _decode(data["u"], refs.table)
    if type(distinct) is not list:
        return False
    list(map(distinct.__getitem__, indices))  # every index is one decode reads
    picked = _picked(data["u"], indices)
    return picked is not None and _holds(picked, value, refs)


def _picked(data: Any, at: list[int]) -> Any:
    """A layout of ``[decode(data)[i] for i in at]``, for a node :func:`_decode` reads as
    a list (``None`` for another)."""
    if isinstance(data, list):
        return list(map(data.__getitem__, at))
    if not isinstance(data, Mapping) or "o" in data:
        return None
    if "l" in data:
        return {"l": list(map(data["l"].__getitem__, at))}
    if "k" in data:
        lengths = data["k"]
        ends = list(accumulate(lengths))
        starts = list(map(sub, ends, lengths))
        spots = chain.from_iterable(
            map(range, map(starts.__getitem__, at), map(ends.__getitem__, at))
        )
        flat = _picked(data["f"], list(spots))
        return None if flat is None else {"k": list(map(lengths.__getitem__, at)), "f": flat}
    if "u" in data:
        return {"u": data["u"], "i": list(map(data["i"].__getitem__, at))}
    columns = {k: _picked(c, at) for k, c in data["c"].items()}
    if any(c is None for c in columns.values()):
        return None
    return {"n": len(at), "c": columns}


def plan_json(body: Mapping[str, Any], keep: Fields | None = None) -> Mapping[str, Any]:
    """The plan an ``annual_plan`` body holds, as plain JSON values, in either layout
    (``{}`` when it holds none): for readers that need a few of its fields quickly.
    ``keep``: the fields wanted, as for :func:`decode` (the compact layout reads only
    those; the earlier one holds the whole plan)."""
    if "year" in body:
        try:
            year = decode(body["year"], None if keep is None else {"plan": keep})
        except (ValueError, KeyError, IndexError, TypeError):
            return {}
        plan = year.get("plan") if isinstance(year, dict) else None
    else:
        plan = body.get("result")
    return plan if isinstance(plan, Mapping) else {}


@attrs.frozen(kw_only=True)
class YearInputs:
    """What the rules decided for every unit and a replay needs beside the plan.

    Parallel columns over ``unit_ids`` (the registry's units, ids ascending):
    ``weights`` (the weight the year's draw used: registry weight times the rules'
    factors), ``windows`` (recent-inspection window, days), ``team_sizes``,
    ``weight_reasons`` (why the rules changed the weight; empty when they did not).
    """

    unit_ids: tuple[str, ...]
    weights: tuple[float, ...]
    windows: tuple[int, ...]
    team_sizes: tuple[int, ...]
    weight_reasons: tuple[tuple[Reason, ...], ...]

    def weight_of(self) -> dict[str, float]:
        return dict(zip(self.unit_ids, self.weights, strict=True))

    def window_of(self) -> dict[str, int]:
        return dict(zip(self.unit_ids, self.windows, strict=True))


def inputs_of(decisions: UnitDecisions) -> YearInputs:
    """The inputs of a year from the rules' decisions, ids ascending."""
    ids = list(decisions.unit_ids)
    order = sorted(range(len(ids)), key=ids.__getitem__)
    at = np.array(order, dtype=np.intp)

    def column(values: npt.NDArray[Any], kind: type) -> tuple[Any, ...]:
        # one numpy pass to Python numbers (float64 -> float, int64 -> int)
        return tuple(np.asarray(values, dtype=kind)[at].tolist())

    return YearInputs(
        unit_ids=tuple(ids[i] for i in order),
        weights=column(decisions.weights, np.float64),
        windows=column(decisions.recent_inspection_days, np.int64),
        team_sizes=column(decisions.team_size, np.int64),
        weight_reasons=tuple(decisions.weight_reasons.get(ids[i], ()) for i in order),
    )


def year_inputs(
    params: YearParameters,
    county: County,
    rules: Policy,
    *,
    conflicts: Sequence[Any] = (),
    office_teams: Mapping[str, tuple[str, ...]] | None = None,
) -> YearInputs:
    """The rules' decisions for the year (made before the seed, as for the commitment)."""
    prep = prepare(
        county.units,
        county.inspectors,
        params,
        rules=rules,
        experts=county.experts,
        items=county.items,
        conflicts=conflicts,
        office_teams=office_teams or {},
    )
    return inputs_of(prep.decisions)
