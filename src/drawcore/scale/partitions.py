"""Per-partition work of the Dask draw: load and check a partition, and its exact summaries.

Each partition's ids, weights, masks and strata are checked (problems name the partition
and row); weight maxima, counts, grid sums and capped sums are exact integers, so their
combination equals the local draw's (:mod:`drawcore.draw.probabilities`).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.probabilities import (
    CHUNK,
    capped_stats,
    check_weights_chunk,
    grid_sum,
    weight_stats,
)
from drawcore.draw.randomness import canonical_ids
from drawcore.errors import InvalidInputError
from drawcore.i18n import msg

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
        raise ImportError(
            msg("the Dask engine needs {name}: pip install 'drawcore[dask]'", name=name)
        ) from exc


def _dask() -> Any:
    _mod("dask.dataframe")
    return _mod("dask")


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
        problems.append(
            msg(
                "partition {k}: column {column} is missing in row(s) {rows}",
                k=k,
                column=repr(col),
                rows=rows,
            )
        )
        series = series.fillna(False)
    arr = series.to_numpy()
    if arr.dtype != np.bool_:
        if arr.dtype.kind in "iu" or arr.dtype == object:
            vals = np.asarray(arr)
            bad = np.flatnonzero(~np.isin(vals, [0, 1, True, False]))
            if bad.size:
                rows = ", ".join(f"{int(i)} ({vals[i]!r})" for i in bad[:_SHOWN])
                problems.append(
                    msg(
                        "partition {k}: column {column} is not boolean in row(s) {rows}",
                        k=k,
                        column=repr(col),
                        rows=rows,
                    )
                )
                return np.zeros(arr.shape[0], dtype=np.bool_)
        else:
            problems.append(
                msg(
                    "partition {k}: column {column} must be boolean, got {dtype}",
                    k=k,
                    column=repr(col),
                    dtype=str(arr.dtype),
                )
            )
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
            raise InvalidInputError(
                msg("ids must be str or integers, got dtype {dtype}", dtype=raw_ids.dtype)
            )
        ids = canonical_ids(raw_ids)
    except InvalidInputError as exc:
        problems.append(
            msg("partition {k}: column {column}: {err}", k=k, column=repr(spec.id_col), err=exc)
        )
        ids = np.zeros(n, dtype=np.uint64)
    wcol = df[spec.weight_col]
    if not (pd.api.types.is_numeric_dtype(wcol.dtype) and not pd.api.types.is_bool_dtype(wcol)):
        problems.append(
            msg(
                "partition {k}: weights must be numbers, got dtype {dtype}",
                k=k,
                dtype=str(wcol.dtype),
            )
        )
        w = np.zeros(n, dtype=np.float64)
    else:
        w = np.ascontiguousarray(wcol.to_numpy(dtype=np.float64, na_value=np.nan))
    for start in range(0, n, CHUNK):
        try:
            check_weights_chunk(w[start : start + CHUNK], start)
        except InvalidInputError as exc:
            problems.extend(msg("partition {k}: {problem}", k=k, problem=p) for p in exc.problems)
    mand = _mask_column(df, spec.mandatory_col, k, problems) if spec.mandatory_col else None
    excl = _mask_column(df, spec.excluded_col, k, problems) if spec.excluded_col else None
    if mand is not None and excl is not None:
        both = np.flatnonzero(mand & excl)
        if both.size:
            rows = ", ".join(str(int(i)) for i in both[:_SHOWN])
            problems.append(
                msg(
                    "partition {k}: {count} unit(s) both mandatory and excluded (rows {rows})",
                    k=k,
                    count=both.size,
                    rows=rows,
                )
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
