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
from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.i18n import Text, joined, msg
from drawcore.model import Expert, InspectionItem, InspectionMode, Inspector, Unit
from drawcore.plan.amendment import check_room
from drawcore.plan.collection import cycles_collected_after
from drawcore.plan.once_a_year import with_once_a_year
from drawcore.plan.parameters import YearParameters
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
        for i in np.flatnonzero(
            (d.experts > 0) | np.fromiter((bool(e) for e in d.expertise), bool, len(d.expertise))
        ).tolist():
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


def _sorted_fingerprint(records: Iterable[object], key: str, domain: str) -> str:
    ordered = sorted(records, key=lambda r: str(getattr(r, key)))
    return records_fingerprint(ordered, domain=domain)


Areas = frozenset[str]


def _room_cut(
    demand: Mapping[Areas, int], kinds: Mapping[Areas, int]
) -> tuple[list[Areas], list[Areas]] | None:
    """The asked area sets whose places the people able to take them cannot hold, and
    the kinds of those people; ``None`` when every place fits.

    ``demand``: places per set of areas, a place taken by anyone holding one of them
    (the empty set: by anyone); ``kinds``: the room of the people holding exactly each
    set of the asked areas. The places fit if and only if no group of the asked sets
    asks more than the people holding any of their areas give (Hall's condition); a
    maximum flow from the asked sets to the kinds of people finds such a group when
    there is one: the sets the source still reaches. The flow starts greedy (each set
    takes the room of the kinds serving it, the sets served by the fewest kinds first,
    the kinds holding the fewest areas first) and is completed by blocking flows
    (Dinic), so that thousands of kinds of people stay quick.
    """
    asked, held = sorted(demand, key=sorted), sorted(kinds, key=sorted)
    source, sink, first_kind = 0, 1, 2 + len(asked)
    nodes = first_kind + len(held)
    head: list[int] = []  # edge -> the node it leads to; edge ^ 1 is its reverse
    room: list[int] = []  # edge -> its capacity left
    out: list[list[int]] = [[] for _ in range(nodes)]

    def edge(a: int, b: int, c: int) -> int:
        out[a].append(len(head))
        head.append(b)
        room.append(c)
        out[b].append(len(head))
        head.append(a)
        room.append(0)
        return len(head) - 2

    def push(path: Sequence[int], amount: int) -> None:
        for e in path:
            room[e] -= amount
            room[e ^ 1] += amount

    total = sum(demand.values())
    to_sink = [edge(first_kind + k, sink, kinds[kind]) for k, kind in enumerate(held)]
    flow = 0
    serving = []
    for n, areas in enumerate(asked):
        from_source = edge(source, 2 + n, demand[areas])
        able = [k for k, kind in enumerate(held) if not areas or areas & kind]
        able.sort(key=lambda k: (len(held[k]), k))
        serving.append(
            (len(able), n, from_source, [(edge(2 + n, first_kind + k, total), k) for k in able])
        )
    for _, _, from_source, links in sorted(serving):
        for middle, k in links:
            amount = min(room[from_source], room[to_sink[k]])
            if amount > 0:
                push((from_source, middle, to_sink[k]), amount)
                flow += amount
    while True:
        level = [-1] * nodes
        level[source] = 0
        queue = [source]
        for node in queue:  # breadth first: the queue grows as it is read
            for e in out[node]:
                if room[e] > 0 and level[head[e]] < 0:
                    level[head[e]] = level[node] + 1
                    queue.append(head[e])
        if level[sink] < 0:
            break
        next_edge = [0] * nodes
        while True:  # paths of the level graph, each edge tried once per level graph
            path: list[int] = []
            node = source
            while node != sink:
                edges = out[node]
                while next_edge[node] < len(edges):
                    e = edges[next_edge[node]]
                    if room[e] > 0 and level[head[e]] == level[node] + 1:
                        break
                    next_edge[node] += 1
                else:
                    if node == source:
                        break
                    level[node] = -1  # a dead end in this level graph
                    node = head[path.pop() ^ 1]
                    next_edge[node] += 1
                    continue
                path.append(edges[next_edge[node]])
                node = head[path[-1]]
            if node != sink:
                break
            amount = min(room[e] for e in path)
            push(path, amount)
            flow += amount
    if flow == total:
        return None
    return (
        [a for n, a in enumerate(asked) if level[2 + n] >= 0],
        [h for k, h in enumerate(held) if level[first_kind + k] >= 0],
    )


@attrs.frozen
class _Shortfall:
    """Planned places that the people able to take them cannot hold (:func:`_short`)."""

    needed: int
    areas: Text
    units: list[str]
    people: int
    available: int

    @property
    def named(self) -> str:
        return ", ".join(self.units[:5])

    @property
    def more(self) -> str:
        return " ..." if len(self.units) > 5 else ""

    def told(self, per: int, rounds_used: int) -> dict[str, object]:
        """The values a message of this shortfall names."""
        return {
            "needed": self.needed,
            "areas": self.areas,
            "units": self.named,
            "more": self.more,
            "people": self.people,
            "per": per,
            "rounds_used": rounds_used,
            "available": self.available,
            "short": self.needed - self.available,
        }


