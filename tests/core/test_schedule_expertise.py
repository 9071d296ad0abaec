"""Plans whose rules ask for several expertise areas: every team covers all of them (TJ-8)."""

from __future__ import annotations

import types

import pytest

from drawcore.errors import InvalidInputError
from drawcore.model import Inspector, Unit
from drawcore.plan.schedule import plan_year
from drawcore.plugin import Reason, hookimpl
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext, TeamRequirement


def _needs(area: str, clause: str) -> object:
    @hookimpl
    def drawcore_team_requirements(unit: Unit, context: PlanContext) -> TeamRequirement:
        return TeamRequirement(
            expertise=(area,), reason=Reason(clause=clause, text=f"the team needs {area}")
        )

    return types.SimpleNamespace(drawcore_team_requirements=drawcore_team_requirements)


def test_tj8_plan_with_two_required_expertise_areas_covers_both_in_every_team() -> None:
    """Two plugins each ask for one area; the merged requirement asks for both, and every
    drawn team holds both (a team of two: one chemicals expert and one mining expert,
    or one inspector holding both)."""
    pm = make_plugin_manager(
        entrypoints=False,
        plugins={"chem": _needs("chem", "XA-1"), "mine": _needs("mine", "XB-1")},
    )
    rules = Rules(pm)
    expertise = {0: ("chem",), 1: ("chem",), 2: ("mine",), 3: ("mine",), 4: ("chem", "mine")}
    inspectors = [
        Inspector(
            inspector_id=f"I{k:02d}",
            name=f"检查员{k}",
            work_unit="大队",
            expertise=expertise.get(k, ()),
        )
        for k in range(16)
    ]
    held = {i.inspector_id: set(i.expertise) for i in inspectors}
    units = _chemical_units(24)
    plan = plan_year(units, inspectors, year=2019, rules=rules, seed="two-areas", capacity=6)
    tasks = [t for t in plan.tasks if t.inspectors]
    assert len(tasks) >= 12
    for task in tasks:
        areas = set().union(*(held[i] for i in task.inspectors))
        assert {"chem", "mine"} <= areas, (task.unit_id, task.inspectors)
    # not a coincidence: most inspectors hold neither area
    assert sum(1 for h in held.values() if not h) > len(held) // 2


def test_an_empty_expertise_area_from_the_rules_is_refused_as_the_task_refuses_it() -> None:
    """The plan builds its tasks from the rules' merged requirement; an empty area is
    refused with the task's own error."""
    rules = Rules(make_plugin_manager(entrypoints=False, plugins={"empty": _needs("", "XC-1")}))
    inspectors = [
        Inspector(inspector_id=f"I{k:02d}", name=f"检查员{k}", work_unit="大队") for k in range(8)
    ]
    units = _chemical_units(8)
    with pytest.raises(InvalidInputError, match="expertise areas must be non-empty strings"):
        plan_year(units, inspectors, year=2019, rules=rules, seed="empty-area", capacity=4)


def _chemical_units(n: int) -> list[Unit]:
    """``n`` chemical-industry companies of one township, ids U00, U01, ..."""
    return [
        Unit(
            unit_id=f"U{k:02d}",
            name=f"单位{k}",
            subject_type="有限责任公司",
            industry="化工",
            township="石湾镇",
        )
        for k in range(n)
    ]
