"""Unit draws on Dask: :func:`drawcore.draw.sampling.sample_units`, partition by partition.

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

import math
import os
from collections.abc import Callable, Hashable, Mapping
from typing import Any, cast

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.lattice import (
    lattice_bits,
    lattice_start,
)
from drawcore.draw.probabilities import (
    UnitId,
    _as_weights,
    _py_ids,
    _size_mapping,
    _stratum_sizes,
    _unstratified_size,
    capping_rounds,
    weight_lift,
    weight_scale,
)
from drawcore.draw.randomness import DrawKey, canonical_ids
from drawcore.draw.sampling import METHOD, ProbabilityTable, UnitSample, _ids_mask
from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.i18n import msg
from drawcore.scale.buckets import (
    _adjustable_counts,
    _bucket_stats,
    _empty_ids,
    _nudge,
    _pieces,
    _probabilities_frame,
    _select,
    _sort_bucket,
)
from drawcore.scale.fingerprint import stream_fingerprint
from drawcore.scale.loading import check_duplicates, locate_duplicates, raise_problems, read_frame
from drawcore.scale.partitions import (
    _Buckets,
    _capped,
    _dask,
    _grid_sums,
    _load,
    _mod,
    _prepare,
    _Spec,
    _Summary,
    _summary,
    _weight_stats,
)
from drawcore.scale.runner import Runner, is_address

__all__ = [
    "DaskUnitSample",
    "dask_sampler",
    "read_frame",
    "sample_units_dask",
]


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
        raise InvalidInputError(msg("draw_id must be a non-empty str"))
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
            raise InvalidInputError(msg("the data has no column(s) {absent}", absent=absent))
        ddf = ddf[columns]
    runner = Runner(scheduler, progress)
    sources = ddf.to_delayed()
    nparts = len(sources)
    nbuckets = max(1, buckets if buckets is not None else nparts)

    # 1. load and check
    loaded = runner.persist([dask.delayed(_load)(p, k, spec) for k, p in enumerate(sources)])
    summaries: list[_Summary] = runner.compute([dask.delayed(_summary)(x) for x in loaded])
    kinds = {s.kind for s in summaries if s.n}
    if len(kinds) > 1:
        raise InvalidInputError(msg("ids must all be str (or all integers) across partitions"))
    kind = kinds.pop() if kinds else "u"
    width = max((s.width for s in summaries if s.n), default=8)
    n_total = sum(s.n for s in summaries)
    id_problems = [p for s in summaries for p in s.problems if f"column {id_col!r}:" in p]
    raise_problems(id_problems)

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
        check_duplicates(runner, loaded, key, kind, nbuckets)
    raise_problems([p for s in summaries for p in s.problems])

    fingerprint = stream_fingerprint(
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
        where = "" if stratum_col is None else msg(" in stratum {stratum}", stratum=repr(names[s]))
        if n_mand > sizes[names[s]]:
            raise InfeasibleError(
                msg(
                    "{n_mand} mandatory units exceed the sample size {size}{where}",
                    n_mand=n_mand,
                    size=sizes[names[s]],
                    where=where,
                )
            )
        n_free = sizes[names[s]] - n_mand
        if n_free > pos:
            raise InfeasibleError(
                msg(
                    "sample size {size} exceeds the {eligible} eligible units{where} ({n_mand} "
                    "mandatory + {positive} with positive weight, not excluded)",
                    size=sizes[names[s]],
                    eligible=n_mand + pos,
                    where=where,
                    n_mand=n_mand,
                    positive=pos,
                )
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
            msg(
                "{count} duplicate unit id(s): {shown}",
                count=len(dups),
                shown=locate_duplicates(runner, loaded, dups),
            ),
            tuple(msg("duplicate unit id {id}", id=repr(d)) for d in _py_ids(np.asarray(dups))),
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
                raise InfeasibleError(
                    msg("the inclusion probabilities cannot be put on the lattice")
                )
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
        raise InvalidInputError(
            msg("partitions must be >= 1, got {partitions}", partitions=partitions)
        )

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
                msg(
                    "{n} ids but {n_weights} weights: one weight per unit",
                    n=canon.shape[0],
                    n_weights=w.shape[0],
                )
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
                raise InvalidInputError(
                    msg(
                        "{n} ids but {n_labels} stratum labels",
                        n=canon.shape[0],
                        n_labels=len(raw),
                    )
                )
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

        if is_address(scheduler):  # connect for this draw only, and disconnect after it
            with _mod("distributed").Client(scheduler) as client:
                got = run(client)
        else:
            got = run(scheduler)
        drawn_ids, drawn_probs = cast(ProbabilityTable, got.probabilities).arrays()
        order = np.argsort(drawn_ids, kind="stable")
        pos = order[np.searchsorted(drawn_ids[order], canon)]
        return attrs.evolve(got, probabilities=ProbabilityTable(canon, drawn_probs[pos], text=text))

    return sample
