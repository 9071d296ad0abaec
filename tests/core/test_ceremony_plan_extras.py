"""A single draw's plan with strata (BL-5) and per-unit team requirements (TJ-8):
recorded, applied, replayed, and re-checked against the rules."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import pytest
from ceremony_site import run_all
from hypothesis import given
from hypothesis import strategies as st

from drawcore.draw.strata import allocate_proportional
from drawcore.errors import InvalidInputError
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext
from drawcore.record import draw_rules, snapshots, verification
from drawcore.record.draw_plans import DrawPlan, RegistryRef, UnitRequirement
from drawcore.record.journal import Journal
from drawcore.record.records import run_draw, stratum_labels
from drawcore.record.replay import replay
from drawcore.registry.registries import County
from drawcore.serde import unstructure

SEED = bytes.fromhex("5eed" * 16)


def ref(county: County, name: str) -> RegistryRef:
    return RegistryRef(path=f"registries/{name}.csv", fingerprint=county.fingerprints[name])


def base_plan(county: County, **changes: Any) -> DrawPlan:
    params: dict[str, Any] = {"size": 30, **changes}
    return DrawPlan(
        plan_id="2026Q1-extras",
        units=ref(county, "units"),
        inspectors=ref(county, "inspectors"),
        **params,
    )


def stratified(county: County, field: str, size: int, **changes: Any) -> DrawPlan:
    counts = Counter(stratum_labels(county.units, field))
    return base_plan(
        county,
        size=size,
        strata_field=field,
        stratum_sizes=allocate_proportional(counts, size),
        allocation="proportional",
        **changes,
    )


def drawn_strata(county: County, body: dict[str, Any], field: str) -> Counter[str]:
    labels = dict(zip(county.units.ids.tolist(), stratum_labels(county.units, field), strict=True))
    return Counter(labels[u["unit_id"]] for u in body["units"])


# -- strata --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["township", "industry", "risk_level"])
def test_bl5_stratified_draw_gives_each_stratum_its_size_and_replays(
    site: tuple[Path, County], field: str
) -> None:
    d, county = site
    plan = stratified(county, field, 40)
    j = Journal(d / "journal.jsonl")
    drawn = run_all(j, plan)
    body = drawn.record.body
    assert body["plan"]["strata_field"] == field
    sizes = {k: n for k, n in plan.stratum_sizes if n}
    assert dict(drawn_strata(county, body, field)) == sizes
    assert sum(sizes.values()) == 40
    assert verification.verify_draws(j.path).ok


@given(total=st.integers(min_value=0, max_value=120), salt=st.integers(0, 2**16))
def test_bl5_every_stratum_gets_exactly_its_allocated_size(
    small_county: tuple[Path, County], total: int, salt: int
) -> None:
    """For any total and seed, each township's drawn count is its proportional share."""
    _, county = small_county
    plan = stratified(county, "township", total)
    out = run_draw(plan, county.units, county.inspectors, salt.to_bytes(4, "big"))
    labels = dict(
        zip(county.units.ids.tolist(), stratum_labels(county.units, "township"), strict=True)
    )
    got = Counter(labels[str(u)] for u in out.sample.selected)
    assert dict(got) == {k: n for k, n in plan.stratum_sizes if n}


def test_bl5_tampered_stratum_size_is_caught_by_replay(site: tuple[Path, County]) -> None:
    d, county = site
    plan = stratified(county, "township", 30)
    drawn = run_all(Journal(d / "journal.jsonl"), plan)
    body = unstructure(drawn.record.body)
    sizes = [list(p) for p in body["plan"]["stratum_sizes"]]
    give = next(i for i, (_, n) in enumerate(sizes) if n > 0)
    take = next(i for i in range(len(sizes)) if i != give)
    sizes[give][1] -= 1
    sizes[take][1] += 1
    body["plan"]["stratum_sizes"] = sizes
    problem = replay(body, county.units, county.inspectors, committed_hash=plan.hash)
    assert problem is not None
    assert "hashes to" in problem
    # a forger who also rewrites the plan hash is caught against the commitment
    forged = attrs.evolve(plan, stratum_sizes=[tuple(p) for p in sizes])
    body["plan_hash"] = forged.hash
    problem = replay(body, county.units, county.inspectors, committed_hash=plan.hash)
    assert problem is not None
    assert "not the committed" in problem
    # and without a commitment to compare, the units drawn no longer match the sizes
    problem = replay(body, county.units, county.inspectors)
    assert problem is not None
    assert "replay differs" in problem


def test_bl5_strata_are_checked(small_county: tuple[Path, County]) -> None:
    _, county = small_county
    with pytest.raises(InvalidInputError, match="must sum to the size 30"):
        base_plan(county, strata_field="township", stratum_sizes={"公庄镇": 29})
    with pytest.raises(InvalidInputError, match="without strata_field"):
        base_plan(county, stratum_sizes={"公庄镇": 30})
    with pytest.raises(InvalidInputError, match="size must be an integer >= 0"):
        base_plan(county, strata_field="township", stratum_sizes={"a": 31, "b": -1})
    with pytest.raises(InvalidInputError, match="cannot stratify by 'risk_weight'"):
        stratum_labels(county.units, "risk_weight")


# -- team requirements ---------------------------------------------------------------------


def expertise_holders(county: County) -> dict[str, set[str]]:
    held: dict[str, set[str]] = {}
    for i in county.inspectors:
        if i.active:
            for e in i.expertise:
                held.setdefault(e, set()).add(i.inspector_id)
    return held


