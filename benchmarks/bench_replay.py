"""Replay benchmark: what it costs ``drawcore verify`` to replay a draw from its record.

Target (issue: "replay cost printed per draw"). Two counties:

- ``example``: the example county (3,200 units, 64 inspectors), 120 units drawn,
  township recusals, cap 5 tasks per inspector (what ``drawcore demo`` draws);
- ``large``: a generated county of 100,000 units and 600 inspectors, 3,000 units
  drawn, cap 12.

For each, ``DRAWS`` plans are committed, seeded and drawn into one journal, then
timed side by side in the same run:

- ``draw``: :func:`drawcore.record.records.run_draw` on registries in memory -- the
  baseline: the draw itself;
- ``read``: reading and validating both registry snapshots from CSV (replay does
  this once per snapshot, then caches);
- ``replay``: :func:`drawcore.record.verification` of one record on registries in
  memory (the draw again + building the expected record + comparing);
- ``verify``: :func:`drawcore.journal.verify` without replay (hashes, chain,
  rules, Merkle root) and ``verify+replay``: :func:`drawcore.verification.verify_draws`;
  ``(verify+replay - verify) / DRAWS`` is the replay cost per draw as
  ``drawcore verify`` pays it, registry reading included.

Run: ``python benchmarks/bench_replay.py``
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from drawcore.record import ceremony, verification
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.journal_check import verify
from drawcore.record.records import run_draw
from drawcore.record.replay import replay
from drawcore.record.signing import Signing
from drawcore.registry.readers import read_inspectors, read_units
from drawcore.registry.registries import InspectorRegistry, UnitRegistry
from drawcore.registry.writers import write_inspectors, write_units

ROOT = Path(__file__).resolve().parents[1]
DRAWS = 4
SIGNING = Signing(
    drawn_by="李明",
    signed_by="王建国",
    drawn_at="2026-01-07T09:00:00+08:00",
    signed_at="2026-01-07T09:15:00+08:00",
)


def best(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def make_large(d: Path) -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    from make_county import make_inspectors, make_units

    rng = np.random.default_rng(7)  # test data only, not part of any draw
    write_units(UnitRegistry.from_records(make_units(rng, 100_000)), d / "units.csv")
    write_inspectors(
        InspectorRegistry.from_records(make_inspectors(rng, 600)), d / "inspectors.csv"
    )


def run(name: str, d: Path, size: int, cap: int) -> None:
    units, inspectors = read_units(d / "units.csv"), read_inspectors(d / "inspectors.csv")
    j = Journal(d / "journal.jsonl")
    plans = []
    for k in range(DRAWS):
        plan = DrawPlan(
            plan_id=f"2026-{name}-{k}",
            units=RegistryRef(path="units.csv", fingerprint=units.fingerprint),
            inspectors=RegistryRef(path="inspectors.csv", fingerprint=inspectors.fingerprint),
            size=size,
            max_tasks=cap,
            recusal_rules=("township",),
        )
        ceremony.run_ceremony(
            j,
            plan,
            committed_at="2026-01-05T09:00:00+08:00",
            committed_by="王建国",
            entropy_at="2026-01-06T21:30:00+08:00",
            rfc3797_sources=[[3, 11, 17, 22, 28, 31], [9], [742 + k]],
            units=units,
            inspectors=inspectors,
            signing=SIGNING,
        )
        plans.append(plan)
    records = [r for r in j.records() if r.type == "draw"]
    seed = bytes.fromhex(records[0].body["seed"])

    t_draw = best(lambda: run_draw(plans[0], units, inspectors, seed))
    t_read = best(lambda: (read_units(d / "units.csv"), read_inspectors(d / "inspectors.csv")))
    t_replay = best(lambda: replay(records[0].body, units, inspectors))
    assert replay(records[0].body, units, inspectors) is None
    t_verify = best(lambda: verify(j.path), repeat=2)
    t_full = best(lambda: verification.verify_draws(j.path), repeat=2)
    report = verification.verify_draws(j.path)
    if not report.ok:
        raise SystemExit(report.format())
    per_draw = (t_full - t_verify) / DRAWS
    size_kb = j.path.stat().st_size / DRAWS / 1024
    print(f"{name}: {len(units):,} units, {len(inspectors)} inspectors, {size:,} drawn per draw, "
          f"{DRAWS} draws, {size_kb:,.0f} KiB per draw record")  # fmt: skip
    print(f"  draw (baseline)        {t_draw * 1e3:9.1f} ms   1.00x")
    print(f"  read both registries   {t_read * 1e3:9.1f} ms   {t_read / t_draw:5.2f}x")
    print(f"  replay one record      {t_replay * 1e3:9.1f} ms   {t_replay / t_draw:5.2f}x")
    print(f"  verify, no replay      {t_verify * 1e3:9.1f} ms   ({DRAWS * 3} records)")
    print(f"  verify + replay        {t_full * 1e3:9.1f} ms")
    print(f"  => replay per draw     {per_draw * 1e3:9.1f} ms   {per_draw / t_draw:5.2f}x "
          "(registries read once, shared by the draws)")  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        example = Path(tmp) / "example"
        example.mkdir()
        for f in ("units.csv", "inspectors.csv"):
            (example / f).write_bytes((ROOT / "examples" / "county" / f).read_bytes())
        run("example", example, size=120, cap=5)
        large = Path(tmp) / "large"
        large.mkdir()
        make_large(large)
        run("large", large, size=3_000, cap=12)


if __name__ == "__main__":
    main()
