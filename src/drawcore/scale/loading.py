"""Reading a registry frame for the Dask draw; every input problem named by partition and row."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from drawcore.draw.lattice import (
    canonical_order,
)
from drawcore.draw.probabilities import (
    _py_ids,
)
from drawcore.draw.randomness import DrawKey, hash_ids
from drawcore.errors import InvalidInputError
from drawcore.i18n import joined, msg
from drawcore.scale.buckets import (
    _empty_ids,
)
from drawcore.scale.partitions import (
    _SHOWN,
    Ids,
    _Buckets,
    _dask,
    _Part,
)
from drawcore.scale.runner import Runner


def read_frame(path: str | os.PathLike[str], columns: Sequence[str]) -> Any:
    """A Dask DataFrame of ``columns`` from Parquet (a file, directory or glob) or CSV."""
    dd = _dask().dataframe
    text = os.fspath(path)
    if text.lower().endswith((".csv", ".csv.gz")):
        return dd.read_csv(text, usecols=list(columns), blocksize="64MB")
    if not (Path(text).exists() or any(ch in text for ch in "*?[")):
        raise InvalidInputError(msg("{text}: no such file or directory", text=text))
    return dd.read_parquet(text, columns=list(columns))


def raise_problems(problems: list[str]) -> None:
    if problems:
        shown = joined(problems[:_SHOWN])
        more = ""
        if len(problems) > _SHOWN:
            more = msg(" (and {count} more)", count=len(problems) - _SHOWN)
        raise InvalidInputError(
            msg(
                "{count} problem(s) in the input: {shown}{more}",
                count=len(problems),
                shown=shown,
                more=more,
            ),
            tuple(problems),
        )


def locate_duplicates(runner: Runner, loaded: list[Any], dups: list[Any]) -> str:
    """Where duplicate ids are, as 'partition k row r' (error path only)."""
    dask = _dask()
    want = np.asarray(dups)

    def find(part: _Part) -> list[str]:
        rows = np.flatnonzero(np.isin(part.ids, want))
        shown = _py_ids(part.ids[rows[:_SHOWN]])
        return [
            msg("{id} in partition {k} row {row}", id=repr(u), k=part.index, row=int(r))
            for u, r in zip(shown, rows[:_SHOWN], strict=True)
        ]

    found = runner.compute([dask.delayed(find)(x) for x in loaded])
    return joined([x for f in found for x in f][: 2 * _SHOWN])


def check_duplicates(
    runner: Runner, loaded: list[Any], key: DrawKey, kind: str, count: int
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
            msg(
                "{count} duplicate unit id(s): {shown}",
                count=len(dups),
                shown=locate_duplicates(runner, loaded, dups),
            ),
            tuple(msg("duplicate unit id {id}", id=repr(d)) for d in _py_ids(np.asarray(dups))),
        )
