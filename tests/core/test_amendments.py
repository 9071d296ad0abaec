"""Mid-year amendments (BL-5, TJ-5): drawn with the plan's yearly design, within its room."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from ceremony_site import COMMITTED, DRAWN, ENTROPY, NUMBERS, SIGNING
from hypothesis import given, settings
from hypothesis import strategies as st
from unit_factory import unit

from drawcore.errors import InfeasibleError
from drawcore.model import Inspector, Unit
from drawcore.plan.amendment import (
    Amendment,
    draw_amendment,
    share_of_year_left,
    yearly_scale,
)
from drawcore.plan.tasks import AnnualPlan
from drawcore.plugin.rules import Rules
from drawcore.record import commitments, year_ceremony
from drawcore.record.amendments import amendment_difference, amendment_of
from drawcore.record.annual import YearPlanSpec, year_plan_spec
from drawcore.record.draw_plans import RegistryRef
from drawcore.record.journal import Journal
from drawcore.registry.ids import make_uscc
from drawcore.registry.registries import (
    County,
    ExpertRegistry,
    InspectorRegistry,
    ItemList,
    UnitRegistry,
)

PER = 2  # tasks per inspector per round
STAFF = [Inspector(inspector_id=f"I{k}", name="检", work_unit="队") for k in range(5)]


def county(units: list[Unit]) -> County:
    return County(
        units=UnitRegistry.from_records(units),
        inspectors=InspectorRegistry.from_records(STAFF),
        experts=ExpertRegistry.from_records([]),
        items=ItemList.from_records([]),
    )


def refs(c: County) -> dict[str, RegistryRef]:
    return {n: RegistryRef(path=f"{n}.csv", fingerprint=f) for n, f in c.fingerprints.items()}


def uscc(k: int) -> str:
    return make_uscc(f"91441322MA4UH{k:04d}")


def journaled(j: Journal, spec: YearPlanSpec, c: County, rules: Rules) -> AnnualPlan:
    commitments.commit_plan(j, spec, committed_at=COMMITTED, committed_by="王建国")
    commitments.form_seed(j, spec, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS)
    return year_ceremony.draw_year(j, spec, rules=rules, county=c, signing=SIGNING).plan


def test_share_of_year_left_counts_days() -> None:
    assert share_of_year_left(dt.date(2026, 1, 1)) == 1.0
    assert share_of_year_left(dt.date(2026, 12, 31)) == 1 / 365
    assert share_of_year_left(dt.date(2026, 7, 2)) == 183 / 365
    assert share_of_year_left(dt.date(2028, 7, 2)) == 183 / 366


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0.01, 100.0), min_size=1, max_size=30),
    st.floats(0.001, 10.0),
)
def test_yearly_scale_recovers_the_plans_scale(weights: list[float], c: float) -> None:
    """For every plan with a unit drawn below certainty: pi = min(1, c w) gives back c."""
    ids = [f"U{k}" for k in range(len(weights))]
    pi = {u: min(1.0, c * w) for u, w in zip(ids, weights, strict=True)}
    w = dict(zip(ids, weights, strict=True))
    if any(0 < p < 1 for p in pi.values()):
        assert math.isclose(yearly_scale(pi, w), c, rel_tol=1e-9)
    else:
        assert all(min(1.0, yearly_scale(pi, w) * x) == 1.0 for x in weights)
    assert yearly_scale(dict.fromkeys(ids, 0.0), w) == 0.0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0.0, 50.0), min_size=1, max_size=20),
    st.floats(0.0, 5.0),
    st.floats(0.0, 1.0),
)
def test_amendment_probabilities_are_the_share_of_the_capped_design(
    weights: list[float], scale: float, share: float
) -> None:
    a = Amendment(amends="p", scale=scale, share=share, capacity=(1,), taken=(0,))
    p = a.probabilities(np.array(weights))
    assert np.all(p >= 0.0)
    assert np.all(p <= share)
    np.testing.assert_allclose(p, share * np.minimum(1.0, scale * np.array(weights)))


@settings(max_examples=50, deadline=None)
@given(st.permutations([f"U{k}" for k in range(12)]), st.text(min_size=1, max_size=8))
def test_amendment_draw_does_not_depend_on_row_order(order: list[str], seed: str) -> None:
    probs = {f"U{k}": (k + 1) / 13 for k in range(12)}
    ids = sorted(probs)
    base = {
        ids[j]
        for j in draw_amendment(ids, np.array([probs[u] for u in ids]), seed=seed, draw_id="a")
    }
    again = draw_amendment(order, np.array([probs[u] for u in order]), seed=seed, draw_id="a")
    assert {order[j] for j in again} == base


def test_amendment_draw_frequencies_match_the_probabilities() -> None:
    """2,000 fixed seeds: each unit's frequency within 4 standard deviations of its p
    (sqrt(p (1 - p) / 2000) <= 0.0112); a draw that ignored p would fail."""
    ids = [f"U{k}" for k in range(6)]
    probs = np.array([0.0, 0.05, 0.2, 0.5, 0.8, 1.0])
    n = 2000
    counts = Counter(
        ids[j] for s in range(n) for j in draw_amendment(ids, probs, seed=f"s{s}", draw_id="x")
    )
    for u, p in zip(ids, probs.tolist(), strict=True):
        sd = math.sqrt(p * (1 - p) / n)
        assert abs(counts[u] / n - p) <= 4 * sd + 1e-12, (u, counts[u] / n, p)


def base_plan(
    tmp_path: Path, ratio: float | None, capacity: int | None = None
) -> tuple[Journal, County, Rules, AnnualPlan]:
    units = [unit(uscc(k), risk_weight=1.0 + k % 3) for k in range(20)]
    c = county(units)
    rules = Rules.for_jurisdiction(None)
    spec = year_plan_spec(
        "2026-base",
        c,
        refs(c),
        rules=rules,
        year=2026,
        tasks_per_inspector=PER,
        random_ratio=ratio,
        capacity=capacity,
    )
    j = Journal(tmp_path / "journal.jsonl")
    return j, c, rules, journaled(j, spec, c, rules)


def test_bl5_amendment_room_and_caps_subtract_what_the_plan_already_holds(
    tmp_path: Path,
) -> None:
    j, base_county, rules, base = base_plan(tmp_path, 0.3)
    as_of = dt.date(2026, 7, 2)
    amendment = amendment_of(j.records(), "2026-base", as_of=as_of, county=base_county, rules=rules)
    assert amendment.taken == tuple(len(r.tasks) for r in base.rounds)
    assert amendment.share == 183 / 365
    added = [unit(uscc(100), blacklisted=True)] + [
        unit(uscc(100 + k), risk_weight=4.0) for k in range(1, 7)
    ]
    c = county(added)
    spec = year_plan_spec(
        "2026-base/amend",
        c,
        refs(c),
        rules=rules,
        amends="2026-base",
        year=2026,
        tasks_per_inspector=PER,
        as_of=as_of,
        amendment=amendment,
    )
    plan = journaled(j, spec, c, rules)
    assert uscc(100) in {t.unit_id for t in plan.tasks}  # once a year: placed for sure
    drawn = [t for t in plan.tasks if t.kind.value == "drawn"]
    assert drawn  # with these fixed numbers the draw takes some of the six
    for t in drawn:
        assert math.isclose(t.probability, amendment.share * min(1.0, amendment.scale * 4.0))
    per_person: Counter[tuple[int, str]] = Counter()
    per_round: Counter[int] = Counter()
    for p in (base, plan):
        for rd in p.rounds:
            per_round[rd.index] += len(rd.tasks)
            for t in rd.tasks:
                per_person.update((rd.index, i) for i in t.inspectors)
    assert max(per_person.values()) <= PER
    assert all(per_round[r.index] <= r.capacity for r in base.rounds)
    body = j.records()[-1].body
    assert amendment_difference(j.records(), body, lambda _s: (base_county, rules)) is None
    forged = {**body, "plan": {**body["plan"]}}
    forged["plan"]["parameters"] = {
        **body["plan"]["parameters"],
        "amendment": {**body["plan"]["parameters"]["amendment"], "taken": [0, 0, 0, 0]},
    }
    problem = amendment_difference(j.records(), forged, lambda _s: (base_county, rules))
    assert problem is not None
    assert "journal before its commitment gives" in problem


def test_bl5_an_amendment_the_rounds_cannot_hold_is_refused_before_any_record(
    tmp_path: Path,
) -> None:
    """The plan fills its rounds' capacity of 3 tasks (6 of the 10 inspector seats a
    round): an amendment has no room left, though the inspectors have seats."""
    j, base_county, rules, base = base_plan(tmp_path, None, capacity=3)
    assert [len(r.tasks) for r in base.rounds] == [3, 3, 3, 3]
    size = len(j.records())
    as_of = dt.date(2026, 7, 2)
    amendment = amendment_of(j.records(), "2026-base", as_of=as_of, county=base_county, rules=rules)
    c = county([unit(uscc(200), blacklisted=True), unit(uscc(201))])
    with pytest.raises(InfeasibleError, match=r"short by 2"):
        year_plan_spec(
            "2026-base/amend",
            c,
            refs(c),
            rules=rules,
            amends="2026-base",
            year=2026,
            tasks_per_inspector=PER,
            as_of=as_of,
            amendment=amendment,
        )
    assert len(Journal(j.path).records()) == size
