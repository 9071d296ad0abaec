"""The yearly design (plan/yearly.py, plan/once_a_year.py): fair over the whole year,
the once-a-year rule in the core, plans made mid-year, declared conflicts, experts."""

from __future__ import annotations

import datetime as dt
import math
import types
from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from unit_factory import unit

from drawcore.errors import InfeasibleError
from drawcore.model import Expert, Inspector, RiskLevel, Unit
from drawcore.plan.once_a_year import once_a_year_reasons
from drawcore.plan.parameters import YearParameters
from drawcore.plan.schedule import commit_year, plan_year
from drawcore.plan.tasks import AnnualPlan, TaskKind
from drawcore.plugin import Reason, hookimpl
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import Frequency, TeamRequirement


@cache
def rules(jurisdiction: str | None) -> Rules:
    return Rules.for_jurisdiction(jurisdiction)


def inspectors(n: int) -> list[Inspector]:
    return [
        Inspector(inspector_id=f"I{k:03d}", name=f"检查员{k}", work_unit="大队") for k in range(n)
    ]


def test_bl5_yearly_frequencies_match_the_published_yearly_probabilities() -> None:
    """40 units, ten of weight 4 and thirty of weight 1; 12 a year in 4 rounds of 3.

    By the spec (probability proportional to weight, none above 1): pi = 12 w / 70,
    so 48/70 = 0.6857 for weight 4 and 12/70 = 0.1714 for weight 1. Over 400 seeds
    each unit's yearly frequency is within 4 standard deviations
    (sqrt(pi (1 - pi) / 400): 0.023 and 0.019) of its pi, and so is each weight
    class's mean (4,000 and 12,000 unit-years; independent-Bernoulli deviations, an
    upper bound for a fixed-size draw's negatively correlated indicators). Drawing the
    rounds one after another without replacement gives 0.616 and 0.195 here, 9 and
    7 class deviations away.
    """
    units = [unit(f"H{k:02d}", risk_weight=4.0) for k in range(10)]
    units += [unit(f"L{k:02d}", risk_weight=1.0) for k in range(30)]
    expected = {u.unit_id: 12 * u.risk_weight / 70 for u in units}
    seeds = 400
    hits: Counter[str] = Counter()
    for k in range(seeds):
        plan = plan_year(
            units, inspectors(4), year=2019, rules=rules(None), seed=f"fair{k}", capacity=3
        )
        assert dict(plan.yearly_probabilities) == pytest.approx(expected, rel=1e-12)
        assert len(plan.tasks) == 12
        hits.update(t.unit_id for t in plan.tasks)
    for uid, pi in expected.items():
        sigma = math.sqrt(pi * (1 - pi) / seeds)
        assert abs(hits[uid] / seeds - pi) <= 4 * sigma, (uid, hits[uid] / seeds, pi)
    for prefix, pi, count in (("H", 48 / 70, 10), ("L", 12 / 70, 30)):
        n = seeds * count
        mean = sum(v for u, v in hits.items() if u.startswith(prefix)) / n
        assert abs(mean - pi) <= 4 * math.sqrt(pi * (1 - pi) / n), (prefix, mean, pi)


@given(
    n=st.integers(1, 60),
    rounds=st.sampled_from([1, 2, 3, 4, 6, 12]),
    capacity=st.integers(0, 12),
    ratio=st.none() | st.floats(0.0, 1.0),
    seed=st.text(min_size=1, max_size=6),
    weights=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 7.0]), min_size=60, max_size=60),
)
@settings(max_examples=60, deadline=None)
def test_yearly_design_invariants_hold_for_all_inputs(
    n: int,
    rounds: int,
    capacity: int,
    ratio: float | None,
    seed: str,
    weights: list[float],
) -> None:
    """Each unit drawn at most once a year, in one round with room; each task's
    probability is the published one; the published probabilities of the units that may
    be drawn sum to the size of the year's draw; weight 0 means probability 0."""
    units = [unit(f"U{k:02d}", risk_weight=weights[k]) for k in range(n)]
    plan = plan_year(
        units,
        inspectors(6),
        year=2019,
        rules=rules(None),
        seed=seed,
        rounds=rounds,
        capacity=capacity,
        random_ratio=ratio,
    )
    published = dict(plan.yearly_probabilities)
    drawn = [t for t in plan.tasks if t.kind is TaskKind.DRAWN]
    assert len(drawn) == len({t.unit_id for t in drawn}) == plan.yearly.size
    assert all(len(rd.tasks) <= rd.capacity for rd in plan.rounds)
    assert all(t.probability == published[t.unit_id] for t in drawn)
    assert sum(published.values()) == pytest.approx(plan.yearly.size, abs=1e-9)
    assert all(published.get(u.unit_id, 0.0) == 0.0 for u in units if u.risk_weight == 0)
    assert all(0.0 < p <= 1.0 for p in published.values())


