"""Masking personal data for publication (BL-8, TJ-6).

Two layers. :func:`default_mask` knows the fields: the one rule of
:mod:`drawcore.masking` (NAT-6), applied after any plugin's answer so that
blocking the plugin masks no less. :func:`scrub` reads free text
(a handling opinion quoting a number) and masks every number that may be a
person's, however it is written: ``+86 135-0461-9603``, ``135 0461 9603``,
full-width ``１３５０４６１９６０３``, ``Tel.6123456``, a landline ``0752-6123456``,
an 18-character ID-card number glued to letters or with a wrong check character,
and a 15-digit ID-card number of the old kind.

A number is a run of digits (ASCII or full-width) with up to three spaces, dashes,
dots or brackets between digits; a decimal fraction (``0.135046196``) is not one.
What the run's digits are decides how it is masked. An 18-character run that is a
valid USCC (a company's code, published) and not a valid ID-card number is kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from drawcore.masking import mask_personal_field
from drawcore.model import IdKind, Unit
from drawcore.registry.ids import is_company_code, mask_id_card, mask_name

__all__ = ["Masker", "default_mask", "mask_known_names", "scrub"]

Masker = Callable[[str, str, Unit | None], str]
"""``mask(field, value, unit) -> published text`` (the shape of ``Rules.mask``)."""

_DIGIT = "[0-9０-９]"
_SEP = "[ \u3000\\-－‐–—.．()（）]"
#: A number as people write one: digits with single separators, maybe an ``X`` glued last,
#: maybe a ``+``/``＋`` country prefix; not the fraction part of a decimal.
_NUMBER = re.compile(
    rf"(?<![0-9０-９][.．])(?<![0-9０-９])[+＋]?{_DIGIT}(?:{_SEP}{{0,3}}{_DIGIT})*[XxＸｘ]?(?![0-9０-９])"
)
_DECIMAL = re.compile(r"^[0-9]+[.．][0-9]+$")
_PHONE_WORD = re.compile(r"(?:tel|phone|fax|电话|手机|座机|传真|联系方式)[.:：\s]*$", re.IGNORECASE)
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_USCC = re.compile(r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{18}(?![0-9A-Za-z])")


def default_mask(field: str, value: str, unit: Unit | None) -> str:
    """The masking every publication applies to a field (after any plugin's):
    :func:`drawcore.masking.mask_personal_field`, the value as it is where that has none."""
    masked = mask_personal_field(field, value, unit)
    return value if masked is None else masked


def mask_known_names(text: str, unit: Unit | None) -> str:
    """The unit's personal names (a person's name, the person in charge) masked in free text."""
    if unit is None:
        return text
    names = [unit.person_in_charge]
    if unit.id_kind is IdKind.ID_CARD:
        names.append(unit.name)
    for name in sorted({n for n in names if len(n) > 1}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text


def _ascii_digits(text: str) -> str:
    """The digits (and a final X) of a number, full-width ones as ASCII."""
    out = []
    for ch in text:
        if ch.isdigit():
            out.append(str(unicodedata.digit(ch)))
        elif ch in "XxＸｘ":
            out.append("X")
    return "".join(out)


def _keep_ends(digits: str, head: int, tail: int) -> str:
    return digits[:head] + "*" * (len(digits) - head - tail) + digits[-tail:]


def _masked(digits: str, keyword: bool) -> str | None:
    """The masked form of a number's digits, or ``None`` when it is not personal data."""
    national = digits
    for prefix in ("0086", "86"):
        if national.startswith(prefix) and _MOBILE.fullmatch(national[len(prefix) :]):
            return "+86 " + _keep_ends(national[len(prefix) :], 3, 4)
    if _MOBILE.fullmatch(national):
        return _keep_ends(national, 3, 4)
    if len(digits) == 18 and digits[:17].isdigit():
        if is_company_code(digits):
            return None
        return mask_id_card(digits)
    if len(digits) == 15 and digits.isdigit():
        return _keep_ends(digits, 6, 3)
    if digits.startswith("0") and 10 <= len(digits) <= 12 and digits.isdigit():
        return _keep_ends(digits, 4, 2)
    if keyword and 7 <= len(digits) <= 8 and digits.isdigit():
        return _keep_ends(digits, 2, 2)
    return None


def _mask_number(text: str, match: re.Match[str]) -> str:
    raw = match.group(0)
    if _DECIMAL.match(raw):
        return raw
    keyword = bool(_PHONE_WORD.search(text[max(0, match.start() - 12) : match.start()]))
    whole = _masked(_ascii_digits(raw), keyword)
    if whole is not None:
        return whole
    if raw[-1] in "XxＸｘ":
        return _mask_number_text(raw[:-1], keyword) + raw[-1]
    return _mask_number_text(raw, keyword)


def _mask_number_text(raw: str, keyword: bool) -> str:
    whole = _masked(_ascii_digits(raw), keyword)
    if whole is not None:
        return whole
    # Two numbers side by side ("2026-02-03 13504619603"): mask the parts that are personal.
    parts = re.split(r"([ \u3000]+)", raw)
    if len(parts) > 1:
        return "".join(
            p if p.isspace() or not p else (_masked(_ascii_digits(p), keyword) or p) for p in parts
        )
    return _mask_glued(raw)


def _mask_glued(raw: str) -> str:
    """A mobile number or ID-card number inside a longer run of digits."""
    digits = _ascii_digits(raw)
    if digits != raw:
        return raw
    out = re.sub(r"[0-9]{17}[0-9X]", lambda m: mask_id_card(m.group(0)), digits)
    return _MOBILE.sub(lambda m: _keep_ends(m.group(0), 3, 4), out)


def _scrub_part(text: str) -> str:
    return _NUMBER.sub(lambda m: _mask_number(text, m), text)


def scrub(text: str) -> str:
    """``text`` with every number that may be a person's (phone, ID-card number) masked;
    a company's USCC (:func:`~drawcore.registry.ids.is_company_code`) is kept whole."""
    out, last = [], 0
    for m in _USCC.finditer(text):
        code = m.group(0)
        if is_company_code(code):
            out += [_scrub_part(text[last : m.start()]), m.group(0)]
            last = m.end()
    out.append(_scrub_part(text[last:]))
    return "".join(out)
