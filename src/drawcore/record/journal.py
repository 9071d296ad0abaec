"""The tamper-evident journal: append-only, hash-chained, Merkle-checkpointed (BL-9, TJ-8).

Why each piece is there:

- **One canonical JSON record per line** (UTF-8, keys sorted, no spaces):
  ``{"body":...,"hash":H,"prev":P,"seq":N,"type":T}``. ``seq`` is the 0-based
  record number; ``hash = SHA-256(canonical JSON of the record without "hash")``
  (hex); ``prev`` is the previous record's ``hash`` (64 zeros for record 0). A
  changed byte breaks the record's own hash; a deleted or reordered record
  breaks ``seq`` and ``prev``.
- **A Merkle tree over the record lines** (RFC 6962; leaf data = the line's bytes
  without its newline, see :mod:`drawcore.record.merkle`). A chain alone cannot
  catch a *consistent rewrite* or a truncation; a checkpoint
  (:mod:`drawcore.record.checkpoints`) held elsewhere can.
- **One writer at a time, whatever the file is called**: ``fcntl.flock`` on the
  journal file itself (its identity -- device and inode -- not its name) is held
  for the whole append: catch up on the file, build and check the records, write,
  ``fsync``. A symlink or a hard link in another folder reaches the same lock.
  Record numbers (e.g. a draw's ``seed_record``) are fixed inside the lock, so
  concurrent writers never collide. An append that returns is durable
  ("acknowledged"). A refused or malformed append writes nothing.
- **A batch is all or nothing**: the records of one append are written with
  their first byte replaced by ``~`` (:data:`PENDING`), fsynced, and only then
  is that byte turned into ``{`` and fsynced again. Whatever point a crash
  (SIGKILL, power loss) hits, the journal holds either none of the batch or all
  of it, or a tail starting with ``~`` that every reader treats as unwritten: it
  is reported as a torn tail, appending is refused until ``drawcore repair`` (or
  :meth:`Journal.repair_torn_tail`) keeps the bytes aside, cuts them off and
  journals a ``repair`` record saying what, why and who. Nothing is ever dropped
  or repaired silently. A disk-full or quota error undoes the partial write.
- **Hostile files**: the journal is opened as :mod:`drawcore.record.limits` says:
  regular files only (a FIFO or device is refused, never waited on), at most
  ``DRAWCORE_MAX_JOURNAL_BYTES``; JSON nested too deeply is a damaged record.

Timestamps are data supplied by the caller; this module reads no clock.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from drawcore.errors import InvalidInputError, JournalError
from drawcore.i18n import msg
from drawcore.record import merkle
from drawcore.record.ceremony_rules import Ceremony
from drawcore.record.checkpoints import (
    Checkpoint,
    InclusionProof,
    Signer,
    Verifier,
    hmac_signer,
    hmac_verifier,
    read_checkpoints,
    verify_extension,
    verify_inclusion,
    write_checkpoint,
)
from drawcore.record.checkpoints import dumps as _dumps
from drawcore.record.journal_check import Problem, Replayer, VerifyReport, verify, verify_file
from drawcore.record.limits import (
    JOURNAL_ENV,
    MAX_JOURNAL_BYTES,
    limit,
    open_regular,
    read_at,
    read_regular,
)
from drawcore.record.lines import (
    GENESIS,
    PENDING,
    REPAIR,
    Record,
    _full_line,
    _lines,
    _parse,
    _unsigned_line,
    record_hash,
)
from drawcore.serde import unstructure

__all__ = [
    "GENESIS",
    "PENDING",
    "REPAIR",
    "Batch",
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

Batch = Callable[[Ceremony, int], Sequence[tuple[str, object]]]
"""``build(ceremony, next_seq) -> [(type, body), ...]``, called inside the journal's lock
with the ceremony state and the number the first new record will get."""

# -- the writer ----------------------------------------------------------------------------


class Journal:
    """An append-only journal file with a single writer at a time (see module docs).

    Safe to use from several processes, through any name of the file: each append
    takes the lock on the file itself and first reads whatever other writers
    appended since. ``max_bytes`` bounds what is read (default
    ``DRAWCORE_MAX_JOURNAL_BYTES`` or 4 GiB).
    """

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int | None = None) -> None:
        self.path = Path(path)
        self.max_bytes = limit(JOURNAL_ENV, MAX_JOURNAL_BYTES, max_bytes)
        self._identity: tuple[int, int] | None = None
        self._offset = 0
        self._seq = 0
        self._tail = GENESIS
        self._leaves: list[bytes] = []
        self._ceremony = Ceremony()
        self._torn: tuple[int, int] | None = None  # (record number, byte offset) of a bad tail
        self._created = False  # the last _open created the file

    # ---- state

    @property
    def size(self) -> int:
        """Number of records (as of the last read or append)."""
        return self._seq

    def _catch_up(self, fd: int) -> None:
        """Read and check what was appended since our last look (call under the lock)."""
        end = os.fstat(fd).st_size
        if end < self._offset:
            raise JournalError(
                msg(
                    "{path}: journal shrank from {offset} to {end} bytes (truncated after "
                    "record {last}); refusing to continue",
                    path=self.path,
                    offset=self._offset,
                    end=end,
                    last=self._seq - 1,
                )
            )
        data = read_at(fd, self._offset, self.path, "journal", self.max_bytes)
        self._torn = None
        pos = 0
        while pos < len(data):
            if data.startswith(PENDING, pos):  # a batch that was never committed
                self._offset += pos
                self._torn = (self._seq, self._offset)
                return
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
                    msg(
                        "{path}: record {seq} is damaged: {problems}",
                        path=self.path,
                        seq=self._seq,
                        problems="; ".join(problems),
                    )
                )
            refusal = self._ceremony.check(record.seq, record.type, record.body)
            if refusal is not None:
                raise JournalError(
                    msg(
                        "{path}: record {seq} breaks a rule: {refusal}",
                        path=self.path,
                        seq=record.seq,
                        refusal=refusal,
                    )
                )
            self._ceremony.apply(record.seq, record.type, record.body)
            self._leaves.append(merkle.leaf_hash(line))
            self._seq += 1
            self._tail = record.hash
            pos = nl + 1
        self._offset += pos

    def _lock(self, *, write: bool) -> int | None:
        """Open the journal and lock the file itself; ``None`` when reading a missing journal.

        Between ``open`` and ``flock`` another process may have replaced or removed
        the name; then the name is opened again, so the lock held is always the
        lock of the file the name now reaches.
        """
        for _ in range(100):
            fd = self._open(write=write)
            if fd is None:
                return None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                here = os.fstat(fd)
                try:
                    named = os.stat(self.path)
                except FileNotFoundError:
                    named = None
                identity = (here.st_dev, here.st_ino)
                if named is not None and (named.st_dev, named.st_ino) == identity:
                    if self._identity is not None and identity != self._identity:
                        raise JournalError(
                            msg(
                                "{path} is now another file than the journal read before "
                                "(replaced?); refusing to mix them -- open it again",
                                path=self.path,
                            )
                        )
                    self._identity = identity
                    return fd
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        raise JournalError(
            msg("{path}: the journal keeps being replaced; cannot lock it", path=self.path)
        )

    def _open(self, *, write: bool) -> int | None:
        self._created = False
        if not write:
            try:
                return open_regular(self.path, "journal", os.O_RDONLY)
            except FileNotFoundError:
                if self._offset:
                    raise JournalError(
                        msg("{path}: journal file disappeared", path=self.path)
                    ) from None
                return None
        try:
            try:
                fd = open_regular(self.path, "journal", os.O_RDWR | os.O_CREAT | os.O_EXCL)
                self._created = True
                return fd
            except FileExistsError:
                return open_regular(self.path, "journal", os.O_RDWR)
        except FileNotFoundError:
            raise JournalError(msg("{path}: its folder does not exist", path=self.path)) from None

    @staticmethod
    def _unlock(fd: int | None) -> None:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def refresh(self) -> int:
        """Read what other writers appended; return the record count. Reports a torn tail."""
        fd = self._lock(write=False)
        try:
            if fd is not None:
                self._catch_up(fd)
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
        """Append several records with one lock, as one all-or-nothing batch.

        If any entry is malformed or refused, nothing is written.
        """
        prepared = list(entries)
        return self.append_batch(lambda _ceremony, _next: prepared)

    def append_batch(self, build: Batch) -> list[Record]:
        """Append the records ``build`` returns, deciding them inside the lock.

        ``build(ceremony, next_seq)`` sees the ceremony state and the number of the
        first new record after every other writer's records, so records that name
        record numbers (a draw's ``seed_record``) are right however many processes
        append at once. What it raises passes through and nothing is written.
        """
        fd = self._lock(write=True)
        assert fd is not None
        created = self._created
        try:
            self._catch_up(fd)
            if self._torn is not None:
                seq, offset = self._torn
                raise JournalError(
                    msg(
                        "{path}: record {seq} (from byte {offset}) is torn or unreadable; "
                        "appending is refused until `drawcore repair` records a repair",
                        path=self.path,
                        seq=seq,
                        offset=offset,
                    )
                )
            entries = build(copy.deepcopy(self._ceremony), self._seq)
            try:
                prepared = [(kind, unstructure(body)) for kind, body in entries]
            except RecursionError:
                raise InvalidInputError(msg("a record body is nested too deeply")) from None
            return self._write_records(fd, prepared)
        except BaseException:
            if created and self._offset == 0 and os.fstat(fd).st_size == 0:
                os.unlink(self.path)  # a refused first append leaves no empty journal behind
            raise
        finally:
            self._unlock(fd)

    def _write_records(self, fd: int, prepared: list[tuple[str, Any]]) -> list[Record]:
        ceremony = copy.deepcopy(self._ceremony)
        seq, tail = self._seq, self._tail
        records: list[Record] = []
        lines: list[bytes] = []
        for i, (kind, body) in enumerate(prepared):
            if not isinstance(kind, str) or not kind:
                raise InvalidInputError(
                    msg("entry {i}: record type must be a non-empty string", i=i)
                )
            try:
                body_json, kind_json = _dumps(body), _dumps(kind)
            except (TypeError, ValueError, RecursionError) as err:
                raise InvalidInputError(
                    msg("entry {i} ({kind}): body is not JSON data: {err}", i=i, kind=kind, err=err)
                ) from None
            refusal = ceremony.check(seq, kind, body)
            if refusal is not None:
                raise JournalError(
                    msg(
                        "append of {kind} as record {seq} refused: {refusal}",
                        kind=kind,
                        seq=seq,
                        refusal=refusal,
                    )
                )
            ceremony.apply(seq, kind, body)
            digest = hashlib.sha256(_unsigned_line(seq, tail, kind_json, body_json)).hexdigest()
            lines.append(_full_line(seq, tail, kind_json, body_json, digest))
            records.append(Record(seq, tail, kind, json.loads(body_json), digest))
            seq, tail = seq + 1, digest
        if not lines:
            return []
        data = b"".join(line + b"\n" for line in lines)
        self._write(fd, data)
        self._ceremony = ceremony
        self._leaves.extend(merkle.leaf_hash(line) for line in lines)
        self._seq, self._tail = seq, tail
        self._offset += len(data)
        return records

    def _write(self, fd: int, data: bytes) -> None:
        """Write ``data`` at the journal's end as one batch: marked pending, fsynced,
        committed (its first byte), fsynced. On an OS error the partial write is undone."""
        start = self._offset
        try:
            os.lseek(fd, start, os.SEEK_SET)
            self._write_all(fd, PENDING + data[1:])
            os.fsync(fd)
            if start == 0:
                _fsync_dir(self.path.parent)
            os.lseek(fd, start, os.SEEK_SET)
            self._write_all(fd, data[:1])
            os.fsync(fd)
        except OSError as err:
            reason = f"{err.strerror or err} (errno {err.errno})"
            try:
                os.ftruncate(fd, start)
                os.fsync(fd)
            except OSError as undo:
                raise JournalError(
                    msg(
                        "{path}: append failed ({reason}) and could not be undone "
                        "({strerror}); the unfinished batch from byte {start} is marked "
                        "unwritten and `drawcore repair` removes it",
                        path=self.path,
                        reason=reason,
                        strerror=undo.strerror,
                        start=start,
                    )
                ) from None
            raise JournalError(
                msg(
                    "{path}: append failed and was undone, nothing written: {reason}",
                    path=self.path,
                    reason=reason,
                )
            ) from None

    def _write_all(self, fd: int, data: bytes) -> None:
        """The raw write (a seam for fault-injection tests)."""
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def repair_torn_tail(self, *, reason: str, repaired_by: str, at: str) -> Record:
        """Cut a torn tail off, keep its bytes beside the journal, and journal the repair.

        The torn bytes (an unterminated or unreadable last line, or a whole batch
        that was never committed) go to ``<journal>.torn-<byte offset>`` (fsynced)
        before the journal is truncated; the ``repair`` record names that file, the
        bytes' SHA-256 and length, the reason, who and when.
        """
        for value, what in ((reason, "reason"), (repaired_by, "repaired_by"), (at, "at")):
            if not isinstance(value, str) or not value.strip():
                raise InvalidInputError(
                    msg("repair_torn_tail: {what} must be a non-empty string", what=what)
                )
        fd = self._lock(write=True)
        assert fd is not None
        try:
            if self._created:  # no journal to repair: leave no empty file behind
                os.unlink(self.path)
                raise JournalError(msg("{path}: no such journal file", path=self.path))
            self._catch_up(fd)
            if self._torn is None:
                raise JournalError(msg("{path}: no torn tail to repair", path=self.path))
            seq, offset = self._torn
            torn = read_at(fd, offset, self.path, "journal", self.max_bytes)
            side = self.path.with_name(f"{self.path.name}.torn-{offset}")
            sfd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            try:
                self._write_all(sfd, torn)
                os.fsync(sfd)
            except OSError:
                side.unlink()  # a failed repair leaves nothing behind
                raise
            finally:
                os.close(sfd)
            _fsync_dir(side.parent)
            os.ftruncate(fd, offset)
            os.fsync(fd)
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
            return self._write_records(fd, [(REPAIR, body)])[0]
        except OSError as err:
            raise JournalError(
                msg("{path}: repair failed: {err}", path=self.path, err=err)
            ) from None
        finally:
            self._unlock(fd)

    # ---- reading and proofs

    def records(self) -> list[Record]:
        """All records, checked; :class:`JournalError` on any damage."""
        report = verify(self.path, max_bytes=self.max_bytes)
        if not report.ok:
            raise JournalError(
                msg("{path} does not verify:\n{findings}", path=self.path, findings=report.format())
            )
        out = []
        for i, line in enumerate(_lines(read_regular(self.path, "journal", self.max_bytes))[0]):
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
                raise InvalidInputError(msg("a signed checkpoint needs signed_by (who signs)"))
            cp = attrs.evolve(cp, signature=signer(cp.message()).hex())
        return cp

    def inclusion_proof(self, seq: int, size: int | None = None) -> InclusionProof:
        """Proof that record ``seq`` is in the journal's first ``size`` records (default: all)."""
        self.refresh()
        n = self._seq if size is None else size
        if not 0 <= seq < n <= self._seq:
            raise InvalidInputError(
                msg("no record {seq} in a journal of {n} records", seq=seq, n=n)
            )
        leaves = self._leaves[:n]
        path = merkle.inclusion_proof(leaves, seq)
        return InclusionProof(seq, n, merkle.root(leaves).hex(), tuple(p.hex() for p in path))

    def consistency_proof(self, old_size: int) -> list[str]:
        """Proof (hex) that the journal's first ``old_size`` records are unchanged."""
        self.refresh()
        if not 0 <= old_size <= self._seq:
            raise InvalidInputError(
                msg("old size {old_size} outside 0..{seq}", old_size=old_size, seq=self._seq)
            )
        return [p.hex() for p in merkle.consistency_proof(self._leaves, old_size)]


def _fsync_dir(path: Path) -> None:
    """Make a new directory entry durable."""
    dfd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
