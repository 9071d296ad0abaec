"""The tamper-evident journal: append-only, hash-chained, Merkle-checkpointed (BL-9, TJ-8).

Why each piece is there:

- **One canonical JSON record per line** (UTF-8, keys sorted, no spaces):
  ``{"body":...,"hash":H,"prev":P,"seq":N,"type":T}``. ``seq`` is the 0-based
  record number; ``hash = SHA-256(canonical JSON of the record without "hash")``
  (hex); ``prev`` is the previous record's ``hash`` (64 zeros for record 0). A
  changed byte breaks the record's own hash; a deleted or reordered record
  breaks ``seq`` and ``prev``.
- **A Merkle tree over the record lines** (RFC 6962; leaf data = the line's bytes
  without its newline, see :mod:`drawcore.merkle`). A chain alone cannot catch a
  *consistent rewrite* (every hash recomputed) or a truncation; a
  **checkpoint** -- tree size and root, optionally signed -- written to a file
  held elsewhere can. A checkpoint is checked by recomputing the root of the
  journal's first ``size`` records; a consistency proof lets someone holding
  only two checkpoints check that the newer extends the older.
- **Signing is pluggable**: no signature algorithm ships without a dependency,
  so a checkpoint carries ``signed_by`` and a ``signature`` made by a
  caller-supplied ``signer(message) -> bytes``; verification calls a
  caller-supplied ``verifier(signed_by, message, signature) -> bool``. HMAC-SHA256
  helpers (:func:`hmac_signer`, :func:`hmac_verifier`) cover the shared-key case;
  Ed25519 or a government PKI plugs in the same way.
- **One writer at a time**: ``fcntl.flock`` on ``<journal>.lock`` is held for the
  whole append (catch up on the file, check the rules, write, ``fsync``). An
  append that returns is durable ("acknowledged"). Appends are checked against
  :class:`drawcore.seeding.Ceremony` first; a refused or malformed append writes
  nothing.
- **A torn last line** (a crash mid-write: no newline, or not JSON) is reported
  by record number and never dropped or repaired silently; appending is refused
  until :meth:`Journal.repair_torn_tail` saves the torn bytes beside the journal,
  cuts them off and journals a ``repair`` record saying what, why and who.

Timestamps are data supplied by the caller; this module reads no clock.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from drawcore.errors import InvalidInputError, JournalError
from drawcore.record import merkle
from drawcore.record.ceremony_rules import Ceremony
from drawcore.serde import unstructure

__all__ = [
    "GENESIS",
    "REPAIR",
    "Checkpoint",
    "InclusionProof",
    "Journal",
    "Problem",
    "Record",
    "Replayer",
    "Signer",
    "Verifier",
    "VerifyReport",
    "hmac_signer",
    "hmac_verifier",
    "read_checkpoints",
    "record_hash",
    "verify",
    "verify_extension",
    "verify_file",
    "verify_inclusion",
    "write_checkpoint",
]

GENESIS = "0" * 64
REPAIR = "repair"
_FIELDS = frozenset({"body", "hash", "prev", "seq", "type"})
_CHECKPOINT_DOMAIN = b"drawcore/checkpoint/1\n"

Signer = Callable[[bytes], bytes]
"""``signer(message) -> signature``."""
Verifier = Callable[[str, bytes, bytes], bool]
"""``verifier(signed_by, message, signature) -> bool``."""


def _dumps(obj: object) -> bytes:
    """Canonical JSON of plain values; byte-identical to :func:`drawcore.serde.canonical_json`.

    The journal calls ``json.dumps`` directly on already-plain values to skip the
    converter on its hot path; a test pins the equality.
    """
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _unsigned_line(seq: int, prev: str, kind: bytes, body: bytes) -> bytes:
    return b'{"body":%s,"prev":"%s","seq":%d,"type":%s}' % (body, prev.encode(), seq, kind)


def _full_line(seq: int, prev: str, kind: bytes, body: bytes, digest: str) -> bytes:
    return b'{"body":%s,"hash":"%s","prev":"%s","seq":%d,"type":%s}' % (
        body,
        digest.encode(),
        prev.encode(),
        seq,
        kind,
    )


def record_hash(seq: int, prev: str, kind: str, body: object) -> str:
    """SHA-256 hex of the canonical record without its ``hash`` field."""
    return hashlib.sha256(
        _dumps({"body": body, "prev": prev, "seq": seq, "type": kind})
    ).hexdigest()


@attrs.frozen
class Record:
    """One journal record, as read back."""

    seq: int
    prev: str
    type: str
    body: Any
    hash: str

    def line(self) -> bytes:
        """The record's canonical line (without the newline); the Merkle leaf data."""
        return _dumps(
            {
                "body": self.body,
                "hash": self.hash,
                "prev": self.prev,
                "seq": self.seq,
                "type": self.type,
            }
        )


