"""Unit draws on Dask: the draw of :func:`drawcore.sampling.sample_units`, partition by partition.

A registry too large for one machine (a national one has ~2e8 units) is read
from Parquet or CSV into a Dask DataFrame and drawn on any Dask scheduler. The
answer is *bit-identical* to the local draw for the same inputs and seed,
because every step is one of the sampling building blocks applied to
partitions and combined exactly:

1. **Load and check** each partition (ids, weights, masks, stratum labels):
   bad weights, unknown values and overlapping masks are reported by partition
   and row. Per-partition maxima and counts of positive weights combine exactly.
2. **Capping.** ``grid_sum`` and ``capped_stats`` are exact integers per
   partition, so their sums equal the local ones; :func:`capping_rounds` runs
   once per stratum, all strata in lockstep, one global reduction per round.
3. **Order.** Rows are range-partitioned by ``(stratum, order hash)``: the hash
   is uniform, so the boundaries are known without a quantile pass (each
   stratum gets a share of buckets by its size; the bucket is
   ``(hash >> 32) * q >> 32``). Only ``(stratum, id, pi)`` is shuffled. Each
   bucket is sorted by ``canonical_order``, which also finds duplicate ids.
4. **Lattice.** ``lattice_increments`` per bucket; the balance of
   ``balance_increments`` is done by :func:`nudge_increments` on the first
   adjustable units in draw order, bucket by bucket; ``systematic_select`` runs
   per bucket with the exact lattice total of the earlier buckets as ``carry``.

Only counts, sums, the selected ids and (for the fingerprint) the inputs'
bytes, one partition at a time, come back to the client. ``dask`` is imported
here only, so the core never needs it (``pip install drawcore[dask]``).
"""

from __future__ import annotations

import hashlib
import importlib
import math
import os
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.randomness import DrawKey, canonical_ids, hash_ids
from drawcore.sampling import (
    CHUNK,
    METHOD,
    ProbabilityTable,
    UnitId,
    UnitSample,
    _as_weights,
    _ids_mask,
    _py_ids,
    _size_mapping,
    _stratum_sizes,
    _unstratified_size,
    adjustable,
    canonical_order,
    capped_stats,
    capping_rounds,
    check_weights_chunk,
    grid_sum,
    lattice_bits,
    lattice_increments,
    lattice_start,
    nudge_increments,
    probabilities_from_c,
    systematic_select,
    weight_lift,
    weight_scale,
    weight_stats,
)

__all__ = ["DaskUnitSample", "dask_sampler", "read_frame", "sample_units_dask"]

F64Array = npt.NDArray[np.float64]
I64Array = npt.NDArray[np.int64]
U64Array = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]
IntpArray = npt.NDArray[np.intp]
Ids = npt.NDArray[Any]

_SHOWN = 5
_U32 = np.uint64(32)


