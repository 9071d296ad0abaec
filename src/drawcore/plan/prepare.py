"""What an annual plan decides before its seed exists: inputs checked, the policy asked.

:func:`prepare` reads the registries and the year's parameters, asks the policy for
its decisions (plus the core's once-a-year rule), computes the rounds' capacity,
refuses a plan the capacity or the experts cannot hold (naming the shortfall), and
builds the :class:`~drawcore.plan.tasks.YearCommitment` a ceremony journals before
the seed. :func:`drawcore.plan.schedule.plan_year` then draws from it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.team_model import MIN_TEAM_SIZE, Recusal
from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.model import Expert, InspectionItem, Inspector, Unit
from drawcore.plan.amendment import check_room
from drawcore.plan.collection import cycles_collected_after
from drawcore.plan.once_a_year import with_once_a_year
from drawcore.plan.parameters import YearParameters
from drawcore.plan.people_room import check_room_for_areas
from drawcore.plan.policy import Policy, UnitDecisions
from drawcore.plan.tasks import UnitFrequency, UnitReasons, YearCommitment
from drawcore.plan.yearly import check_planned
from drawcore.plugin.columns import UnitColumns
from drawcore.plugin.values import PlanContext, Reason
from drawcore.registry.registries import UnitRegistry
from drawcore.serde import fingerprint, records_fingerprint

__all__ = [
    "DeclaredConflict",
    "OfficeTeams",
    "Prepared",
    "RuleParameters",
    "parameters_of",
    "prepare",
    "rule_parameters",
]

DeclaredConflict = Recusal | tuple[str, str]
OfficeTeams = Mapping[str, Sequence[str]]


def parameters_of(params: YearParameters | None, year: Mapping[str, Any]) -> YearParameters:
    if params is not None:
        if year:
            raise InvalidInputError(
                msg("give the year's parameters once: params or {year}", year=sorted(year))
            )
        return params
    try:
        return YearParameters(**year)
    except TypeError as err:
        raise InvalidInputError(msg("annual plan parameters: {err}", err=err)) from None


def _office_teams(teams: OfficeTeams) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The office's fixed teams for general inspections (TJ-5), checked and sorted."""
    if not isinstance(teams, Mapping):
        raise InvalidInputError(msg("office_teams maps a unit id to the inspector ids of its team"))
    out = []
    for unit_id, members in teams.items():
        if isinstance(members, str) or not all(isinstance(m, str) and m for m in members):
            raise InvalidInputError(
                msg(
                    "office team of {unit_id}: give inspector ids, got {members}",
                    unit_id=repr(unit_id),
                    members=repr(members),
                )
            )
        out.append((str(unit_id), tuple(sorted(set(members)))))
    return tuple(sorted(out))


def _declared(conflicts: Iterable[DeclaredConflict]) -> tuple[Recusal, ...]:
    out = []
    for c in conflicts:
        if isinstance(c, Recusal):
            out.append(c)
        elif isinstance(c, tuple) and len(c) == 2 and all(isinstance(x, str) for x in c):
            out.append(Recusal(inspector_id=c[0], unit_id=c[1]))
        else:
            raise InvalidInputError(
                msg(
                    "a declared conflict is (inspector_id, unit_id) or a Recusal, got {c}",
                    c=repr(c),
                )
            )
    return tuple(sorted(set(out), key=lambda r: (r.inspector_id, r.unit_id, r.reason)))


