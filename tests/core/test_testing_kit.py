"""The fairness test kit: strategies give feasible inputs; assert_fair passes fair draws only."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from drawcore.draw.randomness import DrawKey
from drawcore.testing import (
    Population,
    assert_fair,
    inclusion_counts,
    masks,
    populations,
    strata_labels,
    unit_ids,
    weights,
)


@given(populations())
def test_populations_are_feasible(pop: Population) -> None:
    n = len(pop.ids)
    assert pop.weights.shape == (n,)
    assert len(set(pop.ids)) == n
    assert ((pop.weights >= 0) & np.isfinite(pop.weights)).all()
    assert not (pop.mandatory & pop.excluded).any()
    eligible = pop.mandatory.sum() + ((pop.weights > 0) & ~pop.mandatory & ~pop.excluded).sum()
    assert pop.mandatory.sum() <= pop.size <= eligible


@given(unit_ids(5), unit_ids(5, kind="int"), weights(7), strata_labels(6), masks(9, max_true=2))
def test_component_strategies(
    ids: list[str],
    ints: list[int],
    w: np.ndarray,
    labels: list[str],
    mask: np.ndarray,
) -> None:
    assert len(set(ids)) == 5
    assert all(len(i) == 18 for i in ids)
    assert len(set(ints)) == 5
    assert w.shape == (7,)
    assert len(labels) == 6
    assert mask.shape == (9,)
    assert mask.sum() <= 2


def _bernoulli_draw(pi: list[float], ids: list[str]):  # type: ignore[no-untyped-def]
    """A fair Poisson draw: unit i in with probability pi_i, from the keyed stream."""

    def draw(seed: str) -> list[str]:
        stream = DrawKey.derive(seed, "kit").stream()
        return [u for u, p in zip(ids, pi, strict=True) if stream.uniform() < p]

    return draw


def test_assert_fair_passes_a_fair_draw() -> None:
    ids = ["a", "b", "c", "d"]
    pi = [0.1, 0.5, 0.9, 1.0]
    worst = assert_fair(_bernoulli_draw(pi, ids), ids, dict(zip(ids, pi, strict=True)), seeds=4000)
    assert 0.0 <= worst < 4.0


def test_assert_fair_names_the_unfair_unit() -> None:
    ids = ["a", "b", "c"]
    draw = _bernoulli_draw([0.3, 0.5, 0.5], ids)
    with pytest.raises(AssertionError, match=r"unit 'a' drawn \d+ times in 4000 seeds"):
        assert_fair(draw, ids, [0.4, 0.5, 0.5], seeds=4000)


def test_certain_and_impossible_units_must_be_exact() -> None:
    ids = ["a", "b"]
    with pytest.raises(AssertionError, match="unit 'b'"):
        assert_fair(lambda seed: ["a", "b"], ids, [1.0, 0.0], seeds=3)
    assert assert_fair(lambda seed: ["a"], ids, [1.0, 0.0], seeds=3) == 0.0


def test_inclusion_counts_rejects_bad_draws() -> None:
    with pytest.raises(AssertionError, match="twice"):
        inclusion_counts(lambda seed: ["a", "a"], ["a", "b"], ["s"])
    with pytest.raises(AssertionError, match="not in ids"):
        inclusion_counts(lambda seed: ["z"], ["a", "b"], ["s"])
    counts, runs = inclusion_counts(lambda seed: ["b"], ["a", "b"], ["s", "t"])
    assert counts.tolist() == [0, 2]
    assert runs == 2
