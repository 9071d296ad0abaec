"""Unit draws (BL-5, TJ-5): inclusion probabilities, exact fixed-size πps draws, strata."""

from __future__ import annotations

import itertools
import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore import serde
from drawcore.draw.lattice import canonical_order, lattice_bits, systematic_select
from drawcore.draw.probabilities import UNIT_BITS, grid_sum, inclusion_probabilities, weight_scale
from drawcore.draw.randomness import DrawKey, hash_ids
from drawcore.draw.sampling import METHOD, ProbabilityTable, sample_units
from drawcore.draw.strata import allocate_neyman, allocate_proportional
from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.testing import Population, assert_fair, populations

KAT_IDS = [f"9144{i:014d}" for i in range(12)]
KAT_WEIGHTS = [5.0, 1.0, 3.0, 0.0, 2.0, 8.0, 1.5, 1.0, 4.0, 0.5, 6.0, 2.5]
KAT_SEED = "2026 Q1 lottery: 03 17 22 41 45"


def _draw(pop: Population, seed: str = "seed") -> tuple[tuple[object, ...], dict[object, float]]:
    sample = sample_units(
        pop.ids, pop.weights, pop.size, seed=seed, mandatory=pop.mandatory, excluded=pop.excluded
    )
    return sample.selected, dict(sample.probabilities)


# ---------------------------------------------------------------- inclusion probabilities


@given(populations())
def test_bl5_probabilities_sum_to_size_within_bounds(pop: Population) -> None:
    pi = inclusion_probabilities(
        pop.weights, pop.size, mandatory=pop.mandatory, excluded=pop.excluded
    )
    assert pi.dtype == np.float64
    assert pi.shape == pop.weights.shape
    assert ((pi >= 0.0) & (pi <= 1.0)).all()
    # Stated tolerance: float rounding of c * w, relative error below N * 2**-52.
    assert abs(pi.sum() - pop.size) <= 1e-12 * max(1, pop.size) * len(pi)
    assert (pi[pop.mandatory] == 1.0).all()
    assert (pi[pop.excluded] == 0.0).all()
    free = ~pop.mandatory & ~pop.excluded
    assert (pi[free & (pop.weights == 0)] == 0.0).all()


@given(populations(with_masks=False))
def test_bl5_probabilities_proportional_to_weight_below_the_cap(pop: Population) -> None:
    pi = inclusion_probabilities(pop.weights, pop.size)
    open_ = (pi > 0) & (pi < 1)
    if open_.any():
        ratio = pi[open_] / pop.weights[open_]
        assert np.allclose(ratio, ratio[0], rtol=1e-12)
        # Capped units are exactly the heaviest ones: none lighter than an open unit.
        capped = (pi == 1.0) & (pop.weights > 0)
        if capped.any():
            assert pop.weights[capped].min() >= pop.weights[open_].max()


def test_bl5_capping_known_values() -> None:
    pi = inclusion_probabilities([10.0, 5.0, 1, 1, 1, 1, 1, 1, 1, 1], 3)
    # 10 is capped; the other 2 places go over 5 + 8 = 13 in proportion.
    expected = [1.0, 10 / 13] + [2 / 13] * 8
    assert np.allclose(pi, expected, rtol=0, atol=1e-15)


def test_bl5_mandatory_and_excluded_as_index_arrays() -> None:
    pi = inclusion_probabilities([1.0, 1, 1, 1, 1], 3, mandatory=np.array([4]), excluded=[0])
    assert pi.tolist() == [0.0, 2 / 3, 2 / 3, 2 / 3, 1.0]


def test_size_equal_to_eligible_gives_certainty() -> None:
    pi = inclusion_probabilities([3.0, 0.0, 1.0, 2.0], 3)
    assert pi.tolist() == [1.0, 0.0, 1.0, 1.0]


