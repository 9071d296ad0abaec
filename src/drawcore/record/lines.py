"""The journal's record format: one canonical JSON line a record, its hash, and parsing.

``{"body":...,"hash":H,"prev":P,"seq":N,"type":T}``, keys sorted, no spaces; ``hash`` is the
SHA-256 of the line without its ``hash`` field; ``prev`` chains to the previous record
(:data:`GENESIS` for record 0). Shared by the writer (:mod:`drawcore.record.journal`) and
the checks (:mod:`drawcore.record.journal_check`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import attrs

from drawcore.i18n import msg
from drawcore.record.checkpoints import dumps as _dumps

GENESIS = "0" * 64
REPAIR = "repair"
PENDING = b"~"
"""The first byte of a batch until it is committed (a canonical line starts with ``{``)."""
_FIELDS = frozenset({"body", "hash", "prev", "seq", "type"})


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


# -- parsing -------------------------------------------------------------------------------


def _parse(line: bytes, expected_seq: int, prev: str) -> tuple[Record | None, list[str]]:
    """Check one complete line; return the record (if readable) and what is wrong with it."""
    if not line.startswith(b"{"):
        return None, [
            msg("empty line") if not line else msg("not a record (does not start with '{')")
        ]
    try:
        raw = json.loads(line)
    except (UnicodeDecodeError, ValueError) as err:
        return None, [msg("not valid JSON ({err})", err=err)]
    except RecursionError:
        return None, [msg("not a record: JSON nested too deeply")]
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
        return None, [msg("not canonical JSON ({err})", err=err)]
    except RecursionError:
        return None, [msg("not a record: JSON nested too deeply")]
    if canonical != line:
        problems.append(msg("not in canonical form (bytes differ from canonical JSON)"))
        unsigned = _dumps({k: v for k, v in raw.items() if k != "hash"})
    else:
        marker = b',"hash":"%s"' % digest.encode()
        unsigned = line.replace(marker, b"", 1)
    if hashlib.sha256(unsigned).hexdigest() != digest:
        problems.append(msg("hash does not match the record's content"))
    if seq != expected_seq:
        problems.append(
            msg(
                "seq is {seq}, expected {expected} (records deleted or reordered)",
                seq=seq,
                expected=expected_seq,
            )
        )
    if raw["prev"] != prev:
        problems.append(msg("prev does not match the previous record's hash (chain broken)"))
    return Record(seq, raw["prev"], kind, raw["body"], digest), problems


def _lines(data: bytes) -> tuple[list[bytes], bytes]:
    """Complete, committed lines (without newline) and the torn remainder (``b""`` if none).

    The remainder is an unterminated last line, or everything from a line starting
    with :data:`PENDING` (a batch that was never committed).
    """
    cut = 0 if data.startswith(PENDING) else data.find(b"\n" + PENDING) + 1
    if cut or data.startswith(PENDING):
        data, pending = data[:cut], data[cut:]
    else:
        pending = b""
    parts = data.split(b"\n")
    return parts[:-1], parts[-1] + pending
