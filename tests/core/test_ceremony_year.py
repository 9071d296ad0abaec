"""Annual plans through the ceremony: commit the spec, seed, plan, journal, replay, publish."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest
from ceremony_site import COMMITTED, DRAWN, ENTROPY, NUMBERS, SIGNING, WHO, run_all
from hypothesis import given, settings
from hypothesis import strategies as st

from drawcore.errors import InvalidInputError, JournalError, RuleError
from drawcore.plan.forms import task_form
from drawcore.plan.prepare import Prepared
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext
from drawcore.publish.disclosure import publish
from drawcore.publish.scan import find_personal_data
from drawcore.publish.tables import WITHHELD
from drawcore.record import ceremony, commitments, draw_rules, verification, year_ceremony
from drawcore.record.annual import (
    YearPlanSpec,
    prepared_year_plan_spec,
    replay_year,
    run_year,
    spec_inputs,
    year_plan_record,
    year_plan_spec,
)
from drawcore.record.annual_compact import decode, encode, plan_json
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.seeding import rfc3797_key, rfc3797_seed
from drawcore.record.signing import Signing
from drawcore.registry.registries import County, UnitRegistry

JURISDICTIONS = ["boluo", "tianjin"]


def refs(county: County) -> dict[str, RegistryRef]:
    return {
        name: RegistryRef(path=f"registries/{name}.csv", fingerprint=fp)
        for name, fp in county.fingerprints.items()
    }


def make_spec(county: County, jurisdiction: str, **params: Any) -> YearPlanSpec:
    return make_prepared(county, jurisdiction, **params)[0]


def make_prepared(
    county: County, jurisdiction: str, **params: Any
) -> tuple[YearPlanSpec, Prepared]:
    """The spec of the 2026 plan under ``jurisdiction`` and the decisions it committed."""
    return prepared_year_plan_spec(
        f"2026-{jurisdiction}",
        county,
        refs(county),
        year=2026,
        rules=Rules.for_jurisdiction(jurisdiction),
        registry_date=dt.date(2026, 1, 2),
        **{"tasks_per_inspector": 3, **params},
    )


def planned_journal(d: Path, spec: YearPlanSpec) -> tuple[Journal, year_ceremony.YearDrawn]:
    j = Journal(d / "journal.jsonl")
    commitments.commit_plan(j, spec, committed_at=COMMITTED, committed_by="王建国")
    commitments.form_seed(j, spec, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS)
    rules = Rules.for_jurisdiction(spec.jurisdiction)
    return j, year_ceremony.draw_year(j, spec, rules=rules, signing=SIGNING)


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_tj5_bl6_annual_plan_goes_through_the_ceremony_and_replays(
    site: tuple[Path, County], jurisdiction: str
) -> None:
    d, county = site
    spec = make_spec(county, jurisdiction)
    j, drawn = planned_journal(d, spec)
    records = j.records()
    assert [r.type for r in records] == ["plan_commitment", "seed", "annual_plan"]
    assert records[0].body["plan_hash"] == spec.hash
    body = records[2].body
    assert body["seed_record"] == 1
    assert body["seed"] == rfc3797_seed(rfc3797_key(NUMBERS)).hex()
    assert body["plan"]["rules"] == [list(v) for v in Rules.for_jurisdiction(jurisdiction).versions]
    plan = plan_json(body)
    assert plan["commitment"] == spec.commitment
    tasks = [t for rd in plan["rounds"] for t in rd["tasks"]]
    assert len(tasks) == len(drawn.plan.tasks) > 0
    for t in tasks:
        assert 0 < t["probability"] <= 1
        assert t["reasons"]
        assert "form" not in t  # derived on demand (task_form), not stored
    for entry in plan["excluded"] + plan["mandatory"]:
        assert entry["reasons"]
    report = verification.verify_draws(j.path)
    assert report.ok, report.format()


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_tj5_a_draw_on_the_decisions_its_spec_committed_journals_the_same_plan(
    site: tuple[Path, County], jurisdiction: str, tmp_path: Path
) -> None:
    """The rules' decisions made for the spec are handed to the draw with the county
    (so the rules are not asked again): the annual plan journaled is the one the draw
    journals when it asks them itself. Decisions handed without their county, or made
    for another spec, are refused and nothing is written."""
    d, county = site
    rules = Rules.for_jurisdiction(jurisdiction)
    spec, prepared = make_prepared(county, jurisdiction)
    assert spec == make_spec(county, jurisdiction)
    _, asked = planned_journal(d, spec)
    shutil.copytree(d / "registries", tmp_path / "second" / "registries")
    j = Journal(tmp_path / "second" / "journal.jsonl")
    commitments.commit_plan(j, spec, committed_at=COMMITTED, committed_by="王建国")
    commitments.form_seed(j, spec, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS)
    with pytest.raises(InvalidInputError, match="county="):
        year_ceremony.draw_year(j, spec, rules=rules, signing=SIGNING, prepared=prepared)
    _, other = make_prepared(county, jurisdiction, tasks_per_inspector=4)
    with pytest.raises(RuleError, match="decide differently from the commitment"):
        year_ceremony.draw_year(
            j, spec, rules=rules, signing=SIGNING, county=county, prepared=other
        )
    assert j.size == 2
    given = year_ceremony.draw_year(
        j, spec, rules=rules, signing=SIGNING, county=county, prepared=prepared
    )
    assert given.record.body == asked.record.body
    assert verification.verify_draws(j.path).ok


def test_bl9_annual_plan_seed_before_its_commitment_is_refused(site: tuple[Path, County]) -> None:
    d, county = site
    spec = make_spec(county, "boluo")
    j = Journal(d / "journal.jsonl")
    with pytest.raises(JournalError, match="no commitment"):
        commitments.form_seed(
            j, spec, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS
        )
    assert j.size == 0
    commitments.commit_plan(j, spec, committed_at=COMMITTED, committed_by="王建国")
    with pytest.raises(JournalError, match="no live seed"):
        year_ceremony.draw_year(j, spec, rules=Rules.for_jurisdiction("boluo"), signing=SIGNING)
    with pytest.raises(JournalError, match="not after the plan's commitment"):
        commitments.form_seed(
            j,
            spec,
            entropy_at="2026-01-04T21:30:00+08:00",
            recorded_at=DRAWN,
            rfc3797_sources=NUMBERS,
        )
    assert [r.type for r in j.records()] == ["plan_commitment"]


def test_bl9_second_result_for_an_annual_plan_is_refused(site: tuple[Path, County]) -> None:
    d, county = site
    spec = make_spec(county, "tianjin")
    j, _ = planned_journal(d, spec)
    with pytest.raises(JournalError, match="second result"):
        year_ceremony.draw_year(j, spec, rules=Rules.for_jurisdiction("tianjin"), signing=SIGNING)
    changed = attrs.evolve(spec, parameters=attrs.evolve(spec.parameters, random_ratio=0.5))
    with pytest.raises(JournalError, match="committed with hash"):
        year_ceremony.draw_year(
            j, changed, rules=Rules.for_jurisdiction("tianjin"), signing=SIGNING
        )
    assert j.size == 3


def test_tj4_annual_plan_under_other_rules_writes_nothing(site: tuple[Path, County]) -> None:
    d, county = site
    spec = make_spec(county, "boluo")
    j = Journal(d / "journal.jsonl")
    commitments.commit_plan(j, spec, committed_at=COMMITTED, committed_by="王建国")
    commitments.form_seed(j, spec, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS)
    with pytest.raises(RuleError, match="follows the rules of 'boluo'"):
        year_ceremony.draw_year(j, spec, rules=Rules.for_jurisdiction("tianjin"), signing=SIGNING)
    assert j.size == 2


def test_tj8_replay_detects_a_changed_annual_plan_record(site: tuple[Path, County]) -> None:
    """A consistent rewrite (every hash recomputed) that changes one π: replay names record 2."""
    d, county = site
    j, _ = planned_journal(d, make_spec(county, "boluo"))
    entries = [(r.type, r.body) for r in j.records()]
    year = decode(entries[2][1]["year"])
    task = next(t for rd in year["plan"]["rounds"] for t in rd["tasks"] if t["kind"] == "drawn")
    task["probability"] = task["probability"] / 2
    entries[2][1]["year"] = encode(year)
    forged = d / "forged.jsonl"
    Journal(forged).append_many(entries)
    report = verification.verify_draws(forged, registry_dir=d)
    assert not report.ok
    assert report.bad_records == (2,)
    assert "replay differs at year.plan.rounds" in report.format()


def test_tj8_replay_detects_a_changed_registry_snapshot(site: tuple[Path, County]) -> None:
    d, county = site
    j, _ = planned_journal(d, make_spec(county, "tianjin"))
    units = d / "registries" / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace(",low,", ",major,", 1), "utf-8")
    report = verification.verify_draws(j.path)
    assert report.bad_records == (2,)
    assert "fingerprint" in report.format()


def test_tj4_replay_says_when_installed_plugin_versions_differ(
    site: tuple[Path, County],
) -> None:
    d, county = site
    spec = make_spec(county, "boluo")
    _, drawn = planned_journal(d, spec)
    body = json.loads(json.dumps(drawn.record.body))
    old = attrs.evolve(spec, rules=[(n, "0.0.1") for n, _ in spec.rules])
    body["plan"]["rules"] = [list(v) for v in old.rules]
    body["plan_hash"] = old.hash
    problem = replay_year(body, county, Rules.for_jurisdiction("boluo"))
    assert problem is not None
    assert "recorded with plugins boluo 0.0.1" in problem
    assert "installed: boluo 0.1.0" in problem


def test_bl3_run_year_refuses_a_registry_other_than_the_committed_one(
    small_county: tuple[Path, County],
) -> None:
    _, county = small_county
    spec = make_spec(county, "boluo")
    other = County(
        units=UnitRegistry.from_records(list(county.units)[:299]),
        inspectors=county.inspectors,
        experts=county.experts,
        items=county.items,
    )
    with pytest.raises(InvalidInputError, match="units registry"):
        run_year(spec, other, Rules.for_jurisdiction("boluo"), b"\x01" * 32)
    with pytest.raises(InvalidInputError, match="fingerprint"):
        year_plan_spec("p", other, refs(county), year=2026, rules=Rules.for_jurisdiction("boluo"))


@settings(max_examples=8)  # each example plans a year twice on 300 units
@given(seed=st.binary(min_size=1, max_size=32), jurisdiction=st.sampled_from(JURISDICTIONS))
def test_tj5_every_annual_plan_replays_and_any_changed_probability_is_caught(
    small_county: tuple[Path, County], seed: bytes, jurisdiction: str
) -> None:
    _, county = small_county
    spec = make_spec(county, jurisdiction)
    rules = Rules.for_jurisdiction(jurisdiction)
    plan = run_year(spec, county, rules, seed)
    body = json.loads(
        json.dumps(
            year_plan_record(
                spec,
                plan,
                seed=seed,
                seed_record=1,
                seed_method="rfc3797",
                population=300,
                signing=SIGNING,
                inputs=spec_inputs(spec, county, rules),
            ).body()
        )
    )
    assert replay_year(body, county, rules, committed_hash=spec.hash) is None
    year = decode(body["year"])
    tasks = [t for rd in year["plan"]["rounds"] for t in rd["tasks"]]
    tasks[len(tasks) // 2]["probability"] += 0.25
    body["year"] = encode(year)
    assert replay_year(body, county, rules) is not None


def test_bl8_tj6_publication_includes_annual_plans_masked(site: tuple[Path, County]) -> None:
    d, county = site
    j, drawn = planned_journal(d, make_spec(county, "tianjin"))
    files = publish(j.path, d / "public", quarter="2026Q1", withhold=("visit_date",))
    by_name = {f.name: f for f in files}
    doc = json.loads(by_name["annual_plans.json"].read_text(encoding="utf-8"))
    rows = doc["rows"]
    assert len(rows) == len(drawn.plan.tasks) + len(drawn.plan.excluded)
    assert doc["checkpoint"]["size"] == 3
    assert all(r["visit_date"] == WITHHELD for r in rows)
    persons = {u.unit_id for u in county.units if u.id_kind.value == "id_card"}
    planned_persons = persons & {t.unit_id for t in drawn.plan.tasks}
    assert planned_persons, "the fixture must plan at least one person"
    assert not planned_persons & {r["unit_id"] for r in rows}
    assert all(r["reasons"] for r in rows)
    for f in files:
        assert find_personal_data(f.read_text(encoding="utf-8")) == [], f.name


# -- single draws under a jurisdiction's rules ------------------------------------------------


def plan_under_rules(
    county: County, jurisdiction: str, plan_id: str, *, size: int
) -> tuple[Rules, PlanContext, DrawPlan]:
    """A one-round 2026 draw plan of ``size`` units made by the jurisdiction's rules."""
    rules = Rules.for_jurisdiction(jurisdiction)
    context = PlanContext(year=2026, rounds=1, start=dt.date(2026, 1, 1), jurisdiction=jurisdiction)
    r = refs(county)
    plan = draw_rules.plan_from_rules(
        plan_id,
        county.units,
        r["units"],
        r["inspectors"],
        rules=rules,
        context=context,
        size=size,
        inspectors=county.inspectors,
    )
    return rules, context, plan


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_bl5_tj4_draw_plan_from_rules_is_rechecked_on_replay(
    site: tuple[Path, County], jurisdiction: str
) -> None:
    d, county = site
    rules, context, plan = plan_under_rules(county, jurisdiction, "2026Q1-rules", size=30)
    decided = rules.evaluate(list(county.units), context)
    excluded = {u for u, x in zip(decided.unit_ids, decided.excluded.tolist(), strict=True) if x}
    assert {u for u, k, _ in plan.reasons if k == "excluded"} == excluded
    assert excluded <= set(plan.excluded)
    assert {u for u, k, _ in plan.reasons if k == "mandatory"} == set(decided.mandatory_reasons)
    assert plan.rules_context == context
    rule_pairs = {
        (c.inspector_id, c.unit_id)
        for c in rules.conflicts(
            list(county.units), [i for i in county.inspectors if i.active], context
        )
    }
    assert {(c.inspector_id, c.unit_id) for c in plan.conflicts} == rule_pairs
    assert draw_rules.check_rules(plan, county.units, county.inspectors, rules) is None
    j = Journal(d / "journal.jsonl")
    drawn = run_all(j, plan)
    assert not excluded & {u["unit_id"] for u in drawn.record.body["units"]}
    assert verification.verify_draws(j.path).ok


