"""The fallback's network (spec §10.7 steps 4-6), held implicitly.

The network of §10.7 has an edge for every eligible (task, member) pair: at city scale
hundreds of thousands of tasks times thousands of inspectors. Here its flow is held as
what it means (each job's members, each member's load, the seat and pattern flows) and
a node's edge list is produced, in the order §10.7 step 4 fixes, only when Dinic's
search reads it, and only as far as the current phase can use it: an edge with no
residual capacity, or to a node not one level deeper, is passed over by the search in
any case. The breadth-first search levels the network only up to the sink's level (no
path of this phase goes further). So the flow found is the explicit network's, path for
path, in memory linear in jobs and members, and in time that grows with the part of
the network the search actually reaches, not with its size.

Edges are named by their kind and ends:

- ``("sg", j)`` source -> job ``g`` (capacity: seats less pattern sets);
- ``("st", j, t)`` source -> pattern set ``t`` of job ``j`` (1);
- ``("gx", j, i)`` job -> member ``i`` (1), through node ``p`` when ``i`` holds a set;
- ``("tp", j, t, i)`` set ``t`` -> ``p`` of (``j``, ``i``) (1);
- ``("pm", j, i)`` ``p`` -> member (1);
- ``("out", i)`` member -> sink, or -> its work unit (the member's room);
- ``("wo", w)`` work unit -> sink (its room).
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import eq, gt
from typing import Any, NoReturn, TypeAlias

from drawcore.draw.candidates import _Pool
from drawcore.draw.walk import _admits, _Job
from drawcore.errors import InvalidInputError
from drawcore.i18n import msg

Pattern: TypeAlias = tuple[frozenset[str], ...]
Node: TypeAlias = tuple[Any, ...]  # ("m", member), ("g", job), ("p", job, member), ...
Edge: TypeAlias = tuple[Any, ...]
Arc: TypeAlias = tuple[Edge, bool, Node]  # edge, forward?, the node it leads to

SOURCE: Node = ("S",)
SINK: Node = ("T",)
_ALL = object()  # the key of every unlevelled member, beside the sets per expert area


class ImplicitNetwork:
    """The §10.7 network of one pool for one choice of patterns, warm-started."""

    def __init__(
        self,
        pool: _Pool,
        jobs: list[_Job],
        patterns: list[Pattern | None],
        room: list[int],
        wroom: dict[str, int] | None,
        require_all: bool,
    ) -> None:
        self.pool, self.jobs, self.room, self.wroom = pool, jobs, room, wroom
        self.require_all = require_all
        self.sets: list[Pattern] = [p or () for p in patterns]
        self.flow: dict[Edge, int] = {}  # other edges' flow (see flow_on)
        self._sg = [0] * len(jobs)
        self._outf = [0] * pool.size
        self.team: list[set[int]] = [set() for _ in jobs]  # members with flow in, per job
        self.into: list[set[int]] = [set() for _ in range(pool.size)]  # jobs, per member
        self._read: list[dict[int, int] | None] = [None] * len(jobs)
        self.moved: set[int] = set()  # the jobs whose team the search changed
        self._holds: dict[tuple[int, int], tuple[int, ...]] = {}
        # no job has pattern sets: every job's edges go g -> member (the common case)
        self.plain = not any(self.sets)
        self._by_unit: dict[str, list[int]] = {}
        for i, wu in enumerate(pool.work_units):
            self._by_unit.setdefault(wu, []).append(i)

    # ------------------------------------------------------------------ the network's shape

    def eligible(self, j: int, i: int) -> bool:
        """§10.7 step 1: the walk's eligibility rule."""
        return _admits(self.pool, self.jobs[j], self.require_all, i)

    def holds(self, j: int, i: int) -> tuple[int, ...]:
        """The pattern sets of job ``j`` member ``i`` holds (then it has a node ``p``)."""
        sets = self.sets[j]
        if not sets:
            return ()
        got = self._holds.get((j, i))
        if got is None:
            held = self.pool.expertise[i]
            got = tuple(t for t, s in enumerate(sets) if s <= held)
            self._holds[(j, i)] = got
        return got

    def _rank(self, j: int, i: int) -> tuple[int, int]:
        """Position of member ``i`` in job ``j``'s list: the walk's reading, then ascending."""
        read = self._read[j]
        if read is None:
            read = {}
            for c in self.jobs[j].candidates:
                read.setdefault(c, len(read))
            self._read[j] = read
        at = read.get(i)
        return (0, at) if at is not None else (1, i)

    def capacity(self, e: Edge) -> int:
        kind = e[0]
        if kind == "sg":
            j = e[1]
            return self.jobs[j].seats - len(self.sets[j])
        if kind == "out":
            i = e[1]
            return self.room[i]
        if kind == "wo":
            assert self.wroom is not None
            wu = e[1]
            return self.wroom[wu]
        return 1

    def flow_on(self, e: Edge) -> int:
        """The flow on edge ``e``: seat and member-out edges in lists, a job's edge to a
        member with no node ``p`` as the job's team, the rest in a dict."""
        kind = e[0]
        if kind == "sg":
            return self._sg[e[1]]
        if kind == "out":
            return self._outf[e[1]]
        if kind == "gx" and not self.holds(e[1], e[2]):
            return 1 if e[2] in self.team[e[1]] else 0
        return self.flow.get(e, 0)

    def residual(self, arc: Arc) -> int:
        e, forward, _ = arc
        f = self.flow_on(e)
        return self.capacity(e) - f if forward else f

    def send(self, arc: Arc, amount: int) -> None:
        e, forward, _ = arc
        f = self.flow_on(e) + (amount if forward else -amount)
        kind = e[0]
        if kind == "sg":
            self._sg[e[1]] = f
        elif kind == "out":
            self._outf[e[1]] = f
        elif kind == "pm" or (kind == "gx" and not self.holds(e[1], e[2])):
            j, i = e[1], e[2]  # a member's flow into a job: its team
            self.moved.add(j)
            if f:
                self.team[j].add(i)
                self.into[i].add(j)
            else:
                self.team[j].discard(i)
                self.into[i].discard(j)
            if kind == "pm":
                self._store(e, f)
        else:
            self._store(e, f)

    def _store(self, e: Edge, f: int) -> None:
        if f:
            self.flow[e] = f
        else:
            self.flow.pop(e, None)

    def _out(self, i: int) -> Arc:
        wu = self.pool.work_units[i]
        return (("out", i), True, SINK if self.wroom is None else ("w", wu))

    def _to_member(self, j: int, i: int) -> Arc:
        """Job ``j``'s edge towards member ``i``: to its node ``p``, or to the member."""
        if self.holds(j, i):
            return (("gx", j, i), True, ("p", j, i))
        return (("gx", j, i), True, ("m", i))

    def _from_member(self, j: int, i: int) -> Arc:
        """Member ``i``'s reverse edge back into job ``j`` (residual = the flow in)."""
        if self.holds(j, i):
            return (("pm", j, i), False, ("p", j, i))
        return (("gx", j, i), False, ("g", j))

    def _p_arcs(self, j: int, i: int) -> list[Arc]:
        """Node ``p`` of (job, member): back to ``g``, back to each held set, on to the member."""
        arcs: list[Arc] = [(("gx", j, i), False, ("g", j))]
        arcs += [(("tp", j, t, i), False, ("s", j, t)) for t in self.holds(j, i)]
        arcs.append((("pm", j, i), True, ("m", i)))
        return arcs

    def _source_arcs(self) -> Iterator[Arc]:
        for j in range(len(self.jobs)):
            yield (("sg", j), True, ("g", j))
            for t in range(len(self.sets[j])):
                yield (("st", j, t), True, ("s", j, t))

    # ------------------------------------------------------------------ warm start (step 5)

    def warm(self, j: int, fit: dict[int, int]) -> None:
        """The walk's team of job ``j`` sends its flow, member by member in acceptance order."""
        members = self.jobs[j].members
        if not self.sets[j] and self.wroom is None:  # the common case: g -> member -> sink
            if len(members) > self.capacity(("sg", j)):
                _over(("sg", j), self.capacity(("sg", j)), len(members))
            self._sg[j] = len(members)
            team, outf, room = self.team[j], self._outf, self.room
            for m in members:
                if outf[m] >= room[m]:
                    _over(("out", m), room[m] - outf[m], 1)
                outf[m] += 1
                team.add(m)
                self.into[m].add(j)
            return
        for m in members:
            if m in fit:
                t = fit[m]
                path: list[Arc] = [
                    (("st", j, t), True, ("s", j, t)),
                    (("tp", j, t, m), True, ("p", j, m)),
                ]
            else:
                path = [(("sg", j), True, ("g", j)), self._to_member(j, m)]
            if self.holds(j, m):
                path.append((("pm", j, m), True, ("m", m)))
            path.append(self._out(m))
            if self.wroom is not None:
                path.append((("wo", self.pool.work_units[m]), True, SINK))
            for arc in path:
                if self.residual(arc) < 1:
                    _over(arc[0], self.residual(arc), 1)
                self.send(arc, 1)

    def warm_plain(self) -> None:
        """:meth:`warm` of every job, in job order, for a network without pattern sets or
        work-unit caps (each job's walk team as it is); the first edge it would overfill
        is named as :meth:`warm` names it."""
        jobs, room, outf = self.jobs, self.room, self._outf
        sg = [len(job.members) for job in jobs]
        for job in jobs:
            for m in job.members:
                outf[m] += 1
        if any(map(gt, sg, (job.seats for job in jobs))) or any(map(gt, outf, room)):
            self._outf = [0] * len(outf)  # warmed again job by job, up to the edge
            for j in range(len(jobs)):
                self.warm(j, {})
        self._sg = sg
        self.team = [set(job.members) for job in jobs]
        into = self.into
        for j, job in enumerate(jobs):
            for m in job.members:
                into[m].add(j)

    # ------------------------------------------------------------------ Dinic (step 6)

    def max_flow(self) -> None:
        while True:
            levels = _Levels(self)
            if not levels.reach():
                return
            levels.blocking_flow()

    def seated(self) -> bool:
        """Whether every job's seat edges carry its seats (a network without pattern sets)."""
        return all(map(eq, self._sg, (job.seats for job in self.jobs)))

    def result(self) -> list[tuple[list[int], bool]]:
        """Each job's members (ascending) and whether its seat edges carry its seats."""
        if self.plain:
            return [
                (sorted(team), sg == job.seats)
                for team, sg, job in zip(self.team, self._sg, self.jobs, strict=True)
            ]
        out = []
        for j, job in enumerate(self.jobs):
            seats = self._sg[j]
            seats += sum(self.flow.get(("st", j, t), 0) for t in range(len(self.sets[j])))
            out.append((sorted(self.team[j]), seats == job.seats))
        return out


