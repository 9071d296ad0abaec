"""``drawcore result``: enter inspection results from a spreadsheet, checked against the draw.

One row per inspected unit, with the BL-7 form's fields under the office's own
headers (统一社会信用代码, 检查结果, 检查发现, 检查依据, 检查范围, 检查内容, 检查方式,
处理意见, 检查人员, 检查日期) or the field names. Outcomes and findings may be
written in words (责令限期整改) or as codes; lists are separated by ``;`` ``；``
or ``、``; dates as ``2026-02-03``, ``2026/2/3`` or ``2026年2月3日``.

Every row is checked before anything is written: the file is read whole, each
row made into a result, and all of them journaled first into a copy of the
journal (the journal's own rules: the draw is live and drew the unit, the team
is the unit's drawn team, one result per unit). Only when every row passes are
they appended to the journal; otherwise every problem is listed (file, row,
column) and the journal is untouched.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drawcore.errors import DrawcoreError, InvalidInputError
from drawcore.i18n import N_, _, msg, translation
from drawcore.registry.headers import HEADER_SEARCH_ROWS, decode_text
from drawcore.registry.limits import ReadLimits
from drawcore.registry.sheets import SPREADSHEET_SUFFIXES, sheet_rows

__all__ = ["HEADERS", "configure", "read_result_rows", "run"]

#: The columns (field -> headers an office may use, the field name itself included).
HEADERS: Mapping[str, tuple[str, ...]] = {
    "unit_id": ("统一社会信用代码", "统一社会信用代码/证件号", "单位代码", "证件号码"),
    "outcome": ("检查结果", "结果"),
    "findings": ("检查发现", "发现问题"),
    "basis": ("检查依据", "依据"),
    "scope": ("检查范围", "范围"),
    "content": ("检查内容", "内容"),
    "method": ("检查方式", "方式"),
    "handling_opinion": ("处理意见",),
    "inspected_by": ("检查人员", "检查人员（执法证号）", "执法人员", "检查人"),
    "inspected_on": ("检查日期", "日期"),
    "entered_by": ("录入人", "录入人员"),
}
_OPTIONAL = frozenset({"findings", "entered_by"})
log = logging.getLogger(__name__)
_LIST = re.compile(r"[;；、]")
_DATE = re.compile(r"^\s*([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?\s*$")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal holding the draw"))
    p.add_argument("--from", dest="source", type=Path, required=True, help=N_("results (CSV/XLSX)"))
    p.add_argument("--plan-id", required=True, help=N_("the plan whose draw the results are of"))
    p.add_argument(
        "--entered-by",
        help=N_(
            "who enters the results (谁录入), an inspector of each task's team (BL-8); "
            "default: the row's 录入人 column, else the first of its 检查人员"
        ),
    )
    p.add_argument(
        "--entered-as",
        help=N_(
            "the role in which --entered-by enters results for tasks whose team they are "
            "not in, one the plan's rules allow (BL-8, hook drawcore_result_entry_roles)"
        ),
    )
    p.add_argument("--entered-at", required=True, help=N_("when, e.g. 2026-02-03T17:00:00+08:00"))
    p.add_argument("--json", action="store_true", help=N_("print the records written as JSON"))


def _words() -> dict[str, dict[str, str]]:
    """Outcome and finding words (Chinese and English) and codes -> code."""
    from drawcore.publish.labels import VALUE_WORDS

    zh = translation("zh_CN")
    out: dict[str, dict[str, str]] = {}
    for field in ("outcome", "finding"):
        table = {}
        for code, words in VALUE_WORDS[field].items():
            for key in (code, words, zh.gettext(words)):
                table[key.strip().lower()] = code
        out[field] = table
    return out


def _date(text: str) -> dt.date:
    """``2026-02-03``, ``2026/2/3`` or ``2026年2月3日``; anything else is invalid input."""
    m = _DATE.match(text)
    day = None
    if m is not None:
        with contextlib.suppress(ValueError):  # 2026-02-30
            day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if day is None:
        raise InvalidInputError(
            _("inspection date {value!r} is not a date like 2026-02-03").format(value=text)
        )
    return day


def _table(path: Path) -> tuple[list[list[str]], int]:
    """The file's rows as text and the file row number of the first: a spreadsheet's
    first sheet (its used area), or CSV in UTF-8 or GB18030, as registries are read."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InvalidInputError(
            msg("{path}: {value}", path=path, value=err.strerror or err)
        ) from None
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        _sheet, (first, _column), rows = sheet_rows(data, str(path), None, ReadLimits())
        return rows, first + 1
    text = decode_text(data, str(path), None)
    return list(csv.reader(text.splitlines())), 1


def _header_row(table: list[list[str]]) -> int:
    """The header among the first rows (title rows above it are skipped): the first row
    naming the unit column or two result columns; else the first row."""
    names = {h: field for field, hs in HEADERS.items() for h in (field, *hs)}
    for i, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        found = {names[c.strip()] for c in row if c.strip() in names}
        if "unit_id" in found or len(found) >= 2:
            return i
    return 0


