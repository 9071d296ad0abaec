"""The ``drawcore`` command line: thin wrappers over the library.

Each subcommand is one :class:`Command` in :data:`COMMANDS`: a name, a help line,
a function that adds its arguments and a function that runs it and returns the
exit status. Adding a subcommand is adding one entry to the table.

Exit status: 0 on success; 1 when a journal does not verify (``verify``,
``followup``, ``completion``) or, with ``completion --fail-overdue``, when work is
overdue; 2 with a one-line reason on stderr (then every
problem, one per line) when drawcore refuses the input (any
:class:`~drawcore.errors.DrawcoreError`); argparse's usage errors also exit 2.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from drawcore import __version__
from drawcore.errors import DrawcoreError, InvalidInputError
from drawcore.io import HEADER_ALIASES, REGISTRY_KINDS, read_county, read_registry
from drawcore.registry import County, Kind, _Registry

__all__ = ["COMMANDS", "Command", "main", "summarise"]

#: Where ``drawcore demo`` finds the example county in a source checkout.
EXAMPLE_COUNTY = Path(__file__).resolve().parents[2] / "examples" / "county"


@attrs.frozen
class Command:
    """One subcommand: ``configure`` adds its arguments, ``run`` does it and returns the status."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# -- summaries --------------------------------------------------------------------------------


def summarise(registry: _Registry[Any], *, top: int = 12) -> list[str]:
    """Human-readable lines: record count, fingerprint, and counts of each category and flag."""
    lines = [
        f"{registry.what}: {len(registry)} records",
        f"  fingerprint: {registry.fingerprint}",
    ]
    for spec in registry.schema:
        col = registry.column(spec.name)
        if spec.kind is Kind.BOOL:
            lines.append(f"  {spec.name}: {int(np.count_nonzero(col))}")
        elif spec.kind is Kind.ENUM:
            counts = np.bincount(col.astype(np.int64), minlength=len(spec.members))
            parts = [f"{m.value} {int(c)}" for m, c in zip(spec.members, counts, strict=True) if c]
            lines.append(f"  {spec.name}: " + ", ".join(parts))
        elif spec.kind is Kind.YEAR:
            lines.append(f"  {spec.name} given: {int(np.count_nonzero(col))}")
        elif spec.kind in (Kind.TEXT, Kind.TAGS) and spec.name in (
            "industry",
            "township",
            "work_unit",
        ):
            counter = Counter(col.tolist())
            shown = ", ".join(f"{k} {v}" for k, v in sorted(counter.items())[:top])
            more = f", ... ({len(counter)} in all)" if len(counter) > top else ""
            lines.append(f"  {spec.name} ({len(counter)}): {shown}{more}")
    return lines


def _guess_kind(path: Path) -> str:
    """The registry kind from the file name, else from the first line's id column."""
    stem = path.stem.lower()
    for name in [*REGISTRY_KINDS, *(k.rstrip("s") for k in REGISTRY_KINDS)]:
        if name in stem:
            return name if name in REGISTRY_KINDS else f"{name}s"
    try:
        head = path.read_bytes()[:4096].decode("utf-8-sig", errors="ignore")
    except OSError:
        head = ""
    for kind, aliases in HEADER_ALIASES.items():
        id_field = REGISTRY_KINDS[kind].id_field
        if any(name in head for name in (id_field, *aliases[id_field])):
            return kind
    raise InvalidInputError(
        f"{path}: cannot tell which registry this is; pass --kind ({'|'.join(REGISTRY_KINDS)})"
    )


# -- validate ---------------------------------------------------------------------------------


def _configure_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="a registry file (.csv or .json)")
    p.add_argument(
        "--kind",
        choices=sorted(REGISTRY_KINDS),
        help="which registry the file holds (default: guessed from the file name or header)",
    )
    p.add_argument(
        "--encoding", help="text encoding (default: UTF-8, with or without BOM, or GB18030)"
    )
    p.add_argument(
        "--allow-unknown-columns",
        action="store_true",
        help="ignore columns the header mapping does not know instead of rejecting the file",
    )


def _run_validate(args: argparse.Namespace) -> int:
    kind = args.kind or _guess_kind(args.file)
    registry = read_registry(
        REGISTRY_KINDS[kind],
        args.file,
        encoding=args.encoding,
        allow_unknown_columns=args.allow_unknown_columns,
    )
    print(f"{args.file}: valid")
    print("\n".join(summarise(registry)))
    return 0


# -- demo -------------------------------------------------------------------------------------


def _configure_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--county",
        type=Path,
        default=EXAMPLE_COUNTY,
        help="directory with units, inspectors, experts and items files "
        "(default: the example county of this checkout)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="empty directory for the journal, checkpoints, registry snapshot and "
        "publication (default: a new temporary directory)",
    )
    p.add_argument(
        "--jurisdiction",
        help="plan a year for the county under this jurisdiction's rules (e.g. boluo, "
        "tianjin) through the same ceremony: commit, seed, plan, journal, verify, publish",
    )


