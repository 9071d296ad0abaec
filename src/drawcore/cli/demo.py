"""``drawcore demo``: the whole ceremony on the example county, step by step.

The demo's fixed dates, names and numbers live here and nowhere else.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drawcore.cli.common import EXAMPLE_COUNTY, summarise
from drawcore.cli.draw import draw_lines
from drawcore.errors import DrawcoreError, InvalidInputError
from drawcore.i18n import N_, _, current, msg
from drawcore.registry.readers import read_county
from drawcore.registry.registries import County
from drawcore.version import __version__

# -- demo -------------------------------------------------------------------------------------


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--county",
        type=Path,
        default=EXAMPLE_COUNTY,
        help=N_(
            "directory with units, inspectors, experts and items files "
            "(default: the example county shipped with drawcore)"
        ),
    )
    p.add_argument(
        "--out",
        type=Path,
        help=N_(
            "empty directory for the journal, checkpoints, registry snapshot and "
            "publication (default: a new temporary directory)"
        ),
    )
    p.add_argument(
        "--jurisdiction",
        help=N_(
            "plan a year for the county under this jurisdiction's rules (e.g. boluo, "
            "tianjin) through the same ceremony: commit, seed, plan, journal, verify, publish"
        ),
    )


def demo_load(directory: Path) -> County:
    """Step 1 of the demo: read and validate the four foundations."""
    if not directory.is_dir():
        raise InvalidInputError(
            msg(
                "{directory}: no such directory; run examples/make_county.py or pass --county DIR",
                directory=directory,
            )
        )
    return read_county(directory)


def demo_report_county(county: County) -> None:
    """Step 2 of the demo: what was loaded, with the fingerprints a plan would commit to."""
    for registry in (county.units, county.inspectors, county.experts, county.items):
        print("\n".join(summarise(registry, lang=current())))


# -- demo: the whole ceremony -------------------------------------------------------------------

#: Fixed times and public numbers of the demo ceremony (a real one takes them from the day).
DEMO_TIMES = {
    "committed_at": "2026-01-05T09:00:00+08:00",
    "entropy_at": "2026-01-06T21:30:00+08:00",
    "drawn_at": "2026-01-07T09:00:00+08:00",
    "signed_at": "2026-01-07T09:15:00+08:00",
    "checkpoint_at": "2026-01-07T09:20:00+08:00",
}
#: Lottery results announced in advance, as RFC 3797 sources (six numbers, one, one).
DEMO_PUBLIC_NUMBERS: list[int | list[int]] = [[3, 11, 17, 22, 28, 31], [9], [742]]
DEMO_PLAN_ID = "2026Q1-county"
DEMO_SHOW = 15


def demo_registry_refs(source: Path, county: County, out: Path) -> dict[str, Any]:
    """Copy the registries into ``out/registries`` (the snapshot a replay reads); their refs."""
    import shutil

    from drawcore.record.draw_plans import RegistryRef
    from drawcore.registry.readers import COUNTY_FILES

    snap = out / "registries"
    snap.mkdir(parents=True, exist_ok=True)
    refs: dict[str, RegistryRef] = {}
    for kind, stem in COUNTY_FILES.items():
        src = next(p for p in (source / f"{stem}.csv", source / f"{stem}.json") if p.exists())
        shutil.copyfile(src, snap / src.name)
        refs[kind] = RegistryRef(
            path=f"registries/{src.name}", fingerprint=getattr(county, kind).fingerprint
        )
    return refs


def demo_snapshot(source: Path, county: County, out: Path) -> Any:
    """Snapshot the registries (:func:`demo_registry_refs`) and plan the draw on them."""
    from drawcore.record.draw_plans import DrawPlan

    refs = demo_registry_refs(source, county, out)
    snap = out / "registries"
    plan = DrawPlan(
        plan_id=DEMO_PLAN_ID,
        units=refs["units"],
        inspectors=refs["inspectors"],
        items=refs["items"],
        experts=refs["experts"],
        size=120,
        team_size=2,
        max_tasks=5,
        recusal_rules=("township",),
    )
    print(
        "\n"
        + _("== plan {plan}: draw {size} of {units} units, teams of 2").format(
            plan=plan.plan_id, size=plan.size, units=len(county.units)
        )
    )
    print(_("  registry snapshot in {snap}; plan hash {hash}").format(snap=snap, hash=plan.hash))
    return plan


def demo_commit(journal: Any, plan: Any) -> None:
    """Commit the plan before any entropy exists."""
    from drawcore.record import commitments

    rec = commitments.commit_plan(
        journal, plan, committed_at=DEMO_TIMES["committed_at"], committed_by="局长 王建国"
    )
    print(
        _("== commit: record {seq} holds the plan hash ({at})").format(
            seq=rec.seq, at=DEMO_TIMES["committed_at"]
        )
    )


def demo_seed(journal: Any, plan: Any) -> None:
    """Form the seed from public numbers announced after the commitment (RFC 3797)."""
    from drawcore.record import commitments

    rec = commitments.form_seed(
        journal,
        plan,
        entropy_at=DEMO_TIMES["entropy_at"],
        recorded_at=DEMO_TIMES["drawn_at"],
        rfc3797_sources=DEMO_PUBLIC_NUMBERS,
    )
    print(
        _(
            "== seed: record {seq}, RFC 3797 key {key} (numbers drawn {at}) -> seed {seed}..."
        ).format(
            seq=rec.seq,
            key=rec.body["key"],
            at=DEMO_TIMES["entropy_at"],
            seed=rec.body["seed"][:16],
        )
    )


def demo_draw(journal: Any, plan: Any) -> Any:
    """Draw the units and their teams, journal the record, print what was drawn."""
    from drawcore.record import ceremony
    from drawcore.record.signing import Signing

    signing = Signing(
        drawn_by="执法监察大队 李明",
        signed_by="局长 王建国",
        drawn_at=DEMO_TIMES["drawn_at"],
        signed_at=DEMO_TIMES["signed_at"],
    )
    drawn = ceremony.draw(journal, plan, signing=signing)
    from drawcore.publish.masking import scrub

    print(_("== draw"))
    # the demo shows what a published page would: persons' ID-card numbers masked
    print(scrub("\n".join(draw_lines(drawn, limit=DEMO_SHOW, lang=current()))))
    return drawn


def demo_results(journal: Any, drawn: Any, county: County) -> None:
    """Enter results for the first few tasks (BL-7 form, BL-8 谁抽查、谁录入); the
    penalised unit had concealed a major accident hazard (TJ-7: exposed, blacklisted)."""
    import datetime as dt

    from drawcore.publish.labels import Words
    from drawcore.publish.masking import scrub
    from drawcore.record import ceremony
    from drawcore.record.results import Finding, InspectionResult, Outcome

    outcomes = list(Outcome)
    opinions = {
        Outcome.NO_PROBLEM: "未发现问题",
        Outcome.RECTIFICATION_ORDERED: "责令限期整改，30日内复查",
        Outcome.PENALISED: "依法立案查处",
        Outcome.NOT_FOUND_AT_ADDRESS: "通过登记的住所无法联系，列入经营异常名录",
    }
    words = Words(current())
    for i, a in enumerate(drawn.outcome.teams.assignments[:4]):
        items = county.items.applicable(county.units[a.unit_id])
        outcome = outcomes[i % len(outcomes)]
        result = InspectionResult(
            plan_id=drawn.record.body["plan_id"],
            draw=drawn.record.seq,
            unit_id=a.unit_id,
            basis=tuple(sorted({it.legal_basis for it in items})),
            scope="生产经营场所",
            content=tuple(it.item for it in items),
            method="现场检查",
            handling_opinion=opinions[outcome],
            outcome=outcome,
            inspected_by=a.members,
            inspected_on=dt.date(2026, 2, 3 + i),
            entered_by=a.members[0],
            entered_at=f"2026-02-{3 + i:02d}T17:00:00+08:00",
            findings=(Finding.MAJOR_HAZARD_CONCEALED,) if outcome is Outcome.PENALISED else (),
        )
        rec = ceremony.record_result(journal, result)
        shown = [words.cell("finding", f) for f in result.findings]
        found = f" ({', '.join(shown)})" if result.findings else ""
        print(
            _("== result: record {seq}: {unit} {outcome}").format(
                seq=rec.seq, unit=scrub(a.unit_id), outcome=words.cell("outcome", outcome.value)
            )
            + found
        )


def demo_verify(journal: Any, out: Path, *, kind: str = "draw") -> Path:
    """Checkpoint the journal, verify it (replaying the draw or annual plan), then a
    tampered copy (one edited ``kind`` record) and a consistently forged one."""
    from drawcore.record.checkpoints import read_checkpoints, write_checkpoint
    from drawcore.record.verification import verify_draws

    cps = out / "checkpoints.jsonl"
    cp = journal.checkpoint(at=DEMO_TIMES["checkpoint_at"])
    write_checkpoint(cps, cp)
    print(
        _("== checkpoint: size {size}, root {root} -> {file}").format(
            size=cp.size, root=cp.root, file=cps
        )
    )
    report = verify_draws(journal.path, checkpoints=read_checkpoints(cps))
    print(
        _("== verify (hashes, chain, rules, Merkle root, replay of every draw): {verdict}").format(
            verdict=_("OK") if report.ok else _("FAILED")
        )
    )
    if not report.ok:
        raise DrawcoreError(report.format(current()))
    tampered = out / "journal-tampered.jsonl"
    lines = journal.path.read_bytes().split(b"\n")
    marker = f'"type":"{kind}"'.encode()
    seq = next(i for i, line in enumerate(lines) if marker in line)
    lines[seq] = lines[seq].replace(b'"drawn_by":"', b'"drawn_by":"X', 1)
    tampered.write_bytes(b"\n".join(lines))
    bad = verify_draws(tampered, checkpoints=read_checkpoints(cps), registry_dir=out)
    print(
        _("== verify a copy with one edited {kind} record: {verdict}").format(
            kind=kind, verdict=_("OK") if bad.ok else _("FAILED")
        )
    )
    for problem in bad.problems[:4]:
        print(f"  {problem.format(current())[:160]}")
    if bad.ok:
        raise DrawcoreError(msg("the tampered copy verified; it must not"))
    if kind == "draw":
        demo_forgery(journal, out)
    else:
        demo_year_forgery(journal, out)
    return cps


def demo_forgery(journal: Any, out: Path) -> None:
    """A consistent rewrite (every hash recomputed) that swaps one drawn unit: replay catches it."""
    from drawcore.publish.masking import scrub

    entries = [(r.type, r.body) for r in journal.records()]
    _kind, body = next((k, b) for k, b in entries if k == "draw")
    drawn = {u["unit_id"] for u in body["units"]}
    body["units"][-1]["unit_id"] = next(u for u in journal_units(out, body) if u not in drawn)
    _verify_forged(entries, out, _("one unit swapped"), scrub)


def demo_year_forgery(journal: Any, out: Path) -> None:
    """A consistent rewrite that moves one drawn task's unit to a unit that was not
    drawn (every hash recomputed): replaying the annual plan catches it."""
    import attrs

    from drawcore.plan.tasks import AnnualPlan
    from drawcore.publish.masking import scrub
    from drawcore.record.annual import AnnualPlanRecord
    from drawcore.serde import structure, unstructure

    entries = [(r.type, r.body) for r in journal.records()]
    _kind, body = next((k, b) for k, b in entries if k == "annual_plan")
    record = AnnualPlanRecord.from_body(body)
    plan = unstructure(record.result)
    tasks = [t for rd in plan["rounds"] for t in rd["tasks"]]
    planned = {t["unit_id"] for t in tasks}
    task = next(t for t in tasks if t["kind"] == "drawn")
    # a unit the year did not plan; in a county where every unit is planned, another task's unit
    others = [u for u in journal_units(out, body) if u not in planned] or sorted(
        planned - {task["unit_id"]}
    )
    task["unit_id"] = others[0]
    forged = attrs.evolve(record, result=structure(plan, AnnualPlan))
    body.clear()
    body.update(forged.body())
    _verify_forged(entries, out, _("one drawn unit swapped"), scrub)


def _verify_forged(
    entries: list[tuple[str, Any]], out: Path, change: str, show: Callable[[str], str]
) -> None:
    """Journal the rewritten ``entries`` as a forged copy and show that verify refuses it."""
    from drawcore.record.journal import Journal
    from drawcore.record.verification import verify_draws

    forged = out / "journal-forged.jsonl"
    forged.unlink(missing_ok=True)
    Journal(forged).append_many(entries)
    bad = verify_draws(forged, registry_dir=out)
    print(
        _("== verify a forged copy ({change}, every hash recomputed): {verdict}").format(
            change=change, verdict=_("OK") if bad.ok else _("FAILED")
        )
    )
    for problem in bad.problems[:2]:
        print(f"  {show(problem.format(current()))[:160]}")
    if bad.ok:
        raise DrawcoreError(msg("the forged copy verified; it must not"))


def journal_units(out: Path, body: Any) -> list[str]:
    """Unit ids of the registry snapshot a draw record names."""
    from drawcore.record.draw_plans import RegistryRef
    from drawcore.record.snapshots import load_units

    return [str(u) for u in load_units(RegistryRef(**body["plan"]["units"]), out).ids.tolist()]


def demo_publish(journal: Any, out: Path, rules: Any = None) -> None:
    """Publish the quarter: items, plans, draws, results; personal data masked."""
    from drawcore.publish.disclosure import publish

    reason_text = rules.reason_text if rules is not None else None
    files = publish(
        journal.path, out / "public" / "2026Q1", quarter="2026Q1", reason_text=reason_text
    )
    print(
        _("== publish 2026Q1: {names} in {out}").format(
            names=", ".join(f.name for f in files), out=out / "public" / "2026Q1"
        )
    )


def demo_ceremony(source: Path, county: County, out: Path) -> None:
    """The whole ceremony on the example county: plan, commit, seed, draw, results,
    checkpoint, verify, tamper, publish."""
    from drawcore.record.journal import Journal

    journal_path = out / "journal.jsonl"
    if journal_path.exists():
        raise InvalidInputError(
            msg("{journal_path} exists; give --out an empty directory", journal_path=journal_path)
        )
    plan = demo_snapshot(source, county, out)
    journal = Journal(journal_path)
    demo_commit(journal, plan)
    demo_seed(journal, plan)
    drawn = demo_draw(journal, plan)
    demo_results(journal, drawn, county)
    cps = demo_verify(journal, out)
    demo_publish(journal, out)
    demo_use_of_results(journal, county)
    print(
        "\n"
        + _("replay it yourself: {command}").format(
            command=f"drawcore verify {journal_path} --checkpoint {cps}"
        )
    )
    followup = (
        f"drawcore followup {journal_path} --units {out / 'registries' / 'units.csv'}"
        " --out NEW_UNITS.csv"
    )
    completion = (
        f"drawcore completion {journal_path} --plan-id {DEMO_PLAN_ID}"
        f" --as-of {DEMO_AS_OF} --due {DEMO_DUE}"
    )
    print(_("follow up: {followup}; {completion}").format(followup=followup, completion=completion))


#: The demo draw's tasks are due by the quarter's end; the demo assesses them before.
DEMO_DUE = "2026-03-31"
DEMO_AS_OF = "2026-02-28"


def demo_use_of_results(journal: Any, county: County) -> None:
    """Use of results: the draw's completion (TJ-10) and the registry changes the
    results make for next year's registry (BL-10, TJ-7), a few lines of each."""
    import datetime as dt

    from drawcore.publish.completion import completion_report, format_completion
    from drawcore.publish.followup import apply_results, format_changes
    from drawcore.publish.masking import scrub
    from drawcore.record.live import live_plan, live_results

    records = journal.records()
    _record, record = live_plan(records, DEMO_PLAN_ID)
    results = live_results(records, plan_id=DEMO_PLAN_ID)
    report = completion_report(
        record,
        results,
        as_of=dt.date.fromisoformat(DEMO_AS_OF),
        due=dt.date.fromisoformat(DEMO_DUE),
    )
    print(_("== completion (TJ-10)"))
    print("\n".join(format_completion(report, limit=0, lang=current()).splitlines()[:3]))
    new, changes = apply_results(county.units, results)
    print(_("== follow-up for next year's registry (BL-10, TJ-7)"))
    print(scrub(format_changes(changes, new, lang=current())))


