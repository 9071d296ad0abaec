"""Journal benchmark: append 100,000 records and verify them (hashes, chain, Merkle root).

Target (GUIDE §7): append + verify of 100,000 records under 5 s, without replay.

Run: ``python benchmarks/bench_journal.py [N]``

What is measured, side by side in one run:

- ``append``: ``Journal.append_many`` in batches of 1,000 records -- one lock, and per
  batch one write + ``fsync`` with the batch marked pending, then the one-byte commit +
  ``fsync`` (what a bulk import or a draw with many units does).
- ``verify``: :func:`drawcore.journal.verify` over the whole file: JSON parse, canonical
  form, record hash, ``seq``/``prev`` chain, ceremony rules, RFC 6962 root.
- ``baseline``: the floor any such journal pays -- write the same lines to a file with
  one fsync, then SHA-256 every line once (no JSON, no chain, no tree).
- ``fsync per record``: ``Journal.append`` one record at a time (lock + write + fsync
  each) for 1,000 records; the cost per record is printed and, separately, what
  100,000 such appends would take *by extrapolation* (not run: it is disk-bound).
- ``raw fsync per record``: its baseline -- ``os.write`` + ``os.fsync`` of the same
  lines one at a time, no lock, no JSON; the ratio shows what the lock, the checks and
  the second (commit) ``fsync`` cost.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

from drawcore.record.journal import Journal
from drawcore.record.journal_check import verify

BATCH = 1_000


def body(i: int) -> dict[str, object]:
    return {
        "plan_id": f"2026-Q4-{i // 1000:04d}",
        "unit": f"91441322MA{i:08d}",
        "inspectors": [f"insp-{i % 97:03d}", f"insp-{(i * 7) % 97:03d}"],
        "pi": 0.3,
        "at": "2026-10-03T09:00:00+08:00",
    }


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.jsonl"
        j = Journal(path)
        t0 = time.perf_counter()
        for start in range(0, n, BATCH):
            j.append_many([("note", body(i)) for i in range(start, min(n, start + BATCH))])
        t_append = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = verify(path)
        t_verify = time.perf_counter() - t0
        if not report.ok or report.records != n:
            raise SystemExit(report.format())

        size = path.stat().st_size
        lines = path.read_bytes().split(b"\n")[:-1]
        base = Path(d) / "baseline.jsonl"
        t0 = time.perf_counter()
        fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(fd, b"".join(line + b"\n" for line in lines))
        os.fsync(fd)
        os.close(fd)
        for line in base.read_bytes().split(b"\n")[:-1]:
            hashlib.sha256(line).digest()
        t_base = time.perf_counter() - t0

        single = Journal(Path(d) / "single.jsonl")
        m = 1_000
        t0 = time.perf_counter()
        for i in range(m):
            single.append("note", body(i))
        t_single = (time.perf_counter() - t0) / m

        raw = os.open(Path(d) / "raw.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        t0 = time.perf_counter()
        for line in lines[:m]:
            os.write(raw, line + b"\n")
            os.fsync(raw)
        t_raw = (time.perf_counter() - t0) / m
        os.close(raw)

    total = t_append + t_verify
    print(f"journal benchmark, N = {n:,} records, {size / 1e6:.1f} MB")
    print(f"  append  (batches of {BATCH:,}, fsync per batch): {t_append:7.3f} s")
    print(f"  verify  (hashes + chain + rules + Merkle root):   {t_verify:7.3f} s")
    print(
        f"  total   append + verify:                          {total:7.3f} s  (target < 5 s: "
        f"{'MET' if total < 5 else 'MISSED'})"
    )
    print(f"  baseline (write lines + 1 fsync + SHA-256 each):  {t_base:7.3f} s")
    print(f"  ratio   total / baseline:                         {total / t_base:7.1f} x")
    print(f"  fsync per record (measured on {m:,} appends):      {t_single * 1e3:7.3f} ms/record")
    print(f"  raw write + fsync per record (baseline):           {t_raw * 1e3:7.3f} ms/record")
    print(f"  ratio   fsync per record / raw:                   {t_single / t_raw:7.1f} x")
    print(f"  -> {n:,} single-record appends would take ~{t_single * n:,.0f} s (extrapolated)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
