"""Benchmark: ``read_units`` on a 1,000,000-row unit CSV and a 100,000-row xlsx, validated.

Run: ``python benchmarks/bench_read_units.py [--rows N] [--xlsx-rows N] [--repeat K]``
(needs ``pip install -e ".[test,bench]"``: pandas for the baseline, openpyxl to write the
workbook).

Targets (GUIDE §7): the CSV read within 3x of ``pandas.read_csv(path, dtype=str)`` on the
same file in the same run (pandas only splits the text into string columns: no typing,
no id check characters, no validation); the xlsx read under 10 s.

Each timing is the best of ``--repeat`` runs, wall and CPU time both printed (on a
shared machine CPU time is the steadier number); the baseline and drawcore alternate so
both see the same machine load. Also printed: ``csv.reader`` alone (the least a reader
built on the standard library must spend) and the registry fingerprint (computed lazily,
so not part of the read time).
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def make_xlsx(csv_path: Path, path: Path, rows: int) -> None:
    """The first ``rows`` records of the CSV as an office's xlsx export: a title row, a
    序号 column, numbers as numbers and dates as date cells."""
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(["博罗县检查对象名录"])
    with csv_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        sheet.append(["序号", *next(reader)])
        for i, row in zip(range(1, rows + 1), reader, strict=False):
            cells: list[Any] = [i, *row]
            cells[10] = float(row[9])  # 风险权重
            cells[20] = dt.date.fromisoformat(row[19]) if row[19] else None  # 最近检查日期
            sheet.append(cells)
    book.save(path)


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, float, Any]:
    """(best wall time, its CPU time, the result) over ``repeat`` runs."""
    best: tuple[float, float, Any] | None = None
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = run()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or wall < best[0]:
            best = (wall, cpu, result)
        del result
    assert best is not None
    return best


def line(what: str, wall: float, cpu: float, rows: int) -> str:
    return f"{what:<34}{wall:7.2f} s  {rows / wall:12,.0f} rows/s  (CPU {cpu:.2f} s)"


def main() -> None:
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "units.csv"
        t0 = time.perf_counter()
        make_file(path, max(args.rows, args.xlsx_rows))
        print(f"wrote {max(args.rows, args.xlsx_rows):,} rows ({path.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        if args.xlsx_rows > args.rows:
            raise SystemExit("--xlsx-rows may not exceed --rows")

        def stdlib() -> int:
            with path.open(encoding="utf-8", newline="") as fh:
                return sum(1 for _ in csv.reader(fh)) - 1

        pandas_runs: list[tuple[float, float]] = []
        ours_runs: list[tuple[float, float]] = []
        units = None
        for _ in range(args.repeat):  # alternate, so both see the same load
            wall, cpu, frame = best_of(1, lambda: pd.read_csv(path, dtype=str))
            pandas_runs.append((wall, cpu))
            assert len(frame) == args.rows
            del frame
            wall, cpu, units = best_of(1, lambda: read_units(path))
            ours_runs.append((wall, cpu))
        assert units is not None
        assert len(units) == args.rows
        base_wall, base_cpu = min(pandas_runs)
        wall, cpu = min(ours_runs)
        std_wall, std_cpu, counted = best_of(1, stdlib)
        assert counted == args.rows
        t0 = time.perf_counter()
        fp = units.fingerprint
        fp_time = time.perf_counter() - t0
        del units

        xlsx = Path(tmp) / "单位名册.xlsx"
        t0 = time.perf_counter()
        make_xlsx(path, xlsx, args.xlsx_rows)
        print(f"wrote {args.xlsx_rows:,}-row xlsx ({xlsx.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        x_wall, x_cpu, sheet_units = best_of(args.repeat, lambda: read_units(xlsx))
        assert len(sheet_units) == args.xlsx_rows

    print(f"best of {args.repeat}, {args.rows:,}-row CSV:")
    print(line("pandas.read_csv(dtype=str)", base_wall, base_cpu, args.rows))
    print(line("read_units (validated)", wall, cpu, args.rows))
    print(line("csv.reader only (reference)", std_wall, std_cpu, args.rows))
    ratio = wall / base_wall
    print(f"ratio read_units / pandas:        {ratio:6.2f}x  (CPU {cpu / base_cpu:.2f}x)")
    rounds = ", ".join(
        f"{o[0] / b[0]:.2f}x (CPU {o[1] / b[1]:.2f}x)"
        for b, o in zip(pandas_runs, ours_runs, strict=True)
    )
    print(f"ratio in each round:              {rounds}")
    print(f"target: within 3x of pandas -> {'met' if ratio <= 3 else 'NOT met'}")
    print(f"fingerprint (lazy, separate):     {fp_time:6.2f} s  {fp[:16]}")
    print(f"{args.xlsx_rows:,}-row xlsx:")
    print(line("read_units (validated)", x_wall, x_cpu, args.xlsx_rows))
    print(f"target: under 10 s -> {'met' if x_wall < 10 else 'NOT met'}")
    print(f"load average at the end:          {os.getloadavg()[0]:.2f} (on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
