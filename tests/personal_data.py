"""An independent scanner for personal data in published output (BL-8, TJ-6).

Written apart from drawcore -- it imports nothing of it -- so a test that uses it does not
just repeat the code it checks, and one bug cannot blind both: any 18-character run that is a
valid GB 11643-1999 citizen ID number (a real birth date, the ISO 7064 MOD 11-2 check
character; overlapping runs included, lower-case ``x`` too), any 11-digit mainland mobile
number (``1`` then ``3``-``9``: 13x, 14x, 15x, 16x, 17x, 18x, 19x).
"""

from __future__ import annotations

import datetime as dt
import re

ID_RUN = re.compile(r"[0-9]{17}[0-9Xx]")
MOBILE_RUN = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
#: GB 11643-1999 section 7: weight of position i (1-based, from the left) is 2**(18-i) mod 11;
#: the check character is "10X98765432"[sum mod 11].
_WEIGHTS = [pow(2, 18 - i, 11) for i in range(1, 18)]
_CHECK = "10X98765432"


def is_citizen_id(run: str) -> bool:
    """Whether an 18-character run is a valid citizen ID number (``x`` read as ``X``)."""
    if not ID_RUN.fullmatch(run):
        return False
    try:
        dt.date(int(run[6:10]), int(run[10:12]), int(run[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(run[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == run[17].upper()


def unmasked_ids(text: str) -> list[str]:
    """Every valid ID-card number in ``text``."""
    return [text[i : i + 18] for i in range(len(text) - 17) if is_citizen_id(text[i : i + 18])]


def scan(text: str) -> list[str]:
    """Every valid ID-card number and mobile phone number in ``text``."""
    return unmasked_ids(text) + MOBILE_RUN.findall(text)
