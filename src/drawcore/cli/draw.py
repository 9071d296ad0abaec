"""``drawcore draw``: commit a draw plan, form its seed, draw units and teams, journal it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from drawcore.cli.common import (
    add_ceremony_options,
    parse_public_numbers,
    party_steps,
    require_options,
    signing_of,
)
from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, _, current, msg, normalise, render, translation
from drawcore.publish.labels import Words


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("journal", type=Path, help=N_("the journal file (created if missing)"))
    p.add_argument("--units", type=Path, required=True, help=N_("unit registry snapshot"))
    p.add_argument("--inspectors", type=Path, required=True, help=N_("inspector registry snapshot"))
    p.add_argument("--items", type=Path, help=N_("inspection item list (published with results)"))
    p.add_argument(
        "--registry-dir",
        type=Path,
        help=N_(
            "the folder the registry snapshots are in; the plan names them relative to it "
            "and they must be inside it (default: the journal's folder; give verify the same)"
        ),
    )
    p.add_argument("--plan-id", required=True, help=N_("the draw's id, e.g. 2026Q1-boluo"))
    p.add_argument("--size", type=int, required=True, help=N_("number of units to draw"))
    p.add_argument("--team-size", type=int, default=2, help=N_("inspectors per team (default 2)"))
    p.add_argument("--max-tasks", type=int, help=N_("most tasks per inspector"))
    p.add_argument(
        "--strata",
        metavar="FIELD",
        help=N_(
            "stratify by this unit field (e.g. township, industry, risk_level); the "
            "stratum sizes are recorded in the plan"
        ),
    )
    p.add_argument(
        "--allocation",
        choices=("proportional",),
        default="proportional",
        help=N_(
            "with --strata: how --size is split over the strata (default proportional "
            "to the strata's sizes in the registry)"
        ),
    )
    p.add_argument(
        "--experts",
        type=Path,
        help=N_(
            "industry expert registry snapshot (TJ-8); with --jurisdiction, needed when "
            "its rules ask for experts on a team"
        ),
    )
    p.add_argument(
        "--mandatory", nargs="*", default=[], metavar="UNIT", help=N_("units always drawn")
    )
    p.add_argument("--exclude", nargs="*", default=[], metavar="UNIT", help=N_("units never drawn"))
    p.add_argument(
        "--recusal",
        nargs="*",
        default=[],
        metavar="RULE",
        help=N_("recusal rules applied to drawn units: township, work_unit"),
    )
    p.add_argument(
        "--jurisdiction",
        help=N_(
            "apply this jurisdiction's rules (weights, mandatory and excluded units with "
            "reasons, recusals, team size, expertise and experts per unit); the rules and "
            "plugin versions are recorded and re-checked by verify"
        ),
    )
    p.add_argument(
        "--year",
        type=int,
        help=N_(
            "the year the rules are asked about (default: the year of --committed-at, "
            "else --drawn-at; give it when the steps straddle a new year)"
        ),
    )
    p.add_argument(
        "--include-mandatory",
        action="store_true",
        help=N_(
            "with --jurisdiction: also draw every unit its rules require at least once a "
            "year (for a single yearly draw; an annual plan spreads them over rounds)"
        ),
    )
    p.add_argument("--all", action="store_true", help=N_("list every unit drawn (default: 15)"))
    p.add_argument(
        "--json",
        action="store_true",
        help=N_("print the records written (and the draw: units, probabilities, teams) as JSON"),
    )
    add_ceremony_options(p, "draw")
    p.add_argument(
        "--engine",
        choices=("numpy", "dask"),
        default="numpy",
        help=N_("unit draw engine (dask needs drawcore[dask]); the result is the same"),
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=N_(
            "with --engine dask: the Dask scheduler to run on (e.g. tcp://host:8786), "
            "with a progress bar"
        ),
    )


def _draw_plan(args: argparse.Namespace) -> Any:
    import os
    from collections import Counter
    from collections.abc import Hashable

    from drawcore.draw.strata import allocate_proportional
    from drawcore.record.draw_plans import DrawPlan, RegistryRef
    from drawcore.record.records import stratum_labels
    from drawcore.registry.readers import read_experts, read_inspectors, read_items, read_units

    base = (args.registry_dir or args.journal.parent).resolve()

    def ref(path: Path, fingerprint: str) -> RegistryRef:
        relative = os.path.relpath(path.resolve(), base)
        if relative.split(os.sep)[0] == os.pardir:
            raise InvalidInputError(
                msg(
                    "{path} is outside the registry folder {base}: copy the snapshot into "
                    "it, or pass --registry-dir",
                    path=path,
                    base=base,
                )
            )
        return RegistryRef(path=relative, fingerprint=fingerprint)

    items = None
    if args.items is not None:
        items = ref(args.items, read_items(args.items).fingerprint)
    from drawcore.cli.console import rows_progress

    with rows_progress(args.units.name) as progress:
        units = read_units(args.units, progress=progress)
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

    from drawcore.plugin.rules import Rules
    from drawcore.plugin.values import PlanContext
    from drawcore.record.draw_rules import plan_from_rules
    from drawcore.record.seeding import parse_time

    year = args.year
    for name in ("committed_at", "drawn_at"):
        if year is None and getattr(args, name) is not None:
            year = parse_time(getattr(args, name), f"--{name.replace('_', '-')}").year
    if year is None:
        raise InvalidInputError(msg("--jurisdiction needs --year (or --committed-at / --drawn-at)"))
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


def run(args: argparse.Namespace) -> int:
    """Run the steps; with ``--json`` print what they journaled as one JSON document."""
    if not args.json:
        return _run_steps(args)
    import contextlib
    import io

    from drawcore.cli.console import draw_json
    from drawcore.record.journal import Journal

    before = Journal(args.journal).refresh() if args.journal.exists() else 0
    with contextlib.redirect_stdout(io.StringIO()):
        status = _run_steps(args)
    print(draw_json(Journal(args.journal).records()[before:], args.plan_id))
    return status


def _run_steps(args: argparse.Namespace) -> int:
    from drawcore.record import ceremony, commitments
    from drawcore.record.journal import Journal

    sampler = _sampler(args.engine, args.scheduler)  # bad options fail before any record
    plan = _draw_plan(args)
    if plan.rules_context is not None:
        print("\n".join(_rules_lines(plan, lang=current())))
    if plan.strata_field is not None:
        sizes = ", ".join(f"{k} {n}" for k, n in plan.stratum_sizes)
        strata = _("strata by {field} ({allocation}): {sizes}")
        print(strata.format(field=plan.strata_field, allocation=plan.allocation, sizes=sizes))
    journal = Journal(args.journal)
    state = commitments.committed_state(journal, plan)  # a changed plan under a used id: refused
    if state is None:
        require_options(args, "committed_at", "committed_by")
    seeding_now = args.public_numbers is not None or args.party_reveal
    if state is None and (not seeding_now or args.party_commit):
        rec = commitments.commit_plan(
            journal,
            plan,
            committed_at=args.committed_at,
            committed_by=args.committed_by,
            registry_dir=args.registry_dir,
        )
        committed = _("record {seq}: plan {plan} committed, hash {hash}")
        print(committed.format(seq=rec.seq, plan=plan.plan_id, hash=plan.hash))
        state = journal.ceremony().plans.get(plan.plan_id)
    party_steps(journal, plan.plan_id, args)
    has_seed = state is not None and state.seed is not None
    if not has_seed and not seeding_now:
        print(
            _("no seed yet: run again with --public-numbers and/or --party-reveal after the draw")
        )
        return 0
    signing = signing_of(args)
    if not has_seed:
        require_options(args, "entropy_at")
    drawn = ceremony.run_ceremony(
        journal,
        plan,
        signing=signing,
        committed_at=args.committed_at,
        committed_by=args.committed_by,
        entropy_at=args.entropy_at,
        rfc3797_sources=parse_public_numbers(args.public_numbers) if args.public_numbers else None,
        parties=bool(args.party_reveal),
        registry_dir=args.registry_dir,
        sampler=sampler,
    )
    limit = len(drawn.record.body["units"]) if args.all else 15
    print("\n".join(draw_lines(drawn, limit=limit, lang=current())))
    return 0


#: What a jurisdiction's rules decided for a unit, marked for the catalog.
_DECISIONS = {
    "weight": N_("weight"),
    "excluded": N_("excluded"),
    "mandatory": N_("mandatory"),
    "team": N_("team"),
}


def _rules_lines(plan: Any, *, limit: int = 5, lang: str = "en") -> list[str]:
    """What a jurisdiction's rules decided for a draw plan, with a few reasons of each kind."""
    t = translation(lang).gettext
    rules = ", ".join(f"{n} {v}" for n, v in plan.rules)
    by_kind: dict[str, list[str]] = {}
    for unit_id, decision, reason in plan.reasons:
        by_kind.setdefault(decision, []).append(f"    {unit_id}: {render(reason, lang)}")
    head = N_(
        "rules of {jurisdiction} ({rules}): {weights} weights changed, {excluded} excluded, "
        "{mandatory} mandatory in this draw, {conflicts} recusal pairs, teams of {team_size}, "
        "{requirements} units with expertise/expert requirements"
    )
    lines = [
        t(head).format(
            jurisdiction=plan.jurisdiction,
            rules=rules,
            weights=len(plan.weights),
            excluded=len(plan.excluded),
            mandatory=len(plan.mandatory),
            conflicts=len(plan.conflicts),
            team_size=plan.team_size,
            requirements=len(plan.requirements),
        )
    ]
    for decision, shown in sorted(by_kind.items()):
        name = t(_DECISIONS[decision]) if decision in _DECISIONS else decision
        lines.append(t(N_("  {decision} ({count}):")).format(decision=name, count=len(shown)))
        lines += shown[:limit]
        if len(shown) > limit:
            lines.append(t(N_("    ... and {count} more")).format(count=len(shown) - limit))
    return lines


