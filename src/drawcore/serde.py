"""The one cattrs converter, and canonical JSON bytes for hashing.

Everything drawcore hashes, commits to or writes to a journal goes through
:data:`converter` and :func:`canonical_json`, so one value always has one byte
form: dates as ISO strings, enums as their values, tuples as lists, keys sorted,
no insignificant whitespace, UTF-8, and no NaN or infinity.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import math
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from json.encoder import encode_basestring
from operator import attrgetter
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from drawcore.i18n import msg

__all__ = [
    "OMIT_IF_DEFAULT",
    "canonical_json",
    "converter",
    "fingerprint",
    "records_fingerprint",
    "structure",
    "unstructure",
]

#: Field metadata for a field added to a recorded value: left out of its JSON (and so of
#: its hash) while it holds its default, so records written before the field existed
#: keep their bytes and hashes. ``attrs.field(default=(), metadata=OMIT_IF_DEFAULT)``.
OMIT_IF_DEFAULT = {"drawcore_omit_if_default": True}

T = TypeVar("T")


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, unstruct_collection_overrides={tuple: list})
    conv.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    conv.register_structure_hook(dt.date, lambda v, _t: _date(v))
    conv.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
    conv.register_structure_hook(dt.datetime, lambda v, _t: dt.datetime.fromisoformat(v))
    # unit ids are ``str | int`` (sampling.UnitId): cattrs has no hook for that union
    conv.register_structure_hook_func(_is_unit_id, _unit_id)
    conv.register_unstructure_hook_factory(_omits_defaults, lambda cls: _omitting(cls, conv))
    return conv


def _omitting(cls: type, conv: cattrs.Converter) -> Any:
    """The unstructure function of ``cls`` leaving out its marked fields at their default."""
    marked = {
        f.name: override(omit_if_default=True)
        for f in attrs.fields(cls)
        if f.metadata.get("drawcore_omit_if_default")
    }
    make: Any = make_dict_unstructure_fn
    return make(cls, conv, **marked)


def _omits_defaults(cls: object) -> bool:
    """An attrs class with a field marked :data:`OMIT_IF_DEFAULT`."""
    return (
        isinstance(cls, type)
        and attrs.has(cls)
        and any(f.metadata.get("drawcore_omit_if_default") for f in attrs.fields(cls))
    )


def _is_unit_id(tp: object) -> bool:
    origin = typing.get_origin(tp)
    return origin in (typing.Union, types.UnionType) and set(typing.get_args(tp)) == {str, int}


def _unit_id(value: object, _t: object) -> str | int:
    """A unit id as it is: text stays text, an integer stays an integer (never coerced)."""
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(msg("expected a unit id (str or int), got {value!r}", value=value))


def _date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise TypeError(msg("expected an ISO date string, got {value!r}", value=value))
    return dt.date.fromisoformat(value)


#: The converter every module uses (``forbid_extra_keys=True``: unknown keys are errors).
converter: cattrs.Converter = _make_converter()


def unstructure(obj: object) -> Any:
    """``obj`` as plain JSON-ready values (dicts, lists, str, int, float, bool, None)."""
    return converter.unstructure(obj)


def structure(data: object, cls: type[T]) -> T:
    """Build a ``cls`` from plain values; extra keys and wrong types raise cattrs errors."""
    return converter.structure(data, cls)


def canonical_json(obj: object) -> bytes:
    """The canonical UTF-8 JSON bytes of ``obj`` (unstructured first if it is an attrs value)."""
    return plain_json(converter.unstructure(obj))


def plain_json(value: object) -> bytes:
    """The canonical UTF-8 JSON bytes of ``value``, already plain JSON values (dicts, lists,
    tuples, text, numbers, booleans, None): :func:`canonical_json` without unstructuring."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def fingerprint(obj: object, *, domain: str = "drawcore/1") -> str:
    """SHA-256 hex of ``domain``, a NUL byte, and :func:`canonical_json` of ``obj``.

    The domain keeps fingerprints of different kinds of value apart.
    """
    digest = hashlib.sha256(domain.encode("utf-8") + b"\x00")
    digest.update(canonical_json(obj))
    return digest.hexdigest()


# Records column by column ----------------------------------------------------------
#
# A registry's fingerprint hashes the canonical JSON of up to a million records of one
# plain attrs class. :func:`records_fingerprint` writes those bytes a field at a time
# over a chunk of records (one C-level pass per field) instead of unstructuring and
# encoding every record on its own. Each field's values are checked to be of the exact
# types the generic path turns into the same text; anything else (a subclass, a
# non-finite number, a value of another type) sends the whole sequence to the generic
# path, which gives the same bytes, or the same error.

#: Records written per chunk (bounds the memory of the text being hashed).
_CHUNK = 20_000

_Column = Callable[[list[Any]], list[str]]
_NONE = type(None)
_BOOLS = ("false", "true")


class _UnsupportedError(Exception):
    """A value the column writers do not cover: the generic path writes the records."""


def _types(values: list[Any]) -> set[type]:
    return set(map(type, values))


def _text_column(values: list[Any]) -> list[str]:
    # encode_basestring: the string encoder of json.dumps with ensure_ascii=False
    if _types(values) - {str}:
        raise _UnsupportedError
    return list(map(encode_basestring, values))


