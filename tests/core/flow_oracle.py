"""A small explicit max-flow (Dinic): the oracle of the placement tests.

The placement tests check ``fits`` (units into rounds, one seat per unit and
round) against a maximum flow over an explicit network built from this class.
"""

from __future__ import annotations

from collections import deque

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg

__all__ = ["FlowNetwork"]


class FlowNetwork:
    """A directed network with integer capacities; edges keep their insertion order."""

    def __init__(self, nodes: int = 0) -> None:
        self._adj: list[list[int]] = [[] for _ in range(nodes)]
        self._to: list[int] = []
        self._cap: list[int] = []  # residual capacity

    @property
    def edge_count(self) -> int:
        return len(self._to) // 2

    def add_node(self) -> int:
        self._adj.append([])
        return len(self._adj) - 1

    def add_edge(self, u: int, v: int, capacity: int) -> int:
        """Add ``u -> v``; returns the edge id (its reverse is ``id ^ 1``)."""
        e = len(self._to)
        self._to += [v, u]
        self._cap += [capacity, 0]
        self._adj[u].append(e)
        self._adj[v].append(e + 1)
        return e

    def push(self, edge: int, amount: int = 1) -> None:
        """Put ``amount`` of flow on ``edge`` (a warm start); capacity must allow it."""
        if self._cap[edge] < amount:
            raise InvalidInputError(
                msg(
                    "edge {edge} has residual {residual} < {amount}",
                    edge=edge,
                    residual=self._cap[edge],
                    amount=amount,
                )
            )
        self._cap[edge] -= amount
        self._cap[edge ^ 1] += amount

    def flow(self, edge: int) -> int:
        """Flow currently on ``edge`` (its reverse's residual capacity)."""
        return self._cap[edge ^ 1]

    def max_flow(self, source: int, sink: int) -> int:
        """Augment until no path remains; returns the flow *added* (Dinic)."""
        added = 0
        n = len(self._adj)
        to, cap, adj = self._to, self._cap, self._adj
        while True:
            level = [-1] * n
            level[source] = 0
            queue = deque([source])
            while queue:
                u = queue.popleft()
                for e in adj[u]:
                    v = to[e]
                    if cap[e] > 0 and level[v] < 0:
                        level[v] = level[u] + 1
                        queue.append(v)
            if level[sink] < 0:
                return added
            cursor = [0] * n
            while True:
                pushed = self._augment(source, sink, level, cursor)
                if not pushed:
                    break
                added += pushed

    def _augment(self, source: int, sink: int, level: list[int], cursor: list[int]) -> int:
        """One blocking-flow path of capacity >= 1, found by iterative DFS."""
        to, cap, adj = self._to, self._cap, self._adj
        path: list[int] = []
        u = source
        while True:
            if u == sink:
                amount = min(cap[e] for e in path)
                for e in path:
                    cap[e] -= amount
                    cap[e ^ 1] += amount
                return amount
            edges = adj[u]
            advanced = False
            while cursor[u] < len(edges):
                e = edges[cursor[u]]
                v = to[e]
                if cap[e] > 0 and level[v] == level[u] + 1:
                    path.append(e)
                    u = v
                    advanced = True
                    break
                cursor[u] += 1
            if not advanced:
                if not path:
                    return 0
                level[u] = -1  # dead end: prune
                e = path.pop()
                u = to[e ^ 1]
                cursor[u] += 1
