"""Pools and the precommitted candidate order of every task.

A pool is one registry of people (inspectors of a department, or TJ-8 experts) in canonical
order, with its conflicts and caps. Each task's candidate order is a uniformly random
permutation of the pool, a pure function of (seed, draw id, pool, unit id, the set of ids):
see ``docs/spec.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.randomness import DrawKey, hash_ids, mix_columns, to_uniforms
from drawcore.draw.team_model import _UNLIMITED, EXPLICIT_REASON, InspectorsLike
from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.model import Expert, Inspector

__all__ = [
    "candidate_order",
]


@attrs.define
class _Pool:
    name: str
    ids: list[str]
    index: dict[str, int]
    work_units: list[str]
    expertise: list[frozenset[str]]
    key: DrawKey

    @property
    def size(self) -> int:
        return len(self.ids)


def _pool(name: str, members: object, key: DrawKey, kind: str) -> _Pool:
    if isinstance(members, str | bytes) or not isinstance(members, Iterable):
        raise InvalidInputError(
            msg(
                "{kind} ({name}) must be a collection of ids or records, got {type_name}",
                kind=kind,
                name=name,
                type_name=type(members).__name__,
            )
        )
    rows: dict[str, tuple[str, frozenset[str]]] = {}
    for n, item in enumerate(members):
        if isinstance(item, Inspector):
            if not item.active:
                continue
            iid, wu, exp = item.inspector_id, item.work_unit, frozenset(item.expertise)
        elif isinstance(item, Expert):
            if not item.active:
                continue
            iid, wu, exp = item.expert_id, item.employer, frozenset(item.expertise)
        elif isinstance(item, str) and item:
            iid, wu, exp = item, "", frozenset()
        else:
            raise InvalidInputError(
                msg(
                    "{kind} ({name}) item {n}: expected an id string or {kind} record, got {item}",
                    kind=kind,
                    name=name,
                    n=n,
                    item=repr(item),
                )
            )
        if iid in rows:
            raise InvalidInputError(
                msg("{kind} ({name}): id {iid} appears twice", kind=kind, name=name, iid=repr(iid))
            )
        rows[iid] = (wu, exp)
    ids = sorted(rows)
    return _Pool(
        name=name,
        ids=ids,
        index={i: n for n, i in enumerate(ids)},
        work_units=[rows[i][0] for i in ids],
        expertise=[rows[i][1] for i in ids],
        key=key.child(f"pool/{name}"),
    )


def _conflicts(
    conflicts: object, what: str, task_index: Mapping[str, int]
) -> dict[int, dict[str, str]]:
    """Task index -> {inspector id: reason}; pairs naming units outside the draw are ignored.

    Items are (inspector_id, unit_id[, reason]) tuples or records with those
    attributes (:class:`Recusal`, a plugin's conflict value).
    """
    if isinstance(conflicts, str | bytes) or not isinstance(conflicts, Iterable):
        raise InvalidInputError(
            msg("{what} must be an iterable of (inspector_id, unit_id) pairs", what=what)
        )
    out: dict[int, dict[str, str]] = {}
    for n, c in enumerate(conflicts):
        if type(c) is tuple and len(c) == 2:
            iid, uid, why = c[0], c[1], EXPLICIT_REASON
        elif isinstance(c, tuple | list) and len(c) == 3:
            iid, uid, why = c[0], c[1], c[2]
        elif hasattr(c, "inspector_id") and hasattr(c, "unit_id"):
            iid, uid, why = c.inspector_id, c.unit_id, str(getattr(c, "reason", EXPLICIT_REASON))
        else:
            iid = uid = why = None
        if not (isinstance(iid, str) and isinstance(uid, str) and isinstance(why, str)):
            raise InvalidInputError(
                msg(
                    "{what} item {n}: expected (inspector_id, unit_id[, reason]) strings, got {c}",
                    what=what,
                    n=n,
                    c=repr(c),
                )
            )
        t = task_index.get(uid)
        if t is not None:
            out.setdefault(t, {}).setdefault(iid, why)
    return out


def _caps(cap: object, ids: Sequence[str], what: str) -> list[int]:
    if cap is None:
        return [_UNLIMITED] * len(ids)
    if isinstance(cap, bool):
        raise InvalidInputError(
            msg("{what} must be an integer >= 0 or a mapping, got {cap}", what=what, cap=repr(cap))
        )
    if isinstance(cap, int):
        if cap < 0:
            raise InvalidInputError(msg("{what} must be >= 0, got {cap}", what=what, cap=cap))
        return [cap] * len(ids)
    if isinstance(cap, Mapping):
        for k, v in cap.items():
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InvalidInputError(
                    msg(
                        "{what}[{k}] must be an integer >= 0, got {v}",
                        what=what,
                        k=repr(k),
                        v=repr(v),
                    )
                )
        return [int(cap.get(i, _UNLIMITED)) for i in ids]
    raise InvalidInputError(
        msg("{what} must be an integer >= 0 or a mapping, got {cap}", what=what, cap=repr(cap))
    )


def _positions(
    pool: _Pool, h: npt.NDArray[np.uint64], start: int, count: int
) -> npt.NDArray[np.int64]:
    """Inspector indices at positions ``start .. start+count-1`` for each unit hash in ``h``."""
    n = h.shape[0]
    j = np.arange(start, start + count, dtype=np.uint64)
    mixed = mix_columns(pool.key.child("position"), np.repeat(h, count), np.tile(j, n))
    idx = (to_uniforms(mixed) * pool.size).astype(np.int64)
    return idx.reshape(n, count)


def _rest(pool: _Pool, h: np.uint64, seen: set[int]) -> list[int]:
    rank = mix_columns(
        pool.key.child("rest"),
        np.full(pool.size, h, dtype=np.uint64),
        hash_ids(pool.key.child("inspector"), pool.ids),
    )
    return [int(i) for i in np.argsort(rank, kind="stable") if int(i) not in seen]


class _Candidates:
    """Lazy candidate order of one task: precomputed head, then more on demand."""

    __slots__ = ("_done", "_h", "_pool", "_pos", "order", "seen")

    def __init__(self, pool: _Pool, h: np.uint64, head: list[int]) -> None:
        self._pool = pool
        self._h = h
        self._pos = len(head)  # next raw position to draw
        self._done = False
        self.order: list[int] = []
        self.seen: set[int] = set()
        self._take(head)

    def _take(self, raw: Iterable[int]) -> None:
        for c in raw:
            if c not in self.seen:
                self.seen.add(c)
                self.order.append(c)

    def get(self, k: int) -> int | None:
        """The ``k``-th candidate (0-based), or None when the whole pool is used up."""
        while k >= len(self.order):
            if self._done:
                return None
            limit = 2 * self._pool.size
            if self._pos < limit:
                count = min(max(16, self._pos), limit - self._pos)
                raw = _positions(self._pool, np.array([self._h], dtype=np.uint64), self._pos, count)
                self._pos += count
                self._take(raw[0].tolist())
            else:
                self._take(_rest(self._pool, self._h, self.seen))
                self._done = True
        return self.order[k]


def candidate_order(
    seed: str | bytes,
    unit_id: str,
    inspectors: InspectorsLike,
    *,
    draw_id: str = "teams",
    pool: str = "inspectors",
) -> tuple[str, ...]:
    """The full precommitted candidate order of one unit (step 2 of the module docstring).

    Anyone can recompute it from the published seed to check a team and its
    replacements. ``pool`` is ``"inspectors"``, ``"department/<name>"`` or ``"experts"``.
    """
    p = _pool(pool, inspectors, DrawKey.derive(seed, draw_id), msg("inspector"))
    if p.size == 0:
        return ()
    h = hash_ids(p.key.child("unit"), [unit_id])[0]
    cands = _Candidates(p, h, [])
    k = 0
    while cands.get(k) is not None:
        k += 1
    return tuple(p.ids[i] for i in cands.order)
