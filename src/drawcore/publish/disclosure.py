"""Publication: the item list, plans, draws and results per quarter (BL-8, TJ-6, "一公开").

:func:`publish` reads a journal (which must verify), keeps the records of one
quarter, and writes six tables -- ``items``, ``plans``, ``draws``,
``annual_plans`` (one row per task of every round, and one per excluded unit,
with the reasons), ``results`` (with each result's findings) and ``exposures``
(TJ-7 「对隐瞒不报或整改不到位的重大事故隐患公开曝光」: one row per live result
finding a concealed or unremedied major accident hazard, with the clause, the
result record and its date) -- as CSV and JSON, plus a static ``index.html``.
Every file carries the checkpoint (journal size and Merkle root) it was made
from, so a reader can check the publication against the journal and its
published checkpoints: JSON files have a top-level ``checkpoint``; CSV files
start with one comment line
``# drawcore publication quarter=... checkpoint size=N root=R``; the HTML page
states it in its header.

Privacy and commercial secrets (BL-8, TJ-6 "the manner and scope of publication
are adjusted"):

- every published text passes through ``mask(field, value, unit)`` -- a
  plugin's hook (:meth:`drawcore.plugin.rules.Rules.mask`) when given -- and
  then :func:`default_mask`: a person's ID-card number (a unit identified by
  one) keeps only region and check characters, a person's name keeps its first
  character, phones keep 3 + 4 digits;
- then the unit's personal names (a person's name, its person in charge) are
  masked wherever they appear in the row's free text, :func:`scrub` masks any
  valid ID-card number or mobile phone number left (a handling opinion that
  quotes one), and a final scan refuses to write anything
  :func:`find_personal_data` still finds;
- ``withhold`` (field names, or a predicate on the field name) replaces the
  fields a plugin marks as commercial secret with :data:`WITHHELD`.

Officials' names (who drew, signed, entered a result) are published: naming
them is the point of 谁抽查、谁签字、谁负责 (TJ-9). Quarters are decided on each
timestamp's own local date (as written, with its offset).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from drawcore.errors import InvalidInputError, JournalError
from drawcore.model import IdKind, Unit
from drawcore.record.journal import Checkpoint, Journal, Record, verify
from drawcore.record.results import Finding
from drawcore.record.seeding import ANNUAL_PLAN, DRAW, PLAN_COMMITMENT, RESULT, SEED, VOID
from drawcore.registry.ids import is_valid_id_card, mask_id_card, mask_name, mask_phone
from drawcore.registry.registries import ItemList, UnitRegistry

__all__ = [
    "EXPOSED_FINDINGS",
    "TABLES",
    "WITHHELD",
    "Masker",
    "Publication",
    "build_publication",
    "default_mask",
    "find_personal_data",
    "publish",
    "quarter_of",
    "scrub",
    "write_publication",
]

Masker = Callable[[str, str, Unit | None], str]
"""``mask(field, value, unit) -> published text`` (the shape of ``Rules.mask``)."""

WITHHELD = "[withheld]"
TABLES = ("items", "plans", "draws", "annual_plans", "results", "exposures")
#: Findings that expose the unit publicly (TJ-7): a concealed or an unremedied major hazard.
EXPOSED_FINDINGS = frozenset({Finding.MAJOR_HAZARD_CONCEALED, Finding.MAJOR_HAZARD_UNREMEDIED})
_EXPOSURE_TEXT = {
    Finding.MAJOR_HAZARD_CONCEALED: "隐瞒不报重大事故隐患 major accident hazard concealed",
    Finding.MAJOR_HAZARD_UNREMEDIED: "重大事故隐患整改不到位 major accident hazard not remedied",
}

_ID_CARD = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9.])1[3-9][0-9]{9}(?![0-9])")
_QUARTER = re.compile(r"^([0-9]{4})Q([1-4])$")
#: Fields holding hashes, seeds and keys: published as they are (masking would break them).
_VERBATIM = frozenset({"plan_hash", "seed", "seed_key", "root"})
_PERSON_FIELDS = frozenset({"name", "unit_name", "person_in_charge"})
_PHONE_FIELDS = frozenset({"contact", "phone"})


# -- masking -------------------------------------------------------------------------------


def default_mask(field: str, value: str, unit: Unit | None) -> str:
    """The masking every publication applies (after any plugin's)."""
    person = unit is not None and unit.id_kind is IdKind.ID_CARD
    if field == "unit_id" and person:
        return mask_id_card(value)
    if field in _PERSON_FIELDS and (person or field == "person_in_charge"):
        return mask_name(value) if "*" not in value else value
    if field in _PHONE_FIELDS:
        return mask_phone(value)
    return value


def _mask_id_match(m: re.Match[str]) -> str:
    text = m.group(0)
    return mask_id_card(text) if is_valid_id_card(text.upper()) else text


def scrub(text: str) -> str:
    """``text`` with every valid ID-card number and mobile phone number in it masked."""
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), _ID_CARD.sub(_mask_id_match, text))


