"""Checkpoints of the journal's Merkle tree, their signatures, and proofs against them.

A **checkpoint** -- tree size and root, optionally signed -- written to a file
held elsewhere is what catches a consistent rewrite or a truncation of the
journal. Signing is pluggable: a checkpoint carries ``signed_by`` and a
``signature`` made by a caller-supplied ``signer(message) -> bytes``;
verification calls a caller-supplied ``verifier(signed_by, message, signature)``.
Checkpoint files are read as :mod:`drawcore.record.limits` says: regular files
only, at most ``DRAWCORE_MAX_CHECKPOINT_BYTES``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Mapping, Sequence

import attrs

from drawcore.errors import InvalidInputError, JournalError
from drawcore.i18n import msg
from drawcore.record import merkle
from drawcore.record.limits import CHECKPOINT_ENV, MAX_CHECKPOINT_BYTES, limit, open_regular
from drawcore.record.limits import read_regular as _read_regular

__all__ = [
    "Checkpoint",
    "InclusionProof",
    "Signer",
    "Verifier",
    "dumps",
    "hmac_signer",
    "hmac_verifier",
    "read_checkpoints",
    "verify_extension",
    "verify_inclusion",
    "write_checkpoint",
]

_CHECKPOINT_DOMAIN = b"drawcore/checkpoint/1\n"

Signer = Callable[[bytes], bytes]
"""``signer(message) -> signature``."""
Verifier = Callable[[str, bytes, bytes], bool]
"""``verifier(signed_by, message, signature) -> bool``."""


def dumps(obj: object) -> bytes:
    """Canonical JSON of plain values; byte-identical to :func:`drawcore.serde.canonical_json`.

    The journal calls ``json.dumps`` directly on already-plain values to skip the
    converter on its hot path; a test pins the equality.
    """
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


_dumps = dumps

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
    def from_json(cls, data: bytes | str, where: str | None = None) -> Checkpoint:
        """The checkpoint in one JSON line; ``where``: the line's place, for an error."""
        where = msg("checkpoint") if where is None else where
        try:
            raw = json.loads(data)
            if not isinstance(raw, dict) or set(raw) != {f.name for f in attrs.fields(cls)}:
                raise InvalidInputError(msg("fields must be size, root, at, signed_by, signature"))
            cp = cls(**raw)
            if not isinstance(cp.size, int) or cp.size < 0:
                raise InvalidInputError(
                    msg("size {size!r} is not a non-negative integer", size=cp.size)
                )
            bytes.fromhex(cp.root)
        except (ValueError, TypeError) as err:
            raise JournalError(
                msg("{where}: not a checkpoint ({err})", where=where, err=err)
            ) from None
        except RecursionError:
            raise JournalError(
                msg("{where}: not a checkpoint (JSON nested too deeply)", where=where)
            ) from None
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
    """Append ``checkpoint`` as one line to a checkpoint file (fsynced; undone on an OS error)."""
    try:
        fd = open_regular(path, "checkpoint file", os.O_WRONLY | os.O_CREAT)
    except FileNotFoundError:
        raise JournalError(
            msg("checkpoint file {path}: its folder does not exist", path=os.fspath(path))
        ) from None
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            data = memoryview(checkpoint.to_json() + b"\n")
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        except OSError as err:
            os.ftruncate(fd, start)
            raise JournalError(
                msg(
                    "checkpoint file {path}: write failed and was undone: {strerror}",
                    path=os.fspath(path),
                    strerror=err.strerror,
                )
            ) from None
    finally:
        os.close(fd)


def read_checkpoints(
    path: str | os.PathLike[str], *, max_bytes: int | None = None
) -> list[Checkpoint]:
    """All checkpoints in a checkpoint file, oldest first (a regular file of at most
    ``max_bytes``, default ``DRAWCORE_MAX_CHECKPOINT_BYTES`` or 64 MiB)."""
    cap = limit(CHECKPOINT_ENV, MAX_CHECKPOINT_BYTES, max_bytes)
    lines = _read_regular(path, "checkpoint file", cap).splitlines()
    return [
        Checkpoint.from_json(line, msg("{path} line {line}", path=os.fspath(path), line=i + 1))
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