def demo_load(directory: Path) -> County:
    """Step 1 of the demo: read and validate the four foundations."""
    if not directory.is_dir():
        raise InvalidInputError(
            f"{directory}: no such directory; run examples/make_county.py or pass --county DIR"
        )
    return read_county(directory)


def demo_report_county(county: County) -> None:
    """Step 2 of the demo: what was loaded, with the fingerprints a plan would commit to."""
    for registry in (county.units, county.inspectors, county.experts, county.items):
        print("\n".join(summarise(registry)))


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

    from drawcore.io import COUNTY_FILES
    from drawcore.record import RegistryRef

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
    from drawcore.record import DrawPlan

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
    print(f"\n== plan {plan.plan_id}: draw {plan.size} of {len(county.units)} units, teams of 2")
    print(f"  registry snapshot in {snap}; plan hash {plan.hash}")
    return plan


def demo_commit(journal: Any, plan: Any) -> None:
    """Commit the plan before any entropy exists."""
    from drawcore import ceremony

    rec = ceremony.commit_plan(
        journal, plan, committed_at=DEMO_TIMES["committed_at"], committed_by="局长 王建国"
    )
    print(f"== commit: record {rec.seq} holds the plan hash ({DEMO_TIMES['committed_at']})")


def demo_seed(journal: Any, plan: Any) -> None:
    """Form the seed from public numbers announced after the commitment (RFC 3797)."""
    from drawcore import ceremony

    rec = ceremony.form_seed(
        journal,
        plan,
        entropy_at=DEMO_TIMES["entropy_at"],
        recorded_at=DEMO_TIMES["drawn_at"],
        rfc3797_sources=DEMO_PUBLIC_NUMBERS,
    )
    print(
        f"== seed: record {rec.seq}, RFC 3797 key {rec.body['key']} "
        f"(numbers drawn {DEMO_TIMES['entropy_at']}) -> seed {rec.body['seed'][:16]}..."
    )


def demo_draw(journal: Any, plan: Any) -> Any:
    """Draw the units and their teams, journal the record, print what was drawn."""
    from drawcore import ceremony

    drawn = ceremony.draw(
        journal,
        plan,
        drawn_by="执法监察大队 李明",
        signed_by="局长 王建国",
        drawn_at=DEMO_TIMES["drawn_at"],
        signed_at=DEMO_TIMES["signed_at"],
    )
    from drawcore.disclosure import scrub

    print("== draw")
    # the demo shows what a published page would: persons' ID-card numbers masked
    print(scrub("\n".join(_draw_lines(drawn, limit=DEMO_SHOW))))
    return drawn


def demo_results(journal: Any, drawn: Any, county: County) -> None:
    """Enter results for the first few tasks (BL-7 form, BL-8 谁抽查、谁录入); the
    penalised unit had concealed a major accident hazard (TJ-7: exposed, blacklisted)."""
    import datetime as dt

    from drawcore import ceremony
    from drawcore.disclosure import scrub
    from drawcore.results import Finding, InspectionResult, Outcome

    outcomes = list(Outcome)
    opinions = {
        Outcome.NO_PROBLEM: "未发现问题",
        Outcome.RECTIFICATION_ORDERED: "责令限期整改，30日内复查",
        Outcome.PENALISED: "依法立案查处",
        Outcome.NOT_FOUND_AT_ADDRESS: "通过登记的住所无法联系，列入经营异常名录",
    }
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
        found = f" ({', '.join(result.findings)})" if result.findings else ""
        print(f"== result: record {rec.seq}: {scrub(a.unit_id)} {outcome.value}{found}")


def demo_verify(journal: Any, out: Path, *, kind: str = "draw") -> Path:
    """Checkpoint the journal, verify it (replaying the draw or annual plan), then a
    tampered copy (one edited ``kind`` record) and a consistently forged one."""
    from drawcore.ceremony import verify_draws
    from drawcore.journal import read_checkpoints, write_checkpoint

    cps = out / "checkpoints.jsonl"
    cp = journal.checkpoint(at=DEMO_TIMES["checkpoint_at"])
    write_checkpoint(cps, cp)
    print(f"== checkpoint: size {cp.size}, root {cp.root} -> {cps}")
    report = verify_draws(journal.path, checkpoints=read_checkpoints(cps))
    print(
        f"== verify (hashes, chain, rules, Merkle root, replay of every draw): "
        f"{'OK' if report.ok else 'FAILED'}"
    )
    if not report.ok:
        raise DrawcoreError(report.format())
    tampered = out / "journal-tampered.jsonl"
    lines = journal.path.read_bytes().split(b"\n")
    marker = f'"type":"{kind}"'.encode()
    seq = next(i for i, line in enumerate(lines) if marker in line)
    lines[seq] = lines[seq].replace(b'"drawn_by":"', b'"drawn_by":"X', 1)
    tampered.write_bytes(b"\n".join(lines))
    bad = verify_draws(tampered, checkpoints=read_checkpoints(cps), registry_dir=out)
    print(f"== verify a copy with one edited {kind} record: {'OK' if bad.ok else 'FAILED'}")
    for problem in bad.problems[:4]:
        print(f"  {problem.format()[:160]}")
    if bad.ok:
        raise DrawcoreError("the tampered copy verified; it must not")
    if kind == "draw":
        demo_forgery(journal, out)
    else:
        demo_year_forgery(journal, out)
    return cps


