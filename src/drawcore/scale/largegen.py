"""A large synthetic unit registry as partitioned Parquet, for Dask tests and benchmarks.

Written one partition at a time with ``pyarrow`` (never the whole table in
memory), each partition from its own seeded generator, so any partition can be
rebuilt alone and the files are the same on every run. The data is synthetic:
its generator is numpy's, not :mod:`drawcore.randomness` (no draw happens here).

Columns: ``id`` (unique ``int64``, or 18-character text codes with
``text_ids=True``), ``weight`` (risk weight: mostly 1-4, a heavy tail up to
several hundred, 2 % zero), ``mandatory`` (about 0.1 %), ``excluded`` (about
1 %, never mandatory), ``stratum`` (one of 31 province codes, unequal sizes).

Run: ``python -m drawcore.scale.largegen OUT_DIR --rows 100000000 --per-file 2000000``
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg

__all__ = ["PROVINCES", "main", "make_partition", "write_registry"]

#: GB/T 2260 province-level codes (31 mainland divisions).
PROVINCES = (
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65",
)  # fmt: skip


def make_partition(
    k: int, start: int, rows: int, *, seed: int = 2024, text_ids: bool = False
) -> dict[str, npt.NDArray[np.generic]]:
    """Rows ``start .. start + rows`` of the registry (partition ``k``), as numpy columns."""
    rng = np.random.default_rng([seed, k])
    idx = np.arange(start, start + rows, dtype=np.int64)
    # a bijection of the row number so ids are not in row order
    ids = (idx * 2654435761 + 12345) % (1 << 40)
    weight = rng.choice([1.0, 2.0, 3.0, 4.0], size=rows, p=[0.5, 0.3, 0.15, 0.05])
    tail = rng.random(rows) < 0.01
    weight[tail] = np.round(rng.pareto(1.5, int(tail.sum())) * 20.0 + 4.0, 3)
    weight[rng.random(rows) < 0.02] = 0.0
    mandatory = rng.random(rows) < 0.001
    excluded = (rng.random(rows) < 0.01) & ~mandatory
    share = np.linspace(3.0, 0.3, len(PROVINCES))
    stratum = np.asarray(PROVINCES)[rng.choice(len(PROVINCES), size=rows, p=share / share.sum())]
    out: dict[str, npt.NDArray[np.generic]] = {
        "id": ids,
        "weight": weight,
        "mandatory": mandatory,
        "excluded": excluded,
        "stratum": stratum.astype(object),
    }
    if text_ids:
        out["id"] = np.char.add("91", np.char.zfill(ids.astype(str), 16)).astype(object)
    return out


def write_registry(
    out_dir: str | os.PathLike[str],
    rows: int,
    *,
    per_file: int = 2_000_000,
    seed: int = 2024,
    text_ids: bool = False,
) -> list[Path]:
    """Write ``rows`` units as ``part-00000.parquet`` ... under ``out_dir``; returns the paths.

    Memory is one partition's columns at a time (~30 bytes a row).
    """
    pa: Any = importlib.import_module("pyarrow")
    pq: Any = importlib.import_module("pyarrow.parquet")

    if rows < 0 or per_file <= 0:
        raise InvalidInputError(msg("rows must be >= 0 and per_file > 0"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for k, start in enumerate(range(0, rows, per_file)):
        cols = make_partition(k, start, min(per_file, rows - start), seed=seed, text_ids=text_ids)
        table = pa.table({name: pa.array(col) for name, col in cols.items()})
        path = out / f"part-{k:05d}.parquet"
        pq.write_table(table, path, row_group_size=1 << 20)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drawcore.scale.largegen", description=__doc__)
    parser.add_argument("out_dir")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--per-file", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--text-ids", action="store_true")
    args = parser.parse_args(argv)
    paths = write_registry(
        args.out_dir, args.rows, per_file=args.per_file, seed=args.seed, text_ids=args.text_ids
    )
    print(f"wrote {args.rows} units in {len(paths)} file(s) under {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
