"""The one cattrs converter, and canonical JSON bytes for hashing.

Everything drawcore hashes, commits to or writes to a journal goes through
:data:`converter` and :func:`canonical_json`, so one value always has one byte
form: dates as ISO strings, enums as their values, tuples as lists, keys sorted,
no insignificant whitespace, UTF-8, and no NaN or infinity.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import types
import typing
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
