"""Seed-forming inputs at their limits, and errors that name what is wrong (BL-9).

RFC 3797 §4 writes the round index as two bytes, so indexes 0..65535 exist and a pool has at
most 65535 items; a commitment salt has at least 16 bytes. Each refusal is a typed
:class:`InvalidInputError` whose message names the field at fault.
"""

from __future__ import annotations

import pytest

from drawcore.errors import InvalidInputError
from drawcore.record import seeding

KEY = "9319./2.5.8.10.12./9.18.26.34.41.45./"
AT = "2026-10-01T09:00:00+08:00"
SALT = bytes(range(16))


def test_bl9_rfc3797_index_is_two_bytes() -> None:
    assert len(seeding.rfc3797_digest(KEY, 0)) == 16
    assert seeding.rfc3797_digest(KEY, 65535) != seeding.rfc3797_digest(KEY, 65534)
    for bad in (-1, 65536):
        with pytest.raises(InvalidInputError, match=rf"^rfc3797 index {bad} outside 0\.\.65535$"):
            seeding.rfc3797_digest(KEY, bad)


def test_bl9_rfc3797_pool_and_count_limits() -> None:
    assert len(seeding.rfc3797_select(KEY, 65535, 2)) == 2
    assert seeding.rfc3797_select(KEY, 1, 1) == (1,)
    assert seeding.rfc3797_select(KEY, 5, 0) == ()
    for bad in (0, 65536):
        with pytest.raises(
            InvalidInputError, match=rf"^rfc3797 pool size {bad} outside 1\.\.65535"
        ):
            seeding.rfc3797_select(KEY, bad, 0)
    for bad in (-1, 6):
        with pytest.raises(InvalidInputError, match=rf"^rfc3797 count {bad} outside 0\.\.5$"):
            seeding.rfc3797_select(KEY, 5, bad)


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ([], r"^rfc3797 sources: at least one source of public numbers is needed$"),
        ([[]], r"^rfc3797 source 0 is empty$"),
        ([7, [2, -1]], r"^rfc3797 source 1: -1 is not a non-negative integer$"),
    ],
)
def test_bl9_rfc3797_key_errors_name_the_source(sources: list[object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        seeding.rfc3797_key(sources)  # type: ignore[arg-type]


def test_bl9_commitment_needs_a_contribution_and_a_16_byte_salt() -> None:
    assert len(seeding.commit_contribution(b"x", SALT)) == 64
    with pytest.raises(InvalidInputError, match=r"^a party's contribution must not be empty$"):
        seeding.commit_contribution(b"", SALT)
    with pytest.raises(InvalidInputError, match=r"^a commitment salt must be at least 16 bytes"):
        seeding.commit_contribution(b"x", SALT[:15])
    with pytest.raises(InvalidInputError, match=r"^a parties seed needs at least one revealed"):
        seeding.parties_seed({})


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: seeding.party_commitment_body("p", " ", "ab" * 32, committed_at=AT), r"^party "),
        (
            lambda: seeding.party_commitment_body("p", "县局", "zz", committed_at=AT),
            r"^commitment ",
        ),
        (
            lambda: seeding.party_commitment_body("p", "县局", "ab", committed_at="2026-10-01"),
            r"^committed_at '2026-10-01' has no UTC offset",
        ),
        (
            lambda: seeding.party_reveal_body("p", "县局", b"c", SALT, revealed_at="soon"),
            r"^revealed_at 'soon' is not an ISO 8601 timestamp$",
        ),
        (
            lambda: seeding.plan_commitment_body(" ", {}, committed_at=AT, committed_by="王"),
            r"^plan_id ",
        ),
        (
            lambda: seeding.plan_commitment_body("p", {}, committed_at=AT, committed_by=""),
            r"^committed_by ",
        ),
        (
            lambda: seeding.plan_commitment_body("p", {}, committed_at="x", committed_by="王"),
            r"^committed_at 'x' is not an ISO 8601 timestamp$",
        ),
        (
            lambda: seeding.seed_body(
                "p", "ab", entropy_at="x", recorded_at=AT, reveals={"a": b"1"}
            ),
            r"^entropy_at 'x' is not an ISO 8601 timestamp$",
        ),
        (
            lambda: seeding.seed_body(
                "p", "ab", entropy_at=AT, recorded_at="x", reveals={"a": b"1"}
            ),
            r"^recorded_at 'x' is not an ISO 8601 timestamp$",
        ),
        (
            lambda: seeding.seed_body("p", "ab", entropy_at=AT, recorded_at=AT),
            r"^a seed needs rfc3797_sources, reveals, or both$",
        ),
        (lambda: seeding.void_body(3, "", voided_by="王建国", at=AT), r"^reason "),
        (lambda: seeding.void_body(3, "录入错误", voided_by="", at=AT), r"^voided_by "),
        (
            lambda: seeding.void_body(3, "录入错误", voided_by="王建国", at="yesterday"),
            r"^at 'yesterday' is not an ISO 8601 timestamp$",
        ),
    ],
)
def test_bl9_record_bodies_name_the_bad_field(call: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call()  # type: ignore[operator]


def test_bl9_record_bodies_hold_what_they_record() -> None:
    assert seeding.void_body(3, "录入错误", voided_by="王建国", at=AT) == {
        "voids": 3,
        "reason": "录入错误",
        "voided_by": "王建国",
        "at": AT,
    }
    assert seeding.party_reveal_body("p", "县局", b"\x01c", SALT, revealed_at=AT) == {
        "plan_id": "p",
        "party": "县局",
        "contribution": "0163",
        "salt": SALT.hex(),
        "revealed_at": AT,
    }
    assert seeding.party_commitment_body("p", "县局", "ab" * 32, committed_at=AT) == {
        "plan_id": "p",
        "party": "县局",
        "commitment": "ab" * 32,
        "committed_at": AT,
    }