def _mod(name: str) -> Any:
    """Import an optional dependency (untyped, so ``Any``) with a hint when it is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(f"the Dask engine needs {name}: pip install 'drawcore[dask]'") from exc


def _dask() -> Any:
    _mod("dask.dataframe")
    return _mod("dask")


# ---------------------------------------------------------------- per-partition work


@attrs.frozen
class _Spec:
    id_col: str
    weight_col: str
    mandatory_col: str | None
    excluded_col: str | None
    stratum_col: str | None


@attrs.define
class _Part:
    """One partition as arrays, rows in stratum order (stable) once :func:`_prepare` ran."""

    index: int
    ids: Ids
    w: F64Array
    mand: BoolArray | None
    excl: BoolArray | None
    codes: npt.NDArray[np.int64] | None  # local stratum codes, then global indices
    labels: list[str]
    bounds: list[tuple[int, int, int]]  # (stratum, start, stop) after _prepare
    problems: list[str]
    kind: str
    width: int

    def free_w(self, start: int, stop: int, lift: int = 0) -> F64Array:
        """Weights of rows ``start:stop`` with mandatory/excluded ones zeroed, times ``2**lift``."""
        w = self.w[start:stop]
        if self.mand is not None or self.excl is not None:
            w = w.copy()
            if self.mand is not None:
                w[self.mand[start:stop]] = 0.0
            if self.excl is not None:
                w[self.excl[start:stop]] = 0.0
        return np.ldexp(w, lift) if lift else w


def _mask_column(df: Any, col: str, k: int, problems: list[str]) -> BoolArray:
    series = df[col]
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        rows = ", ".join(str(int(i)) for i in missing[:_SHOWN])
        problems.append(f"partition {k}: column {col!r} is missing in row(s) {rows}")
        series = series.fillna(False)
    arr = series.to_numpy()
    if arr.dtype != np.bool_:
        if arr.dtype.kind in "iu" or arr.dtype == object:
            vals = np.asarray(arr)
            bad = np.flatnonzero(~np.isin(vals, [0, 1, True, False]))
            if bad.size:
                rows = ", ".join(f"{int(i)} ({vals[i]!r})" for i in bad[:_SHOWN])
                problems.append(f"partition {k}: column {col!r} is not boolean in row(s) {rows}")
                return np.zeros(arr.shape[0], dtype=np.bool_)
        else:
            problems.append(f"partition {k}: column {col!r} must be boolean, got {arr.dtype}")
            return np.zeros(arr.shape[0], dtype=np.bool_)
    return np.asarray(arr, dtype=np.bool_)


def _load(df: Any, k: int, spec: _Spec) -> _Part:
    """A pandas partition -> arrays; problems are collected (raised by the client, by partition)."""
    pd = _mod("pandas")

    problems: list[str] = []
    n = len(df)
    raw_ids = df[spec.id_col].to_numpy()
    try:
        if raw_ids.dtype.kind == "f":
            raise InvalidInputError(f"ids must be str or integers, got dtype {raw_ids.dtype}")
        ids = canonical_ids(raw_ids)
    except InvalidInputError as exc:
        problems.append(f"partition {k}: column {spec.id_col!r}: {exc}")
        ids = np.zeros(n, dtype=np.uint64)
    wcol = df[spec.weight_col]
    if not (pd.api.types.is_numeric_dtype(wcol.dtype) and not pd.api.types.is_bool_dtype(wcol)):
        problems.append(f"partition {k}: weights must be numbers, got dtype {wcol.dtype}")
        w = np.zeros(n, dtype=np.float64)
    else:
        w = np.ascontiguousarray(wcol.to_numpy(dtype=np.float64, na_value=np.nan))
    for start in range(0, n, CHUNK):
        try:
            check_weights_chunk(w[start : start + CHUNK], start)
        except InvalidInputError as exc:
            problems.extend(f"partition {k}: {p}" for p in exc.problems)
    mand = _mask_column(df, spec.mandatory_col, k, problems) if spec.mandatory_col else None
    excl = _mask_column(df, spec.excluded_col, k, problems) if spec.excluded_col else None
    if mand is not None and excl is not None:
        both = np.flatnonzero(mand & excl)
        if both.size:
            rows = ", ".join(str(int(i)) for i in both[:_SHOWN])
            problems.append(
                f"partition {k}: {both.size} unit(s) both mandatory and excluded (rows {rows})"
            )
    codes: npt.NDArray[np.int64] | None = None
    labels: list[str] = []
    if spec.stratum_col is not None:
        raw_codes, uniques = pd.factorize(df[spec.stratum_col], use_na_sentinel=False)
        text = [str(x) for x in uniques.tolist()]
        # two raw labels with the same text are one stratum (as in sample_units)
        distinct = sorted(set(text))
        remap = np.asarray([distinct.index(t) for t in text], dtype=np.int64)
        codes = remap[raw_codes] if n else np.zeros(0, dtype=np.int64)
        labels = distinct
    kind = ids.dtype.kind
    return _Part(
        index=k,
        ids=ids,
        w=w,
        mand=mand,
        excl=excl,
        codes=codes,
        labels=labels,
        bounds=[(0, 0, n)],
        problems=problems,
        kind=kind,
        width=ids.dtype.itemsize if kind == "S" else 8,
    )


@attrs.frozen
class _Summary:
    index: int
    n: int
    kind: str
    width: int
    labels: list[str]
    problems: list[str]


def _summary(part: _Part) -> _Summary:
    return _Summary(
        part.index, part.ids.shape[0], part.kind, part.width, part.labels, part.problems
    )


def _prepare(part: _Part, mapping: npt.NDArray[np.int64] | None) -> _Part:
    """Global stratum indices; rows sorted by stratum (stable) so each stratum is one slice."""
    if part.codes is None or mapping is None:
        return part
    sid = mapping[part.codes]
    small = sid.astype(np.int16) if mapping.size < np.iinfo(np.int16).max else sid
    order = np.argsort(small, kind="stable")  # radix sort for int16
    del small
    sid = sid[order]
    cuts = np.flatnonzero(sid[1:] != sid[:-1]) + 1
    starts = np.concatenate([[0], cuts]).astype(np.int64)
    stops = np.concatenate([cuts, [sid.shape[0]]]).astype(np.int64)
    bounds = [(int(sid[a]), int(a), int(b)) for a, b in zip(starts, stops, strict=True) if b > a]
    return _Part(
        index=part.index,
        ids=part.ids[order],
        w=part.w[order],
        mand=None if part.mand is None else part.mand[order],
        excl=None if part.excl is None else part.excl[order],
        codes=sid,
        labels=part.labels,
        bounds=bounds,
        problems=part.problems,
        kind=part.kind,
        width=part.width,
    )


def _weight_stats(part: _Part) -> dict[int, tuple[int, int, float, int]]:
    """Per stratum: (units, mandatory, max free weight, positive free weights)."""
    out: dict[int, tuple[int, int, float, int]] = {}
    for s, a, b in part.bounds:
        fw = part.free_w(a, b)
        gmax, pos = 0.0, 0
        for start in range(0, b - a, CHUNK):
            m, k = weight_stats(fw[start : start + CHUNK])
            gmax, pos = max(gmax, m), pos + k
        n_mand = int(np.count_nonzero(part.mand[a:b])) if part.mand is not None else 0
        out[s] = (b - a, n_mand, gmax, pos)
    return out


def _grid_sums(part: _Part, scales: dict[int, int], lifts: dict[int, int]) -> dict[int, int]:
    return {
        s: grid_sum(part.free_w(a, b, lifts[s]), scales[s])
        for s, a, b in part.bounds
        if s in scales
    }


def _capped(
    part: _Part, cs: dict[int, tuple[float, int]], lifts: dict[int, int]
) -> dict[int, tuple[int, int]]:
    return {
        s: capped_stats(part.free_w(a, b, lifts[s]), cs[s][0], cs[s][1])
        for s, a, b in part.bounds
        if s in cs
    }


@attrs.frozen
class _Buckets:
    """Range partitioning of ``(stratum, order hash)``: stratum ``s`` owns slots
    ``base[s] .. base[s] + q[s]``; slot -> bucket merges small strata."""

    base: npt.NDArray[np.int64]
    q: npt.NDArray[np.int64]
    slot_bucket: npt.NDArray[np.signedinteger[Any]]
    count: int

    @classmethod
    def plan(cls, sizes: Sequence[int], count: int) -> _Buckets:
        total = max(1, sum(sizes))
        target = total / max(1, count)
        q = np.asarray([max(1, round(n / target)) for n in sizes], dtype=np.int64)
        base = np.concatenate([[0], np.cumsum(q)[:-1]]).astype(np.int64)
        slot_bucket = np.empty(int(q.sum()), dtype=np.int64)
        bucket, acc = 0, 0.0
        for s, n in enumerate(sizes):
            per = n / int(q[s])
            for j in range(int(q[s])):
                if acc > 0 and acc + per > target * 1.5:
                    bucket, acc = bucket + 1, 0.0
                slot_bucket[int(base[s]) + j] = bucket
                acc += per
        small = np.int16 if bucket < np.iinfo(np.int16).max else np.int32
        return cls(base, q, slot_bucket.astype(small), bucket + 1)

    def of(self, s: int, h: U64Array) -> npt.NDArray[np.signedinteger[Any]]:
        """The bucket of each hash of stratum ``s`` (a small int type: radix-sortable)."""
        slot = h >> _U32
        slot *= np.uint64(int(self.q[s]))
        slot >>= _U32
        slot += np.uint64(int(self.base[s]))
        out: npt.NDArray[np.signedinteger[Any]] = self.slot_bucket[slot]
        return out


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
                raise InfeasibleError("the inclusion probabilities cannot be put on the lattice")
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


# ---------------------------------------------------------------- the engine


@attrs.frozen(eq=False)
class DaskUnitSample:
    """The result of :func:`sample_units_dask`: the local :class:`UnitSample`'s fields, at scale.

    ``selected``: drawn ids, ascending (as in :class:`UnitSample`).
    ``probabilities``: a Dask DataFrame ``(id, probability)`` of every unit, in
    draw order (kept on the cluster; ``.compute()`` it only if it fits).
    ``fingerprint``: the same SHA-256 of the inputs as the local draw (the
    inputs' row order is the partitions' order). :meth:`to_unit_sample`
    collects everything into a local :class:`UnitSample`.
    """

    selected: tuple[UnitId, ...]
    probabilities: Any
    seed_hex: str
    draw_id: str
    method: str
    size: int
    stratum_sizes: dict[str, int]
    fingerprint: str
    partitions: int
    buckets: int

    @property
    def seed(self) -> bytes:
        return bytes.fromhex(self.seed_hex)

    def to_unit_sample(self) -> UnitSample:
        """Collect the probabilities to the client: equals the local :func:`sample_units` result."""
        frame = self.probabilities.compute()
        text = frame["id"].dtype == object or str(frame["id"].dtype).startswith("str")
        ids = canonical_ids(frame["id"].to_numpy())
        probs = np.ascontiguousarray(frame["probability"].to_numpy(dtype=np.float64))
        return UnitSample(
            selected=self.selected,
            probabilities=ProbabilityTable(ids, probs, text=bool(text)),
            seed_hex=self.seed_hex,
            draw_id=self.draw_id,
            method=self.method,
            size=self.size,
            stratum_sizes=dict(self.stratum_sizes),
            fingerprint=self.fingerprint,
        )


def _is_address(scheduler: Any) -> bool:
    """A distributed scheduler's address (``tcp://host:8786``), not a local scheduler name."""
    return isinstance(scheduler, str) and ("://" in scheduler or ":" in scheduler)