def test_bl5_check_rules_names_a_decision_the_rules_do_not_make(
    small_county: tuple[Path, County],
) -> None:
    _, county = small_county
    rules, _, plan = plan_under_rules(county, "boluo", "p", size=10)
    dropped = attrs.evolve(plan, reasons=plan.reasons[1:])
    assert "decide differently" in str(
        draw_rules.check_rules(dropped, county.units, county.inspectors, rules)
    )
    unexcluded = attrs.evolve(plan, excluded=plan.excluded[1:])
    assert "not excluded" in str(
        draw_rules.check_rules(unexcluded, county.units, county.inspectors, rules)
    )
    old = attrs.evolve(plan, rules=[(n, "0.0.1") for n, _ in plan.rules])
    assert "installed: boluo 0.1.0" in str(
        draw_rules.check_rules(old, county.units, county.inspectors, rules)
    )


def test_bl8_results_name_a_unit_of_the_annual_plan_and_its_team(
    site: tuple[Path, County],
) -> None:
    from drawcore.record.results import InspectionResult, Outcome

    d, county = site
    spec = make_spec(county, "boluo")
    j, drawn = planned_journal(d, spec)
    task = next(t for t in drawn.plan.tasks if t.inspectors)
    form = task_form(task, county.units.get(task.unit_id), county.items)

    def result(unit_id: str, by: tuple[str, ...], entered: str = "") -> InspectionResult:
        return InspectionResult(
            plan_id=spec.plan_id,
            draw=drawn.record.seq,
            unit_id=unit_id,
            basis=form.basis or ("《中华人民共和国安全生产法》",),
            scope="生产经营场所",
            content=form.content or ("安全生产主体责任落实",),
            method="现场检查",
            handling_opinion="未发现问题",
            outcome=Outcome.NO_PROBLEM,
            inspected_by=by,
            inspected_on=dt.date(2026, 2, 3),
            entered_by=entered or by[0],
            entered_at="2026-02-03T17:00:00+08:00",
        )

    strangers = tuple(
        i.inspector_id for i in county.inspectors if i.inspector_id not in task.inspectors
    )[:2]
    with pytest.raises(JournalError, match="not in the team"):
        ceremony.record_result(j, result(task.unit_id, strangers))
    unplanned = next(
        u.unit_id for u in county.units if u.unit_id not in drawn.plan.times_inspected()
    )
    with pytest.raises(JournalError, match="was not drawn"):
        ceremony.record_result(j, result(unplanned, task.inspectors))
    with pytest.raises(JournalError, match=r"entered by .* not in the team .*谁录入"):
        ceremony.record_result(j, result(task.unit_id, task.inspectors, entered=strangers[0]))
    rec = ceremony.record_result(j, result(task.unit_id, task.inspectors))
    assert rec.seq == 3
    assert verification.verify_draws(j.path).ok


