"""Risk-weighted unit draws: inclusion probabilities and exact fixed-size samples (BL-5, TJ-5).

Method (``randomized-systematic-pps/1``, see ``docs/design.md`` "Unit draws"):

1. **Inclusion probabilities.** ``pi_i = min(1, c * w_i)`` over the free units
   (not mandatory, not excluded), with ``c`` the standard iterative πps capping
   constant so that the free probabilities add up to ``size - #mandatory``;
   mandatory units get 1, excluded units 0. Every global reduction is exact and
   order-free (counts, maxima, and sums of weights on an integer grid), so a
   partitioned engine reproduces ``pi`` bit for bit.
2. **Order.** Units are ordered by ``(hash_ids(key.child("order"), ids), id)``:
   a pure function of seed, draw id and ids, never of row order.
3. **Systematic selection on an integer lattice.** Certainty units (``pi == 1``)
   are taken out. Each remaining unit gets ``p_i = rint(pi_i * 2**m)`` lattice
   units (adjusted by one unit on the first few units in order so that the
   ``p_i`` add up to exactly ``n_rest * 2**m``); with ``C`` the exact integer
   cumulative sum in order and a start ``U`` uniform on ``[0, 2**m)`` from the
   SHA-256 stream of ``key.child("start")``, unit ``i`` is selected iff a point
   ``U + j * 2**m`` falls in ``[C_{i-1}, C_i)``. Because ``p_i <= 2**m`` no unit
   is hit twice, and exactly ``n_rest`` are hit. Given the order,
   ``P(i selected) = p_i / 2**m`` exactly; that is the probability published in
   :attr:`UnitSample.probabilities` (it differs from ``pi_i`` by at most
   ``2 * 2**-m``, ``m >= 30`` for fewer than ``2**32`` units).

The building blocks below (``check_weights_chunk``, ``weight_stats``,
``weight_scale``, ``grid_sum``, ``capped_stats``, ``solve_capping``,
``probabilities_from_c``, ``canonical_order``, ``lattice_bits``,
``lattice_increments``, ``balance_increments``, ``lattice_start``,
``systematic_select``) are pure functions of array chunks and exact scalars, so
a partitioned engine combines them without copying code.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import (
    Callable,
    Generator,
    Hashable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from typing import Any, cast

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.randomness import DrawKey, canonical_ids, hash_ids

__all__ = [
    "CHUNK",
    "LIMB_BITS",
    "METHOD",
    "ProbabilityTable",
    "UnitSample",
    "adjustable",
    "allocate_neyman",
    "allocate_proportional",
    "balance_increments",
    "canonical_order",
    "capped_stats",
    "capping_rounds",
    "check_weights_chunk",
    "grid_sum",
    "inclusion_probabilities",
    "lattice_bits",
    "lattice_increments",
    "lattice_start",
    "nudge_increments",
    "probabilities_from_c",
    "sample_units",
    "solve_capping",
    "systematic_select",
    "weight_lift",
    "weight_scale",
    "weight_stats",
]

METHOD = "randomized-systematic-pps/1"
#: Elements per chunk: several elementwise passes then run from cache, and
#: a chunk's float sum of integers below ``2**LIMB_BITS`` is exact (< 2**53).
CHUNK = 1 << 16
#: Bits per limb of the exact weight sum (37 + 16 chunk bits = 53).
LIMB_BITS = 37

F64Array = npt.NDArray[np.float64]
I64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
IntpArray = npt.NDArray[np.intp]
UnitId = str | int

_SHOWN = 5
_FLOAT_MAX = float(np.finfo(np.float64).max)
_TINY_MAX = 2.0**-900  # below this largest weight, c could overflow
_PARALLEL = 1 << 18  # units from which order and fingerprint run beside pi
_HALVES = 1 << 22  # units from which the selection pass also runs on two cores


# ---------------------------------------------------------------- validation


def _as_weights(weights: object) -> F64Array:
    try:
        arr = np.asarray(weights)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"weights must be a 1-D array of numbers: {exc}") from exc
    if arr.ndim != 1:
        raise InvalidInputError(f"weights must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in "iuf":
        raise InvalidInputError(f"weights must be numbers, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def check_weights_chunk(w: F64Array, offset: int = 0) -> None:
    """Raise :class:`InvalidInputError` naming rows whose weight is NaN, negative or infinite."""
    ok = w >= 0
    if ok.all() and (w.size == 0 or np.isfinite(w.max())):
        return
    bad = np.flatnonzero(~ok | np.isinf(w))
    problems = tuple(
        f"weights[{offset + int(i)}] = {w[i]!r}: a weight must be finite and >= 0" for i in bad
    )
    shown = "; ".join(problems[:_SHOWN])
    more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
    raise InvalidInputError(f"{len(problems)} bad weight(s): {shown}{more}", problems)


def weight_stats(w: F64Array) -> tuple[float, int]:
    """(max, count of positive weights) of a valid chunk; both combine exactly (max, +)."""
    if w.size == 0:
        return 0.0, 0
    return float(w.max()), int(np.count_nonzero(w))


def weight_lift(global_max: float) -> int:
    """The power of two by which the free weights are lifted before capping (usually 0).

    Only ratios of weights matter, so when the largest free weight is below
    ``2**-900`` they are all multiplied by ``2**lift`` (exact) so that
    ``c = n / S`` stays a finite float. A partitioned engine lifts by the same
    power to give the same bits.
    """
    if 0.0 < global_max < _TINY_MAX:
        return -int(np.frexp(global_max)[1])
    return 0


def weight_scale(global_max: float) -> int:
    """The power of two ``s`` with ``global_max * 2**s < 2**LIMB_BITS`` (the grid of exact sums)."""
    if global_max <= 0.0:
        return 0
    _, exp = np.frexp(global_max)
    return LIMB_BITS - int(exp)


#: Every float64 is a whole multiple of ``2**-1074``: exact sums are ints in that unit.
UNIT_BITS = 1074
_SMALL_BITS = 2 * LIMB_BITS - 53  # weights this many bits under 2**(LIMB_BITS - scale)


def _exact_units(w: F64Array) -> int:
    """Exact ``sum(w) * 2**1074`` for any finite non-negative floats (by binary exponent)."""
    mant, exp = np.frexp(w)
    whole = np.ldexp(mant, 53)  # integers below 2**53
    high = np.floor(whole * 2.0**-26)
    low = whole - high * 2.0**26
    bins = exp + UNIT_BITS
    high_sums = np.bincount(bins, weights=high)
    low_sums = np.bincount(bins, weights=low)
    total = 0
    for b in np.flatnonzero(high_sums + low_sums).tolist():
        value = (int(high_sums[b]) << 26) + int(low_sums[b])
        shift = b - 53  # weight = whole * 2**(exp - 53) = whole * 2**(b - 53 - 1074)
        total += value << shift if shift >= 0 else value >> -shift
    return total


def grid_sum(w: F64Array, scale: int) -> int:
    """The exact sum of a chunk's weights, as a Python int in units of ``2**-1074``.

    Exact for any finite non-negative floats, so partial sums add up to the
    same total whatever the chunking or partitioning. Fast path: with ``scale``
    from :func:`weight_scale` of the global maximum, each weight is cut into
    two integer limbs of :data:`LIMB_BITS` bits below ``2**-scale``, whose
    float sums over a 65,536-element chunk are exact; the rare weights more
    than ``2**21`` under the maximum (whose low bits would fall off the
    limbs) are summed exactly by binary exponent instead.
    """
    total = 0
    small_total = 0
    size = min(w.shape[0], CHUNK)
    frac, whole = np.empty(size), np.empty(size)
    big = scale <= -1000 or scale >= 1000
    small = math.ldexp(1.0, LIMB_BITS - _SMALL_BITS - scale)
    for start in range(0, w.shape[0], CHUNK):
        chunk = w[start : start + CHUNK]
        k = chunk.shape[0]
        tiny = (chunk < small) & (chunk > 0.0)
        if tiny.any():
            small_total += _exact_units(chunk[tiny])
            chunk = np.where(tiny, 0.0, chunk)
        f, i = frac[:k], whole[:k]
        if big:
            np.ldexp(chunk, scale, out=i)
        else:
            np.multiply(chunk, 2.0**scale, out=i)
        np.modf(i, out=(f, i))
        f *= 2.0**LIMB_BITS
        np.floor(f, out=f)
        total += (int(i.sum()) << LIMB_BITS) + int(f.sum())
    shift = UNIT_BITS - scale - LIMB_BITS
    return (total << shift if shift >= 0 else total >> -shift) + small_total


def _grid_to_fraction(total: int, scale: int) -> Fraction:
    return Fraction(total, 1 << UNIT_BITS)


def capped_stats(w: F64Array, c: float, scale: int) -> tuple[int, int]:
    """(count, :func:`grid_sum`) of the units capped at ``c`` (``c * w >= 1``) in a chunk."""
    count = 0
    total = 0
    for start in range(0, w.shape[0], CHUNK):
        chunk = w[start : start + CHUNK]
        with np.errstate(over="ignore"):  # c * w -> inf is capped, as it should be
            hit = chunk * c >= 1.0
        if hit.any():
            sel = chunk[hit]
            count += int(sel.shape[0])
            total += grid_sum(sel, scale)
    return count, total


def capping_rounds(
    n_free: int, total_grid: int, positive: int, scale: int
) -> Generator[float, tuple[int, int], float]:
    """The rounds of :func:`solve_capping` as a generator, so many problems can run in lockstep.

    Yields each candidate ``c`` and expects ``capped_stats`` over all free
    units at that ``c`` to be sent back; returns (``StopIteration.value``) the
    final ``c``. A partitioned engine drives one generator per stratum and
    answers every stratum's round with one global reduction.
    """
    if n_free == 0:
        return 0.0
    if n_free == positive:
        return float("inf")
    capped, capped_grid = 0, 0
    while True:
        rest = n_free - capped
        rest_grid = total_grid - capped_grid
        if rest <= 0 or rest_grid <= 0:
            raise InfeasibleError(
                f"capping failed: {capped} units capped for {n_free} places; "
                "the weights are too unequal to represent in float64"
            )
        try:
            c = float(Fraction(rest) / _grid_to_fraction(rest_grid, scale))
        except OverflowError:
            raise InvalidInputError(
                "the positive weights span too wide a range (a ratio above about "
                "2**1000) for inclusion probabilities in float64; rescale them"
            ) from None
        new_capped, new_grid = yield c
        if new_capped == capped:
            return c
        if new_capped == n_free:
            # The uncapped units' probabilities are below float resolution
            # next to the capped ones (weights ~2**53 apart); they keep c * w.
            return c
        capped, capped_grid = new_capped, new_grid


def solve_capping(
    n_free: int,
    total_grid: int,
    positive: int,
    scale: int,
    stats: Callable[[float], tuple[int, int]],
) -> float:
    """The capping constant ``c`` of ``pi = min(1, c * w)`` with ``sum(pi) = n_free``.

    ``stats(c)`` returns ``capped_stats`` over all free units (a partitioned
    engine sums it over partitions). Start at ``c = n / S``; cap every unit with
    ``c * w >= 1``; recompute ``c = (n - k) / S_uncapped`` from exact sums,
    correctly rounded; repeat until the capped set stops growing. ``c`` never
    decreases, so this ends after at most ``n_free`` rounds (usually 2-5).
    ``inf`` means every positive weight is certain.
    """
    rounds = capping_rounds(n_free, total_grid, positive, scale)
    try:
        c = next(rounds)
        while True:
            c = rounds.send(stats(c))
    except StopIteration as stop:
        return cast(float, stop.value)


class _PooledStats:
    """:func:`capped_stats` over all units, answered from a pool of heavy weights when it can.

    ``c`` only grows during capping (usually by under 1 %), so after a full
    pass at ``c1`` every unit capped at any ``c <= 1.25 * c1`` has
    ``c1 * w >= 0.8``; those weights are kept and later rounds scan only
    them. The answers are the same as a full pass.
    """

    _GROWTH = 1.25
    _KEEP = 0.79  # below 1 / _GROWTH, with room for float rounding

    def __init__(self, w: F64Array, scale: int) -> None:
        self._w = w
        self._scale = scale
        self._pool: F64Array | None = None
        self._c1 = 0.0

    def __call__(self, c: float) -> tuple[int, int]:
        if self._pool is None or c > self._GROWTH * self._c1:
            parts = []
            for start in range(0, self._w.shape[0], CHUNK):
                chunk = self._w[start : start + CHUNK]
                with np.errstate(over="ignore"):
                    parts.append(chunk[chunk * c >= self._KEEP])
            self._pool = np.concatenate(parts) if parts else np.empty(0)
            self._c1 = c
        return capped_stats(self._pool, c, self._scale)


def probabilities_from_c(w: F64Array, c: float, out: F64Array | None = None) -> F64Array:
    """Elementwise ``min(1, c * w)`` (``inf`` -> 1 where ``w > 0``), chunked into ``out``."""
    if out is None:
        out = np.empty(w.shape[0], dtype=np.float64)
    for start in range(0, w.shape[0], CHUNK):
        chunk = w[start : start + CHUNK]
        dst = out[start : start + CHUNK]
        if c == float("inf"):
            np.greater(chunk, 0.0, out=dst, casting="unsafe")
        else:
            with np.errstate(over="ignore"):
                np.multiply(chunk, c, out=dst)
            np.minimum(dst, 1.0, out=dst)
    return out


def _mask(
    value: object, n: int, what: str, ids: npt.NDArray[np.generic] | None = None
) -> BoolArray | None:
    """A boolean mask from a mask, an index array (``inclusion_probabilities``) or ids."""
    if value is None:
        return None
    arr = value if isinstance(value, np.ndarray) else np.asarray(list(cast(Iterable[Any], value)))
    if arr.dtype == np.bool_:
        if arr.shape != (n,):
            raise InvalidInputError(f"{what} mask has length {arr.shape[0]}, expected {n}")
        return arr.astype(np.bool_, copy=False)
    if arr.size == 0:
        return np.zeros(n, dtype=np.bool_)
    if ids is None:
        if arr.dtype.kind not in "iu":
            raise InvalidInputError(f"{what} must be a boolean mask or an array of row indices")
        if (arr < 0).any() or (arr >= n).any():
            raise InvalidInputError(f"{what} has a row index outside 0..{n - 1}")
        out = np.zeros(n, dtype=np.bool_)
        out[arr] = True
        return out
    wanted = canonical_ids(arr)
    if wanted.dtype.kind != ids.dtype.kind:
        raise InvalidInputError(f"{what} ids are not of the same kind (str/int) as the unit ids")
    found = np.isin(ids, wanted)
    missing = np.setdiff1d(wanted, ids[found])
    if missing.size:
        shown = ", ".join(map(str, _py_ids(missing[:_SHOWN])))
        raise InvalidInputError(f"{what} names {missing.size} unknown unit id(s): {shown}")
    return found


def _unstratified_size(size: object) -> int:
    """The sample size of a draw without strata (a mapping needs strata labels)."""
    if isinstance(size, Mapping):
        raise InvalidInputError("size is a mapping but no strata labels were given")
    return _check_size(size)


def _size_mapping(size: object) -> Mapping[Any, Any]:
    """The per-stratum sizes of a stratified draw (one number is refused)."""
    if not isinstance(size, Mapping):
        raise InvalidInputError(
            "with strata, size must map each stratum label to its sample size "
            "(see allocate_proportional / allocate_neyman)"
        )
    return size


def _stratum_sizes(size: Mapping[Any, Any], names: Sequence[str]) -> dict[str, int]:
    """Each stratum's sample size by label text; every stratum with units has one, and a
    label without units may only ask for 0."""
    sizes = {str(k): _check_size(v, f"size[{k!r}]") for k, v in size.items()}
    if len(sizes) != len(size):
        raise InvalidInputError("two stratum labels in size have the same text")
    unknown = sorted(set(sizes) - set(names))
    missing = sorted(set(names) - set(sizes))
    if missing:
        raise InvalidInputError(f"no sample size for stratum/strata {missing}")
    if any(sizes[k] for k in unknown):
        raise InfeasibleError(f"stratum/strata {unknown} have a size but no units")
    return sizes


def _check_size(size: object, what: str = "size") -> int:
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise InvalidInputError(f"{what} must be an integer, got {size!r}")
    if size < 0:
        raise InvalidInputError(f"{what} must be >= 0, got {size}")
    return int(size)


def _probabilities(
    w: F64Array, size: int, mandatory: BoolArray | None, excluded: BoolArray | None, where: str
) -> F64Array:
    n = w.shape[0]
    masked = mandatory is not None or excluded is not None
    gmax, positive = 0.0, 0
    for start in range(0, n, CHUNK):
        chunk = w[start : start + CHUNK]
        cmax = float(chunk.max()) if chunk.shape[0] else 0.0
        if not cmax <= _FLOAT_MAX or float(chunk.min()) < 0.0:  # NaN, inf or negative
            check_weights_chunk(chunk, start)
        if not masked:
            gmax, positive = max(gmax, cmax), positive + int(np.count_nonzero(chunk))
    if mandatory is not None and excluded is not None:
        both = np.flatnonzero(mandatory & excluded)
        if both.size:
            rows = ", ".join(str(int(i)) for i in both[:_SHOWN])
            raise InvalidInputError(
                f"{both.size} unit(s) both mandatory and excluded{where} (rows {rows})"
            )
    n_mand = int(np.count_nonzero(mandatory)) if mandatory is not None else 0
    if n_mand > size:
        raise InfeasibleError(f"{n_mand} mandatory units exceed the sample size {size}{where}")
    free_w = w
    if mandatory is not None or excluded is not None:
        free_w = w.copy()
        if mandatory is not None:
            free_w[mandatory] = 0.0
        if excluded is not None:
            free_w[excluded] = 0.0
        for start in range(0, n, CHUNK):
            cmax, k = weight_stats(free_w[start : start + CHUNK])
            gmax, positive = max(gmax, cmax), positive + k
    n_free = size - n_mand
    if n_free > positive:
        raise InfeasibleError(
            f"sample size {size} exceeds the {n_mand + positive} eligible units{where} "
            f"({n_mand} mandatory + {positive} with positive weight, not excluded)"
        )
    lift = weight_lift(gmax)
    if lift:
        free_w = np.ldexp(free_w, lift)
        gmax = math.ldexp(gmax, lift)
    scale = weight_scale(gmax)
    total = grid_sum(free_w, scale) if 0 < n_free < positive else 0
    c = solve_capping(n_free, total, positive, scale, _PooledStats(free_w, scale))
    pi = probabilities_from_c(free_w, c)
    if mandatory is not None:
        pi[mandatory] = 1.0
    return pi


def inclusion_probabilities(
    weights: npt.ArrayLike,
    size: int,
    *,
    mandatory: npt.ArrayLike | None = None,
    excluded: npt.ArrayLike | None = None,
) -> F64Array:
    """Inclusion probabilities proportional to risk weight, capped at 1 (πps), summing to ``size``.

    ``mandatory`` / ``excluded``: a boolean mask over the rows, or an array of
    row indices. Mandatory units get 1, excluded units 0, zero weights 0, the
    rest ``min(1, c * w)``. ``sum(pi) == size`` up to float rounding (relative
    error below ``len(weights) * 2**-52``). Raises :class:`InvalidInputError`
    for NaN, negative or infinite weights and overlapping masks, and
    :class:`InfeasibleError` when ``size`` exceeds the eligible units or the
    mandatory units exceed ``size``.
    """
    w = _as_weights(weights)
    n = w.shape[0]
    k = _check_size(size)
    return _probabilities(
        w, k, _mask(mandatory, n, "mandatory"), _mask(excluded, n, "excluded"), ""
    )


# ---------------------------------------------------------------- order and selection


def canonical_order(h: npt.NDArray[np.uint64], ids: npt.NDArray[np.generic]) -> IntpArray:
    """Row indices sorted by ``(h, id)``; raises :class:`InvalidInputError` on duplicate ids.

    One ``np.sort`` of packed ``uint64`` keys (high hash bits above the row
    index) instead of an argsort; groups whose high bits tie (rare) are
    re-ordered by the full hash, then the id, so the result never depends on
    row order. Equal ids have equal hashes, so duplicates always land in a tie.
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
    del keys
    if not any_tie:
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
        raise InvalidInputError(f"{dup.size} duplicate unit id(s): {shown}")
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
            raise InfeasibleError("the inclusion probabilities cannot be put on the lattice")
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


