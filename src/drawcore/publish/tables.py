"""The tables of a publication: one quarter's records as rows, masked and checked.

:func:`build_publication` is pure: it turns journal records into six tables
(``items``, ``plans``, ``draws``, ``annual_plans``, ``results``, ``exposures``),
passes every text through the masking (:mod:`drawcore.publish.masking`), and
ends with :func:`final_scan`, an independent scan that refuses the publication if
personal data or a control character is left. Values stay as recorded (codes,
probabilities as numbers); words and percentages are the pages' business.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import attrs

from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, msg
from drawcore.model import Unit
from drawcore.plugin.values import Reason
from drawcore.publish.masking import Masker, default_mask, mask_known_names, scrub
from drawcore.publish.scan import find_personal_data, find_unsafe_chars, is_verbatim
from drawcore.record.annual import AnnualPlanRecord
from drawcore.record.checkpoints import Checkpoint
from drawcore.record.journal import Record
from drawcore.record.results import Finding
from drawcore.record.seeding import ANNUAL_PLAN, DRAW, PLAN_COMMITMENT, RESULT, SEED, VOID
from drawcore.registry.registries import ItemList, UnitRegistry
from drawcore.serde import unstructure

__all__ = [
    "EXPOSED_FINDINGS",
    "TABLES",
    "WITHHELD",
    "Publication",
    "build_publication",
    "check_quarter",
    "final_scan",
    "quarter_of",
]

WITHHELD = "[withheld]"
TABLES = ("items", "plans", "draws", "annual_plans", "results", "exposures")
#: Findings that expose the unit publicly (TJ-7): a concealed or an unremedied major hazard.
EXPOSED_FINDINGS = frozenset({Finding.MAJOR_HAZARD_CONCEALED, Finding.MAJOR_HAZARD_UNREMEDIED})
_EXPOSURE_TEXT = {
    Finding.MAJOR_HAZARD_CONCEALED: N_("exposed: a major accident hazard was concealed"),
    Finding.MAJOR_HAZARD_UNREMEDIED: N_("exposed: a major accident hazard was not remedied"),
}
_QUARTER = re.compile(r"^([0-9]{4})Q([1-4])$")
#: Fields holding hashes, seeds and keys: published as they are (masking would break them).
_VERBATIM = frozenset({"plan_hash", "seed", "seed_key", "root"})
_WHITESPACE = re.compile(r"[\t\r\n\v\f\x85\u2028\u2029]+")


# -- quarters ------------------------------------------------------------------------------


def quarter_of(timestamp: str) -> str:
    """``"2026Q1"`` for a timestamp's local date."""
    try:
        day = dt.datetime.fromisoformat(timestamp).date()
    except (TypeError, ValueError):
        raise InvalidInputError(
            msg("{timestamp!r} is not an ISO 8601 timestamp", timestamp=timestamp)
        ) from None
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def check_quarter(quarter: str | None) -> None:
    if quarter is not None and not _QUARTER.match(quarter):
        raise InvalidInputError(msg("quarter {quarter!r} must look like 2026Q1", quarter=quarter))


# -- the tables ----------------------------------------------------------------------------


@attrs.frozen
class Publication:
    """What is published: one quarter's tables (name -> rows) and the checkpoint they came from."""

    quarter: str | None
    checkpoint: Checkpoint
    tables: Mapping[str, tuple[Mapping[str, Any], ...]]
    columns: Mapping[str, tuple[str, ...]]


_COLUMNS: dict[str, tuple[str, ...]] = {
    "items": (
        "item_id",
        "body",
        "item",
        "content",
        "legal_basis",
        "industries",
        "subject_types",
        "version",
        "effective_date",
    ),
    "plans": (
        "record",
        "plan_id",
        "plan_hash",
        "committed_at",
        "committed_by",
        "seed_record",
        "seed_method",
        "seed_key",
        "seed",
        "entropy_at",
    ),
    "draws": (
        "record",
        "plan_id",
        "status",
        "redo_of",
        "drawn_at",
        "drawn_by",
        "signed_at",
        "signed_by",
        "population",
        "size",
        "unit_id",
        "unit_name",
        "township",
        "industry",
        "probability",
        "mode",
        "team",
        "experts",
    ),
    "annual_plans": (
        "record",
        "plan_id",
        "status",
        "year",
        "jurisdiction",
        "plugins",
        "drawn_at",
        "drawn_by",
        "signed_by",
        "round",
        "round_start",
        "round_end",
        "results_due",
        "unit_id",
        "unit_name",
        "township",
        "industry",
        "kind",
        "mode",
        "probability",
        "team",
        "experts",
        "visit_date",
        "items",
        "reasons",
    ),
    "results": (
        "record",
        "plan_id",
        "draw",
        "unit_id",
        "unit_name",
        "outcome",
        "findings",
        "basis",
        "scope",
        "content",
        "method",
        "handling_opinion",
        "inspected_by",
        "inspected_on",
        "entered_by",
        "entered_at",
    ),
    "exposures": (
        "record",
        "plan_id",
        "draw",
        "unit_id",
        "unit_name",
        "township",
        "industry",
        "finding",
        "clause",
        "exposure",
        "inspected_on",
        "entered_at",
    ),
}


