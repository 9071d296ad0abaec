"""Rules: how several plugins' answers fold, and which plugins a jurisdiction asks."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from unit_factory import unit

from drawcore.errors import PluginError
from drawcore.i18n import render
from drawcore.model import IdKind, InspectionMode, Inspector, ProductionStatus, RiskLevel, Unit
from drawcore.plugin import (
    Frequency,
    PlanContext,
    RandomShareMinimum,
    Reason,
    RecentInspectionWindow,
    Recusals,
    TeamRequirement,
    WeightFactor,
    hookimpl,
)
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules

CONTEXT = PlanContext(year=2019, rounds=4, start=dt.date(2019, 1, 1))


def why(clause: str, text: str = "because") -> Reason:
    return Reason(clause=clause, text=text)


def rules_with(jurisdiction: str | None = None, **plugins: object) -> Rules:
    pm = make_plugin_manager(entrypoints=False, plugins=plugins)
    return Rules(pm, jurisdiction=jurisdiction)


def weight_plugin(factor: float, clause: str) -> object:
    @hookimpl
    def drawcore_unit_weight(unit: Unit) -> WeightFactor:
        return WeightFactor(factor=factor, reason=why(clause))

    return types.SimpleNamespace(drawcore_unit_weight=drawcore_unit_weight)


@given(
    base=st.floats(0.0, 100.0, allow_subnormal=False),
    factors=st.lists(st.just(0.0) | st.floats(1e-3, 10.0), min_size=0, max_size=4),
)
def test_weight_is_base_times_product_of_factors(base: float, factors: list[float]) -> None:
    plugins = {f"p{i}": weight_plugin(f, f"XA-{i + 1}") for i, f in enumerate(factors)}
    ur = rules_with(**plugins).evaluate([unit(risk_weight=base)], CONTEXT)
    assert ur.weights[0] == pytest.approx(base * float(np.prod(factors)), rel=1e-12, abs=0)
    assert [r.plugin for r in ur.weight_reasons.get("U1", ())] == sorted(plugins, reverse=True)


def test_mandatory_and_exclusions_are_unions_and_exclusion_wins() -> None:
    @hookimpl
    def drawcore_unit_mandatory(unit: Unit) -> Sequence[Reason]:
        return [why("XA-1", "one"), why("XA-2", "two")]

    @hookimpl
    def drawcore_unit_exclusions(unit: Unit) -> Sequence[Reason]:
        return [why("XA-3")] if unit.unit_id == "U2" else []

    a = types.SimpleNamespace(
        drawcore_unit_mandatory=drawcore_unit_mandatory,
        drawcore_unit_exclusions=drawcore_unit_exclusions,
    )
    ur = rules_with(a=a).evaluate([unit("U1"), unit("U2")], CONTEXT)
    assert [r.clause for r in ur.mandatory_reasons["U1"]] == ["XA-1", "XA-2"]
    assert ur.mandatory.tolist() == [True, True]
    assert ur.excluded.tolist() == [False, True]
    assert ur.times.tolist() == [1, 0]
    assert [r.clause for r in ur.exclusion_reasons["U2"]] == ["XA-3"]
    assert "U2" in ur.mandatory_reasons


def test_frequency_is_the_maximum_with_the_winning_reasons() -> None:
    def freq(times: int, clause: str) -> object:
        @hookimpl
        def drawcore_unit_frequency(unit: Unit) -> Frequency:
            return Frequency(times=times, reason=why(clause))

        return types.SimpleNamespace(drawcore_unit_frequency=drawcore_unit_frequency)

    ur = rules_with(a=freq(2, "XA-1"), b=freq(3, "XB-1"), c=freq(3, "XC-1")).evaluate(
        [unit()], CONTEXT
    )
    assert ur.times.tolist() == [3]
    assert [(r.clause, r.plugin) for r in ur.frequency_reasons["U1"]] == [
        ("XB-1", "b"),
        ("XC-1", "c"),
    ]


def test_team_requirements_merge_by_max_size_and_union_of_expertise() -> None:
    def team(size: int, expertise: tuple[str, ...], experts: int) -> object:
        @hookimpl
        def drawcore_team_requirements(unit: Unit) -> TeamRequirement:
            return TeamRequirement(
                size=size, expertise=expertise, experts=experts, reason=why("XA-1")
            )

        return types.SimpleNamespace(drawcore_team_requirements=drawcore_team_requirements)

    rules = rules_with(a=team(3, ("化工",), 0), b=team(1, ("机械", "化工"), 2))
    merged = rules.team_requirement(unit(), CONTEXT)
    assert (merged.size, merged.expertise, merged.experts) == (3, ("化工", "机械"), 2)
    ur = rules.evaluate([unit()], CONTEXT)
    assert {r.plugin for r in ur.team_reasons["U1"]} == {"a", "b", "drawcore"}


def test_national_defaults_apply_when_no_jurisdiction_answers() -> None:
    rules = rules_with()
    ur = rules.evaluate([unit(production_status=ProductionStatus.CLOSED)], CONTEXT)
    assert ur.team_size.tolist() == [2]
    assert ur.recent_inspection_days.tolist() == [180]
    assert ur.excluded.tolist() == [True]
    assert ur.exclusion_reasons["U1"][0].clause == "NAT-3"
    assert rules.inspection_mode(unit(), CONTEXT, planned=True).mode is InspectionMode.KEY
    assert rules.inspection_mode(unit(), CONTEXT, planned=False).mode is (
        InspectionMode.DOUBLE_RANDOM
    )
    due = rules.publication_deadline(dt.date(2019, 3, 31), CONTEXT)
    assert due.due == dt.date(2019, 4, 20)


def test_firstresult_hook_of_a_jurisdiction_overrides_the_national_default() -> None:
    @hookimpl
    def drawcore_recent_inspection_window(unit: Unit) -> RecentInspectionWindow:
        return RecentInspectionWindow(days=30, reason=why("XA-9"))

    x = types.SimpleNamespace(drawcore_recent_inspection_window=drawcore_recent_inspection_window)
    ur = rules_with(x=x).evaluate([unit()], CONTEXT)
    assert ur.recent_inspection_days.tolist() == [30]
    assert ur.recent_inspection_reasons["U1"].plugin == "x"


def test_only_the_chosen_jurisdiction_and_neutral_plugins_are_asked() -> None:
    def jurisdiction_plugin(name: str, clause: str) -> object:
        @hookimpl
        def drawcore_jurisdiction() -> str:
            return name

        @hookimpl
        def drawcore_unit_mandatory(unit: Unit) -> Sequence[Reason]:
            return [why(clause)]

        return types.SimpleNamespace(
            drawcore_jurisdiction=drawcore_jurisdiction,
            drawcore_unit_mandatory=drawcore_unit_mandatory,
        )

    @hookimpl
    def drawcore_unit_mandatory(unit: Unit) -> Sequence[Reason]:
        return [why("NB-1")]

    neutral = types.SimpleNamespace(drawcore_unit_mandatory=drawcore_unit_mandatory)
    pm = make_plugin_manager(
        entrypoints=False,
        plugins={
            "ja": jurisdiction_plugin("a", "JA-1"),
            "jb": jurisdiction_plugin("b", "JB-1"),
            "neutral": neutral,
        },
    )
    for chosen, expected in (("a", {"JA-1", "NB-1"}), ("B", {"JB-1", "NB-1"}), (None, {"NB-1"})):
        rules = Rules(pm, jurisdiction=chosen)
        ur = rules.evaluate([unit()], CONTEXT)
        assert {r.clause for r in ur.mandatory_reasons["U1"]} == expected
    assert Rules(pm, jurisdiction="a").plugins == ("drawcore-national", "ja", "neutral")


def test_min_random_share_is_the_maximum() -> None:
    def share(value: float) -> object:
        @hookimpl
        def drawcore_min_random_share() -> RandomShareMinimum:
            return RandomShareMinimum(share=value, reason=why("XA-1"))

        return types.SimpleNamespace(drawcore_min_random_share=drawcore_min_random_share)

    best = rules_with(a=share(0.2), b=share(0.3)).min_random_share(CONTEXT)
    assert best is not None
    assert (best.share, best.reason.plugin) == (0.3, "b")
    assert rules_with().min_random_share(CONTEXT) is None


def test_conflicts_are_a_union_without_duplicates() -> None:
    def conflicts(clause: str) -> object:
        @hookimpl
        def drawcore_inspector_conflicts(
            units: Sequence[Unit], inspectors: Sequence[Inspector]
        ) -> Sequence[Recusals]:
            return [
                Recusals(inspector_ids=[i.inspector_id], unit_ids=[u.unit_id], reason=why(clause))
                for u in units
                for i in inspectors
                if i.township == u.township
            ] * 2

        return types.SimpleNamespace(drawcore_inspector_conflicts=drawcore_inspector_conflicts)

    inspectors = [
        Inspector(inspector_id="I1", name="甲", work_unit="大队", township="石湾镇"),
        Inspector(inspector_id="I2", name="乙", work_unit="大队", township="园洲镇"),
    ]
    found = rules_with(a=conflicts("XA-1"), b=conflicts("XB-1")).conflicts(
        [unit()], inspectors, CONTEXT
    )
    assert [(c.inspector_id, c.unit_id, c.reason.split(":")[0]) for c in found] == [
        ("I1", "U1", "XA-1 [a]"),
        ("I1", "U1", "XB-1 [b]"),
    ]


def test_bl8_tj6_masking_hides_personal_data_and_keeps_enterprise_data() -> None:
    rules = rules_with()
    person = unit("441322199001011234", id_kind=IdKind.ID_CARD, address="某村1号")
    assert rules.mask("unit_id", person.unit_id, person) == "441322********1234"
    assert rules.mask("address", person.address, person) == "****"
    assert rules.mask("contact", "13800138000", person) == "138****8000"
    firm = unit("91441322MA4W0XXXXX")
    assert rules.mask("unit_id", firm.unit_id, firm) == firm.unit_id
    assert rules.mask("name", firm.name, firm) == firm.name


def test_reasons_need_a_clause_id_and_a_text() -> None:
    with pytest.raises(ValueError, match="clause"):
        Reason(clause="section 5", text="x")
    with pytest.raises(ValueError, match="text"):
        Reason(clause="BL-5", text=" ")
    assert str(Reason(clause="BL-5", text="x", plugin="boluo")) == "BL-5 [boluo]: x"


def test_hook_values_validate_themselves() -> None:
    r = why("XA-1")
    with pytest.raises(ValueError, match="weight factor"):
        WeightFactor(factor=float("nan"), reason=r)
    with pytest.raises(ValueError, match="frequency"):
        Frequency(times=-1, reason=r)
    with pytest.raises(ValueError, match="share"):
        RandomShareMinimum(share=1.5, reason=r)
    with pytest.raises(ValueError, match="at least one member"):
        TeamRequirement(size=0, reason=r)
    with pytest.raises(ValueError, match="recent-inspection window"):
        RecentInspectionWindow(days=-3, reason=r)


def test_risk_levels_come_through_unchanged() -> None:
    ur = rules_with().evaluate([unit(risk_level=RiskLevel.MAJOR, risk_weight=2.5)], CONTEXT)
    assert ur.weights.tolist() == [2.5]
    assert ur.mandatory.tolist() == [False]


def test_an_answer_that_is_not_a_sequence_is_refused_naming_the_hook_and_kind() -> None:
    """Text is not a sequence of roles: refused with the hook and the kind it must give,
    in English as raised and in Chinese at the edge."""

    @hookimpl
    def drawcore_result_entry_roles(year: int) -> str:
        return "数据录入员"

    rules = rules_with(
        odd=types.SimpleNamespace(drawcore_result_entry_roles=drawcore_result_entry_roles)
    )
    with pytest.raises(PluginError) as caught:
        rules.entry_roles(2026)
    text = str(caught.value)
    assert text == "plugin 'odd': drawcore_result_entry_roles must return a sequence of EntryRole"
    assert (
        render(caught.value.args[0], "zh_CN")
        == "插件 'odd'：drawcore_result_entry_roles 须返回 EntryRole 序列"
    )


def _masker(mark: str, when: str) -> object:
    """A plugin masking a field's value when the unit's name contains ``when``."""

    @hookimpl
    def drawcore_mask_field(field: str, value: str, unit: Unit | None) -> str | None:
        if unit is not None and when in unit.name:
            return f"{mark}{value[:1]}"
        return None

    return types.SimpleNamespace(drawcore_mask_field=drawcore_mask_field)


@given(
    names=st.lists(st.text("ab个", max_size=3), max_size=6),
    field=st.sampled_from(["unit_id", "name", "address"]),
)
def test_nat6_masking_a_column_gives_what_masking_each_value_gives(
    names: list[str], field: str
) -> None:
    """The first answer decides per value, and a value nobody masks stays as it is."""
    rules = rules_with(first=_masker("*", "a"), second=_masker("#", "b"))
    units = [unit(f"U{n}", name=name or "x") for n, name in enumerate(names)]
    values = [f"{field}-{n}" for n in range(len(units))]
    one_by_one = [rules.mask(field, v, u) for v, u in zip(values, units, strict=True)]
    assert rules.mask_all(field, values, units) == one_by_one
    # the later-registered plugin answers first (pluggy's order)
    expected = [
        f"#{v[:1]}" if "b" in u.name else f"*{v[:1]}" if "a" in u.name else v
        for v, u in zip(values, units, strict=True)
    ]
    assert one_by_one == expected


@given(
    names=st.lists(st.text("ab个", max_size=3), max_size=6),
    field=st.sampled_from(["unit_id", "name", "address"]),
)
def test_nat6_one_masking_rule_masks_a_column_as_it_masks_each_value(
    names: list[str], field: str
) -> None:
    """With one masking rule in effect, a column is masked value by value as that rule says."""
    pm = make_plugin_manager(
        entrypoints=False, blocked=["drawcore-national"], plugins={"only": _masker("*", "a")}
    )
    rules = Rules(pm)
    units = [unit(f"U{n}", name=name or "x") for n, name in enumerate(names)]
    values = [f"{field}-{n}" for n in range(len(units))]
    expected = [f"*{v[:1]}" if "a" in u.name else v for v, u in zip(values, units, strict=True)]
    assert rules.mask_all(field, values, units) == expected
    assert [rules.mask(field, v, u) for v, u in zip(values, units, strict=True)] == expected


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            ValueError("bad cell"),
            "plugin 'only' raised in drawcore_mask_field: ValueError: bad cell",
        ),
        (42, "plugin 'only': drawcore_mask_field must return str or None, got 42"),
    ],
)
def test_nat6_a_masking_rule_that_fails_on_a_column_is_named(answer: object, message: str) -> None:
    @hookimpl
    def drawcore_mask_field(field: str, value: str, unit: Unit | None) -> object:
        if value != "last":
            return None
        if isinstance(answer, Exception):
            raise answer
        return answer

    pm = make_plugin_manager(
        entrypoints=False,
        blocked=["drawcore-national"],
        plugins={"only": types.SimpleNamespace(drawcore_mask_field=drawcore_mask_field)},
    )
    with pytest.raises(PluginError) as caught:
        Rules(pm).mask_all("name", ["first", "last"], [None, None])
    assert str(caught.value) == message