def read_result_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a results file as field -> text; every problem listed at once.

    As for registries: title rows above the header are skipped, blank rows and index
    columns (序号) are ignored, and rows are named by their row in the file."""
    if not path.is_file():
        raise InvalidInputError(_("{path}: no such file").format(path=path))
    table, first = _table(path)
    if not any(any(cell.strip() for cell in row) for row in table):
        raise InvalidInputError(_("{path}: the file is empty").format(path=path))
    at = _header_row(table)
    header = [h.strip() for h in table[at]]
    columns: dict[str, int] = {}
    problems = []
    for field, names in HEADERS.items():
        found = [i for i, h in enumerate(header) if h in (field, *names)]
        if found:
            columns[field] = found[0]
        elif field not in _OPTIONAL:
            problems.append(
                _("{path}: no column {header}").format(path=path, header=f"{names[0]} ({field})")
            )
    if problems:
        raise InvalidInputError(problems[0], tuple(problems))
    rows = []
    for n, raw in enumerate(table[at + 1 :], start=first + at + 1):
        if not any(cell.strip() for cell in raw):
            continue  # a blank row
        row = {f: (raw[i].strip() if i < len(raw) else "") for f, i in columns.items()}
        for field, value in row.items():
            if _UNSAFE.search(value):
                problems.append(
                    _("{path} row {row}, column {header}: control characters").format(
                        path=path, row=n, header=header[columns[field]]
                    )
                )
        row["_row"] = str(n)
        rows.append(row)
    if problems:
        raise InvalidInputError(problems[0], tuple(problems))
    return rows


def _result(row: dict[str, str], plan_id: str, draw: int, args: argparse.Namespace) -> Any:
    from drawcore.record.results import InspectionResult

    words = _words()
    outcome = words["outcome"].get(row["outcome"].lower())
    if outcome is None:
        raise InvalidInputError(_("unknown outcome {value!r}").format(value=row["outcome"]))
    findings = []
    for value in _LIST.split(row.get("findings", "")):
        if value.strip():
            code = words["finding"].get(value.strip().lower())
            if code is None:
                raise InvalidInputError(_("unknown finding {value!r}").format(value=value))
            findings.append(code)
    inspected_on = _date(row["inspected_on"])
    inspected_by = tuple(v.strip() for v in _LIST.split(row["inspected_by"]) if v.strip())
    entered_by = row.get("entered_by") or args.entered_by or next(iter(inspected_by), "")
    return InspectionResult(
        plan_id=plan_id,
        draw=draw,
        unit_id=row["unit_id"],
        basis=tuple(v.strip() for v in _LIST.split(row["basis"]) if v.strip()),
        scope=row["scope"],
        content=tuple(v.strip() for v in _LIST.split(row["content"]) if v.strip()),
        method=row["method"],
        handling_opinion=row["handling_opinion"],
        outcome=outcome,
        inspected_by=inspected_by,
        inspected_on=inspected_on,
        entered_by=entered_by,
        entered_at=args.entered_at,
        findings=tuple(findings),
        entered_as=args.entered_as,
    )


def run(args: argparse.Namespace) -> int:
    from drawcore.cli.common import verified_records
    from drawcore.cli.console import progress, raised_text
    from drawcore.i18n import current
    from drawcore.publish.labels import Words
    from drawcore.publish.masking import scrub
    from drawcore.record import ceremony
    from drawcore.record.journal import Journal
    from drawcore.record.live import live_record

    rows = read_result_rows(args.source)
    records = verified_records(args.journal, None)
    if records is None:
        return 1
    record = live_record(records, args.plan_id)
    results, problems = [], []
    for row in rows:
        where = _("{path} row {row}").format(path=args.source, row=row["_row"])
        try:
            results.append((where, _result(row, args.plan_id, record.seq, args)))
        except (InvalidInputError, ValueError, TypeError) as err:
            problems.append(msg("{where}: {err}", where=where, err=raised_text(err)))
    log.info(
        N_("%d rows read from %s; checking them on a copy of the journal"), len(rows), args.source
    )
    with tempfile.TemporaryDirectory() as tmp:
        trial = Journal(Path(shutil.copy(args.journal, Path(tmp) / args.journal.name)))
        for where, result in progress(results, total=len(results), what="检查 check"):
            try:
                ceremony.record_result(trial, result)
            except DrawcoreError as err:
                problems.append(msg("{where}: {err}", where=where, err=raised_text(err)))
    if problems:
        raise InvalidInputError(
            _("{count} row(s) refused; no result written").format(count=len(problems)),
            tuple(problems),
        )
    journal = Journal(args.journal)
    written = [ceremony.record_result(journal, result) for _where, result in results]
    if args.json:
        print(
            json.dumps(
                [{"record": r.seq, "unit_id": r.body["unit_id"]} for r in written],
                ensure_ascii=False,
            )
        )
        return 0
    print(
        _("{count} result(s) of plan {plan} journaled (draw record {draw})").format(
            count=len(written), plan=args.plan_id, draw=record.seq
        )
    )
    words = Words(current())
    for r in written:
        outcome = words.cell("outcome", r.body["outcome"])
        print(f"  {r.seq}: {scrub(str(r.body['unit_id']))} {outcome}")
    return 0
