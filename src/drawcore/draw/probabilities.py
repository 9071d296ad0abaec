"""Inclusion probabilities: exact weight sums and iterative capping.

The weight sum is an exact integer in units of ``2**-1074`` (limbs of ``LIMB_BITS`` bits,
chunks of ``CHUNK`` elements), so the probabilities do not depend on the order of the
weights. ``inclusion_probabilities`` is the public entry; the building blocks are shared
with the Dask engine (:mod:`drawcore.scale`). The exact construction is ``docs/spec.md``.
"""

from __future__ import annotations

import math
from collections.abc import (
    Callable,
    Generator,
    Iterable,
    Mapping,
    Sequence,
)
from fractions import Fraction
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from drawcore.draw.randomness import canonical_ids
from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.i18n import joined, msg

__all__ = [
    "CHUNK",
    "LIMB_BITS",
    "capped_stats",
    "capping_rounds",
    "check_weights_chunk",
    "grid_sum",
    "inclusion_probabilities",
    "probabilities_from_c",
    "solve_capping",
    "weight_lift",
    "weight_scale",
    "weight_stats",
]


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


def _as_weights(weights: object) -> F64Array:
    try:
        arr = np.asarray(weights)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            msg("weights must be a 1-D array of numbers: {exc}", exc=exc)
        ) from exc
    if arr.ndim != 1:
        raise InvalidInputError(
            msg("weights must be one-dimensional, got shape {shape}", shape=arr.shape)
        )
    if arr.dtype.kind not in "iuf":
        raise InvalidInputError(msg("weights must be numbers, got dtype {dtype}", dtype=arr.dtype))
    return np.ascontiguousarray(arr, dtype=np.float64)