class _Runner:
    """Runs collections on the chosen scheduler, with Dask's own progress display."""

    def __init__(self, scheduler: Any, progress: bool) -> None:
        self.progress = progress
        self.client: Any = None
        self.scheduler: Any = scheduler
        if _is_address(scheduler):
            self.client = _mod("distributed").Client(scheduler)
        elif scheduler is not None and type(scheduler).__name__ == "Client":
            self.client = scheduler
        elif scheduler is None:
            try:
                self.client = _mod("distributed").default_client()
            except (ImportError, ValueError):
                self.client = None

    def persist(self, objs: list[Any]) -> list[Any]:
        if not objs:
            return []
        if self.client is not None:
            out = self.client.persist(objs)
            if self.progress:
                _mod("distributed").progress(out)
            return cast(list[Any], out)
        dask = _dask()
        with self._bar():
            return list(dask.persist(*objs, scheduler=self.scheduler))

    def compute(self, objs: list[Any]) -> list[Any]:
        if not objs:
            return []
        if self.client is not None:
            futures = self.client.compute(objs)
            if self.progress:
                _mod("distributed").progress(futures)
            return cast(list[Any], self.client.gather(futures))
        dask = _dask()
        with self._bar():
            return list(dask.compute(*objs, scheduler=self.scheduler))

    def _bar(self) -> Any:
        if self.progress:
            return _mod("dask.diagnostics").ProgressBar()
        import contextlib

        return contextlib.nullcontext()


