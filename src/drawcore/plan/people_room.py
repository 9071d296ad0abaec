"""Whether a plan's planned tasks that ask for an expertise or for industry experts fit
the people who hold it, decided before the seed (TJ-8).

:func:`check_room_for_areas` refuses a plan whose planned places one group of areas
cannot fill, naming the areas, the units, the people and the number missing, so that
no seed is drawn for a plan whose team draws must fail. It is called by
:func:`drawcore.plan.prepare.prepare`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs
import numpy as np

from drawcore.errors import InfeasibleError
from drawcore.i18n import Text, joined, msg
from drawcore.model import Expert, InspectionMode, Inspector, Unit
from drawcore.plan.policy import Policy, UnitDecisions
from drawcore.plugin.columns import UnitColumns
from drawcore.plugin.values import PlanContext

__all__ = ["Areas", "check_room_for_areas"]


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


def check_room_for_areas(
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
    asks = ur.asks_expertise
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
