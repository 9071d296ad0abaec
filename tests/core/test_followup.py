"""Use of results (followup.py): registry follow-up (BL-10, TJ-7), completion (TJ-10), BL-1."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from ceremony_site import SIGNING, write_persons_county
from hypothesis import given
from hypothesis import strategies as st

from drawcore import serde
from drawcore.draw.sampling import sample_units
from drawcore.draw.teams import draw_teams
from drawcore.errors import InvalidInputError
from drawcore.model import CreditClass, IdKind, Inspector, RiskLevel, Unit
from drawcore.plan.schedule import plan_year
from drawcore.plan.tasks import AnnualPlan
from drawcore.plugin.rules import Rules
from drawcore.publish.completion import TaskStatus, completion_report, format_completion
from drawcore.publish.disclosure import publish
from drawcore.publish.followup import FollowUpPolicy, RegistryChange, apply_results, format_changes
from drawcore.publish.scan import find_personal_data
from drawcore.record import ceremony
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.records import DrawRecord
from drawcore.record.results import Finding, InspectionResult, Outcome
from drawcore.registry.ids import make_id_card, make_uscc
from drawcore.registry.readers import read_inspectors, read_items, read_units
from drawcore.registry.registries import UnitRegistry

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "county"


@cache
def rules(jurisdiction: str | None) -> Rules:
    """The installed plugins, loaded through their real entry points."""
    return Rules.for_jurisdiction(jurisdiction)


def uid(n: int) -> str:
    return make_uscc(f"91441322{n:09d}")


def unit(n: int, **kw: Any) -> Unit:
    base: dict[str, Any] = {
        "unit_id": uid(n),
        "name": f"单位{n}",
        "subject_type": "有限责任公司",
        "industry": "机械",
        "township": "罗阳街道",
    }
    base.update(kw)
    return Unit(**base)


def registry(n: int = 10, **kw: Any) -> UnitRegistry:
    return UnitRegistry.from_records(unit(k, **kw) for k in range(n))


def result(
    unit_id: str,
    on: dt.date = dt.date(2026, 3, 2),
    *,
    outcome: Outcome | str = Outcome.RECTIFICATION_ORDERED,
    findings: tuple[Finding, ...] = (),
    plan_id: str = "2026Q1",
    draw: int = 3,
    inspected_by: tuple[str, ...] = ("I001", "I002"),
) -> InspectionResult:
    return InspectionResult(
        plan_id=plan_id,
        draw=draw,
        unit_id=unit_id,
        basis=("《中华人民共和国安全生产法》",),
        scope="生产经营场所",
        content=("重大事故隐患排查治理",),
        method="现场检查",
        handling_opinion="依法处理",
        outcome=outcome,
        inspected_by=inspected_by,
        inspected_on=on,
        entered_by=inspected_by[0],
        entered_at=f"{on.isoformat()}T17:00:00+08:00",
        findings=findings,
    )


# -- InspectionResult.findings -------------------------------------------------------------


def test_bl7_result_without_findings_is_as_before_and_round_trips() -> None:
    r = result(uid(1))
    assert r.findings == ()
    body = serde.unstructure(r)
    del body["findings"]  # a result journaled before findings existed
    assert serde.structure(body, InspectionResult) == r
    with_findings = result(uid(1), findings=(Finding.MAJOR_HAZARD_CONCEALED, Finding.MAJOR_HAZARD))
    again = serde.structure(serde.unstructure(with_findings), InspectionResult)
    assert again == with_findings
    assert again.findings == (Finding.MAJOR_HAZARD, Finding.MAJOR_HAZARD_CONCEALED)


@pytest.mark.parametrize(
    ("outcome", "findings", "message"),
    [
        (Outcome.PENALISED, ("leak",), "finding 'leak' is not one of"),
        (Outcome.PENALISED, "major_hazard", "must be a list of findings"),
        (Outcome.PENALISED, (Finding.MAJOR_HAZARD, Finding.MAJOR_HAZARD_CLEARED), "both present"),
        (Outcome.NO_PROBLEM, (Finding.MAJOR_HAZARD,), "no_problem contradicts"),
        (Outcome.NOT_FOUND_AT_ADDRESS, (Finding.MAJOR_HAZARD_CLEARED,), "cannot carry findings"),
    ],
)
def test_bl7_contradictory_or_unknown_findings_are_refused(
    outcome: Outcome, findings: Any, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        result(uid(1), outcome=outcome, findings=findings)


# -- apply_results ---------------------------------------------------------------------------


def test_bl10_tj7_results_give_a_new_registry_and_every_change_has_a_reason() -> None:
    units = registry(6, last_inspected=dt.date(2025, 5, 1))
    before = units.fingerprint
    columns_before = {k: np.array(v, copy=True) for k, v in units.columns.items()}
    results = [
        result(uid(0), findings=(Finding.MAJOR_HAZARD,), draw=3),
        result(uid(1), findings=(Finding.MAJOR_HAZARD_CONCEALED,), outcome="penalised", draw=3),
        result(uid(2), outcome=Outcome.PENALISED, draw=3),
        result(uid(3), outcome=Outcome.NO_PROBLEM, draw=3),
    ]
    new, changes = apply_results(units, results)
    # the input is untouched
    assert units.fingerprint == before
    for k, col in units.columns.items():
        assert np.array_equal(col, columns_before[k], equal_nan=col.dtype.kind in "fM")
    assert new is not units
    assert new.fingerprint != before
    # the new registry
    assert new[uid(0)].major_hazard
    assert not new[uid(0)].blacklisted
    u1 = new[uid(1)]
    assert u1.major_hazard
    assert u1.blacklisted
    assert u1.joint_punishment
    assert u1.credit_class is CreditClass.C
    assert new[uid(2)].credit_class is CreditClass.C
    assert not new[uid(2)].blacklisted
    assert all(new[uid(k)].last_inspected == dt.date(2026, 3, 2) for k in range(4))
    assert new[uid(4)] == units[uid(4)]
    assert new[uid(5)] == units[uid(5)]
    # the changes, each citing its clause and its result
    fields = {(c.unit_id, c.field) for c in changes}
    assert fields == {
        *((uid(k), "last_inspected") for k in range(4)),
        (uid(0), "major_hazard"),
        (uid(1), "major_hazard"),
        (uid(1), "blacklisted"),
        (uid(1), "joint_punishment"),
        (uid(1), "credit_class"),
        (uid(2), "credit_class"),
    }
    clause = {(c.unit_id, c.field): c.reason.clause for c in changes}
    assert clause[uid(0), "major_hazard"] == "BL-6"
    assert clause[uid(1), "blacklisted"] == "TJ-7"
    assert clause[uid(1), "joint_punishment"] == "TJ-7"
    assert clause[uid(2), "credit_class"] == "BL-10"
    assert clause[uid(0), "last_inspected"] == "BL-8"
    for c in changes:
        assert (c.plan_id, c.draw, c.inspected_on) == ("2026Q1", 3, dt.date(2026, 3, 2))
        assert "plan 2026Q1, draw 3" in c.reason.text
        assert c.reason.plugin == "drawcore"
    credit = next(c for c in changes if c.unit_id == uid(1) and c.field == "credit_class")
    assert (credit.before, credit.after) == ("B", "C")
    last = next(c for c in changes if c.unit_id == uid(0) and c.field == "last_inspected")
    assert (last.before, last.after) == ("2025-05-01", "2026-03-02")
    text = format_changes(changes, new)
    assert f"{uid(1)} blacklisted: false -> true; TJ-7 [drawcore]: major hazard concealed" in text


def test_tj7_blacklisted_person_is_exposed_with_a_masked_id_number() -> None:
    person = make_id_card("441322", dt.date(1980, 5, 17), 31)
    units = UnitRegistry.from_records(
        [unit(0), unit(0, unit_id=person, id_kind=IdKind.ID_CARD, name="张三")]
    )
    _, changes = apply_results(
        units, [result(person, outcome="penalised", findings=(Finding.MAJOR_HAZARD_UNREMEDIED,))]
    )
    text = format_changes(changes, units)
    assert "blacklisted: false -> true; TJ-7" in text
    assert person not in text
    assert not find_personal_data(text)
    assert person in format_changes(changes, units, mask=lambda f, v, u: v)


def test_bl8_last_inspected_is_the_latest_date_and_never_moves_back() -> None:
    units = UnitRegistry.from_records(
        [unit(0, last_inspected=dt.date(2026, 6, 1)), unit(1), unit(2)]
    )
    new, changes = apply_results(
        units,
        [
            result(uid(0), dt.date(2026, 3, 2)),
            result(uid(1), dt.date(2026, 4, 9), draw=3),
            result(uid(1), dt.date(2026, 2, 1), draw=5, plan_id="2026Q1-b"),
        ],
    )
    assert new[uid(0)].last_inspected == dt.date(2026, 6, 1)
    assert new[uid(1)].last_inspected == dt.date(2026, 4, 9)
    assert new[uid(2)].last_inspected is None
    assert [(c.unit_id, c.before, c.after) for c in changes] == [
        (uid(1), "", "2026-02-01"),
        (uid(1), "2026-02-01", "2026-04-09"),
    ]


def test_bl10_penalties_lower_credit_one_step_each_down_to_d() -> None:
    units = UnitRegistry.from_records([unit(0, credit_class=CreditClass.A), unit(1)])
    results = [
        result(uid(0), dt.date(2026, 1, 5 + k), outcome="penalised", draw=k) for k in range(5)
    ]
    new, changes = apply_results(units, results)
    assert new[uid(0)].credit_class is CreditClass.D
    steps = [(c.before, c.after) for c in changes if c.field == "credit_class"]
    assert steps == [("A", "B"), ("B", "C"), ("C", "D")]


def test_bl6_hazard_found_sets_key_supervision_and_a_cleared_hazard_resets_it() -> None:
    units = registry(2)
    new, _ = apply_results(
        units,
        [
            result(uid(0), dt.date(2026, 2, 1), findings=(Finding.MAJOR_HAZARD,), draw=1),
            result(uid(0), dt.date(2026, 5, 1), findings=(Finding.MAJOR_HAZARD_CLEARED,), draw=2),
            result(uid(1), dt.date(2026, 5, 1), findings=(Finding.MAJOR_HAZARD_CLEARED,), draw=2),
        ],
    )
    assert not new[uid(0)].major_hazard
    assert not new[uid(1)].major_hazard
    again, changes = apply_results(
        new, [result(uid(1), dt.date(2026, 9, 1), findings=(Finding.MAJOR_HAZARD,), draw=9)]
    )
    assert again[uid(1)].major_hazard
    assert [c.field for c in changes] == ["last_inspected", "major_hazard"]


def test_bl10_a_result_for_an_unknown_unit_or_twice_changes_nothing() -> None:
    units = registry(3)
    stranger = uid(99)
    good = result(uid(0), findings=(Finding.MAJOR_HAZARD_CONCEALED,), outcome="penalised")
    with pytest.raises(InvalidInputError, match=stranger) as err:
        apply_results(units, [good, result(stranger, draw=4)])
    assert "nothing applied" in str(err.value)
    with pytest.raises(InvalidInputError, match="repeats result 1"):
        apply_results(units, [good, good])
    with pytest.raises(InvalidInputError, match="not an InspectionResult"):
        apply_results(units, [good, "result"])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="needs a UnitRegistry"):
        apply_results(list(units), [good])  # type: ignore[arg-type]
    assert not units[uid(0)].blacklisted


def test_bl10_policy_is_configurable_and_validated() -> None:
    units = registry(2)
    rs = [
        result(uid(0), findings=(Finding.MAJOR_HAZARD_CONCEALED,), outcome="penalised"),
        result(uid(1), outcome="rectification_ordered"),
    ]
    policy = FollowUpPolicy(
        record_inspection=False,
        key_supervision_on=(),
        joint_punishment_with_blacklist=False,
        credit_down_on=("penalised", "rectification_ordered"),
        credit_steps=2,
        credit_clause="TJ-7",
    )
    new, changes = apply_results(units, rs, policy=policy)
    u0, u1 = new[uid(0)], new[uid(1)]
    assert u0.blacklisted
    assert not u0.joint_punishment
    assert not u0.major_hazard
    assert u0.last_inspected is None
    assert u0.credit_class is CreditClass.D
    assert u1.credit_class is CreditClass.D
    assert {c.reason.clause for c in changes if c.field == "credit_class"} == {"TJ-7"}
    off = FollowUpPolicy(
        record_inspection=False, key_supervision_on=(), blacklist_on=(), credit_down_on=()
    )
    same, none = apply_results(units, rs, policy=off)
    assert same is units
    assert none == ()
    with pytest.raises(InvalidInputError, match="credit_clause"):
        FollowUpPolicy(credit_clause="credit")
    with pytest.raises(InvalidInputError, match="credit_steps"):
        FollowUpPolicy(credit_steps=4)
    with pytest.raises(InvalidInputError, match="both set and clear"):
        FollowUpPolicy(hazard_cleared_on=("major_hazard",))
    with pytest.raises(InvalidInputError, match="not a valid Finding"):
        FollowUpPolicy(blacklist_on=("arson",))


_FINDINGS = st.sampled_from(
    [
        (),
        (Finding.MAJOR_HAZARD,),
        (Finding.MAJOR_HAZARD_CONCEALED,),
        (Finding.MAJOR_HAZARD_UNREMEDIED,),
        (Finding.MAJOR_HAZARD, Finding.MAJOR_HAZARD_UNREMEDIED),
        (Finding.MAJOR_HAZARD_CLEARED,),
    ]
)


@st.composite
def follow_up_cases(draw: st.DrawFn) -> tuple[UnitRegistry, list[InspectionResult]]:
    n = draw(st.integers(1, 6))
    units = [
        unit(
            k,
            credit_class=draw(st.sampled_from(list(CreditClass))),
            major_hazard=draw(st.booleans()),
            blacklisted=draw(st.booleans()),
            joint_punishment=draw(st.booleans()),
            last_inspected=draw(st.none() | st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31))),
        )
        for k in range(n)
    ]
    results = []
    for d in range(draw(st.integers(0, 12))):
        findings = draw(_FINDINGS)
        present = bool(findings) and Finding.MAJOR_HAZARD_CLEARED not in findings
        outcomes = [Outcome.RECTIFICATION_ORDERED, Outcome.PENALISED]
        if not present:
            outcomes.append(Outcome.NO_PROBLEM)
        if not findings:
            outcomes.append(Outcome.NOT_FOUND_AT_ADDRESS)
        results.append(
            result(
                uid(draw(st.integers(0, n - 1))),
                draw(st.dates(dt.date(2025, 6, 1), dt.date(2026, 6, 30))),
                outcome=draw(st.sampled_from(outcomes)),
                findings=findings,
                draw=d,
            )
        )
    return UnitRegistry.from_records(units), results


def oracle(u: Unit, rs: list[InspectionResult]) -> Unit:
    """The default policy, one unit at a time, on records (written apart from the module)."""
    rs = sorted(rs, key=lambda r: (r.inspected_on, r.entered_at, r.plan_id, r.draw))
    hazard = u.major_hazard
    for r in rs:
        if set(r.findings) & {"major_hazard", "major_hazard_concealed", "major_hazard_unremedied"}:
            hazard = True
        elif "major_hazard_cleared" in r.findings:
            hazard = False
    dishonest = any(
        set(r.findings) & {"major_hazard_concealed", "major_hazard_unremedied"} for r in rs
    )
    grades = "ABCD"
    penalties = sum(r.outcome == "penalised" for r in rs)
    dates = [r.inspected_on for r in rs] + ([u.last_inspected] if u.last_inspected else [])
    return attrs.evolve(
        u,
        major_hazard=hazard,
        blacklisted=u.blacklisted or dishonest,
        joint_punishment=u.joint_punishment or dishonest,
        credit_class=CreditClass(grades[min(grades.index(u.credit_class.value) + penalties, 3)]),
        last_inspected=max(dates) if dates else None,
    )


@given(case=follow_up_cases(), data=st.data())
def test_bl10_tj7_follow_up_matches_the_policy_for_any_results_in_any_order(
    case: tuple[UnitRegistry, list[InspectionResult]], data: st.DataObject
) -> None:
    units, rs = case
    new, changes = apply_results(units, rs)
    for u in units:
        assert new[u.unit_id] == oracle(u, [r for r in rs if r.unit_id == u.unit_id])
    shuffled = data.draw(st.permutations(rs))
    new2, changes2 = apply_results(units, shuffled)
    assert new2.fingerprint == new.fingerprint
    assert changes2 == changes
    # the changes, applied in order to the old records, give the new registry
    fields = ("last_inspected", "major_hazard", "blacklisted", "joint_punishment", "credit_class")
    state = {u.unit_id: {f: as_text(getattr(u, f)) for f in fields} for u in units}
    for c in changes:
        assert state[c.unit_id][c.field] == c.before != c.after
        state[c.unit_id][c.field] = c.after
    for u in new:
        assert state[u.unit_id] == {f: as_text(getattr(u, f)) for f in fields}


def as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# -- next year's plan sees the follow-up ----------------------------------------------------


def staff(n: int = 8) -> list[Inspector]:
    return [
        Inspector(inspector_id=f"I{k:03d}", name=f"检查员{k}", work_unit="执法大队")
        for k in range(n)
    ]


def test_tj7_unit_blacklisted_for_a_concealed_hazard_is_mandatory_next_year() -> None:
    units = registry(30, credit_class=CreditClass.B, risk_level=RiskLevel.LOW)
    tj = rules("tianjin")
    before = plan_year(units, staff(), year=2027, rules=tj, seed="2027", random_ratio=0.1)
    assert uid(7) not in {m.unit_id for m in before.mandatory}
    new, changes = apply_results(
        units,
        [result(uid(7), outcome="penalised", findings=(Finding.MAJOR_HAZARD_CONCEALED,))],
    )
    assert any(c.field == "blacklisted" and c.reason.clause == "TJ-7" for c in changes)
    after = plan_year(new, staff(), year=2027, rules=tj, seed="2027", random_ratio=0.1)
    mandatory = {m.unit_id: m.reasons for m in after.mandatory}
    assert uid(7) in mandatory
    assert any(r.clause == "TJ-7" and "blacklist" in r.text for r in mandatory[uid(7)])
    assert any(r.clause == "TJ-5" and "joint punishment" in r.text for r in mandatory[uid(7)])
    assert after.times_inspected()[uid(7)] >= 1
    tasks = [t for t in after.tasks if t.unit_id == uid(7)]
    assert tasks
    assert all(t.kind == "planned" for t in tasks)


def test_bl10_unit_found_with_a_major_hazard_gets_key_supervision_next_year() -> None:
    units = registry(30, risk_level=RiskLevel.LOW)
    bl = rules("boluo")
    before = plan_year(units, staff(), year=2027, rules=bl, seed="2027", random_ratio=0.3)
    assert uid(4) not in {k.unit_id for k in before.key_supervision}
    new, _ = apply_results(
        units, [result(uid(4), outcome="rectification_ordered", findings=(Finding.MAJOR_HAZARD,))]
    )
    after = plan_year(new, staff(), year=2027, rules=bl, seed="2027", random_ratio=0.3)
    key = {k.unit_id: k for k in after.key_supervision}
    assert uid(4) in key
    assert key[uid(4)].times >= 2
    assert any(r.clause == "BL-6" for r in key[uid(4)].reasons)
    assert after.times_inspected()[uid(4)] == key[uid(4)].times
    assert len({t.round for t in after.tasks if t.unit_id == uid(4)}) == key[uid(4)].times


# -- completion (TJ-10) ----------------------------------------------------------------------


@cache
def year_plan() -> AnnualPlan:
    """12 units, 4 rounds of 3 tasks: each unit has exactly one task in the year."""
    units = registry(12)
    plan = plan_year(
        units, staff(6), year=2027, rules=rules(None), seed="tj10", rounds=4, capacity=3
    )
    assert [len(rd.tasks) for rd in plan.rounds] == [3, 3, 3, 3]
    return plan


def done_by(plan: AnnualPlan, unit_id: str, on: dt.date) -> InspectionResult:
    task = next(t for t in plan.tasks if t.unit_id == unit_id)
    return result(unit_id, on, plan_id=plan.draw_id, draw=2, inspected_by=task.inspectors)


def test_tj10_overdue_late_done_and_open_tasks_are_told_apart() -> None:
    plan = year_plan()
    r1, r2 = plan.rounds[0], plan.rounds[1]
    a, b, c = (t.unit_id for t in r1.tasks)
    d = r2.tasks[0].unit_id
    results = [
        done_by(plan, a, dt.date(2027, 2, 10)),  # on time
        done_by(plan, b, dt.date(2027, 4, 20)),  # after round 1 ended
        done_by(plan, d, dt.date(2027, 5, 2)),  # round 2, on time
        result(uid(1), plan_id="another-plan"),  # other plans' results are ignored
    ]
    report = completion_report(plan, results, as_of=dt.date(2027, 5, 15))
    status = {t.unit_id: t.status for t in report.tasks}
    assert status[a] is TaskStatus.DONE
    assert status[b] is TaskStatus.DONE_LATE
    assert status[c] is TaskStatus.OVERDUE
    assert status[d] is TaskStatus.DONE
    assert all(status[t.unit_id] is TaskStatus.OPEN for t in r2.tasks[1:])
    assert all(status[t.unit_id] is TaskStatus.OPEN for rd in plan.rounds[2:] for t in rd.tasks)
    first = report.rounds[0]
    assert (first.due, first.publication_due) == (r1.end, r1.publication_due)
    assert first.publication_reason is not None
    assert first.publication_reason.clause == "NAT-4"
    assert first.publication_overdue  # due 20 days after the round, a result still missing
    assert not report.rounds[1].publication_overdue  # not due yet
    # a result inspected after as_of does not count yet
    early = completion_report(plan, results, as_of=dt.date(2027, 4, 10))
    assert {t.unit_id: t.status for t in early.tasks}[b] is TaskStatus.OVERDUE


def test_tj10_completion_ratio_counts_done_tasks() -> None:
    plan = year_plan()
    ids = [t.unit_id for t in plan.tasks]
    results = [done_by(plan, u, dt.date(2027, 12, 1)) for u in ids[:9]]
    report = completion_report(plan, results, as_of=dt.date(2028, 1, 31))
    assert report.done == 9
    assert report.ratio == pytest.approx(9 / 12)
    assert [rd.ratio for rd in report.rounds] == [1.0, 1.0, 1.0, 0.0]
    assert report.overdue == 3
    assert report.due_ratio == pytest.approx(9 / 12)
    assert report.rounds[0].count(TaskStatus.DONE_LATE) == 3
    assert report.rounds[3].count(TaskStatus.DONE) == 0
    early = [done_by(plan, ids[0], dt.date(2027, 2, 1)), done_by(plan, ids[3], dt.date(2027, 5, 1))]
    mid = completion_report(plan, early, as_of=dt.date(2027, 7, 2))
    assert mid.due_ratio == pytest.approx(2 / 6)
    assert mid.ratio == pytest.approx(2 / 12)
    nothing_due = completion_report(plan, (), as_of=dt.date(2027, 1, 2))
    assert nothing_due.due_ratio == 1.0
    assert nothing_due.ratio == 0.0


def test_tj10_responsibility_names_the_team_a_named_person_or_the_signer() -> None:
    plan = year_plan()
    first = plan.rounds[0].tasks
    office = first[0].unit_id
    report = completion_report(
        plan,
        [done_by(plan, first[1].unit_id, dt.date(2027, 2, 1))],
        as_of=dt.date(2027, 4, 30),
        responsible={office: "赵科长"},
        signed_by="王建国",
    )
    who = {t.unit_id: t.responsible for t in report.tasks}
    assert who[office] == ("赵科长",)
    assert who[first[1].unit_id] == first[1].inspectors
    assert len(first[1].inspectors) == 2
    people = {p.name: p for p in report.by_person()}
    assert people["赵科长"].overdue == 1
    assert people["赵科长"].tasks == 1
    for name in first[1].inspectors:
        assert people[name].done >= 1
    assert sum(p.tasks for p in report.by_person()) == sum(len(t.responsible) for t in report.tasks)
    assert report.problems == ()
    text = format_completion(report)
    assert "signed by 王建国" in text
    assert f"overdue {office}: 赵科长" in text
    assert "results published by 2027-04-20, NAT-4 -- OVERDUE" in text
    # a general inspection has no drawn team: the signer answers, or nobody (a problem)
    bare = attrs.evolve(
        plan,
        rounds=(attrs.evolve(plan.rounds[0], tasks=(attrs.evolve(first[2], inspectors=()),)),),
    )
    signer = completion_report(bare, (), as_of=dt.date(2027, 2, 1), signed_by="王建国")
    assert signer.tasks[0].responsible == ("王建国",)
    assert signer.problems == ()
    nobody = completion_report(bare, (), as_of=dt.date(2027, 2, 1))
    assert nobody.problems == (f"round 1: no named person answers for unit {first[2].unit_id}",)
    with pytest.raises(InvalidInputError, match="at least one person"):
        completion_report(plan, (), as_of=dt.date(2027, 2, 1), responsible={office: ""})
    with pytest.raises(InvalidInputError, match="no task"):
        completion_report(plan, (), as_of=dt.date(2027, 2, 1), responsible={uid(77): "x"})


def test_tj10_results_that_fit_no_task_are_refused() -> None:
    plan = year_plan()
    last = plan.rounds[3].tasks[0].unit_id
    with pytest.raises(InvalidInputError, match="matches no open task"):
        completion_report(
            plan, [done_by(plan, last, dt.date(2027, 2, 1))], as_of=dt.date(2027, 3, 1)
        )
    with pytest.raises(InvalidInputError, match="has no task"):
        completion_report(plan, [result(uid(55), plan_id=plan.draw_id)], as_of=dt.date(2027, 3, 1))
    twice = [done_by(plan, last, dt.date(2027, 11, 1)), done_by(plan, last, dt.date(2027, 11, 2))]
    twice[1] = attrs.evolve(twice[1], draw=9)
    with pytest.raises(InvalidInputError, match="already has a result"):
        completion_report(plan, twice, as_of=dt.date(2027, 12, 1))


def test_tj10_bl6_key_supervision_results_close_the_earliest_open_task_first() -> None:
    units = UnitRegistry.from_records([unit(0, major_hazard=True), *(unit(k) for k in range(1, 8))])
    plan = plan_year(
        units, staff(6), year=2027, rules=rules("boluo"), seed="key", rounds=4, random_ratio=0.2
    )
    hazard = uid(0)
    assert [t.round for t in plan.tasks if t.unit_id == hazard] == [1, 2, 3, 4]
    team = next(t for t in plan.tasks if t.unit_id == hazard).inspectors
    rs = [
        result(hazard, day, plan_id=plan.draw_id, draw=2, inspected_by=team)
        for day in (dt.date(2027, 5, 6), dt.date(2027, 6, 2), dt.date(2027, 11, 3))
    ]
    report = completion_report(plan, rs, as_of=dt.date(2027, 11, 30))
    mine = [t for t in report.tasks if t.unit_id == hazard]
    assert [(t.round, t.status, t.inspected_on) for t in mine] == [
        (1, TaskStatus.DONE_LATE, dt.date(2027, 5, 6)),  # round 1 was overdue: closed first
        (2, TaskStatus.DONE, dt.date(2027, 6, 2)),
        (3, TaskStatus.DONE_LATE, dt.date(2027, 11, 3)),
        (4, TaskStatus.OPEN, None),
    ]
    with pytest.raises(InvalidInputError, match="twice"):
        completion_report(plan, [rs[0], rs[0]], as_of=dt.date(2027, 11, 30))
    # the same results, fed back: each applied in turn under the one plan and draw
    cleared = attrs.evolve(rs[2], findings=(Finding.MAJOR_HAZARD_CLEARED,))
    new, changes = apply_results(units, [cleared, rs[1], rs[0]])
    assert [c.after for c in changes if c.field == "last_inspected"] == [
        "2027-05-06",
        "2027-06-02",
        "2027-11-03",
    ]
    assert not new[hazard].major_hazard
    assert [c.reason.clause for c in changes if c.field == "major_hazard"] == ["BL-6"]


@given(
    done=st.lists(st.none() | st.integers(0, 200), min_size=12, max_size=12),
    as_of=st.dates(dt.date(2027, 1, 1), dt.date(2028, 3, 1)),
)
def test_tj10_status_of_every_task_follows_its_dates(
    done: list[int | None], as_of: dt.date
) -> None:
    plan = year_plan()
    tasks = {t.unit_id: (rd, t) for rd in plan.rounds for t in rd.tasks}
    results = []
    inspected: dict[str, dt.date] = {}
    for (unit_id, (rd, _)), days in zip(sorted(tasks.items()), done, strict=True):
        if days is not None:
            inspected[unit_id] = rd.start + dt.timedelta(days=days)
            results.append(done_by(plan, unit_id, inspected[unit_id]))
    report = completion_report(plan, results, as_of=as_of)
    for t in report.tasks:
        rd, _ = tasks[t.unit_id]
        on = inspected.get(t.unit_id)
        if on is not None and on <= as_of:
            expected = TaskStatus.DONE if on <= rd.end else TaskStatus.DONE_LATE
        else:
            expected = TaskStatus.OVERDUE if as_of > rd.end else TaskStatus.OPEN
        assert t.status is expected
    counted = [u for u, on in inspected.items() if on <= as_of]
    assert report.done == len(counted)
    assert report.ratio == pytest.approx(len(counted) / 12)
    due = [u for u, (rd, _) in tasks.items() if rd.end < as_of]
    due_done = [u for u in due if u in counted]
    assert report.due_ratio == pytest.approx(len(due_done) / len(due) if due else 1.0)


# -- BL-1, end to end ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def county_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every person of the example county and 150 companies (so masking is exercised)."""
    d = write_persons_county(tmp_path_factory.mktemp("bl1"), 150)
    return d