@given(
    st.lists(st.floats(1.0, 1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=300),
    st.integers(1, 6),
)
def test_grid_sum_is_exact_and_partition_free(values: list[float], parts: int) -> None:
    w = np.array(values)
    scale = weight_scale(float(w.max()))
    whole = grid_sum(w, scale)
    pieces = np.array_split(w, parts)
    assert sum(grid_sum(p, scale) for p in pieces) == whole
    exact = sum(Fraction(v) for v in values)
    assert Fraction(whole, 2**UNIT_BITS) == exact
    assert float(exact) == math.fsum(values)


@given(
    st.lists(
        st.floats(0.0, 1e308, allow_nan=False, allow_infinity=False), min_size=1, max_size=100
    ),
    st.integers(1, 4),
)
def test_grid_sum_is_exact_for_any_weights(values: list[float], parts: int) -> None:
    w = np.array(values)
    scale = weight_scale(float(w.max()))
    pieces = np.array_split(w, parts)
    total = sum(grid_sum(p, scale) for p in pieces)
    assert Fraction(total, 2**UNIT_BITS) == sum(Fraction(v) for v in values)


# ---------------------------------------------------------------- the lattice draw


@given(st.data())
def test_bl5_systematic_lattice_hits_each_unit_with_probability_exactly_p(
    data: st.DataObject,
) -> None:
    m = 4
    full = 1 << m
    n_rest = data.draw(st.integers(1, 5))
    parts = data.draw(
        st.lists(st.integers(0, full), min_size=n_rest, max_size=4 * n_rest).filter(
            lambda xs: sum(xs) <= n_rest * full
        )
    )
    parts.append(n_rest * full - sum(parts))
    if parts[-1] > full:
        return
    p = np.array(parts, dtype=np.int64)
    hits = np.zeros(p.shape[0], dtype=np.int64)
    for start in range(full):
        sel, carry = systematic_select(p, start, m)
        assert sel.sum() == n_rest
        assert carry == n_rest * full
        hits += sel
        # The same hits when the ordered units come in two slices with a carry.
        cut = data.draw(st.integers(0, p.shape[0]))
        left, c1 = systematic_select(p[:cut], start, m)
        right, _ = systematic_select(p[cut:], start, m, carry=c1)
        assert (np.concatenate([left, right]) == sel).all()
    # Over every start U in [0, 2**m), unit i is hit exactly p_i times: P = p_i / 2**m.
    assert (hits == p).all()


@given(populations())
def test_bl5_exact_size_mandatory_in_excluded_out(pop: Population) -> None:
    selected, probs = _draw(pop)
    assert len(selected) == pop.size == len(set(selected))
    assert list(selected) == sorted(selected)
    ids = np.array(pop.ids, dtype=object)
    assert set(ids[pop.mandatory]) <= set(selected)
    assert not set(ids[pop.excluded]) & set(selected)
    assert all(probs[u] > 0 for u in selected)
    assert math.isclose(sum(probs.values()), pop.size, abs_tol=1e-9)


@given(populations())
def test_bl5_published_probabilities_match_inclusion_probabilities(pop: Population) -> None:
    _, probs = _draw(pop)
    pi = inclusion_probabilities(
        pop.weights, pop.size, mandatory=pop.mandatory, excluded=pop.excluded
    )
    m = lattice_bits(pop.size)
    # Lattice rounding: at most one lattice unit from rint plus one from balancing.
    assert np.allclose([probs[u] for u in pop.ids], pi, rtol=0, atol=2.0 ** (1 - m))
    assert sum(Fraction(v) for v in probs.values()) == pop.size


@given(populations(), st.randoms(use_true_random=False))
def test_bl5_same_sample_in_any_row_order(pop: Population, rnd: object) -> None:
    order = list(range(len(pop.ids)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    shuffled = Population(
        ids=[pop.ids[i] for i in order],
        weights=pop.weights[order],
        size=pop.size,
        mandatory=pop.mandatory[order],
        excluded=pop.excluded[order],
    )
    assert _draw(pop) == _draw(shuffled)
    assert _draw(pop) == _draw(pop)


@given(populations(min_units=2))
def test_bl5_seed_changes_the_sample(pop: Population) -> None:
    pi = inclusion_probabilities(
        pop.weights, pop.size, mandatory=pop.mandatory, excluded=pop.excluded
    )
    if not ((pi >= 0.2) & (pi <= 0.8)).any():
        return
    # A unit with 0.2 <= pi <= 0.8 makes 64 equal samples a 0.8**63 < 1e-6 event.
    samples = {_draw(pop, seed=f"seed-{i}")[0] for i in range(64)}
    assert len(samples) > 1


def test_int_and_str_ids_draw_the_same_kind_back() -> None:
    sample = sample_units(np.arange(50), np.ones(50), 7, seed="s")
    assert all(isinstance(u, int) for u in sample.selected)
    sample = sample_units([f"u{i}" for i in range(50)], np.ones(50), 7, seed="s")
    assert all(isinstance(u, str) for u in sample.selected)


def test_canonical_order_breaks_hash_ties_by_id_not_row() -> None:
    ids = np.array([b"c", b"a", b"d", b"b"])
    h = np.array([5, 1, 5, 1], dtype=np.uint64)
    assert ids[canonical_order(h, ids)].tolist() == [b"a", b"b", b"c", b"d"]
    rev = canonical_order(h[::-1].copy(), ids[::-1].copy())
    assert ids[::-1][rev].tolist() == [b"a", b"b", b"c", b"d"]


def test_canonical_order_matches_a_full_sort() -> None:
    ids = np.arange(5000, dtype=np.uint64)
    h = hash_ids(DrawKey.derive("s", "d"), ids)
    h[10:20] = h[0]  # forced ties: fall back to the id
    perm = canonical_order(h, ids)
    assert (perm == np.lexsort((ids, h))).all()


def test_canonical_order_by_radix_matches_a_full_sort() -> None:
    """Large populations take the counting-sort path: same order, ties by id, duplicates named."""
    n = 300_000
    ids = np.random.default_rng(5).permutation(n).astype(np.uint64)
    h = hash_ids(DrawKey.derive("s", "radix"), ids)
    h[10:20] = h[0]  # equal hashes: fall back to the id
    h[30:40] = (h[30] | np.uint64(0xFFFFFF)) ^ np.arange(10, dtype=np.uint64)  # equal top 40 bits
    h[50] = np.uint64(0)
    h[51] = np.uint64(2**64 - 1)
    perm = canonical_order(h, ids)
    assert (perm == np.lexsort((ids, h))).all()
    rev = canonical_order(h[::-1].copy(), ids[::-1].copy())
    assert (ids[::-1][rev] == ids[perm]).all()
    dup = ids.copy()
    dup[7] = dup[8]
    with pytest.raises(InvalidInputError, match="duplicate unit id"):
        canonical_order(hash_ids(DrawKey.derive("s", "radix"), dup), dup)


@given(
    st.lists(
        st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s),
        min_size=1,
        max_size=40,
        unique=True,
    )
)
def test_text_ids_come_back_as_given(ids: list[str]) -> None:
    sample = sample_units(ids, np.ones(len(ids)), len(ids), seed="all")
    assert sample.selected == tuple(sorted(ids, key=lambda s: s.encode("utf-8")))
    assert list(sample.probabilities) == list(sample.selected)


def test_kat_bl5_unit_draw() -> None:
    # Written once from this implementation: pins the whole draw (order hash,
    # start, lattice) so any change in the published selections is caught.
    sample = sample_units(KAT_IDS, KAT_WEIGHTS, 5, seed=KAT_SEED, draw_id="boluo/2026-Q1/units")
    assert sample.selected == (
        "914400000000000000",
        "914400000000000005",
        "914400000000000008",
        "914400000000000010",
        "914400000000000011",
    )
    sample = sample_units(
        KAT_IDS,
        KAT_WEIGHTS,
        5,
        seed=KAT_SEED,
        draw_id="boluo/2026-Q1/units",
        mandatory=[KAT_IDS[1]],
        excluded=[KAT_IDS[5]],
    )
    assert sample.selected == (
        "914400000000000000",
        "914400000000000001",
        "914400000000000008",
        "914400000000000010",
        "914400000000000011",
    )
    sample = sample_units(np.arange(1000), np.arange(1000) % 7 + 1.0, 300, seed="kat")
    assert sample.selected[:10] == (1, 5, 13, 17, 23, 24, 25, 26, 27, 32)
    assert sum(sample.selected) == 148541  # type: ignore[arg-type]
    sample = sample_units(KAT_IDS, KAT_WEIGHTS, {"a": 2, "b": 2}, seed="kat", strata=["a", "b"] * 6)
    assert sample.selected == (
        "914400000000000005",
        "914400000000000006",
        "914400000000000010",
        "914400000000000011",
    )


# ---------------------------------------------------------------- fairness


FAIR_IDS = [f"u{i}" for i in range(10)]
FAIR_WEIGHTS = np.array([50.0, 20.0, 8.0, 4.0, 2.0, 1.0, 1.0, 0.5, 0.25, 0.25])
FAIR_SIZE = 4


@pytest.mark.slow
def test_bl5_tj5_draw_is_fair_over_20000_seeds() -> None:
    pi = inclusion_probabilities(FAIR_WEIGHTS, FAIR_SIZE)

    def draw(seed: str) -> tuple[object, ...]:
        return sample_units(FAIR_IDS, FAIR_WEIGHTS, FAIR_SIZE, seed=seed).selected

    worst = assert_fair(draw, FAIR_IDS, pi, seeds=20_000, tolerance_sigma=4.0)
    assert worst < 4.0


@pytest.mark.slow
def test_bl5_fairness_check_catches_successive_sampling() -> None:
    pi = inclusion_probabilities(FAIR_WEIGHTS, FAIR_SIZE)
    p = FAIR_WEIGHTS / FAIR_WEIGHTS.sum()

    def numpy_choice(seed: str) -> list[str]:
        rng = np.random.default_rng(int.from_bytes(DrawKey.derive(seed, "np").key[:8], "little"))
        rows = rng.choice(len(FAIR_IDS), FAIR_SIZE, replace=False, p=p)
        return [FAIR_IDS[i] for i in rows]

    with pytest.raises(AssertionError, match="sigma"):
        assert_fair(numpy_choice, FAIR_IDS, pi, seeds=5_000, tolerance_sigma=4.0)


# ---------------------------------------------------------------- strata


@given(populations(min_units=4, with_masks=False), st.data())
def test_bl5_strata_each_drawn_to_its_size(pop: Population, data: st.DataObject) -> None:
    labels = data.draw(
        st.lists(st.sampled_from("xyz"), min_size=len(pop.ids), max_size=len(pop.ids))
    )
    lab = np.array(labels)
    sizes = {}
    for name in sorted(set(labels)):
        positive = int(((lab == name) & (pop.weights > 0)).sum())
        sizes[name] = data.draw(st.integers(0, positive))
    sample = sample_units(pop.ids, pop.weights, sizes, seed="s", strata=labels)
    chosen = set(sample.selected)
    for name, k in sizes.items():
        members = {u for u, lb in zip(pop.ids, labels, strict=True) if lb == name}
        assert len(members & chosen) == k
    assert sample.stratum_sizes == sizes


def test_strata_need_a_size_mapping() -> None:
    with pytest.raises(InvalidInputError, match="map each stratum"):
        sample_units(["a", "b"], [1.0, 1.0], 1, seed="s", strata=["x", "y"])
    with pytest.raises(InvalidInputError, match="no sample size"):
        sample_units(["a", "b"], [1.0, 1.0], {"x": 1}, seed="s", strata=["x", "y"])
    with pytest.raises(InfeasibleError, match="stratum 'x'"):
        sample_units(["a", "b"], [1.0, 1.0], {"x": 2, "y": 0}, seed="s", strata=["x", "y"])


# ---------------------------------------------------------------- allocation


def test_allocate_proportional_largest_remainder() -> None:
    assert allocate_proportional({"a": 10, "b": 5, "c": 1}, 7) == {"a": 4, "b": 2, "c": 1}
    # Equal remainders: the label that sorts first wins.
    assert allocate_proportional({"b": 1, "a": 1}, 1) == {"a": 1, "b": 0}


def test_allocate_caps_at_stratum_size_and_redistributes() -> None:
    alloc = allocate_neyman({"a": 2, "b": 10}, {"a": 100.0, "b": 1.0}, 6)
    assert alloc == {"a": 2, "b": 4}


def test_allocate_neyman_known_values() -> None:
    assert allocate_neyman({"a": 10, "b": 5}, {"a": 1.0, "b": 4.0}, 6) == {"a": 2, "b": 4}
    assert allocate_neyman({"a": 3, "b": 3}, {"a": 0.0, "b": 0.0}, 4) == {"a": 2, "b": 2}


@given(
    st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(0, 50), min_size=1),
    st.data(),
)
def test_allocation_sums_to_total_within_sizes(sizes: dict[str, int], data: st.DataObject) -> None:
    total = data.draw(st.integers(0, sum(sizes.values())))
    sds = {k: data.draw(st.floats(0, 10)) for k in sizes}
    for alloc in (allocate_proportional(sizes, total), allocate_neyman(sizes, sds, total)):
        assert sum(alloc.values()) == total
        assert all(0 <= alloc[k] <= sizes[k] for k in sizes)


def test_allocation_rejects_impossible_totals() -> None:
    with pytest.raises(InfeasibleError, match="exceeds"):
        allocate_proportional({"a": 1}, 2)
    with pytest.raises(InvalidInputError, match="standard deviation"):
        allocate_neyman({"a": 1}, {"a": -1.0}, 1)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("bad", "where"), [(math.nan, "weights[1]"), (-1.0, "weights[1]"), (math.inf, "weights[1]")]
)
def test_bad_weights_are_named(bad: float, where: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(where)):
        inclusion_probabilities([1.0, bad, 1.0], 1)
    with pytest.raises(InvalidInputError, match=re.escape(where)):
        sample_units(["a", "b", "c"], [1.0, bad, 1.0], 1, seed="s")


