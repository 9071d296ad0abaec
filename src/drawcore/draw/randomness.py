"""The only source of randomness in drawcore.

A draw's randomness is a pure function of the seed, the draw id and either a
unit id or a position in a canonical order -- never of row order, the clock,
the platform or the numpy version. Nothing here uses ``random`` or numpy's
``Generator``; numpy is used only for exact integer arithmetic on ``uint64``.

Construction (``drawcore/1``), written down so that anyone can re-implement it:

1. **Key.** ``key = SHA-256("drawcore/1\\x00key" || L(seed) || seed || L(draw_id) || draw_id)``
   where ``L(x)`` is the length of ``x`` in bytes as 8-byte big-endian, a ``str``
   seed or draw id is its UTF-8 encoding. A sub-key for one purpose is
   ``SHA-256("drawcore/1\\x00child" || key || L(label) || label)``. The four
   64-bit key words ``k0..k3`` are the key's bytes read as little-endian ``uint64``.

2. **Stream.** Block ``j`` of a key's stream is
   ``SHA-256("drawcore/1\\x00stream" || key || j as 8-byte big-endian)``; each
   block gives four ``uint64`` (little-endian), used in order.
   A uniform is ``(x >> 11) * 2**-53`` (53 random bits, in ``[0, 1)``); an
   integer below ``n`` is drawn by rejection: take the top ``b = bit_length(n-1)``
   bits of the next ``uint64`` and retry while the value is ``>= n`` (no modulo bias).

3. **Per-id hash.** A vectorised keyed hash gives each id a ``uint64``:
   string ids are UTF-8 encoded, zero-padded to a multiple of 8 bytes and read
   as little-endian words ``m_0..m_{t-1}`` (ids never contain NUL, so padding
   is unambiguous; all-zero padding words are skipped, so the hash does not
   depend on the array's width). Then ``h = k0``; for each word
   ``h = fmix64(((h ^ m_j) * C) + k1)``; finally ``hash = fmix64(h ^ k2) ^ k3``.
   Integer ids (a fast path for synthetic data) are one word ``m_0 = id mod 2**64``
   tagged by starting from ``h = k0 ^ T_INT`` instead. ``fmix64`` is the
   MurmurHash3 64-bit finaliser; ``C = 0x9E3779B97F4A7C15``; ``T_INT`` below.
   The hash is not a cryptographic PRF; it only orders units and breaks
   symmetry. Everything a draw's *fairness* rests on (the systematic start,
   which is uniform) comes from the SHA-256 stream.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg

__all__ = [
    "DOMAIN",
    "DrawKey",
    "Stream",
    "canonical_ids",
    "fmix64",
    "hash_ids",
    "id_uniforms",
    "mix_columns",
    "to_uniforms",
]

DOMAIN = b"drawcore/1"
_C = np.uint64(0x9E3779B97F4A7C15)
_T_INT = np.uint64(0x696E742D69642D31)  # b"int-id-1" as a big-endian number
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S11 = np.uint64(11)
_TWO_M53 = 2.0**-53

U64Array = npt.NDArray[np.uint64]
F64Array = npt.NDArray[np.float64]


def _bytes(value: str | bytes, what: str) -> bytes:
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode("utf-8")
    else:
        raise InvalidInputError(
            msg(
                "{what} must be str or bytes, got {type_name}",
                what=what,
                type_name=type(value).__name__,
            )
        )
    if not data:
        raise InvalidInputError(msg("{what} must not be empty", what=what))
    return data


def _lp(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


@attrs.frozen
class DrawKey:
    """A 32-byte key naming one draw (seed + draw id), or one purpose inside it."""

    key: bytes = attrs.field(repr=lambda k: k.hex())

    @key.validator
    def _check(self, _attribute: object, value: bytes) -> None:
        if not isinstance(value, bytes) or len(value) != 32:
            raise InvalidInputError(msg("a DrawKey is exactly 32 bytes"))

    @classmethod
    def derive(cls, seed: str | bytes, draw_id: str | bytes) -> DrawKey:
        """The key of draw ``draw_id`` under ``seed``."""
        s = _bytes(seed, msg("seed"))
        d = _bytes(draw_id, msg("draw id"))
        return cls(hashlib.sha256(DOMAIN + b"\x00key" + _lp(s) + _lp(d)).digest())

    def child(self, label: str) -> DrawKey:
        """An independent sub-key for one purpose (e.g. ``"order"``, ``"team/UNIT"``)."""
        lab = label.encode("utf-8") if type(label) is str else b""
        if not lab:
            lab = _bytes(label, msg("label"))
        return _made(hashlib.sha256(_CHILD + self.key + _lp(lab)).digest())

    def words(self) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
        w = np.frombuffer(self.key, dtype="<u8").astype(np.uint64)
        return (w[0], w[1], w[2], w[3])

    def stream(self) -> Stream:
        return Stream(self)


_CHILD = DOMAIN + b"\x00child"
_WORDS = struct.Struct("<4Q").unpack  # a digest's four little-endian 64-bit words


def _made(key: bytes) -> DrawKey:
    """A :class:`DrawKey` of a digest just computed (32 bytes: nothing to check)."""
    made: DrawKey = object.__new__(DrawKey)
    object.__setattr__(made, "key", key)
    return made


class Stream:
    """SHA-256 in counter mode: an endless, versioned stream of ``uint64``."""

    def __init__(self, key: DrawKey) -> None:
        self._key = key.key
        self._block = 0
        self._buffer: list[int] = []

    def next_u64(self) -> int:
        if not self._buffer:
            digest = hashlib.sha256(
                DOMAIN + b"\x00stream" + self._key + self._block.to_bytes(8, "big")
            ).digest()
            self._block += 1
            self._buffer = list(_WORDS(digest)[::-1])  # popped from the end: word 0 first
        return self._buffer.pop()

    def uniform(self) -> float:
        """A uniform float in ``[0, 1)`` with 53 random bits."""
        return (self.next_u64() >> 11) * _TWO_M53

    def below(self, n: int) -> int:
        """A uniform integer in ``[0, n)``, by rejection (no modulo bias)."""
        if n <= 0:
            raise InvalidInputError(msg("below(n) needs n >= 1, got {n}", n=n))
        if n == 1:
            return 0
        bits = (n - 1).bit_length()
        while True:
            value = self.next_u64() >> (64 - bits)
            if value < n:
                return value

    def shuffle(self, items: Sequence[object]) -> list[object]:
        """A uniformly random permutation (Fisher-Yates from the end, ``below`` draws)."""
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.below(i + 1)
            out[i], out[j] = out[j], out[i]
        return out


def fmix64(x: U64Array) -> U64Array:
    """MurmurHash3's 64-bit finaliser, in place on a fresh array; a bijection on ``uint64``."""
    x = x.copy()
    x ^= x >> _S33
    x *= _M1
    x ^= x >> _S33
    x *= _M2
    x ^= x >> _S33
    return x


