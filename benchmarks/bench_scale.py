"""Benchmark: ``sample_units_dask`` on 10^8 units from Parquet (target: completes, peak < 8 GiB).

Run: ``python benchmarks/bench_scale.py [--n 100000000] [--workers 2]``

Baseline, measured side by side in the same run: the local ``sample_units`` on
the first ``min(n, 10^7)`` units of the same files (read into memory first, the
read not timed), scaled linearly to ``n``; the ratio printed is
``dask time / scaled local time``. The local baseline runs in a child process
so each figure has its own peak. Peak memory is the largest resident set of the
whole process tree (this process, the Dask workers and any children), sampled
every 0.1 s with ``psutil`` (or ``/proc``). The registry is written once with
:mod:`drawcore.largegen` (its time is printed, not counted).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

GIB = float(1 << 30)


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    try:
        import psutil

        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
        total = 0
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total
    except ImportError:
        return _proc_tree_rss(pid)


def _proc_tree_rss(pid: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
        todo.extend(children.get(p, []))
    return total


class PeakMemory:
    """Samples the process tree's RSS in a thread; ``peak`` is the maximum seen."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.pid))


def _read_local(files: list[Path], n: int) -> dict[str, Any]:
    import numpy as np
    import pyarrow.parquet as pq

    cols: dict[str, list[Any]] = {"id": [], "weight": [], "mandatory": [], "excluded": []}
    got = 0
    for f in files:
        t = pq.read_table(f, columns=list(cols))
        take = min(t.num_rows, n - got)
        for name in cols:
            cols[name].append(t.column(name).to_numpy()[:take])
        got += take
        if got >= n:
            break
    return {k: np.concatenate(v) for k, v in cols.items()}


def _local_child(files: list[str], n: int, size: int, seed: str, out: Any) -> None:
    from drawcore.draw.sampling import sample_units

    data = _read_local([Path(f) for f in files], n)
    with PeakMemory(os.getpid()) as mem:
        t0 = time.perf_counter()
        res = sample_units(
            data["id"],
            data["weight"],
            size,
            seed=seed,
            mandatory=data["mandatory"],
            excluded=data["excluded"],
        )
        elapsed = time.perf_counter() - t0
    out.put((elapsed, mem.peak, len(res.selected)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000_000)
    parser.add_argument("--per-file", type=int, default=2_000_000)
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "drawcore-registry"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--processes", action="store_true", help="worker processes, not threads")
    parser.add_argument("--strata", action="store_true", help="stratify by province")
    parser.add_argument("--local-n", type=int, default=10_000_000)
    parser.add_argument("--rate", type=float, default=0.01, help="sampling fraction")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from drawcore.draw.strata import allocate_proportional
    from drawcore.scale import sample_units_dask
    from drawcore.scale.largegen import write_registry

    root = Path(args.dir) / f"n{args.n}-f{args.per_file}"
    files = sorted(root.glob("part-*.parquet"))
    if not files:
        t0 = time.perf_counter()
        files = write_registry(root, args.n, per_file=args.per_file)
        print(f"generated {args.n:,} units in {len(files)} files: {time.perf_counter() - t0:.1f} s")
    size = max(1, int(args.n * args.rate))
    seed = "bench-scale"

    n_local = min(args.n, args.local_n)
    size_local = max(1, int(n_local * args.rate))
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(
        target=_local_child, args=([str(f) for f in files], n_local, size_local, seed, queue)
    )
    child.start()
    local_time, local_peak, _ = queue.get()
    child.join()
    scaled = local_time * args.n / n_local
    print(
        f"local sample_units, {n_local:,} units (in memory): {local_time:.1f} s, "
        f"draw peak RSS {local_peak / GIB:.2f} GiB; scaled to {args.n:,}: {scaled:.1f} s"
    )

    size_arg: Any = size
    stratum_col = None
    if args.strata:
        import dask.dataframe as dd

        counts = dd.read_parquet(str(root), columns=["stratum"])["stratum"].value_counts().compute()
        size_arg = allocate_proportional({str(k): int(v) for k, v in counts.items()}, size)
        stratum_col = "stratum"

    with PeakMemory(os.getpid()) as mem:
        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=args.processes,
            memory_limit=0,
            dashboard_address=":0",
        )
        client = Client(cluster)
        t0 = time.perf_counter()
        res = sample_units_dask(
            str(root),
            size_arg,
            seed=seed,
            mandatory_col="mandatory",
            excluded_col="excluded",
            stratum_col=stratum_col,
            scheduler=client,
        )
        elapsed = time.perf_counter() - t0
        client.close()
        cluster.close()
    print(
        f"dask sample_units_dask, {args.n:,} units from {len(files)} Parquet files, "
        f"{args.workers} workers ({'processes' if args.processes else 'threads'}), "
        f"{res.buckets} shuffle buckets: {elapsed:.1f} s, selected {len(res.selected):,}"
    )
    print(f"peak RSS of the process tree: {mem.peak / GIB:.2f} GiB (goal < 8 GiB)")
    print(f"ratio dask / local scaled linearly: {elapsed / scaled:.2f}x")
    print(f"fingerprint {res.fingerprint}")


if __name__ == "__main__":
    main()