def test_bl6_key_supervision_unit_takes_one_result_per_planned_task(
    site: tuple[Path, County],
) -> None:
    """A unit planned in several rounds (BL-6 key supervision) is inspected several
    times in the year: the journal takes one result per planned task, and no more."""
    from drawcore.record.results import InspectionResult, Outcome

    d, county = site
    spec = make_spec(county, "boluo")
    j, drawn = planned_journal(d, spec)
    times = drawn.plan.times_inspected()
    unit_id, planned = max(sorted(times.items()), key=lambda kv: kv[1])
    assert planned >= 2, "the example county has a major-hazard unit planned more than once"
    task = next(t for t in drawn.plan.tasks if t.unit_id == unit_id and t.inspectors)
    form = task_form(task, county.units.get(task.unit_id), county.items)

    def result(day: int) -> InspectionResult:
        return InspectionResult(
            plan_id=spec.plan_id,
            draw=drawn.record.seq,
            unit_id=unit_id,
            basis=form.basis or ("《中华人民共和国安全生产法》",),
            scope="生产经营场所",
            content=form.content or ("重大事故隐患整改",),
            method="现场检查",
            handling_opinion="责令限期整改",
            outcome=Outcome.RECTIFICATION_ORDERED,
            inspected_by=task.inspectors,
            inspected_on=dt.date(2026, 1, 10) + dt.timedelta(days=day),
            entered_by=task.inspectors[0],
            entered_at="2026-12-30T17:00:00+08:00",
        )

    for k in range(planned):
        ceremony.record_result(j, result(30 * k))
    before = j.size
    with pytest.raises(JournalError, match=f"already has a result for all {planned} of its tasks"):
        ceremony.record_result(j, result(30 * planned))
    assert j.size == before
    report = verification.verify_draws(j.path)
    assert report.ok, report.format()