def _withheld(withhold: Collection[str] | Callable[[str], bool]) -> Callable[[str], bool]:
    if callable(withhold):
        return withhold
    names = frozenset(withhold)
    return names.__contains__


class _Cleaner:
    """Masks every published text and refuses what must not be published."""

    def __init__(
        self,
        mask: Masker | None,
        withhold: Collection[str] | Callable[[str], bool],
        units: Mapping[str, Unit],
    ) -> None:
        self.mask = mask
        self.withheld = _withheld(withhold)
        self.units = units
        self._scrubbed: dict[str, str] = {}  # text -> scrubbed, line breaks and tabs as spaces

    def _scrub(self, text: str) -> str:
        """:func:`scrub` of ``text``, each run of line breaks and tabs as one space: a
        function of the text alone, so a text met again (a reason, a team, a date) is
        scrubbed once."""
        done = self._scrubbed.get(text)
        if done is None:
            done = self._scrubbed[text] = _WHITESPACE.sub(" ", scrub(text))
        return done

    def row(self, row: Mapping[str, Any], unit_id: str | None = None) -> dict[str, Any]:
        unit = self.units.get(unit_id) if unit_id is not None else None
        out: dict[str, Any] = {}
        for field, value in row.items():
            if self.withheld(field):
                out[field] = WITHHELD
            elif isinstance(value, str) and field not in _VERBATIM:
                text = value
                if self.mask is not None:
                    text = self.mask(field, text, unit)
                out[field] = self._scrub(mask_known_names(default_mask(field, text, unit), unit))
            else:
                out[field] = value
        return out


def _join(values: Iterable[str]) -> str:
    return ";".join(values)


def _voided(records: Sequence[Record]) -> set[int]:
    return {int(r.body["voids"]) for r in records if r.type == VOID}


