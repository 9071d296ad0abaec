"""The tamper-evident journal (BL-9 full trace, TJ-8 platform records): faults as tests."""

from __future__ import annotations

import itertools
import json
import math
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore.errors import InvalidInputError, JournalError
from drawcore.record import merkle
from drawcore.record.checkpoints import (
    Checkpoint,
    hmac_signer,
    hmac_verifier,
    read_checkpoints,
    verify_extension,
    verify_inclusion,
    write_checkpoint,
)
from drawcore.record.journal import GENESIS, REPAIR, Journal, Record, record_hash
from drawcore.record.journal_check import verify, verify_file
from drawcore.record.seeding import RULED_KINDS
from drawcore.serde import canonical_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


def _journal(tmp_path: Path, n: int = 6) -> Journal:
    j = Journal(tmp_path / "j.jsonl")
    j.append_many([("note", {"i": i, "text": f"record {i} 抽查"}) for i in range(n)])
    return j


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


@given(
    # types the ceremony rules or the journal check (a malformed "result" is refused)
    # are covered by their own tests; any other type is stored as given
    st.text(min_size=1, max_size=10).filter(lambda k: k not in (*RULED_KINDS, REPAIR)),
    json_values,
)
def test_tj8_record_line_is_serde_canonical_json(kind: str, body: object) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        rec = Journal(Path(d) / "j.jsonl").append(kind, body)
        line = (Path(d) / "j.jsonl").read_bytes().rstrip(b"\n")
    as_dict = {"body": rec.body, "hash": rec.hash, "prev": rec.prev, "seq": rec.seq, "type": kind}
    assert line == canonical_json(as_dict) == rec.line()
    assert rec.hash == record_hash(0, GENESIS, kind, json.loads(line)["body"])


