"""The last look before anything is published: personal data and unsafe characters.

:func:`find_personal_data` is deliberately not the masker's patterns run again (a
scan that shares the masker's blind spots catches nothing the masker missed). It
normalises the text (NFKC: full-width digits become ASCII), walks it character by
character joining digits across up to three separator characters of a wider set,
and flags:

- a joined number that is a mobile number (with or without ``86``/``0086``), 15
  digits (an old ID-card number), 18 characters of digits and a final digit or
  ``X`` (unless it is a valid USCC and no valid ID-card number), a landline with
  its area code (``0`` and 10-12 digits), or 7-8 digits after a phone word;
- inside any unbroken run of digits (a word that is a valid USCC, a company's
  code, excepted), every 11-digit window that is a mobile
  number and every 18-character window whose birth date part is a date, whatever
  its check character.

It is stricter than the masker on purpose: what it flags the publication refuses.
:func:`find_unsafe_chars` finds control characters and bidirectional controls, which
must reach neither a published file nor a terminal.
"""

from __future__ import annotations

import re
import unicodedata

from drawcore.registry.ids import is_company_code

__all__ = ["UNSAFE_CHARS", "find_personal_data", "find_unsafe_chars", "is_verbatim"]

_SEPARATORS = frozenset(" \t\u3000-‐–—_.\\()[]·~")
_PHONE_WORDS = ("tel", "phone", "fax", "mob", "电话", "手机", "座机", "传真", "联系")
#: Bidirectional formatting characters (Unicode UAX #9) and other invisible controls.
UNSAFE_CHARS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c", "\ufeff"]
)
_HEX = re.compile(r"^(?:[0-9a-f]{2})*$")
_RFC3797_KEY = re.compile(r"^(?:(?:[0-9]+\.)*/)*$")


def is_verbatim(field: str, value: str) -> bool:
    """Whether ``value`` is a hash, seed or RFC 3797 key (published as it is, not scanned)."""
    if field in ("plan_hash", "seed", "root"):
        return bool(_HEX.match(value))
    if field == "seed_key":
        return bool(_RFC3797_KEY.match(value) or _HEX.match(value))
    return False


def _plausible_birth(digits: str) -> bool:
    year, month, day = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
    return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _joined_numbers(text: str) -> list[tuple[str, str, int]]:
    """(digits, raw text, start) of every number, digits joined across short separators."""
    numbers: list[tuple[str, str, int]] = []
    i, n = 0, len(text)
    while i < n:
        if not text[i].isdigit():
            i += 1
            continue
        start, digits, j = i, [], i
        while j < n:
            if text[j].isdigit():
                digits.append(text[j])
                j += 1
                continue
            if text[j] in "Xx" and len(digits) == 17:
                digits.append("X")
                j += 1
                break
            k = j
            while k < n and k - j < 3 and text[k] in _SEPARATORS:
                k += 1
            if k > j and k < n and text[k].isdigit():
                j = k
                continue
            break
        numbers.append(("".join(digits), text[start:j], start))
        i = max(j, i + 1)
    return numbers


def _whole_number(digits: str, before: str) -> bool:
    for prefix in ("0086", "86", ""):
        rest = digits[len(prefix) :] if digits.startswith(prefix) else None
        if rest is not None and len(rest) == 11 and rest[0] == "1" and rest[1] in "3456789":
            return True
    if len(digits) == 18 and digits[:17].isdigit():
        return not is_company_code(digits)
    if len(digits) == 15:
        return True
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        return True
    word = before.lower()
    return 7 <= len(digits) <= 8 and any(w in word for w in _PHONE_WORDS)


def _windows(run: str) -> list[str]:
    found = []
    for k in range(len(run) - 10):
        w = run[k : k + 11]
        if w[0] == "1" and w[1] in "3456789" and w.isdigit():
            found.append(w)
    for k in range(len(run) - 17):
        w = run[k : k + 18]
        company = is_company_code(w)
        if w[:17].isdigit() and _plausible_birth(w[6:14]) and not company:
            found.append(w)
    return found


def _not_personal(word: str) -> bool:
    """A company's USCC, or a SHA-256 digest (64 hex digits: a plan hash, a seed, a
    fingerprint), whose digit runs only look like numbers."""
    if len(word) == 18:
        return is_company_code(word)
    return len(word) == 64 and re.fullmatch(r"[0-9a-f]*[a-f][0-9a-f]*", word) is not None


def find_personal_data(text: str) -> list[str]:
    """Every number in ``text`` that may be a person's phone or ID-card number."""
    norm = unicodedata.normalize("NFKC", text)
    words = re.split(r"([0-9A-Za-z]+)", norm)
    norm = "".join(" " * len(w) if _not_personal(w) else w for w in words)
    found: list[str] = []
    for digits, raw, start in _joined_numbers(norm):
        if re.fullmatch(r"[0-9]+\.[0-9]+", raw):
            continue  # a decimal number
        if _whole_number(digits, norm[max(0, start - 8) : start]):
            found.append(raw)
            continue
        for run in re.findall(r"[0-9]+[Xx]?", raw):
            found.extend(_windows(run.upper()))
    return found


def find_unsafe_chars(text: str) -> list[str]:
    """Control and bidirectional-override characters in ``text``, as ``U+XXXX`` names."""
    return [
        f"U+{ord(ch):04X}"
        for ch in text
        if ch in UNSAFE_CHARS or unicodedata.category(ch) in ("Cc", "Cs", "Co")
    ]