@attrs.frozen(kw_only=True, eq=False)
class RuleParameters:
    """A jurisdiction's rules translated, once, into what a draw takes: the one
    translation both a single rule-based draw (:mod:`drawcore.record.draw_rules`) and an
    annual plan (:func:`prepare`) use.

    ``decisions`` are the rules' (plus the core's once-a-year rule for a plan);
    ``base_weights`` the registry's ``risk_weight`` in the same order.
    """

    decisions: UnitDecisions
    base_weights: npt.NDArray[np.float64]

    @property
    def unit_ids(self) -> tuple[str, ...]:
        return self.decisions.unit_ids

    def changed_weights(self) -> dict[str, float]:
        """unit id -> the rules' weight, where it differs from the registry's."""
        w = self.decisions.weights
        changed = np.flatnonzero(w != self.base_weights).tolist()
        ids = self.decisions.unit_ids
        return {ids[i]: float(w[i]) for i in changed}

    def _ids(self, mask: npt.NDArray[np.bool_]) -> list[str]:
        ids = self.decisions.unit_ids
        return [ids[i] for i in np.flatnonzero(mask).tolist()]

    @property
    def mandatory_ids(self) -> list[str]:
        return self._ids(self.decisions.mandatory)

    @property
    def excluded_ids(self) -> list[str]:
        return self._ids(self.decisions.excluded)

    def reason_lines(self) -> list[tuple[str, str, str]]:
        """(unit, decision, reason) of every mandatory, excluded and weight decision."""
        d = self.decisions
        lines: list[tuple[str, str, str]] = []
        for decision, found in (
            ("mandatory", d.mandatory_reasons),
            ("excluded", d.exclusion_reasons),
            ("weight", d.weight_reasons),
        ):
            lines += [(u, decision, str(r)) for u, rs in found.items() for r in rs]
        return lines

    @property
    def required_team_size(self) -> int:
        """The largest team any unit needs (NAT-1 minimum when there are no units)."""
        return max(self.decisions.team_size.tolist(), default=MIN_TEAM_SIZE)

    def team_lines(self) -> list[tuple[str, str, str]]:
        """(unit, "team", reason) of the units needing the largest team, when above NAT-1."""
        d = self.decisions
        top = self.required_team_size
        if top <= MIN_TEAM_SIZE:
            return []
        return [
            (d.unit_ids[i], "team", str(r))
            for i in np.flatnonzero(d.team_size == top).tolist()
            for r in d.team_reasons.get(d.unit_ids[i], ())
        ]

    def requirements(
        self,
    ) -> list[tuple[str, tuple[str, ...], int, str | None, tuple[Reason, ...]]]:
        """(unit, expertise, experts, expert expertise, reasons) of every unit whose team
        needs an expertise or experts."""
        d = self.decisions
        out = []
        for i in np.flatnonzero((d.experts > 0) | d.asks_expertise).tolist():
            u = d.unit_ids[i]
            ee = d.expert_expertise[i]
            out.append(
                (u, d.expertise[i], int(d.experts[i]), ee[0] if ee else None, d.team_reasons[u])
            )
        return out

    def unit_reasons(self, found: Mapping[str, tuple[Reason, ...]]) -> tuple[UnitReasons, ...]:
        return tuple(UnitReasons(unit_id=u, reasons=rs) for u, rs in sorted(found.items()))

    def key_supervision(self) -> tuple[UnitFrequency, ...]:
        """The units with a frequency that are not excluded, with their planned times."""
        d = self.decisions
        times = d.times
        return tuple(
            UnitFrequency(
                unit_id=d.unit_ids[i],
                times=int(times[i]),
                reasons=d.frequency_reasons.get(d.unit_ids[i], ()),
            )
            for i in sorted(
                np.flatnonzero((d.frequency > 0) & ~d.excluded).tolist(),
                key=lambda i: d.unit_ids[i],
            )
        )


def rule_parameters(
    units: UnitRegistry | UnitColumns | Sequence[Unit],
    rules: Policy,
    context: PlanContext,
    *,
    once_a_year: int | None = None,
) -> RuleParameters:
    """Ask ``rules`` about ``units`` (columns at once) and translate the answers.

    ``once_a_year``: the plan's year, to add the core's once-a-year rule (an annual
    plan); ``None`` for a single draw, whose mandatory units are the rules' own.
    """
    cols = units if isinstance(units, UnitColumns) else UnitColumns.of(units)
    decided = rules.evaluate(cols, context)
    if once_a_year is not None:
        decided = with_once_a_year(cols, decided, once_a_year)
    base = np.asarray(cols.column("risk_weight"), dtype=np.float64)
    return RuleParameters(decisions=decided, base_weights=base)


@attrs.frozen(kw_only=True, eq=False)
class Prepared:
    """What :func:`plan_year` knows before it uses the seed."""

    params: YearParameters
    units: list[Unit]
    inspectors: list[Inspector]
    experts: list[Expert]
    items: list[InspectionItem]
    columns: UnitColumns
    context: PlanContext
    decisions: UnitDecisions
    capacities: list[int]
    declared: tuple[Recusal, ...]
    office_teams: dict[str, tuple[str, ...]]
    commitment: YearCommitment


_REGISTRIES = ("units", "inspectors", "experts", "items")


def _sorted_fingerprint(records: Iterable[object], key: str, domain: str) -> str:
    ordered = sorted(records, key=lambda r: str(getattr(r, key)))
    return records_fingerprint(ordered, domain=domain)