def test_infeasible_requests() -> None:
    with pytest.raises(InfeasibleError, match="exceeds the 2 eligible"):
        inclusion_probabilities([1.0, 0.0, 1.0], 3)
    with pytest.raises(InfeasibleError, match="2 mandatory units exceed"):
        sample_units(["a", "b", "c"], [1.0, 1, 1], 1, seed="s", mandatory=["a", "b"])


def test_invalid_requests() -> None:
    with pytest.raises(InvalidInputError, match="both mandatory and excluded"):
        sample_units(["a", "b"], [1.0, 1], 1, seed="s", mandatory=["a"], excluded=["a"])
    with pytest.raises(InvalidInputError, match="duplicate unit id"):
        sample_units(["a", "b", "a"], [1.0, 1, 1], 1, seed="s")
    with pytest.raises(InvalidInputError, match="3 ids but 2 weights"):
        sample_units(["a", "b", "c"], [1.0, 1], 1, seed="s")
    with pytest.raises(InvalidInputError, match="unknown unit id"):
        sample_units(["a", "b"], [1.0, 1], 1, seed="s", mandatory=["z"])
    with pytest.raises(InvalidInputError, match="size must be"):
        inclusion_probabilities([1.0], 1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="mask has length"):
        inclusion_probabilities([1.0, 1.0], 1, mandatory=np.array([True]))


