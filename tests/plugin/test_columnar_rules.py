"""Rules over columns: the columnar answers equal a per-unit reading of the clauses.

The reference below is written from the policy clauses (BL-3, BL-5, BL-6, TJ-3, TJ-5,
TJ-7, TJ-8, NAT-2, NAT-3, NAT-7), one unit at a time, not from the plugins' code; for
random registries the columnar path of ``Rules`` must decide exactly as it does.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawcore.errors import InvalidInputError, PluginError
from drawcore.model import CreditClass, InspectionMode, ProductionStatus, RiskLevel, Unit
from drawcore.plan.once_a_year import once_a_year_reasons, with_once_a_year
from drawcore.plugin import (
    GroupFactor,
    GroupMode,
    GroupReason,
    GroupWindow,
    InspectionModeChoice,
    PlanContext,
    Reason,
    RecentInspectionWindow,
    UnitColumns,
    hookimpl,
)
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules

YEAR = 2019
INDUSTRIES = ("危险化学品", "非煤矿山", "机械", "商贸")


@st.composite
def registries(draw: st.DrawFn) -> list[Unit]:
    n = draw(st.integers(min_value=0, max_value=40))
    units = []
    for k in range(n):
        units.append(
            Unit(
                unit_id=f"U{k:04d}",
                name=f"单位{k}",
                subject_type="有限责任公司",
                industry=draw(st.sampled_from(INDUSTRIES)),
                township=draw(st.sampled_from(("石湾镇", "园洲镇"))),
                risk_level=draw(st.sampled_from(list(RiskLevel))),
                risk_weight=draw(st.sampled_from((0.0, 0.5, 1.0, 2.5, 7.0))),
                credit_class=draw(st.sampled_from(list(CreditClass))),
                blacklisted=draw(st.booleans()),
                joint_punishment=draw(st.booleans()),
                major_hazard=draw(st.booleans()),
                fatal_accident_year=draw(st.none() | st.integers(YEAR - 5, YEAR + 1)),
                licence_holder=draw(st.booleans()),
                under_investigation=draw(st.booleans()),
                production_status=draw(st.sampled_from(list(ProductionStatus))),
                in_higher_plan=draw(st.booleans()),
                last_inspected=draw(st.none() | st.dates(dt.date(2017, 1, 1), dt.date(2019, 1, 1))),
            )
        )
    return draw(st.permutations(units))


contexts = st.builds(
    PlanContext,
    year=st.just(YEAR),
    rounds=st.integers(1, 12),
    start=st.just(dt.date(YEAR, 1, 1)),
    experts=st.integers(0, 3),
    expert_expertise=st.lists(st.sampled_from(INDUSTRIES), max_size=3),
)


# -- the clauses, one unit at a time ---------------------------------------------------


def nat7(u: Unit, year: int) -> bool:
    """NAT-7: high risk, blacklisted, joint punishment, a fatal accident in the plan's
    year or the two before."""
    recent = u.fatal_accident_year is not None and year - 2 <= u.fatal_accident_year <= year
    return (
        u.risk_level in (RiskLevel.HIGH, RiskLevel.MAJOR)
        or u.blacklisted
        or (u.joint_punishment or recent)
    )


def boluo(u: Unit, c: PlanContext) -> dict[str, object]:
    factor = {"low": 1.0, "moderate": 1.5, "high": 2.0, "major": 3.0}[u.risk_level.value]  # BL-5
    if u.major_hazard:  # BL-6 key supervision, up to quarterly
        times = min(4, c.rounds)
    elif u.production_status is ProductionStatus.RESUMED:  # BL-6 follow-up
        times = min(2, c.rounds)
    else:
        times = 0
    return {
        "weight": u.risk_weight * factor,
        "mandatory": False,
        "excluded": u.in_higher_plan or u.production_status is ProductionStatus.CLOSED,
        "frequency": times,
        "window": 180,  # NAT-2
        "experts": 0,
        "expert_expertise": (),
    }


def tianjin(u: Unit, c: PlanContext) -> dict[str, object]:
    good = u.credit_class is CreditClass.A and not (u.blacklisted or u.joint_punishment)
    factor = 0.5 if good else 1.5 if u.licence_holder else 1.0  # TJ-5 good credit; TJ-3
    if u.major_hazard:  # TJ-5 case by case, up to quarterly
        times = min(4, c.rounds)
    elif u.production_status in (ProductionStatus.TRIAL, ProductionStatus.RESUMED):
        times = min(2, c.rounds)
    else:
        times = 0
    expert = u.major_hazard and c.experts > 0  # TJ-8
    return {
        "weight": u.risk_weight * factor,
        "mandatory": nat7(u, c.year),  # TJ-5 / TJ-7 repeat the national rule
        "excluded": u.production_status is ProductionStatus.CLOSED,  # NAT-3
        "frequency": times,
        "window": 365 if good else 180,  # TJ-5 lower frequency; NAT-2 otherwise
        "experts": 1 if expert else 0,
        "expert_expertise": (u.industry,) if expert and u.industry in c.expert_expertise else (),
    }


REFERENCE = {"boluo": boluo, "tianjin": tianjin}
RULES = {name: Rules.for_jurisdiction(name) for name in REFERENCE}


@pytest.mark.parametrize("jurisdiction", ["boluo", "tianjin"])
@settings(max_examples=60, deadline=None)
@given(units=registries(), context=contexts)
def test_columnar_rules_decide_as_the_clauses_say(
    jurisdiction: str, units: list[Unit], context: PlanContext
) -> None:
    got = RULES[jurisdiction].evaluate(units, context)
    want = [REFERENCE[jurisdiction](u, context) for u in units]
    assert got.unit_ids == tuple(u.unit_id for u in units)
    assert got.weights.tolist() == [w["weight"] for w in want]
    assert got.mandatory.tolist() == [w["mandatory"] for w in want]
    assert got.excluded.tolist() == [w["excluded"] for w in want]
    assert got.frequency.tolist() == [w["frequency"] for w in want]
    assert got.recent_inspection_days.tolist() == [w["window"] for w in want]
    assert got.team_size.tolist() == [2] * len(units)  # NAT-1
    assert got.experts.tolist() == [w["experts"] for w in want]
    assert list(got.expert_expertise) == [w["expert_expertise"] for w in want]
    for u, w in zip(units, want, strict=True):
        assert (u.unit_id in got.mandatory_reasons) == w["mandatory"]
        assert (u.unit_id in got.exclusion_reasons) == w["excluded"]
        assert (u.unit_id in got.frequency_reasons) == (w["frequency"] > 0)
        assert got.recent_inspection_reasons[u.unit_id].clause == (
            "TJ-5" if w["window"] == 365 else "NAT-2"
        )
    year = with_once_a_year(units, got, context.year)
    assert year.mandatory.tolist() == [
        bool(w["mandatory"]) or nat7(u, context.year) for u, w in zip(units, want, strict=True)
    ]
    for u in units:
        if nat7(u, context.year):
            core = once_a_year_reasons(u, context.year)
            assert core
            assert {r.clause for r in core} == {"NAT-7"}
            own = got.mandatory_reasons.get(u.unit_id, ())
            assert year.mandatory_reasons[u.unit_id] == tuple(sorted({*own, *core}))


@settings(max_examples=40, deadline=None)
@given(units=registries(), context=contexts)
def test_the_registry_order_does_not_change_a_units_decisions(
    units: list[Unit], context: PlanContext
) -> None:
    rules = RULES["tianjin"]
    a = rules.evaluate(units, context)
    b = rules.evaluate(UnitColumns.of(units[::-1]), context)
    assert a.weights.tolist() == b.weights[::-1].tolist()
    assert a.mandatory_reasons == b.mandatory_reasons
    assert a.weight_reasons == b.weight_reasons
    assert a.team_reasons == b.team_reasons


def test_columns_read_back_as_the_units() -> None:
    units = [
        Unit(
            unit_id="U1",
            name="甲",
            subject_type="个体工商户",
            industry="机械",
            township="石湾镇",
            fatal_accident_year=2018,
            last_inspected=dt.date(2018, 3, 1),
        ),
        Unit(
            unit_id="U0", name="乙", subject_type="个体工商户", industry="商贸", township="园洲镇"
        ),
    ]
    cols = UnitColumns.of(units)
    assert [cols.unit(i) for i in range(2)] == units
    assert cols.ids.tolist() == ["U1", "U0"]
    assert cols.days("last_inspected")[0] == (dt.date(2018, 3, 1) - dt.date(1970, 1, 1)).days
    with pytest.raises(ValueError, match="read-only"):
        cols.column("risk_weight")[0] = 2.0


# -- the two forms fold together, in one call order -----------------------------------


def _rules(**plugins: object) -> Rules:
    return Rules(make_plugin_manager(entrypoints=False, plugins=plugins), jurisdiction=None)


def _units(n: int) -> list[Unit]:
    return [
        Unit(
            unit_id=f"U{k}", name="单位", subject_type="个体工商户", industry="机械", township="镇"
        )
        for k in range(n)
    ]


CONTEXT = PlanContext(year=YEAR, rounds=4, start=dt.date(YEAR, 1, 1))


def test_a_per_unit_window_registered_later_overrides_a_columnar_one() -> None:
    columnar = types.SimpleNamespace()
    per_unit = types.SimpleNamespace()

    @hookimpl
    def drawcore_units_recent_inspection_window(units: UnitColumns) -> Sequence[GroupWindow]:
        why = Reason(clause="XA-1", text="columns")
        return [GroupWindow(rows=[0, 1], days=30, reason=why)]

    @hookimpl
    def drawcore_recent_inspection_window(unit: Unit) -> RecentInspectionWindow | None:
        if unit.unit_id != "U1":
            return None
        return RecentInspectionWindow(days=60, reason=Reason(clause="XA-2", text="per unit"))

    columnar.drawcore_units_recent_inspection_window = drawcore_units_recent_inspection_window
    per_unit.drawcore_recent_inspection_window = drawcore_recent_inspection_window
    got = _rules(a=columnar, b=per_unit).evaluate(_units(3), CONTEXT)
    assert got.recent_inspection_days.tolist() == [30, 60, 180]
    assert [got.recent_inspection_reasons[u].clause for u in ("U0", "U1", "U2")] == [
        "XA-1",
        "XA-2",
        "NAT-2",
    ]


def test_factors_of_both_forms_multiply_and_reasons_of_both_are_kept() -> None:
    columnar = types.SimpleNamespace()
    per_unit = types.SimpleNamespace()

    @hookimpl
    def drawcore_units_weight(units: UnitColumns) -> Sequence[GroupFactor]:
        return [
            GroupFactor(
                rows=np.ones(len(units), bool), factor=2.0, reason=Reason(clause="XA-1", text="x2")
            )
        ]

    @hookimpl
    def drawcore_unit_weight(unit: Unit) -> object:
        from drawcore.plugin import WeightFactor

        return WeightFactor(factor=3.0, reason=Reason(clause="XA-2", text="x3"))

    columnar.drawcore_units_weight = drawcore_units_weight
    per_unit.drawcore_unit_weight = drawcore_unit_weight
    got = _rules(a=columnar, b=per_unit).evaluate(_units(2), CONTEXT)
    assert got.weights.tolist() == [6.0, 6.0]
    assert [r.clause for r in got.weight_reasons["U0"]] == ["XA-2", "XA-1"]


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        (np.ones(5, dtype=bool), "mask of 5 rows for 3 units"),
        ([0, 3], "named row 3 of 3 units"),
        ([-1], "named row -1 of 3 units"),
    ],
)
def test_a_group_naming_rows_that_are_not_there_is_refused(rows: object, error: str) -> None:
    bad = types.SimpleNamespace()

    @hookimpl
    def drawcore_units_exclusions(units: UnitColumns) -> Sequence[GroupReason]:
        return [GroupReason(rows=rows, reason=Reason(clause="XA-1", text="bad"))]

    bad.drawcore_units_exclusions = drawcore_units_exclusions
    with pytest.raises(PluginError, match=error):
        _rules(bad=bad).evaluate(_units(3), CONTEXT)


def test_an_answer_of_the_wrong_kind_is_refused() -> None:
    bad = types.SimpleNamespace()

    @hookimpl
    def drawcore_units_mandatory(units: UnitColumns) -> object:
        return [Reason(clause="XA-1", text="not a group")]

    bad.drawcore_units_mandatory = drawcore_units_mandatory
    with pytest.raises(PluginError, match="must return GroupReason values"):
        _rules(bad=bad).evaluate(_units(3), CONTEXT)


# -- the inspection mode (TJ-5), over columns ---------------------------------------------


def tianjin_mode(u: Unit, c: PlanContext, planned: bool) -> tuple[InspectionMode, str]:
    """TJ-5 read one task at a time: general when no inspector holds a major-hazard unit's
    industry; covert for a drawn unit of credit D or under investigation; else NAT-5."""
    if u.major_hazard and c.inspector_expertise and u.industry not in c.inspector_expertise:
        return InspectionMode.GENERAL, "TJ-5"
    if not planned and (u.credit_class is CreditClass.D or u.under_investigation):
        return InspectionMode.COVERT, "TJ-5"
    return (InspectionMode.KEY if planned else InspectionMode.DOUBLE_RANDOM), "NAT-5"


mode_contexts = st.builds(
    PlanContext,
    year=st.just(YEAR),
    rounds=st.just(4),
    start=st.just(dt.date(YEAR, 1, 1)),
    inspector_expertise=st.lists(st.sampled_from(INDUSTRIES), max_size=3),
)


@settings(max_examples=150)
@given(units=registries(), context=mode_contexts, data=st.data())
def test_tianjin_modes_over_columns_are_the_clause_read_per_task(
    units: list[Unit], context: PlanContext, data: st.DataObject
) -> None:
    planned = data.draw(st.lists(st.booleans(), min_size=len(units), max_size=len(units)))
    got = Rules.for_jurisdiction("tianjin").inspection_modes(units, context, planned=planned)
    assert [(c.mode, c.reason.clause) for c in got] == [
        tianjin_mode(u, context, p) for u, p in zip(units, planned, strict=True)
    ]
    for c, u in zip(got, units, strict=True):
        if c.mode is InspectionMode.GENERAL:
            assert c.reason.plugin == "tianjin"
            assert u.industry in c.reason.text


def _mode_plugin(**hooks: object) -> object:
    return types.SimpleNamespace(**hooks)


def test_the_first_answer_per_task_decides_over_both_forms() -> None:
    covert = Reason(clause="XA-1", text="columns")
    general = Reason(clause="XB-1", text="per task")

    @hookimpl
    def drawcore_units_inspection_mode(
        units: UnitColumns, planned: npt.NDArray[np.bool_]
    ) -> Sequence[GroupMode]:
        return [
            GroupMode(rows=~planned, mode=InspectionMode.COVERT, reason=covert),
            GroupMode(rows=[0, 1, 2], mode=InspectionMode.KEY, reason=covert),
        ]

    @hookimpl
    def drawcore_inspection_mode(unit: Unit) -> InspectionModeChoice | None:
        if unit.unit_id == "U0":
            return None
        return InspectionModeChoice(mode=InspectionMode.GENERAL, reason=general)

    # b registers after a, so is asked first: its per-task answer decides U1..U3
    rules = _rules(
        a=_mode_plugin(drawcore_units_inspection_mode=drawcore_units_inspection_mode),
        b=_mode_plugin(drawcore_inspection_mode=drawcore_inspection_mode),
    )
    got = rules.inspection_modes(_units(4), CONTEXT, planned=[False, True, False, True])
    assert [(c.mode, c.reason.clause, c.reason.plugin) for c in got] == [
        (InspectionMode.COVERT, "XA-1", "a"),  # b does not answer: a's first group
        (InspectionMode.GENERAL, "XB-1", "b"),
        (InspectionMode.GENERAL, "XB-1", "b"),
        (InspectionMode.GENERAL, "XB-1", "b"),
    ]
    # registered the other way round (plugins register in name order): the columnar
    # answer decides where it has a group
    rules = _rules(
        b=_mode_plugin(drawcore_inspection_mode=drawcore_inspection_mode),
        z=_mode_plugin(drawcore_units_inspection_mode=drawcore_units_inspection_mode),
    )
    got = rules.inspection_modes(_units(4), CONTEXT, planned=[False, True, False, True])
    assert [(c.mode, c.reason.clause) for c in got] == [
        (InspectionMode.COVERT, "XA-1"),
        (InspectionMode.KEY, "XA-1"),  # a planned row: the first group holding it is the second
        (InspectionMode.COVERT, "XA-1"),
        (InspectionMode.GENERAL, "XB-1"),  # in no group of a's: b's answer
    ]
    # nobody answers: NAT-5
    got = _rules().inspection_modes(_units(2), CONTEXT, planned=[True, False])
    assert [(c.mode, c.reason.clause) for c in got] == [
        (InspectionMode.KEY, "NAT-5"),
        (InspectionMode.DOUBLE_RANDOM, "NAT-5"),
    ]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            lambda: [
                GroupMode(
                    rows=[True], mode=InspectionMode.KEY, reason=Reason(clause="XA-1", text="t")
                )
            ],
            "mask of 1 rows for 2 units",
        ),
        (
            lambda: [
                GroupMode(rows=[5], mode=InspectionMode.KEY, reason=Reason(clause="XA-1", text="t"))
            ],
            "named row 5 of 2 units",
        ),
        (
            lambda: [GroupMode(rows=[0], mode="key", reason=Reason(clause="XA-1", text="t"))],
            "gave mode 'key'",
        ),  # type: ignore[arg-type]
        (
            lambda: GroupMode(
                rows=[0], mode=InspectionMode.KEY, reason=Reason(clause="XA-1", text="t")
            ),
            "sequence of GroupMode",
        ),
        (
            lambda: [
                InspectionModeChoice(
                    mode=InspectionMode.KEY, reason=Reason(clause="XA-1", text="t")
                )
            ],
            "must return GroupMode values",
        ),
    ],
)
def test_a_malformed_mode_answer_is_refused(answer: object, error: str) -> None:
    @hookimpl
    def drawcore_units_inspection_mode() -> object:
        return answer()  # type: ignore[operator]

    rules = _rules(bad=_mode_plugin(drawcore_units_inspection_mode=drawcore_units_inspection_mode))
    with pytest.raises(PluginError, match=error):
        rules.inspection_modes(_units(2), CONTEXT, planned=[True, False])


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(st.integers(0, 7), max_size=8, unique=True),
    planned=st.lists(st.booleans(), min_size=8, max_size=8),
)
def test_modes_asked_of_columns_taken_from_more_units_are_those_of_the_units(
    rows: list[int], planned: list[bool]
) -> None:
    """A round's rows taken from the year's columns get the modes its units get."""
    reason = Reason(clause="XA-1", text="columns")

    @hookimpl
    def drawcore_units_inspection_mode(
        units: UnitColumns, planned: npt.NDArray[np.bool_]
    ) -> Sequence[GroupMode]:
        odd = np.isin(units.ids, ["U1", "U3", "U5", "U7"])
        return [GroupMode(rows=odd & ~planned, mode=InspectionMode.COVERT, reason=reason)]

    @hookimpl
    def drawcore_inspection_mode(unit: Unit, planned: bool) -> InspectionModeChoice | None:
        if unit.unit_id in ("U2", "U3") and not planned:
            return InspectionModeChoice(mode=InspectionMode.GENERAL, reason=reason)
        return None

    rules = _rules(
        a=_mode_plugin(drawcore_units_inspection_mode=drawcore_units_inspection_mode),
        b=_mode_plugin(drawcore_inspection_mode=drawcore_inspection_mode),
    )
    year = _units(8)
    units = [year[r] for r in rows]
    flags = [planned[r] for r in rows]
    taken = UnitColumns.of(year).take(rows, units)
    assert rules.inspection_modes(taken, CONTEXT, planned=flags) == rules.inspection_modes(
        units, CONTEXT, planned=flags
    )


def test_one_planned_flag_per_unit() -> None:
    with pytest.raises(InvalidInputError, match="one planned flag per unit: 1 for 2 units"):
        _rules().inspection_modes(_units(2), CONTEXT, planned=[True])