# -- checkpoints ---------------------------------------------------------------------------


@attrs.frozen
class Checkpoint:
    """Tree size and Merkle root of the journal at one moment, optionally signed.

    Keep checkpoints somewhere the journal's writer cannot rewrite (another
    office, a published page): they are what catches truncation and rewrites.
    """

    size: int
    root: str
    at: str | None = None
    signed_by: str | None = None
    signature: str | None = None

    def message(self) -> bytes:
        """The bytes a signer signs: a domain line, then canonical JSON of the unsigned fields."""
        return _CHECKPOINT_DOMAIN + _dumps(
            {"size": self.size, "root": self.root, "at": self.at, "signed_by": self.signed_by}
        )

    def to_json(self) -> bytes:
        return _dumps(attrs.asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str, where: str = "checkpoint") -> Checkpoint:
        try:
            raw = json.loads(data)
            if not isinstance(raw, dict) or set(raw) != {f.name for f in attrs.fields(cls)}:
                raise ValueError("fields must be size, root, at, signed_by, signature")
            cp = cls(**raw)
            if not isinstance(cp.size, int) or cp.size < 0:
                raise ValueError(f"size {cp.size!r} is not a non-negative integer")
            bytes.fromhex(cp.root)
        except (ValueError, TypeError) as err:
            raise JournalError(f"{where}: not a checkpoint ({err})") from None
        return cp


def hmac_signer(key: bytes) -> Signer:
    """An HMAC-SHA256 signer for checkpoints (shared-key accountability)."""

    def sign(message: bytes) -> bytes:
        return hmac.new(key, message, hashlib.sha256).digest()

    return sign


def hmac_verifier(keys: Mapping[str, bytes]) -> Verifier:
    """Verifier for :func:`hmac_signer` signatures; ``keys`` maps ``signed_by`` to key."""

    def check(signed_by: str, message: bytes, signature: bytes) -> bool:
        key = keys.get(signed_by)
        if key is None:
            return False
        return hmac.compare_digest(hmac.new(key, message, hashlib.sha256).digest(), signature)

    return check


