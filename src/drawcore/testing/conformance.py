"""Conformance kit: the checks every jurisdiction plugin must pass, in one line of pytest.

In a plugin's test module::

    from drawcore.testing import conformance_tests

    TestConformance = conformance_tests("boluo")

pytest collects the returned class. It loads the plugin through the installed
``drawcore`` entry points (pass ``plugin=`` and ``name=`` to check a plugin object
that is not installed yet) and checks that the plugin claims its jurisdiction,
implements only hooks drawcore has, answers with typed values whose reasons
cite clause IDs, answers the same for the same unit whatever the registry order
and whatever other units are asked about with it (the columnar hooks see them all),
and that a year planned under its rules keeps the plan's guarantees: every
mandatory unit inspected, no round over capacity, no excluded unit drawn, a
reason for every mandatory and excluded unit, recusals respected, and the plan
reproducible and serialisable.

:func:`synthetic_county` builds the varied registry the checks use; its
randomness comes from drawcore's keyed stream, so it is the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from importlib import metadata
from typing import Any

import attrs
import numpy as np

from drawcore.draw.randomness import DrawKey, Stream
from drawcore.model import (
    CreditClass,
    Expert,
    IdKind,
    InspectionItem,
    InspectionMode,
    Inspector,
    ProductionStatus,
    RiskLevel,
    Unit,
)
from drawcore.plan.once_a_year import CLAUSE as ONCE_A_YEAR
from drawcore.plan.once_a_year import once_a_year_reasons
from drawcore.plan.policy import CORE
from drawcore.plan.schedule import plan_year
from drawcore.plan.tasks import AnnualPlan, TaskKind
from drawcore.plugin import spec
from drawcore.plugin.manager import ENTRYPOINT_GROUP, DrawcorePluginManager, make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import CLAUSE_PATTERN, PlanContext, Reason

__all__ = ["SyntheticCounty", "check_plan", "conformance_tests", "synthetic_county"]

TOWNSHIPS = ("罗阳街道", "石湾镇", "园洲镇", "龙溪街道", "杨村镇")
INDUSTRIES = ("危险化学品", "非煤矿山", "冶金", "机械", "商贸", "建材")
SUBJECT_TYPES = ("有限责任公司", "个体工商户", "股份有限公司")


@attrs.frozen(kw_only=True)
class SyntheticCounty:
    """A small county with every kind of unit the two documents name."""

    units: tuple[Unit, ...]
    inspectors: tuple[Inspector, ...]
    experts: tuple[Expert, ...]
    items: tuple[InspectionItem, ...]


def _pick(stream: Stream, options: tuple[Any, ...]) -> Any:
    return options[stream.below(len(options))]


def _chance(stream: Stream, p: float) -> bool:
    return stream.uniform() < p


def synthetic_county(
    seed: str = "conformance",
    *,
    units: int = 120,
    inspectors: int = 16,
    experts: int = 4,
    year: int = 2019,
) -> SyntheticCounty:
    """A deterministic county for ``year``: risk levels, credit classes, hazards,
    blacklists, accidents, production states, higher-level plans and recent inspections.
    """
    s = DrawKey.derive(seed, "synthetic-county").stream()
    out_units = []
    for n in range(units):
        last = None
        if _chance(s, 0.4):
            last = dt.date(year - 1, 1, 1) + dt.timedelta(days=s.below(365))
        out_units.append(
            Unit(
                unit_id=f"U{n:05d}",
                name=f"单位{n:05d}",
                id_kind=IdKind.ID_CARD if _chance(s, 0.1) else IdKind.USCC,
                subject_type=_pick(s, SUBJECT_TYPES),
                industry=_pick(s, INDUSTRIES),
                township=_pick(s, TOWNSHIPS),
                address=f"{n}号",
                person_in_charge="张三",
                contact="13800138000",
                risk_level=_pick(
                    s, (RiskLevel.LOW,) * 5 + (RiskLevel.MODERATE,) * 3 + tuple(RiskLevel)[2:]
                ),
                risk_weight=0.5 + s.below(4) * 0.5,
                credit_class=_pick(
                    s, (CreditClass.A, CreditClass.B, CreditClass.B, CreditClass.C, CreditClass.D)
                ),
                blacklisted=_chance(s, 0.04),
                joint_punishment=_chance(s, 0.03),
                major_hazard=_chance(s, 0.04),
                fatal_accident_year=year - s.below(6) if _chance(s, 0.05) else None,
                licence_holder=_chance(s, 0.2),
                under_investigation=_chance(s, 0.05),
                production_status=_pick(
                    s, (ProductionStatus.NORMAL,) * 12 + tuple(ProductionStatus)[1:]
                ),
                in_higher_plan=_chance(s, 0.05),
                last_inspected=last,
            )
        )
    out_inspectors = tuple(
        Inspector(
            inspector_id=f"I{n:04d}",
            name=f"检查员{n}",
            work_unit="执法大队",
            expertise=(INDUSTRIES[n % len(INDUSTRIES)], INDUSTRIES[(n + 2) % len(INDUSTRIES)]),
            township=TOWNSHIPS[n % len(TOWNSHIPS)],
            active=n % 11 != 10,
        )
        for n in range(inspectors)
    )
    out_experts = tuple(
        Expert(expert_id=f"E{n:03d}", name=f"专家{n}", expertise=(INDUSTRIES[n % 3],))
        for n in range(experts)
    )
    items = tuple(
        InspectionItem(
            item_id=f"IT{n:02d}",
            body="应急管理局",
            item=f"事项{n}",
            content=f"检查内容{n}",
            legal_basis=f"《安全生产法》第{20 + n}条",
            industries=() if n < 2 else (INDUSTRIES[n % len(INDUSTRIES)],),
        )
        for n in range(8)
    )
    return SyntheticCounty(
        units=tuple(out_units), inspectors=out_inspectors, experts=out_experts, items=items
    )


def check_plan(plan: AnnualPlan, units: tuple[Unit, ...] | list[Unit]) -> list[str]:
    """Every broken guarantee of ``plan`` (empty when it keeps them all).

    Checked: each mandatory, not excluded unit is inspected at least once, each
    key-supervision unit as often as planned and in distinct rounds; no round over
    capacity; no excluded unit in any round; a unit drawn at random at most once;
    a reason for every mandatory, excluded and key-supervision unit; drawn tasks
    carry their published yearly probability, in (0, 1]; teams of at least two except
    general inspections; and the national once-a-year rule (NAT-7): every unit it names
    is mandatory with the core's reason, or excluded, or waived with the
    jurisdiction's reason.
    """
    problems: list[str] = []
    by_id = {u.unit_id: u for u in units}
    excluded = {e.unit_id for e in plan.excluded}
    times = plan.times_inspected()
    published = dict(plan.yearly_probabilities)
    waived = {w.unit_id: w for w in plan.waived}
    core_mandatory = {
        m.unit_id for m in plan.mandatory if any(r.clause == ONCE_A_YEAR for r in m.reasons)
    }
    for u in units:
        if not once_a_year_reasons(u, plan.year) or u.unit_id in excluded:
            continue
        if u.unit_id in waived:
            if not any(r.clause != ONCE_A_YEAR for r in waived[u.unit_id].reasons):
                problems.append(f"once-a-year unit {u.unit_id} waived without a reason")
        elif u.unit_id not in core_mandatory:
            problems.append(f"once-a-year unit {u.unit_id} dropped silently (NAT-7)")
    for m in plan.mandatory:
        if not m.reasons:
            problems.append(f"mandatory unit {m.unit_id} has no reason")
        if m.unit_id not in excluded and times.get(m.unit_id, 0) < 1:
            problems.append(f"mandatory unit {m.unit_id} is not inspected")
    for e in plan.excluded:
        if not e.reasons:
            problems.append(f"excluded unit {e.unit_id} has no reason")
        if e.unit_id in times:
            problems.append(f"excluded unit {e.unit_id} is inspected")
    for k in plan.key_supervision:
        if not k.reasons:
            problems.append(f"key-supervision unit {k.unit_id} has no reason")
        rounds = [t.round for t in plan.tasks if t.unit_id == k.unit_id]
        if len(rounds) != k.times or len(set(rounds)) != len(rounds):
            problems.append(f"unit {k.unit_id} planned {k.times}x, inspected in rounds {rounds}")
    drawn: dict[str, int] = {}
    for rd in plan.rounds:
        if len(rd.tasks) > rd.capacity:
            problems.append(f"round {rd.index} has {len(rd.tasks)} tasks > capacity {rd.capacity}")
        ids = [t.unit_id for t in rd.tasks]
        if len(ids) != len(set(ids)):
            problems.append(f"round {rd.index} inspects a unit twice")
        for t in rd.tasks:
            if t.unit_id not in by_id:
                problems.append(f"round {rd.index} inspects unknown unit {t.unit_id}")
            if t.kind is TaskKind.DRAWN:
                drawn[t.unit_id] = drawn.get(t.unit_id, 0) + 1
                if not 0.0 < t.probability <= 1.0:
                    problems.append(f"{t.unit_id}: drawn with probability {t.probability}")
                if published.get(t.unit_id) != t.probability:
                    problems.append(f"{t.unit_id}: probability not the published yearly one")
            if t.mode is not InspectionMode.GENERAL and len(t.inspectors) < 2:
                problems.append(f"{t.unit_id} in round {rd.index}: team {t.inspectors}")
            if not t.reasons:
                problems.append(f"{t.unit_id} in round {rd.index}: task without a reason")
    problems += [f"unit {u} drawn at random {n} times" for u, n in drawn.items() if n > 1]
    return problems


def _manager(jurisdiction: str, plugin: object | None, name: str | None) -> DrawcorePluginManager:
    if plugin is None:
        return make_plugin_manager()
    return make_plugin_manager(entrypoints=False, plugins={name or jurisdiction: plugin})


def conformance_tests(
    jurisdiction: str,
    *,
    plugin: object | None = None,
    name: str | None = None,
    year: int = 2019,
    rounds: int = 4,
) -> type:
    """A pytest test class checking the plugin that claims ``jurisdiction``.

    Without ``plugin`` the installed entry points are used (the real installation);
    with it, ``plugin`` is registered under ``name`` (default: the jurisdiction).
    """
    wanted = jurisdiction.strip().lower()

    def rules(self: object) -> Rules:
        return Rules(_manager(wanted, plugin, name), jurisdiction=wanted)

    def county(self: object) -> SyntheticCounty:
        return synthetic_county(f"conformance/{wanted}", year=year)

    def plan(self: object, seed: str = "conformance-seed") -> AnnualPlan:
        c = county(self)
        return plan_year(
            c.units,
            c.inspectors,
            year=year,
            rounds=rounds,
            rules=rules(self),
            seed=seed,
            tasks_per_inspector=40,
            random_ratio=0.3,
            experts=c.experts,
            items=c.items,
            registry_date=dt.date(year - 1, 12, 5),
        )

    def context(self: object) -> PlanContext:
        c = county(self)
        return PlanContext(
            year=year,
            rounds=rounds,
            start=dt.date(year, 1, 1),
            jurisdiction=wanted,
            inspector_expertise={e for i in c.inspectors for e in i.expertise},
            expert_expertise={e for x in c.experts for e in x.expertise},
            experts=len(c.experts),
        )

    def test_claims_its_jurisdiction(self: object) -> None:
        pm = _manager(wanted, plugin, name)
        claimants = [n for n, claim in pm.jurisdictions.items() if claim == wanted]
        assert len(claimants) == 1, f"{claimants} claim {wanted!r}"
        assert claimants[0] in Rules(pm, jurisdiction=wanted).plugins

    def test_installed_through_the_entry_point(self: object) -> None:
        pm = make_plugin_manager()
        owner = next(n for n, claim in pm.jurisdictions.items() if claim == wanted)
        names = {ep.name for ep in metadata.entry_points(group=ENTRYPOINT_GROUP)}
        assert owner in names, f"{owner!r} is not a [project.entry-points.drawcore] name"

    def test_implements_only_drawcore_hooks(self: object) -> None:
        pm = _manager(wanted, plugin, name)
        specs = {n for n in dir(spec) if n.startswith("drawcore_")}
        owner = next(n for n, claim in pm.jurisdictions.items() if claim == wanted)
        obj = pm.get_plugin(owner)
        hooks = {n for n in dir(obj) if pm.parse_hookimpl_opts(obj, n) is not None}
        assert hooks, "the plugin implements no hook"
        assert hooks <= specs, f"unknown hooks: {sorted(hooks - specs)}"
        assert "drawcore_jurisdiction" in hooks

    def test_reasons_cite_clauses_and_name_the_plugin(self: object) -> None:
        r = rules(self)
        ur = r.evaluate(list(county(self).units), context(self))
        groups = [
            ur.mandatory_reasons,
            ur.exclusion_reasons,
            ur.frequency_reasons,
            ur.weight_reasons,
            ur.team_reasons,
        ]
        reasons: list[Reason] = [x for g in groups for rs in g.values() for x in rs]
        reasons += list(ur.recent_inspection_reasons.values())
        assert reasons, "no decision was made about any unit"
        for reason in reasons:
            assert CLAUSE_PATTERN.match(reason.clause), reason
            assert reason.plugin in (*r.plugins, CORE), reason
            assert reason.text.strip(), reason

    def test_answers_do_not_depend_on_registry_order(self: object) -> None:
        r = rules(self)
        units = list(county(self).units)
        a = r.evaluate(units, context(self))
        b = r.evaluate(units[::-1], context(self))
        order = np.argsort(np.array(b.unit_ids))
        for field in (
            "weights",
            "mandatory",
            "excluded",
            "times",
            "recent_inspection_days",
            "team_size",
        ):
            assert np.array_equal(getattr(a, field), getattr(b, field)[order]), field
        for field in ("mandatory_reasons", "exclusion_reasons", "frequency_reasons"):
            assert getattr(a, field) == getattr(b, field), field
        assert r.conflicts(units, list(county(self).inspectors), context(self)) == r.conflicts(
            units[::-1], list(county(self).inspectors)[::-1], context(self)
        )

    def test_answers_for_a_unit_do_not_depend_on_the_other_units(self: object) -> None:
        """Columnar hooks see the whole registry: a unit's decisions must still be the
        unit's own, the same when it is asked about with half of the units or alone."""
        r = rules(self)
        units = list(county(self).units)
        whole = r.evaluate(units, context(self))
        half = len(units) // 2
        parts = [r.evaluate(units[:half], context(self)), r.evaluate(units[half:], context(self))]
        alone = [r.evaluate([u], context(self)) for u in units[:: max(1, len(units) // 12)]]
        for field in (
            "weights",
            "mandatory",
            "excluded",
            "times",
            "recent_inspection_days",
            "team_size",
            "experts",
        ):
            joined = np.concatenate([getattr(p, field) for p in parts])
            assert np.array_equal(getattr(whole, field), joined), field
        for field in (
            "mandatory_reasons",
            "exclusion_reasons",
            "frequency_reasons",
            "weight_reasons",
            "team_reasons",
            "recent_inspection_reasons",
            "waiver_reasons",
        ):
            joined_reasons = {**getattr(parts[0], field), **getattr(parts[1], field)}
            assert getattr(whole, field) == joined_reasons, field
            for one in alone:
                uid = one.unit_ids[0]
                assert getattr(one, field).get(uid) == getattr(whole, field).get(uid), (uid, field)
        assert whole.expertise == parts[0].expertise + parts[1].expertise

    def test_weights_are_finite_and_not_negative(self: object) -> None:
        ur = rules(self).evaluate(list(county(self).units), context(self))
        assert np.isfinite(ur.weights).all()
        assert (ur.weights >= 0).all()
        assert (ur.times >= 0).all()
        assert (ur.times <= rounds).all()
        assert (ur.team_size >= 2).all(), "NAT-1: at least two enforcement officers"

    def test_plan_keeps_its_guarantees(self: object) -> None:
        c = county(self)
        p = plan(self)
        assert check_plan(p, list(c.units)) == []
        assert p.jurisdiction == wanted
        recused = {
            (x.inspector_id, x.unit_id)
            for x in rules(self).conflicts(list(c.units), list(c.inspectors), context(self))
        }
        for t in p.tasks:
            for inspector in t.inspectors:
                assert (inspector, t.unit_id) not in recused, (inspector, t.unit_id)

    def test_plan_is_reproducible_and_order_free(self: object) -> None:
        c = county(self)
        a = plan(self)
        b = plan_year(
            c.units[::-1],
            c.inspectors[::-1],
            year=year,
            rounds=rounds,
            rules=rules(self),
            seed="conformance-seed",
            tasks_per_inspector=40,
            random_ratio=0.3,
            experts=c.experts[::-1],
            items=c.items[::-1],
            registry_date=dt.date(year - 1, 12, 5),
        )
        assert a.tasks == b.tasks
        assert a.problems == b.problems
        assert plan(self, "another-seed").tasks != a.tasks

    def test_plan_round_trips_through_serde(self: object) -> None:
        from drawcore import serde

        p = plan(self)
        assert serde.structure(serde.unstructure(p), AnnualPlan) == p

    def test_masking_hides_personal_data(self: object) -> None:
        """BL-8, TJ-6: a phone, a person in charge, and a person's id, name and address
        are never published whole; a phone of any mobile prefix (13x..19x) included."""
        r = rules(self)
        units = county(self).units
        persons = [u for u in units if u.id_kind is IdKind.ID_CARD]
        assert persons, "the synthetic county has units that are persons"
        for unit in units[:20] + tuple(persons[:5]):
            personal = ["contact", "person_in_charge"]
            if unit.id_kind is IdKind.ID_CARD:
                personal += ["unit_id", "name", "address"]
            for field in personal:
                value = getattr(unit, field)
                masked = r.mask(field, value, unit)
                assert isinstance(masked, str), (field, masked)
                assert value not in masked, (unit.unit_id, field, masked)
        for prefix in range(13, 20):
            phone = f"{prefix}012345678"
            masked = r.mask("contact", phone, units[0])
            assert phone not in masked, masked

    namespace = {n: f for n, f in locals().items() if n.startswith("test_")}
    if plugin is not None:
        del namespace["test_installed_through_the_entry_point"]
    return type(f"Conformance_{wanted}", (), namespace)