def demo_forgery(journal: Any, out: Path) -> None:
    """A consistent rewrite (every hash recomputed) that swaps one drawn unit: replay catches it."""
    from drawcore.disclosure import scrub

    entries = [(r.type, r.body) for r in journal.records()]
    _, body = next((k, b) for k, b in entries if k == "draw")
    drawn = {u["unit_id"] for u in body["units"]}
    body["units"][-1]["unit_id"] = next(u for u in journal_units(out, body) if u not in drawn)
    _verify_forged(entries, out, "one unit swapped", scrub)


def demo_year_forgery(journal: Any, out: Path) -> None:
    """A consistent rewrite that moves one drawn task's unit to a unit that was not
    drawn (every hash recomputed): replaying the annual plan catches it."""
    from drawcore.disclosure import scrub

    entries = [(r.type, r.body) for r in journal.records()]
    _, body = next((k, b) for k, b in entries if k == "annual_plan")
    tasks = [t for rd in body["result"]["rounds"] for t in rd["tasks"]]
    planned = {t["unit_id"] for t in tasks}
    task = next(t for t in tasks if t["kind"] == "drawn")
    task["unit_id"] = next(u for u in journal_units(out, body) if u not in planned)
    _verify_forged(entries, out, "one drawn unit swapped", scrub)


def _verify_forged(
    entries: list[tuple[str, Any]], out: Path, change: str, show: Callable[[str], str]
) -> None:
    """Journal the rewritten ``entries`` as a forged copy and show that verify refuses it."""
    from drawcore.ceremony import verify_draws
    from drawcore.journal import Journal

    forged = out / "journal-forged.jsonl"
    forged.unlink(missing_ok=True)
    Journal(forged).append_many(entries)
    bad = verify_draws(forged, registry_dir=out)
    print(
        f"== verify a forged copy ({change}, every hash recomputed): {'OK' if bad.ok else 'FAILED'}"
    )
    for problem in bad.problems[:2]:
        print(f"  {show(problem.format())[:160]}")
    if bad.ok:
        raise DrawcoreError("the forged copy verified; it must not")


def journal_units(out: Path, body: Any) -> list[str]:
    """Unit ids of the registry snapshot a draw record names."""
    from drawcore.ceremony import load_units
    from drawcore.record import RegistryRef

    return [str(u) for u in load_units(RegistryRef(**body["plan"]["units"]), out).ids.tolist()]


def demo_publish(journal: Any, out: Path) -> None:
    """Publish the quarter: items, plans, draws, results; personal data masked."""
    from drawcore.disclosure import publish

    files = publish(journal.path, out / "public" / "2026Q1", quarter="2026Q1")
    print(f"== publish 2026Q1: {', '.join(f.name for f in files)} in {out / 'public' / '2026Q1'}")


def demo_ceremony(source: Path, county: County, out: Path) -> None:
    """The whole ceremony on the example county: plan, commit, seed, draw, results,
    checkpoint, verify, tamper, publish."""
    from drawcore.journal import Journal

    journal_path = out / "journal.jsonl"
    if journal_path.exists():
        raise InvalidInputError(f"{journal_path} exists; give --out an empty directory")
    plan = demo_snapshot(source, county, out)
    journal = Journal(journal_path)
    demo_commit(journal, plan)
    demo_seed(journal, plan)
    drawn = demo_draw(journal, plan)
    demo_results(journal, drawn, county)
    cps = demo_verify(journal, out)
    demo_publish(journal, out)
    demo_use_of_results(journal, county)
    print(f"\nreplay it yourself: drawcore verify {journal_path} --checkpoint {cps}")
    print(
        f"follow up: drawcore followup {journal_path} --units {out / 'registries' / 'units.csv'}"
        f" --out NEW_UNITS.csv; drawcore completion {journal_path} --plan-id {DEMO_PLAN_ID}"
        f" --as-of {DEMO_AS_OF} --due {DEMO_DUE}"
    )


#: The demo draw's tasks are due by the quarter's end; the demo assesses them before.
DEMO_DUE = "2026-03-31"
DEMO_AS_OF = "2026-02-28"