# ---------------------------------------------------------------- the sample


class ProbabilityTable(Mapping[UnitId, float]):
    """Read-only ``id -> probability`` backed by arrays (a dict of 10M floats would cost ~1 GB).

    Iterates in ascending id order; compares equal to any mapping with the
    same items; ``cattrs`` unstructures it as a plain dict. ``arrays()`` gives
    the ids and probabilities as numpy arrays for vectorised use.
    """

    __slots__ = ("_ids", "_order", "_probs", "_sorted_ids", "_text")

    def __init__(self, ids: npt.NDArray[np.generic], probs: F64Array, *, text: bool) -> None:
        self._ids = ids
        self._probs = probs
        self._text = text
        self._order: IntpArray | None = None
        self._sorted_ids: npt.NDArray[np.generic] | None = None

    @classmethod
    def from_mapping(cls, items: Mapping[UnitId, float]) -> ProbabilityTable:
        keys = list(items)
        ids = canonical_ids(keys) if keys else np.empty(0, dtype=np.uint64)
        probs = np.array([float(items[k]) for k in keys], dtype=np.float64)
        return cls(ids, probs, text=ids.dtype.kind == "S")

    def _sorted(self) -> IntpArray:
        if self._order is None:
            self._order = np.argsort(self._ids, kind="stable")
        return self._order

    def _ascending_ids(self) -> npt.NDArray[np.generic]:
        """The ids in ascending order, built once: a lookup is then one binary search."""
        if self._sorted_ids is None:
            self._sorted_ids = self._ids[self._sorted()]
        return self._sorted_ids

    def _locate(self, key: object) -> int:
        if isinstance(key, bool) or not isinstance(key, str | int | np.integer):
            raise KeyError(key)
        if isinstance(key, str) != self._text or (not self._text and int(key) < 0):
            raise KeyError(key)
        try:
            probe = canonical_ids([key])
        except InvalidInputError:
            raise KeyError(key) from None
        ordered = self._ascending_ids()
        i = int(np.searchsorted(ordered, probe[0]))
        if i < ordered.shape[0] and ordered[i] == probe[0]:
            return int(self._sorted()[i])
        raise KeyError(key)

    def __getitem__(self, key: object) -> float:
        return float(self._probs[self._locate(key)])

    def __contains__(self, key: object) -> bool:
        try:
            self._locate(key)
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[UnitId]:
        return iter(_py_ids(self._ascending_ids()))

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def items(self) -> Any:
        probs = self._probs[self._sorted()].tolist()
        return list(zip(_py_ids(self._ascending_ids()), probs, strict=True))

    def arrays(self) -> tuple[npt.NDArray[np.generic], F64Array]:
        """(ids, probabilities) in row order as given to the draw; ids canonical (uint64/bytes)."""
        return self._ids, self._probs

    def __repr__(self) -> str:
        return f"ProbabilityTable({len(self)} units)"

    __hash__ = None  # type: ignore[assignment]