def with_requirements(county: County) -> tuple[DrawPlan, dict[str, UnitRequirement]]:
    held = expertise_holders(county)
    areas = sorted(held, key=lambda e: (-len(held[e]), e))[:3]
    unit_ids = county.units.ids.tolist()[:4]
    needs = [
        UnitRequirement(unit_id=unit_ids[0], expertise=[areas[0]]),
        UnitRequirement(unit_id=unit_ids[1], expertise=[areas[1], areas[2]]),
        UnitRequirement(unit_id=unit_ids[2], experts=1),
        UnitRequirement(unit_id=unit_ids[3], expertise=[areas[0]], experts=1),
    ]
    plan = base_plan(county, mandatory=unit_ids, requirements=needs, experts=ref(county, "experts"))
    return plan, {n.unit_id: n for n in needs}


def test_tj8_unit_requiring_expertise_gets_a_member_holding_it(site: tuple[Path, County]) -> None:
    d, county = site
    plan, needs = with_requirements(county)
    j = Journal(d / "journal.jsonl")
    body = run_all(j, plan).record.body
    held = expertise_holders(county)
    active_experts = {x.expert_id for x in county.experts if x.active}
    teams = {a["unit_id"]: a for a in body["teams"]["assignments"]}
    for unit_id, need in needs.items():
        team = teams[unit_id]
        assert len(team["members"]) == plan.team_size
        for area in need.expertise:
            assert held[area] & set(team["members"]), (unit_id, area)
        assert len(team["experts"]) == need.experts
        assert set(team["experts"]) <= active_experts
    others = [a for u, a in teams.items() if u not in needs]
    assert others
    assert not any(a["experts"] for a in others)
    assert verification.verify_draws(j.path).ok


def test_tj8_tampered_requirement_is_caught_by_replay(site: tuple[Path, County]) -> None:
    d, county = site
    plan, _ = with_requirements(county)
    drawn = run_all(Journal(d / "journal.jsonl"), plan)
    experts = snapshots.load_experts(plan.experts, d)  # type: ignore[arg-type]
    body = unstructure(drawn.record.body)
    assert replay(body, county.units, county.inspectors, experts=experts) is None
    dropped = attrs.evolve(plan, requirements=plan.requirements[:-1])
    body["plan"] = unstructure(dropped)
    body["plan_hash"] = dropped.hash
    problem = replay(body, county.units, county.inspectors, committed_hash=plan.hash)
    assert problem is not None
    assert "not the committed" in problem
    problem = replay(body, county.units, county.inspectors, experts=experts)
    assert problem is not None
    assert "replay differs at teams" in problem


def test_tj8_a_plan_asking_for_experts_names_the_registry(
    small_county: tuple[Path, County],
) -> None:
    _, county = small_county
    unit_id = county.units.ids.tolist()[0]
    with pytest.raises(InvalidInputError, match="names no expert registry"):
        base_plan(county, requirements=[UnitRequirement(unit_id=unit_id, experts=1)])
    plan = base_plan(
        county,
        mandatory=[unit_id],
        requirements=[UnitRequirement(unit_id=unit_id, experts=1)],
        experts=ref(county, "experts"),
    )
    with pytest.raises(InvalidInputError, match="none was given"):
        run_draw(plan, county.units, county.inspectors, SEED)


# -- from the rules ------------------------------------------------------------------------


def tianjin_context(county: County) -> PlanContext:
    active = [x for x in county.experts if x.active]
    return PlanContext(
        year=2026,
        rounds=1,
        start=dt.date(2026, 1, 1),
        jurisdiction="tianjin",
        inspector_expertise={e for i in county.inspectors if i.active for e in i.expertise},
        expert_expertise={e for x in active for e in x.expertise},
        experts=len(active),
    )


def tianjin_plan(county: County, **params: Any) -> tuple[Rules, DrawPlan]:
    rules = Rules.for_jurisdiction("tianjin")
    plan = draw_rules.plan_from_rules(
        "2026Q1-tj",
        county.units,
        ref(county, "units"),
        ref(county, "inspectors"),
        rules=rules,
        context=tianjin_context(county),
        size=30,
        inspectors=county.inspectors,
        **params,
    )
    return rules, plan


def test_tj8_plan_from_rules_records_expert_requirements_with_reasons(
    site: tuple[Path, County],
) -> None:
    d, county = site
    rules, plan = tianjin_plan(county, experts=ref(county, "experts"))
    hazards = {u.unit_id for u in county.units if u.major_hazard}
    assert hazards
    assert {r.unit_id for r in plan.requirements} == hazards
    assert all(r.experts == 1 for r in plan.requirements)
    why = {u for u, kind, text in plan.reasons if kind == "requirement" and "TJ-8" in text}
    assert why == hazards
    assert draw_rules.check_rules(plan, county.units, county.inspectors, rules) is None
    plan = attrs.evolve(plan, mandatory=sorted(hazards))
    j = Journal(d / "journal.jsonl")
    body = run_all(j, plan).record.body
    teams = {a["unit_id"]: a for a in body["teams"]["assignments"]}
    for unit_id in hazards:
        assert len(teams[unit_id]["experts"]) == 1
    assert verification.verify_draws(j.path).ok


def test_tj8_check_rules_catches_a_dropped_requirement(small_county: tuple[Path, County]) -> None:
    _, county = small_county
    rules, plan = tianjin_plan(county, experts=ref(county, "experts"))
    dropped = attrs.evolve(plan, requirements=plan.requirements[1:])
    problem = draw_rules.check_rules(dropped, county.units, county.inspectors, rules)
    assert problem is not None
    assert "decide differently: requirements" in problem


def test_tj8_rules_asking_for_experts_without_a_registry_are_refused(
    small_county: tuple[Path, County],
) -> None:
    _, county = small_county
    with pytest.raises(InvalidInputError, match=r"ask for industry experts.*--experts"):
        tianjin_plan(county)