def write_checkpoint(path: str | os.PathLike[str], checkpoint: Checkpoint) -> None:
    """Append ``checkpoint`` as one line to a checkpoint file (fsynced)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, checkpoint.to_json() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def read_checkpoints(path: str | os.PathLike[str]) -> list[Checkpoint]:
    """All checkpoints in a checkpoint file, oldest first."""
    try:
        lines = Path(path).read_bytes().splitlines()
    except OSError as err:
        raise JournalError(f"cannot read checkpoint file {os.fspath(path)}: {err}") from None
    return [
        Checkpoint.from_json(line, f"{os.fspath(path)} line {i + 1}")
        for i, line in enumerate(lines)
        if line.strip()
    ]


def verify_extension(old: Checkpoint, new: Checkpoint, proof: Sequence[str]) -> bool:
    """True iff ``proof`` (hex hashes) shows journal state ``new`` extends ``old``."""
    try:
        path = [bytes.fromhex(p) for p in proof]
        return merkle.verify_consistency(
            old.size, new.size, bytes.fromhex(old.root), bytes.fromhex(new.root), path
        )
    except ValueError:
        return False


@attrs.frozen
class InclusionProof:
    """Proof that record ``seq`` is in the journal of ``size`` records with root ``root``."""

    seq: int
    size: int
    root: str
    path: tuple[str, ...]


def verify_inclusion(line: bytes, proof: InclusionProof, root: str | None = None) -> bool:
    """True iff the record ``line`` (bytes, no newline) is record ``proof.seq`` under the root.

    Pass ``root`` from a checkpoint you trust; by default the proof's own root is used.
    """
    try:
        return merkle.verify_inclusion(
            merkle.leaf_hash(line.rstrip(b"\n")),
            proof.seq,
            proof.size,
            [bytes.fromhex(p) for p in proof.path],
            bytes.fromhex(root if root is not None else proof.root),
        )
    except ValueError:
        return False


# -- parsing -------------------------------------------------------------------------------


def _parse(line: bytes, expected_seq: int, prev: str) -> tuple[Record | None, list[str]]:
    """Check one complete line; return the record (if readable) and what is wrong with it."""
    try:
        raw = json.loads(line)
    except (UnicodeDecodeError, ValueError) as err:
        return None, [f"not valid JSON ({err})"]
    if not isinstance(raw, dict) or set(raw) != _FIELDS:
        return None, ["not a record (fields must be body, hash, prev, seq, type)"]
    seq, kind, digest = raw["seq"], raw["type"], raw["hash"]
    if not isinstance(seq, int) or not isinstance(kind, str) or not isinstance(digest, str):
        return None, ["seq, type or hash has the wrong JSON type"]
    if not isinstance(raw["prev"], str):
        return None, ["prev has the wrong JSON type"]
    problems: list[str] = []
    try:
        canonical = _dumps(raw)
    except ValueError as err:
        return None, [f"not canonical JSON ({err})"]
    if canonical != line:
        problems.append("not in canonical form (bytes differ from canonical JSON)")
        unsigned = _dumps({k: v for k, v in raw.items() if k != "hash"})
    else:
        marker = b',"hash":"%s"' % digest.encode()
        unsigned = line.replace(marker, b"", 1)
    if hashlib.sha256(unsigned).hexdigest() != digest:
        problems.append("hash does not match the record's content")
    if seq != expected_seq:
        problems.append(f"seq is {seq}, expected {expected_seq} (records deleted or reordered)")
    if raw["prev"] != prev:
        problems.append("prev does not match the previous record's hash (chain broken)")
    return Record(seq, raw["prev"], kind, raw["body"], digest), problems


# -- the writer ----------------------------------------------------------------------------


class Journal:
    """An append-only journal file with a single writer at a time (see module docs).

    Safe to use from several processes: each append takes the file lock and first
    reads whatever other writers appended since.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._offset = 0
        self._seq = 0
        self._tail = GENESIS
        self._leaves: list[bytes] = []
        self._ceremony = Ceremony()
        self._torn: tuple[int, int] | None = None  # (record number, byte offset) of a bad tail

    # ---- state

    @property
    def size(self) -> int:
        """Number of records (as of the last read or append)."""
        return self._seq

    def _catch_up(self) -> None:
        """Read and check what was appended since our last look (call under the lock)."""
        try:
            with self.path.open("rb") as f:
                f.seek(0, os.SEEK_END)
                end = f.tell()
                if end < self._offset:
                    raise JournalError(
                        f"{self.path}: journal shrank from {self._offset} to {end} bytes "
                        f"(truncated after record {self._seq - 1}); refusing to continue"
                    )
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            if self._offset:
                raise JournalError(f"{self.path}: journal file disappeared") from None
            return
        self._torn = None
        pos = 0
        while pos < len(data):
            nl = data.find(b"\n", pos)
            line = data[pos:] if nl < 0 else data[pos:nl]
            record, problems = (
                (None, ["torn: no newline"]) if nl < 0 else _parse(line, self._seq, self._tail)
            )
            if problems or record is None:
                is_last = nl < 0 or nl + 1 == len(data)
                self._offset += pos
                if is_last and (nl < 0 or record is None):
                    self._torn = (self._seq, self._offset)
                    return
                raise JournalError(
                    f"{self.path}: record {self._seq} is damaged: {'; '.join(problems)}"
                )
            refusal = self._ceremony.check(record.seq, record.type, record.body)
            if refusal is not None:
                raise JournalError(f"{self.path}: record {record.seq} breaks a rule: {refusal}")
            self._ceremony.apply(record.seq, record.type, record.body)
            self._leaves.append(merkle.leaf_hash(line))
            self._seq += 1
            self._tail = record.hash
            pos = nl + 1
        self._offset += pos

    def _lock(self) -> int:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    @staticmethod
    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def refresh(self) -> int:
        """Read what other writers appended; return the record count. Reports a torn tail."""
        fd = self._lock()
        try:
            self._catch_up()
        finally:
            self._unlock(fd)
        return self._seq

    def ceremony(self) -> Ceremony:
        """A copy of the ceremony state (plans, seeds, draws) after reading every record."""
        self.refresh()
        return copy.deepcopy(self._ceremony)

    @property
    def torn_tail(self) -> int | None:
        """Record number of a torn last line found by the last read, else ``None``."""
        return None if self._torn is None else self._torn[0]

    # ---- appending

    def append(self, kind: str, body: object) -> Record:
        """Append one record; return it once it is written and fsynced."""
        return self.append_many([(kind, body)])[0]

    def append_many(self, entries: Iterable[tuple[str, object]]) -> list[Record]:
        """Append several records with one lock, one write and one ``fsync``.

        All or nothing: if any entry is malformed or refused, nothing is written.
        """
        prepared = [(kind, unstructure(body)) for kind, body in entries]
        fd = self._lock()
        try:
            self._catch_up()
            if self._torn is not None:
                seq, offset = self._torn
                raise JournalError(
                    f"{self.path}: record {seq} (from byte {offset}) is torn or unreadable; "
                    "appending is refused until Journal.repair_torn_tail(...) records a repair"
                )
            return self._write_records(prepared)
        finally:
            self._unlock(fd)

    def _write_records(self, prepared: list[tuple[str, Any]]) -> list[Record]:
        ceremony = copy.deepcopy(self._ceremony)
        seq, tail = self._seq, self._tail
        records: list[Record] = []
        lines: list[bytes] = []
        for i, (kind, body) in enumerate(prepared):
            if not isinstance(kind, str) or not kind:
                raise InvalidInputError(f"entry {i}: record type must be a non-empty string")
            try:
                body_json, kind_json = _dumps(body), _dumps(kind)
            except (TypeError, ValueError) as err:
                raise InvalidInputError(
                    f"entry {i} ({kind}): body is not JSON data: {err}"
                ) from None
            refusal = ceremony.check(seq, kind, body)
            if refusal is not None:
                raise JournalError(f"append of {kind} as record {seq} refused: {refusal}")
            ceremony.apply(seq, kind, body)
            digest = hashlib.sha256(_unsigned_line(seq, tail, kind_json, body_json)).hexdigest()
            lines.append(_full_line(seq, tail, kind_json, body_json, digest))
            records.append(Record(seq, tail, kind, json.loads(body_json), digest))
            seq, tail = seq + 1, digest
        data = b"".join(line + b"\n" for line in lines)
        self._write(data)
        self._ceremony = ceremony
        self._leaves.extend(merkle.leaf_hash(line) for line in lines)
        self._seq, self._tail = seq, tail
        self._offset += len(data)
        return records

    def _write(self, data: bytes) -> None:
        """Write ``data`` at the end of the journal and fsync; undo a partial write on error."""
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            start = os.fstat(fd).st_size
            try:
                self._write_all(fd, data)
                os.fsync(fd)
            except OSError as err:
                os.ftruncate(fd, start)
                os.fsync(fd)
                raise JournalError(f"{self.path}: append failed and was undone: {err}") from None
        finally:
            os.close(fd)
        if created:
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def _write_all(self, fd: int, data: bytes) -> None:
        """The raw write (a seam for fault-injection tests)."""
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def repair_torn_tail(self, *, reason: str, repaired_by: str, at: str) -> Record:
        """Cut a torn last line off, keep its bytes beside the journal, and journal the repair.

        The torn bytes go to ``<journal>.torn-<byte offset>`` (fsynced) before the
        journal is truncated; the ``repair`` record names that file, the bytes'
        SHA-256 and length, the reason, who and when.
        """
        for value, what in ((reason, "reason"), (repaired_by, "repaired_by"), (at, "at")):
            if not isinstance(value, str) or not value.strip():
                raise InvalidInputError(f"repair_torn_tail: {what} must be a non-empty string")
        fd = self._lock()
        try:
            self._catch_up()
            if self._torn is None:
                raise JournalError(f"{self.path}: no torn tail to repair")
            seq, offset = self._torn
            torn = self.path.read_bytes()[offset:]
            side = self.path.with_name(f"{self.path.name}.torn-{offset}")
            side.write_bytes(torn)
            sfd = os.open(side, os.O_RDONLY)
            try:
                os.fsync(sfd)
            finally:
                os.close(sfd)
            jfd = os.open(self.path, os.O_WRONLY)
            try:
                os.ftruncate(jfd, offset)
                os.fsync(jfd)
            finally:
                os.close(jfd)
            self._torn = None
            body = {
                "record": seq,
                "byte_offset": offset,
                "discarded_bytes": len(torn),
                "discarded_sha256": hashlib.sha256(torn).hexdigest(),
                "saved_to": side.name,
                "reason": reason,
                "repaired_by": repaired_by,
                "at": at,
            }
            return self._write_records([(REPAIR, body)])[0]
        finally:
            self._unlock(fd)

    # ---- reading and proofs

    def records(self) -> list[Record]:
        """All records, checked; :class:`JournalError` on any damage."""
        report = verify(self.path)
        if not report.ok:
            raise JournalError(f"{self.path} does not verify:\n{report.format()}")
        out = []
        for i, line in enumerate(_lines(self.path.read_bytes())[0]):
            record, _ = _parse(line, i, "")
            assert record is not None  # verified above
            out.append(record)
        return out

    def checkpoint(
        self, *, at: str | None = None, signed_by: str | None = None, signer: Signer | None = None
    ) -> Checkpoint:
        """The current tree size and root, signed by ``signer`` when given."""
        self.refresh()
        cp = Checkpoint(self._seq, merkle.root(self._leaves).hex(), at, signed_by, None)
        if signer is not None:
            if not signed_by:
                raise InvalidInputError("a signed checkpoint needs signed_by (who signs)")
            cp = attrs.evolve(cp, signature=signer(cp.message()).hex())
        return cp

    def inclusion_proof(self, seq: int, size: int | None = None) -> InclusionProof:
        """Proof that record ``seq`` is in the journal's first ``size`` records (default: all)."""
        self.refresh()
        n = self._seq if size is None else size
        if not 0 <= seq < n <= self._seq:
            raise InvalidInputError(f"no record {seq} in a journal of {n} records")
        leaves = self._leaves[:n]
        path = merkle.inclusion_proof(leaves, seq)
        return InclusionProof(seq, n, merkle.root(leaves).hex(), tuple(p.hex() for p in path))

    def consistency_proof(self, old_size: int) -> list[str]:
        """Proof (hex) that the journal's first ``old_size`` records are unchanged."""
        self.refresh()
        if not 0 <= old_size <= self._seq:
            raise InvalidInputError(f"old size {old_size} outside 0..{self._seq}")
        return [p.hex() for p in merkle.consistency_proof(self._leaves, old_size)]