def demo_use_of_results(journal: Any, county: County) -> None:
    """Use of results: the draw's completion (TJ-10) and the registry changes the
    results make for next year's registry (BL-10, TJ-7), a few lines of each."""
    import datetime as dt

    from drawcore.ceremony import live_plan, live_results
    from drawcore.disclosure import scrub
    from drawcore.followup import (
        apply_results,
        completion_report,
        format_changes,
        format_completion,
    )

    records = journal.records()
    _, record = live_plan(records, DEMO_PLAN_ID)
    results = live_results(records, plan_id=DEMO_PLAN_ID)
    report = completion_report(
        record,
        results,
        as_of=dt.date.fromisoformat(DEMO_AS_OF),
        due=dt.date.fromisoformat(DEMO_DUE),
    )
    print("== completion (TJ-10)")
    print("\n".join(format_completion(report, limit=0).splitlines()[:3]))
    new, changes = apply_results(county.units, results)
    print("== follow-up for next year's registry (BL-10, TJ-7)")
    print(scrub(format_changes(changes, new)))


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

    from drawcore import ceremony
    from drawcore.journal import Journal
    from drawcore.plugin.rules import Rules
    from drawcore.record import year_plan_spec
    from drawcore.schedule import format_plan

    journal_path = out / "journal.jsonl"
    if journal_path.exists():
        raise InvalidInputError(f"{journal_path} exists; give --out an empty directory")
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
    print(
        f"\n== annual plan {spec.plan_id}: {spec.year} in {spec.rounds} rounds, rules of "
        f"{spec.jurisdiction} ({plugins})"
    )
    print(f"  registry snapshot in {out / 'registries'}; rules' decisions {spec.commitment}")
    print(f"  plan hash {spec.hash}")
    journal = Journal(journal_path)
    demo_commit(journal, spec)
    demo_seed(journal, spec)
    drawn = ceremony.draw_year(
        journal,
        spec,
        rules=rules,
        drawn_by="执法监察大队 李明",
        signed_by="局长 王建国",
        drawn_at=DEMO_TIMES["drawn_at"],
        signed_at=DEMO_TIMES["signed_at"],
    )
    size = len(journal_path.read_bytes()) // 1024
    print(
        f"== annual plan: record {drawn.record.seq} holds every round "
        f"({len(drawn.plan.tasks)} tasks, {size} KiB of journal); drawn by 执法监察大队 李明, "
        f"signed by 局长 王建国"
    )
    print(format_plan(drawn.plan, limit=DEMO_YEAR_SHOW))
    cps = demo_verify(journal, out, kind="annual_plan")
    demo_publish(journal, out)
    print(f"\nreplay it yourself: drawcore verify {journal_path} --checkpoint {cps}")


def _run_demo(args: argparse.Namespace) -> int:
    print(f"drawcore {__version__} demo: county {args.county}")
    county = demo_load(args.county)
    demo_report_county(county)
    out = args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="drawcore-demo-"))
    if args.jurisdiction:
        demo_year(args.county, county, out, args.jurisdiction)
    else:
        demo_ceremony(args.county, county, out)
    return 0


# -- verify -----------------------------------------------------------------------------------


def _configure_verify(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help="the journal file (one JSON record per line)")
    p.add_argument(
        "--checkpoint",
        type=Path,
        help="a checkpoint file held elsewhere; every checkpoint in it must match the journal",
    )
    p.add_argument(
        "--registry-dir",
        type=Path,
        help="where the registry snapshots named by draw records are "
        "(default: the journal's directory)",
    )
    p.add_argument("--no-replay", action="store_true", help="check hashes, chain and rules only")


def _run_verify(args: argparse.Namespace) -> int:
    from drawcore.ceremony import replayers
    from drawcore.journal import verify_file

    replay = None if args.no_replay else replayers(args.journal, registry_dir=args.registry_dir)
    report = verify_file(args.journal, args.checkpoint, replay=replay)
    print(report.format())
    if not report.ok:
        first = report.problems[0].format()
        count = len(report.problems)
        print(f"drawcore: verify failed: {count} problem(s); {first}", file=sys.stderr)
        return 1
    return 0


# -- draw ---------------------------------------------------------------------------------------


def _public_numbers(text: str) -> list[list[int]]:
    """``"3,11,17,22,28,31/9/742"`` -> RFC 3797 sources (``/`` between sources, ``,`` within)."""
    try:
        return [[int(x) for x in part.split(",")] for part in text.strip().strip("/").split("/")]
    except ValueError:
        raise InvalidInputError(
            f"--public-numbers {text!r}: expected integers, ',' within a source and '/' "
            "between sources, e.g. 3,11,17,22,28,31/9/742"
        ) from None