def test_failed_draw_changes_nothing() -> None:
    w = np.array([1.0, 2.0, 3.0])
    before = w.copy()
    with pytest.raises(InfeasibleError):
        sample_units(["a", "b", "c"], w, 3, seed="s", excluded=["a"])
    assert (w == before).all()


# ---------------------------------------------------------------- the record


def test_unit_sample_records_its_inputs() -> None:
    sample = sample_units(KAT_IDS, KAT_WEIGHTS, 5, seed=KAT_SEED, draw_id="d")
    assert sample.method == METHOD
    assert sample.seed == KAT_SEED.encode()
    assert sample.draw_id == "d"
    assert sample.size == 5
    other = sample_units(KAT_IDS, [*KAT_WEIGHTS[:-1], 2.0], 5, seed=KAT_SEED, draw_id="d")
    assert other.fingerprint != sample.fingerprint
    data = serde.unstructure(sample)
    assert data["selected"] == list(sample.selected)
    assert data["probabilities"] == dict(sample.probabilities)
    assert serde.canonical_json(sample)


def test_probability_table_is_a_read_only_mapping() -> None:
    table = ProbabilityTable.from_mapping({"b": 0.5, "a": 0.25})
    assert list(table) == ["a", "b"]
    assert table["b"] == 0.5
    assert "a" in table
    assert "z" not in table
    assert 1 not in table
    assert table == {"a": 0.25, "b": 0.5}
    with pytest.raises(KeyError):
        table["z"]