def read_frame(path: str | os.PathLike[str], columns: Sequence[str]) -> Any:
    """A Dask DataFrame of ``columns`` from Parquet (a file, directory or glob) or CSV."""
    dd = _dask().dataframe
    text = os.fspath(path)
    if text.lower().endswith((".csv", ".csv.gz")):
        return dd.read_csv(text, usecols=list(columns), blocksize="64MB")
    if not (Path(text).exists() or any(ch in text for ch in "*?[")):
        raise InvalidInputError(f"{text}: no such file or directory")
    return dd.read_parquet(text, columns=list(columns))


def _raise_problems(problems: list[str]) -> None:
    if problems:
        shown = "; ".join(problems[:_SHOWN])
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise InvalidInputError(
            f"{len(problems)} problem(s) in the input: {shown}{more}", tuple(problems)
        )


def _locate(runner: _Runner, loaded: list[Any], dups: list[Any]) -> str:
    """Where duplicate ids are, as 'partition k row r' (error path only)."""
    dask = _dask()
    want = np.asarray(dups)

    def find(part: _Part) -> list[str]:
        rows = np.flatnonzero(np.isin(part.ids, want))
        shown = _py_ids(part.ids[rows[:_SHOWN]])
        return [
            f"{u!r} in partition {part.index} row {int(r)}"
            for u, r in zip(shown, rows[:_SHOWN], strict=True)
        ]

    found = runner.compute([dask.delayed(find)(x) for x in loaded])
    return "; ".join([x for f in found for x in f][: 2 * _SHOWN])


