"""Randomized systematic πps on an integer lattice: canonical order, lattice values, balance, start.

Units are ordered by a keyed hash of their ids (never by row order); probabilities become
integer lattice values ``p / 2**m`` that sum exactly to the sample size; one uniform start
from the key's SHA-256 stream selects the units. Shared with the Dask engine.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from drawcore.draw.probabilities import (
    _SHOWN,
    CHUNK,
    BoolArray,
    F64Array,
    I64Array,
    IntpArray,
    _py_ids,
)
from drawcore.draw.randomness import DrawKey
from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.i18n import msg

__all__ = [
    "adjustable",
    "balance_increments",
    "canonical_order",
    "lattice_bits",
    "lattice_increments",
    "lattice_start",
    "nudge_increments",
    "systematic_select",
]


#: Units from which :func:`canonical_order` sorts by radix passes instead of one ``np.sort``.
_RADIX_MIN = 1 << 18

_D16 = np.uint64(0xFFFF)


def canonical_order(h: npt.NDArray[np.uint64], ids: npt.NDArray[np.generic]) -> IntpArray:
    """Row indices sorted by ``(h, id)``; raises :class:`InvalidInputError` on duplicate ids.

    Rows are first ordered by the high bits of the hash with ties kept in row
    order (:func:`_packed_order` for small populations, :func:`_radix_order`
    for large ones); groups whose high bits tie (rare) are then re-ordered by
    the full hash, then the id, so the result never depends on row order.
    Equal ids have equal hashes, so duplicates always land in a tie.
    """
    if h.shape[0] < _RADIX_MIN:
        perm, tie = _packed_order(h)
    else:
        perm, tie = _radix_order(h)
    return _break_ties(perm, tie, h, ids)


def _packed_order(h: npt.NDArray[np.uint64]) -> tuple[IntpArray, BoolArray | None]:
    """One ``np.sort`` of packed ``uint64`` keys (high hash bits above the row index).

    Returns the order and, if any, the flags ``tie[i]``: positions ``i`` and
    ``i + 1`` share their high hash bits.
    """
    n = h.shape[0]
    bits = max(1, (n - 1).bit_length())
    shift = np.uint64(bits)
    low = np.uint64((1 << bits) - 1)
    keys = np.empty(n, dtype=np.uint64)
    step = np.arange(min(n, CHUNK), dtype=np.uint64)
    work = np.empty(step.shape[0], dtype=np.uint64)
    for s0 in range(0, n, CHUNK):
        k = keys[s0 : s0 + CHUNK]
        size = k.shape[0]
        np.right_shift(h[s0 : s0 + CHUNK], shift, out=k)
        k <<= shift
        np.add(step[:size], np.uint64(s0), out=work[:size])
        k |= work[:size]
    keys.sort()
    perm = np.empty(n, dtype=np.intp)
    tie = np.zeros(max(0, n - 1), dtype=np.bool_)
    flag = np.empty(step.shape[0], dtype=np.bool_)
    any_tie = False
    for s0 in range(0, n, CHUNK):
        k = keys[s0 : s0 + CHUNK]
        np.bitwise_and(k, low, out=perm[s0 : s0 + CHUNK], casting="unsafe")
        nxt = keys[s0 + 1 : s0 + CHUNK + 1]
        size = nxt.shape[0]
        np.bitwise_xor(k[:size], nxt, out=work[:size])
        same_high = np.less_equal(work[:size], low, out=flag[:size])
        if same_high.any():
            tie[s0 : s0 + size] = same_high
            any_tie = True
    return perm, tie if any_tie else None


def _radix_order(h: npt.NDArray[np.uint64]) -> tuple[IntpArray, BoolArray | None]:
    """Rows ordered by the top ``b + 32`` bits of ``h`` (ties in row order), by counting sorts.

    A stable counting sort by the top ``b`` bits (``b`` from 1 to 8, so that
    each run has some 2**16 rows and fits in cache) splits the rows into runs;
    each run is then put in order by two stable 16-bit counting sorts on the
    next 32 bits (numpy's stable sort of ``uint16`` is a radix sort). Same
    order as :func:`_packed_order`'s before its ties are broken; ``tie`` flags
    neighbours whose top ``b + 32`` bits are equal. The runs are split between two cores.
    """
    n = h.shape[0]
    b = min(8, max(1, n.bit_length() - 16))
    top = np.empty(n, dtype=np.uint8)
    for s0 in range(0, n, CHUNK):
        np.right_shift(
            h[s0 : s0 + CHUNK], np.uint64(64 - b), out=top[s0 : s0 + CHUNK], casting="unsafe"
        )
    first = np.argsort(top, kind="stable")
    bounds = np.zeros((1 << b) + 1, dtype=np.intp)
    np.cumsum(np.bincount(top, minlength=1 << b), out=bounds[1:])
    del top
    by_top = np.take(h, first, mode="clip")
    perm = np.empty(n, dtype=np.intp)
    tie = np.zeros(n - 1, dtype=np.bool_)
    low_shift, high_shift = np.uint64(32 - b), np.uint64(48 - b)
    size = int(np.diff(bounds).max())

    def runs(r0: int, r1: int) -> bool:
        """Order runs ``r0..r1-1`` in place; whether any two neighbours tie."""
        found = False
        digit = np.empty(size, dtype=np.uint64)
        digit16 = np.empty(size, dtype=np.uint16)
        for r in range(r0, r1):
            s0, s1 = int(bounds[r]), int(bounds[r + 1])
            if s1 - s0 < 2:
                perm[s0:s1] = first[s0:s1]
                continue
            run, k = by_top[s0:s1], s1 - s0
            np.right_shift(run, low_shift, out=digit[:k])
            np.bitwise_and(digit[:k], _D16, out=digit16[:k], casting="unsafe")
            q = np.argsort(digit16[:k], kind="stable")
            np.right_shift(run, high_shift, out=digit[:k])
            np.bitwise_and(digit[:k], _D16, out=digit16[:k], casting="unsafe")
            later = np.argsort(np.take(digit16[:k], q, mode="clip"), kind="stable")
            q = np.take(q, later, mode="clip")
            np.take(first[s0:s1], q, out=perm[s0:s1], mode="clip")
            ordered = np.take(run, q, out=digit[:k], mode="clip")
            ordered >>= low_shift
            same = ordered[1:] == ordered[:-1]
            if same.any():
                tie[s0 : s1 - 1] = same
                found = True
        return found

    half = 1 << (b - 1)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the runs are independent
        second = pool.submit(runs, half, 1 << b)
        any_tie = runs(0, half)
        any_tie = second.result() or any_tie
    return perm, tie if any_tie else None


def _break_ties(
    perm: IntpArray, tie: BoolArray | None, h: npt.NDArray[np.uint64], ids: npt.NDArray[np.generic]
) -> IntpArray:
    """Re-order each run of tied positions by ``(h, id)``; raise on duplicate ids."""
    if tie is None:
        return perm
    first = np.flatnonzero(tie)
    pos = np.union1d(first, first + 1)
    starts = np.ones(pos.shape[0], dtype=np.bool_)
    starts[1:] = ~tie[pos[1:] - 1]
    group = np.cumsum(starts)
    rows = perm[pos]
    order = np.lexsort((ids[rows], h[rows], group))
    rows = rows[order]
    same = (group[order][1:] == group[order][:-1]) & (ids[rows][1:] == ids[rows][:-1])
    if same.any():
        dup = np.unique(ids[rows][1:][same])
        shown = ", ".join(map(str, _py_ids(dup[:_SHOWN])))
        raise InvalidInputError(
            msg("{count} duplicate unit id(s): {shown}", count=dup.size, shown=shown)
        )
    perm[pos] = rows
    return perm


def lattice_bits(n_rest: int) -> int:
    """Bits ``m`` of the selection lattice: ``n_rest * 2**m < 2**62`` and ``m <= 52``."""
    return min(52, 62 - max(1, n_rest).bit_length())


def lattice_increments(
    pi: F64Array, m: int, out: I64Array | None = None, realized: F64Array | None = None
) -> I64Array:
    """``rint(pi * 2**m)`` as int64 for ``0 < pi < 1``, else 0 (certain units are drawn apart).

    Elementwise and chunked; each value is at most ``2**m``. ``realized``, if
    given, receives the lattice probability ``p / 2**m`` (1 where ``pi == 1``).
    """
    if out is None:
        out = np.empty(pi.shape[0], dtype=np.int64)
    full = 2.0**m
    size = min(pi.shape[0], CHUNK)
    x_buf = np.empty(size)
    certain_buf = np.empty(size, dtype=np.bool_)
    for start in range(0, pi.shape[0], CHUNK):
        chunk = pi[start : start + CHUNK]
        k = chunk.shape[0]
        x, certain = x_buf[:k], certain_buf[:k]
        np.multiply(chunk, full, out=x)
        np.rint(x, out=x)
        np.greater_equal(chunk, 1.0, out=certain)
        any_certain = bool(certain.any())
        if any_certain:
            np.copyto(x, 0.0, where=certain)
        out[start : start + k] = x
        if realized is not None:
            dst = realized[start : start + k]
            np.multiply(x, 2.0**-m, out=dst)
            if any_certain:
                np.copyto(dst, 1.0, where=certain)
    return out


def adjustable(p_ordered: I64Array, up: bool, m: int) -> BoolArray:
    """Units that can take one more lattice unit (``0 < p < 2**m``) or give one (``p > 1``)."""
    if up:
        return (p_ordered > 0) & (p_ordered < (1 << m))
    return p_ordered > 1


def nudge_increments(p_ordered: I64Array, need: int, up: bool, m: int) -> IntpArray:
    """One pass of :func:`balance_increments`: move one lattice unit on the first ``need``
    :func:`adjustable` units in draw order (fewer if there are fewer); returns their positions.
    """
    found: list[IntpArray] = []
    for start in range(0, p_ordered.shape[0], CHUNK):
        if need <= 0:
            break
        idx = np.flatnonzero(adjustable(p_ordered[start : start + CHUNK], up, m))[:need]
        if idx.size:
            found.append(idx + start)
            need -= idx.size
    if not found:
        return np.empty(0, dtype=np.intp)
    take = np.concatenate(found)
    p_ordered[take] += 1 if up else -1
    return take


def balance_increments(p_ordered: I64Array, n_rest: int, m: int) -> IntpArray:
    """Adjust ``p`` (in draw order, in place) so it sums to exactly ``n_rest * 2**m``.

    The difference (a few thousand lattice units at 10M units: float rounding
    of ``pi`` and of ``rint``) is moved one lattice unit at a time onto the
    first units in draw order that can take it (``0 < p < 2**m`` to add,
    ``p > 1`` to remove), in passes of :func:`nudge_increments`. Returns the
    positions changed (ascending).
    """
    full = 1 << m
    diff = n_rest * full - int(p_ordered.sum())
    changed: list[IntpArray] = []
    while diff != 0:
        take = nudge_increments(p_ordered, abs(diff), diff > 0, m)
        if not take.size:
            raise InfeasibleError(msg("the inclusion probabilities cannot be put on the lattice"))
        diff -= take.size if diff > 0 else -take.size
        changed.append(take)
    if not changed:
        return np.empty(0, dtype=np.intp)
    return np.unique(np.concatenate(changed))


def lattice_start(key: DrawKey, m: int) -> int:
    """The systematic start ``U``, uniform on ``[0, 2**m)``: ``floor(uniform * 2**m)``.

    From ``key.child("start").stream()`` (SHA-256): the top ``m`` bits of the
    first ``uint64``, which is exactly ``stream.below(2**m)``.
    """
    return key.child("start").stream().below(1 << m)


def systematic_select(
    p_ordered: I64Array, start: int, m: int, carry: int = 0
) -> tuple[BoolArray, int]:
    """Units hit by the points ``start + j * 2**m``; returns (hit mask, carry for the next slice).

    With ``C_i = carry + cumsum(p)_i`` unit ``i`` covers ``[C_{i-1}, C_i)``;
    the number of points below ``x`` is ``((x - start - 1) >> m) + 1``, so unit
    ``i`` is hit iff that count grows at ``i``. Each ``p_i <= 2**m``, so a unit
    is hit at most once. ``carry`` is the exact lattice total of all units
    before this slice, so a partitioned engine gets the same hits.
    """
    sel = np.empty(p_ordered.shape[0], dtype=np.bool_)
    for s0 in range(0, p_ordered.shape[0], CHUNK):
        chunk = p_ordered[s0 : s0 + CHUNK]
        offset = carry - start - 1
        c = np.cumsum(chunk)
        c += offset
        before = offset >> m
        carry = int(c[-1]) + start + 1
        c >>= m
        out = sel[s0 : s0 + CHUNK]
        out[0] = c[0] > before
        np.greater(c[1:], c[:-1], out=out[1:])
    return sel, carry