#: The demo's annual plan: the year, its rounds, the day the unit registry was renewed
#: (BL-3) and how many lines each section shows.
DEMO_YEAR = 2026
DEMO_ROUNDS = 4
DEMO_REGISTRY_DATE = "2026-01-02"
DEMO_YEAR_SHOW = 4


def demo_year(source: Path, county: County, out: Path, jurisdiction: str) -> None:
    """A year planned for the county under ``jurisdiction``'s rules, through the ceremony:
    commit the spec (fingerprints, parameters, plugins and versions, the rules'
    decisions), form the seed from public numbers, plan, journal, verify, publish."""
    import datetime as dt

    from drawcore.plan.forms import format_plan
    from drawcore.plugin.rules import Rules
    from drawcore.record import year_ceremony
    from drawcore.record.annual import year_plan_spec
    from drawcore.record.journal import Journal
    from drawcore.record.signing import Signing

    journal_path = out / "journal.jsonl"
    if journal_path.exists():
        raise InvalidInputError(
            msg("{journal_path} exists; give --out an empty directory", journal_path=journal_path)
        )
    rules = Rules.for_jurisdiction(jurisdiction)
    refs = demo_registry_refs(source, county, out)
    spec = year_plan_spec(
        f"{DEMO_YEAR}-county-{rules.jurisdiction}",
        county,
        refs,
        year=DEMO_YEAR,
        rules=rules,
        rounds=DEMO_ROUNDS,
        registry_date=dt.date.fromisoformat(DEMO_REGISTRY_DATE),
    )
    plugins = ", ".join(f"{n} {v}" for n, v in spec.rules)
    head = _(
        "== annual plan {plan}: {year} in {rounds} rounds, rules of {jurisdiction} ({plugins})"
    )
    print(
        "\n"
        + head.format(
            plan=spec.plan_id,
            year=spec.year,
            rounds=spec.rounds,
            jurisdiction=spec.jurisdiction,
            plugins=plugins,
        )
    )
    snap = _("  registry snapshot in {snap}; rules' decisions {decisions}")
    print(snap.format(snap=out / "registries", decisions=spec.commitment))
    print(_("  plan hash {hash}").format(hash=spec.hash))
    journal = Journal(journal_path)
    demo_commit(journal, spec)
    demo_seed(journal, spec)
    drawn = year_ceremony.draw_year(
        journal,
        spec,
        rules=rules,
        signing=Signing(
            drawn_by="执法监察大队 李明",
            signed_by="局长 王建国",
            drawn_at=DEMO_TIMES["drawn_at"],
            signed_at=DEMO_TIMES["signed_at"],
        ),
    )
    size = len(journal_path.read_bytes()) // 1024
    held = _(
        "== annual plan: record {seq} holds every round ({tasks} tasks, {size} KiB of journal); "
        "drawn by {drawn_by}, signed by {signed_by}"
    )
    print(
        held.format(
            seq=drawn.record.seq,
            tasks=len(drawn.plan.tasks),
            size=size,
            drawn_by="执法监察大队 李明",
            signed_by="局长 王建国",
        )
    )
    print(
        format_plan(drawn.plan, limit=DEMO_YEAR_SHOW, lang=current(), reason_text=rules.reason_text)
    )
    cps = demo_verify(journal, out, kind="annual_plan")
    demo_publish(journal, out, rules)
    print(
        "\n"
        + _("replay it yourself: {command}").format(
            command=f"drawcore verify {journal_path} --checkpoint {cps}"
        )
    )


def run(args: argparse.Namespace) -> int:
    print(
        _("drawcore {version} demo: county {county}").format(
            version=__version__, county=args.county
        )
    )
    county = demo_load(args.county)
    demo_report_county(county)
    out = args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="drawcore-demo-"))
    if args.jurisdiction:
        demo_year(args.county, county, out, args.jurisdiction)
    else:
        demo_ceremony(args.county, county, out)
    return 0