def _check_duplicates(
    runner: _Runner, loaded: list[Any], key: DrawKey, kind: str, count: int
) -> None:
    """With strata, ids are ordered per stratum; one more shuffle by the global order hash
    finds an id repeated in two strata (as ``sample_units`` does)."""
    dask = _dask()
    plan = _Buckets.plan([1], count)
    order_key = key.child("order")
    keys = {0: order_key}

    def split(part: _Part) -> tuple[Any, ...]:
        bucket = plan.of(0, hash_ids(order_key, part.ids))
        order = np.argsort(bucket, kind="stable")
        ids = part.ids[order]
        cuts = np.searchsorted(bucket[order], np.arange(plan.count + 1))
        return tuple(ids[cuts[j] : cuts[j + 1]] for j in range(plan.count))

    def dup(*chunks: Ids) -> list[Any]:
        ids = np.concatenate(chunks) if chunks else _empty_ids(kind)
        try:
            canonical_order(hash_ids(keys[0], ids), ids)
        except InvalidInputError:
            vals, counts = np.unique(ids, return_counts=True)
            return cast(list[Any], vals[counts > 1].tolist())
        return []

    split_d = [dask.delayed(split, nout=plan.count)(x) for x in loaded]
    found = runner.compute([dask.delayed(dup)(*[s[j] for s in split_d]) for j in range(plan.count)])
    dups = sorted(x for f in found for x in f)
    if dups:
        raise InvalidInputError(
            f"{len(dups)} duplicate unit id(s): {_locate(runner, loaded, dups)}",
            tuple(f"duplicate unit id {d!r}" for d in _py_ids(np.asarray(dups))),
        )


