"""Commit before reveal: plan commitments, seed formation, and the ceremony rules.

The promise: nobody could have chosen the seed after seeing the plan. So a plan
is committed (its canonical hash journaled) *before* the seed exists, and the
seed is formed only from entropy fixed *after* that commitment:

- **Public numbers (RFC 3797).** Numbers announced in advance (lottery results,
  ...) are turned into a key string exactly as RFC 3797 §4 says: each source's
  integers sorted ascending, each written in decimal followed by ``.``, each
  source closed by ``/`` (``9319./2.5.8.10.12./9.18.26.34.41.45./``). RFC 3797
  selection (:func:`rfc3797_select`) reproduces the RFC's §6 example. The
  drawcore seed is ``SHA-256("drawcore/seed/rfc3797" || 0x00 || key)``.
- **Several parties.** Each party first commits
  ``SHA-256(contribution || salt)`` (hex), and reveals ``contribution`` and
  ``salt`` only after every commitment is recorded. The seed is
  ``SHA-256("drawcore/seed/parties" || 0x00 || for each party sorted by the
  UTF-8 bytes of its name: L(party) || party || L(contribution) || contribution)``
  with ``L`` the 8-byte big-endian length, so no party's choice of name or
  order of reveal changes the result and no concatenation is ambiguous.
  One honest party with a secret random contribution makes the seed unpredictable.
- **Both**: ``SHA-256("drawcore/seed/combined" || 0x00 || rfc3797 seed || parties seed)``.

:class:`Ceremony` is the pure fold of these rules over journal records; the
journal asks it before every append and again when verifying. Timestamps are
supplied by the caller as ISO 8601 strings with a UTC offset; nothing here reads
a clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.serde import canonical_json

__all__ = [
    "ANNUAL_PLAN",
    "DRAW",
    "PARTY_COMMITMENT",
    "PARTY_REVEAL",
    "PLAN_COMMITMENT",
    "RESULT",
    "SEED",
    "VOID",
    "check_reveal",
    "combined_seed",
    "commit_contribution",
    "parse_time",
    "parties_seed",
    "party_commitment_body",
    "party_reveal_body",
    "plan_commitment_body",
    "plan_hash",
    "rfc3797_digest",
    "rfc3797_key",
    "rfc3797_seed",
    "rfc3797_select",
    "seed_body",
    "void_body",
]


PLAN_COMMITMENT = "plan_commitment"


PARTY_COMMITMENT = "seed_commitment"


PARTY_REVEAL = "seed_reveal"


SEED = "seed"


DRAW = "draw"


#: An annual plan's result (:func:`drawcore.record.annual.year_plan_record`), ruled as a draw.
ANNUAL_PLAN = "annual_plan"


VOID = "void"


RESULT = "result"


#: The record types whose bodies the ceremony rules check; any other type passes unchecked.
RULED_KINDS = (
    PLAN_COMMITMENT,
    PARTY_COMMITMENT,
    PARTY_REVEAL,
    SEED,
    DRAW,
    ANNUAL_PLAN,
    VOID,
    RESULT,
)

_PLAN_DOMAIN = b"drawcore/plan\x00"


_RFC_DOMAIN = b"drawcore/seed/rfc3797\x00"


_PARTIES_DOMAIN = b"drawcore/seed/parties\x00"


_COMBINED_DOMAIN = b"drawcore/seed/combined\x00"


METHODS = ("rfc3797", "parties", "rfc3797+parties")


def _lp(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def parse_time(value: object, what: str) -> dt.datetime:
    """An ISO 8601 timestamp with a UTC offset; naive or malformed times are refused."""
    if not isinstance(value, str):
        raise InvalidInputError(
            msg("{what} must be an ISO 8601 string, got {value!r}", what=what, value=value)
        )
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            msg("{what} {value!r} is not an ISO 8601 timestamp", what=what, value=value)
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInputError(
            msg("{what} {value!r} has no UTC offset; add 'Z' or '+08:00'", what=what, value=value)
        )
    return parsed


def plan_hash(plan: object) -> str:
    """SHA-256 hex of ``"drawcore/plan" || 0x00 || canonical_json(plan)``."""
    return hashlib.sha256(_PLAN_DOMAIN + canonical_json(plan)).hexdigest()


def plan_commitment_body(
    plan_id: str, plan: object, *, committed_at: str, committed_by: str
) -> dict[str, Any]:
    """Body of a ``plan_commitment`` record: the plan's hash, who committed it and when."""
    _nonempty(plan_id, "plan_id")
    _nonempty(committed_by, "committed_by")
    parse_time(committed_at, "committed_at")
    return {
        "plan_id": plan_id,
        "plan_hash": plan_hash(plan),
        "committed_at": committed_at,
        "committed_by": committed_by,
    }