def test_tj4_an_unversioned_rule_change_is_reported_as_the_rules_deciding_differently(
    site: tuple[Path, County],
) -> None:
    """A plugin that starts excluding a unit without a new version: replay names the unit
    and both decisions, instead of a path into the record."""
    import types
    from collections.abc import Sequence

    from drawcore.model import Unit
    from drawcore.plugin import Reason, hookimpl
    from drawcore.plugin.manager import make_plugin_manager
    from drawcore.record.annual import replay_year, run_year, spec_inputs, year_plan_record

    _, county = site
    target = sorted(u.unit_id for u in county.units)[0]

    def rules(spares: bool) -> Rules:
        @hookimpl
        def drawcore_unit_exclusions(unit: Unit) -> Sequence[Reason]:
            if spares and unit.unit_id == target:
                return [Reason(clause="XA-1", text="spared this year")]
            return []

        plugin = types.SimpleNamespace(drawcore_unit_exclusions=drawcore_unit_exclusions)
        return Rules(make_plugin_manager(entrypoints=False, plugins={"xian": plugin}))

    before = rules(spares=False)
    spec = year_plan_spec(
        "2026-xian", county, refs(county), rules=before, year=2026, tasks_per_inspector=3
    )
    seed = b"\x01" * 32
    plan = run_year(spec, county, before, seed)
    body = year_plan_record(
        spec,
        plan,
        seed=seed,
        seed_record=1,
        seed_method="rfc3797",
        population=300,
        signing=SIGNING,
        inputs=spec_inputs(spec, county, before),
    ).body()
    assert replay_year(body, county, before) is None
    problem = replay_year(body, county, rules(spares=True))
    assert problem is not None
    assert problem.startswith("the rules of national practice decide differently: unit ")
    assert f"unit {target} excluded: recorded 'not decided', now 'XA-1 [xian]: spared" in problem