def twice_a_year(ids: set[str]) -> Rules:
    """Rules with a plugin that plans the units ``ids`` twice a year."""

    @hookimpl
    def drawcore_unit_frequency(unit: Unit) -> Frequency | None:
        if unit.unit_id in ids:
            return Frequency(times=2, reason=Reason(clause="XA-2", text="twice a year"))
        return None

    plugin = types.SimpleNamespace(drawcore_unit_frequency=drawcore_unit_frequency)
    return Rules(make_plugin_manager(entrypoints=False, plugins={"xian": plugin}))


@given(
    ids=st.lists(st.text(alphabet="AZaz09中-", min_size=1, max_size=4), max_size=30, unique=True),
    times=st.lists(st.integers(0, 2), min_size=30, max_size=30),
    weights=st.lists(st.sampled_from([0.0, 1.0, 3.0]), min_size=30, max_size=30),
    seed=st.text(min_size=1, max_size=4),
)
@settings(max_examples=60, deadline=None)
def test_yearly_probabilities_list_each_unit_once_by_id(
    ids: list[str], times: list[int], weights: list[float], seed: str
) -> None:
    """§12.1: ``yearly_probabilities`` is ``[[unit_id, p]]`` by unit id (code points),
    each unit once: the planned units (once or twice a year) at 1.0 and the drawable
    units with ``p > 0`` at their yearly inclusion probability."""
    units = [
        unit(uid, blacklisted=times[k] > 0, risk_weight=weights[k]) for k, uid in enumerate(ids)
    ]
    twice = {uid for k, uid in enumerate(ids) if times[k] == 2}
    plan = plan_year(
        units, inspectors(8), year=2019, rules=twice_a_year(twice), seed=seed, random_ratio=0.5
    )
    listed = [uid for uid, _ in plan.yearly_probabilities]
    assert listed == sorted(set(listed))
    published = dict(plan.yearly_probabilities)
    for k, uid in enumerate(ids):
        if times[k]:
            assert published[uid] == 1.0
            assert sum(t.unit_id == uid for t in plan.tasks) == times[k]
        elif weights[k] == 0.0 or plan.yearly.size == 0:
            assert uid not in published
        else:
            assert 0.0 < published[uid] <= 1.0
    drawn = [t for t in plan.tasks if t.kind is TaskKind.DRAWN]
    assert all(published[t.unit_id] == t.probability for t in drawn)


def test_nat7_once_a_year_units_are_planned_under_every_jurisdiction() -> None:
    """Under Boluo (whose plugin has no once-a-year hook) and with no jurisdiction, a
    blacklisted, major-risk, joint-punishment unit is in every plan (40 seeds)."""
    units = [
        unit("BAD", blacklisted=True, risk_level=RiskLevel.MAJOR, joint_punishment=True),
        *(unit(f"U{k:02d}") for k in range(40)),
    ]
    for jurisdiction in ("boluo", None):
        for k in range(40):
            plan = plan_year(
                units,
                inspectors(4),
                year=2019,
                rules=rules(jurisdiction),
                seed=f"once{k}",
                capacity=3,
                registry_date=dt.date(2018, 12, 5),
            )
            (task,) = [t for t in plan.tasks if t.unit_id == "BAD"]
            assert task.kind is TaskKind.PLANNED
            assert plan.yearly_probability("BAD") == 1.0
        (entry,) = [m for m in plan.mandatory if m.unit_id == "BAD"]
        assert {r.clause for r in entry.reasons} == {"NAT-7"}
        assert len(entry.reasons) == 3