def sample_units_dask(
    ddf_or_path: Any,
    size: int | Mapping[Hashable, int],
    *,
    seed: str | bytes,
    draw_id: str = "units",
    id_col: str = "id",
    weight_col: str = "weight",
    mandatory_col: str | None = None,
    excluded_col: str | None = None,
    stratum_col: str | None = None,
    scheduler: Any = None,
    progress: bool = False,
    buckets: int | None = None,
) -> DaskUnitSample:
    """:func:`~drawcore.sampling.sample_units` on a Dask DataFrame (or a Parquet/CSV path).

    Same inputs, one column each: ``id_col`` (str or int ids), ``weight_col``,
    optional boolean ``mandatory_col`` / ``excluded_col``, optional
    ``stratum_col`` (then ``size`` maps each label to its sample size). The
    selected ids and every probability are bit-identical to the local draw of
    the same rows, whatever the partitioning. ``scheduler``: ``None`` (the
    default Dask scheduler, or the active ``distributed.Client``), a
    ``distributed.Client``, a scheduler address (``tcp://host:8786``), or a
    local scheduler name (``"threads"``, ``"sync"``). ``progress`` shows Dask's
    progress bar. ``buckets``: partitions of the shuffle (default: as many as
    the input). Raises the errors ``sample_units`` raises, naming partition and
    row.
    """
    dask = _dask()
    if not isinstance(draw_id, str) or not draw_id:
        raise InvalidInputError("draw_id must be a non-empty str")
    key = DrawKey.derive(seed, draw_id)
    seed_bytes = seed.encode("utf-8") if isinstance(seed, str) else bytes(seed)
    spec = _Spec(id_col, weight_col, mandatory_col, excluded_col, stratum_col)
    columns = [c for c in (id_col, weight_col, mandatory_col, excluded_col, stratum_col) if c]
    if isinstance(ddf_or_path, str | os.PathLike):
        ddf = read_frame(ddf_or_path, columns)
    else:
        ddf = ddf_or_path
        absent = [c for c in columns if c not in ddf.columns]
        if absent:
            raise InvalidInputError(f"the data has no column(s) {absent}")
        ddf = ddf[columns]
    runner = _Runner(scheduler, progress)
    sources = ddf.to_delayed()
    nparts = len(sources)
    nbuckets = max(1, buckets if buckets is not None else nparts)

    # 1. load and check
    loaded = runner.persist([dask.delayed(_load)(p, k, spec) for k, p in enumerate(sources)])
    summaries: list[_Summary] = runner.compute([dask.delayed(_summary)(x) for x in loaded])
    kinds = {s.kind for s in summaries if s.n}
    if len(kinds) > 1:
        raise InvalidInputError("ids must all be str (or all integers) across partitions")
    kind = kinds.pop() if kinds else "u"
    width = max((s.width for s in summaries if s.n), default=8)
    n_total = sum(s.n for s in summaries)
    id_problems = [p for s in summaries for p in s.problems if f"column {id_col!r}:" in p]
    _raise_problems(id_problems)

    # strata: labels and sizes, checked as sample_units does
    if stratum_col is None:
        names = [""]
        sizes = {"": _unstratified_size(size)}
        mappings: list[npt.NDArray[np.int64] | None] = [None] * nparts
    else:
        size_map = _size_mapping(size)
        names = sorted({label for s in summaries for label in s.labels})
        sizes = _stratum_sizes(size_map, names)
        index = {name: i for i, name in enumerate(names)}
        mappings = [np.asarray([index[t] for t in s.labels], dtype=np.int64) for s in summaries]
        _check_duplicates(runner, loaded, key, kind, nbuckets)
    _raise_problems([p for s in summaries for p in s.problems])

    fingerprint = _stream_fingerprint(
        runner,
        loaded,
        n_total,
        kind,
        width,
        size,
        (mandatory_col, excluded_col),
        names,
        stratum_col is not None,
    )
    parts = runner.persist([dask.delayed(_prepare)(x, mappings[k]) for k, x in enumerate(loaded)])
    del loaded

    # 2. capping, all strata in lockstep
    stats = runner.compute([dask.delayed(_weight_stats)(x) for x in parts])
    agg: dict[int, list[Any]] = {}
    for st in stats:
        for s, (n_s, n_mand, gmax, pos) in st.items():
            a = agg.setdefault(s, [0, 0, 0.0, 0])
            a[0] += n_s
            a[1] += n_mand
            a[2] = max(a[2], gmax)
            a[3] += pos
    strata = list(range(len(names)))
    for s in strata:
        n_s, n_mand, _, pos = agg.get(s, [0, 0, 0.0, 0])
        where = "" if stratum_col is None else f" in stratum {names[s]!r}"
        if n_mand > sizes[names[s]]:
            raise InfeasibleError(
                f"{n_mand} mandatory units exceed the sample size {sizes[names[s]]}{where}"
            )
        n_free = sizes[names[s]] - n_mand
        if n_free > pos:
            raise InfeasibleError(
                f"sample size {sizes[names[s]]} exceeds the {n_mand + pos} eligible units{where} "
                f"({n_mand} mandatory + {pos} with positive weight, not excluded)"
            )
    gmaxes = {s: float(agg.get(s, [0, 0, 0.0, 0])[2]) for s in strata}
    lifts = {s: weight_lift(gmaxes[s]) for s in strata}  # tiny weights, as sample_units does
    scales = {s: weight_scale(math.ldexp(gmaxes[s], lifts[s])) for s in strata}
    n_free = {s: sizes[names[s]] - agg.get(s, [0, 0, 0.0, 0])[1] for s in strata}
    positive = {s: agg.get(s, [0, 0, 0.0, 0])[3] for s in strata}
    need_grid = {s: scales[s] for s in strata if 0 < n_free[s] < positive[s]}
    totals = dict.fromkeys(strata, 0)
    for part_sums in runner.compute([dask.delayed(_grid_sums)(x, need_grid, lifts) for x in parts]):
        for s, v in part_sums.items():
            totals[s] += v
    rounds = {s: capping_rounds(n_free[s], totals[s], positive[s], scales[s]) for s in strata}
    cs: dict[int, float] = {}
    pending: dict[int, float] = {}
    for s, gen in rounds.items():
        try:
            pending[s] = next(gen)
        except StopIteration as stop:
            cs[s] = float(stop.value)
    while pending:
        ask = {s: (c, scales[s]) for s, c in pending.items()}
        sums = dict.fromkeys(pending, (0, 0))
        for part_stats in runner.compute([dask.delayed(_capped)(x, ask, lifts) for x in parts]):
            for s, (k_s, g_s) in part_stats.items():
                sums[s] = (sums[s][0] + k_s, sums[s][1] + g_s)
        nxt: dict[int, float] = {}
        for s in pending:
            try:
                nxt[s] = rounds[s].send(sums[s])
            except StopIteration as stop:
                cs[s] = float(stop.value)
        pending = nxt

    # 3. order: range-partition by (stratum, order hash), shuffle (stratum, id, pi)
    draw_keys = {
        s: key if stratum_col is None else key.child(f"stratum/{names[s]}") for s in strata
    }
    order_keys = {s: draw_keys[s].child("order") for s in strata}
    plan = _Buckets.plan([int(agg.get(s, [0])[0]) for s in strata], nbuckets)
    split = [
        dask.delayed(_pieces, nout=plan.count + 1)(x, cs, order_keys, plan, lifts) for x in parts
    ]
    split_p = runner.persist([piece for sp in split for piece in sp])
    del split  # its graph holds the partitions
    width_t = plan.count + 1
    certain = dict.fromkeys(strata, 0)
    for cnt in runner.compute([split_p[i * width_t + plan.count] for i in range(nparts)]):
        for s, v in cnt.items():
            certain[s] += v
    del parts
    n_rest = {s: sizes[names[s]] - certain[s] for s in strata}
    ms = {s: lattice_bits(n_rest[s]) for s in strata}
    sorted_b = runner.persist(
        [
            dask.delayed(_sort_bucket)(
                j, kind, order_keys, ms, *[split_p[i * width_t + j] for i in range(nparts)]
            )
            for j in range(plan.count)
        ]
    )
    del split_p

    # 4. lattice: balance in draw order, then systematic selection with carries
    bstats = runner.compute([dask.delayed(_bucket_stats)(b) for b in sorted_b])
    dups = sorted({d for dd_, _ in bstats for d in dd_})
    if dups:
        loaded = [dask.delayed(_load)(p, k, spec) for k, p in enumerate(sources)]
        raise InvalidInputError(
            f"{len(dups)} duplicate unit id(s): {_locate(runner, loaded, dups)}",
            tuple(f"duplicate unit id {d!r}" for d in _py_ids(np.asarray(dups))),
        )
    lattice_total = dict.fromkeys(strata, 0)
    per_bucket: list[dict[int, int]] = []
    for _, gstats in bstats:
        row: dict[int, int] = {}
        for s, tot in gstats:
            lattice_total[s] += tot
            row[s] = tot
        per_bucket.append(row)
    diff = {s: n_rest[s] * (1 << ms[s]) - lattice_total[s] for s in strata}
    while any(diff.values()):
        up = {s: d > 0 for s, d in diff.items() if d}
        counts = runner.compute([dask.delayed(_adjustable_counts)(b, ms, up) for b in sorted_b])
        moves: list[dict[int, tuple[int, bool]]] = [{} for _ in sorted_b]
        for s, is_up in up.items():
            need = abs(diff[s])
            moved = 0
            for j, cnt in enumerate(counts):
                if need == 0:
                    break
                take = min(need, cnt.get(s, 0))
                if take:
                    moves[j][s] = (take, is_up)
                    per_bucket[j][s] += take if is_up else -take
                    need -= take
                    moved += take
            if moved == 0:
                raise InfeasibleError("the inclusion probabilities cannot be put on the lattice")
            diff[s] -= moved if is_up else -moved
        sorted_b = runner.persist(
            [
                dask.delayed(_nudge)(b, ms, moves[j]) if moves[j] else b
                for j, b in enumerate(sorted_b)
            ]
        )
    starts = {s: lattice_start(draw_keys[s], ms[s]) for s in strata}
    carries: list[dict[int, int]] = []
    running = dict.fromkeys(strata, 0)
    for row in per_bucket:
        carries.append(dict(running))
        for s, tot in row.items():
            running[s] += tot
    chosen = runner.compute(
        [dask.delayed(_select)(b, starts, ms, carries[j]) for j, b in enumerate(sorted_b)]
    )
    picked = np.concatenate([c for c in chosen if c.size] or [_empty_ids(kind)])
    picked = np.sort(picked)
    text = kind == "S"
    selected: tuple[UnitId, ...] = tuple(
        np.char.decode(picked.astype("S")).tolist() if text else picked.tolist()
    )
    pd = _mod("pandas")

    meta = pd.DataFrame(
        {
            "id": pd.Series([], dtype=object if text else np.uint64),
            "probability": pd.Series([], dtype=np.float64),
        }
    )
    probabilities = dask.dataframe.from_delayed(
        [dask.delayed(_probabilities_frame)(b, ms, text) for b in sorted_b],
        meta=meta,
        verify_meta=False,
    )
    total = sum(sizes.values())
    return DaskUnitSample(
        selected=selected,
        probabilities=probabilities,
        seed_hex=seed_bytes.hex(),
        draw_id=draw_id,
        method=METHOD,
        size=total,
        stratum_sizes={} if stratum_col is None else {k: sizes[k] for k in sorted(sizes)},
        fingerprint=fingerprint,
        partitions=nparts,
        buckets=plan.count,
    )


