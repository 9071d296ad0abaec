"""Hash-range buckets of the Dask draw: the shuffle, the sort, the lattice per bucket.

Only ``(stratum, id, pi)`` is shuffled into buckets whose boundaries follow from the
uniform order hash; each bucket is put in canonical order, balanced and selected with
the exact lattice total of the earlier buckets as its carry.
"""

from __future__ import annotations

from typing import Any, cast

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.lattice import (
    adjustable,
    canonical_order,
    lattice_increments,
    nudge_increments,
    systematic_select,
)
from drawcore.draw.probabilities import (
    probabilities_from_c,
)
from drawcore.draw.randomness import DrawKey, hash_ids
from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.i18n import msg
from drawcore.scale.partitions import BoolArray, F64Array, I64Array, Ids, _Buckets, _mod, _Part


@attrs.frozen
class _Piece:
    """Rows of one partition bound for one bucket; ``sid`` is ``None`` without strata."""

    sid: npt.NDArray[np.int32] | None
    ids: Ids
    pi: F64Array


def _empty_ids(kind: str) -> Ids:
    return np.zeros(0, dtype=np.uint64) if kind == "u" else np.zeros(0, dtype="S1")


def _pieces(
    part: _Part,
    cs: dict[int, float],
    order_keys: dict[int, DrawKey],
    plan: _Buckets,
    lifts: dict[int, int],
) -> tuple[Any, ...]:
    """Split a partition into one piece per bucket, plus its certain counts per stratum."""
    nb = plan.count
    stratified = plan.q.shape[0] > 1
    sids: list[npt.NDArray[np.int32]] = []
    ids_l: list[Ids] = []
    pis: list[F64Array] = []
    buckets: list[npt.NDArray[np.signedinteger[Any]]] = []
    certain: dict[int, int] = {}
    for s, a, b in part.bounds:
        pi = probabilities_from_c(part.free_w(a, b, lifts[s]), cs[s])
        if part.mand is not None:
            pi[part.mand[a:b]] = 1.0
        certain[s] = int(np.count_nonzero(pi == 1.0))
        ids = part.ids[a:b]
        buckets.append(plan.of(s, hash_ids(order_keys[s], ids)))
        if stratified:
            sids.append(np.full(b - a, s, dtype=np.int32))
        ids_l.append(ids)
        pis.append(pi)
    sid: npt.NDArray[np.int32] | None = None
    if buckets:
        bucket = np.concatenate(buckets)
        order = np.argsort(bucket, kind="stable")
        bucket = bucket[order]
        if stratified:
            sid = np.concatenate(sids)[order]
        ids_all = np.concatenate(ids_l)[order]
        pi_all = np.concatenate(pis)[order]
        del order
        cuts = np.searchsorted(bucket, np.arange(nb + 1))
    else:
        ids_all = _empty_ids(part.kind)
        pi_all = np.zeros(0, dtype=np.float64)
        cuts = np.zeros(nb + 1, dtype=np.int64)
    if stratified and sid is None:
        sid = np.zeros(0, dtype=np.int32)
    out: list[Any] = [
        _Piece(
            None if sid is None else sid[cuts[j] : cuts[j + 1]],
            ids_all[cuts[j] : cuts[j + 1]],
            pi_all[cuts[j] : cuts[j + 1]],
        )
        for j in range(nb)
    ]
    out.append(certain)
    return tuple(out)


@attrs.frozen
class _Group:
    """One stratum's units inside a bucket, in draw order."""

    stratum: int
    ids: Ids
    p: I64Array
    certain: BoolArray


@attrs.frozen
class _Bucket:
    index: int
    groups: tuple[_Group, ...]
    duplicates: tuple[Any, ...]