def waiving(reason_text: str) -> Rules:
    @hookimpl
    def drawcore_once_a_year_waiver(unit: Unit) -> Sequence[Reason]:
        if unit.unit_id == "W1":
            return [Reason(clause="XA-1", text=reason_text)]
        return []

    plugin = types.SimpleNamespace(drawcore_once_a_year_waiver=drawcore_once_a_year_waiver)
    return Rules(make_plugin_manager(entrypoints=False, plugins={"xian": plugin}))


def test_nat7_a_jurisdiction_drops_the_rule_only_by_an_explicit_recorded_answer() -> None:
    units = [unit("W1", blacklisted=True), unit("W2", blacklisted=True), unit("U1")]
    r = waiving("removed from the blacklist on appeal, decision 2019-3")
    plan = plan_year(units, inspectors(2), year=2019, rules=r, seed="w", random_ratio=0.0)
    assert [t.unit_id for t in plan.tasks] == ["W2"]
    (waived,) = plan.waived
    assert waived.unit_id == "W1"
    assert [(x.clause, x.plugin) for x in waived.reasons] == [
        ("XA-1", "xian"),
        ("NAT-7", "drawcore"),
    ]
    committed = commit_year(units, inspectors(2), year=2019, rules=r, random_ratio=0.0)
    assert committed.waived == plan.waived
    assert committed.hash == plan.commitment
    other = commit_year(units, inspectors(2), year=2019, rules=waiving("x"), random_ratio=0.0)
    assert other.hash != committed.hash


@pytest.mark.parametrize(
    ("accident", "counted"),
    [(2020, False), (2019, True), (2018, True), (2017, True), (2016, False), (None, False)],
)
def test_tj5_nat7_fatal_accident_in_the_last_three_years_boundary(
    accident: int | None, counted: bool
) -> None:
    """近三年 for a 2019 plan: 2017, 2018 and 2019 (three calendar years ending with the
    plan's year), not 2016 (that would be four years)."""
    reasons = once_a_year_reasons(unit("F1", fatal_accident_year=accident), 2019)
    assert bool(reasons) is counted
    r = rules("tianjin")
    plan = plan_year(
        [unit("F1", fatal_accident_year=accident)],
        inspectors(2),
        year=2019,
        rules=r,
        seed="f",
        random_ratio=0.0,
    )
    assert bool(plan.tasks) is counted


def test_as_of_rounds_already_over_receive_no_placements() -> None:
    """A plan made on 2 July: rounds 1 and 2 are over. The 20 once-a-year units all land
    in rounds 3 and 4, and so do the drawn ones."""
    units = [unit(f"M{k:02d}", blacklisted=True) for k in range(20)]
    units += [unit(f"U{k:02d}") for k in range(20)]
    params = YearParameters(year=2019, rounds=4, capacity=15, as_of=dt.date(2019, 7, 2))
    plan = plan_year(units, inspectors(4), rules=rules(None), seed="asof", params=params)
    assert [rd.open for rd in plan.rounds] == [False, False, True, True]
    assert [rd.capacity for rd in plan.rounds] == [0, 0, 15, 15]
    assert all(t.round in (3, 4) for t in plan.tasks)
    assert sum(t.kind is TaskKind.PLANNED for t in plan.tasks) == 20
    assert plan.yearly.size == 10


def test_as_of_a_key_supervision_unit_gets_the_rounds_left_and_the_plan_says_so() -> None:
    params = YearParameters(year=2019, rounds=4, as_of=dt.date(2019, 10, 8))
    plan = plan_year(
        [unit("H1", major_hazard=True)],
        inspectors(2),
        rules=rules("boluo"),
        seed="k",
        params=params,
    )
    assert [t.round for t in plan.tasks] == [4]
    (problem,) = [p for p in plan.problems if "H1" in p.text]
    assert "needs 4" in problem.text
    assert "only 1 round(s) remain" in problem.text