def _content_fingerprints(
    units: list[Unit],
    inspectors: list[Inspector],
    experts: list[Expert],
    items: list[InspectionItem],
) -> dict[str, str]:
    """Each registry named by the canonical JSON of its records sorted by id."""
    return {
        "units": _sorted_fingerprint(units, "unit_id", "drawcore/units/1"),
        "inspectors": _sorted_fingerprint(inspectors, "inspector_id", "drawcore/inspectors/1"),
        "experts": _sorted_fingerprint(experts, "expert_id", "drawcore/experts/1"),
        "items": _sorted_fingerprint(items, "item_id", "drawcore/items/1"),
    }


@cycles_collected_after
def prepare(
    units: Iterable[Unit],
    inspectors: Iterable[Inspector],
    params: YearParameters,
    *,
    rules: Policy,
    experts: Iterable[Expert],
    items: Iterable[InspectionItem],
    conflicts: Iterable[DeclaredConflict],
    office_teams: OfficeTeams,
    snapshots: Mapping[str, str] | None = None,
) -> Prepared:
    """What the plan knows before its seed: the rules' decisions, the capacities and the
    commitment. ``snapshots``: the fingerprints of the registry snapshots a committed
    spec names (``units``, ``inspectors``, ``experts``, ``items``; ``docs/spec.md``
    §8.3), checked by the caller against the registries given; the commitment then
    names the registries by them instead of fingerprinting their records."""
    unit_list = list(units)
    all_inspectors = list(inspectors)
    all_experts = list(experts)
    active = [i for i in all_inspectors if i.active]
    expert_list = [e for e in all_experts if e.active]
    item_list = sorted(items, key=lambda it: it.item_id)
    declared = _declared(conflicts)
    teams = _office_teams(office_teams)
    counts = Counter(u.unit_id for u in unit_list)
    dupes = sorted(uid for uid, n in counts.items() if n > 1)
    if dupes:
        raise InvalidInputError(
            msg("unit ids appear more than once: {dupes}", dupes=", ".join(dupes[:10]))
        )
    periods = params.periods()
    context = PlanContext(
        year=params.year,
        rounds=params.rounds,
        start=params.as_of or periods[0][0],
        jurisdiction=rules.jurisdiction,
        registry_date=params.registry_date,
        inspector_expertise={e for i in active for e in i.expertise},
        expert_expertise={e for x in expert_list for e in x.expertise},
        experts=len(expert_list),
    )
    columns = UnitColumns.of(units if isinstance(units, UnitRegistry) else unit_list)
    translated = rule_parameters(columns, rules, context, once_a_year=params.year)
    ur = translated.decisions
    team_size = int(ur.team_size.max()) if unit_list else 2
    caps = params.capacities(len(active), team_size)
    open_count = sum(params.open_rounds())
    if params.amendment is not None:
        people = [i.inspector_id for i in active]
        caps = params.amendment.room(caps, people, params.tasks_per_inspector, team_size)
        planned = int(np.minimum(ur.times, open_count).sum())
        drawable = ~ur.excluded & (ur.times == 0) & (params.amendment.probabilities(ur.weights) > 0)
        limit = int(drawable.sum()) if params.random_ratio is None else 0
        check_room(params.amendment, caps, planned, limit)
    check_planned(np.minimum(ur.times, open_count).tolist(), caps)
    check_room_for_areas(
        columns,
        unit_list,
        ur,
        rules,
        context,
        active,
        expert_list,
        params.tasks_per_inspector,
        open_count,
    )
    commitment = YearCommitment(
        parameters=params,
        jurisdiction=rules.jurisdiction,
        plugins=rules.versions,
        capacities=tuple(caps),
        **(
            _content_fingerprints(unit_list, all_inspectors, all_experts, item_list)
            if snapshots is None
            else {name: snapshots[name] for name in _REGISTRIES}
        ),
        by_snapshot=snapshots is not None,
        declared_conflicts=fingerprint(declared, domain="drawcore/declared-conflicts/1"),
        office_teams=fingerprint(teams, domain="drawcore/office-teams/1"),
        mandatory=translated.unit_reasons(ur.mandatory_reasons),
        excluded=translated.unit_reasons(ur.exclusion_reasons),
        key_supervision=translated.key_supervision(),
        waived=translated.unit_reasons(ur.waiver_reasons),
    )
    return Prepared(
        params=params,
        units=unit_list,
        inspectors=active,
        experts=expert_list,
        items=item_list,
        columns=columns,
        context=context,
        decisions=ur,
        capacities=caps,
        declared=declared,
        office_teams=dict(teams),
        commitment=commitment,
    )