def _sampler(engine: str, scheduler: str | None = None) -> Callable[..., Any]:
    from drawcore.draw.sampling import sample_units

    if scheduler is not None and engine != "dask":
        raise InvalidInputError(msg("--scheduler needs --engine dask"))
    if engine == "dask":
        from drawcore.scale.engine import dask_sampler

        if scheduler is not None:
            return dask_sampler(scheduler=scheduler, progress=True)
        return dask_sampler()
    return sample_units


def draw_lines(drawn: Any, *, limit: int = 15, lang: str = "en") -> list[str]:
    """The drawn units with their inclusion probabilities, then teams, recusals, replacements,
    in ``lang`` (``"zh_CN"`` for Chinese)."""
    t = translation(lang).gettext
    words = Words(lang)
    body = drawn.record.body
    units = body["units"]
    method = body["seed_method"]
    if normalise(lang) != "en":
        method = words.cell("seed_method", method)
    head = N_(
        "record {seq}: draw of plan {plan}: {drawn} of {population} units, seed {seed}... "
        "(record {seed_record}, {method}); drawn by {drawn_by}, signed by {signed_by}"
    )
    lines = [
        t(head).format(
            seq=drawn.record.seq,
            plan=body["plan_id"],
            drawn=len(units),
            population=body["population"],
            seed=body["seed"][:16],
            seed_record=body["seed_record"],
            method=method,
            drawn_by=body["drawn_by"],
            signed_by=body["signed_by"],
        ),
        t(N_("units drawn (unit id, inclusion probability):")),
    ]
    lines += [f"  {u['unit_id']}  {u['probability']:.6f}" for u in units[:limit]]
    if len(units) > limit:
        lines.append(t(N_("  ... and {count} more units")).format(count=len(units) - limit))
    probs = drawn.outcome.sample.probabilities
    total = float(np.sum(probs.arrays()[1])) if hasattr(probs, "arrays") else sum(probs.values())
    lines.append(
        t(
            N_(
                "  sum of inclusion probabilities over all {count} units: {total} "
                "(= the draw size {size})"
            )
        ).format(count=len(probs), total=f"{total:.6f}", size=len(units))
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
        t(N_("teams: {tasks} tasks; {recused} candidates recused, {replaced} replacements")).format(
            tasks=len(teams.assignments), recused=recused, replaced=replaced
        )
    )
    lines.append(team_lines(teams, limit=limit, lang=lang))
    return lines