def test_bl5_declared_conflicts_are_honoured_by_every_team() -> None:
    units = [unit(f"U{k}") for k in range(6)]
    staff = inspectors(4)
    declared = [(i.inspector_id, u.unit_id) for i in staff[:2] for u in units]
    plan = plan_year(units, staff, year=2019, rules=rules(None), seed="c", conflicts=declared)
    assert plan.tasks
    for t in plan.tasks:
        assert set(t.inspectors) == {"I002", "I003"}
    plain = commit_year(units, staff, year=2019, rules=rules(None))
    assert plain.hash != plan.commitment


def test_tj8_expert_shortfall_is_named_before_the_draw() -> None:
    """Tianjin puts an industry expert on every major-hazard team: 3 such units, 4 times a
    year, and one expert taking 2 tasks a round over 4 rounds: 12 places needed, 8 there."""
    units = [unit(f"H{k}", major_hazard=True, industry="化工") for k in range(3)]
    experts = [Expert(expert_id="E1", name="专家", expertise=("化工",))]
    staff = [
        Inspector(inspector_id=f"I{k}", name="检", work_unit="队", expertise=("化工",))
        for k in range(8)
    ]
    with pytest.raises(InfeasibleError, match=r"need 12 industry-expert.*give 8: short by 4"):
        commit_year(
            units, staff, year=2019, rules=rules("tianjin"), experts=experts, tasks_per_inspector=2
        )


def _hazard_plan(experts: list[Expert], area: str, seed: str) -> AnnualPlan:
    """3 major-hazard 化工 units (Tianjin: 4 key inspections a year, an expert of 化工 on
    each team when an inspector holds 化工, else a general inspection), 8 inspectors of
    ``area``, 2 tasks a round per person."""
    units = [unit(f"H{k}", major_hazard=True, industry="化工") for k in range(3)]
    staff = [
        Inspector(inspector_id=f"I{k}", name="检", work_unit="队", expertise=(area,))
        for k in range(8)
    ]
    return plan_year(
        units,
        staff,
        year=2019,
        rules=rules("tianjin"),
        experts=experts,
        tasks_per_inspector=2,
        seed=seed,
    )


def test_tj8_expert_shortfall_of_one_area_is_named_before_the_draw() -> None:
    """The same 12 places must be taken by experts of 化工: three experts give 24
    places, but only the one holding 化工 can take them (8): short by 4, named by area.
    With a second 化工 expert (16 places) the year is drawn, each team with one."""
    others = [Expert(expert_id=f"M{k}", name="专家", expertise=("机械",)) for k in range(2)]
    chem = [Expert(expert_id=f"C{k}", name="专家", expertise=("化工", "机械")) for k in range(2)]
    with pytest.raises(InfeasibleError) as err:
        _hazard_plan([chem[0], *others], "化工", "experts")
    text = str(err.value)
    assert "need 12 industry-expert place(s) in 化工 (units H0, H1, H2)" in text
    assert "the 1 active expert(s) who can take them x 2 task(s) each over 4 round(s)" in text
    assert "give 8: short by 4" in text
    plan = _hazard_plan([*chem, *others], "化工", "experts")
    assert len(plan.tasks) == 12
    for task in plan.tasks:
        assert len(task.experts) == 1
        assert task.experts[0] in {"C0", "C1"}


AREAS = ["a", "b", "c"]