def check_weights_chunk(w: F64Array, offset: int = 0) -> None:
    """Raise :class:`InvalidInputError` naming rows whose weight is NaN, negative or infinite."""
    ok = w >= 0
    if ok.all() and (w.size == 0 or np.isfinite(w.max())):
        return
    bad = np.flatnonzero(~ok | np.isinf(w))
    problems = tuple(
        msg(
            "weights[{row}] = {value}: a weight must be finite and >= 0",
            row=offset + int(i),
            value=repr(float(w[i])),
        )
        for i in bad
    )
    shown = joined(problems[:_SHOWN])
    more = ""
    if len(problems) > _SHOWN:
        more = msg(" (and {count} more)", count=len(problems) - _SHOWN)
    raise InvalidInputError(
        msg(
            "{count} bad weight(s): {shown}{more}",
            count=len(problems),
            shown=shown,
            more=more,
        ),
        problems,
    )


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
                msg(
                    "capping failed: {capped} units capped for {n_free} places; the weights are "
                    "too unequal to represent in float64",
                    capped=capped,
                    n_free=n_free,
                )
            )
        try:
            c = float(Fraction(rest) / _grid_to_fraction(rest_grid, scale))
        except OverflowError:
            raise InvalidInputError(
                msg(
                    "the positive weights span too wide a range (a ratio above about 2**1000) "
                    "for inclusion probabilities in float64; rescale them"
                )
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
            raise InvalidInputError(
                msg(
                    "{what} mask has length {length}, expected {n}",
                    what=what,
                    length=arr.shape[0],
                    n=n,
                )
            )
        return arr.astype(np.bool_, copy=False)
    if arr.size == 0:
        return np.zeros(n, dtype=np.bool_)
    if ids is None:
        if arr.dtype.kind not in "iu":
            raise InvalidInputError(
                msg("{what} must be a boolean mask or an array of row indices", what=what)
            )
        if (arr < 0).any() or (arr >= n).any():
            raise InvalidInputError(
                msg("{what} has a row index outside 0..{last}", what=what, last=n - 1)
            )
        out = np.zeros(n, dtype=np.bool_)
        out[arr] = True
        return out
    wanted = canonical_ids(arr)
    if wanted.dtype.kind != ids.dtype.kind:
        raise InvalidInputError(
            msg("{what} ids are not of the same kind (str/int) as the unit ids", what=what)
        )
    found = np.isin(ids, wanted)
    missing = np.setdiff1d(wanted, ids[found])
    if missing.size:
        shown = ", ".join(map(str, _py_ids(missing[:_SHOWN])))
        raise InvalidInputError(
            msg(
                "{what} names {size} unknown unit id(s): {shown}",
                what=what,
                size=missing.size,
                shown=shown,
            )
        )
    return found


def _unstratified_size(size: object) -> int:
    """The sample size of a draw without strata (a mapping needs strata labels)."""
    if isinstance(size, Mapping):
        raise InvalidInputError(msg("size is a mapping but no strata labels were given"))
    return _check_size(size)


def _size_mapping(size: object) -> Mapping[Any, Any]:
    """The per-stratum sizes of a stratified draw (one number is refused)."""
    if not isinstance(size, Mapping):
        raise InvalidInputError(
            msg(
                "with strata, size must map each stratum label to its sample size "
                "(see allocate_proportional / allocate_neyman)"
            )
        )
    return size


def _stratum_sizes(size: Mapping[Any, Any], names: Sequence[str]) -> dict[str, int]:
    """Each stratum's sample size by label text; every stratum with units has one, and a
    label without units may only ask for 0."""
    sizes = {str(k): _check_size(v, msg("size[{key}]", key=repr(k))) for k, v in size.items()}
    if len(sizes) != len(size):
        raise InvalidInputError(msg("two stratum labels in size have the same text"))
    unknown = sorted(set(sizes) - set(names))
    missing = sorted(set(names) - set(sizes))
    if missing:
        raise InvalidInputError(msg("no sample size for stratum/strata {missing}", missing=missing))
    if any(sizes[k] for k in unknown):
        raise InfeasibleError(
            msg("stratum/strata {strata} have a size but no units", strata=str(unknown))
        )
    return sizes


def _check_size(size: object, what: str | None = None) -> int:
    """``size`` as a count >= 0; ``what``: what the count is, in a message (default: the
    sample size)."""
    what = msg("size") if what is None else what
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise InvalidInputError(
            msg("{what} must be an integer, got {size}", what=what, size=repr(size))
        )
    if size < 0:
        raise InvalidInputError(msg("{what} must be >= 0, got {size}", what=what, size=size))
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
                msg(
                    "{size} unit(s) both mandatory and excluded{where} (rows {rows})",
                    size=both.size,
                    where=where,
                    rows=rows,
                )
            )
    n_mand = int(np.count_nonzero(mandatory)) if mandatory is not None else 0
    if n_mand > size:
        raise InfeasibleError(
            msg(
                "{n_mand} mandatory units exceed the sample size {size}{where}",
                n_mand=n_mand,
                size=size,
                where=where,
            )
        )
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
            msg(
                "sample size {size} exceeds the {eligible} eligible units{where} ({n_mand} "
                "mandatory + {positive} with positive weight, not excluded)",
                size=size,
                eligible=n_mand + positive,
                where=where,
                n_mand=n_mand,
                positive=positive,
            )
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
        w, k, _mask(mandatory, n, msg("mandatory")), _mask(excluded, n, msg("excluded")), ""
    )


def _py_ids(arr: npt.NDArray[np.generic]) -> list[UnitId]:
    """Canonical ids back as Python ``int`` or ``str`` (UTF-8 decoded), in array order.

    Text ids are joined with NUL (never inside an id) into one buffer, decoded
    once and split: one ``str`` per id without a per-id decode.
    """
    if arr.dtype.kind != "S":
        return cast(list[UnitId], arr.tolist())
    n, width = arr.shape[0], arr.dtype.itemsize
    if not n:
        return []
    buf = np.zeros((n, width + 1), dtype=np.uint8)
    buf[:, :width] = np.ascontiguousarray(arr).view(np.uint8).reshape(n, width)
    if buf[:, width - 1].all():  # every id fills the width: one separator each
        data = buf.tobytes()
    else:  # keep each id's bytes and the first NUL after them
        keep = buf != 0
        keep[:, 1:] |= keep[:, :-1].copy()
        data = buf[keep].tobytes()
    return cast(list[UnitId], data.decode("utf-8").split("\x00")[:-1])
