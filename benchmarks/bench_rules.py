"""Benchmark: rule evaluation under Tianjin rules, per-unit hooks against columnar hooks.

What is measured: ``Rules.evaluate`` (weights, mandatory and excluded units,
frequencies, recent-inspection windows, team needs, with every reason) plus the
core's once-a-year rule, for a Tianjin registry of each ``--units`` size.

Baseline, in the same run on the same units: the same rules written as per-unit hooks
(:data:`PER_UNIT_TIANJIN` and :data:`PER_UNIT_NATIONAL` below, the hooks as they were
before the rules moved to columns), asked through the same ``Rules`` one unit at a
time. The script first checks that both give the same decisions, then prints each
path's best wall-clock time of ``--repeat`` runs and the ratio per-unit / columnar.

Run: ``python benchmarks/bench_rules.py [--units 100000 1000000] [--repeat 3]``
(the per-unit path at 10^6 takes a few minutes; ``--skip-per-unit-above N`` leaves it
out above ``N`` units and prints the columnar time only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import types
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs
import numpy as np

from drawcore.model import CreditClass, IdKind, ProductionStatus, RiskLevel, Unit
from drawcore.plan.once_a_year import FATAL_ACCIDENT_YEARS, with_once_a_year
from drawcore.plan.policy import UnitDecisions
from drawcore.plugin import (
    Frequency,
    PlanContext,
    Reason,
    RecentInspectionWindow,
    TeamRequirement,
    UnitColumns,
    WeightFactor,
    hookimpl,
)
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules

T = TypeVar("T")
YEAR = 2019
CONTEXT = PlanContext(
    year=YEAR,
    rounds=4,
    start=dt.date(YEAR, 1, 1),
    jurisdiction="tianjin",
    inspector_expertise=("危险化学品", "冶金", "机械"),
    expert_expertise=("危险化学品", "非煤矿山"),
    experts=50,
)
INDUSTRIES = np.array(["危险化学品", "非煤矿山", "冶金", "机械", "商贸", "建材"], dtype=object)
TOWNSHIPS = np.array(["和平区", "河东区", "河西区", "南开区", "滨海新区"], dtype=object)


# -- the baseline: the same rules, one unit at a time ----------------------------------


def _good_credit(unit: Unit) -> bool:
    return unit.credit_class is CreditClass.A and not unit.blacklisted and not unit.joint_punishment


@hookimpl
def _tj_jurisdiction() -> str:
    return "tianjin"


@hookimpl
def _tj_mandatory(unit: Unit, context: PlanContext) -> Sequence[Reason]:
    reasons = []
    if unit.risk_level.is_high:
        reasons.append(
            Reason(clause="TJ-5", text=f"high safety-risk level ({unit.risk_level.value})")
        )
    accident = unit.fatal_accident_year
    if accident is not None and context.year - FATAL_ACCIDENT_YEARS < accident <= context.year:
        reasons.append(
            Reason(
                clause="TJ-5",
                text=f"production accident causing death in {accident} (last three years)",
            )
        )
    if unit.joint_punishment:
        reasons.append(Reason(clause="TJ-5", text="under joint punishment for dishonesty"))
    if unit.blacklisted:
        reasons.append(
            Reason(clause="TJ-7", text="on the work-safety dishonesty blacklist (黑名单)")
        )
    return reasons


@hookimpl
def _tj_frequency(unit: Unit, context: PlanContext) -> Frequency | None:
    if unit.major_hazard:
        times = min(4, context.rounds)
        return Frequency(
            times=times,
            reason=Reason(clause="TJ-5", text=f"major accident hazard: {times} inspections"),
        )
    if unit.production_status in (ProductionStatus.TRIAL, ProductionStatus.RESUMED):
        times = min(2, context.rounds)
        return Frequency(
            times=times,
            reason=Reason(
                clause="TJ-5",
                text=f"{unit.production_status.value} production: {times} inspections",
            ),
        )
    return None


@hookimpl
def _tj_weight(unit: Unit) -> WeightFactor | None:
    if _good_credit(unit):
        return WeightFactor(
            factor=0.5,
            reason=Reason(clause="TJ-5", text="law-abiding with good credit: lower ratio"),
        )
    if unit.licence_holder:
        return WeightFactor(
            factor=1.5, reason=Reason(clause="TJ-3", text="high-danger key unit (licence holder)")
        )
    return None


@hookimpl
def _tj_window(unit: Unit) -> RecentInspectionWindow | None:
    if _good_credit(unit):
        return RecentInspectionWindow(
            days=365,
            reason=Reason(
                clause="TJ-5", text="good credit: not drawn within a year of the last inspection"
            ),
        )
    return None


@hookimpl
def _tj_team(unit: Unit, context: PlanContext) -> TeamRequirement | None:
    if not unit.major_hazard or context.experts == 0:
        return None
    expertise = (unit.industry,) if unit.industry in context.expert_expertise else ()
    return TeamRequirement(
        size=2,
        experts=1,
        expert_expertise=expertise,
        reason=Reason(clause="TJ-8", text="major accident hazard: an industry expert joins"),
    )


@hookimpl(trylast=True)
def _nat_window(unit: Unit) -> RecentInspectionWindow:
    return RecentInspectionWindow(
        days=180,
        reason=Reason(
            clause="NAT-2", text="inspected within the last 180 days; repeated checks are avoided"
        ),
    )


@hookimpl
def _nat_exclusions(unit: Unit) -> Sequence[Reason]:
    if unit.production_status == ProductionStatus.CLOSED:
        return [Reason(clause="NAT-3", text="the unit is closed (关闭)")]
    return []


PER_UNIT_TIANJIN = types.SimpleNamespace(
    __version__="0.2.0",
    drawcore_jurisdiction=_tj_jurisdiction,
    drawcore_unit_mandatory=_tj_mandatory,
    drawcore_unit_frequency=_tj_frequency,
    drawcore_unit_weight=_tj_weight,
    drawcore_recent_inspection_window=_tj_window,
    drawcore_team_requirements=_tj_team,
)
PER_UNIT_NATIONAL = types.SimpleNamespace(
    drawcore_recent_inspection_window=_nat_window, drawcore_unit_exclusions=_nat_exclusions
)


# -- the registry -----------------------------------------------------------------------


def registry(n: int, seed: int = 13) -> UnitColumns:
    """``n`` Tianjin-like units as columns (the shares of a city's registry)."""
    rng = np.random.default_rng(seed)

    def text(values: list[str]) -> np.ndarray[Any, Any]:
        out = np.empty(n, dtype=object)
        out[:] = values
        return out

    codes = {
        "risk_level": rng.choice(4, n, p=[0.55, 0.3, 0.1, 0.05]),
        "credit_class": rng.choice(4, n, p=[0.3, 0.45, 0.2, 0.05]),
        "production_status": rng.choice(5, n, p=[0.9, 0.03, 0.03, 0.02, 0.02]),
        "id_kind": np.zeros(n, dtype=np.int8),
    }
    assert list(RiskLevel)[3] is RiskLevel.MAJOR
    assert next(iter(IdKind)) is IdKind.USCC
    accident = np.where(rng.random(n) < 0.02, YEAR - rng.integers(0, 6, n), 0)
    last = np.where(
        rng.random(n) < 0.4,
        np.datetime64("2018-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]"),
        np.datetime64("NaT"),
    )
    columns: dict[str, np.ndarray[Any, Any]] = {
        "unit_id": np.array([f"91120000U{k:09d}" for k in range(n)]),
        "name": text([f"单位{k}" for k in range(n)]),
        "subject_type": text(["有限责任公司"] * n),
        "industry": INDUSTRIES[rng.integers(0, len(INDUSTRIES), n)],
        "township": TOWNSHIPS[rng.integers(0, len(TOWNSHIPS), n)],
        "address": text([""] * n),
        "person_in_charge": text([""] * n),
        "contact": text([""] * n),
        "risk_weight": rng.choice([0.5, 1.0, 1.5, 2.0], n),
        "blacklisted": rng.random(n) < 0.02,
        "joint_punishment": rng.random(n) < 0.01,
        "major_hazard": rng.random(n) < 0.03,
        "fatal_accident_year": accident.astype(np.int32),
        "licence_holder": rng.random(n) < 0.2,
        "under_investigation": rng.random(n) < 0.03,
        "in_higher_plan": rng.random(n) < 0.05,
        "last_inspected": last.astype("datetime64[D]"),
        **{k: v.astype(np.int8) for k, v in codes.items()},
    }
    return UnitColumns(columns)


def timed(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    assert result is not None
    return best, result


def same(a: UnitDecisions, b: UnitDecisions) -> None:
    for field in (
        "weights",
        "mandatory",
        "excluded",
        "frequency",
        "recent_inspection_days",
        "team_size",
        "experts",
    ):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    for field in (
        "unit_ids",
        "expertise",
        "expert_expertise",
        "mandatory_reasons",
        "exclusion_reasons",
        "frequency_reasons",
        "weight_reasons",
        "team_reasons",
        "recent_inspection_reasons",
        "waiver_reasons",
    ):
        assert _named(getattr(a, field)) == _named(getattr(b, field)), field


def _named(value: object) -> object:
    """Reasons with the baseline's national plugin under the built-in plugin's name."""
    if isinstance(value, Reason):
        plugin = "drawcore-national" if value.plugin == "national" else value.plugin
        return attrs.evolve(value, plugin=plugin)
    if isinstance(value, dict):
        return {k: _named(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_named(v) for v in value)
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-per-unit-above", type=int, default=None)
    args = parser.parse_args(argv)
    columnar = Rules.for_jurisdiction("tianjin")
    per_unit = Rules(
        make_plugin_manager(
            entrypoints=False,
            blocked=("drawcore-national",),
            plugins={"tianjin": PER_UNIT_TIANJIN, "national": PER_UNIT_NATIONAL},
        ),
        jurisdiction="tianjin",
    )
    print("rule evaluation, Tianjin rules + national + the core's once-a-year rule")
    print(f"{'units':>10} {'columnar s':>11} {'per-unit s':>11} {'ratio':>7}")
    for n in args.units:
        cols = registry(n)

        def new(cols: UnitColumns = cols) -> UnitDecisions:
            return with_once_a_year(cols, columnar.evaluate(cols, CONTEXT), YEAR)

        t_new, got = timed(new, args.repeat)
        if args.skip_per_unit_above is not None and n > args.skip_per_unit_above:
            print(f"{n:>10,} {t_new:>11.3f} {'-':>11} {'-':>7}")
            continue
        units = cols.units()
        listed = UnitColumns.of(list(units))

        def old(listed: UnitColumns = listed) -> UnitDecisions:
            return with_once_a_year(listed, per_unit.evaluate(listed, CONTEXT), YEAR)

        t_old, want = timed(old, 1)
        same(got, want)
        print(f"{n:>10,} {t_new:>11.3f} {t_old:>11.3f} {t_old / t_new:>6.1f}x")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
