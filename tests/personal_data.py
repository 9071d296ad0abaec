"""An independent scanner for personal data in published output (BL-8, TJ-6).

Written apart from ``drawcore.disclosure``'s own patterns, so a test that uses it does
not just repeat the code it checks: any 18-character run that is a valid GB 11643
ID-card number (overlapping runs included, lower-case ``x`` too), any 11-digit mobile
number.
"""

from __future__ import annotations

import re

from drawcore.registry.ids import is_valid_id_card

ID_RUN = re.compile(r"[0-9]{17}[0-9Xx]")
MOBILE_RUN = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def unmasked_ids(text: str) -> list[str]:
    """Every valid ID-card number in ``text``."""
    return [
        text[i : i + 18]
        for i in range(len(text) - 17)
        if ID_RUN.fullmatch(text[i : i + 18]) and is_valid_id_card(text[i : i + 18].upper())
    ]


def scan(text: str) -> list[str]:
    """Every valid ID-card number and mobile phone number in ``text``."""
    return unmasked_ids(text) + MOBILE_RUN.findall(text)
