"""``drawcore sheet``: the printable sheets of a draw for the people who sign (A4, HTML).

Writes ``draw-record.html`` (the record sheet: every unit -- every task of every
round for an annual plan -- the team by name and post, the kind of inspection,
signature lines for 抽取人 / 监督人 / 负责人), ``forms.html`` (the standard BL-7
form per task, pre-filled) for a draw or an annual plan, and ``checkpoint.json``
(the journal they were made from). The journal must verify first. Open the files
in a browser and print (A4).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from drawcore.i18n import N_

__all__ = ["configure", "run"]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal holding the draw"))
    p.add_argument("--plan-id", required=True, help=N_("the draw or annual plan"))
    p.add_argument("--out", type=Path, required=True, help=N_("folder for the sheets"))
    p.add_argument(
        "--registry-dir",
        type=Path,
        help=N_("where the registry snapshots named by the draws are (default: the journal's dir)"),
    )


def _inputs(plan: Any, base: Path) -> Any:
    from drawcore.publish.sheets import SheetInputs
    from drawcore.record.snapshots import load_inspectors, load_units, resolve
    from drawcore.registry.readers import read_items

    units = {u.unit_id: u for u in load_units(plan.units, base)}
    inspectors = {i.inspector_id: i for i in load_inspectors(plan.inspectors, base)}
    items = list(read_items(resolve(plan.items, base))) if plan.items is not None else []
    return SheetInputs(units, inspectors, items)


def run(args: argparse.Namespace) -> int:
    from drawcore.cli.common import verified_records
    from drawcore.i18n import _, current
    from drawcore.publish.files import write_folder
    from drawcore.publish.sheets import draw_record_sheet, inspection_forms
    from drawcore.record.annual import AnnualPlanRecord, YearPlanSpec
    from drawcore.record.journal import Journal
    from drawcore.record.live import live_record
    from drawcore.record.records import DrawRecord

    records = verified_records(args.journal, args.registry_dir)
    if records is None:
        return 1
    record = live_record(records, args.plan_id)
    base = args.registry_dir if args.registry_dir is not None else args.journal.parent
    lang = current()
    files: dict[str, bytes] = {}
    if record.type == "draw":
        plan = DrawRecord.from_body(record.body).plan
        inputs = _inputs(plan, base)
        files["draw-record.html"] = draw_record_sheet(record, inputs, lang).encode()
        tasks = [
            (a["unit_id"], a.get("members", ()), a.get("mode", ""), None)
            for a in record.body["teams"]["assignments"]
        ]
    else:
        spec = YearPlanSpec.from_body(record.body["plan"])
        inputs = _inputs(spec, base)
        files["draw-record.html"] = draw_record_sheet(record, inputs, lang).encode()
        tasks = [
            (t["unit_id"], t["inspectors"], t["mode"], t.get("form"))
            for rd in AnnualPlanRecord.rounds_of(record.body)
            for t in rd["tasks"]
        ]
    files["forms.html"] = inspection_forms(tasks, args.plan_id, inputs, lang).encode()
    files["checkpoint.json"] = Journal(args.journal).checkpoint().to_json() + b"\n"
    written = write_folder(files, args.out)
    print(
        _("sheets of plan {plan} written to {out}: {names}").format(
            plan=args.plan_id, out=args.out, names=", ".join(f.name for f in written)
        )
    )
    return 0