# ---------------------------------------------------------------- building blocks


@given(populations(with_masks=False, max_units=60), st.integers(1, 5))
def test_building_blocks_reproduce_the_draw_partition_by_partition(
    pop: Population, parts: int
) -> None:
    """What a partitioned engine does: exact partial reductions, then a carry over slices."""
    from drawcore.draw.lattice import balance_increments, lattice_increments, lattice_start
    from drawcore.draw.probabilities import (
        capped_stats,
        probabilities_from_c,
        solve_capping,
        weight_stats,
    )

    w = pop.weights
    chunks = np.array_split(w, parts)
    stats = [weight_stats(c) for c in chunks]
    gmax, positive = max(s[0] for s in stats), sum(s[1] for s in stats)
    scale = weight_scale(gmax)
    total = sum(grid_sum(c, scale) for c in chunks)

    def partitioned(c: float) -> tuple[int, int]:
        got = [capped_stats(ch, c, scale) for ch in chunks]
        return sum(g[0] for g in got), sum(g[1] for g in got)

    if 0 < pop.size < positive:
        c = solve_capping(pop.size, total, positive, scale, partitioned)
    else:
        c = 0.0 if pop.size == 0 else float("inf")
    pi = np.concatenate([probabilities_from_c(ch, c) for ch in chunks])
    assert (pi == inclusion_probabilities(w, pop.size)).all()  # bit for bit

    key = DrawKey.derive("seed", "units")
    ids = np.array(pop.ids, dtype=object).astype(str)
    canon = np.char.encode(ids, "utf-8")
    perm = canonical_order(hash_ids(key.child("order"), canon), canon)
    n_rest = pop.size - int((pi == 1.0).sum())
    m = lattice_bits(n_rest)
    p = lattice_increments(pi[perm], m)
    balance_increments(p, n_rest, m)
    start = lattice_start(key, m)
    carry = 0
    hits = []
    for piece in np.array_split(np.arange(p.shape[0]), parts):
        hit, carry = systematic_select(p[piece], start, m, carry)
        hits.append(hit)
    rows = np.concatenate([np.flatnonzero(pi == 1.0), perm[np.concatenate(hits)]])
    expected = tuple(sorted(ids[rows].tolist()))
    assert sample_units(pop.ids, w, pop.size, seed="seed").selected == expected


