"""The publication's files: CSV and JSON per table, the HTML pages, the checkpoint.

CSV files are for spreadsheets: UTF-8 with a byte-order mark, no comment line,
labels and values in words, the checkpoint (records and Merkle root) as the last
column. JSON files are for programs: field names and codes as recorded, the
checkpoint at the top. ``checkpoint.json`` holds the checkpoint alone.

Every CSV cell is neutralised as OWASP's CSV-injection guidance says: a cell
beginning with ``=``, ``+``, ``-``, ``@``, TAB or CR (which a spreadsheet would run
as a formula) gets a leading ``'``, and every cell is quoted. JSON keeps the
values as they are (it is read by programs, not spreadsheets).
"""

from __future__ import annotations

import csv
import io
import json

import attrs

from drawcore.i18n import DEFAULT
from drawcore.publish.labels import Words
from drawcore.publish.pages import render_pages
from drawcore.publish.tables import TABLES, Publication

__all__ = ["FORMULA_START", "neutralise", "render_files"]

#: What a spreadsheet reads as the start of a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: a formula start (also after leading
    spaces, which some spreadsheets skip) gets a leading ``'``."""
    formula = cell.startswith(FORMULA_START) or cell.lstrip().startswith(FORMULA_START)
    return "'" + cell if formula else cell


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _csv(pub: Publication, name: str, words: Words) -> str:
    """A table for a spreadsheet: UTF-8 with BOM (Excel on Chinese Windows reads it right),
    the header in words, cells in words, the checkpoint in the last column."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    cols = pub.columns[name]
    writer.writerow([words.label(c) for c in (*cols, "checkpoint")])
    stamp = f"{pub.checkpoint.size} {pub.checkpoint.root}"
    for row in pub.tables[name]:
        writer.writerow([neutralise(words.cell(c, row.get(c))) for c in cols] + [stamp])
    return buf.getvalue()


def _json(pub: Publication, name: str, words: Words) -> str:
    """A table for programs: field names and codes as recorded, with the labels beside."""
    doc = {
        "quarter": pub.quarter,
        "table": name,
        "title": words.title(name),
        "checkpoint": attrs.asdict(pub.checkpoint),
        "columns": list(pub.columns[name]),
        "labels": {c: words.label(c) for c in pub.columns[name]},
        "rows": [dict(row) for row in pub.tables[name]],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def render_files(
    pub: Publication, lang: str = DEFAULT, journal_name: str = "journal.jsonl"
) -> dict[str, bytes]:
    """Every file of the publication in ``lang``: name -> bytes."""
    words = Words(lang)
    files: dict[str, str] = {}
    for name in TABLES:
        files[f"{name}.csv"] = _csv(pub, name, words)
        files[f"{name}.json"] = _json(pub, name, words)
    files.update(render_pages(pub, lang, journal_name))
    files["checkpoint.json"] = pub.checkpoint.to_json().decode() + "\n"
    return {name: text.encode("utf-8") for name, text in files.items()}
