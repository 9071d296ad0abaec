"""Statistical fairness check for any draw: empirical inclusion frequency vs published probability.

:func:`assert_fair` runs ``draw(seed)`` once per seed and compares, for every
unit, how often it was drawn with ``S * pi`` (``S`` seeds) in binomial standard
deviations ``sqrt(S * pi * (1 - pi))``. Units with ``pi`` of 0 or 1 must be
drawn never or always. It returns the worst deviation in sigmas and raises
``AssertionError`` naming the worst unit when that exceeds ``tolerance_sigma``.

With ``S`` fixed seeds the check is deterministic. At 4 sigma a fair draw over
``k`` units fails with probability about ``k * 6.3e-5``; a draw whose
inclusion probabilities are off by ``d`` is caught once
``d * sqrt(S) / sqrt(pi * (1 - pi)) > 4``, e.g. ``d = 0.01`` at ``pi = 0.3``
needs ``S ~ 34,000`` seeds; successive sampling (``numpy.random.choice(p=...,
replace=False)``) on very unequal weights is off by ``0.05-0.2`` and is caught
with a few thousand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence

import numpy as np

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg

__all__ = ["assert_fair", "inclusion_counts"]


def inclusion_counts(
    draw: Callable[[str], Iterable[Hashable]],
    ids: Sequence[Hashable],
    seeds: Iterable[str],
) -> tuple[np.ndarray, int]:
    """(how often each of ``ids`` was drawn, number of seeds); raises on unknown or repeated ids."""
    index = {unit: i for i, unit in enumerate(ids)}
    if len(index) != len(ids):
        raise InvalidInputError(msg("ids must be distinct"))
    counts = np.zeros(len(ids), dtype=np.int64)
    runs = 0
    for seed in seeds:
        picked = [index.get(unit, -1) for unit in draw(seed)]
        if -1 in picked:
            raise AssertionError(
                msg("seed {seed!r}: the draw returned an id not in ids", seed=seed)
            )
        if len(set(picked)) != len(picked):
            raise AssertionError(msg("seed {seed!r}: the draw returned a unit twice", seed=seed))
        counts[picked] += 1
        runs += 1
    return counts, runs


def assert_fair(
    draw: Callable[[str], Iterable[Hashable]],
    ids: Sequence[Hashable],
    probabilities: Mapping[Hashable, float] | Sequence[float] | np.ndarray,
    *,
    seeds: Iterable[str] | int,
    tolerance_sigma: float = 4.0,
) -> float:
    """Check every unit's empirical frequency against its probability; return the worst sigma.

    ``draw(seed)`` returns the drawn ids for one seed; ``probabilities`` is a
    mapping id -> pi or a sequence aligned with ``ids``; ``seeds`` is an
    iterable of seeds or a count (then seeds ``"fair-0"``, ``"fair-1"``, ...).
    """
    if isinstance(seeds, int):
        seeds = [f"fair-{i}" for i in range(seeds)]
    if isinstance(probabilities, Mapping):
        pi = np.array([float(probabilities[unit]) for unit in ids], dtype=float)
    else:
        pi = np.asarray(probabilities, dtype=float)
    if pi.shape != (len(ids),):
        raise InvalidInputError(
            msg("{count} ids but {shape} probabilities", count=len(ids), shape=pi.shape[0])
        )
    if ((pi < 0) | (pi > 1) | ~np.isfinite(pi)).any():
        raise InvalidInputError(msg("probabilities must lie in [0, 1]"))
    counts, runs = inclusion_counts(draw, ids, seeds)
    if runs == 0:
        raise InvalidInputError(msg("no seeds given"))
    expected = runs * pi
    sd = np.sqrt(runs * pi * (1.0 - pi))
    gap = np.abs(counts - expected)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, gap / np.where(sd > 0, sd, 1.0), np.where(gap > 0, math.inf, 0.0))
    worst = int(np.argmax(z))
    if z[worst] > tolerance_sigma:
        raise AssertionError(
            msg(
                "unit {unit!r} drawn {count} times in {runs} seeds, expected "
                "{expected:.1f} (pi = {pi:.6g}): {z:.2f} sigma > {tolerance_sigma}",
                unit=ids[worst],
                count=int(counts[worst]),
                runs=runs,
                expected=expected[worst],
                pi=pi[worst],
                z=z[worst],
                tolerance_sigma=tolerance_sigma,
            )
        )
    return float(z[worst])
