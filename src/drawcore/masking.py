"""Which fields are a person's, and how much of each may be published (NAT-6, BL-8, TJ-6).

One rule, used twice: the national plugin answers ``drawcore_mask_field`` with it
(so ``Rules.mask`` gives it unless a jurisdiction decides otherwise), and every
publication applies it again after any plugin's answer
(:func:`drawcore.publish.masking.default_mask`), so blocking the plugin masks no
less. It is idempotent: a value it masked is masked the same way again.

A person's ID-card number (a unit identified by one) keeps its region and check
characters; a person's name (a unit that is a person, and every person in charge)
its first character; a person's address nothing; a phone or contact its first 3
and last 4 characters. Other fields are not a person's here; free text is read by
:func:`drawcore.publish.masking.scrub`, and the independent last look is
:mod:`drawcore.publish.scan`.
"""

from __future__ import annotations

from drawcore.model import IdKind, Unit
from drawcore.registry.ids import mask_id_card, mask_name, mask_phone

__all__ = ["PERSON_NAME_FIELDS", "PHONE_FIELDS", "mask_personal_field"]

#: Fields holding a name: the unit's own (a person's, when the unit is one) or the person in charge.
PERSON_NAME_FIELDS = frozenset({"name", "unit_name", "person_in_charge"})
#: Fields holding a phone number or other contact.
PHONE_FIELDS = frozenset({"contact", "phone"})


def mask_personal_field(field: str, value: str, unit: Unit | None) -> str | None:
    """``value`` masked when ``field`` is personal data of ``unit``, else ``None``."""
    person = unit is not None and unit.id_kind is IdKind.ID_CARD
    if field == "unit_id":
        return mask_id_card(value) if person else None
    if field in PHONE_FIELDS:
        return mask_phone(value)
    if field == "person_in_charge" or (field in PERSON_NAME_FIELDS and person):
        return mask_name(value)
    if field == "address" and person:
        return "*" * len(value)
    return None
