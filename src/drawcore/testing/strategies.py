"""Hypothesis strategies for draw inputs: weights, ids, strata, mandatory/excluded masks.

Use them to property-test any system built on drawcore (or any other draw)::

    from hypothesis import given
    from drawcore.testing.strategies import populations

    @given(populations())
    def test_exact_size(pop):
        sample = drawcore.sample_units(pop.ids, pop.weights, pop.size, seed="t",
                                       mandatory=pop.mandatory, excluded=pop.excluded)
        assert len(sample.selected) == pop.size

Every :class:`Population` drawn by :func:`populations` is feasible: its size
fits the eligible units and mandatory/excluded never overlap.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

__all__ = [
    "Population",
    "masks",
    "populations",
    "strata_labels",
    "unit_ids",
    "weights",
]

_ID_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def weights(
    n: int, *, allow_zero: bool = True, max_ratio: float = 1e6
) -> st.SearchStrategy[npt.NDArray[np.float64]]:
    """``n`` finite, non-negative risk weights, from near-equal to ``max_ratio`` apart."""
    low = 0.0 if allow_zero else 1.0
    element = st.one_of(
        st.floats(min_value=1.0, max_value=max_ratio, allow_nan=False, allow_infinity=False),
        st.sampled_from([low, 1.0, 2.0, 3.0, max_ratio]),
    )
    return st.lists(element, min_size=n, max_size=n).map(lambda xs: np.asarray(xs, dtype=float))


def unit_ids(n: int, *, kind: str = "str") -> st.SearchStrategy[list[str] | list[int]]:
    """``n`` distinct ids: 18-character codes in the USCC alphabet (``kind="str"``) or ints."""
    if kind == "int":
        return st.lists(
            st.integers(min_value=0, max_value=2**63 - 1), min_size=n, max_size=n, unique=True
        )
    code = st.text(alphabet=_ID_ALPHABET, min_size=18, max_size=18)
    return st.lists(code, min_size=n, max_size=n, unique=True)


def strata_labels(n: int, *, max_strata: int = 4) -> st.SearchStrategy[list[str]]:
    """One label per unit (industry, township or risk class), at most ``max_strata`` distinct."""
    names = [f"stratum-{i}" for i in range(max_strata)]
    return st.lists(st.sampled_from(names), min_size=n, max_size=n)


def masks(n: int, *, max_true: int | None = None) -> st.SearchStrategy[npt.NDArray[np.bool_]]:
    """A boolean mask over ``n`` rows with at most ``max_true`` set."""
    cap = n if max_true is None else min(n, max_true)
    return st.lists(st.integers(0, max(0, n - 1)), max_size=cap, unique=True).map(
        lambda rows: np.isin(np.arange(n), rows)
    )


@attrs.frozen
class Population:
    """A feasible unit-draw input: ids, weights, size, mandatory and excluded masks."""

    ids: list[str] | list[int]
    weights: npt.NDArray[np.float64] = attrs.field(eq=False)
    size: int
    mandatory: npt.NDArray[np.bool_] = attrs.field(eq=False)
    excluded: npt.NDArray[np.bool_] = attrs.field(eq=False)


@st.composite
def populations(
    draw: st.DrawFn,
    *,
    min_units: int = 1,
    max_units: int = 40,
    id_kind: str = "str",
    with_masks: bool = True,
) -> Population:
    """A feasible :class:`Population`; sizes range from 0 to every eligible unit."""
    n = draw(st.integers(min_units, max_units))
    ids = draw(unit_ids(n, kind=id_kind))
    w = draw(weights(n))
    if with_masks:
        mandatory = draw(masks(n, max_true=max(1, n // 4)))
        excluded = draw(masks(n, max_true=max(1, n // 4))) & ~mandatory
    else:
        mandatory = np.zeros(n, dtype=np.bool_)
        excluded = np.zeros(n, dtype=np.bool_)
    eligible = int(np.count_nonzero(mandatory)) + int(
        np.count_nonzero((w > 0) & ~mandatory & ~excluded)
    )
    size = draw(st.integers(int(np.count_nonzero(mandatory)), eligible))
    return Population(ids=ids, weights=w, size=size, mandatory=mandatory, excluded=excluded)