def _pair(text: str, what: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise InvalidInputError(f"{what} {text!r}: expected NAME=VALUE")
    return name, value


def _hex_arg(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InvalidInputError(f"{what}: {text!r} is not hex") from None


def _configure_draw(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help="the journal file (created if missing)")
    p.add_argument("--units", type=Path, required=True, help="unit registry snapshot")
    p.add_argument("--inspectors", type=Path, required=True, help="inspector registry snapshot")
    p.add_argument("--items", type=Path, help="inspection item list (published with results)")
    p.add_argument("--plan-id", required=True, help="the draw's id, e.g. 2026Q1-boluo")
    p.add_argument("--size", type=int, required=True, help="number of units to draw")
    p.add_argument("--team-size", type=int, default=2, help="inspectors per team (default 2)")
    p.add_argument("--max-tasks", type=int, help="most tasks per inspector")
    p.add_argument(
        "--strata",
        metavar="FIELD",
        help="stratify by this unit field (e.g. township, industry, risk_level); the "
        "stratum sizes are recorded in the plan",
    )
    p.add_argument(
        "--allocation",
        choices=("proportional",),
        default="proportional",
        help="with --strata: how --size is split over the strata (default proportional "
        "to the strata's sizes in the registry)",
    )
    p.add_argument(
        "--experts",
        type=Path,
        help="industry expert registry snapshot (TJ-8); with --jurisdiction, needed when "
        "its rules ask for experts on a team",
    )
    p.add_argument("--mandatory", nargs="*", default=[], metavar="UNIT", help="units always drawn")
    p.add_argument("--exclude", nargs="*", default=[], metavar="UNIT", help="units never drawn")
    p.add_argument(
        "--recusal",
        nargs="*",
        default=[],
        metavar="RULE",
        help="recusal rules applied to drawn units: township, work_unit",
    )
    p.add_argument(
        "--jurisdiction",
        help="apply this jurisdiction's rules (weights, mandatory and excluded units with "
        "reasons, recusals, team size, expertise and experts per unit); the rules and "
        "plugin versions are recorded and re-checked by verify",
    )
    p.add_argument(
        "--year",
        type=int,
        help="the year the rules are asked about (default: the year of --committed-at, "
        "else --drawn-at; give it when the steps straddle a new year)",
    )
    p.add_argument(
        "--include-mandatory",
        action="store_true",
        help="with --jurisdiction: also draw every unit its rules require at least once a "
        "year (for a single yearly draw; an annual plan spreads them over rounds)",
    )
    p.add_argument("--committed-at", help="when the plan is committed (ISO 8601 with offset)")
    p.add_argument("--committed-by", help="who commits the plan")
    p.add_argument(
        "--public-numbers",
        help="RFC 3797 sources announced in advance: ',' within a source, '/' between "
        "sources, e.g. 3,11,17,22,28,31/9/742",
    )
    p.add_argument("--entropy-at", help="when the public numbers were drawn / the last reveal")
    p.add_argument(
        "--party-commit",
        action="append",
        default=[],
        metavar="NAME=COMMITMENT",
        help="a party's commitment, SHA-256(contribution || salt) hex (repeatable)",
    )
    p.add_argument(
        "--party-reveal",
        action="append",
        default=[],
        metavar="NAME=CONTRIBUTION:SALT",
        help="a party's reveal, both hex (repeatable); the seed then uses the parties",
    )
    p.add_argument("--party-at", help="when the party commitments / reveals happen")
    p.add_argument("--drawn-by", help="who makes the draw (TJ-9 谁抽查)")
    p.add_argument("--signed-by", help="who signs the draw (TJ-9 谁签字)")
    p.add_argument("--drawn-at", help="when the draw is made")
    p.add_argument("--signed-at", help="when the draw is signed")
    p.add_argument(
        "--engine",
        choices=("numpy", "dask"),
        default="numpy",
        help="unit draw engine (dask needs drawcore[dask]); the result is the same",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: the Dask scheduler to run on (e.g. tcp://host:8786), "
        "with a progress bar",
    )


def _draw_plan(args: argparse.Namespace) -> Any:
    import os
    from collections import Counter
    from collections.abc import Hashable

    from drawcore.io import read_experts, read_inspectors, read_items, read_units
    from drawcore.record import DrawPlan, RegistryRef, stratum_labels
    from drawcore.sampling import allocate_proportional

    base = args.journal.resolve().parent

    def ref(path: Path, fingerprint: str) -> RegistryRef:
        return RegistryRef(path=os.path.relpath(path.resolve(), base), fingerprint=fingerprint)

    items = None
    if args.items is not None:
        items = ref(args.items, read_items(args.items).fingerprint)
    units = read_units(args.units)
    inspectors = read_inspectors(args.inspectors)
    params: dict[str, Any] = {
        "items": items,
        "team_size": args.team_size,
        "max_tasks": args.max_tasks,
        "mandatory": args.mandatory,
        "excluded": args.exclude,
        "recusal_rules": args.recusal,
    }
    experts = None
    if args.experts is not None:
        experts = read_experts(args.experts)
        params["experts"] = ref(args.experts, experts.fingerprint)
    if args.strata is not None:
        counts: dict[Hashable, int] = dict(Counter(stratum_labels(units, args.strata)))
        params.update(
            strata_field=args.strata,
            stratum_sizes=allocate_proportional(counts, args.size),
            allocation=args.allocation,
        )
    units_ref = ref(args.units, units.fingerprint)
    inspectors_ref = ref(args.inspectors, inspectors.fingerprint)
    if args.jurisdiction is None:
        return DrawPlan(
            plan_id=args.plan_id,
            units=units_ref,
            inspectors=inspectors_ref,
            size=args.size,
            **params,
        )
    return _rules_plan(args, units, inspectors, experts, units_ref, inspectors_ref, params)


def _rules_plan(
    args: argparse.Namespace,
    units: Any,
    inspectors: Any,
    experts: Any,
    units_ref: Any,
    inspectors_ref: Any,
    params: dict[str, Any],
) -> Any:
    """A draw plan with the rules of ``--jurisdiction`` applied (:func:`plan_from_rules`)."""
    import datetime as dt

    from drawcore.ceremony import plan_from_rules
    from drawcore.plugin.rules import Rules
    from drawcore.plugin.values import PlanContext
    from drawcore.seeding import parse_time

    year = args.year
    for name in ("committed_at", "drawn_at"):
        if year is None and getattr(args, name) is not None:
            year = parse_time(getattr(args, name), f"--{name.replace('_', '-')}").year
    if year is None:
        raise InvalidInputError("--jurisdiction needs --year (or --committed-at / --drawn-at)")
    rules = Rules.for_jurisdiction(args.jurisdiction)
    active = [i for i in inspectors if i.active]
    context = PlanContext(
        year=year,
        rounds=1,
        start=dt.date(year, 1, 1),
        jurisdiction=rules.jurisdiction,
        inspector_expertise={e for i in active for e in i.expertise},
        expert_expertise={e for x in experts or () if x.active for e in x.expertise},
        experts=sum(1 for x in experts or () if x.active),
    )
    return plan_from_rules(
        args.plan_id,
        units,
        units_ref,
        inspectors_ref,
        rules=rules,
        context=context,
        size=args.size,
        include_mandatory=args.include_mandatory,
        inspectors=inspectors,
        **params,
    )


def _required(args: argparse.Namespace, *names: str) -> None:
    missing = [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) is None]
    if missing:
        raise InvalidInputError(f"this step needs {', '.join(missing)}")


def _run_draw(args: argparse.Namespace) -> int:
    from drawcore import ceremony
    from drawcore.journal import Journal

    sampler = _sampler(args.engine, args.scheduler)  # bad options fail before any record
    plan = _draw_plan(args)
    if plan.rules_context is not None:
        print("\n".join(_rules_lines(plan)))
    if plan.strata_field is not None:
        sizes = ", ".join(f"{k} {n}" for k, n in plan.stratum_sizes)
        print(f"strata by {plan.strata_field} ({plan.allocation}): {sizes}")
    journal = Journal(args.journal)
    state = journal.ceremony().plans.get(plan.plan_id)
    if state is None:
        _required(args, "committed_at", "committed_by")
    seeding_now = args.public_numbers is not None or args.party_reveal
    if state is None and (not seeding_now or args.party_commit):
        rec = ceremony.commit_plan(
            journal, plan, committed_at=args.committed_at, committed_by=args.committed_by
        )
        print(f"record {rec.seq}: plan {plan.plan_id} committed, hash {plan.hash}")
        state = journal.ceremony().plans.get(plan.plan_id)
    for text in args.party_commit:
        _required(args, "party_at")
        name, commitment = _pair(text, "--party-commit")
        rec = ceremony.commit_party(
            journal, plan.plan_id, name, commitment, committed_at=args.party_at
        )
        print(f"record {rec.seq}: party {name} committed")
    for text in args.party_reveal:
        _required(args, "party_at")
        name, value = _pair(text, "--party-reveal")
        contribution, _, salt = value.partition(":")
        rec = ceremony.reveal_party(
            journal,
            plan.plan_id,
            name,
            _hex_arg(contribution, "--party-reveal contribution"),
            _hex_arg(salt, "--party-reveal salt"),
            revealed_at=args.party_at,
        )
        print(f"record {rec.seq}: party {name} revealed")
    has_seed = state is not None and state.seed is not None
    if not has_seed and not seeding_now:
        print("no seed yet: run again with --public-numbers and/or --party-reveal after the draw")
        return 0
    _required(args, "drawn_by", "signed_by", "drawn_at", "signed_at")
    if not has_seed:
        _required(args, "entropy_at")
    drawn = ceremony.run_ceremony(
        journal,
        plan,
        drawn_by=args.drawn_by,
        signed_by=args.signed_by,
        drawn_at=args.drawn_at,
        signed_at=args.signed_at,
        committed_at=args.committed_at,
        committed_by=args.committed_by,
        entropy_at=args.entropy_at,
        rfc3797_sources=_public_numbers(args.public_numbers) if args.public_numbers else None,
        parties=bool(args.party_reveal),
        sampler=sampler,
    )
    print("\n".join(_draw_lines(drawn)))
    return 0


def _rules_lines(plan: Any, *, limit: int = 5) -> list[str]:
    """What a jurisdiction's rules decided for a draw plan, with a few reasons of each kind."""
    rules = ", ".join(f"{n} {v}" for n, v in plan.rules)
    by_kind: dict[str, list[str]] = {}
    for unit_id, decision, reason in plan.reasons:
        by_kind.setdefault(decision, []).append(f"    {unit_id}: {reason}")
    lines = [
        f"rules of {plan.jurisdiction} ({rules}): {len(plan.weights)} weights changed, "
        f"{len(plan.excluded)} excluded, {len(plan.mandatory)} mandatory in this draw, "
        f"{len(plan.conflicts)} recusal pairs, teams of {plan.team_size}, "
        f"{len(plan.requirements)} units with expertise/expert requirements"
    ]
    for decision, shown in sorted(by_kind.items()):
        lines.append(f"  {decision} ({len(shown)}):")
        lines += shown[:limit]
        if len(shown) > limit:
            lines.append(f"    ... and {len(shown) - limit} more")
    return lines


def _sampler(engine: str, scheduler: str | None = None) -> Callable[..., Any]:
    from drawcore.sampling import sample_units

    if scheduler is not None and engine != "dask":
        raise InvalidInputError("--scheduler needs --engine dask")
    if engine == "dask":
        from drawcore.scale import dask_sampler

        if scheduler is not None:
            return dask_sampler(scheduler=scheduler, progress=True)
        return dask_sampler()
    return sample_units


def _draw_lines(drawn: Any, *, limit: int = 15) -> list[str]:
    """The drawn units with their inclusion probabilities, then teams, recusals, replacements."""
    from drawcore.assignment import format_team_draw

    body = drawn.record.body
    units = body["units"]
    lines = [
        f"record {drawn.record.seq}: draw of plan {body['plan_id']}: {len(units)} of "
        f"{body['population']} units, seed {body['seed'][:16]}... (record "
        f"{body['seed_record']}, {body['seed_method']}); drawn by {body['drawn_by']}, "
        f"signed by {body['signed_by']}",
        "units drawn (unit id, inclusion probability):",
    ]
    lines += [f"  {u['unit_id']}  {u['probability']:.6f}" for u in units[:limit]]
    if len(units) > limit:
        lines.append(f"  ... and {len(units) - limit} more units")
    probs = drawn.outcome.sample.probabilities
    total = float(np.sum(probs.arrays()[1])) if hasattr(probs, "arrays") else sum(probs.values())
    lines.append(
        f"  sum of inclusion probabilities over all {len(probs)} units: {total:.6f} "
        f"(= the draw size {len(units)})"
    )
    teams = drawn.outcome.teams
    recused = sum(
        1
        for a in teams.assignments
        for part in a.parts
        for p in part.passed_over
        if p.reason.startswith("recusal")
    )
    replaced = sum(len(part.replacements) for a in teams.assignments for part in a.parts)
    lines.append(
        f"teams: {len(teams.assignments)} tasks; {recused} candidates recused, "
        f"{replaced} replacements"
    )
    lines.append(format_team_draw(teams, limit=limit))
    return lines


# -- publish ------------------------------------------------------------------------------------


def _configure_publish(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help="the journal file")
    p.add_argument("--out", type=Path, required=True, help="directory for the published files")
    p.add_argument("--quarter", help="publish one quarter, e.g. 2026Q1 (default: everything)")
    p.add_argument(
        "--registry-dir",
        type=Path,
        help="where the registry snapshots named by the draws are (default: the journal's dir)",
    )
    p.add_argument("--items", type=Path, help="the inspection item list to publish")
    p.add_argument(
        "--withhold",
        nargs="*",
        default=[],
        metavar="FIELD",
        help="fields withheld as commercial secret (e.g. handling_opinion)",
    )


def _run_publish(args: argparse.Namespace) -> int:
    from drawcore.disclosure import publish
    from drawcore.io import read_items

    items = read_items(args.items) if args.items is not None else None
    files = publish(
        args.journal,
        args.out,
        quarter=args.quarter,
        registry_dir=args.registry_dir,
        items=items,
        withhold=frozenset(args.withhold),
    )
    print(f"published {len(files)} files to {args.out}: {', '.join(f.name for f in files)}")
    return 0


# -- use of results: follow-up and completion (BL-10, TJ-7, TJ-10) ------------------------------


def _verified_records(journal: Path, registry_dir: Path | None) -> list[Any] | None:
    """The journal's records when it verifies (every draw replayed), else ``None`` after
    printing why on stderr."""
    from drawcore.ceremony import verify_draws
    from drawcore.journal import Journal

    if not journal.is_file():
        raise InvalidInputError(f"{journal}: no such journal file")
    report = verify_draws(journal, registry_dir=registry_dir)
    if not report.ok:
        first = report.problems[0].format()
        print(
            f"drawcore: {journal} does not verify ({len(report.problems)} problem(s); {first}); "
            "nothing done",
            file=sys.stderr,
        )
        return None
    return Journal(journal).records()


def _configure_followup(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help="the journal holding the results")
    p.add_argument("--units", type=Path, required=True, help="the unit registry to follow up")
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help="where to write the new unit registry (.csv or .json; not the --units file)",
    )
    p.add_argument(
        "--registry-dir",
        type=Path,
        help="where the registry snapshots named by the draws are (default: the journal's dir)",
    )
    p.add_argument("--plan-id", help="use the results of this plan only (default: every plan)")


def _run_followup(args: argparse.Namespace) -> int:
    """BL-10, TJ-7: the journal's live results applied to a unit registry: next year's registry."""
    from drawcore.ceremony import live_results
    from drawcore.disclosure import scrub
    from drawcore.followup import apply_results, format_changes
    from drawcore.io import read_units, write_units

    if args.out.resolve() == args.units.resolve():
        raise InvalidInputError(
            f"--out {args.out} is the --units file; write the new registry beside it "
            "(the journal names the old one by fingerprint)"
        )
    units = read_units(args.units)
    records = _verified_records(args.journal, args.registry_dir)
    if records is None:
        return 1
    results = live_results(records, plan_id=args.plan_id)
    if args.plan_id is not None and not results:
        raise InvalidInputError(f"plan {args.plan_id!r} has no live results in {args.journal}")
    new, changes = apply_results(units, results)
    write_units(new, args.out)
    print(f"{len(results)} live result(s) applied to {len(units)} units of {args.units}")
    print(scrub(format_changes(changes, new)))
    print(f"new unit registry: {args.out} (fingerprint {new.fingerprint})")
    return 0


def _configure_completion(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help="the journal holding the plan and its results")
    p.add_argument("--plan-id", required=True, help="the draw or annual plan to assess")
    p.add_argument("--as-of", required=True, help="the assessment date, e.g. 2026-06-30")
    p.add_argument(
        "--due",
        help="when a draw's tasks are due (a draw has no timetable; an annual plan's "
        "rounds give their own)",
    )
    p.add_argument(
        "--registry-dir",
        type=Path,
        help="where the registry snapshots named by the draws are (default: the journal's dir)",
    )
    p.add_argument(
        "--fail-overdue",
        action="store_true",
        help="exit 1 when a task or a round's publication is overdue (default: exit 0)",
    )


def _date_arg(text: str | None, what: str) -> Any:
    import datetime as dt

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"{what} {text!r} is not a date like 2026-06-30") from None


