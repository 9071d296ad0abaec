"""BL-8 谁抽查、谁录入: a result is entered by the task's team, or in a role the rules name.

The roles come from the hook ``drawcore_result_entry_roles``, are recorded in the plan
committed before the seed (``entry_roles``), and the journal's rules check every result
against the roles of its own plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest
from ceremony_site import COMMITTED, DRAWN, ENTROPY, NUMBERS, SIGNING
from unit_factory import unit

from drawcore.errors import JournalError, PluginError
from drawcore.model import Inspector
from drawcore.plugin import Reason, hookimpl
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import EntryRole
from drawcore.record import ceremony, commitments, year_ceremony
from drawcore.record.annual import replay_year, year_plan_spec
from drawcore.record.draw_plans import RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.results import InspectionResult, Outcome, entry_roles_difference
from drawcore.registry.ids import make_uscc
from drawcore.registry.registries import (
    County,
    ExpertRegistry,
    InspectorRegistry,
    ItemList,
    UnitRegistry,
)
from drawcore.serde import unstructure

CLERK = "数据录入员"


class Clerks:
    """A jurisdiction-neutral plugin letting the bureau's data clerk enter results."""

    @hookimpl
    def drawcore_result_entry_roles(self, year: int) -> Sequence[EntryRole]:
        text = f"{year} 年起由局数据录入员统一录入检查结果"
        return [EntryRole(role=CLERK, reason=Reason(clause="BL-8", text=text))]


class Archivists:
    @hookimpl
    def drawcore_result_entry_roles(self) -> Sequence[EntryRole]:
        return [EntryRole(role="档案员", reason=Reason(clause="BL-8", text="档案室补录"))]


class Wrong:
    @hookimpl
    def drawcore_result_entry_roles(self) -> Sequence[object]:
        return ["数据录入员"]


def rules_with(**plugins: object) -> Rules:
    return Rules(make_plugin_manager(entrypoints=False, plugins=plugins), jurisdiction=None)


def county() -> County:
    staff = [Inspector(inspector_id=f"I{k}", name="检", work_unit="队") for k in range(6)]
    units = [unit(make_uscc(f"91441322MA4UH{k:04d}"), blacklisted=k < 3) for k in range(8)]
    return County(
        units=UnitRegistry.from_records(units),
        inspectors=InspectorRegistry.from_records(staff),
        experts=ExpertRegistry.from_records([]),
        items=ItemList.from_records([]),
    )


def refs(c: County) -> dict[str, RegistryRef]:
    return {n: RegistryRef(path=f"{n}.csv", fingerprint=f) for n, f in c.fingerprints.items()}


def test_bl8_rules_fold_every_plugins_roles_stamped_and_sorted() -> None:
    roles = rules_with(clerks=Clerks(), archivists=Archivists()).entry_roles(2026)
    assert [(r.role, r.reason.plugin) for r in roles] == [
        ("数据录入员", "clerks"),
        ("档案员", "archivists"),
    ]
    assert "2026" in roles[0].reason.text
    assert rules_with().entry_roles(2026) == ()
    with pytest.raises(PluginError, match="EntryRole"):
        rules_with(wrong=Wrong()).entry_roles(2026)


def test_bl8_a_plan_without_roles_keeps_its_bytes() -> None:
    """The new fields are left out when unset, so earlier plans and results keep their hashes."""
    c = county()
    spec = year_plan_spec("2026-x", c, refs(c), rules=rules_with(), year=2026)
    assert "entry_roles" not in unstructure(spec)
    with_roles = year_plan_spec("2026-x", c, refs(c), rules=rules_with(clerks=Clerks()), year=2026)
    assert unstructure(with_roles)["entry_roles"][0]["role"] == CLERK
    assert with_roles.hash != spec.hash