def test_bl1_double_random_and_publication(tmp_path: Path, county_dir: Path) -> None:
    shutil.copytree(county_dir, tmp_path / "registries")
    units = read_units(tmp_path / "registries" / "units.csv")
    inspectors = read_inspectors(tmp_path / "registries" / "inspectors.csv")
    items = read_items(tmp_path / "registries" / "items.csv")
    plan = DrawPlan(
        plan_id="2026Q1",
        units=RegistryRef(path="registries/units.csv", fingerprint=units.fingerprint),
        inspectors=RegistryRef(
            path="registries/inspectors.csv", fingerprint=inspectors.fingerprint
        ),
        items=RegistryRef(path="registries/items.csv", fingerprint=items.fingerprint),
        size=40,
    )
    journal = Journal(tmp_path / "journal.jsonl")
    drawn = ceremony.run_ceremony(
        journal,
        plan,
        committed_at="2026-01-05T09:00:00+08:00",
        committed_by="王建国",
        entropy_at="2026-01-06T21:30:00+08:00",
        rfc3797_sources=[[3, 11, 17, 22, 28, 31], [9], [742]],
        signing=SIGNING,
    )
    record = DrawRecord.from_body(drawn.record.body)
    seed = bytes.fromhex(record.seed)

    # random targets: exactly `size` registry units, the draw sample_units gives for the seed
    drawn_ids = [u.unit_id for u in record.units]
    assert len(drawn_ids) == 40 == len(set(drawn_ids))
    assert all(u in units for u in drawn_ids)
    again = sample_units(
        units.ids,
        units.weights,
        40,
        seed=seed,
        excluded=units.mask("in_higher_plan"),
        draw_id="2026Q1/units",
    )
    assert [str(u) for u in again.selected] == drawn_ids
    other = sample_units(
        units.ids, units.weights, 40, seed=b"another seed", excluded=units.mask("in_higher_plan")
    )
    assert list(other.selected) != drawn_ids  # the seed, not a list, decides
    # random inspectors: a team of at least two active registry inspectors per drawn unit,
    # the team draw draw_teams gives for the same seed
    teams = record.teams.teams()
    assert sorted(teams) == sorted(drawn_ids)
    active = {i.inspector_id for i in inspectors if i.active}
    assert all(len(m) >= 2 and set(m) <= active for m in teams.values())
    redrawn = draw_teams(drawn_ids, inspectors, seed=seed, draw_id="2026Q1/teams", team_size=2)
    assert redrawn.teams() == teams
    assert len({m for members in teams.values() for m in members}) > 2  # not a fixed team

    # results published: one row per result, persons masked, no personal data anywhere
    persons = [u for u in drawn_ids if units[u].id_kind is IdKind.ID_CARD]
    companies = [u for u in drawn_ids if units[u].id_kind is IdKind.USCC]
    assert len(persons) >= 2, "the draw must include persons"
    assert companies, "the draw must include companies"
    entered = [*persons[:2], companies[0]]
    for k, unit_id in enumerate(entered):
        u = units[unit_id]
        ceremony.record_result(
            journal,
            attrs.evolve(
                result(
                    unit_id,
                    dt.date(2026, 2, 3 + k),
                    plan_id="2026Q1",
                    draw=drawn.record.seq,
                    inspected_by=teams[unit_id],
                    outcome="penalised",
                    findings=(Finding.MAJOR_HAZARD,),
                ),
                handling_opinion=f"约谈{u.person_in_charge}（{u.contact}）",
            ),
        )
    files = publish(journal.path, tmp_path / "public", quarter="2026Q1")
    doc = json.loads((tmp_path / "public" / "results.json").read_text(encoding="utf-8"))
    rows = doc["rows"]
    assert len(rows) == len(entered)
    shown = {row["unit_id"] for row in rows}
    assert companies[0] in shown  # enterprises are published as they are
    for p in persons[:2]:
        assert p not in shown  # a person's ID-card number is masked ...
        assert any(s[:6] == p[:6] and s[-1] == p[-1] and "*" in s for s in shown)  # ... in part
    assert all(row["outcome"] == "penalised" and row["inspected_by"] for row in rows)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not find_personal_data(text), path.name
        for p in persons:
            assert p not in text
            assert units[p].contact
            assert units[p].contact not in text

    # and the results feed back into the registry (BL-10)
    new, changes = apply_results(units, _results(journal))
    assert all(new[u].major_hazard and new[u].last_inspected for u in entered)
    assert {c.unit_id for c in changes} == set(entered)
    report = completion_report(
        record, _results(journal), as_of=dt.date(2026, 3, 31), due=dt.date(2026, 3, 31)
    )
    assert report.done == 3
    assert report.signed_by == "王建国"
    assert report.ratio == pytest.approx(3 / 40)
    assert report.overdue == 0
    with pytest.raises(InvalidInputError, match="give due"):
        completion_report(record, (), as_of=dt.date(2026, 3, 31))


def _results(journal: Journal) -> list[InspectionResult]:
    return [
        serde.structure(r.body, InspectionResult) for r in journal.records() if r.type == "result"
    ]


def test_registry_change_is_a_plain_value() -> None:
    units = registry(1)
    _, (change,) = apply_results(units, [result(uid(0))], policy=FollowUpPolicy(credit_down_on=()))
    assert isinstance(change, RegistryChange)
    assert serde.structure(serde.unstructure(change), RegistryChange) == change