#: The pools a team is drawn from, marked for the catalog.
_POOLS = {"inspectors": N_("inspectors"), "experts": N_("experts")}


def team_lines(draw: Any, *, limit: int | None = None, lang: str = "en") -> str:
    """Each unit of a team draw, its team, recusals and replacements, in ``lang``; in English
    the same text as :func:`drawcore.format_team_draw`. Covert teams are masked."""
    t = translation(lang).gettext
    english = normalise(lang) == "en"
    words = Words(lang)
    lines: list[str] = []
    shown = draw.assignments if limit is None else draw.assignments[:limit]
    for a in shown:
        team = ", ".join(a.members) if not a.undisclosed else t(N_("(covert: undisclosed)"))
        extra = ""
        if a.experts:
            extra = t(N_("; experts: {experts}")).format(experts=", ".join(a.experts))
        when = ""
        if a.visit_order is not None:
            when = t(N_("; visit #{order}")).format(order=a.visit_order)
            if a.visit_date:
                when += t(N_(" on {date}")).format(date=a.visit_date.isoformat())
        mode = a.mode.value if english else words.cell("mode", a.mode.value)
        lines.append(
            t(N_("{unit} [{mode}] team: {team}{extra}{when}")).format(
                unit=a.unit_id, mode=mode, team=team, extra=extra, when=when
            )
        )
        if a.undisclosed:
            continue
        for part in a.parts:
            pool = t(_POOLS[part.pool]) if part.pool in _POOLS else part.pool
            if part.method == "fixed_by_office":
                fixed = N_("  {pool}: fixed by the office (general inspection, TJ-5)")
                lines.append(t(fixed).format(pool=pool))
            elif part.method == "max_flow":
                flow = N_("  {pool}: reassigned by the max-flow fallback")
                lines.append(t(flow).format(pool=pool))
            for r in part.replacements:
                by = r.replaced_by or "-"
                lines.append(
                    t(N_("  {pool}: {drawn} -> {by} ({reason})")).format(
                        pool=pool, drawn=r.drawn, by=by, reason=render(r.reason, lang)
                    )
                )
    if limit is not None and len(draw.assignments) > limit:
        more = len(draw.assignments) - limit
        lines.append(t(N_("... and {count} more units")).format(count=more))
    return "\n".join(lines)