def find_personal_data(text: str) -> list[str]:
    """Unmasked ID-card numbers (valid check character) and mobile phone numbers in ``text``."""
    found = [m.group(0) for m in _ID_CARD.finditer(text) if is_valid_id_card(m.group(0).upper())]
    return found + [m.group(0) for m in _PHONE.finditer(text)]


# -- quarters ------------------------------------------------------------------------------


def quarter_of(timestamp: str) -> str:
    """``"2026Q1"`` for a timestamp's local date."""
    try:
        day = dt.datetime.fromisoformat(timestamp).date()
    except (TypeError, ValueError):
        raise InvalidInputError(f"{timestamp!r} is not an ISO 8601 timestamp") from None
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _check_quarter(quarter: str | None) -> None:
    if quarter is not None and not _QUARTER.match(quarter):
        raise InvalidInputError(f"quarter {quarter!r} must look like 2026Q1")


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


def _mask_known_names(text: str, unit: Unit | None) -> str:
    """The unit's personal names (a person's name, the person in charge) masked in free text."""
    if unit is None:
        return text
    names = [unit.person_in_charge]
    if unit.id_kind is IdKind.ID_CARD:
        names.append(unit.name)
    for name in sorted({n for n in names if len(n) > 1}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text


class _Cleaner:
    def __init__(
        self,
        mask: Masker | None,
        withhold: Collection[str] | Callable[[str], bool],
        units: Mapping[str, Unit],
    ) -> None:
        self.mask = mask
        self.withheld = _withheld(withhold)
        self.units = units

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
                out[field] = scrub(_mask_known_names(default_mask(field, text, unit), unit))
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
) -> Publication:
    """The tables of one quarter (all quarters when ``None``), masked; pure."""
    _check_quarter(quarter)
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
            tables["annual_plans"].extend(_year_rows(r, clean, by_id, void_reason))
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
    leaks = [
        f"{name} row {i}: {', '.join(found)}"
        for name, rows in pub.tables.items()
        for i, row in enumerate(rows)
        for value in row.values()
        if isinstance(value, str) and (found := find_personal_data(value))
    ]
    if leaks:
        raise InvalidInputError("personal data left unmasked: " + "; ".join(leaks[:5]))
    return pub


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
    r: Record, clean: _Cleaner, units: Mapping[str, Unit], void_reason: Mapping[int, str]
) -> list[dict[str, Any]]:
    """One row per task of an annual plan, then one per excluded unit (BL-3), with reasons.

    Units are shown as the plan's plugins publish them (``public_names``), then
    masked as every row is; a covert team (TJ-5) is not disclosed.
    """
    b = r.body
    plan = b["result"]
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
        return _join(f"{x['clause']} [{x['plugin']}]: {x['text']}" for x in rs)

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


# -- writing -------------------------------------------------------------------------------


def _stamp(pub: Publication) -> str:
    cp = pub.checkpoint
    return (
        f"drawcore publication quarter={pub.quarter or 'all'} "
        f"checkpoint size={cp.size} root={cp.root}"
    )


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _csv(pub: Publication, name: str) -> str:
    buf = io.StringIO()
    buf.write(f"# {_stamp(pub)}\n")
    writer = csv.writer(buf, lineterminator="\n")
    cols = pub.columns[name]
    writer.writerow(cols)
    for row in pub.tables[name]:
        writer.writerow([_cell(row.get(c)) for c in cols])
    return buf.getvalue()