def test_sorted_registry_shortcut_gives_the_same_selection() -> None:
    ids = np.arange(400)
    w = (np.arange(400) % 11) + 0.5
    forward = sample_units(ids, w, 150, seed="sorted")
    backward = sample_units(ids[::-1].copy(), w[::-1].copy(), 150, seed="sorted")
    assert forward.selected == backward.selected
    assert list(forward.selected) == sorted(forward.selected)


@given(
    st.lists(st.text(alphabet="ab\u00e9\u5355", min_size=1, max_size=20), min_size=2, max_size=30),
    st.booleans(),
    st.sampled_from(["", "91440000MA"]),
)
def test_sortedness_of_text_ids_is_their_byte_order(
    ids: list[str], sort: bool, prefix: str
) -> None:
    """Strictly ascending by UTF-8 bytes, also when ids share their first words."""
    from drawcore.draw.randomness import canonical_ids
    from drawcore.draw.sampling import _ascending

    ids = [prefix + s for s in ids]
    if sort:
        ids = sorted(set(ids), key=lambda s: s.encode("utf-8"))
    raw = [s.encode("utf-8") for s in ids]
    expected = all(a < b for a, b in itertools.pairwise(raw))
    assert _ascending(canonical_ids(ids)) == expected


def test_sorted_text_registry_gives_the_same_selection_from_any_source() -> None:
    n = 3000
    codes = np.char.add("9144", np.char.zfill(np.arange(n).astype("U14"), 14))
    codes[::7] = [f"x{i}" for i in range(0, n, 7)]  # shorter ids among the codes
    codes = np.sort(codes)
    w = (np.arange(n) % 11) + 0.5
    forward = sample_units(codes, w, 1200, seed="sorted")
    back = sample_units(codes[::-1].copy(), w[::-1].copy(), 1200, seed="sorted")
    as_list = sample_units(codes.tolist(), w, 1200, seed="sorted")
    as_bytes = sample_units(np.char.encode(codes, "utf-8"), w, 1200, seed="sorted")
    assert forward.selected == back.selected == as_list.selected == as_bytes.selected
    assert list(forward.selected) == sorted(forward.selected)
    assert all(type(u) is str for u in forward.selected)