def _run_completion(args: argparse.Namespace) -> int:
    """TJ-10: the plan's tasks due, done and overdue on --as-of, with who answers for each.

    Exit 0 when the report was made (overdue work is reported, not an error);
    with ``--fail-overdue``, 1 when any task or publication is overdue."""
    from drawcore.ceremony import live_plan, live_results
    from drawcore.disclosure import scrub
    from drawcore.followup import completion_report, format_completion

    as_of = _date_arg(args.as_of, "--as-of")
    due = _date_arg(args.due, "--due")
    records = _verified_records(args.journal, args.registry_dir)
    if records is None:
        return 1
    record, plan = live_plan(records, args.plan_id)
    report = completion_report(
        plan,
        live_results(records, plan_id=args.plan_id),
        as_of=as_of,
        signed_by=str(record.body["signed_by"]),
        due=due,
    )
    print(scrub(format_completion(report)))
    late_publication = sum(rd.publication_overdue for rd in report.rounds)
    if report.overdue or late_publication:
        print(
            f"overdue: {report.overdue} task(s), {late_publication} round(s) with results "
            f"not published in time (record {record.seq}, as of {as_of})"
        )
    else:
        print(f"overdue: none (record {record.seq}, as of {as_of})")
    return 1 if args.fail_overdue and (report.overdue or late_publication) else 0


