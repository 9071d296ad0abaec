"""``drawcore draw --engine dask --scheduler ADDRESS``: the draw on a Dask cluster (BL-9, TJ-8).

The journaled draw made on a ``distributed`` cluster must be the very record the
local engine writes for the same inputs and seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("pandas")

from drawcore.cli import main  # noqa: E402
from drawcore.record.journal import Journal  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "county"

DRAW = [
    "--registry-dir",  # the snapshots stay in examples/county, named relative to it
    str(EXAMPLE),
    "--units",
    str(EXAMPLE / "units.csv"),
    "--inspectors",
    str(EXAMPLE / "inspectors.csv"),
    "--items",
    str(EXAMPLE / "items.csv"),
    "--plan-id",
    "2026Q3",
    "--size",
    "60",
    "--recusal",
    "township",
    "--committed-at",
    "2026-07-01T09:00:00+08:00",
    "--committed-by",
    "王建国",
    "--public-numbers",
    "5,12,19,23,30,33/4/518",
    "--entropy-at",
    "2026-07-02T21:30:00+08:00",
    "--drawn-by",
    "李明",
    "--signed-by",
    "王建国",
    "--drawn-at",
    "2026-07-03T09:00:00+08:00",
    "--signed-at",
    "2026-07-03T09:10:00+08:00",
]


class TaskCount(distributed.diagnostics.plugin.SchedulerPlugin):  # type: ignore[misc]
    """Counts the tasks the cluster's scheduler finished: proof the draw ran there."""

    def __init__(self) -> None:
        self.done = 0

    def transition(self, key: object, start: str, finish: str, *args: object, **kw: object) -> None:
        if finish == "memory":
            self.done += 1


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=":0",
        memory_limit=0,
    ) as c:
        yield c


def _records(journal: Path) -> list[tuple[str, object]]:
    return [(r.type, r.body) for r in Journal(journal).records()]


def test_tj8_cli_draw_on_a_dask_scheduler_journals_the_local_result(
    tmp_path: Path, cluster: object, capsys: pytest.CaptureFixture[str]
) -> None:
    address = str(cluster.scheduler_address)  # type: ignore[attr-defined]
    tasks = TaskCount()
    cluster.scheduler.add_plugin(tasks, name="drawcore-test-tasks")  # type: ignore[attr-defined]
    on_cluster = tmp_path / "cluster.jsonl"
    local = tmp_path / "local.jsonl"
    assert main(["draw", str(on_cluster), *DRAW, "--engine", "dask", "--scheduler", address]) == 0
    cluster_out = capsys.readouterr().out
    assert tasks.done > 0, "the draw ran on the cluster at --scheduler"
    assert "100% Completed" in cluster_out, "with a progress bar"
    assert main(["draw", str(local), *DRAW]) == 0
    local_out = capsys.readouterr().out
    got, want = _records(on_cluster), _records(local)
    assert [k for k, _ in got] == [k for k, _ in want]
    draws = [b for k, b in got if k == "draw"]
    assert len(draws) == 1
    assert draws[0]["units"], "units were drawn"  # type: ignore[index]
    assert got == want  # every record, the draw's units and probabilities included
    assert cluster_out.split("units drawn")[1] == local_out.split("units drawn")[1]
    # and it replays with sample_units
    assert main(["verify", str(on_cluster), "--registry-dir", str(EXAMPLE)]) == 0
    assert not cluster.scheduler.clients.keys() - {"fire-and-forget"}, "the draw disconnected"  # type: ignore[attr-defined]


def test_cli_scheduler_needs_the_dask_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "journal.jsonl"
    assert main(["draw", str(journal), *DRAW, "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "--scheduler needs --engine dask" in capsys.readouterr().err
    assert not journal.exists() or not Journal(journal).records(), "no record was written"