def _bool_column(values: list[Any]) -> list[str]:
    if _types(values) - {bool}:
        raise _UnsupportedError
    return list(map(_BOOLS.__getitem__, values))


def _number_column(values: list[Any]) -> list[str]:
    kinds = _types(values)
    if kinds - {int, float, _NONE}:
        raise _UnsupportedError
    present = [v for v in values if v is not None] if _NONE in kinds else values
    if float in kinds:
        try:
            finite = all(map(math.isfinite, present))
        except OverflowError:
            raise _UnsupportedError from None
        if not finite:
            raise _UnsupportedError
    if _NONE in kinds:
        return ["null" if v is None else repr(v) for v in values]
    return list(map(repr, values))


def _date_column(values: list[Any]) -> list[str]:
    if _types(values) - {dt.date, _NONE}:
        raise _UnsupportedError
    return ["null" if v is None else f'"{v.isoformat()}"' for v in values]


def _text_tuple_column(values: list[Any]) -> list[str]:
    if _types(values) - {tuple}:
        raise _UnsupportedError
    try:
        return ["[" + ",".join(map(encode_basestring, v)) + "]" for v in values]
    except TypeError:
        raise _UnsupportedError from None


def _enum_column(cls: type[enum.Enum]) -> _Column:
    text = {m.name: plain_json(converter.unstructure(m)).decode("utf-8") for m in cls}
    name = attrgetter("_name_")

    def column(values: list[Any]) -> list[str]:
        if _types(values) - {cls}:
            raise _UnsupportedError
        return list(map(text.__getitem__, map(name, values)))

    return column


def _column_writer(tp: object) -> _Column | None:
    """The writer of a field declared ``tp``, or ``None`` when the type is not covered."""
    if tp is str:
        return _text_column
    if tp is bool:
        return _bool_column
    if tp in (int, float, int | None, float | None):
        return _number_column
    if tp == dt.date | None:
        return _date_column
    if tp == tuple[str, ...]:
        return _text_tuple_column
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_column(tp)
    return None


_Field = tuple[str, Callable[[Any], Any], _Column]
_WRITERS: dict[type, tuple[_Field, ...] | None] = {}


def _writers(cls: type) -> tuple[_Field, ...] | None:
    """Per field of ``cls`` in key order: its key text, getter and writer (``None`` when
    some field is not covered or carries metadata such as :data:`OMIT_IF_DEFAULT`)."""
    if cls not in _WRITERS:
        found: tuple[_Field, ...] | None = None
        if attrs.has(cls):
            try:
                fields = attrs.fields(attrs.resolve_types(cls))
            except (NameError, TypeError):
                fields = None
            writers = [(f.name, _column_writer(f.type)) for f in fields or () if not f.metadata]
            if fields and len(writers) == len(fields):
                found = tuple(
                    (encode_basestring(name) + ":", attrgetter(name), w)
                    for name, w in sorted(writers, key=lambda nw: nw[0])
                    if w is not None
                )
                if len(found) < len(fields):
                    found = None
        _WRITERS[cls] = found
    return _WRITERS[cls]


def _records_text(records: Sequence[object], fields: tuple[_Field, ...]) -> Iterator[str]:
    """The records' canonical JSON objects joined by commas, a chunk of records at a time."""
    stride = 2 * len(fields) + 1
    for start in range(0, len(records), _CHUNK):
        part = records[start : start + _CHUNK]
        count = len(part)
        pieces: list[str] = [""] * (count * stride)
        for k, (key, get, write) in enumerate(fields):
            pieces[2 * k :: stride] = [("{" if k == 0 else ",") + key] * count
            pieces[2 * k + 1 :: stride] = write(list(map(get, part)))
        pieces[stride - 1 :: stride] = ["},"] * count
        if start + count == len(records):
            pieces[-1] = "}"
        yield "".join(pieces)


def records_fingerprint(records: Sequence[object], *, domain: str) -> str:
    """``fingerprint(tuple(records), domain=domain)``, written a field at a time.

    Meant for many records of one attrs class whose fields are text, flags, numbers,
    dates, enums or tuples of text (the registries' records); any other sequence, and
    any value the column writers do not cover, takes :func:`fingerprint` itself (which
    gives the same bytes, or raises what it raises).
    """
    fields = _writers(type(records[0])) if records else None
    if fields is None or len(set(map(type, records))) > 1:
        return fingerprint(tuple(records), domain=domain)
    try:
        # the first record as the generic path writes it (a hook of the class's own, or
        # a renamed key, would show here)
        if "".join(_records_text(records[:1], fields)) != canonical_json(records[0]).decode():
            return fingerprint(tuple(records), domain=domain)
        digest = hashlib.sha256(domain.encode("utf-8") + b"\x00")
        digest.update(b"[")
        for text in _records_text(records, fields):
            digest.update(text.encode("utf-8"))
        digest.update(b"]")
    except (_UnsupportedError, TypeError, KeyError, ValueError, OverflowError, AttributeError):
        return fingerprint(tuple(records), domain=domain)
    return digest.hexdigest()
