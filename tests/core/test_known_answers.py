"""Known answers for drawcore's own constructions, written once from their specification.

The seeds are specified in the docstring of :mod:`drawcore.record.seeding` and the stream in
:mod:`drawcore.draw.randomness`. Each hex vector below was derived by hand from that text with
nothing but ``hashlib`` (never by calling drawcore), e.g. for the RFC 3797 seed::

    python3 -c 'import hashlib; print(hashlib.sha256(b"drawcore/seed/rfc3797" + b"\\x00"
        + b"9319./2.5.8.10.12./9.18.26.34.41.45./").hexdigest())'

so a dropped separator, a swapped concatenation or a missing length prefix changes the answer.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from drawcore.draw.lattice import lattice_start
from drawcore.draw.randomness import DrawKey
from drawcore.record import seeding

# RFC 3797 section 6: the key string of its worked example.
RFC_KEY = "9319./2.5.8.10.12./9.18.26.34.41.45./"
RFC_SOURCES: list[int | list[int]] = [9319, [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]
# SHA-256("drawcore/seed/rfc3797" || 0x00 || key)
RFC_SEED = "fb12d06281c958c7bfcee6add5939c1392093bae5f158f4788ac15e7a939080f"

# Two parties, one named in Chinese (its UTF-8 bytes sort after the ASCII name), one
# contribution holding NUL bytes: SHA-256("drawcore/seed/parties" || 0x00 ||
# L("citizen-panel") || "citizen-panel" || L(c1) || c1 ||
# L("县应急管理局") || "县应急管理局" || L(c2) || c2), with L the 8-byte big-endian length.
REVEALS = {
    "县应急管理局": b"county-contribution-2026",
    "citizen-panel": b"\x00\x01\x02 panel bytes",
}
PARTIES_SEED = "5eaa5bcff44ccfc453272ee9816e8f706f1b48eac76d611c758049068fbca164"
ONE_PARTY = {"县应急管理局": b"only-party"}
ONE_PARTY_SEED = "1afd5ba459b0227180ec4bc9c7cdf077d957137d6570746caf793e4c5e4add6c"
# SHA-256("drawcore/seed/combined" || 0x00 || RFC_SEED bytes || PARTIES_SEED bytes)
COMBINED_SEED = "b22cba45d5d1f279925bde289e59a514750a87ed2633fc9c1161cb2d54f9dcd6"

# The systematic start of draw "units" under this seed: the first uint64 of the SHA-256
# stream of key.child("start") (block 0, bytes 0..7 little-endian) is 8435290533946559048;
# the start on [0, 2**m) is its top m bits.
LOTTERY = "2026-11-23 public lottery"
FIRST_WORD = 8435290533946559048
STARTS = {1: 0, 2: 1, 8: 117, 20: 479490, 52: 2059397103014296}

T0 = "2026-10-01T09:00:00+08:00"
T1 = "2026-10-02T20:30:00+08:00"


def test_bl9_rfc3797_seed_known_answer() -> None:
    assert seeding.rfc3797_key(RFC_SOURCES) == RFC_KEY
    assert seeding.rfc3797_seed(RFC_KEY).hex() == RFC_SEED


def test_bl9_parties_seed_known_answers() -> None:
    assert seeding.parties_seed(REVEALS).hex() == PARTIES_SEED
    assert seeding.parties_seed(dict(reversed(REVEALS.items()))).hex() == PARTIES_SEED
    assert seeding.parties_seed(ONE_PARTY).hex() == ONE_PARTY_SEED


def test_bl9_combined_seed_known_answer_and_order_of_parts() -> None:
    rfc, parties = bytes.fromhex(RFC_SEED), bytes.fromhex(PARTIES_SEED)
    assert seeding.combined_seed(rfc, parties).hex() == COMBINED_SEED
    assert seeding.combined_seed(parties, rfc).hex() != COMBINED_SEED


@pytest.mark.parametrize(
    ("sources", "reveals", "method", "seed"),
    [
        (RFC_SOURCES, None, "rfc3797", RFC_SEED),
        (None, REVEALS, "parties", PARTIES_SEED),
        (RFC_SOURCES, REVEALS, "rfc3797+parties", COMBINED_SEED),
    ],
)
def test_bl9_seed_record_carries_the_specified_seed(
    sources: list[int | list[int]] | None,
    reveals: dict[str, bytes] | None,
    method: str,
    seed: str,
) -> None:
    body = seeding.seed_body(
        "plan-1",
        "ab" * 32,
        entropy_at=T0,
        recorded_at=T1,
        rfc3797_sources=sources,
        reveals=reveals,
    )
    assert (body["method"], body["seed"]) == (method, seed)
    if sources is not None:
        assert body["key"] == RFC_KEY


def _lp(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def _first_word(seed: bytes, draw_id: bytes) -> int:
    """The first uint64 of ``DrawKey.derive(seed, draw_id).child("start").stream()``,
    from the construction in :mod:`drawcore.draw.randomness`, steps 1 and 2."""
    key = hashlib.sha256(b"drawcore/1\x00key" + _lp(seed) + _lp(draw_id)).digest()
    child = hashlib.sha256(b"drawcore/1\x00child" + key + _lp(b"start")).digest()
    block = hashlib.sha256(b"drawcore/1\x00stream" + child + (0).to_bytes(8, "big")).digest()
    return int.from_bytes(block[:8], "little")


def test_bl5_lattice_start_known_answers() -> None:
    key = DrawKey.derive(LOTTERY, "units")
    assert _first_word(LOTTERY.encode(), b"units") == FIRST_WORD
    for m, start in STARTS.items():
        assert lattice_start(key, m) == start == FIRST_WORD >> (64 - m)


@pytest.mark.parametrize("m", range(1, 11))
def test_bl5_lattice_start_covers_exactly_its_range_for_small_m(m: int) -> None:
    """Every start in ``[0, 2**m)`` occurs and nothing outside it; each is the top m bits."""
    full = 1 << m
    seen: set[int] = set()
    n = 0
    while len(seen) < full and n < 40 * full:
        seed = f"range-{m}-{n}".encode()
        start = lattice_start(DrawKey.derive(seed, "units"), m)
        assert 0 <= start < full, (m, n, start)
        assert start == _first_word(seed, b"units") >> (64 - m)
        seen.add(start)
        n += 1
    assert seen == set(range(full)), f"m={m}: never saw {sorted(set(range(full)) - seen)[:5]}"


def test_bl5_lattice_start_is_uniform() -> None:
    """m = 3 over 8,000 fixed seeds: chi-square with 7 degrees of freedom below 24.32
    (the 0.999 quantile), so a fair start fails one run in a thousand at most."""
    m, n = 3, 8000
    counts = Counter(lattice_start(DrawKey.derive(f"u-{k}", "units"), m) for k in range(n))
    expected = n / (1 << m)
    chi2 = sum((counts.get(v, 0) - expected) ** 2 / expected for v in range(1 << m))
    assert chi2 < 24.32, (chi2, sorted(counts.items()))