def _over(edge: Edge, residual: int, amount: int) -> NoReturn:
    """The warm start would put more flow on ``edge`` than it can carry."""
    raise InvalidInputError(
        msg(
            "edge {edge} has residual {residual} < {amount}",
            edge=repr(edge),
            residual=residual,
            amount=amount,
        )
    )


class _Levels:
    """One phase of Dinic: levels by breadth-first search, then the blocking flow."""

    def __init__(self, net: ImplicitNetwork) -> None:
        self.net = net
        self.level: dict[Node, int] = {SOURCE: 0}
        self.members_at: dict[int, list[int]] = {}
        self.p_at: dict[int, dict[int, list[int]]] = {}
        self.sink_level = -1
        self._unlevelled: set[int] = set(range(net.pool.size))
        self._unlevelled_by: dict[object, set[int]] = {}
        # each of those sets' size when last copied: a set emptied by discards keeps its
        # table, and reading it costs the table's size, not its members'
        self._sized: dict[object, int] = {_ALL: net.pool.size}

    # ---- breadth-first search, up to the sink's level

    def _set(self, v: Node, d: int) -> bool:
        """Give ``v`` level ``d`` if it has none; whether it was new."""
        if v in self.level:
            return False
        self.level[v] = d
        if v[0] == "m":
            i = v[1]
            self.members_at.setdefault(d, []).append(i)
            self._unlevelled.discard(i)
            for group in self._unlevelled_by.values():
                group.discard(i)
        elif v[0] == "p":
            j, i = v[1], v[2]
            self.p_at.setdefault(d, {}).setdefault(j, []).append(i)
        return True

    def _candidates(self, j: int) -> set[int]:
        """Members not yet levelled that job ``j``'s area admits (all, outside the expert pool)."""
        net = self.net
        req = net.jobs[j].requirement
        if not net.require_all or req is None:
            every = self._unlevelled
            if 4 * len(every) < self._sized[_ALL]:
                every = self._unlevelled = set(every)
                self._sized[_ALL] = len(every)
            return every
        group = self._unlevelled_by.get(req)
        if group is None:
            expertise = net.pool.expertise
            group = {i for i in self._unlevelled if req in expertise[i]}
            self._unlevelled_by[req] = group
            self._sized[req] = len(group)
        elif 4 * len(group) < self._sized[req]:
            group = self._unlevelled_by[req] = set(group)
            self._sized[req] = len(group)
        return group

    def _spread(self, u: Node) -> Iterator[Node]:
        """The nodes not yet levelled that ``u`` reaches by an edge with residual capacity."""
        net, kind = self.net, u[0]
        if kind == "S":
            if net.plain:  # only seat edges, in job order: residual = seats - flow
                for j, (sg, job) in enumerate(zip(net._sg, net.jobs, strict=True)):
                    if sg < job.seats:
                        yield ("g", j)
                return
            for arc in net._source_arcs():
                if net.residual(arc) > 0:
                    yield arc[2]
        elif kind == "g":
            j = u[1]
            team, flow = net.team[j], net.flow
            for i in list(self._candidates(j)):
                if i not in team and not net.holds(j, i) and net.eligible(j, i):
                    yield ("m", i)
            if net.sets[j]:
                for i in range(net.pool.size):
                    if net.holds(j, i) and ("gx", j, i) not in flow and net.eligible(j, i):
                        yield ("p", j, i)
        elif kind == "s":
            j, t = u[1], u[2]
            for i in range(net.pool.size):
                if t in net.holds(j, i) and ("tp", j, t, i) not in net.flow and net.eligible(j, i):
                    yield ("p", j, i)
        elif kind == "p":
            j, i = u[1], u[2]
            for arc in net._p_arcs(j, i):
                if net.residual(arc) > 0:
                    yield arc[2]
        elif kind == "m":
            i = u[1]
            out = net._out(i)
            if net.residual(out) > 0:
                yield out[2]
            if net.plain:  # no node p: back to each job the member serves
                for j in net.into[i]:
                    yield ("g", j)
                return
            for j in net.into[i]:
                yield net._from_member(j, i)[2]
        elif kind == "w":
            wu = u[1]
            if net.residual((("wo", wu), True, SINK)) > 0:
                yield SINK
            for i in net._by_unit[wu]:
                if net._outf[i] > 0:
                    yield ("m", i)

    def reach(self) -> bool:
        """Level the network layer by layer until the sink; whether it is reached."""
        layer = [SOURCE]
        d = 0
        while layer:
            nxt: list[Node] = []
            for u in layer:
                for v in self._spread(u):
                    if v == SINK:
                        self.level[SINK] = self.sink_level = d + 1
                        return True
                    if self._set(v, d + 1):
                        nxt.append(v)
            layer, d = nxt, d + 1
        return False

    # ---- depth-first search along each node's edge list (§10.7 step 6)

    def _admissible(self, u: Node) -> list[Arc]:
        """``u``'s edges, in list order, with residual capacity to a node one level deeper
        (at the sink's level, only the sink)."""
        net, level = self.net, self.level
        d = level[u] + 1
        kind = u[0]
        arcs: list[Arc]
        if kind == "S":
            arcs = list(net._source_arcs())
        elif kind == "g":
            j = u[1]
            reached = [i for i in self.members_at.get(d, []) if not net.holds(j, i)]
            reached += self.p_at.get(d, {}).get(j, [])
            ranked = sorted(
                {i for i in reached if net.eligible(j, i)}, key=lambda i: net._rank(j, i)
            )
            arcs = [net._to_member(j, i) for i in ranked]
        elif kind == "s":
            j, t = u[1], u[2]
            held = [i for i in self.p_at.get(d, {}).get(j, []) if t in net.holds(j, i)]
            arcs = [
                (("tp", j, t, i), True, ("p", j, i))
                for i in sorted(held, key=lambda i: net._rank(j, i))
            ]
        elif kind == "p":
            j, i = u[1], u[2]
            arcs = net._p_arcs(j, i)
        elif kind == "m":
            i = u[1]
            arcs = [net._out(i)] + [net._from_member(j, i) for j in sorted(net.into[i])]
        elif kind == "w":
            wu = u[1]
            arcs = [(("wo", wu), True, SINK)]
            arcs += [(("out", i), False, ("m", i)) for i in net._by_unit[wu]]
        else:
            arcs = []
        return [
            a
            for a in arcs
            if level.get(a[2]) == d and (d < self.sink_level or a[2] == SINK) and net.residual(a)
        ]

    def blocking_flow(self) -> None:
        net, level = self.net, self.level
        lists: dict[Node, list[Arc]] = {}
        cursor: dict[Node, int] = {}
        while True:
            path: list[tuple[Arc, Node]] = []
            u = SOURCE
            while u != SINK:
                arcs = lists.get(u)
                if arcs is None:
                    arcs = lists[u] = self._admissible(u)
                c = cursor.get(u, 0)
                while c < len(arcs):
                    arc = arcs[c]
                    if net.residual(arc) > 0 and level.get(arc[2]) == level[u] + 1:
                        break
                    c += 1
                cursor[u] = c
                if c < len(arcs):
                    path.append((arcs[c], u))
                    u = arcs[c][2]
                    continue
                if not path:
                    return
                level[u] = -1  # dead end
                _, u = path.pop()
                cursor[u] += 1
            amount = min(net.residual(arc) for arc, _ in path)
            for arc, _ in path:
                net.send(arc, amount)