def _short(
    needs: Sequence[tuple[str, Areas, int]],
    people: Iterable[Sequence[str]],
    room: int,
) -> _Shortfall | None:
    """Whether places fit: ``needs`` are (unit, areas, places): the unit's planned
    places, each taken by one person holding one of ``areas`` (any person when empty);
    ``people`` the areas each active person holds, each taking at most ``room`` places."""
    demand: dict[Areas, int] = {}
    asking: dict[Areas, list[str]] = {}
    for unit_id, areas, places in needs:
        demand[areas] = demand.get(areas, 0) + places
        asking.setdefault(areas, []).append(unit_id)
    wanted = frozenset().union(*demand)
    kinds: dict[Areas, int] = {}
    for holds in people:
        kind = wanted.intersection(holds)
        kinds[kind] = kinds.get(kind, 0) + room
    cut = _room_cut(demand, kinds)
    if cut is None:
        return None
    asked, held_by = cut
    units = sorted(u for a in asked for u in asking[a])
    names = sorted({a for areas in asked for a in areas})
    shown = joined(names if all(asked) else [*names, msg("any area")], ", ")
    available = sum(kinds[h] for h in held_by)
    return _Shortfall(
        needed=sum(demand[a] for a in asked),
        areas=shown,
        units=units,
        people=available // room,
        available=available,
    )


def _check_room_for_areas(
    columns: UnitColumns,
    units: Sequence[Unit],
    ur: UnitDecisions,
    rules: Policy,
    context: PlanContext,
    inspectors: Sequence[Inspector],
    experts: Sequence[Expert],
    per: int,
    rounds_used: int,
) -> None:
    """Planned tasks that ask for an expertise or for industry experts must fit the people
    who hold it (TJ-8), before the seed: each active person takes at most ``per`` tasks
    a round over the ``rounds_used`` open rounds. An expert seat takes an expert of the
    task's expert area (any expert when none); a team asking for areas takes at least
    one inspector holding one of them. A task the rules inspect generally (TJ-5: the
    office's team) takes neither."""
    times = np.minimum(ur.times, rounds_used)
    asks = np.fromiter((bool(e) for e in ur.expertise), np.bool_, len(ur.expertise))
    rows = np.flatnonzero((times > 0) & ((ur.experts > 0) | asks)).tolist()
    if not rows:
        return
    modes = rules.inspection_modes(
        columns.take(rows, [units[i] for i in rows]), context, planned=[True] * len(rows)
    )
    drawn = [i for i, m in zip(rows, modes, strict=True) if m.mode is not InspectionMode.GENERAL]
    room = per * rounds_used
    experts_short = _short(
        [
            (ur.unit_ids[i], frozenset(ur.expert_expertise[i][:1]), int(times[i] * ur.experts[i]))
            for i in drawn
            if ur.experts[i] > 0
        ],
        (e.expertise for e in experts),
        room,
    )
    if experts_short is not None:
        raise InfeasibleError(
            msg(
                "planned tasks need {needed} industry-expert place(s) in {areas} (units"
                " {units}{more}); the {people} active expert(s) who can take them x {per}"
                " task(s) each over {rounds_used} round(s) give {available}: short by {short}"
                " (TJ-8: add experts of these areas to the expert registry)",
                **experts_short.told(per, rounds_used),
            )
        )
    inspectors_short = _short(
        [(ur.unit_ids[i], frozenset(ur.expertise[i]), int(times[i])) for i in drawn if asks[i]],
        (i.expertise for i in inspectors),
        room,
    )
    if inspectors_short is not None:
        raise InfeasibleError(
            msg(
                "planned tasks need {needed} team place(s) for an inspector holding"
                " {areas} (units {units}{more}); the {people} active inspector(s) who"
                " hold them x {per} task(s) each over {rounds_used} round(s) give"
                " {available}: short by {short} (add inspectors with these areas to the"
                " inspector registry, or raise tasks_per_inspector)",
                **inspectors_short.told(per, rounds_used),
            )
        )


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
) -> Prepared:
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
    _check_room_for_areas(
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
        units=_sorted_fingerprint(unit_list, "unit_id", "drawcore/units/1"),
        inspectors=_sorted_fingerprint(all_inspectors, "inspector_id", "drawcore/inspectors/1"),
        experts=_sorted_fingerprint(all_experts, "expert_id", "drawcore/experts/1"),
        items=_sorted_fingerprint(item_list, "item_id", "drawcore/items/1"),
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