@settings(max_examples=300, deadline=None)
@given(
    demand=st.dictionaries(st.frozensets(st.sampled_from(AREAS)), st.integers(1, 9), min_size=1),
    people=st.lists(
        st.tuples(st.frozensets(st.sampled_from(AREAS)), st.integers(1, 6)), max_size=5
    ),
)
def test_tj8_places_fit_exactly_when_no_group_of_asked_areas_asks_more_than_its_people_give(
    demand: dict[frozenset[str], int], people: list[tuple[frozenset[str], int]]
) -> None:
    """Hall's condition, by every group of the asked area sets (a set's places are taken
    by anyone holding one of its areas; the empty set by anyone): the largest excess of
    places over the room of the people able to take any of them is what the check
    reports short, over the sets it names, with exactly those people; none when no
    group has an excess."""
    from itertools import combinations

    from drawcore.plan.people_room import _room_cut

    kinds: dict[frozenset[str], int] = {}
    for held, room in people:
        kinds[held] = kinds.get(held, 0) + room

    def able(group: tuple[frozenset[str], ...]) -> list[frozenset[str]]:
        return [h for h in kinds if any(not areas or areas & h for areas in group)]

    asked = sorted(demand, key=sorted)
    excess = max(
        sum(demand[a] for a in group) - sum(kinds[h] for h in able(group))
        for n in range(1, len(asked) + 1)
        for group in combinations(asked, n)
    )
    cut = _room_cut(demand, kinds)
    if excess <= 0:
        assert cut is None
    else:
        assert cut is not None
        group, held_by = cut
        assert sum(demand[a] for a in group) - sum(kinds[h] for h in held_by) == excess
        assert sorted(held_by, key=sorted) == sorted(able(tuple(group)), key=sorted)


def test_tj5_tj8_a_general_inspection_takes_no_expert_so_none_is_counted() -> None:
    """No inspector holds 化工, so Tianjin inspects the three major-hazard 化工 units
    generally (the office's team, no expert drawn): their 12 planned inspections ask
    no expert place, and the one 化工 expert's 8 places are no shortfall."""
    plan = _hazard_plan(
        [Expert(expert_id="C0", name="专家", expertise=("化工",))], "机械", "general"
    )
    assert len(plan.tasks) == 12
    assert {t.mode.value for t in plan.tasks} == {"general"}
    assert not any(t.experts for t in plan.tasks)


def _asks(area: str) -> object:
    @hookimpl
    def drawcore_team_requirements(unit: Unit, context: object) -> TeamRequirement:
        return TeamRequirement(expertise=(area,), reason=Reason(clause="XA-1", text=area))

    return types.SimpleNamespace(drawcore_team_requirements=drawcore_team_requirements)


def test_tj8_too_few_inspectors_of_an_asked_area_are_named_before_the_draw() -> None:
    """A rule asks an inspector of chem on every team; 4 blacklisted units are planned
    once a year each (NAT-7) in 4 rounds of 2 tasks per person. One inspector holds chem:
    8 places for 4 tasks, they fit. With capacity for the same 4 tasks in one round
    (rounds=1), that inspector gives 2: short by 2, named."""
    pm = make_plugin_manager(entrypoints=False, plugins={"chem": _asks("chem")})
    r = Rules(pm)
    units = [unit(f"B{k}", blacklisted=True) for k in range(4)]
    staff = [
        Inspector(
            inspector_id=f"I{k}",
            name="检",
            work_unit="队",
            expertise=("chem",) if k == 0 else (),
        )
        for k in range(8)
    ]
    plan = plan_year(units, staff, year=2019, rules=r, seed="chem", tasks_per_inspector=2)
    for task in plan.tasks:
        assert "I0" in task.inspectors
    with pytest.raises(InfeasibleError) as err:
        commit_year(units, staff, year=2019, rules=r, rounds=1, tasks_per_inspector=2)
    text = str(err.value)
    assert "need 4 team place(s) for an inspector holding chem (units B0, B1, B2, B3)" in text
    assert "the 1 active inspector(s) who hold them x 2 task(s) each over 1 round(s)" in text
    assert "give 2: short by 2" in text


def test_tj5_general_task_carries_the_office_team() -> None:
    """No inspector has 危险化学品 expertise, so Tianjin inspects HAZ generally: with the
    office's team the four tasks carry it (recorded as the office's); without, the plan
    says which unit has no team."""
    units = [unit("HAZ", major_hazard=True, industry="危险化学品"), unit("U1")]
    staff = [
        Inspector(inspector_id=f"I{k}", name="检", work_unit="队", expertise=("机械",))
        for k in range(4)
    ]
    r = rules("tianjin")
    plan = plan_year(units, staff, year=2019, rules=r, seed="g", office_teams={"HAZ": ["I3", "I1"]})
    general = [t for t in plan.tasks if t.unit_id == "HAZ"]
    assert len(general) == 4
    assert all(t.inspectors == ("I1", "I3") and t.office_team for t in general)
    assert not any("without the office's team" in p.text for p in plan.problems)
    bare = plan_year(units, staff, year=2019, rules=r, seed="g")
    assert all(t.inspectors == () and not t.office_team for t in bare.tasks if t.unit_id == "HAZ")
    (problem,) = [p for p in bare.problems if "without the office's team" in p.text]
    assert "HAZ" in problem.text
    assert commit_year(units, staff, year=2019, rules=r).hash == bare.commitment != plan.commitment