def _batches(items: Sequence[Any], k: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), k):
        yield items[i : i + k]


def _stream_fingerprint(
    runner: _Runner,
    loaded: list[Any],
    n: int,
    kind: str,
    width: int,
    size: int | Mapping[Any, int],
    mask_cols: tuple[str | None, str | None],
    names: list[str],
    stratified: bool,
) -> str:
    """``sampling``'s input fingerprint, fed one partition at a time (rows in partition order)."""
    dask = _dask()
    id_dtype = np.dtype(np.uint64) if kind == "u" else np.dtype(f"S{width}")
    digest = hashlib.sha256(METHOD.encode() + b"\x00")
    digest.update(f"n={n};ids={id_dtype.str};".encode())
    if isinstance(size, Mapping):
        digest.update(repr(sorted((str(k), int(v)) for k, v in size.items())).encode())
    else:
        digest.update(f"size={size}".encode())

    def chunks(what: str) -> Iterator[Any]:
        for batch in _batches(loaded, 8):
            yield from runner.compute(
                [dask.delayed(_fingerprint_chunk)(x, what, width) for x in batch]
            )

    for chunk in chunks("ids"):
        digest.update(chunk)
    for chunk in chunks("w"):
        digest.update(chunk)
    for col, what in zip(mask_cols, ("mand", "excl"), strict=True):
        if col is None:
            digest.update(b"-")
            continue
        rest = np.zeros(0, dtype=np.bool_)
        for mask in chunks(what):
            bits = np.concatenate([rest, mask])
            cut = bits.shape[0] // 8 * 8
            digest.update(np.packbits(bits[:cut]).tobytes())
            rest = bits[cut:]
        digest.update(np.packbits(rest).tobytes())
    if stratified:
        digest.update(repr(names).encode())
        index = {name: i for i, name in enumerate(names)}
        labels_per_part: list[list[str]] = runner.compute(
            [dask.delayed(lambda p: p.labels)(x) for x in loaded]
        )
        for k, codes in enumerate(chunks("codes")):
            mapping = np.asarray([index[t] for t in labels_per_part[k]], dtype=np.int64)
            digest.update(mapping[codes].astype("<i8").tobytes())
    return digest.hexdigest()