def rfc3797_key(sources: Sequence[int | Sequence[int]]) -> str:
    """RFC 3797 §4 key string: per source, sorted integers each followed by ``.``, then ``/``.

    A source is one non-negative integer or a set of them. (RFC 3797's
    floating-point and text sources are not supported: public lotteries give integers.)
    """
    if not sources:
        raise InvalidInputError(
            msg("rfc3797 sources: at least one source of public numbers is needed")
        )
    parts: list[str] = []
    for i, source in enumerate(sources):
        values: list[object] = list(source) if isinstance(source, list | tuple) else [source]
        if not values:
            raise InvalidInputError(msg("rfc3797 source {i} is empty", i=i))
        numbers: list[int] = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InvalidInputError(
                    msg("rfc3797 source {i}: {v!r} is not a non-negative integer", i=i, v=v)
                )
            numbers.append(v)
        parts.append("".join(f"{v}." for v in sorted(numbers)) + "/")
    return "".join(parts)


def rfc3797_digest(key: str, index: int) -> bytes:
    """MD5 of ``key`` prefixed and suffixed by ``index`` as two bytes, big-endian (RFC 3797 §4)."""
    if not 0 <= index <= 0xFFFF:
        raise InvalidInputError(msg("rfc3797 index {index} outside 0..65535", index=index))
    affix = index.to_bytes(2, "big")
    return hashlib.md5(affix + key.encode("ascii") + affix, usedforsecurity=False).digest()


def rfc3797_select(key: str, pool_size: int, count: int) -> tuple[int, ...]:
    """Positions (1-based, in order of selection) RFC 3797 picks from a pool of ``pool_size``.

    Round ``i`` takes the MD5 digest ``i`` as a 128-bit big-endian number modulo
    the number of items left, and removes that item (0-based among those left).
    """
    if not 0 < pool_size <= 0xFFFF:
        raise InvalidInputError(
            msg("rfc3797 pool size {pool_size} outside 1..65535", pool_size=pool_size)
        )
    if not 0 <= count <= pool_size:
        raise InvalidInputError(
            msg("rfc3797 count {count} outside 0..{pool_size}", count=count, pool_size=pool_size)
        )
    remaining = list(range(1, pool_size + 1))
    chosen: list[int] = []
    for i in range(count):
        k = int.from_bytes(rfc3797_digest(key, i), "big") % len(remaining)
        chosen.append(remaining.pop(k))
    return tuple(chosen)


def rfc3797_seed(key: str) -> bytes:
    """The drawcore seed from an RFC 3797 key string."""
    return hashlib.sha256(_RFC_DOMAIN + key.encode("ascii")).digest()


def commit_contribution(contribution: bytes, salt: bytes) -> str:
    """``SHA-256(contribution || salt)`` hex: what a party publishes before revealing."""
    if not contribution:
        raise InvalidInputError(msg("a party's contribution must not be empty"))
    if len(salt) < 16:
        raise InvalidInputError(
            msg("a commitment salt must be at least 16 bytes (use os.urandom(32))")
        )
    return hashlib.sha256(contribution + salt).hexdigest()


def check_reveal(commitment: str, contribution: bytes, salt: bytes) -> bool:
    """True iff ``contribution`` and ``salt`` open ``commitment``."""
    expected = hashlib.sha256(contribution + salt).hexdigest()
    return hmac.compare_digest(expected, commitment)