def build_publication(
    records: Sequence[Record],
    checkpoint: Checkpoint,
    *,
    quarter: str | None = None,
    units: UnitRegistry | Iterable[Unit] = (),
    items: ItemList | Iterable[Any] = (),
    mask: Masker | None = None,
    withhold: Collection[str] | Callable[[str], bool] = (),
    reason_text: Callable[[Reason], str] | None = None,
) -> Publication:
    """The tables of one quarter (all quarters when ``None``), masked; pure.

    ``reason_text`` shows a plan's reasons in the reader's language
    (``Rules.reason_text``); the recorded English text by default."""
    check_quarter(quarter)
    by_id = {u.unit_id: u for u in units}
    clean = _Cleaner(mask, withhold, by_id)

    def wanted(ts: object) -> bool:
        return quarter is None or (isinstance(ts, str) and quarter_of(ts) == quarter)

    voided = _voided(records)
    void_reason = {int(r.body["voids"]): str(r.body["reason"]) for r in records if r.type == VOID}
    seeds = {r.seq: r.body for r in records if r.type == SEED}
    live_seed = {b["plan_id"]: seq for seq, b in seeds.items() if seq not in voided}
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for item in items:
        tables["items"].append(
            clean.row(
                {
                    "item_id": item.item_id,
                    "body": item.body,
                    "item": item.item,
                    "content": item.content,
                    "legal_basis": item.legal_basis,
                    "industries": _join(item.industries),
                    "subject_types": _join(item.subject_types),
                    "version": item.version,
                    "effective_date": item.effective_date.isoformat()
                    if item.effective_date
                    else "",
                }
            )
        )
    for r in records:
        b = r.body
        if r.type == PLAN_COMMITMENT and wanted(b["committed_at"]):
            seed_seq = live_seed.get(b["plan_id"])
            seed = seeds.get(seed_seq, {}) if seed_seq is not None else {}
            tables["plans"].append(
                clean.row(
                    {
                        "record": r.seq,
                        "plan_id": b["plan_id"],
                        "plan_hash": b["plan_hash"],
                        "committed_at": b["committed_at"],
                        "committed_by": b["committed_by"],
                        "seed_record": seed_seq,
                        "seed_method": seed.get("method", ""),
                        "seed_key": seed.get("key", ""),
                        "seed": seed.get("seed", ""),
                        "entropy_at": seed.get("entropy_at", ""),
                    }
                )
            )
        elif r.type == DRAW and wanted(b["drawn_at"]):
            tables["draws"].extend(_draw_rows(r, clean, by_id, void_reason))
        elif r.type == ANNUAL_PLAN and wanted(b["drawn_at"]):
            tables["annual_plans"].extend(_year_rows(r, clean, by_id, void_reason, reason_text))
        elif r.type == RESULT and wanted(b["entered_at"]):
            unit = by_id.get(b["unit_id"])
            tables["results"].append(
                clean.row(
                    {
                        "record": r.seq,
                        "plan_id": b["plan_id"],
                        "draw": b["draw"],
                        "unit_id": b["unit_id"],
                        "unit_name": unit.name if unit else "",
                        "outcome": b["outcome"],
                        "findings": _join(b.get("findings", ())),
                        "basis": _join(b["basis"]),
                        "scope": b["scope"],
                        "content": _join(b["content"]),
                        "method": b["method"],
                        "handling_opinion": b["handling_opinion"],
                        "inspected_by": _join(b["inspected_by"]),
                        "inspected_on": b["inspected_on"],
                        "entered_by": b["entered_by"],
                        "entered_at": b["entered_at"],
                    },
                    b["unit_id"],
                )
            )
            if b["draw"] not in voided:
                tables["exposures"].extend(_exposure_rows(r, clean, unit))
    pub = Publication(
        quarter,
        checkpoint,
        {k: tuple(v) for k, v in tables.items()},
        dict(_COLUMNS),
    )
    final_scan(pub)
    return pub


def final_scan(pub: Publication) -> None:
    """Refuse a publication in which the independent scan still finds personal data, or
    which holds a control or bidirectional-override character (table, row and field named)."""
    leaks, unsafe = [], []
    seen: dict[str, tuple[int, str]] = {}  # text -> (numbers found, unsafe characters)
    for name, rows in pub.tables.items():
        for i, row in enumerate(rows, start=1):
            for field, value in row.items():
                if not isinstance(value, str) or is_verbatim(field, value):
                    continue
                found = seen.get(value)
                if found is None:
                    chars = ", ".join(sorted(set(find_unsafe_chars(value))))
                    found = seen[value] = (len(find_personal_data(value)), chars)
                numbers, chars = found
                if numbers:
                    leaks.append(f"{name} row {i} {field}: {numbers} number(s)")
                if chars:
                    unsafe.append(f"{name} row {i} {field}: {chars}")
    if leaks:
        raise InvalidInputError(
            f"personal data left unmasked in {len(leaks)} field(s); not publishing: "
            + "; ".join(leaks[:5]),
            tuple(leaks),
        )
    if unsafe:
        raise InvalidInputError(
            f"control or bidirectional-override characters in {len(unsafe)} field(s); "
            "not publishing: " + "; ".join(unsafe[:5]),
            tuple(unsafe),
        )


def _exposure_rows(r: Record, clean: _Cleaner, unit: Unit | None) -> list[dict[str, Any]]:
    """One row per finding of a live result that exposes its unit (TJ-7)."""
    b = r.body
    rows = []
    for value in b.get("findings", ()):
        finding = Finding(value)
        if finding not in EXPOSED_FINDINGS:
            continue
        row = {
            "record": r.seq,
            "plan_id": b["plan_id"],
            "draw": b["draw"],
            "unit_id": b["unit_id"],
            "unit_name": unit.name if unit else "",
            "township": unit.township if unit else "",
            "industry": unit.industry if unit else "",
            "finding": finding.value,
            "clause": "TJ-7",
            "exposure": _EXPOSURE_TEXT[finding],
            "inspected_on": b["inspected_on"],
            "entered_at": b["entered_at"],
        }
        rows.append(clean.row(row, b["unit_id"]))
    return rows