def _py_ids(arr: npt.NDArray[np.generic]) -> list[UnitId]:
    if arr.dtype.kind == "S":
        width = arr.dtype.itemsize
        raw = np.ascontiguousarray(arr).view(np.uint8).reshape(arr.shape[0], width)
        if width and arr.shape[0] and int(raw.max()) < 128:
            # ASCII ids: each byte is its own code point.
            text = raw.astype(np.uint32).view(f"U{width}").reshape(arr.shape[0])
        else:
            text = np.char.decode(cast(npt.NDArray[np.bytes_], arr), "utf-8")
        return cast(list[UnitId], text.tolist())
    return cast(list[UnitId], arr.tolist())


@attrs.frozen(eq=True)
class UnitSample:
    """The result of :func:`sample_units`: what was drawn, with which probabilities, from what.

    ``selected``: the drawn ids, ascending. ``probabilities``: every unit's
    exact inclusion probability under this draw's lattice (mandatory 1,
    excluded 0). ``seed_hex``/``draw_id`` replay the draw; ``fingerprint`` is
    the SHA-256 of the inputs (ids, weights, size, masks, strata) as given.
    """

    selected: tuple[UnitId, ...]
    probabilities: Mapping[UnitId, float]
    seed_hex: str
    draw_id: str
    method: str
    size: int
    stratum_sizes: dict[str, int]
    fingerprint: str

    @property
    def seed(self) -> bytes:
        """The seed bytes (a ``str`` seed is its UTF-8 encoding)."""
        return bytes.fromhex(self.seed_hex)


