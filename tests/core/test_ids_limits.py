"""Identifier checks and masks at their limits (BL-3, BL-8, TJ-6).

A mask never publishes a value whole, whatever its length: an ID-card number keeps its
first 6 and last 4 characters only when something is left to star between them, a phone
its first 3 and last 4. Refusals say what is wrong.
"""

from __future__ import annotations

import datetime as dt

import pytest

from drawcore.registry.ids import (
    id_card_check_char,
    id_card_problem,
    make_id_card,
    mask_id_card,
    mask_phone,
    uscc_problem,
)


@pytest.mark.parametrize("length", range(1, 25))
def test_bl8_masks_never_publish_a_value_whole(length: int) -> None:
    value = "".join(str((7 * k + 3) % 10) for k in range(length))
    for mask in (mask_id_card, mask_phone):
        masked = mask(value)
        assert len(masked) == length
        assert "*" in masked, (mask.__name__, masked)
        assert masked != value


def test_bl8_mask_boundaries() -> None:
    assert mask_id_card("1234567890") == "**********"
    assert mask_id_card("12345678901") == "123456*8901"
    assert mask_phone("1234567") == "*******"
    assert mask_phone("12345678") == "123*5678"


def test_bl3_uscc_problems_say_what_is_wrong() -> None:
    assert uscc_problem("91I4130074550860XA") == (
        "'I' is not a USCC character (allowed: 0-9 and ABCDEFGHJKLMNPQRTUWXY)"
    )
    assert uscc_problem("91A4130074550860XA") == (
        "characters 3-8 of a USCC (the administrative division code) must be digits"
    )


def test_bl3_id_card_problems_say_what_is_wrong() -> None:
    assert id_card_problem("11010519491231A02X") == (
        "the first 17 characters of an ID-card number must be digits"
    )
    with pytest.raises(ValueError, match=r"^an ID-card body is 17 ASCII digits$"):
        id_card_check_char("1101051949123100")
    with pytest.raises(ValueError, match=r"^the region code has 6 digits$"):
        make_id_card("11010", dt.date(1949, 12, 31), 2)


def test_bl3_make_id_card_limits() -> None:
    assert make_id_card("110105", dt.date(1949, 12, 31), 2) == "11010519491231002X"
    with pytest.raises(ValueError, match=r"^the sequence number is 0\.\.999$"):
        make_id_card("110105", dt.date(1949, 12, 31), 1000)
    with pytest.raises(ValueError, match=r"^the birth year must have four digits$"):
        make_id_card("110105", dt.date(999, 12, 31), 2)
