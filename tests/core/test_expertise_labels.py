"""Expertise is matched by whole label (BL-4 业务专长, TJ-8 行业专家): "petrochem" is not "chem".

The registries hold labels that overlap as text (危险化学品 contains 化学品; petrochem contains
chem); a requirement is met only by someone holding exactly the label asked for.
"""

from __future__ import annotations

import pytest

from drawcore import Expert, Inspector, TeamTask, draw_teams
from drawcore.errors import InfeasibleError

SEEDS = [f"labels-{n}" for n in range(4)]


def _staff() -> list[Inspector]:
    """Two holders of ``chem``, four of ``petrochem``, three of ``fire``, two of ``mech``."""
    rows = [("C", "chem"), ("C", "chem")] + [("P", "petrochem")] * 4 + [("F", "fire")] * 3
    rows += [("N", "mech")] * 2
    return [
        Inspector(inspector_id=f"{kind}{n:02d}", name=f"员{n}", work_unit="局", expertise=(label,))
        for n, (kind, label) in enumerate(rows)
    ]


def test_bl4_one_area_is_held_by_exact_label_not_by_a_longer_one() -> None:
    staff = _staff()
    holders = {i.inspector_id for i in staff if "chem" in i.expertise}
    lookalikes = {i.inspector_id for i in staff if "petrochem" in i.expertise}
    turned_away = 0
    for seed in SEEDS:
        tasks = [TeamTask(unit_id=f"U{n:02d}", expertise="chem") for n in range(24)]
        draw = draw_teams(tasks, staff, seed=seed)
        for a in draw.assignments:
            assert holders & set(a.members), (seed, a.unit_id, a.members)
            for p in a.parts[0].passed_over:
                turned_away += p.inspector_id in lookalikes and "'chem'" in p.reason
    assert turned_away >= 10, "a petrochem holder often reaches the reserved last seat"


def test_bl4_several_areas_are_each_held_by_exact_label() -> None:
    staff = _staff()
    chem = {i.inspector_id for i in staff if "chem" in i.expertise}
    fire = {i.inspector_id for i in staff if "fire" in i.expertise}
    for seed in SEEDS:
        tasks = [TeamTask(unit_id=f"V{n:02d}", expertise=("chem", "fire")) for n in range(24)]
        for a in draw_teams(tasks, staff, seed=seed).assignments:
            assert chem & set(a.members), (seed, a.unit_id, a.members)
            assert fire & set(a.members), (seed, a.unit_id, a.members)


def test_tj8_expert_holds_exactly_the_area_asked_for() -> None:
    staff = _staff()
    experts = [Expert(expert_id="E-chem", name="专家甲", expertise=("chem",))] + [
        Expert(expert_id=f"E-petro{n}", name=f"专家{n}", expertise=("petrochem",)) for n in range(5)
    ]
    for seed in SEEDS:
        tasks = [
            TeamTask(unit_id=f"W{n:02d}", experts=1, expert_expertise="chem") for n in range(12)
        ]
        draw = draw_teams(tasks, staff, seed=seed, experts=experts)
        assert {a.experts for a in draw.assignments} == {("E-chem",)}


def test_tj8_no_exact_holder_is_infeasible_not_a_lookalike() -> None:
    petro = [Expert(expert_id=f"E{n}", name=f"专家{n}", expertise=("petrochem",)) for n in range(3)]
    task = TeamTask(unit_id="X", experts=1, expert_expertise="chem")
    with pytest.raises(InfeasibleError, match=r"\bX\b"):
        draw_teams([task], _staff(), seed="none", experts=petro)
