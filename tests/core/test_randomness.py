"""Keyed randomness: the documented construction, and known-answer vectors that pin the stream."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore.draw.randomness import DrawKey, canonical_ids, hash_ids, id_uniforms, to_uniforms
from drawcore.errors import InvalidInputError
from tests.spec_modules import REPLAY, load

replay = load(REPLAY)

SEED = "2026-11-23 public lottery"


def _lp(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def test_key_follows_the_documented_construction() -> None:
    key = DrawKey.derive(SEED, "units")
    expected = hashlib.sha256(b"drawcore/1\x00key" + _lp(SEED.encode()) + _lp(b"units")).digest()
    assert key.key == expected
    child = hashlib.sha256(b"drawcore/1\x00child" + expected + _lp(b"order")).digest()
    assert key.child("order").key == child


def test_stream_follows_the_documented_construction() -> None:
    key = DrawKey.derive(SEED, "units").child("start")
    block = hashlib.sha256(b"drawcore/1\x00stream" + key.key + (0).to_bytes(8, "big")).digest()
    words = [int.from_bytes(block[i : i + 8], "little") for i in range(0, 32, 8)]
    stream = key.stream()
    assert [stream.next_u64() for _ in range(4)] == words
    assert key.stream().uniform() == (words[0] >> 11) * 2.0**-53


def test_known_answer_stream() -> None:
    # Written once from this implementation: pins the stream so any change of
    # construction (and so of every published draw) is caught.
    key = DrawKey.derive(SEED, "units")
    assert key.key.hex() == "89e9d4e84fa80d53022ebb913b819c811d216e69c8fb565284db9b882e6de076"
    stream = key.child("start").stream()
    assert [stream.next_u64() for _ in range(5)] == [
        8435290533946559048,
        16012886164593920403,
        14312875757566734781,
        12070398076291782089,
        53943544408969153,
    ]
    stream = key.child("start").stream()
    assert [stream.uniform() for _ in range(3)] == [
        0.45727801612256347,
        0.8680602983707902,
        0.7759025495434482,
    ]
    stream = key.child("start").stream()
    assert [stream.below(10) for _ in range(8)] == [7, 0, 8, 8, 0, 2, 8, 7]


def test_known_answer_id_hashes() -> None:
    # Written once from this implementation: pins the per-id hash that orders units.
    key = DrawKey.derive(SEED, "units").child("order")
    ids = ["91440000MA4UABCD12", "91441322MA52XYZ7X0", "u"]
    assert hash_ids(key, ids).tolist() == [
        703971840615129586,
        2627401236395773562,
        18386981761589045652,
    ]
    assert hash_ids(key, np.array([0, 1, 2**40])).tolist() == [
        16315666148330591791,
        12352351035058724625,
        7059698487102022492,
    ]
    assert id_uniforms(DrawKey.derive(SEED, "units"), ["a", "b"]).tolist() == [
        0.5048774443554059,
        0.6753700253339758,
    ]


@given(st.lists(st.text(min_size=1).filter(lambda s: "\x00" not in s), min_size=1, max_size=30))
def test_hash_is_row_order_free(ids: list[str]) -> None:
    key = DrawKey.derive("s", "d")
    forward = dict(zip(ids, hash_ids(key, ids).tolist(), strict=True))
    backward = dict(zip(ids[::-1], hash_ids(key, ids[::-1]).tolist(), strict=True))
    assert forward == backward


def test_hash_does_not_depend_on_array_width() -> None:
    key = DrawKey.derive("s", "d")
    narrow = hash_ids(key, ["ab"])
    wide = hash_ids(key, ["ab", "a-much-longer-identifier-than-eight-bytes"])
    assert narrow[0] == wide[0]


def test_large_arrays_hash_like_small_ones() -> None:
    key = DrawKey.derive("s", "d")
    ids = np.arange(200_000)
    whole = hash_ids(key, ids)
    assert (whole[-5:] == hash_ids(key, ids[-5:])).all()


@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=50))
def test_uniforms_lie_in_unit_interval(words: list[int]) -> None:
    u = to_uniforms(np.array(words, dtype=np.uint64))
    assert ((u >= 0.0) & (u < 1.0)).all()


def test_below_has_no_modulo_bias() -> None:
    stream = DrawKey.derive("bias", "check").stream()
    draws = np.array([stream.below(3) for _ in range(30_000)])
    counts = np.bincount(draws, minlength=3)
    # Binomial sd of each count is sqrt(30000 * 1/3 * 2/3) ~ 82; 4 sigma ~ 330.
    assert np.abs(counts - 10_000).max() < 330


@pytest.mark.parametrize("bad", [["a", ""], ["a\x00b"], [1.5, 2.5]])
def test_bad_ids_are_rejected(bad: list[object]) -> None:
    with pytest.raises(InvalidInputError):
        canonical_ids(bad)


# ------------------------------------------------ an independent reading of construction 3

_MASK = (1 << 64) - 1
_C = 0x9E3779B97F4A7C15
_T_INT = int.from_bytes(b"int-id-1", "big")


def _fmix(x: int) -> int:
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & _MASK
    x ^= x >> 33
    x = (x * 0xC4CEB9FE1A85EC53) & _MASK
    return x ^ (x >> 33)


def _reference_hash(key: bytes, uid: str | int) -> int:
    """The module docstring's per-id hash, with Python integers only."""
    k0, k1, k2, k3 = (int.from_bytes(key[i : i + 8], "little") for i in range(0, 32, 8))
    if isinstance(uid, int):
        h = _fmix((((k0 ^ _T_INT) ^ (uid % 2**64)) * _C + k1) & _MASK)
    else:
        data = uid.encode("utf-8")
        data += b"\x00" * (-len(data) % 8)
        h = k0
        for j in range(0, len(data), 8):
            h = _fmix((((h ^ int.from_bytes(data[j : j + 8], "little")) * _C) + k1) & _MASK)
    return _fmix(h ^ k2) ^ k3