def _ids_mask(value: object, ids: npt.NDArray[np.generic], what: str) -> BoolArray | None:
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.dtype == np.bool_:
        return _mask(value, ids.shape[0], what, ids)
    items = value.tolist() if isinstance(value, np.ndarray) else list(cast(Iterable[Any], value))
    if items and all(isinstance(x, bool | np.bool_) for x in items):
        return _mask(np.asarray(items, dtype=np.bool_), ids.shape[0], what, ids)
    return _mask(np.asarray(items), ids.shape[0], what, ids)


def _first_eligible(pi: F64Array, perm: IntpArray, m: int, diff: int) -> IntpArray | None:
    """Round one of :func:`balance_increments` without materialising ``p`` in draw order."""
    need = abs(diff)
    found: list[IntpArray] = []
    for start in range(0, perm.shape[0], CHUNK):
        p = lattice_increments(pi[perm[start : start + CHUNK]], m)
        idx = np.flatnonzero(adjustable(p, diff > 0, m))[:need]
        if idx.size:
            found.append(idx + start)
            need -= idx.size
            if need == 0:
                return np.concatenate(found)
    return None


def _ascending(ids: npt.NDArray[np.generic]) -> bool:
    """Whether the ids are strictly ascending in row order (a sorted registry)."""
    for s0 in range(0, ids.shape[0] - 1, CHUNK):
        part: npt.NDArray[Any] = ids[s0 : s0 + CHUNK + 1]
        if not (part[1:] > part[:-1]).all():
            return False
    return True