COMMANDS: dict[str, Command] = {
    "validate": Command(
        "validate",
        "check a registry file and print a summary, or every problem found",
        _configure_validate,
        _run_validate,
    ),
    "demo": Command(
        "demo", "load the example county and walk through a draw", _configure_demo, _run_demo
    ),
    "verify": Command(
        "verify",
        "check a journal: record hashes, chain, commit-before-reveal rules, Merkle root "
        "against checkpoints, and replay every draw; exit 0 only if everything holds",
        _configure_verify,
        _run_verify,
    ),
    "draw": Command(
        "draw",
        "commit a draw plan, form its seed from public numbers and/or parties, draw units "
        "and teams, and journal the record (each step once; run again for the next step)",
        _configure_draw,
        _run_draw,
    ),
    "publish": Command(
        "publish",
        "export the item list, plans, draws and results (one quarter) to CSV, JSON and "
        "HTML with personal data masked, stamped with the journal checkpoint",
        _configure_publish,
        _run_publish,
    ),
    "followup": Command(
        "followup",
        "apply the journal's live results to a unit registry (key supervision, blacklist, "
        "joint punishment, credit class, last inspected) and write next year's registry",
        _configure_followup,
        _run_followup,
    ),
    "completion": Command(
        "completion",
        "assess a draw or annual plan on a date: tasks done, late, overdue and open, per "
        "round and per responsible person (exit 0; 1 with --fail-overdue when overdue)",
        _configure_completion,
        _run_completion,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand in :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="drawcore",
        description='Verifiable "double random, one public" (双随机、一公开) inspection draws.',
    )
    parser.add_argument("--version", action="version", version=f"drawcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        command.configure(p)
        p.set_defaults(_run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``drawcore`` and ``python -m drawcore``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args._run(args)
    except DrawcoreError as exc:
        print(f"drawcore: error: {exc}", file=sys.stderr)
        problems = getattr(exc, "problems", ())
        if len(problems) > 1 or (problems and problems[0] != str(exc)):
            print(f"{len(problems)} problem(s):", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
        return 2
    return status
