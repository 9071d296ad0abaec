"""The common team draw over arrays: plain unit ids, one registry, recusal and one cap.

:func:`drawcore.assign_teams` on plain unit ids (no expertise, no work-unit caps,
no departments) is the case a city runs at scale. It follows the published
procedure (``docs/spec.md`` §10.3-10.4) step by step, but keeps recusal as one
sorted array of ``task * I + inspector`` keys and reads every task's first
candidates and their recusal in one vectorised pass; only the workload count,
which carries from task to task, is a Python loop over small lists. The teams
are exactly those of the general walk. When the walk would leave a task short
(the fallback's case), or an input is not of the plain kind, it answers
``None`` and the general path, which also gives every error, takes over.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import itemgetter

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.candidates import _Candidates, _caps, _Pool, _pool, _positions
from drawcore.draw.randomness import DrawKey, hash_ids
from drawcore.draw.team_model import MIN_TEAM_SIZE
from drawcore.i18n import msg

__all__: list[str] = []

I64Array = npt.NDArray[np.int64]


def _processing_order(key: DrawKey, unit_ids: Sequence[str]) -> list[int]:
    """Task indices ascending by (order hash, unit id): step 1 of the procedure."""
    if not unit_ids:
        return []
    oh = hash_ids(key.child("order"), unit_ids)
    by_hash = np.argsort(oh, kind="stable")
    ranked = oh[by_hash]
    if not (ranked[1:] == ranked[:-1]).any():
        order: list[int] = by_hash.tolist()
        return order
    # a 64-bit hash collision: break the tie by unit id
    return sorted(range(len(unit_ids)), key=lambda n: (int(oh[n]), unit_ids[n]))


def _plain_ids(unit_ids: list[object]) -> list[str] | None:
    """The unit ids when every one is a non-empty ``str`` and none repeats."""
    if set(map(type, unit_ids)) != {str}:
        return None
    ids: list[str] = unit_ids  # type: ignore[assignment]
    distinct = set(ids)
    return ids if len(distinct) == len(ids) and "" not in distinct else None


def _conflict_keys(
    items: list[object], task_index: dict[str, int], inspector_index: dict[str, int]
) -> I64Array | None:
    """Sorted, distinct ``task * I + inspector`` keys of the pairs inside the draw.

    ``None`` unless every item is a plain ``(inspector_id, unit_id)`` tuple of
    ``str`` (reasons do not change a team; other shapes take the general path).
    """
    if not items:
        return np.empty(0, dtype=np.int64)
    if set(map(type, items)) != {tuple} or set(map(len, items)) != {2}:  # type: ignore[arg-type]
        return None
    pairs: list[tuple[object, object]] = items  # type: ignore[assignment]
    iids = list(map(itemgetter(0), pairs))
    uids = list(map(itemgetter(1), pairs))
    n = len(items)
    try:
        tasks = np.fromiter(map(task_index.get, uids, repeat(-1, n)), dtype=np.int64, count=n)
        staff = np.fromiter(map(inspector_index.get, iids, repeat(-1, n)), np.int64, count=n)
    except TypeError:  # an id that is not even hashable
        return None
    # an id found in an index is a str; any other must be one too (ignored, not wrong)
    unknown = np.flatnonzero((tasks < 0) | (staff < 0)).tolist()
    if not all(type(uids[k]) is str and type(iids[k]) is str for k in unknown):
        return None
    inside = (tasks >= 0) & (staff >= 0)
    keys: I64Array = tasks[inside] * len(inspector_index) + staff[inside]
    keys.sort()
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if keys.size else keys


def _recused(keys: I64Array, probe: I64Array) -> npt.NDArray[np.bool_]:
    """Which of ``probe`` are among the sorted ``keys``."""
    if keys.size == 0:
        return np.zeros(probe.shape, dtype=bool)
    at = np.minimum(np.searchsorted(keys, probe), keys.size - 1)
    found: npt.NDArray[np.bool_] = keys[at] == probe
    return found


def assign_plain(
    unit_ids: Iterable[str],
    inspectors: object,
    *,
    seed: str | bytes,
    draw_id: str,
    team_size: int,
    conflicts: object,
    max_tasks: object,
) -> dict[str, tuple[str, ...]] | None:
    """Unit id -> sorted inspector ids, as the general walk gives them; ``None`` when the
    inputs are not plain or a task is left short (the general path then decides)."""
    if type(team_size) is not int or team_size < MIN_TEAM_SIZE:
        return None
    if not isinstance(draw_id, str) or not draw_id:
        return None
    units = _plain_ids(list(unit_ids))
    if not units:
        return None
    key = DrawKey.derive(seed, draw_id)
    pool = _pool("inspectors", inspectors, key, msg("inspector"))
    size = pool.size
    if size < team_size:
        return None
    caps = _caps(max_tasks, pool.ids, "max_tasks")
    if isinstance(conflicts, str | bytes) or not isinstance(conflicts, Iterable):
        return None
    keys = _conflict_keys(
        list(conflicts), dict(zip(units, range(len(units)), strict=True)), pool.index
    )
    if keys is None:
        return None
    order = np.array(_processing_order(key, units), dtype=np.int64)
    h = hash_ids(pool.key.child("unit"), units)[order]
    heads = _positions(pool, h, 0, min(team_size + 4, 2 * size))
    width = heads.shape[1]
    named_before = np.zeros(heads.shape, dtype=bool)  # repeats are skipped (§10.3)
    for w in range(1, width):
        named_before[:, w] = (heads[:, :w] == heads[:, w : w + 1]).any(axis=1)
    eligible = ~named_before
    recusing = np.zeros(len(units), dtype=bool)  # the tasks some pair recuses from
    recusing[keys // size] = True
    probe = np.flatnonzero(recusing[order])
    eligible[probe] &= ~_recused(keys, order[probe, None] * size + heads[probe])
    caps_arr = np.array(caps, dtype=np.int64)
    q, first = _uncapped_prefix(heads, eligible, caps_arr, team_size)
    counts: list[int] = np.bincount(first.ravel(), minlength=size).tolist()
    # from task q on a cap binds: the workload count carries from task to task. Each head
    # row has the candidates passed over for recusal, and repeats, marked -1.
    rows: list[list[int]] = np.where(eligible[q:], heads[q:], -1).tolist()
    rest = _Rest(pool, keys, counts, caps)
    teams: list[list[int]] = []
    for n, row in enumerate(rows, start=q):
        team: list[int] = []
        for c in row:
            if c >= 0 and counts[c] < caps[c]:
                team.append(c)
                counts[c] += 1
                if len(team) == team_size:
                    break
        else:
            if not rest.fill(team, team_size, h[n], heads[n].tolist(), int(order[n])):
                return None  # short: the general path's fallback decides
        teams.append(team)
    later = np.array(teams, dtype=np.int64).reshape(len(teams), team_size)
    members = np.sort(np.concatenate((first, later)), axis=1)
    by_task = np.empty_like(members)
    by_task[order] = members
    ranked = sorted(range(len(units)), key=units.__getitem__)
    names = np.array(pool.ids, dtype=object)[by_task[ranked]].tolist()
    return dict(zip([units[t] for t in ranked], map(tuple, names), strict=True))


def _uncapped_prefix(
    heads: I64Array, eligible: npt.NDArray[np.bool_], caps: I64Array, seats: int
) -> tuple[int, I64Array]:
    """How many tasks, in processing order, the walk staffs before any cap binds, and
    their teams (in acceptance order).

    Until an inspector reaches its cap, each task takes the first ``seats`` eligible
    candidates of its head row; the first task that would count an inspector past
    its cap, or that needs more than its head row, ends the prefix.
    """
    rank = np.cumsum(eligible, axis=1)
    take = eligible & (rank <= seats)
    enough = rank[:, -1] >= seats
    stop = int(np.argmin(enough)) if not enough.all() else heads.shape[0]
    chosen = heads[:stop][take[:stop]]  # row by row: tasks in order, each its team in order
    task = np.repeat(np.arange(stop), seats)
    by_inspector = np.argsort(chosen, kind="stable")
    ranked = chosen[by_inspector]
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    group = np.repeat(starts, np.diff(np.append(starts, ranked.size)))
    load_before = np.empty_like(chosen)
    load_before[by_inspector] = np.arange(ranked.size) - group
    over = load_before >= caps[chosen]
    if over.any():
        stop = int(task[over].min())
    return stop, chosen[: stop * seats].reshape(stop, seats)


@attrs.define
class _Rest:
    """The walk past a task's head row (rare: the head's candidates were all taken)."""

    pool: _Pool
    keys: I64Array
    counts: list[int]
    caps: list[int]
    _recused: set[int] | None = None

    def fill(self, team: list[int], seats: int, h: np.uint64, head: list[int], task: int) -> bool:
        """Read the candidate order after ``head`` until ``team`` has ``seats`` members;
        False when the whole pool is read first (the task is short)."""
        if self._recused is None:
            self._recused = set(self.keys.tolist())
        recused = self._recused
        cands = _Candidates(self.pool, h, head)
        k = len(cands.order)
        base = task * self.pool.size
        while len(team) < seats:
            c = cands.get(k)
            if c is None:
                return False
            k += 1
            if base + c in recused or self.counts[c] >= self.caps[c]:
                continue
            team.append(c)
            self.counts[c] += 1
        return True