def _sorted_ids(
    ids: npt.NDArray[np.generic], rows: IntpArray, ascending: bool | None = None
) -> npt.NDArray[np.generic]:
    """``sort(ids[rows])``; for ascending ids a row mask gives it without a gather or sort."""
    if ascending is None:
        ascending = rows.shape[0] * 8 > ids.shape[0] and _ascending(ids)
    if ascending:
        mark = np.zeros(ids.shape[0], dtype=np.bool_)
        mark[rows] = True
        return ids[mark]
    return np.sort(ids[rows])


def _order(key: DrawKey, ids: npt.NDArray[np.generic]) -> IntpArray:
    return canonical_order(hash_ids(key.child("order"), ids), ids)


def _draw(
    key: DrawKey,
    ids: npt.NDArray[np.generic],
    pi: F64Array,
    size: int,
    realized: F64Array,
    order: IntpArray | Callable[[], IntpArray] | None = None,
) -> IntpArray:
    """Systematic πps over one population; writes lattice probabilities into ``realized``.

    Fuses :func:`lattice_increments`, :func:`balance_increments` and
    :func:`systematic_select` chunk by chunk over ``pi`` in draw order, with
    the same result as applying them one after the other. ``order`` is the
    draw order, or a callable giving it (asked for only once the row-order
    passes are done, so a thread computing it overlaps them).
    """
    n = pi.shape[0]
    certain_parts: list[IntpArray] = []
    n_certain = 0
    for s0 in range(0, n, CHUNK):
        hit1 = np.flatnonzero(pi[s0 : s0 + CHUNK] == 1.0)
        if hit1.size:
            certain_parts.append(hit1 + s0)
            n_certain += hit1.size
    n_rest = size - n_certain
    m = lattice_bits(n_rest)
    total = 0
    buf = np.empty(min(n, CHUNK), dtype=np.int64)
    for s0 in range(0, n, CHUNK):
        p = lattice_increments(pi[s0 : s0 + CHUNK], m, buf[: min(CHUNK, n - s0)], realized[s0:])
        total += int(p.sum())
    diff = n_rest * (1 << m) - total
    if order is None:
        perm = _order(key, ids)
    elif callable(order):
        perm = order()
    else:
        perm = order
    step = 1 if diff > 0 else -1
    adjust = np.empty(0, dtype=np.intp) if diff == 0 else _first_eligible(pi, perm, m, diff)
    if adjust is None:  # more to move than units able to take it: several rounds
        p_all = lattice_increments(pi[perm], m)
        adjust = balance_increments(p_all, n_rest, m)
        delta = p_all[adjust] - lattice_increments(pi[perm[adjust]], m)
    else:
        delta = np.full(adjust.shape[0], step, dtype=np.int64)
    start = lattice_start(key, m)
    chosen: list[IntpArray] = certain_parts
    if n >= _HALVES:
        chosen.extend(_select_in_halves(pi, perm, m, adjust, delta, start))
    else:
        carry = 0
        lo = 0
        ordered = np.empty(min(n, CHUNK))
        for s0 in range(0, n, CHUNK):
            rows = perm[s0 : s0 + CHUNK]
            np.take(pi, rows, out=ordered[: rows.shape[0]])
            p = lattice_increments(ordered[: rows.shape[0]], m, buf[: rows.shape[0]])
            hi = int(np.searchsorted(adjust, s0 + p.shape[0]))
            if hi > lo:
                p[adjust[lo:hi] - s0] += delta[lo:hi]
                lo = hi
            hit, carry = systematic_select(p, start, m, carry)
            if hit.any():
                chosen.append(rows[hit])
    if adjust.size:
        p_adj = lattice_increments(pi[perm[adjust]], m) + delta
        realized[perm[adjust]] = p_adj * 2.0**-m
    return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.intp)


