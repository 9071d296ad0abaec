"""Benchmark: ``read_units`` on a 1,000,000-row unit CSV, fully validated (target: under 10 s).

Run: ``python benchmarks/bench_read_units.py [--rows N]``

Wall time and CPU time are both printed: on a shared machine CPU time is the steadier
number. Baseline, measured side by side in the same run: ``csv.reader`` alone reading the
same file into a list of rows (no decoding checks, no typing, no validation) --
the least any CSV reader built on the standard library must spend. Also printed:
the registry fingerprint (computed lazily, so not part of the read time).
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from drawcore.registry.ids import USCC_ALPHABET, make_uscc
from drawcore.registry.readers import read_units

HEADER = (
    "统一社会信用代码,名称,主体类型,行业类别,所属乡镇,住所,负责人,联系方式,风险等级,风险权重,"
    "信用等级,黑名单,失信联合惩戒,重大事故隐患,死亡事故年份,安全生产许可,立案查处,生产状态,"
    "已列入上级抽查计划,最近检查日期"
)


def make_file(path: Path, rows: int, seed: int = 7) -> None:
    """A synthetic unit CSV with every column filled the way a real export would be."""
    rng = np.random.default_rng(seed)
    industries = ["危险化学品", "非煤矿山", "烟花爆竹", "冶金", "有色", "建材", "机械", "轻工"]
    towns = ["罗阳街道", "石湾镇", "园洲镇", "龙溪街道", "长宁镇", "福田镇", "龙华镇", "湖镇镇"]
    levels = ["low", "moderate", "high", "major"]
    alphabet = np.array(list(USCC_ALPHABET))
    bodies = rng.choice(alphabet, size=(rows, 9))
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER + "\n")
        for i in range(rows):
            uscc = make_uscc("91441322" + "".join(bodies[i]))
            level = levels[i % 4]
            year = "2017" if i % 97 == 0 else ""
            day = "" if i % 3 == 0 else f"2017-{1 + i % 12:02d}-{1 + i % 28:02d}"
            fh.write(
                f"{uscc},博罗县第{i}号有限公司,有限责任公司,{industries[i % 8]},{towns[i % 8]},"
                f"博罗县{towns[i % 8]}工业区{i % 300}号,陈{i % 1000},1350000{i % 10000:04d},"
                f"{level},{1 + i % 4}.0,B,{'true' if i % 33 == 0 else 'false'},false,false,"
                f"{year},false,false,normal,false,{day}\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.csv"
        t0 = time.perf_counter()
        make_file(path, args.rows)
        print(f"wrote {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip

        t0, c0 = time.perf_counter(), time.process_time()
        with path.open(encoding="utf-8", newline="") as fh:
            baseline_rows = sum(1 for _ in csv.reader(fh)) - 1
        baseline, baseline_cpu = time.perf_counter() - t0, time.process_time() - c0

        t0, c0 = time.perf_counter(), time.process_time()
        units = read_units(path)
        elapsed, elapsed_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert len(units) == baseline_rows == args.rows

        t0 = time.perf_counter()
        fp = units.fingerprint
        fp_time = time.perf_counter() - t0

    print(
        f"baseline csv.reader only:     {baseline:6.2f} s  {args.rows / baseline:12,.0f} rows/s"
        f"  (CPU {baseline_cpu:.2f} s)"
    )
    print(
        f"read_units (validated):       {elapsed:6.2f} s  {args.rows / elapsed:12,.0f} rows/s"
        f"  (CPU {elapsed_cpu:.2f} s)"
    )
    print(f"load average at the end:      {os.getloadavg()[0]:.2f} (on {os.cpu_count()} cores)")
    print(f"ratio read_units / baseline:  {elapsed / baseline:6.2f}x")
    print(f"target: under 10 s -> {'met' if elapsed < 10 else 'NOT met'}")
    print(f"fingerprint (lazy, separate): {fp_time:6.2f} s  {fp[:16]}")


if __name__ == "__main__":
    main()