def test_tj5_bl8_general_task_results_come_from_the_office_team(tmp_path: Path) -> None:
    """Journaled: the general inspection's result is accepted from the office's team, and a
    result entered by an inspector outside it is refused (谁抽查、谁录入)."""
    from ceremony_site import COMMITTED, DRAWN, ENTROPY, NUMBERS, SIGNING

    from drawcore.errors import JournalError
    from drawcore.record import ceremony, commitments, year_ceremony
    from drawcore.record.annual import year_plan_spec
    from drawcore.record.draw_plans import RegistryRef
    from drawcore.record.journal import Journal
    from drawcore.record.results import InspectionResult, Outcome
    from drawcore.registry.ids import make_uscc
    from drawcore.registry.registries import (
        County,
        ExpertRegistry,
        InspectorRegistry,
        ItemList,
        UnitRegistry,
    )

    staff = [
        Inspector(inspector_id=f"I{k}", name="检", work_unit="队", expertise=("机械",))
        for k in range(4)
    ]
    haz, other = make_uscc("91441322MA4UH0001"), make_uscc("91441322MA4UH0002")
    county = County(
        units=UnitRegistry.from_records(
            [unit(haz, major_hazard=True, industry="危险化学品"), unit(other)]
        ),
        inspectors=InspectorRegistry.from_records(staff),
        experts=ExpertRegistry.from_records([]),
        items=ItemList.from_records([]),
    )
    refs = {n: RegistryRef(path=f"{n}.csv", fingerprint=f) for n, f in county.fingerprints.items()}
    r = rules("tianjin")
    spec = year_plan_spec(
        "2026-general", county, refs, rules=r, office_teams={haz: ["I1", "I3"]}, year=2026
    )
    j = Journal(tmp_path / "journal.jsonl")
    commitments.commit_plan(j, spec, committed_at=COMMITTED, committed_by="王建国")
    commitments.form_seed(j, spec, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS)
    drawn = year_ceremony.draw_year(j, spec, rules=r, county=county, signing=SIGNING)
    task = next(t for t in drawn.plan.tasks if t.unit_id == haz)
    assert task.office_team

    def result(entered_by: str) -> InspectionResult:
        return InspectionResult(
            plan_id=spec.plan_id,
            draw=drawn.record.seq,
            unit_id=haz,
            basis=("《中华人民共和国安全生产法》",),
            scope="生产经营场所",
            content=("重大事故隐患整改",),
            method="现场检查",
            handling_opinion="未发现问题",
            outcome=Outcome.NO_PROBLEM,
            inspected_by=("I1", "I3"),
            inspected_on=dt.date(2026, 2, 3),
            entered_by=entered_by,
            entered_at="2026-02-03T17:00:00+08:00",
        )

    with pytest.raises(JournalError, match="谁录入"):
        ceremony.record_result(j, result("I0"))
    assert ceremony.record_result(j, result("I3")).seq == 3


def test_nat7_the_conformance_kit_catches_a_silently_dropped_once_a_year_unit() -> None:
    import attrs

    from drawcore.testing import check_plan

    units = [unit("W1", blacklisted=True), unit("W2", blacklisted=True), unit("U1")]
    r = waiving("removed from the blacklist on appeal")
    plan = plan_year(units, inspectors(2), year=2019, rules=r, seed="k", random_ratio=0.0)
    assert check_plan(plan, units) == []
    silent = attrs.evolve(plan, waived=())
    assert check_plan(silent, units) == ["once-a-year unit W1 dropped silently (NAT-7)"]