def _json(pub: Publication, name: str) -> str:
    doc = {
        "quarter": pub.quarter,
        "table": name,
        "checkpoint": attrs.asdict(pub.checkpoint),
        "columns": list(pub.columns[name]),
        "rows": [dict(row) for row in pub.tables[name]],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


_TITLES = {
    "items": "随机抽查事项清单 Inspection item list",
    "plans": "抽查计划 Plans (commitments and seeds)",
    "draws": "抽查结果名单 Draws (units, probabilities, teams)",
    "annual_plans": "年度抽查计划 Annual plans (rounds, tasks, reasons)",
    "results": "检查结果 Inspection results",
    "exposures": "重大事故隐患公开曝光 Exposures (concealed or unremedied major hazards, TJ-7)",
}


def _html(pub: Publication) -> str:
    esc = html.escape
    q = pub.quarter or "all quarters"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>双随机、一公开 {esc(q)}</title>",
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 6px;font-size:90%}</style></head><body>",
        f"<h1>双随机、一公开 “double random, one public”: {esc(q)}</h1>",
        f"<p>Made from journal checkpoint: size {pub.checkpoint.size}, "
        f"root <code>{esc(pub.checkpoint.root)}</code>.</p>",
    ]
    for name in TABLES:
        cols = pub.columns[name]
        rows = pub.tables[name]
        parts.append(f"<h2>{esc(_TITLES[name])} ({len(rows)})</h2>")
        parts.append(
            f'<p><a href="{name}.csv">{name}.csv</a> · <a href="{name}.json">{name}.json</a></p>'
        )
        parts.append("<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>")
        for row in rows:
            cells = "".join(f"<td>{esc(_cell(row.get(c)))}</td>" for c in cols)
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_publication(pub: Publication, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``<table>.csv``, ``<table>.json``, ``index.html`` and ``checkpoint.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for name in TABLES:
        files[f"{name}.csv"] = _csv(pub, name)
        files[f"{name}.json"] = _json(pub, name)
    files["index.html"] = _html(pub)
    files["checkpoint.json"] = pub.checkpoint.to_json().decode() + "\n"
    written = []
    for fname, text in files.items():
        path = out / fname
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def publish(
    journal_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    quarter: str | None = None,
    registry_dir: str | os.PathLike[str] | None = None,
    items: ItemList | None = None,
    mask: Masker | None = None,
    withhold: Collection[str] | Callable[[str], bool] = (),
) -> list[Path]:
    """Publish one quarter of a journal to ``out_dir``; the journal must verify first.

    Unit names and the item list come from the registry snapshots the draw
    plans name (under ``registry_dir``, default the journal's directory),
    checked by fingerprint; ``items`` overrides the item list.
    """
    from drawcore.record.records import DrawPlan, DrawRecord, YearPlanSpec
    from drawcore.record.snapshots import load_units, resolve
    from drawcore.registry.readers import read_items

    _check_quarter(quarter)
    report = verify(journal_path)
    if not report.ok:
        raise JournalError(
            f"{os.fspath(journal_path)} does not verify; not publishing:\n{report.format()}"
        )
    records = Journal(journal_path).records()
    base = Path(registry_dir) if registry_dir is not None else Path(journal_path).parent
    units: dict[str, Unit] = {}
    loaded_refs: set[tuple[str, str]] = set()
    item_list = items
    for r in records:
        if r.type not in (DRAW, ANNUAL_PLAN):
            continue
        if r.type == ANNUAL_PLAN:
            plan: DrawPlan | YearPlanSpec = YearPlanSpec.from_body(r.body["plan"])
        else:
            plan = DrawRecord.from_body(r.body).plan
        if (plan.units.path, plan.units.fingerprint) not in loaded_refs:
            loaded_refs.add((plan.units.path, plan.units.fingerprint))
            units.update((u.unit_id, u) for u in load_units(plan.units, base))
        if items is None and plan.items is not None:
            path = resolve(plan.items, base)
            loaded = read_items(path)
            if loaded.fingerprint != plan.items.fingerprint:
                raise InvalidInputError(
                    f"item list {path} has fingerprint {loaded.fingerprint}, the plan names "
                    f"{plan.items.fingerprint}"
                )
            item_list = loaded
    checkpoint = Checkpoint(report.records, report.root)
    pub = build_publication(
        records,
        checkpoint,
        quarter=quarter,
        units=units.values(),
        items=item_list if item_list is not None else (),
        mask=mask,
        withhold=withhold,
    )
    return write_publication(pub, out_dir)