def test_bl8_results_are_checked_against_the_roles_of_their_plan(tmp_path: Path) -> None:
    c = county()
    r = rules_with(clerks=Clerks())
    spec = year_plan_spec("2026-clerks", c, refs(c), rules=r, year=2026, random_ratio=0.0)
    assert [e.role for e in spec.entry_roles] == [CLERK]
    j = Journal(tmp_path / "journal.jsonl")
    commitments.commit_plan(j, spec, committed_at=COMMITTED, committed_by="王建国")
    commitments.form_seed(j, spec, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS)
    drawn = year_ceremony.draw_year(j, spec, rules=r, county=c, signing=SIGNING)
    tasks = list(drawn.plan.tasks)
    assert len(tasks) >= 3

    def result(task_index: int, entered_by: str, entered_as: str | None) -> InspectionResult:
        task = tasks[task_index]
        return InspectionResult(
            plan_id=spec.plan_id,
            draw=drawn.record.seq,
            unit_id=task.unit_id,
            basis=("《中华人民共和国安全生产法》",),
            scope="生产经营场所",
            content=("安全生产责任制",),
            method="现场检查",
            handling_opinion="未发现问题",
            outcome=Outcome.NO_PROBLEM,
            inspected_by=task.inspectors,
            inspected_on=dt.date(2026, 12, 3),
            entered_by=entered_by,
            entered_at="2026-12-03T17:00:00+08:00",
            entered_as=entered_as,
        )

    with pytest.raises(JournalError, match="谁录入"):
        ceremony.record_result(j, result(0, "张会计", None))
    with pytest.raises(JournalError, match=r"档案员.*roles in force: 数据录入员"):
        ceremony.record_result(j, result(0, "张会计", "档案员"))
    first = ceremony.record_result(j, result(0, "张会计", CLERK))
    assert first.body["entered_as"] == CLERK
    plain = ceremony.record_result(j, result(1, tasks[1].inspectors[0], None))
    assert "entered_as" not in plain.body
    reread = Journal(tmp_path / "journal.jsonl")
    assert len(reread.records()) == 5  # the rules hold again when the journal is read back
    body = j.records()[drawn.record.seq].body
    assert replay_year(body, c, r) is None


def test_bl8_a_role_in_another_plan_does_not_open_this_one(tmp_path: Path) -> None:
    """Roles are per plan: a plan made without the clerk's role refuses the clerk."""
    c = county()
    r = rules_with()
    spec = year_plan_spec("2026-team", c, refs(c), rules=r, year=2026, random_ratio=0.0)
    j = Journal(tmp_path / "journal.jsonl")
    commitments.commit_plan(j, spec, committed_at=COMMITTED, committed_by="王建国")
    commitments.form_seed(j, spec, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS)
    drawn = year_ceremony.draw_year(j, spec, rules=r, county=c, signing=SIGNING)
    task = drawn.plan.tasks[0]
    res = InspectionResult(
        plan_id=spec.plan_id,
        draw=drawn.record.seq,
        unit_id=task.unit_id,
        basis=("《中华人民共和国安全生产法》",),
        scope="生产经营场所",
        content=("安全生产责任制",),
        method="现场检查",
        handling_opinion="未发现问题",
        outcome=Outcome.NO_PROBLEM,
        inspected_by=task.inspectors,
        inspected_on=dt.date(2026, 12, 3),
        entered_by="张会计",
        entered_at="2026-12-03T17:00:00+08:00",
        entered_as=CLERK,
    )
    with pytest.raises(JournalError, match="roles in force: none"):
        ceremony.record_result(j, res)


def test_bl8_replay_names_a_change_of_roles() -> None:
    role = Clerks().drawcore_result_entry_roles(2026)[0]
    stamped = rules_with(clerks=Clerks()).entry_roles(2026)
    assert entry_roles_difference(stamped, rules_with(clerks=Clerks()), 2026) is None
    problem = entry_roles_difference(stamped, rules_with(), 2026)
    assert problem is not None
    assert "recorded 数据录入员, now none" in problem
    assert entry_roles_difference((), rules_with(clerks=Clerks()), 2026) is not None
    assert role.role == CLERK


def test_bl8_a_role_name_is_checked() -> None:
    from drawcore.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="result-entry role"):
        EntryRole(role=" ", reason=Reason(clause="BL-8", text="x"))


def test_bl8_a_single_draw_records_the_roles_and_replay_rechecks_them() -> None:
    from drawcore.plugin.values import PlanContext
    from drawcore.record.draw_plans import DrawPlan
    from drawcore.record.draw_rules import check_rules, plan_from_rules
    from drawcore.serde import canonical_json

    c = county()
    r = refs(c)
    context = PlanContext(year=2026, rounds=1, start=dt.date(2026, 1, 1))
    clerks = rules_with(clerks=Clerks())

    def plan(rules: Rules) -> DrawPlan:
        return plan_from_rules(
            "2026Q1", c.units, r["units"], r["inspectors"], rules=rules, context=context, size=3
        )

    with_roles, without = plan(clerks), plan(rules_with())
    assert [e.role for e in with_roles.entry_roles] == [CLERK]
    assert b"entry_roles" not in canonical_json(without)
    assert check_rules(with_roles, c.units, c.inspectors, clerks) is None
    changed = rules_with(clerks=Archivists())  # same plugin and version, another role
    problem = check_rules(with_roles, c.units, c.inspectors, changed)
    assert problem is not None
    assert "decide differently" in problem
    assert "entry_roles" in problem