@given(
    st.lists(
        st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s),
        min_size=1,
        max_size=40,
        unique=True,
    )
)
def test_hash_follows_the_documented_construction(ids: list[str]) -> None:
    key = DrawKey.derive("s", "d").child("order")
    assert hash_ids(key, ids).tolist() == [_reference_hash(key.key, u) for u in ids]


def test_large_text_arrays_follow_the_documented_construction() -> None:
    """Both halves of a two-core hash, fixed-width codes mixed with shorter ids."""
    key = DrawKey.derive("s", "d").child("order")
    n = 300_000
    ids = np.char.add("91440000", np.char.zfill(np.arange(n).astype("U10"), 10))
    ids[::1000] = [f"u{i}" for i in range(0, n, 1000)]
    got = hash_ids(key, ids)
    rows = [*np.random.default_rng(3).choice(n, 500, replace=False).tolist(), 0, n - 1]
    assert [int(got[r]) for r in rows] == [_reference_hash(key.key, str(ids[r])) for r in rows]
    whole_ints = hash_ids(key, np.arange(n))
    assert [int(whole_ints[r]) for r in rows] == [_reference_hash(key.key, r) for r in rows]


@given(
    label=st.text(min_size=1, max_size=8),
    before=st.integers(0, 9),
    sizes=st.lists(st.integers(0, 13), min_size=1, max_size=5),
)
def test_shuffle_is_the_specifications_fisher_yates(
    label: str, before: int, sizes: list[int]
) -> None:
    """§7.3 by the reference program: Fisher-Yates from the end with ``below`` draws,
    from any point of the stream (the buffer part used, empty or refilled on the way)."""
    key = DrawKey.derive(SEED, "placement").child(label)
    ours, theirs = key.stream(), replay.Stream(key.key)
    for _ in range(before):
        assert ours.next_u64() == theirs.next_u64()
    for size in sizes:
        items = list(range(size))
        assert ours.shuffle(items) == replay.shuffle(theirs, items)
    assert ours.next_u64() == theirs.next_u64()  # both read the same number of words