@pytest.mark.parametrize("halves", [False, True], ids=["one-core-select", "two-core-select"])
def test_large_draw_threads_give_the_same_sample(
    monkeypatch: pytest.MonkeyPatch, halves: bool
) -> None:
    """Threaded schedules (fingerprint placement, the selection pass in two halves
    with an integer carry) give exactly the single-threaded sample."""
    import drawcore.draw.sampling as sampling

    n = 300_000
    w = np.random.default_rng(7).gamma(2.0, 1.0, n)
    w[::97] = 1e6  # certainty units, so the halves also see the balancing adjustments
    ids = np.arange(n)
    if halves:
        monkeypatch.setattr(sampling, "_HALVES", sampling.CHUNK * 2)
    threaded = sample_units(ids, w, n // 3, seed="large")
    monkeypatch.setattr(sampling, "_PARALLEL", 10 * n)
    monkeypatch.setattr(sampling, "_HALVES", 10 * n)
    inline = sample_units(ids, w, n // 3, seed="large")
    assert threaded.selected == inline.selected
    assert threaded.fingerprint == inline.fingerprint
    a_ids, a_p = threaded.probabilities.arrays()  # type: ignore[attr-defined]
    b_ids, b_p = inline.probabilities.arrays()  # type: ignore[attr-defined]
    assert (a_p == b_p).all()
    assert len(threaded.selected) == n // 3
    assert (a_ids == b_ids).all()


@pytest.mark.parametrize(
    "weights",
    [
        [1e300, 3e299, 1.0],
        [1e-300, 3e-310, 2e-305, 0.0],
        [2.0**60, 1.0, 1.0, 2.0**-60],
        [1.0, 1.0, 1.888946593147858e22],
        [2.2250738585e-313, 2.2250738585e-313, 1e-320],
    ],
)
def test_bl5_extreme_weight_ratios_still_draw_exactly(weights: list[float]) -> None:
    pi = inclusion_probabilities(weights, 2)
    assert abs(pi.sum() - 2) <= 1e-12
    ids = [f"u{i}" for i in range(len(weights))]
    sample = sample_units(ids, weights, 2, seed="extreme")
    assert len(sample.selected) == 2
    assert sum(Fraction(v) for v in sample.probabilities.values()) == 2


def test_weights_beyond_float_range_are_refused_with_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="too wide a range"):
        inclusion_probabilities([1.0, 2.2250738585e-313, 2.2250738585e-313], 2)


def test_probability_lookups_do_not_rescan_the_population() -> None:
    """A lookup is a binary search over ids sorted once, not a pass over every unit."""
    n = 200_000
    ids = np.arange(n)[::-1].copy()
    sample = sample_units(ids, np.ones(n), 10, seed="lookup")
    table = sample.probabilities
    assert isinstance(table, ProbabilityTable)
    assert table[5] == pytest.approx(10 / n)
    cached = table._ascending_ids()
    for probe in (0, 17, n - 1):
        assert table[probe] == table[int(ids[n - 1 - probe])]
    assert table._ascending_ids() is cached
    assert 10 * n not in table
