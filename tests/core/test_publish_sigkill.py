"""SIGKILL during publish, many times: the folder holds the old publication or the new one,
never a mix and never nothing; the next run clears what a killed run left."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from test_publication_safety import county_dir, journal  # noqa: F401  (fixture)

from drawcore.publish.disclosure import write_publication
from drawcore.publish.tables import Publication, build_publication
from drawcore.record.journal import Journal


def publish_forever(out: Path, pubs: list[Publication], ready: int) -> None:
    """In a forked child: publish the second state, say so, then alternate until killed."""
    try:
        write_publication(pubs[1], out)
        os.write(ready, b"r")
        i = 0
        while True:
            write_publication(pubs[i % 2], out)
            i += 1
    finally:
        os._exit(1)


TRIALS = 40


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_sigkill_during_publish_leaves_old_or_new_never_a_mix(
    tmp_path: Path,
    county_dir: Path,  # noqa: F811
) -> None:
    path = journal(tmp_path, county_dir, ["已整改"])
    j = Journal(path)
    records, cp = j.records(), j.checkpoint()
    states = []
    for q in ("2026Q1", "2026Q2"):  # the states a reader may see
        write_publication(build_publication(records, cp, quarter=q), tmp_path / q)
        states.append(snapshot(tmp_path / q))
    assert states[0] != states[1]
    pubs = [build_publication(records, cp, quarter=q) for q in ("2026Q1", "2026Q2")]
    rng = random.Random(20261204)
    seen = [0, 0]
    out = tmp_path / "public"
    for trial in range(TRIALS):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            publish_forever(out, pubs, write)
        os.close(write)
        assert os.read(read, 1) == b"r", f"trial {trial}"
        os.close(read)
        time.sleep(rng.uniform(0.0, 0.1))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        now = snapshot(out)
        assert now in states, f"trial {trial}: a mixed or partial publication"
        seen[states.index(now)] += 1
    assert all(seen), f"the kills landed on one state only: {seen}"
    write_publication(build_publication(records, cp, quarter="2026Q1"), tmp_path / "public")
    assert [p.name for p in tmp_path.iterdir() if ".publishing-" in p.name] == []
