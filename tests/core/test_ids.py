"""USCC (GB 32100-2015) and ID-card (GB 11643-1999) checks, and masking (BL-3, BL-8, TJ-6)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore.registry.ids import (
    USCC_ALPHABET,
    id_card_check_char,
    id_card_problem,
    is_valid_id_card,
    is_valid_uscc,
    make_id_card,
    make_uscc,
    mask_id_card,
    mask_name,
    mask_phone,
    uscc_check_char,
    uscc_problem,
)

# Published valid codes: the example; hutool's Validator test (91350500676532779B);
# other open-source validators' documented examples.
PUBLISHED_USCC = ["91310110666007217T", "91350500676532779B", "91350100M000100Y43"]
# The examples; hutool's IdcardUtil test; the CheckID_card README (valid ...01X).
PUBLISHED_ID_CARDS = [
    "11010519491231002X",
    "440524188001010014",
    "11010119900307299X",
    "34052419800101001X",
]


@pytest.mark.parametrize("code", PUBLISHED_USCC)
def test_bl3_published_usccs_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("number", PUBLISHED_ID_CARDS)
def test_bl3_published_id_cards_are_valid(number: str) -> None:
    assert is_valid_id_card(number)
    assert id_card_check_char(number[:17]) == number[17]


def test_bl3_published_invalid_id_card_is_rejected() -> None:
    # CheckID_card README: 340524198001010013 fails, the check character should be X
    assert id_card_problem("340524198001010013") == (
        "wrong ID-card check character '3' (expected 'X')"
    )


def test_uscc_weights_are_powers_of_three_mod_31() -> None:
    from drawcore.registry.ids import USCC_WEIGHTS

    assert tuple(pow(3, i, 31) for i in range(17)) == USCC_WEIGHTS


usccs = st.builds(
    lambda a, b, c: make_uscc(a + b + c),
    st.text(USCC_ALPHABET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_ALPHABET, min_size=9, max_size=9),
)

id_cards = st.builds(
    make_id_card,
    st.text("0123456789", min_size=6, max_size=6),
    st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)),
    st.integers(0, 999),
)


@given(usccs)
def test_bl3_generated_usccs_are_accepted(code: str) -> None:
    assert uscc_problem(code) is None


@given(usccs, st.integers(0, 17), st.sampled_from(USCC_ALPHABET + "IOSVZa-"))
def test_bl3_any_single_character_change_of_a_uscc_is_rejected(
    code: str, position: int, char: str
) -> None:
    changed = code[:position] + char + code[position + 1 :]
    if changed != code:
        assert not is_valid_uscc(changed)


@given(id_cards)
def test_bl3_generated_id_cards_are_accepted(number: str) -> None:
    assert id_card_problem(number) is None


@given(id_cards, st.integers(0, 17), st.sampled_from("0123456789Xx"))
def test_bl3_any_single_character_change_of_an_id_card_is_rejected(
    number: str, position: int, char: str
) -> None:
    changed = number[:position] + char + number[position + 1 :]
    if changed != number:
        assert not is_valid_id_card(changed)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91310110666007217", "18 characters"),
        ("91310110666007217TT", "18 characters"),
        ("9131011066600721OT", "'O' is not a USCC character"),
        ("91A10110666007217T", "must be digits"),
        ("91310110666007217A", "wrong USCC check character 'A' (expected 'T')"),
    ],
)
def test_uscc_problem_says_what_is_wrong(code: str, fragment: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None
    assert fragment in problem


def test_id_card_birth_date_must_be_a_calendar_date() -> None:
    body = "11010519490230002"  # 30 February
    number = body + id_card_check_char(body)
    assert id_card_problem(number) == (
        "birth date 19490230 in the ID-card number is not a calendar date"
    )


def test_lower_case_x_is_not_accepted() -> None:
    assert not is_valid_id_card("11010519491231002x")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("11010", dt.date(2000, 1, 1), 1), "6 digits"),
        (("110105", dt.date(2000, 1, 1), 1000), "0..999"),
    ],
)
def test_make_id_card_rejects_bad_parts(args: tuple[str, dt.date, int], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        make_id_card(*args)


def test_check_char_rejects_bad_bodies() -> None:
    with pytest.raises(ValueError, match="17"):
        uscc_check_char("123")
    with pytest.raises(ValueError, match="not a USCC character"):
        uscc_check_char("9131011066600721I")
    with pytest.raises(ValueError, match="17 ASCII digits"):
        id_card_check_char("1101051949123100X")


def test_bl8_masking_examples() -> None:
    assert mask_id_card("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张*"
    assert mask_name("李四") == "李*"
    assert mask_name("") == ""
    assert mask_phone("12345") == "*****"
    assert mask_id_card("12345") == "*****"


@given(id_cards)
def test_tj6_masked_id_card_keeps_region_and_last_four_only(number: str) -> None:
    masked = mask_id_card(number)
    assert len(masked) == len(number)
    assert masked[:6] == number[:6]
    assert masked[-4:] == number[-4:]
    assert set(masked[6:-4]) == {"*"}


@given(st.text("0123456789", min_size=8, max_size=15))
def test_tj6_masked_phone_keeps_three_and_four(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked[:3] == phone[:3]
    assert masked[-4:] == phone[-4:]
    assert set(masked[3:-4]) == {"*"}
    assert len(masked) == len(phone)


@given(st.text(min_size=1, max_size=6))
def test_tj6_masked_name_is_first_character_and_a_star(name: str) -> None:
    assert mask_name(name) == name[0] + "*"
