"""Concurrent writers through two names of one journal (a symlink and a hard link in other
folders) keep one chain: no fork, no lost record (TJ-8)."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from drawcore.record.journal import Journal
from drawcore.record.journal_check import verify

WRITERS = 6
APPENDS = 20


def _writer(args: tuple[str, int]) -> list[int]:
    path, who = args
    j = Journal(path)
    return [j.append("note", {"writer": who, "n": n}).seq for n in range(APPENDS)]


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_tj8_writers_through_two_names_share_one_chain(tmp_path: Path, link: str) -> None:
    (tmp_path / "office").mkdir()
    (tmp_path / "elsewhere").mkdir()
    main_name = tmp_path / "office" / "journal.jsonl"
    Journal(main_name).append("note", {"writer": -1, "n": 0})
    other_name = tmp_path / "elsewhere" / "journal.jsonl"
    if link == "symlink":
        other_name.symlink_to(main_name)
    else:
        os.link(main_name, other_name)
    names = [str(main_name), str(other_name)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(WRITERS) as pool:
        seqs = pool.map(_writer, [(names[i % 2], i) for i in range(WRITERS)])
    every = sorted(s for got in seqs for s in got)
    assert every == list(range(1, 1 + WRITERS * APPENDS))  # each acknowledged once, no gap
    report = verify(main_name)
    assert report.ok, report.format()
    assert report.records == 1 + WRITERS * APPENDS
    records = Journal(other_name).records()
    for who in range(WRITERS):
        assert [r.body["n"] for r in records if r.body["writer"] == who] == list(range(APPENDS))
    assert not list(tmp_path.rglob("*.lock"))  # the lock is the file's own, not a name's