def _sort_bucket(
    j: int, kind: str, order_keys: dict[int, DrawKey], ms: dict[int, int], *pieces: _Piece
) -> _Bucket:
    """Concatenate a bucket's pieces and put each stratum in canonical order."""
    pieces = tuple(p for p in pieces if p.pi.shape[0])
    n = sum(p.pi.shape[0] for p in pieces)
    ids = np.concatenate([p.ids for p in pieces]) if n else _empty_ids(kind)
    pi = np.concatenate([p.pi for p in pieces]) if n else np.zeros(0)
    spans: list[tuple[int, int, int]] = [(0, 0, n)] if n else []
    if pieces and pieces[0].sid is not None and n:
        sid = np.concatenate([cast(npt.NDArray[np.int32], p.sid) for p in pieces])
        small = sid.astype(np.int16) if sid.max() < np.iinfo(np.int16).max else sid
        order = np.argsort(small, kind="stable")  # radix sort for int16
        del small
        sid, ids, pi = sid[order], ids[order], pi[order]
        del order
        cuts = np.flatnonzero(sid[1:] != sid[:-1]) + 1
        starts = np.concatenate([[0], cuts])
        stops = np.concatenate([cuts, [n]])
        spans = [(int(sid[a]), int(a), int(b)) for a, b in zip(starts, stops, strict=True)]
    groups: list[_Group] = []
    dups: list[Any] = []
    for s, a, b in spans:
        g_ids = ids[a:b]
        try:
            perm = canonical_order(hash_ids(order_keys[s], g_ids), g_ids)
        except InvalidInputError:
            vals, counts = np.unique(g_ids, return_counts=True)
            dups.extend(vals[counts > 1].tolist())
            continue
        g_pi = pi[a:b][perm]
        groups.append(_Group(s, g_ids[perm], lattice_increments(g_pi, ms[s]), g_pi == 1.0))
    return _Bucket(j, tuple(groups), tuple(dups))


def _bucket_stats(bucket: _Bucket) -> tuple[tuple[Any, ...], list[tuple[int, int]]]:
    """(duplicate ids, per group: (stratum, lattice total))."""
    return bucket.duplicates, [(g.stratum, int(g.p.sum())) for g in bucket.groups]


def _adjustable_counts(bucket: _Bucket, ms: dict[int, int], up: dict[int, bool]) -> dict[int, int]:
    return {
        g.stratum: int(np.count_nonzero(adjustable(g.p, up[g.stratum], ms[g.stratum])))
        for g in bucket.groups
        if g.stratum in up
    }


def _nudge(bucket: _Bucket, ms: dict[int, int], moves: dict[int, tuple[int, bool]]) -> _Bucket:
    """Apply one balancing pass: ``moves[stratum] = (units to move, up)`` on this bucket."""
    groups = []
    for g in bucket.groups:
        if g.stratum in moves:
            need, up = moves[g.stratum]
            p = g.p.copy()
            taken = nudge_increments(p, need, up, ms[g.stratum])
            if taken.size != need:
                raise InfeasibleError(
                    msg("the inclusion probabilities cannot be put on the lattice")
                )
            g = _Group(g.stratum, g.ids, p, g.certain)
        groups.append(g)
    return _Bucket(bucket.index, tuple(groups), bucket.duplicates)


def _select(
    bucket: _Bucket, starts: dict[int, int], ms: dict[int, int], carries: dict[int, int]
) -> Ids:
    chosen: list[Ids] = []
    for g in bucket.groups:
        hit, _ = systematic_select(g.p, starts[g.stratum], ms[g.stratum], carries[g.stratum])
        chosen.append(g.ids[g.certain | hit])
    if not chosen:
        return np.zeros(0, dtype=np.uint64)
    return np.concatenate(chosen)


def _probabilities_frame(bucket: _Bucket, ms: dict[int, int], text: bool) -> Any:
    pd = _mod("pandas")

    ids: list[Ids] = []
    probs: list[F64Array] = []
    for g in bucket.groups:
        pr = np.multiply(g.p, 2.0 ** -ms[g.stratum], dtype=np.float64)
        pr[g.certain] = 1.0
        ids.append(g.ids)
        probs.append(pr)
    all_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.uint64)
    col: Any = np.char.decode(all_ids.astype("S")).astype(object) if text else all_ids
    return pd.DataFrame({"id": col, "probability": np.concatenate(probs) if probs else np.zeros(0)})


def _fingerprint_chunk(part: _Part, what: str, width: int) -> Any:
    if what == "ids":
        ids = part.ids.astype(f"S{width}") if part.kind == "S" else part.ids
        return np.ascontiguousarray(ids).tobytes()
    if what == "w":
        return np.ascontiguousarray(part.w.astype("<f8", copy=False)).tobytes()
    if what in ("mand", "excl"):
        return part.mand if what == "mand" else part.excl
    return part.codes