def _select_in_halves(
    pi: F64Array, perm: IntpArray, m: int, adjust: IntpArray, delta: I64Array, start: int
) -> list[IntpArray]:
    """The selection pass of :func:`_draw` on two cores, with the same hits.

    Each half gathers ``pi`` in draw order and puts it on the lattice; after
    the balancing adjustments, the second half starts from the exact integer
    total of the first (the carry), so the hits equal one sequential pass.
    """
    n = perm.shape[0]
    mid = (n // 2 // CHUNK) * CHUNK or n
    p_ordered = np.empty(n, dtype=np.int64)

    def increments(s0: int, s1: int) -> None:
        ordered = np.empty(min(s1 - s0, CHUNK))
        for c0 in range(s0, s1, CHUNK):
            rows = perm[c0 : min(c0 + CHUNK, s1)]
            np.take(pi, rows, out=ordered[: rows.shape[0]])
            lattice_increments(ordered[: rows.shape[0]], m, p_ordered[c0 : c0 + rows.shape[0]])

    def select(s0: int, s1: int, carry: int) -> IntpArray:
        hit, _ = systematic_select(p_ordered[s0:s1], start, m, carry)
        return perm[s0:s1][hit]

    with ThreadPoolExecutor(max_workers=1) as pool:
        second = pool.submit(increments, mid, n)
        increments(0, mid)
        second.result()
        if adjust.size:
            p_ordered[adjust] += delta
        carry = int(p_ordered[:mid].sum())
        later = pool.submit(select, mid, n, carry)
        return [select(0, mid, 0), later.result()]


def _buffer(arr: npt.NDArray[Any]) -> memoryview:
    return memoryview(cast(Any, np.ascontiguousarray(arr))).cast("B")


def _fingerprint(
    ids: npt.NDArray[np.generic],
    w: F64Array,
    size: int | Mapping[Any, int],
    masks: Sequence[BoolArray | None],
    strata: tuple[list[str], IntpArray] | None,
) -> str:
    digest = hashlib.sha256(METHOD.encode() + b"\x00")
    digest.update(f"n={ids.shape[0]};ids={ids.dtype.str};".encode())
    if isinstance(size, Mapping):
        digest.update(repr(sorted((str(k), int(v)) for k, v in size.items())).encode())
    else:
        digest.update(f"size={size}".encode())
    digest.update(_buffer(ids))
    digest.update(_buffer(w.astype("<f8", copy=False)))
    for mask in masks:
        digest.update(b"-" if mask is None else np.packbits(mask).tobytes())
    if strata is not None:
        digest.update(repr(strata[0]).encode())
        digest.update(strata[1].astype("<i8").tobytes())
    return digest.hexdigest()


def sample_units(
    ids: Iterable[UnitId] | npt.NDArray[np.generic],
    weights: npt.ArrayLike,
    size: int | Mapping[Hashable, int],
    *,
    seed: str | bytes,
    mandatory: Iterable[Any] | npt.NDArray[np.generic] | None = None,
    excluded: Iterable[Any] | npt.NDArray[np.generic] | None = None,
    strata: Iterable[Hashable] | npt.NDArray[np.generic] | None = None,
    draw_id: str = "units",
) -> UnitSample:
    """Draw exactly ``size`` units with P(unit drawn) = its published probability, exactly.

    ``ids``: unique str (or non-negative int) ids. ``mandatory``/``excluded``:
    a boolean mask over the rows or an iterable of ids. ``strata``: one label
    per unit; then ``size`` maps every label to its stratum's sample size and
    each stratum is drawn independently with ``key.child(f"stratum/{label}")``
    (labels are compared as ``str``). The selection depends only on (ids,
    weights, size, masks, strata, seed, draw_id), never on row order.
    """
    canon = canonical_ids(ids)
    n = canon.shape[0]
    w = _as_weights(weights)
    if w.shape[0] != n:
        raise InvalidInputError(f"{n} ids but {w.shape[0]} weights: one weight per unit")
    if not isinstance(draw_id, str) or not draw_id:
        raise InvalidInputError("draw_id must be a non-empty str")
    key = DrawKey.derive(seed, draw_id)
    seed_bytes = seed.encode("utf-8") if isinstance(seed, str) else bytes(seed)
    mand = _ids_mask(mandatory, canon, "mandatory")
    excl = _ids_mask(excluded, canon, "excluded")
    realized = np.zeros(n, dtype=np.float64)
    strata_info: tuple[list[str], IntpArray] | None = None
    stratum_sizes: dict[str, int] = {}
    if strata is None:
        total = _unstratified_size(size)
        if n >= _PARALLEL:
            # The order (hash + sort) and the fingerprint do not need pi: on a
            # second core they overlap with it (numpy and hashlib release the GIL).
            # Below _HALVES the worker hashes the inputs after the sort, while
            # this core selects; above it, the sort outlasts pi by far, so this
            # core hashes the inputs in that gap and both cores then select.
            on_worker = n < _HALVES
            digest: list[Future[str]] = []

            def fingerprint_job() -> str:
                return _fingerprint(canon, w, total, (mand, excl), None)

            def order_when_ready() -> IntpArray:
                if not on_worker:
                    done: Future[str] = Future()
                    done.set_result(fingerprint_job())
                    digest.append(done)
                return order.result()

            with ThreadPoolExecutor(max_workers=1) as pool:
                order = pool.submit(_order, key, canon)
                ascending = pool.submit(_ascending, canon)
                if on_worker:
                    digest.append(pool.submit(fingerprint_job))
                pi = _probabilities(w, total, mand, excl, "")
                rows = _draw(key, canon, pi, total, realized, order_when_ready)
                sorted_rows = ascending.result()
                fingerprint = digest[0].result()
        else:
            sorted_rows = None
            pi = _probabilities(w, total, mand, excl, "")
            rows = _draw(key, canon, pi, total, realized)
            fingerprint = _fingerprint(canon, w, total, (mand, excl), None)
    else:
        size_map = _size_mapping(size)
        raw = strata.tolist() if isinstance(strata, np.ndarray) else list(strata)
        labels_arr = np.asarray([str(x) for x in raw], dtype=str)
        if labels_arr.shape[0] != n:
            raise InvalidInputError(f"{n} ids but {labels_arr.shape[0]} stratum labels")
        names, inv = np.unique(labels_arr, return_inverse=True)
        name_list = [str(x) for x in names.tolist()]
        inverse: IntpArray = np.asarray(inv, dtype=np.intp).reshape(-1)
        sizes = _stratum_sizes(size_map, name_list)
        canonical_order(hash_ids(key.child("order"), canon), canon)  # rejects duplicate ids
        chosen: list[IntpArray] = []
        for j, name in enumerate(name_list):
            members = np.flatnonzero(inverse == j)
            where = f" in stratum {name!r}"
            pi_s = _probabilities(
                w[members],
                sizes[name],
                None if mand is None else mand[members],
                None if excl is None else excl[members],
                where,
            )
            real_s = np.zeros(members.shape[0], dtype=np.float64)
            got = _draw(key.child(f"stratum/{name}"), canon[members], pi_s, sizes[name], real_s)
            realized[members] = real_s
            chosen.append(members[got])
        rows = np.concatenate(chosen) if chosen else np.empty(0, dtype=np.intp)
        total = sum(sizes.values())
        stratum_sizes = {k: sizes[k] for k in sorted(sizes)}
        strata_info = (name_list, inverse)
        sorted_rows = None
        fingerprint = _fingerprint(canon, w, size, (mand, excl), strata_info)
    picked = _sorted_ids(canon, rows, sorted_rows)
    return UnitSample(
        selected=tuple(_py_ids(picked)),
        probabilities=ProbabilityTable(canon, realized, text=canon.dtype.kind == "S"),
        seed_hex=seed_bytes.hex(),
        draw_id=draw_id,
        method=METHOD,
        size=total,
        stratum_sizes=stratum_sizes,
        fingerprint=fingerprint,
    )


# ---------------------------------------------------------------- allocation


def _largest_remainder(
    quota: Mapping[str, Fraction], caps: Mapping[str, int], total: int
) -> dict[str, int]:
    base = {k: min(caps[k], int(q)) for k, q in quota.items()}
    left = total - sum(base.values())
    order = sorted(quota, key=lambda k: (-(quota[k] - int(quota[k])), k))
    for k in order:
        if left <= 0:
            break
        if base[k] < caps[k]:
            base[k] += 1
            left -= 1
    return base


def _allocate(
    sizes: Mapping[str, int], scores: Mapping[str, Fraction], total: int
) -> dict[str, int]:
    capacity = sum(sizes.values())
    if total > capacity:
        raise InfeasibleError(f"total {total} exceeds the {capacity} units in all strata")
    fixed: dict[str, int] = {}
    free = dict(scores)
    while True:
        rest = total - sum(fixed.values())
        weight = sum(free.values())
        if weight == 0:
            weight_of = {k: Fraction(sizes[k]) for k in free}
            weight = sum(weight_of.values())
        else:
            weight_of = free
        quota = {
            k: (Fraction(rest) * weight_of[k] / weight if weight else Fraction(0)) for k in free
        }
        over = [k for k in free if quota[k] >= sizes[k]]
        if not over:
            alloc = _largest_remainder(quota, {k: sizes[k] for k in free}, rest)
            alloc.update(fixed)
            return {k: alloc[k] for k in sorted(alloc)}
        for k in over:
            fixed[k] = sizes[k]
            del free[k]


def _labels(stratum_sizes: Mapping[Hashable, int]) -> dict[str, int]:
    out = {str(k): _check_size(v, f"stratum size {k!r}") for k, v in stratum_sizes.items()}
    if len(out) != len(stratum_sizes):
        raise InvalidInputError("two stratum labels have the same text")
    return out


def allocate_proportional(stratum_sizes: Mapping[Hashable, int], total: int) -> dict[str, int]:
    """Split ``total`` over strata in proportion to their sizes (largest remainder).

    A stratum never gets more than its size (the excess goes to the others);
    ties in the remainders go to the label that sorts first. Keys are ``str``.
    """
    sizes = _labels(stratum_sizes)
    return _allocate(sizes, {k: Fraction(v) for k, v in sizes.items()}, _check_size(total, "total"))


def allocate_neyman(
    stratum_sizes: Mapping[Hashable, int], stratum_sd: Mapping[Hashable, float], total: int
) -> dict[str, int]:
    """Neyman allocation: ``total`` in proportion to ``N_h * S_h`` (largest remainder, capped).

    Where every remaining stratum has ``S_h = 0`` the rest is split in
    proportion to size. Raises :class:`InvalidInputError` for a missing,
    negative or non-finite standard deviation.
    """
    sizes = _labels(stratum_sizes)
    sds = {str(k): v for k, v in stratum_sd.items()}
    scores: dict[str, Fraction] = {}
    for k, n_h in sizes.items():
        if k not in sds:
            raise InvalidInputError(f"no standard deviation for stratum {k!r}")
        sd = float(sds[k])
        if not np.isfinite(sd) or sd < 0:
            raise InvalidInputError(
                f"stratum {k!r}: standard deviation {sd!r} must be finite, >= 0"
            )
        scores[k] = Fraction(n_h) * Fraction(sd)
    return _allocate(sizes, scores, _check_size(total, "total"))