def test_tj8_chain_and_sequence(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    recs = j.records()
    assert [r.seq for r in recs] == list(range(6))
    assert recs[0].prev == GENESIS
    assert all(b.prev == a.hash for a, b in itertools.pairwise(recs))
    report = verify(j.path)
    assert report.ok
    assert report.records == 6
    assert report.root == merkle.root([merkle.leaf_hash(x) for x in _lines(j.path)]).hex()


def test_tj8_second_journal_object_continues_the_chain(tmp_path: Path) -> None:
    _journal(tmp_path, 3)
    j2 = Journal(tmp_path / "j.jsonl")
    rec = j2.append("note", {"i": 3})
    assert rec.seq == 3
    assert verify(j2.path).ok


@given(st.data())
def test_tj8_any_single_bit_flip_is_caught_and_named(data: st.DataObject) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        j = _journal(Path(d), 5)
        raw = bytearray(j.path.read_bytes())
        pos = data.draw(st.integers(0, len(raw) - 1), label="byte")
        bit = data.draw(st.integers(0, 7), label="bit")
        victim = raw[:pos].count(b"\n")  # record whose line (or newline) holds the byte
        raw[pos] ^= 1 << bit
        j.path.write_bytes(bytes(raw))
        report = verify(j.path)
    assert not report.ok
    assert report.bad_records
    assert report.bad_records[0] == victim


def test_tj8_deleted_record_is_caught(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    lines = _lines(j.path)
    del lines[2]
    j.path.write_bytes(b"".join(x + b"\n" for x in lines))
    report = verify(j.path)
    assert not report.ok
    assert report.bad_records[0] == 2


def test_tj8_reordered_records_are_caught(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    lines = _lines(j.path)
    lines[3], lines[4] = lines[4], lines[3]
    j.path.write_bytes(b"".join(x + b"\n" for x in lines))
    report = verify(j.path)
    assert not report.ok
    assert report.bad_records[0] == 3


def test_tj8_truncation_caught_by_checkpoint(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    cp = j.checkpoint(at="2026-10-01T00:00:00Z")
    lines = _lines(j.path)
    j.path.write_bytes(b"".join(x + b"\n" for x in lines[:4]))
    assert verify(j.path).ok  # a clean cut at a line end leaves a valid chain ...
    report = verify(j.path, checkpoints=[cp])  # ... which the checkpoint catches
    assert not report.ok
    assert "missing (truncated)" in report.format()
    assert report.bad_records == (4,)


def test_tj8_truncation_mid_line_is_a_torn_tail(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    data = j.path.read_bytes()
    j.path.write_bytes(data[:-10])
    report = verify(j.path)
    assert not report.ok
    assert [(p.record, p.kind) for p in report.problems] == [(5, "torn")]


def _rewrite(path: Path, change_at: int) -> None:
    """Rewrite the journal consistently: change one body and recompute every hash."""
    lines = [json.loads(x) for x in _lines(path)]
    lines[change_at]["body"]["text"] = "forged"
    prev = GENESIS
    out = []
    for rec in lines:
        rec["prev"] = prev
        rec["hash"] = record_hash(rec["seq"], prev, rec["type"], rec["body"])
        prev = rec["hash"]
        out.append(canonical_json(rec) + b"\n")
    path.write_bytes(b"".join(out))


def test_tj8_consistent_rewrite_caught_by_earlier_checkpoint(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    held_elsewhere = tmp_path / "elsewhere" / "checkpoints.jsonl"
    held_elsewhere.parent.mkdir()
    write_checkpoint(held_elsewhere, j.checkpoint(at="2026-10-01T00:00:00Z"))
    j.append("note", {"i": 6})
    _rewrite(j.path, 2)
    assert verify(j.path).ok  # the chain alone cannot see it
    report = verify_file(j.path, held_elsewhere)
    assert not report.ok
    assert "rewritten" in report.format()


def test_tj8_consistency_proof_links_checkpoints(tmp_path: Path) -> None:
    j = _journal(tmp_path, 5)
    old = j.checkpoint()
    j.append_many([("note", {"i": i}) for i in range(5, 11)])
    new = j.checkpoint()
    proof = j.consistency_proof(old.size)
    assert verify_extension(old, new, proof)
    _rewrite(j.path, 1)
    forged = Journal(j.path)
    forged_new = forged.checkpoint()
    assert not verify_extension(old, forged_new, forged.consistency_proof(old.size))


def test_tj8_inclusion_proof_for_one_record(tmp_path: Path) -> None:
    j = _journal(tmp_path, 9)
    cp = j.checkpoint()
    lines = _lines(j.path)
    for seq in range(9):
        proof = j.inclusion_proof(seq)
        assert proof.root == cp.root
        assert verify_inclusion(lines[seq], proof, cp.root)
        assert not verify_inclusion(lines[(seq + 1) % 9], proof, cp.root)
    with pytest.raises(InvalidInputError):
        j.inclusion_proof(9)


def test_tj8_signed_checkpoints(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    keys = {"county-bureau": b"k" * 32}
    cp = j.checkpoint(
        at="2026-10-01T00:00:00Z",
        signed_by="county-bureau",
        signer=hmac_signer(keys["county-bureau"]),
    )
    assert cp.signature is not None
    cps = tmp_path / "cps.jsonl"
    write_checkpoint(cps, cp)
    assert read_checkpoints(cps) == [cp]
    assert verify_file(j.path, cps, verifier=hmac_verifier(keys)).ok
    unchecked = verify_file(j.path, cps)
    assert unchecked.ok
    assert "no verifier" in unchecked.format()
    forged = Checkpoint(cp.size, cp.root, cp.at, cp.signed_by, "00" * 32)
    assert not verify(j.path, checkpoints=[forged], verifier=hmac_verifier(keys)).ok
    not_hex = Checkpoint(cp.size, cp.root, cp.at, cp.signed_by, "zz")
    assert not verify(j.path, checkpoints=[not_hex], verifier=hmac_verifier(keys)).ok
    unsigned = j.checkpoint()
    assert not verify(j.path, checkpoints=[unsigned], verifier=hmac_verifier(keys)).ok
    with pytest.raises(InvalidInputError):
        j.checkpoint(signer=hmac_signer(b"x" * 32))


def test_tj8_bad_checkpoint_file_is_a_journal_error(tmp_path: Path) -> None:
    bad = tmp_path / "cps.jsonl"
    bad.write_text('{"size": -1}\n')
    with pytest.raises(JournalError, match="line 1"):
        read_checkpoints(bad)


def test_tj8_failed_append_writes_nothing(tmp_path: Path) -> None:
    j = _journal(tmp_path, 2)
    before = j.path.read_bytes()
    for body in [{"x": math.nan}, {"x": object()}, {"x": math.inf}]:
        with pytest.raises(InvalidInputError):
            j.append("note", body)
    with pytest.raises(InvalidInputError):
        j.append("", {"x": 1})
    with pytest.raises(JournalError):  # a refused entry in a batch: none of the batch is written
        j.append_many([("note", {"x": 1}), ("draw", {"plan_id": "nope", "seed": "00"})])
    assert j.path.read_bytes() == before
    assert j.append("note", {"x": 2}).seq == 2


class _FailingJournal(Journal):
    def _write_all(self, fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")


def test_tj8_partial_write_error_is_undone(tmp_path: Path) -> None:
    _journal(tmp_path, 2)
    j = _FailingJournal(tmp_path / "j.jsonl")
    before = j.path.read_bytes()
    with pytest.raises(JournalError, match="undone"):
        j.append("note", {"x": 1})
    assert j.path.read_bytes() == before
    assert verify(j.path).ok


def test_tj8_torn_tail_refuses_appends_until_recorded_repair(tmp_path: Path) -> None:
    j = _journal(tmp_path, 3)
    with j.path.open("ab") as f:
        f.write(b'{"body":{"i":3},"ha')
    other = Journal(j.path)
    with pytest.raises(JournalError, match=r"record 3 .* torn"):
        other.append("note", {"i": 3})
    assert other.torn_tail == 3
    with pytest.raises(JournalError, match="does not verify"):
        other.records()
    rec = other.repair_torn_tail(
        reason="writer crashed", repaired_by="operator", at="2026-10-01T00:00:00Z"
    )
    assert rec.type == REPAIR
    assert rec.seq == 3
    saved = tmp_path / rec.body["saved_to"]
    assert saved.read_bytes() == b'{"body":{"i":3},"ha'
    assert rec.body["discarded_bytes"] == len(saved.read_bytes())
    assert verify(j.path).ok
    assert other.append("note", {"i": 4}).seq == 4
    with pytest.raises(JournalError, match="no torn tail"):
        other.repair_torn_tail(reason="x", repaired_by="y", at="z")


def test_tj8_damage_in_the_middle_refuses_appends(tmp_path: Path) -> None:
    j = _journal(tmp_path, 4)
    raw = j.path.read_bytes().replace(b"record 1", b"record X")
    j.path.write_bytes(raw)
    with pytest.raises(JournalError, match="record 1 is damaged"):
        Journal(j.path).append("note", {})


def test_tj8_journal_that_shrank_under_a_writer_is_refused(tmp_path: Path) -> None:
    j = _journal(tmp_path, 4)
    j.path.write_bytes(b"".join(x + b"\n" for x in _lines(j.path)[:2]))
    with pytest.raises(JournalError, match="shrank"):
        j.append("note", {})


def test_replay_hook_by_callable_and_by_type(tmp_path: Path) -> None:
    j = _journal(tmp_path, 4)
    j.append("draw-like", {"claimed": 3})
    seen: list[int] = []

    def everything(rec: Record) -> str | None:
        seen.append(rec.seq)
        return "mismatch" if rec.seq == 2 else None

    report = verify(j.path, replay=everything)
    assert seen == [0, 1, 2, 3, 4]
    assert [(p.record, p.kind) for p in report.problems] == [(2, "replay")]

    def boom(rec: Record) -> str | None:
        raise RuntimeError("cannot replay")

    report = verify(j.path, replay={"draw-like": boom})
    assert [(p.record, p.kind) for p in report.problems] == [(4, "replay")]
    assert "RuntimeError" in report.format()


# -- processes -------------------------------------------------------------------------------

_KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from drawcore.record.journal import Journal

    class Torn(Journal):
        tear = False
        def _write_all(self, fd, data):
            if not self.tear:
                return super()._write_all(fd, data)
            os.write(fd, data[: len(data) // 2])
            os.fsync(fd)
            print("TORN", flush=True)
            time.sleep(60)

    j = Torn(sys.argv[1])
    for i in range(int(sys.argv[2])):
        rec = j.append("note", {"i": i})
        print("ACK", rec.seq, flush=True)
    j.tear = True
    j.append("note", {"i": "never acknowledged"})
    """
)


def test_tj8_writer_killed_mid_append_loses_no_acknowledged_record(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(path), "7"],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        acked = []
        for line in proc.stdout:
            if line.startswith("TORN"):
                break
            acked.append(int(line.split()[1]))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert acked == list(range(7))
    report = verify(path)
    assert [(p.record, p.kind) for p in report.problems] == [(7, "torn")]
    assert report.records == 7
    bodies = [json.loads(x)["body"]["i"] for x in _lines(path)]
    assert bodies == acked
    j = Journal(path)
    with pytest.raises(JournalError, match="torn"):
        j.append("note", {})
    j.repair_torn_tail(reason="writer killed", repaired_by="ops", at="2026-10-01T00:00:00Z")
    assert verify(path).ok


def _append_worker(path: str, worker: int, count: int) -> None:
    j = Journal(path)
    for i in range(count):
        j.append("note", {"worker": worker, "i": i, "pad": "x" * (50 * worker)})


def test_tj8_eight_processes_append_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_worker, args=(str(path), w, 25)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert all(p.exitcode == 0 for p in procs)
    report = verify(path)
    assert report.ok, report.format()
    assert report.records == 200
    bodies = [json.loads(x)["body"] for x in _lines(path)]
    for w in range(8):
        assert [b["i"] for b in bodies if b["worker"] == w] == list(range(25))


def test_bl9_the_ceremony_state_handed_out_is_a_copy_that_changes_alone() -> None:
    """A journal hands out a copy of its ceremony state: a draw's teams, task counts and
    results changed in the copy stay as they were in the journal's own state."""
    import copy

    from drawcore.record.ceremony_rules import Ceremony, _Draw

    state = Ceremony()
    state.draws[3] = _Draw(
        plan_id="2026-boluo",
        units=frozenset({"U1", "U2"}),
        teams={"U1": frozenset({"I1", "I2"})},
        tasks={"U1": 2},
        results={"U1": 1},
        roles=frozenset({"clerk"}),
    )
    before = copy.deepcopy(state)
    copied = copy.deepcopy(state)
    assert copied == state
    draw = copied.draws[3]
    draw.teams["U2"] = frozenset({"I3"})
    draw.tasks["U1"] = 4
    draw.results["U1"] = 2
    draw.results["U2"] = 1
    assert state == before
    assert state.draws[3].results == {"U1": 1}
    assert copied != state
