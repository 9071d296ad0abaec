"""The journal's first link (BL-9, TJ-8): record 0's ``prev`` is 64 zeros, and nothing else.

Written from the journal's specification (module docstring of :mod:`drawcore.record.journal`):
one canonical JSON record per line, ``hash = SHA-256(canonical JSON of the record without
"hash")``, ``prev`` the previous record's hash, "64 zeros for record 0". A journal that starts
from any other ``prev`` -- every hash recomputed so each record is self-consistent -- was cut
from a longer one or made up, and must be refused by both the reader and the verifier.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from drawcore.errors import JournalError
from drawcore.record.journal import Journal
from drawcore.record.journal_check import verify

ZEROS = "0" * 64


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _chain(records: list[tuple[str, dict[str, object]]], first_prev: str) -> bytes:
    """Journal bytes built from the specification alone, starting from ``first_prev``."""
    out, prev = [], first_prev
    for seq, (kind, body) in enumerate(records):
        unsigned = {"body": body, "prev": prev, "seq": seq, "type": kind}
        digest = hashlib.sha256(_canonical(unsigned)).hexdigest()
        out.append(_canonical({**unsigned, "hash": digest}) + b"\n")
        prev = digest
    return b"".join(out)


RECORDS: list[tuple[str, dict[str, object]]] = [
    ("note", {"i": n, "text": f"第{n}条 record"}) for n in range(4)
]


def test_tj8_first_record_links_to_64_zeros(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl")
    j.append_many(RECORDS)
    assert j.path.read_bytes() == _chain(RECORDS, ZEROS)
    assert verify(j.path).ok


@pytest.mark.parametrize(
    "first_prev",
    [
        "1" + "0" * 63,
        "f" * 64,
        "",
        hashlib.sha256(b"a record cut off before this one").hexdigest(),
    ],
)
def test_tj8_journal_not_starting_at_genesis_is_refused(tmp_path: Path, first_prev: str) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(_chain(RECORDS, first_prev))
    report = verify(path)
    assert not report.ok
    assert report.bad_records == (0,)
    assert any("prev" in p.format() for p in report.problems), report.format()
    with pytest.raises(JournalError, match=r"record 0 .*prev"):
        Journal(path).refresh()
    with pytest.raises(JournalError, match=r"record 0"):
        Journal(path).append("note", {"i": 99})
    assert path.read_bytes() == _chain(RECORDS, first_prev), "a refused append writes nothing"