def canonical_ids(ids: Iterable[object] | npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    """Ids as a numpy array: ``int64``/``uint64`` stays integer, anything else UTF-8 bytes (``S``).

    Raises :class:`InvalidInputError` for empty strings, NUL characters, or a mix of types.
    """
    arr = ids if isinstance(ids, np.ndarray) else np.asarray(list(ids))
    if arr.ndim != 1:
        raise InvalidInputError(msg("ids must be one-dimensional"))
    if arr.dtype.kind in "iu":
        if arr.dtype == np.uint64:
            return arr
        if arr.dtype == np.int64:
            return arr.view(np.uint64)  # same bits as astype (id mod 2**64), no copy
        return arr.astype(np.uint64)
    if arr.dtype.kind == "U":
        width = arr.dtype.itemsize // 4
        points = np.ascontiguousarray(arr).view(np.uint32).reshape(arr.shape[0], width)
        if width and arr.shape[0] and int(points.max()) < 128:
            # ASCII ids (the common case): each code point is its own UTF-8 byte.
            arr = points.astype(np.uint8).view(f"S{width}").reshape(arr.shape[0])
        else:
            arr = np.char.encode(cast(npt.NDArray[np.str_], arr), "utf-8")
    elif arr.dtype.kind == "O":
        try:
            arr = np.array([s.encode("utf-8") for s in arr.tolist()], dtype=np.bytes_)
        except AttributeError as exc:
            raise InvalidInputError(msg("ids must all be str (or all integers)")) from exc
    if arr.dtype.kind != "S":
        raise InvalidInputError(
            msg("ids must be str or integers, got dtype {dtype}", dtype=arr.dtype)
        )
    _check_bytes_ids(cast(npt.NDArray[np.bytes_], arr))
    return arr


def _check_bytes_ids(arr: npt.NDArray[np.bytes_]) -> None:
    """Refuse an empty id or one with a NUL inside (trailing NULs are the array's padding).

    Chunk by chunk on the bytes: a chunk whose every byte is non-zero (ids
    that fill the width, the usual fixed-length codes) passes on one ``min``.
    """
    n, width = arr.shape[0], arr.dtype.itemsize
    if not n:
        return
    if not width:
        raise InvalidInputError(msg("an id is empty"))
    raw = np.ascontiguousarray(arr).view(np.uint8).reshape(n, width)
    rows = max(1, _CHECK_BYTES // width)
    for s0 in range(0, n, rows):
        part = raw[s0 : s0 + rows]
        if int(part.min()) > 0:
            continue
        nonzero = part != 0
        if not nonzero.any(axis=1).all():
            raise InvalidInputError(msg("an id is empty"))
        if (nonzero[:, 1:] > nonzero[:, :-1]).any():
            raise InvalidInputError(msg("an id contains a NUL character"))


_CHECK_BYTES = 1 << 20


def _words(arr: npt.NDArray[np.bytes_]) -> U64Array:
    """(t, N) little-endian words of zero-padded fixed-width byte strings, word-major."""
    width = arr.dtype.itemsize
    padded_width = max(8, -(-width // 8) * 8)
    if padded_width != width:
        arr = arr.astype(f"S{padded_width}")
    rows = np.ascontiguousarray(arr).view("<u8").reshape(arr.shape[0], padded_width // 8)
    return np.ascontiguousarray(rows.T)


_HASH_CHUNK = 1 << 15


def _fmix64_inplace(x: U64Array, tmp: U64Array) -> None:
    np.right_shift(x, _S33, out=tmp)
    x ^= tmp
    x *= _M1
    np.right_shift(x, _S33, out=tmp)
    x ^= tmp
    x *= _M2
    np.right_shift(x, _S33, out=tmp)
    x ^= tmp


def _hash_rows(
    words: tuple[np.uint64, np.uint64, np.uint64, np.uint64],
    arr: npt.NDArray[np.generic],
    out: U64Array,
) -> None:
    """Construction 3 on rows of ``arr`` into ``out``, one cache-sized chunk at a time."""
    k0, k1, k2, k3 = words
    n = arr.shape[0]
    tmp_all = np.empty(min(n, _HASH_CHUNK), dtype=np.uint64)
    for start in range(0, n, _HASH_CHUNK):
        stop = min(n, start + _HASH_CHUNK)
        h = out[start:stop]
        tmp = tmp_all[: stop - start]
        if arr.dtype.kind == "u":
            h[:] = arr[start:stop]
            h ^= k0 ^ _T_INT
            h *= _C
            h += k1
            _fmix64_inplace(h, tmp)
        else:
            h[:] = k0
            for m in _words(cast(npt.NDArray[np.bytes_], arr[start:stop])):
                pad = m == 0
                if pad.any():  # an id shorter than others: its padding words leave h alone
                    step = h ^ m
                    step *= _C
                    step += k1
                    _fmix64_inplace(step, tmp)
                    np.copyto(h, step, where=~pad)
                else:
                    h ^= m
                    h *= _C
                    h += k1
                    _fmix64_inplace(h, tmp)
        h ^= k2
        _fmix64_inplace(h, tmp)
        h ^= k3


#: Ids from which :func:`hash_ids` hashes the second half on another core.
_HASH_PARALLEL = 1 << 18


def hash_ids(key: DrawKey, ids: Iterable[object] | npt.NDArray[np.generic]) -> U64Array:
    """The keyed 64-bit hash of every id (construction 3 in the module docstring).

    Computed in cache-sized chunks with in-place arithmetic, for a large
    population on two cores (numpy releases the GIL); each id's hash depends
    only on the key and that id, so the result is the same as one pass.
    """
    arr = canonical_ids(ids)
    words = key.words()
    n = arr.shape[0]
    out = np.empty(n, dtype=np.uint64)
    if n < _HASH_PARALLEL:
        _hash_rows(words, arr, out)
        return out
    mid = (n // 2 // _HASH_CHUNK) * _HASH_CHUNK
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(_hash_rows, words, arr[mid:], out[mid:])
        _hash_rows(words, arr[:mid], out[:mid])
        later.result()
    return out


def mix_columns(key: DrawKey, *columns: U64Array) -> U64Array:
    """Keyed hash of rows of ``uint64`` columns (e.g. an id hash and a slot number)."""
    if not columns:
        raise InvalidInputError(msg("mix_columns needs at least one column"))
    k0, k1, k2, k3 = key.words()
    h = np.full(columns[0].shape[0], k0, dtype=np.uint64)
    for col in columns:
        h ^= col.astype(np.uint64, copy=False)
        h *= _C
        h += k1
        h = fmix64(h)
    h ^= k2
    h = fmix64(h)
    h ^= k3
    return h


def to_uniforms(x: U64Array) -> F64Array:
    """``uint64`` -> uniform floats in ``[0, 1)``: the top 53 bits times ``2**-53``."""
    return (x >> _S11).astype(np.float64) * _TWO_M53


def id_uniforms(key: DrawKey, ids: Iterable[object] | npt.NDArray[np.generic]) -> F64Array:
    """One uniform per id, a pure function of (key, id)."""
    return to_uniforms(hash_ids(key, ids))
