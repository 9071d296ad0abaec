"""Identifier checks over a whole id column at once (numpy), for a million-row registry.

The same rules as the scalar checks in :mod:`drawcore.registry.ids` (USCC, GB 32100-2015;
ID-card number, GB 11643-1999): a mask of the ids that fail; the scalar check then says
why for each. Lengths are the Python strings' own, so an id with a trailing NUL (which
numpy's ``str_`` would drop) fails here as it does there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from drawcore.registry import ids as _ids

__all__ = ["as_str_array", "id_card_bad", "id_order", "uscc_bad"]

Array = npt.NDArray[Any]


def as_str_array(values: Sequence[str] | Array) -> npt.NDArray[np.str_]:
    """A numpy ``str_`` array; the width is found first (faster than numpy's discovery)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "U":
        return values
    seq = values.tolist() if isinstance(values, np.ndarray) else list(values)
    width = max(map(len, seq), default=1) or 1
    return np.array(seq, dtype=f"U{width}").reshape(len(seq))


def _codepoints(values: Sequence[str] | Array, width: int) -> tuple[Array, Array]:
    """(lengths, (N, width) uint32 code points) of strings, padded or cut to ``width``.

    The lengths are the Python strings' own when ``values`` holds Python strings: numpy's
    ``str_`` drops trailing NULs, so ``"...T\\0"`` would otherwise pass as 18 characters.
    """
    u = as_str_array(values)
    n = len(u)
    if isinstance(values, np.ndarray) and values.dtype.kind == "U":
        lengths = np.char.str_len(u) if n else np.zeros(0, dtype=np.int64)
    else:
        seq = values.tolist() if isinstance(values, np.ndarray) else values
        lengths = np.fromiter(map(len, seq), dtype=np.int64, count=n)
    if u.dtype.itemsize != 4 * width:
        u = u.astype(f"U{width}")
    cp = np.ascontiguousarray(u).view(np.uint32).reshape(n, width)
    return lengths, cp


#: USCC character values by code point (0..127); -1 for characters outside the alphabet.
_USCC_TABLE = np.full(128, -1, dtype=np.int32)
for _i, _ch in enumerate(_ids.USCC_ALPHABET):
    _USCC_TABLE[ord(_ch)] = _i


def uscc_bad(codes: Array) -> Array:
    """Vectorised: which of these ids are not valid USCCs (mask, same length)."""
    lengths, cp = _codepoints(codes, 18)
    values = _USCC_TABLE[np.minimum(cp, 127)]  # DEL (127) is not in the alphabet either
    bad = (lengths != 18) | (values < 0).any(axis=1)
    digits = cp[:, 2:8]
    bad |= ((digits < ord("0")) | (digits > ord("9"))).any(axis=1)
    total = np.maximum(values[:, :17], 0) @ np.array(_ids.USCC_WEIGHTS, dtype=np.int32)
    bad |= values[:, 17] != (31 - total % 31) % 31
    return cast(Array, bad)


def id_card_bad(numbers: Array) -> Array:
    """Vectorised checksum screen for ID-card numbers; rows it passes are rechecked for dates."""
    lengths, cp = _codepoints(numbers, 18)
    bad = lengths != 18
    digits = cp[:, :17].astype(np.int64) - ord("0")
    bad |= ((digits < 0) | (digits > 9)).any(axis=1)
    weights = np.array(_ids.ID_CARD_WEIGHTS, dtype=np.int64)
    total = (np.clip(digits, 0, 9) * weights).sum(axis=1)
    expected = np.frombuffer(b"10X98765432", dtype=np.uint8).astype(np.uint32)
    bad |= cp[:, 17] != expected[total % 11]
    # the birth date is checked row by row only where the checksum passed (persons are few)
    for i in np.flatnonzero(~bad).tolist():
        bad[i] = _ids.id_card_problem(str(numbers[i])) is not None
    return cast(Array, bad)


def id_order(ids: npt.NDArray[np.str_]) -> npt.NDArray[np.intp]:
    """The stable ``argsort`` of an id column (code point order), for a registry's rows.

    Ids already in order (a registry written by drawcore) are recognised in one pass.
    Ids of code points below 256 (USCCs, ID-card numbers, certificate numbers) are sorted
    as bytes: the positions where every id has the same byte (a county's region code)
    are dropped, the rest read eight at a time as big-endian integers. The ids are sorted
    by the first of these keys, and only the runs of ids that share it are sorted by the
    rest (``numpy.lexsort``, with the row as the last key, for stability); if many ids
    share it, all are sorted by all keys. The same order as comparing ``str_`` values,
    found faster.
    """
    n = len(ids)
    if n < 2 or bool((ids[1:] >= ids[:-1]).all()):
        return np.arange(n)
    width = ids.dtype.itemsize // 4
    points = np.ascontiguousarray(ids).view(np.uint32).reshape(n, width)
    if int(points.max()) > 0xFF:
        return np.argsort(ids, kind="stable")
    varying = np.flatnonzero((points != points[0]).any(axis=0))  # some, as not in order
    padded = np.zeros((n, -(-len(varying) // 8) * 8), dtype=np.uint8)
    padded[:, : len(varying)] = points[:, varying]
    keys = padded.view(">u8")  # the first eight bytes are the first key, and so on
    order = np.argsort(keys[:, 0])
    leading = keys[order, 0]
    same = leading[1:] == leading[:-1]
    if not bool(same.any()):
        return order  # no two ids share the first key: no other order sorts them
    tied = np.zeros(n, dtype=np.bool_)
    tied[1:] = same
    tied[:-1] |= same
    if int(np.count_nonzero(tied)) > n // 4:  # sorting the runs would cost a full sort
        return np.lexsort(keys.T[::-1])  # lexsort sorts by its last key first
    rows = order[tied]  # runs of ids that share the first key, the runs in order
    by = [rows, *(keys[rows, j] for j in range(keys.shape[1] - 1, -1, -1))]
    order[tied] = rows[np.lexsort(by)]  # lexsort sorts by its last key first
    return order
