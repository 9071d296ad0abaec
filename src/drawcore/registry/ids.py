"""National identifiers: USCC (GB 32100-2015) and ID-card numbers (GB 11643-1999), and masking.

A registry must not accept a mistyped identifier (BL-3, TJ-3): both codes carry a
check character, so a single wrong character is always caught. Masking helpers
hide personal data on publication (BL-8, TJ-6) while keeping a record findable.

The ``make_*`` functions build valid codes from a body; tests and the example
generator use them, and ``drawcore.testing`` may re-export them.
"""

from __future__ import annotations

import datetime as dt

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg

__all__ = [
    "ID_CARD_WEIGHTS",
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "id_card_check_char",
    "id_card_problem",
    "is_valid_id_card",
    "is_valid_uscc",
    "make_id_card",
    "make_uscc",
    "mask_id_card",
    "mask_name",
    "mask_phone",
    "uscc_check_char",
    "uscc_problem",
]

#: The 31 characters a USCC may use (GB 32100-2015 table 1: no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weights of positions 1..17 (3**i mod 31).
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}

#: Weights of positions 1..17 of an ID-card number: 2**(17-i) mod 11 (ISO 7064 MOD 11-2).
ID_CARD_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"


def uscc_check_char(body: str) -> str:
    """The check character (position 18) for a 17-character USCC body.

    ``check = 31 - (sum(value_i * weight_i) mod 31)``, with 31 written as ``0``.
    Raises ``ValueError`` if the body is not 17 characters of the USCC alphabet.
    """
    if len(body) != 17:
        raise InvalidInputError(msg("a USCC body has 17 characters, got {count}", count=len(body)))
    total = 0
    for ch, weight in zip(body, USCC_WEIGHTS, strict=True):
        value = _USCC_VALUE.get(ch)
        if value is None:
            raise InvalidInputError(msg("{char} is not a USCC character", char=repr(ch)))
        total += value * weight
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, or ``None`` if it is (message for error reports)."""
    if len(code) != 18:
        return msg("a USCC has 18 characters, got {count}", count=len(code))
    bad = [ch for ch in code if ch not in _USCC_VALUE]
    if bad:
        return msg(
            "{char} is not a USCC character (allowed: 0-9 and {letters})",
            char=repr(bad[0]),
            letters=USCC_ALPHABET[10:],
        )
    if not code[2:8].isdigit():
        return msg("characters 3-8 of a USCC (the administrative division code) must be digits")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return msg(
            "wrong USCC check character {char} (expected {expected})",
            char=repr(code[17]),
            expected=repr(expected),
        )
    return None


def is_valid_uscc(code: str) -> bool:
    """Whether ``code`` is a well-formed USCC with the right check character."""
    return uscc_problem(code) is None


def make_uscc(body: str) -> str:
    """``body`` (17 characters) followed by its check character."""
    return body + uscc_check_char(body)


def id_card_check_char(body: str) -> str:
    """The check character for the first 17 digits of an ID-card number (GB 11643, MOD 11-2)."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise InvalidInputError(msg("an ID-card body is 17 ASCII digits"))
    total = sum(int(d) * w for d, w in zip(body, ID_CARD_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_card_problem(number: str) -> str | None:
    """Why ``number`` is not a valid 18-character ID-card number, or ``None`` if it is.

    Checks the length, the digits, the birth date (a real calendar date) and the check
    character. An ``x`` in last place is not accepted: the standard writes ``X``.
    """
    if len(number) != 18:
        return msg("an ID-card number has 18 characters, got {count}", count=len(number))
    body, check = number[:17], number[17]
    if not (body.isascii() and body.isdigit()):
        return msg("the first 17 characters of an ID-card number must be digits")
    try:
        dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return msg(
            "birth date {date} in the ID-card number is not a calendar date", date=body[6:14]
        )
    expected = id_card_check_char(body)
    if check != expected:
        return msg(
            "wrong ID-card check character {char} (expected {expected})",
            char=repr(check),
            expected=repr(expected),
        )
    return None


def is_valid_id_card(number: str) -> bool:
    """Whether ``number`` is a valid 18-character ID-card number."""
    return id_card_problem(number) is None


def is_company_code(code: str) -> bool:
    """Whether ``code`` is kept whole in a publication as a company's USCC: a valid USCC
    that does not read as an ID-card number. A number of 17 digits holding a birth date
    (1900-2099) reads as one whatever its last character, since about one such number
    in 31 also passes the USCC check by chance; it is masked as a person's."""
    if not is_valid_uscc(code):
        return False
    body = code[:17]
    if not (body.isascii() and body.isdigit()) or body[6:8] not in ("19", "20"):
        return True
    try:
        dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return True
    return False


def make_id_card(region: str, birth: dt.date, sequence: int) -> str:
    """A valid ID-card number: 6-digit region code, birth date, 3-digit sequence, check."""
    if len(region) != 6 or not region.isdigit():
        raise InvalidInputError(msg("the region code has 6 digits"))
    if not 0 <= sequence <= 999:
        raise InvalidInputError(msg("the sequence number is 0..999"))
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    if len(body) != 17:
        raise InvalidInputError(msg("the birth year must have four digits"))
    return body + id_card_check_char(body)


def mask_id_card(number: str) -> str:
    """Keep the first 6 and last 4 characters (region and check), star the rest."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 characters of a phone number, star the rest."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """A person's name as its first character followed by ``*`` (e.g. 张三丰 -> 张*)."""
    return name[:1] + "*" if name else ""
