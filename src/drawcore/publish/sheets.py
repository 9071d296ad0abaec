"""Printable sheets for the people who sign (谁抽查、谁签字): A4 pages from a browser.

- the draw record sheet (抽查记录表): the plan, the seed and how it was made, every
  unit drawn with its inclusion probability, the kind of inspection and the team
  members by name and post, and signature lines for 抽取人 / 监督人 / 负责人;
- the standard inspection form (BL-7) per task, pre-filled: unit, team, basis,
  scope, content and method from the annual plan's form or the draw's item list,
  the handling opinion and signatures left to be written by hand.

These sheets are the office's own record, not a publication: units are shown in
full (the publication masks them). Printing is the browser's (``@page`` A4).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from drawcore.i18n import N_
from drawcore.model import Inspector, Unit
from drawcore.publish.labels import Words
from drawcore.publish.pages import FONT_STACK
from drawcore.record.annual import AnnualPlanRecord

__all__ = ["SheetInputs", "draw_record_sheet", "inspection_forms"]

SHEET_CSS = (
    f"body{{font-family:{FONT_STACK};margin:0 auto;max-width:180mm;padding:6mm;"
    "line-height:1.5;color:#000}"
    "h1{font-size:16pt;text-align:center}h2{font-size:12pt}"
    "table{border-collapse:collapse;width:100%;margin:2mm 0}"
    "th,td{border:1px solid #000;padding:1.5mm 2mm;text-align:left;vertical-align:top;"
    "font-size:10pt;overflow-wrap:anywhere}"
    "th{background:#f2f2f2}.kv th{width:28%}"
    ".units th:nth-child(1){width:2.5em}.units th:nth-child(2){width:30%}"
    ".units th:nth-child(3){width:5.5em}.units th:nth-child(4){width:6.5em}"
    ".sign td{height:16mm}.blank td{height:18mm}.note{font-size:9pt;color:#333}"
    ".form{break-after:page;page-break-after:always}"
    "@page{size:A4;margin:12mm}"
    "@media print{body{padding:0}}"
)

_T = {
    "sheet_title": N_("Draw record sheet"),
    "form_title": N_("Standard inspection form"),
    "internal": N_("The office's own record, not for publication."),
    "plan": N_("Plan"),
    "record": N_("Journal record"),
    "seed": N_("Random seed"),
    "seed_method": N_("How the random seed was made"),
    "population": N_("Units in the pool"),
    "drawn_at": N_("Drawn at"),
    "unit": N_("Unit"),
    "probability": N_("Chance of being drawn"),
    "mode": N_("Kind of inspection"),
    "team": N_("Inspectors (name, post)"),
    "experts": N_("Experts"),
    "no": N_("No."),
    "round": N_("Round"),
    "drawer": N_("Drawn by (抽取人)"),
    "supervisor": N_("Supervised by (监督人)"),
    "head": N_("Person in charge (负责人)"),
    "signature": N_("Signature and date"),
    "basis": N_("Basis"),
    "scope": N_("Scope"),
    "content": N_("Inspection content"),
    "method": N_("Method"),
    "opinion": N_("Handling opinion"),
    "inspectors_sign": N_("Inspectors' signatures"),
    "unit_sign": N_("Unit's signature"),
    "undisclosed": N_("not disclosed (unannounced inspection)"),
}


@attrs.frozen
class SheetInputs:
    """What the sheets show besides the draw record: names of units, inspectors, items."""

    units: Mapping[str, Unit]
    inspectors: Mapping[str, Inspector]
    items: Sequence[Any] = ()


def _head(title: str, lang: str) -> list[str]:
    return [
        "<!DOCTYPE html>",
        f'<html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{SHEET_CSS}</style></head><body>",
    ]


def _person(inspectors: Mapping[str, Inspector], inspector_id: str) -> str:
    who = inspectors.get(inspector_id)
    if who is None:
        return inspector_id
    return f"{who.name}（{who.post or who.work_unit}，{inspector_id}）"


def _signatures(w: Words) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(w.t(_T[k]))}</th><td></td><td></td></tr>"
        for k in ("drawer", "supervisor", "head")
    )
    return (
        f'<table class="sign kv"><tr><th></th><th>{html.escape(w.t(_T["signature"]))}</th>'
        f"<th></th></tr>{rows}</table>"
    )


def draw_record_sheet(record: Any, inputs: SheetInputs, lang: str) -> str:
    """The record sheet of a ``draw`` or ``annual_plan`` record: every unit (every task of
    every round), its kind of inspection and team by name and post, signature lines."""
    w = Words(lang)
    b = record.body
    if record.type == "annual_plan":
        rows = [
            (str(rd["index"]), t["unit_id"], t["probability"], t["mode"], t["inspectors"], ())
            for rd in AnnualPlanRecord.rounds_of(b)
            for t in rd["tasks"]
        ]
    else:
        teams = {a["unit_id"]: a for a in b["teams"]["assignments"]}
        rows = []
        for drawn in b["units"]:
            a = teams.get(drawn["unit_id"], {})
            rows.append(
                (
                    "",
                    drawn["unit_id"],
                    drawn["probability"],
                    a.get("mode", ""),
                    () if a.get("undisclosed") else a.get("members", ()),
                    a.get("experts", ()),
                )
            )
    facts = [
        ("plan", b["plan_id"]),
        ("record", str(record.seq)),
        ("seed_method", w.cell("seed_method", b["seed_method"])),
        ("seed", b["seed"]),
        ("population", str(b["population"])),
        ("drawn_at", b["drawn_at"]),
    ]
    return _record_sheet(w, facts, rows, inputs, with_round=record.type == "annual_plan")


def _record_sheet(
    w: Words,
    facts: Sequence[tuple[str, str]],
    rows: Sequence[tuple[str, str, float, str, Sequence[str], Sequence[str]]],
    inputs: SheetInputs,
    *,
    with_round: bool,
) -> str:
    esc = html.escape
    title = f"{w.t(_T['sheet_title'])} {facts[0][1]}"
    parts = [*_head(title, w.lang), f"<h1>{esc(title)}</h1>"]
    parts.append(f'<p class="note">{esc(w.t(_T["internal"]))}</p><table class="kv">')
    parts += [f"<tr><th>{esc(w.t(_T[k]))}</th><td>{esc(v)}</td></tr>" for k, v in facts]
    parts.append('</table><table class="units"><thead><tr>')
    heads: tuple[str, ...] = ("no", "round", "unit", "probability", "mode", "team")
    heads = heads if with_round else tuple(h for h in heads if h != "round")
    parts.append("".join(f"<th>{esc(w.t(_T[k]))}</th>" for k in heads) + "</tr></thead><tbody>")
    for n, (round_, uid, probability, mode, members, experts) in enumerate(rows, start=1):
        unit = inputs.units.get(uid)
        if mode == "covert" and not members:
            team = w.t(_T["undisclosed"])
        else:
            team = "；".join([_person(inputs.inspectors, i) for i in members] + list(experts))
        cells = [str(n), round_] if with_round else [str(n)]
        cells += [
            f"{unit.name if unit else ''} {uid}",
            w.percent(float(probability)),
            w.cell("mode", mode),
            team,
        ]
        parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    parts.append("</tbody></table>")
    parts.append(_signatures(w))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _form_fields(uid: str, inputs: SheetInputs, form: Mapping[str, Any] | None) -> dict[str, str]:
    if form is not None:
        return {
            "basis": "；".join(form.get("basis", ())),
            "scope": str(form.get("scope", "")),
            "content": "；".join(form.get("content", ())),
            "method": str(form.get("method", "")),
        }
    unit = inputs.units.get(uid)
    items = [
        i for i in inputs.items if unit is None or not i.industries or unit.industry in i.industries
    ]
    return {
        "basis": "；".join(dict.fromkeys(i.legal_basis for i in items if i.legal_basis)),
        "scope": "",
        "content": "；".join(i.item for i in items),
        "method": "",
    }


def inspection_forms(
    tasks: Sequence[tuple[str, Sequence[str], str, Mapping[str, Any] | None]],
    plan_id: str,
    inputs: SheetInputs,
    lang: str,
) -> str:
    """One pre-filled standard form (BL-7) per task: (unit id, team, mode, form or None)."""
    w = Words(lang)
    esc = html.escape
    title = f"{w.t(_T['form_title'])} {plan_id}"
    parts = [*_head(title, lang)]
    for uid, team, mode, form in tasks:
        unit = inputs.units.get(uid)
        fields = _form_fields(uid, inputs, form)
        people = "；".join(_person(inputs.inspectors, i) for i in team)
        rows = [
            ("plan", plan_id),
            ("unit", f"{unit.name if unit else ''} {uid}"),
            ("mode", w.cell("mode", mode)),
            ("team", people),
            ("basis", fields["basis"]),
            ("scope", fields["scope"]),
            ("content", fields["content"]),
            ("method", fields["method"]),
            ("opinion", ""),
            ("inspectors_sign", ""),
            ("unit_sign", ""),
        ]
        parts.append(
            f'<section class="form"><h1>{esc(w.t(_T["form_title"]))}</h1><table class="kv">'
        )
        parts += [
            f"<tr{'' if v else ' class=blank'}><th>{esc(w.t(_T[k]))}</th><td>{esc(v)}</td></tr>"
            for k, v in rows
        ]
        parts.append("</table></section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