def parties_seed(reveals: Mapping[str, bytes]) -> bytes:
    """Seed from the parties' revealed contributions (party name -> contribution)."""
    if not reveals:
        raise InvalidInputError(msg("a parties seed needs at least one revealed contribution"))
    digest = hashlib.sha256(_PARTIES_DOMAIN)
    for party in sorted(reveals, key=lambda p: p.encode("utf-8")):
        digest.update(_lp(party.encode("utf-8")) + _lp(reveals[party]))
    return digest.digest()


def combined_seed(rfc_seed: bytes, party_seed: bytes) -> bytes:
    """Seed from both public numbers and parties."""
    return hashlib.sha256(_COMBINED_DOMAIN + rfc_seed + party_seed).digest()


def party_commitment_body(
    plan_id: str, party: str, commitment: str, *, committed_at: str
) -> dict[str, Any]:
    """Body of a ``seed_commitment`` record."""
    _nonempty(party, "party")
    _hex(commitment, "commitment")
    parse_time(committed_at, "committed_at")
    return {
        "plan_id": plan_id,
        "party": party,
        "commitment": commitment,
        "committed_at": committed_at,
    }


def party_reveal_body(
    plan_id: str, party: str, contribution: bytes, salt: bytes, *, revealed_at: str
) -> dict[str, Any]:
    """Body of a ``seed_reveal`` record."""
    parse_time(revealed_at, "revealed_at")
    return {
        "plan_id": plan_id,
        "party": party,
        "contribution": contribution.hex(),
        "salt": salt.hex(),
        "revealed_at": revealed_at,
    }


def seed_body(
    plan_id: str,
    plan_hash: str,
    *,
    entropy_at: str,
    recorded_at: str,
    rfc3797_sources: Sequence[int | Sequence[int]] | None = None,
    reveals: Mapping[str, bytes] | None = None,
) -> dict[str, Any]:
    """Body of a ``seed`` record: the seed and everything needed to recompute it.

    ``entropy_at`` is when the entropy became fixed (the lottery draw, the last
    commitment); it must be after the plan's commitment or the journal refuses it.
    """
    parse_time(entropy_at, "entropy_at")
    parse_time(recorded_at, "recorded_at")
    body: dict[str, Any] = {
        "plan_id": plan_id,
        "plan_hash": plan_hash,
        "entropy_at": entropy_at,
        "recorded_at": recorded_at,
    }
    seeds: list[bytes] = []
    if rfc3797_sources is not None:
        key = rfc3797_key(rfc3797_sources)
        body["sources"] = [[s] if isinstance(s, int) else sorted(s) for s in rfc3797_sources]
        body["key"] = key
        seeds.append(rfc3797_seed(key))
    if reveals is not None:
        body["parties"] = sorted(reveals, key=lambda p: p.encode("utf-8"))
        seeds.append(parties_seed(reveals))
    if not seeds:
        raise InvalidInputError(msg("a seed needs rfc3797_sources, reveals, or both"))
    if len(seeds) == 2:
        body["method"] = "rfc3797+parties"
        body["seed"] = combined_seed(seeds[0], seeds[1]).hex()
    else:
        body["method"] = "rfc3797" if rfc3797_sources is not None else "parties"
        body["seed"] = seeds[0].hex()
    return body


def void_body(voids: int, reason: str, *, voided_by: str, at: str) -> dict[str, Any]:
    """Body of a ``void`` record: which record is voided, why, by whom, when."""
    _nonempty(reason, "reason")
    _nonempty(voided_by, "voided_by")
    parse_time(at, "at")
    return {"voids": voids, "reason": reason, "voided_by": voided_by, "at": at}


def _nonempty(value: object, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(
            msg("{what} must be a non-empty string, got {value!r}", what=what, value=value)
        )


def _hex(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidInputError(
            msg("{what} must be a hex string, got {value!r}", what=what, value=value)
        )
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise InvalidInputError(
            msg("{what} {value!r} is not hex", what=what, value=value)
        ) from None
