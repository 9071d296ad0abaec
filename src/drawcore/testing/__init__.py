"""Test helpers for drawcore and for jurisdiction plugins.

``drawcore.testing.strategies`` generates feasible draw inputs (weights, ids,
strata labels, mandatory/excluded masks, whole populations) for hypothesis;
``drawcore.testing.fairness.assert_fair`` checks a draw function's empirical
inclusion frequencies over many seeds against its published probabilities.
Both work for any draw function, not only drawcore's.
"""

from __future__ import annotations

from drawcore.testing.conformance import check_plan, conformance_tests, synthetic_county
from drawcore.testing.fairness import assert_fair, inclusion_counts
from drawcore.testing.strategies import (
    Population,
    masks,
    populations,
    strata_labels,
    unit_ids,
    weights,
)

__all__ = [
    "Population",
    "assert_fair",
    "check_plan",
    "conformance_tests",
    "inclusion_counts",
    "masks",
    "populations",
    "strata_labels",
    "synthetic_county",
    "unit_ids",
    "weights",
]
