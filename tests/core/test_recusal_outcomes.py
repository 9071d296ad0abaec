"""Recusal and replacement (BL-5 回避, 递补) judged by their outcomes, not by a replay.

A plan naming the ``township`` rule must never put an inspector on a unit in his home
township; the ``work_unit`` rule never on a unit of the township office he works for. When
several drawn candidates recuse in one task, each is replaced, in candidate order, by the
next accepted candidate: the first recused by the first replacement, and so on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drawcore import Inspector, Unit, draw_teams
from drawcore.draw.candidates import candidate_order
from drawcore.draw.recusal import rotation_recusals, township_recusals, work_unit_recusals
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.records import run_draw
from drawcore.registry.registries import County, InspectorRegistry, UnitRegistry

SEEDS = [b"bl5-outcome-1", b"bl5-outcome-2", b"bl5-outcome-3"]


def _plan(units: UnitRegistry, inspectors: InspectorRegistry, rules: tuple[str, ...]) -> DrawPlan:
    return DrawPlan(
        plan_id="2026Q2-recusal",
        units=RegistryRef(path="units.csv", fingerprint=units.fingerprint),
        inspectors=RegistryRef(path="inspectors.csv", fingerprint=inspectors.fingerprint),
        size=60,
        recusal_rules=rules,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_bl5_township_rule_keeps_inspectors_off_their_home_township(
    small_county: tuple[Path, County], seed: bytes
) -> None:
    _, county = small_county
    home = {i.inspector_id: i.township for i in county.inspectors}
    outcome = run_draw(
        _plan(county.units, county.inspectors, ("township",)), county.units, county.inspectors, seed
    )
    assigned = outcome.teams.teams()
    assert len(assigned) == 60
    tied = 0  # drawn units where the rule had someone to keep off
    for unit_id, team in assigned.items():
        town = county.units[unit_id].township
        locals_ = {i for i, t in home.items() if t and t == town}
        assert not locals_ & set(team), (unit_id, town, team)
        tied += bool(locals_)
    assert tied >= 30, "most drawn units have a local inspector, so the rule has work to do"


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_bl5_work_unit_rule_keeps_inspectors_off_the_township_they_work_for(
    small_county: tuple[Path, County], seed: bytes
) -> None:
    _, county = small_county
    townships = sorted({u.township for u in county.units})
    # a registry where some inspectors work for a township office and live elsewhere
    staff = [
        Inspector(
            inspector_id=f"T{n:02d}",
            name=f"乡镇员{n}",
            work_unit=townships[n % 4],
            township=townships[(n + 1) % 4],
        )
        for n in range(16)
    ] + [Inspector(inspector_id=f"B{n:02d}", name=f"局员{n}", work_unit="局机关") for n in range(8)]
    inspectors = InspectorRegistry.from_records(staff)
    plan = _plan(county.units, inspectors, ("work_unit",))
    outcome = run_draw(plan, county.units, inspectors, seed)
    tied = 0
    for unit_id, team in outcome.teams.teams().items():
        town = county.units[unit_id].township
        office = {i.inspector_id for i in staff if i.work_unit == town}
        assert not office & set(team), (unit_id, town, team)
        tied += bool(office)
    assert tied >= 5, "some drawn units lie in a township whose office staff are in the registry"


def test_bl5_two_recusals_in_one_task_are_replaced_in_candidate_order() -> None:
    ids = [f"I{n:02d}" for n in range(10)]
    checked = 0
    for n in range(20):
        unit = f"U{n}"
        order = candidate_order("two-recused", unit, ids)
        conflicts = [(order[0], unit, "recusal: relative (BL-5 回避)"), (order[1], unit)]
        draw = draw_teams([unit], ids, seed="two-recused", conflicts=conflicts)
        (assignment,) = draw.assignments
        (part,) = assignment.parts
        assert part.drawn == order[:2]
        assert assignment.members == tuple(sorted(order[2:4]))
        assert [(p.inspector_id, p.position) for p in part.passed_over] == [
            (order[0], 0),
            (order[1], 1),
        ]
        assert [(r.drawn, r.replaced_by) for r in part.replacements] == [
            (order[0], order[2]),
            (order[1], order[3]),
        ]
        assert "BL-5" in part.replacements[0].reason
        checked += 1
    assert checked == 20


def test_bl5_recusals_among_three_seats_each_take_the_next_accepted_candidate() -> None:
    """Seats 1 and 3 recuse, seat 2 serves: the replacements are candidates 4 and 5, in order."""
    ids = [f"I{n:02d}" for n in range(12)]
    for n in range(10):
        unit = f"W{n}"
        order = candidate_order("three-seats", unit, ids, draw_id="d")
        conflicts = [(order[0], unit), (order[2], unit)]
        draw = draw_teams(
            [unit], ids, seed="three-seats", draw_id="d", team_size=3, conflicts=conflicts
        )
        (part,) = draw.assignments[0].parts
        assert part.drawn == order[:3]
        assert part.members == tuple(sorted((order[1], order[3], order[4])))
        assert [(r.drawn, r.replaced_by) for r in part.replacements] == [
            (order[0], order[3]),
            (order[2], order[4]),
        ]


@pytest.mark.parametrize("clause", ["BL-5", "TJ-9"])
def test_bl5_every_derived_recusal_cites_its_clause_and_rule(clause: str) -> None:
    """Recorded reasons cite a clause ID as the policy writes it (upper case, whole)."""
    units = [
        Unit(
            unit_id="U0", name="单位0", subject_type="有限责任公司", industry="机械", township="T0"
        )
    ]
    staff = [Inspector(inspector_id="A", name="甲", work_unit="T0", township="T0")]
    derived = {
        "township": township_recusals(units, staff, clause=clause),
        "work unit": work_unit_recusals(units, staff, clause=clause),
        "rotate": rotation_recusals({"U0": ["A"]}, clause=clause),
    }
    for rule, recusals in derived.items():
        (r,) = recusals
        assert (r.inspector_id, r.unit_id) == ("A", "U0")
        assert isinstance(r.reason, str)
        assert rule in r.reason, (rule, r.reason)
        cited = re.search(r"\(([A-Z]+-[0-9]+)\b", r.reason)
        assert cited is not None, r.reason
        assert cited.group(1) == clause


def test_bl5_derived_recusals_cite_bl5_by_default() -> None:
    units = [
        Unit(
            unit_id="U0", name="单位0", subject_type="有限责任公司", industry="机械", township="T0"
        )
    ]
    staff = [Inspector(inspector_id="A", name="甲", work_unit="T0", township="T0")]
    for recusals in (
        township_recusals(units, staff),
        work_unit_recusals(units, staff),
        rotation_recusals({"U0": ["A"]}),
    ):
        (r,) = recusals
        cited = re.search(r"\(([A-Z]+-[0-9]+)\b", r.reason)
        assert cited is not None, r.reason
        assert cited.group(1) == "BL-5"
