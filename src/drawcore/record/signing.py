"""Who drew and who signed, and when: 谁抽查、谁签字、谁负责 (TJ-9), as one value.

A draw's four accountability fields travel together from the command line through
the ceremony steps into the draw record; :class:`Signing` checks them once where
they enter (both people named, both times ISO 8601 with an offset, the signature
not before the draw), and the records keep them as the same four JSON keys.
"""

from __future__ import annotations

from typing import Any

import attrs

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.record.seeding import parse_time

__all__ = ["Signing"]


def _person(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(
            msg(
                "{name} must name a person (TJ-9 谁抽查、谁签字), got {value!r}",
                name=attribute.name,
                value=value,
            )
        )


def _time(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    parse_time(value, attribute.name)


@attrs.frozen(kw_only=True)
class Signing:
    """Who made a draw (``drawn_by``, 谁抽查) and who signed it (``signed_by``, 谁签字),
    with when (``drawn_at``, ``signed_at``: ISO 8601 with a UTC offset).

    Refused with :class:`InvalidInputError` when a name is blank, a time is not
    ISO 8601 with an offset, or the signature comes before the draw.
    """

    drawn_by: str = attrs.field(validator=_person)
    signed_by: str = attrs.field(validator=_person)
    drawn_at: str = attrs.field(validator=_time)
    signed_at: str = attrs.field(validator=_time)

    def __attrs_post_init__(self) -> None:
        if parse_time(self.signed_at, "signed_at") < parse_time(self.drawn_at, "drawn_at"):
            raise InvalidInputError(
                msg(
                    "signed_at {signed_at} is before drawn_at {drawn_at}: a draw is signed "
                    "after it is made",
                    signed_at=self.signed_at,
                    drawn_at=self.drawn_at,
                )
            )

    def fields(self) -> dict[str, Any]:
        """The four record fields, under the keys the records have always used."""
        return attrs.asdict(self)