def dask_sampler(
    *, scheduler: Any = None, progress: bool = False, partitions: int = 8
) -> Callable[..., UnitSample]:
    """A drop-in for :func:`~drawcore.sampling.sample_units` that draws on Dask.

    The returned function takes ``sample_units``' arguments (in-memory ids and
    weights, masks as boolean arrays or ids, strata), splits them into
    ``partitions`` and draws with :func:`sample_units_dask`; it returns the
    :class:`UnitSample` ``sample_units`` returns (equal to it, probabilities in
    row order). For a registry already in memory, e.g. ``drawcore draw
    --engine dask --scheduler tcp://host:8786``; a registry too large for
    memory is drawn from Parquet with :func:`sample_units_dask` directly.
    ``scheduler`` as in :func:`sample_units_dask`; given an address, each draw
    connects to it and disconnects when done.
    """
    if partitions < 1:
        raise InvalidInputError(f"partitions must be >= 1, got {partitions}")

    def sample(
        ids: Any,
        weights: Any,
        size: int | Mapping[Hashable, int],
        *,
        seed: str | bytes,
        mandatory: Any = None,
        excluded: Any = None,
        strata: Any = None,
        draw_id: str = "units",
    ) -> UnitSample:
        pd = _mod("pandas")
        canon = canonical_ids(ids)
        w = _as_weights(weights)
        if w.shape[0] != canon.shape[0]:
            raise InvalidInputError(
                f"{canon.shape[0]} ids but {w.shape[0]} weights: one weight per unit"
            )
        text = canon.dtype.kind == "S"
        cols: dict[str, Any] = {
            "id": np.char.decode(cast(Any, canon)).astype(object) if text else canon,
            "weight": w,
        }
        mand = _ids_mask(mandatory, canon, "mandatory")
        excl = _ids_mask(excluded, canon, "excluded")
        if mand is not None:
            cols["mandatory"] = mand
        if excl is not None:
            cols["excluded"] = excl
        if strata is not None:
            raw = strata.tolist() if isinstance(strata, np.ndarray) else list(strata)
            if len(raw) != canon.shape[0]:
                raise InvalidInputError(f"{canon.shape[0]} ids but {len(raw)} stratum labels")
            cols["stratum"] = np.asarray([str(x) for x in raw], dtype=object)
        frame = pd.DataFrame(cols)
        ddf = _dask().dataframe.from_pandas(
            frame, npartitions=max(1, min(partitions, len(frame))), sort=False
        )

        def run(sched: Any) -> UnitSample:
            return sample_units_dask(
                ddf,
                size,
                seed=seed,
                draw_id=draw_id,
                mandatory_col="mandatory" if mand is not None else None,
                excluded_col="excluded" if excl is not None else None,
                stratum_col="stratum" if strata is not None else None,
                scheduler=sched,
                progress=progress,
            ).to_unit_sample()

        if _is_address(scheduler):  # connect for this draw only, and disconnect after it
            with _mod("distributed").Client(scheduler) as client:
                got = run(client)
        else:
            got = run(scheduler)
        drawn_ids, drawn_probs = cast(ProbabilityTable, got.probabilities).arrays()
        order = np.argsort(drawn_ids, kind="stable")
        pos = order[np.searchsorted(drawn_ids[order], canon)]
        return attrs.evolve(got, probabilities=ProbabilityTable(canon, drawn_probs[pos], text=text))

    return sample
