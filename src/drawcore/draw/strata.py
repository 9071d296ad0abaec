"""Allocation of a sample over strata (BL-5 township shares): proportional and Neyman.

Largest-remainder rounding with ties broken by stratum name, so allocations are exact
integers summing to the total and do not depend on the order strata are given in.
"""

from __future__ import annotations

from collections.abc import (
    Hashable,
    Mapping,
)
from fractions import Fraction

import numpy as np

from drawcore.draw.probabilities import _check_size
from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.i18n import msg

__all__ = ["allocate_neyman", "allocate_proportional"]


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
        raise InfeasibleError(
            msg(
                "total {total} exceeds the {capacity} units in all strata",
                total=total,
                capacity=capacity,
            )
        )
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
    out = {
        str(k): _check_size(v, msg("stratum size {key}", key=repr(k)))
        for k, v in stratum_sizes.items()
    }
    if len(out) != len(stratum_sizes):
        raise InvalidInputError(msg("two stratum labels have the same text"))
    return out


def allocate_proportional(stratum_sizes: Mapping[Hashable, int], total: int) -> dict[str, int]:
    """Split ``total`` over strata in proportion to their sizes (largest remainder).

    A stratum never gets more than its size (the excess goes to the others);
    ties in the remainders go to the label that sorts first. Keys are ``str``.
    """
    sizes = _labels(stratum_sizes)
    fractions = {k: Fraction(v) for k, v in sizes.items()}
    return _allocate(sizes, fractions, _check_size(total, msg("total")))


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
            raise InvalidInputError(msg("no standard deviation for stratum {k}", k=repr(k)))
        sd = float(sds[k])
        if not np.isfinite(sd) or sd < 0:
            raise InvalidInputError(
                msg(
                    "stratum {k}: standard deviation {sd} must be finite, >= 0",
                    k=repr(k),
                    sd=repr(sd),
                )
            )
        scores[k] = Fraction(n_h) * Fraction(sd)
    return _allocate(sizes, scores, _check_size(total, msg("total")))
