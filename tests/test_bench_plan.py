"""The annual plan's benchmark runs as its one command says, and ``--phases`` times
every step it names (a step renamed or no longer called in the plan would show)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench_plan.py"


def _phases() -> list[str]:
    """What each step of ``PHASES`` does, as the benchmark prints it."""
    spec = importlib.util.spec_from_file_location("bench_plan", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return [what for _, _, what in bench.PHASES]


@pytest.mark.slow
def test_bench_plan_prints_every_figure_and_where_the_time_goes() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--units", "10000", "--phases"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        cwd=ROOT,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode in (0, 1), done.stderr  # 1: a target not met, never a crash
    assert "Traceback" not in done.stderr
    assert re.search(r"plan_year: [\d.]+ s wall", out)
    assert re.search(r"plan / sample_units = [\d,]+x", out)
    assert re.search(r"= \d+ bytes per task", out)
    assert re.search(r"replay_year \(what verify runs\): [\d.]+ s wall = [\d.]+x the plan", out)
    assert out.rstrip().endswith(("targets: met", "targets: NOT met"))
    # every step timed and called in this plan (the fallback too: the capacity is used
    # to the last seat), with its share of the plan
    for what in [
        *_phases(),
        "the cycle collector's passes over new objects",
        "the rest (lists of ids, reasons, probabilities)",
    ]:
        line = re.search(
            re.escape(what) + r" +(-?[\d.]+) s +(-?[\d.]+)% +[\d,.-]+x sample_units", out
        )
        assert line is not None, f"step not timed: {what}\n{out}"
    assert "not called" not in out