def _lines(data: bytes) -> tuple[list[bytes], bytes]:
    """Complete lines (without newline) and the torn remainder (``b""`` if none)."""
    parts = data.split(b"\n")
    return parts[:-1], parts[-1]


# -- verification --------------------------------------------------------------------------

Replayer = Callable[[Record], str | None]
"""``replay(record) -> problem or None``: re-run what the record claims and compare."""


@attrs.frozen
class Problem:
    """One thing wrong, at a record number (``None`` for the journal as a whole)."""

    record: int | None
    kind: str
    message: str

    def format(self) -> str:
        where = "journal" if self.record is None else f"record {self.record}"
        return f"{where}: {self.kind}: {self.message}"


@attrs.frozen
class VerifyReport:
    """What :func:`verify` found: ``ok`` only when there are no problems."""

    path: str
    records: int
    root: str
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_records(self) -> tuple[int, ...]:
        """Record numbers named by problems, sorted."""
        return tuple(sorted({p.record for p in self.problems if p.record is not None}))

    def format(self) -> str:
        head = f"{self.path}: {self.records} records, root {self.root}: " + (
            "OK" if self.ok else f"{len(self.problems)} problem(s)"
        )
        return "\n".join([head, *(p.format() for p in self.problems), *self.notes])


def verify(
    journal_path: str | os.PathLike[str],
    *,
    checkpoints: Iterable[Checkpoint] = (),
    verifier: Verifier | None = None,
    replay: Replayer | Mapping[str, Replayer] | None = None,
) -> VerifyReport:
    """Check every record's hash, the chain, the ceremony rules, the Merkle root
    against each checkpoint (and its signature when a ``verifier`` is given), and
    replay records with ``replay`` (one callable for all records, or one per type).
    """
    path = Path(journal_path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise JournalError(f"cannot read journal {path}: {err}") from None
    lines, rest = _lines(data)
    problems: list[Problem] = []
    notes: list[str] = []
    leaves = [merkle.leaf_hash(line) for line in lines]
    ceremony = Ceremony()
    prev = GENESIS
    for i, line in enumerate(lines):
        record, found = _parse(line, i, prev)
        problems.extend(Problem(i, "record", msg) for msg in found)
        if record is None:
            if i == len(lines) - 1 and not rest:
                problems.append(Problem(i, "torn", "the last line is unreadable (torn write?)"))
            continue
        prev = record.hash
        refusal = ceremony.check(i, record.type, record.body)
        if refusal is not None:
            problems.append(Problem(i, "rule", refusal))
        else:
            ceremony.apply(i, record.type, record.body)
        problems.extend(_replay(replay, record))
    if rest:
        problems.append(
            Problem(
                len(lines),
                "torn",
                f"the last line has no newline ({len(rest)} bytes): a torn write; "
                "repair it with Journal.repair_torn_tail",
            )
        )
    for cp in checkpoints:
        problems.extend(_check_checkpoint(cp, leaves, verifier, notes))
    return VerifyReport(
        os.fspath(path), len(lines), merkle.root(leaves).hex(), tuple(problems), tuple(notes)
    )


def _replay(replay: Replayer | Mapping[str, Replayer] | None, record: Record) -> list[Problem]:
    if replay is None:
        return []
    fn = replay.get(record.type) if isinstance(replay, Mapping) else replay
    if fn is None:
        return []
    try:
        problem = fn(record)
    except Exception as err:  # a replayer's failure is a finding about this record
        return [Problem(record.seq, "replay", f"replay raised {type(err).__name__}: {err}")]
    return [] if problem is None else [Problem(record.seq, "replay", problem)]


def _signature_ok(verifier: Verifier, cp: Checkpoint) -> bool:
    try:
        signature = bytes.fromhex(cp.signature or "")
    except ValueError:
        return False
    return verifier(cp.signed_by or "", cp.message(), signature)


def _check_checkpoint(
    cp: Checkpoint, leaves: list[bytes], verifier: Verifier | None, notes: list[str]
) -> list[Problem]:
    label = f"checkpoint (size {cp.size}, root {cp.root[:16]}...)"
    out: list[Problem] = []
    if cp.signature is not None:
        if verifier is None:
            notes.append(f"note: {label} is signed by {cp.signed_by}; no verifier given")
        elif not _signature_ok(verifier, cp):
            out.append(
                Problem(None, "checkpoint", f"{label}: signature by {cp.signed_by} is invalid")
            )
    elif verifier is not None:
        out.append(Problem(None, "checkpoint", f"{label} is unsigned but signatures are required"))
    if cp.size > len(leaves):
        out.append(
            Problem(
                len(leaves),
                "checkpoint",
                f"{label}: the journal has only {len(leaves)} records; records "
                f"{len(leaves)}..{cp.size - 1} are missing (truncated)",
            )
        )
    elif merkle.root(leaves[: cp.size]).hex() != cp.root:
        out.append(
            Problem(
                None,
                "checkpoint",
                f"{label}: the journal's first {cp.size} records do not match it "
                "(records were rewritten after the checkpoint)",
            )
        )
    return out


def verify_file(
    path: str | os.PathLike[str],
    checkpoint_path: str | os.PathLike[str] | None = None,
    replay: Replayer | Mapping[str, Replayer] | None = None,
    verifier: Verifier | None = None,
) -> VerifyReport:
    """:func:`verify` with checkpoints read from ``checkpoint_path`` (for ``drawcore verify``)."""
    cps = read_checkpoints(checkpoint_path) if checkpoint_path is not None else []
    return verify(path, checkpoints=cps, verifier=verifier, replay=replay)
