"""Joint inclusion probabilities: exact given the order, exact averaged over orders."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import drawcore
from drawcore.draw.joint import MAX_AVERAGED_UNITS, MAX_JOINT_UNITS, _given_order
from drawcore.errors import InvalidInputError

PAIR_IDS = ["L1", "L2", "H1", "H2", "H3"]
PAIR_WEIGHTS = [1, 1, 2, 2, 2]


def _hits(p: list[int], order: list[int], full: int, start: int) -> set[int]:
    """The systematic rule written out: unit i is hit when a point start + j*full falls
    in [C_{i-1}, C_i), cumulative totals taken in draw order."""
    hit: set[int] = set()
    low = 0
    points = [start + j * full for j in range(sum(p) // full)]
    for i in order:
        high = low + p[i]
        if any(low <= x < high for x in points):
            hit.add(i)
        low = high
    return hit


@st.composite
def lattices(draw: st.DrawFn) -> tuple[list[int], list[int], int]:
    """Lattice sizes: ``n_rest`` blocks of ``2**m`` points, each cut into 1-3 pieces."""
    m = draw(st.integers(2, 5))
    full = 1 << m
    p: list[int] = []
    for _ in range(draw(st.integers(1, 3))):
        cuts = sorted(set(draw(st.lists(st.integers(1, full - 1), max_size=2))))
        bounds = [0, *cuts, full]
        p.extend(b - a for a, b in itertools.pairwise(bounds))
    order = draw(st.permutations(list(range(len(p)))))
    return p, list(order), m


@given(lattices())
@settings(max_examples=200, deadline=None)
def test_given_order_counts_every_start_exactly(case: tuple[list[int], list[int], int]) -> None:
    """For every start U in [0, 2**m), count the pairs hit together: the joint matrix is that
    count over 2**m (an exhaustive check by the selection rule itself)."""
    p, order, m = case
    full = 1 << m
    k = len(p)
    counts = np.zeros((k, k))
    for start in range(full):
        hit = sorted(_hits(p, order, full, start))
        for i in hit:
            for j in hit:
                counts[i, j] += 1
    position = np.empty(k, dtype=np.intp)
    position[order] = np.arange(k)
    got = _given_order(np.asarray(p, dtype=np.int64), position, m)
    np.testing.assert_array_equal(got, counts / full)


def test_a_pair_of_small_units_is_never_drawn_together() -> None:
    """Weights 1, 1, 2, 2, 2 and size 2: L1 and L2 (pi = 0.25 each) are never drawn together,
    whatever the order; every other pair can be."""
    joint = drawcore.joint_inclusion_probabilities(
        PAIR_IDS, PAIR_WEIGHTS, 2, seed="pairs", averaged=True
    )
    assert joint[0, 1] == 0.0
    off = joint[~np.eye(5, dtype=bool)]
    assert (off > 0).sum() == 18
    np.testing.assert_allclose(joint[0, 2:], 1 / 12, rtol=0, atol=1e-15)
    np.testing.assert_allclose(joint[2, 3:], 1 / 6, rtol=0, atol=1e-15)


@pytest.mark.slow
def test_averaged_joint_probabilities_match_pair_frequencies_over_seeds() -> None:
    """Over 6,000 seeds each pair's frequency is within 4 sigma of the order-averaged
    joint probability (the order is the seed's keyed hash, a uniformly random permutation)."""
    ids = ["a", "b", "c", "d", "e", "f"]
    weights = [1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    size = 3
    seeds = 6000
    joint = drawcore.joint_inclusion_probabilities(ids, weights, size, seed="x", averaged=True)
    together = np.zeros((6, 6))
    for s in range(seeds):
        chosen = drawcore.sample_units(ids, weights, size, seed=f"pair-{s}").selected
        idx = [ids.index(c) for c in chosen]
        for i, j in itertools.permutations(idx, 2):
            together[i, j] += 1
    freq = together / seeds
    for i, j in itertools.combinations(range(6), 2):
        p = joint[i, j]
        sigma = math.sqrt(max(p * (1 - p), 1e-12) / seeds)
        assert abs(freq[i, j] - p) <= 4 * sigma + 1e-12, (ids[i], ids[j], freq[i, j], p)


@given(
    st.lists(st.floats(0.1, 50.0), min_size=3, max_size=12),
    st.integers(1, 3),
    st.text(min_size=1, max_size=6),
)
@settings(max_examples=60, deadline=None)
def test_fixed_size_identities_hold_for_every_seed(
    weights: list[float], size: int, seed: str
) -> None:
    """For a fixed-size design: symmetric, diagonal = pi, 0 <= pi_ij <= min(pi_i, pi_j),
    pi_ij >= pi_i + pi_j - 1, and sum over j != i of pi_ij = (n - 1) pi_i."""
    size = min(size, len(weights) - 1)
    ids = [f"u{i}" for i in range(len(weights))]
    joint = drawcore.joint_inclusion_probabilities(ids, weights, size, seed=seed)
    sample = drawcore.sample_units(ids, weights, size, seed=seed)
    pi = np.array([sample.probabilities[i] for i in ids])
    np.testing.assert_array_equal(joint, joint.T)
    np.testing.assert_array_equal(np.diag(joint), pi)
    assert (joint <= np.minimum.outer(pi, pi) + 1e-15).all()
    assert (joint >= np.add.outer(pi, pi) - 1 - 1e-12).all()
    rows = joint.sum(axis=1) - pi
    np.testing.assert_allclose(rows, (size - 1) * pi, rtol=0, atol=1e-12)
    chosen = [ids.index(c) for c in sample.selected]
    for i, j in itertools.combinations(chosen, 2):
        assert joint[i, j] > 0, "a pair the seed drew together has joint probability 0"


def test_certain_units_and_strata() -> None:
    """A mandatory unit is drawn with everything (pi_ij = pi_j); units of different strata
    are drawn independently (pi_ij = pi_i pi_j); excluded units never."""
    ids = ["m", "a", "b", "c", "x", "y", "z"]
    weights = [1, 1, 2, 3, 1, 1, 1]
    strata = ["s1", "s1", "s1", "s1", "s2", "s2", "s2"]
    joint = drawcore.joint_inclusion_probabilities(
        ids,
        weights,
        {"s1": 2, "s2": 1},
        seed="strata",
        mandatory=["m"],
        excluded=["z"],
        strata=strata,
    )
    pi = np.diag(joint)
    assert pi[0] == 1.0
    assert pi[6] == 0.0
    np.testing.assert_array_equal(joint[0, 1:4], pi[1:4])
    np.testing.assert_array_equal(joint[1:4, 4:6], np.outer(pi[1:4], pi[4:6]))
    assert (joint[6, :] == 0).all()
    assert joint[4, 5] == 0.0  # size 1 in s2: never two together


def test_limits_are_typed_errors() -> None:
    with pytest.raises(InvalidInputError, match="at most"):
        drawcore.joint_inclusion_probabilities(
            list(range(MAX_JOINT_UNITS + 1)), np.ones(MAX_JOINT_UNITS + 1), 5, seed="s"
        )
    n = MAX_AVERAGED_UNITS + 1
    with pytest.raises(InvalidInputError, match="enumerated"):
        drawcore.joint_inclusion_probabilities(
            [f"u{i}" for i in range(n)], np.ones(n), 2, seed="s", averaged=True
        )


def _never_together(pi: np.ndarray, i: int, j: int) -> bool:
    """The specification's condition (spec §9.9): ``pi_i + pi_j <= 1`` and every subset sum
    of the other non-certain units' probabilities has fractional part 0 or at most
    ``1 - pi_i - pi_j``."""
    pair = Fraction(pi[i]) + Fraction(pi[j])
    if pair > 1:
        return False
    others = [Fraction(p) for t, p in enumerate(pi) if t not in (i, j) and 0 < p < 1]
    for r in range(len(others) + 1):
        for subset in itertools.combinations(others, r):
            frac = sum(subset, Fraction(0)) % 1
            if frac != 0 and frac > 1 - pair:
                return False
    return True


def test_the_written_zero_joint_condition_agrees_with_enumerating_every_order() -> None:
    """The condition the specification states for a pair never drawn together agrees, pair
    by pair, with the exact average over all orders (150 random small designs)."""
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(150):
        k = int(rng.integers(3, 7))
        size = int(rng.integers(1, k))
        weights = [int(x) for x in rng.integers(1, 6, k)]
        ids = [f"u{i}" for i in range(k)]
        joint = drawcore.joint_inclusion_probabilities(ids, weights, size, seed="c", averaged=True)
        pi = np.diag(joint)
        for i, j in itertools.combinations(range(k), 2):
            if 0 < pi[i] < 1 and 0 < pi[j] < 1:
                checked += 1
                assert _never_together(pi, i, j) == (joint[i, j] == 0.0), (weights, size, i, j)
    assert checked > 500
