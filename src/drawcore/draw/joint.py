"""Joint inclusion probabilities of the unit draw, for variance estimation from results.

A statistician estimating a total from inspected units needs ``pi_ij``, the
probability that units ``i`` and ``j`` are drawn together (Horvitz-Thompson and
Sen-Yates-Grundy variance estimators). drawcore's draw is randomized systematic
πps on an integer lattice (:mod:`drawcore.draw.lattice`): in draw order every
unit that is not certain holds ``p_i`` lattice points (``p_i / 2**m`` is its
published probability), the cumulative totals ``C_i`` lay them end to end, and
one start ``U`` uniform on ``[0, 2**m)`` picks the units hit by
``U + j * 2**m``. Unit ``i`` is drawn exactly when ``U`` lies in the cyclic
interval ``S_i = [C_{i-1}, C_i) mod 2**m``, so given the order

    ``pi_ij = |S_i ∩ S_j| / 2**m``,

an exact dyadic number (``m <= 52``, so exact in ``float64``). Certain units
(probability 1) are drawn with everything: ``pi_ij = pi_j``. Units of
different strata are drawn with independent keys: ``pi_ij = pi_i * pi_j``.

Given the order, a pair is *never* drawn together exactly when ``S_i`` and
``S_j`` do not meet, i.e. when the lattice points between the end of one and
the start of the other, going round the circle, do not bring either interval
onto the other; this happens for some pairs whatever the weights (see
``docs/spec.md``, second-order properties).

:func:`joint_inclusion_probabilities` returns the matrix for the order the seed
fixes (what the recorded draw actually used); with ``averaged=True`` it returns
the average over all orders of the non-certain units of one stratum, each
equally likely, with the published probabilities held fixed: the design-based
``pi_ij`` of randomized systematic sampling. That average has no closed form;
it is computed exactly, in rational arithmetic, for at most
:data:`MAX_AVERAGED_UNITS` non-certain units per stratum.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from drawcore.draw.lattice import lattice_bits
from drawcore.draw.probabilities import _as_weights, _probabilities
from drawcore.draw.randomness import DrawKey, canonical_ids
from drawcore.draw.sampling import _ids_mask, _order, sample_units
from drawcore.errors import InvalidInputError
from drawcore.i18n import msg

__all__ = ["MAX_AVERAGED_UNITS", "MAX_JOINT_UNITS", "joint_inclusion_probabilities"]

#: The largest population for which the ``n x n`` matrix is built (8 bytes a pair).
MAX_JOINT_UNITS = 4096
#: The most non-certain units of one stratum whose orders are enumerated for ``averaged=True``.
MAX_AVERAGED_UNITS = 8

F64Array = npt.NDArray[np.float64]
I64Array = npt.NDArray[np.int64]


def joint_inclusion_probabilities(
    ids: Iterable[Any] | npt.NDArray[np.generic],
    weights: npt.ArrayLike,
    size: int | Mapping[Hashable, int],
    *,
    seed: str | bytes,
    mandatory: Iterable[Any] | npt.NDArray[np.generic] | None = None,
    excluded: Iterable[Any] | npt.NDArray[np.generic] | None = None,
    strata: Iterable[Hashable] | npt.NDArray[np.generic] | None = None,
    draw_id: str = "units",
    averaged: bool = False,
) -> F64Array:
    """The ``n x n`` matrix of ``P(i and j drawn)`` for :func:`sample_units` with these inputs.

    Rows and columns follow ``ids`` as given; the diagonal holds the published
    inclusion probabilities. ``averaged=False`` (default): exact for the order
    this seed fixes. ``averaged=True``: the exact average over all orders
    (raises :class:`InvalidInputError` where a stratum has more than
    :data:`MAX_AVERAGED_UNITS` non-certain units: not computable exactly).
    """
    canon = canonical_ids(ids)
    n = canon.shape[0]
    if n > MAX_JOINT_UNITS:
        raise InvalidInputError(
            msg(
                "{n} units: the joint matrix is built for at most {max_units} units (8 bytes a "
                "pair); draw a smaller population or one stratum at a time",
                n=n,
                max_units=MAX_JOINT_UNITS,
            )
        )
    labels = None if strata is None else _labels(strata, n)
    sample = sample_units(
        canon,
        weights,
        size,
        seed=seed,
        mandatory=mandatory,
        excluded=excluded,
        strata=labels,
        draw_id=draw_id,
    )
    pi = np.array([sample.probabilities[i] for i in _as_keys(canon)], dtype=np.float64)
    w = _as_weights(weights)
    mand = _ids_mask(mandatory, canon, msg("mandatory"))
    excl = _ids_mask(excluded, canon, msg("excluded"))
    joint = np.outer(pi, pi)
    key = DrawKey.derive(seed, draw_id)
    groups: list[tuple[DrawKey, int, npt.NDArray[np.intp]]]
    if labels is None:
        groups = [(key, sample.size, np.arange(n, dtype=np.intp))]
    else:
        arr = np.asarray(labels)
        groups = [
            (key.child(f"stratum/{name}"), count, np.flatnonzero(arr == name))
            for name, count in sample.stratum_sizes.items()
        ]
    for group_key, count, members in groups:
        certain = (
            _probabilities(
                w[members],
                count,
                None if mand is None else mand[members],
                None if excl is None else excl[members],
                "",
            )
            == 1.0
        )
        block = _stratum_joint(group_key, canon[members], pi[members], certain, averaged)
        joint[np.ix_(members, members)] = block
    return joint


def _labels(strata: Iterable[Hashable] | npt.NDArray[np.generic], n: int) -> list[str]:
    raw = strata.tolist() if isinstance(strata, np.ndarray) else list(strata)
    if len(raw) != n:
        raise InvalidInputError(
            msg("{n} ids but {n_labels} stratum labels", n=n, n_labels=len(raw))
        )
    return [str(x) for x in raw]


def _as_keys(canon: npt.NDArray[np.generic]) -> list[Any]:
    if canon.dtype.kind == "S":
        return [bytes(x).decode("utf-8") for x in canon.tolist()]
    return [int(x) for x in canon.tolist()]


def _stratum_joint(
    key: DrawKey,
    ids: npt.NDArray[np.generic],
    pi: F64Array,
    certain: npt.NDArray[np.bool_],
    averaged: bool,
) -> F64Array:
    """Joint probabilities within one stratum (one lattice, one start).

    ``certain`` marks the units drawn apart from the lattice (inclusion
    probability exactly 1 before the lattice); a unit whose lattice value
    rounds up to ``2**m`` stays on the lattice, covering the whole circle.
    """
    k = pi.shape[0]
    rest = (pi > 0.0) & ~certain
    n_rest = round(float(pi[rest].sum()))
    out = np.outer(pi, pi)
    out[certain, :] = pi[np.newaxis, :]
    out[:, certain] = pi[:, np.newaxis]
    idx = np.flatnonzero(rest)
    if n_rest > 0 and idx.size:
        m = lattice_bits(n_rest)
        p = np.rint(pi[idx] * 2.0**m).astype(np.int64)
        if averaged:
            block = _averaged(p, m)
        else:
            position = np.empty(k, dtype=np.intp)
            position[_order(key, ids)] = np.arange(k, dtype=np.intp)
            block = _given_order(p, position[idx], m)
        out[np.ix_(idx, idx)] = block
    zero = pi == 0.0
    out[zero, :] = 0.0
    out[:, zero] = 0.0
    np.fill_diagonal(out, pi)
    return out


def _given_order(p: I64Array, position: npt.NDArray[np.intp], m: int) -> F64Array:
    """``|S_i ∩ S_j| / 2**m`` for lattice sizes ``p`` laid end to end in ``position`` order."""
    full = 1 << m
    order = np.argsort(position, kind="stable")
    start = np.empty(p.shape[0], dtype=np.int64)
    start[order] = (np.cumsum(p[order]) - p[order]) % full
    return _cyclic_overlap(start, p, full).astype(np.float64) * 2.0**-m


def _cyclic_overlap(start: I64Array, length: I64Array, full: int) -> I64Array:
    """Points shared by the cyclic intervals ``[start_i, start_i + length_i) mod full``.

    Every start is in ``[0, full)`` and every length at most ``full``, so the
    intervals lie in ``[0, 2 * full)`` and three shifts of the second interval
    (``-full, 0, +full``) meet the first wherever the circle does.
    """
    a0 = start[:, np.newaxis]
    a1 = (start + length)[:, np.newaxis]
    total = np.zeros((start.shape[0], start.shape[0]), dtype=np.int64)
    for shift in (-full, 0, full):
        b0 = start[np.newaxis, :] + shift
        b1 = b0 + length[np.newaxis, :]
        total += np.clip(np.minimum(a1, b1) - np.maximum(a0, b0), 0, None)
    return total


def _averaged(p: I64Array, m: int) -> F64Array:
    """The average of :func:`_given_order` over every order of the units, in exact fractions."""
    k = p.shape[0]
    if k > MAX_AVERAGED_UNITS:
        raise InvalidInputError(
            msg(
                "{k} non-certain units in a stratum: the order-averaged joint probabilities are "
                "computed exactly for at most {max_units} (every order is enumerated)",
                k=k,
                max_units=MAX_AVERAGED_UNITS,
            )
        )
    full = 1 << m
    sums = np.zeros((k, k), dtype=object)
    for perm in itertools.permutations(range(k)):
        position = np.empty(k, dtype=np.intp)
        position[list(perm)] = np.arange(k, dtype=np.intp)
        order = np.asarray(perm, dtype=np.intp)
        start = np.empty(k, dtype=np.int64)
        start[order] = (np.cumsum(p[order]) - p[order]) % full
        sums += _cyclic_overlap(start, p, full).astype(object)
    count = math.factorial(k)
    exact = [[Fraction(int(sums[i, j]), count * full) for j in range(k)] for i in range(k)]
    return np.array([[float(x) for x in row] for row in exact], dtype=np.float64)
