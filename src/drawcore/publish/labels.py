"""What a citizen reads instead of field names and codes: labels, values in words, percentages.

Every label and word here is an English message marked for the catalog
(:mod:`drawcore.i18n`); :class:`Words` shows a publication's cells in one language.
The JSON files keep the codes (programs read them); CSV and HTML show words.
"""

from __future__ import annotations

import gettext
import math
from collections.abc import Mapping

from drawcore.i18n import N_, translation

__all__ = ["FIELD_LABELS", "TABLE_TITLES", "VALUE_WORDS", "Words"]

TABLE_TITLES: Mapping[str, str] = {
    "items": N_("Inspection item list"),
    "plans": N_("Draw plans: commitments and seeds"),
    "draws": N_("Units drawn and their inspection teams"),
    "annual_plans": N_("Annual inspection plans"),
    "results": N_("Inspection results"),
    "exposures": N_("Public exposure of major accident hazards"),
}

FIELD_LABELS: Mapping[str, str] = {
    "item_id": N_("Item no."),
    "body": N_("Inspecting body"),
    "item": N_("Inspection item"),
    "content": N_("Inspection content"),
    "legal_basis": N_("Legal basis"),
    "industries": N_("Industries"),
    "subject_types": N_("Types of unit"),
    "version": N_("Version"),
    "effective_date": N_("In force from"),
    "record": N_("Journal record"),
    "plan_id": N_("Plan"),
    "plan_hash": N_("Plan fingerprint (SHA-256)"),
    "committed_at": N_("Plan fixed at"),
    "committed_by": N_("Plan fixed by"),
    "seed_record": N_("Seed record"),
    "seed_method": N_("How the random seed was made"),
    "seed_key": N_("Public numbers (RFC 3797 key)"),
    "seed": N_("Random seed"),
    "entropy_at": N_("Public numbers drawn at"),
    "status": N_("Status"),
    "redo_of": N_("Redo of record"),
    "drawn_at": N_("Drawn at"),
    "drawn_by": N_("Drawn by"),
    "signed_at": N_("Signed at"),
    "signed_by": N_("Signed by"),
    "population": N_("Units in the pool"),
    "size": N_("Units to draw"),
    "unit_id": N_("Unit code"),
    "unit_name": N_("Unit name"),
    "township": N_("Township"),
    "industry": N_("Industry"),
    "probability": N_("Chance of being drawn"),
    "mode": N_("Kind of inspection"),
    "team": N_("Inspectors (certificate no.)"),
    "experts": N_("Experts"),
    "year": N_("Year"),
    "jurisdiction": N_("Jurisdiction"),
    "plugins": N_("Local rules applied"),
    "round": N_("Round"),
    "round_start": N_("Round starts"),
    "round_end": N_("Round ends"),
    "results_due": N_("Results published by"),
    "kind": N_("Why in the plan"),
    "visit_date": N_("Visit date"),
    "items": N_("Items inspected"),
    "reasons": N_("Reasons"),
    "draw": N_("Draw record"),
    "outcome": N_("Outcome"),
    "findings": N_("Findings"),
    "basis": N_("Basis"),
    "scope": N_("Scope"),
    "method": N_("Method"),
    "handling_opinion": N_("Handling opinion"),
    "inspected_by": N_("Inspected by"),
    "inspected_on": N_("Inspected on"),
    "entered_by": N_("Entered by"),
    "entered_at": N_("Entered at"),
    "finding": N_("Finding"),
    "clause": N_("Clause"),
    "exposure": N_("Exposure"),
    "checkpoint": N_("Checkpoint (records, Merkle root)"),
}

#: Codes shown as words, by field (``*`` for any field).
VALUE_WORDS: Mapping[str, Mapping[str, str]] = {
    "outcome": {
        "no_problem": N_("no problem found"),
        "rectification_ordered": N_("ordered to put right within a time limit"),
        "penalised": N_("administrative penalty"),
        "not_found_at_address": N_("not found at the registered address"),
    },
    "finding": {
        "major_hazard": N_("major accident hazard found"),
        "major_hazard_concealed": N_("major accident hazard concealed"),
        "major_hazard_unremedied": N_("major accident hazard not remedied in time"),
        "major_hazard_cleared": N_("major accident hazard cleared"),
    },
    "mode": {
        "double_random": N_("double random"),
        "general": N_("general inspection"),
        "key": N_("key inspection"),
        "covert": N_("unannounced inspection"),
    },
    "kind": {
        "planned": N_("required by the rules"),
        "drawn": N_("drawn at random"),
        "excluded": N_("excluded from the draw"),
    },
    "seed_method": {
        "rfc3797": N_("public lottery numbers (RFC 3797)"),
        "parties": N_("secrets of several parties"),
        "rfc3797+parties": N_("public lottery numbers and secrets of several parties"),
    },
    "status": {"live": N_("in force")},
}
_LISTS = frozenset({"findings"})
_VOIDED = N_("voided: {reason}")
_COVERT = "(covert: undisclosed)"
_WITHHELD = "[withheld]"
_EXTRA = (N_("not disclosed (unannounced inspection)"), N_("withheld (commercial secret)"))


class Words:
    """A publication's cells as a citizen reads them, in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.gettext: gettext.NullTranslations = translation(lang)

    def t(self, message: str) -> str:
        return self.gettext.gettext(message)

    def title(self, table: str) -> str:
        return self.t(TABLE_TITLES[table])

    def label(self, field: str) -> str:
        return self.t(FIELD_LABELS[field])

    def percent(self, value: float) -> str:
        """A probability as a percentage: two decimals, never rounded to 0 % or 100 %."""
        pct = value * 100
        if value <= 0 or value >= 1:
            return f"{pct:.0f}%"
        text = f"{pct:.2f}%"
        if text == "0.00%":
            return "<0.01%"
        if text == "100.00%":
            return ">99.99%"
        return text

    def cell(self, field: str, value: object) -> str:
        """``value`` of ``field`` in words."""
        if value is None:
            return ""
        if field == "probability" and isinstance(value, float) and math.isfinite(value):
            return self.percent(value)
        text = str(value)
        if text == _COVERT:
            return self.t(_EXTRA[0])
        if text == _WITHHELD:
            return self.t(_EXTRA[1])
        if field == "exposure":
            return self.t(text)
        if field == "status" and text.startswith("voided: "):
            return self.t(_VOIDED).format(reason=text.removeprefix("voided: "))
        words = VALUE_WORDS.get("finding" if field in _LISTS else field)
        if words is None:
            return text
        if field in _LISTS:
            return "；".join(self.t(words.get(v, v)) for v in text.split(";") if v)
        return self.t(words[text]) if text in words else text