def test_bl9_an_annual_plan_is_redone_visibly_and_the_redo_replays(
    site: tuple[Path, County],
) -> None:
    """One plan, one result: a redo voids the plan and its seed, forms a fresh seed from
    new public numbers and names the voided record and the reason; verify replays it."""
    d, county = site
    spec = make_spec(county, "tianjin")
    j, drawn = planned_journal(d, spec)
    with pytest.raises(JournalError, match="not its live plan"):
        year_ceremony.redo_year(
            j,
            spec,
            voids=1,
            reason="x",
            voided_by="王建国",
            at="2026-01-08T09:00:00+08:00",
            rules=Rules.for_jurisdiction("tianjin"),
            rfc3797_sources=[[5, 8, 13], [21]],
            entropy_at="2026-01-08T21:30:00+08:00",
            signing=SIGNING,
        )
    redone = year_ceremony.redo_year(
        j,
        spec,
        voids=drawn.record.seq,
        reason="registry snapshot was published late; drawn again in public",
        voided_by="王建国",
        at="2026-01-08T09:00:00+08:00",
        rules=Rules.for_jurisdiction("tianjin"),
        rfc3797_sources=[[5, 8, 13], [21]],
        entropy_at="2026-01-08T21:30:00+08:00",
        signing=Signing(
            drawn_by=WHO["drawn_by"],
            signed_by=WHO["signed_by"],
            drawn_at="2026-01-09T09:00:00+08:00",
            signed_at="2026-01-09T09:15:00+08:00",
        ),
    )
    kinds = [r.type for r in j.records()]
    assert kinds == [
        "plan_commitment",
        "seed",
        "annual_plan",
        "void",
        "void",
        "seed",
        "annual_plan",
    ]
    assert redone.record.body["redo_of"] == drawn.record.seq
    assert "published late" in redone.record.body["redo_reason"]
    assert redone.plan.commitment == drawn.plan.commitment
    assert redone.plan.tasks != drawn.plan.tasks
    report = verification.verify_draws(j.path)
    assert report.ok, report.format()


def test_bl9_the_live_record_of_a_plan_is_the_one_its_value_is_read_from(
    site: tuple[Path, County],
) -> None:
    """The live record of a plan, taken without building its value, is the record the
    value comes from; a plan with no live record is named with the plans drawn."""
    from drawcore.record.live import live_plan, live_record

    d, county = site
    spec = make_spec(county, "boluo")
    j, drawn = planned_journal(d, spec)
    records = j.records()
    record = live_record(records, spec.plan_id)
    assert record is live_plan(records, spec.plan_id)[0]
    assert record.seq == drawn.record.seq
    assert record.type == "annual_plan"
    with pytest.raises(InvalidInputError, match="plans drawn: 2026-boluo"):
        live_record(records, "2026-other")