def _draw_rows(
    r: Record, clean: _Cleaner, units: Mapping[str, Unit], void_reason: Mapping[int, str]
) -> list[dict[str, Any]]:
    b = r.body
    status = f"voided: {void_reason[r.seq]}" if r.seq in void_reason else "live"
    teams = {a["unit_id"]: a for a in b["teams"]["assignments"]}
    rows = []
    for drawn in b["units"]:
        uid = drawn["unit_id"]
        unit = units.get(uid)
        a = teams.get(uid, {})
        covert = bool(a.get("undisclosed"))
        rows.append(
            clean.row(
                {
                    "record": r.seq,
                    "plan_id": b["plan_id"],
                    "status": status,
                    "redo_of": b.get("redo_of"),
                    "drawn_at": b["drawn_at"],
                    "drawn_by": b["drawn_by"],
                    "signed_at": b["signed_at"],
                    "signed_by": b["signed_by"],
                    "population": b["population"],
                    "size": b["plan"]["size"],
                    "unit_id": uid,
                    "unit_name": unit.name if unit else "",
                    "township": unit.township if unit else "",
                    "industry": unit.industry if unit else "",
                    "probability": drawn["probability"],
                    "mode": a.get("mode", ""),
                    "team": "(covert: undisclosed)" if covert else _join(a.get("members", ())),
                    "experts": "" if covert else _join(a.get("experts", ())),
                },
                uid,
            )
        )
    return rows


def _year_rows(
    r: Record,
    clean: _Cleaner,
    units: Mapping[str, Unit],
    void_reason: Mapping[int, str],
    reason_text: Callable[[Reason], str] | None = None,
) -> list[dict[str, Any]]:
    """One row per task of an annual plan, then one per excluded unit (BL-3), with reasons.

    Units are shown as the plan's plugins publish them (``public_names``), then
    masked as every row is; a covert team (TJ-5) is not disclosed.
    """
    b = r.body
    plan = unstructure(AnnualPlanRecord.from_body(b).result)
    shown = {n["unit_id"]: n for n in plan.get("public_names", ())}
    head = {
        "record": r.seq,
        "plan_id": b["plan_id"],
        "status": f"voided: {void_reason[r.seq]}" if r.seq in void_reason else "live",
        "year": plan["parameters"]["year"],
        "jurisdiction": plan["jurisdiction"] or "",
        "plugins": _join(f"{n} {v}" for n, v in plan["plugins"]),
        "drawn_at": b["drawn_at"],
        "drawn_by": b["drawn_by"],
        "signed_by": b["signed_by"],
    }

    def unit_fields(uid: str, name: str) -> dict[str, Any]:
        unit = units.get(uid)
        public = shown.get(uid, {})
        return {
            "unit_id": public.get("shown_id", uid),
            "unit_name": public.get("shown_name", name),
            "township": unit.township if unit else "",
            "industry": unit.industry if unit else "",
        }

    def reasons(rs: Iterable[Mapping[str, str]]) -> str:
        if reason_text is None:
            return _join(f"{x['clause']} [{x['plugin']}]: {x['text']}" for x in rs)
        return _join(
            f"{x['clause']} [{x['plugin']}]: "
            + reason_text(Reason(clause=x["clause"], text=x["text"], plugin=x["plugin"]))
            for x in rs
        )

    rows = []
    for rd in plan["rounds"]:
        for t in rd["tasks"]:
            covert = t["mode"] == "covert"
            row = {
                **head,
                "round": rd["index"],
                "round_start": rd["start"],
                "round_end": rd["end"],
                "results_due": rd["publication_due"],
                **unit_fields(t["unit_id"], t["unit_name"]),
                "kind": t["kind"],
                "mode": t["mode"],
                "probability": t["probability"],
                "team": "(covert: undisclosed)" if covert else _join(t["inspectors"]),
                "experts": "" if covert else _join(t["experts"]),
                "visit_date": "" if covert else (t["visit_date"] or ""),
                "items": _join(t["items"]),
                "reasons": reasons(t["reasons"]),
            }
            rows.append(clean.row(row, t["unit_id"]))
    for e in plan["excluded"]:
        unit = units.get(e["unit_id"])
        row = {
            **head,
            **unit_fields(e["unit_id"], unit.name if unit else ""),
            "kind": "excluded",
            "reasons": reasons(e["reasons"]),
        }
        rows.append(clean.row(row, e["unit_id"]))
    return rows
