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

import attrs

from drawcore.errors import InvalidInputError
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
    "Ceremony",
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
#: An annual plan's result (:func:`drawcore.record.year_plan_record`): follows the rules of a draw.
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
        raise InvalidInputError(f"{what} must be an ISO 8601 string, got {value!r}")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{what} {value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInputError(f"{what} {value!r} has no UTC offset; add 'Z' or '+08:00'")
    return parsed


# -- plans ---------------------------------------------------------------------------------


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


# -- RFC 3797 ------------------------------------------------------------------------------


def rfc3797_key(sources: Sequence[int | Sequence[int]]) -> str:
    """RFC 3797 §4 key string: per source, sorted integers each followed by ``.``, then ``/``.

    A source is one non-negative integer or a set of them. (RFC 3797's
    floating-point and text sources are not supported: public lotteries give integers.)
    """
    if not sources:
        raise InvalidInputError("rfc3797 sources: at least one source of public numbers is needed")
    parts: list[str] = []
    for i, source in enumerate(sources):
        values: list[object] = list(source) if isinstance(source, list | tuple) else [source]
        if not values:
            raise InvalidInputError(f"rfc3797 source {i} is empty")
        numbers: list[int] = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InvalidInputError(f"rfc3797 source {i}: {v!r} is not a non-negative integer")
            numbers.append(v)
        parts.append("".join(f"{v}." for v in sorted(numbers)) + "/")
    return "".join(parts)


def rfc3797_digest(key: str, index: int) -> bytes:
    """MD5 of ``key`` prefixed and suffixed by ``index`` as two bytes, big-endian (RFC 3797 §4)."""
    if not 0 <= index <= 0xFFFF:
        raise InvalidInputError(f"rfc3797 index {index} outside 0..65535")
    affix = index.to_bytes(2, "big")
    return hashlib.md5(affix + key.encode("ascii") + affix, usedforsecurity=False).digest()


def rfc3797_select(key: str, pool_size: int, count: int) -> tuple[int, ...]:
    """Positions (1-based, in order of selection) RFC 3797 picks from a pool of ``pool_size``.

    Round ``i`` takes the MD5 digest ``i`` as a 128-bit big-endian number modulo
    the number of items left, and removes that item (0-based among those left).
    """
    if not 0 < pool_size <= 0xFFFF:
        raise InvalidInputError(f"rfc3797 pool size {pool_size} outside 1..65535")
    if not 0 <= count <= pool_size:
        raise InvalidInputError(f"rfc3797 count {count} outside 0..{pool_size}")
    remaining = list(range(1, pool_size + 1))
    chosen: list[int] = []
    for i in range(count):
        k = int.from_bytes(rfc3797_digest(key, i), "big") % len(remaining)
        chosen.append(remaining.pop(k))
    return tuple(chosen)


def rfc3797_seed(key: str) -> bytes:
    """The drawcore seed from an RFC 3797 key string."""
    return hashlib.sha256(_RFC_DOMAIN + key.encode("ascii")).digest()


# -- several parties -----------------------------------------------------------------------


def commit_contribution(contribution: bytes, salt: bytes) -> str:
    """``SHA-256(contribution || salt)`` hex: what a party publishes before revealing."""
    if not contribution:
        raise InvalidInputError("a party's contribution must not be empty")
    if len(salt) < 16:
        raise InvalidInputError("a commitment salt must be at least 16 bytes (use os.urandom(32))")
    return hashlib.sha256(contribution + salt).hexdigest()


def check_reveal(commitment: str, contribution: bytes, salt: bytes) -> bool:
    """True iff ``contribution`` and ``salt`` open ``commitment``."""
    expected = hashlib.sha256(contribution + salt).hexdigest()
    return hmac.compare_digest(expected, commitment)


def parties_seed(reveals: Mapping[str, bytes]) -> bytes:
    """Seed from the parties' revealed contributions (party name -> contribution)."""
    if not reveals:
        raise InvalidInputError("a parties seed needs at least one revealed contribution")
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
        raise InvalidInputError("a seed needs rfc3797_sources, reveals, or both")
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
        raise InvalidInputError(f"{what} must be a non-empty string, got {value!r}")


def _hex(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a hex string, got {value!r}")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise InvalidInputError(f"{what} {value!r} is not hex") from None


# -- the rules -----------------------------------------------------------------------------


@attrs.define
class _Plan:
    commitment_seq: int
    plan_hash: str
    committed_at: dt.datetime
    commitments: dict[str, str] = attrs.Factory(dict)
    reveals: dict[str, bytes] = attrs.Factory(dict)
    seed_seq: int | None = None
    seed: str | None = None
    draw_seq: int | None = None


@attrs.define
class _Draw:
    """A live draw or annual plan: its units, teams, and how many tasks each unit has.

    A draw gives each unit one task; an annual plan gives a key-supervision
    unit one task per round it is planned in, so it takes that many results.
    """

    plan_id: str
    units: frozenset[str]
    teams: dict[str, frozenset[str]]
    tasks: dict[str, int] = attrs.Factory(dict)
    results: dict[str, int] = attrs.Factory(dict)

    def tasks_of(self, unit_id: str) -> int:
        return self.tasks.get(unit_id, 1 if unit_id in self.units else 0)


def _draw_teams(body: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Unit id -> inspectors and experts of its team, from a draw body's ``teams``."""
    teams = body.get("teams") or {}
    return {
        a["unit_id"]: frozenset(a.get("members", ())) | frozenset(a.get("experts", ()))
        for a in teams.get("assignments", ())
    }


def _plan_teams(body: Mapping[str, Any]) -> tuple[dict[str, frozenset[str]], dict[str, int]]:
    """Unit id -> inspectors and experts of its tasks, and unit id -> number of its tasks,
    from an annual plan body's ``result``."""
    teams: dict[str, frozenset[str]] = {}
    tasks: dict[str, int] = {}
    for rd in (body.get("result") or {}).get("rounds", ()):
        for t in rd.get("tasks", ()):
            people = frozenset(t.get("inspectors", ())) | frozenset(t.get("experts", ()))
            teams[t["unit_id"]] = teams.get(t["unit_id"], frozenset()) | people
            tasks[t["unit_id"]] = tasks.get(t["unit_id"], 0) + 1
    return teams, tasks


@attrs.define
class Ceremony:
    """The commit-before-reveal rules, folded over journal records in order.

    :meth:`check` says why a record would break the rules (or ``None``);
    :meth:`apply` records it. Record types it does not know pass unchecked, so
    later record kinds (results, publications) can share the journal.

    Rules: one commitment per plan id; party commitments only after the plan's
    commitment and before any reveal; a reveal must open its commitment; a seed
    needs the plan's commitment *earlier in the journal*, the same plan hash,
    ``entropy_at`` strictly after ``committed_at`` and ``recorded_at`` not before
    ``entropy_at``, a value recomputable from its own record (and, for parties,
    every committed party revealed); one live seed and one live draw per plan; a
    draw names the live seed (and, when it says ``seed_record``, the live seed's
    record number); an ``annual_plan`` record follows the rules of a ``draw`` (one
    live result per plan, on the live seed; its tasks' units take results as a
    draw's units do); a ``void`` names a live draw or seed (a seed only once its
    draw is voided) and a reason. Voiding a seed also clears the parties'
    commitments, so a redo needs a fresh commit/reveal round. A ``result``
    (BL-7, BL-8) names a live draw (``draw``: its record number) and one of the
    units that draw drew (``units``: ``[{"unit_id": ...}, ...]`` in the draw
    body); one result per task: one per drawn unit of a draw, one per planned
    round of a unit in an annual plan (key supervision inspects a unit several times).
    """

    plans: dict[str, _Plan] = attrs.Factory(dict)
    kinds: dict[int, tuple[str, str]] = attrs.Factory(dict)
    voided: set[int] = attrs.Factory(set)
    draws: dict[int, _Draw] = attrs.Factory(dict)

    def check(self, seq: int, kind: str, body: Mapping[str, Any]) -> str | None:
        """Why the record would break a rule, or ``None`` when it is allowed."""
        try:
            return self._check(seq, kind, body)
        except InvalidInputError as err:
            return str(err)
        except (KeyError, TypeError, ValueError) as err:
            return f"{kind} record body is malformed ({type(err).__name__}: {err})"

    def _check(self, seq: int, kind: str, body: Mapping[str, Any]) -> str | None:
        if kind not in RULED_KINDS:
            return None
        if kind == VOID:
            return self._check_void(body)
        if kind == RESULT:
            return self._check_result(body)
        plan_id = body["plan_id"]
        _nonempty(plan_id, "plan_id")
        plan = self.plans.get(plan_id)
        if kind == PLAN_COMMITMENT:
            parse_time(body["committed_at"], "committed_at")
            _hex(body["plan_hash"], "plan_hash")
            if plan is not None:
                return (
                    f"plan {plan_id!r} is already committed at record {plan.commitment_seq}; "
                    "a changed plan needs a new plan id"
                )
            return None
        if plan is None:
            return f"{kind} for plan {plan_id!r} refused: the plan has no commitment yet"
        if kind == PARTY_COMMITMENT:
            _nonempty(body["party"], "party")
            at = parse_time(body["committed_at"], "committed_at")
            _hex(body["commitment"], "commitment")
            if at <= plan.committed_at:
                return (
                    f"party commitment at {body['committed_at']} is not after the plan commitment"
                )
            if plan.reveals:
                return f"party {body['party']!r} commits after reveals began for plan {plan_id!r}"
            if body["party"] in plan.commitments:
                return f"party {body['party']!r} already committed for plan {plan_id!r}"
            if plan.seed is not None:
                return f"plan {plan_id!r} already has a seed (record {plan.seed_seq})"
            return None
        if kind == PARTY_REVEAL:
            party = body["party"]
            parse_time(body["revealed_at"], "revealed_at")
            if party not in plan.commitments:
                return f"party {party!r} reveals without a commitment for plan {plan_id!r}"
            if party in plan.reveals:
                return f"party {party!r} already revealed for plan {plan_id!r}"
            contribution = _hex(body["contribution"], "contribution")
            if not check_reveal(plan.commitments[party], contribution, _hex(body["salt"], "salt")):
                return f"party {party!r}'s reveal does not open its commitment"
            return None
        if kind == SEED:
            return self._check_seed(plan_id, plan, body)
        # DRAW or ANNUAL_PLAN
        if plan.seed is None:
            return f"{kind} for plan {plan_id!r} refused: no live seed"
        if plan.draw_seq is not None:
            return (
                f"second result for plan {plan_id!r} refused: record {plan.draw_seq} already "
                "holds its result; void it first (a visible record with a reason)"
            )
        if body.get("seed") != plan.seed:
            return (
                f"draw for plan {plan_id!r} does not use the plan's seed (record {plan.seed_seq})"
            )
        if "seed_record" in body and body["seed_record"] != plan.seed_seq:
            return (
                f"draw for plan {plan_id!r} names seed record {body['seed_record']!r}, "
                f"but the live seed is record {plan.seed_seq}"
            )
        for i, unit in enumerate(body.get("units", ())):
            _nonempty(unit["unit_id"], f"units[{i}].unit_id")
        return None

    def _check_result(self, body: Mapping[str, Any]) -> str | None:
        target, unit_id = body["draw"], body["unit_id"]
        _nonempty(unit_id, "unit_id")
        draw = self.draws.get(target) if isinstance(target, int) else None
        if draw is None:
            return f"result names record {target!r}, which is not a draw in this journal"
        if target in self.voided:
            return f"result refused: draw record {target} is voided"
        if unit_id not in draw.units:
            return f"result refused: unit {unit_id!r} was not drawn by record {target}"
        done, planned = draw.results.get(unit_id, 0), draw.tasks_of(unit_id)
        if done >= planned:
            tasks = "its task" if planned == 1 else f"all {planned} of its tasks"
            return (
                f"result refused: unit {unit_id!r} of draw record {target} already has a result "
                f"for {tasks}"
            )
        if body.get("plan_id") != draw.plan_id:
            return (
                f"result names plan {body.get('plan_id')!r}; draw {target} is of {draw.plan_id!r}"
            )
        team = draw.teams.get(unit_id, frozenset())
        strangers = sorted(set(body.get("inspected_by", ())) - team)
        if strangers:
            return (
                f"result refused: {', '.join(strangers)} not in the team drawn for unit "
                f"{unit_id!r} by record {target} (谁抽查、谁查处)"
            )
        return None

    def _check_seed(self, plan_id: str, plan: _Plan, body: Mapping[str, Any]) -> str | None:
        if plan.seed is not None:
            return f"plan {plan_id!r} already has a seed (record {plan.seed_seq}); void it first"
        if body["plan_hash"] != plan.plan_hash:
            return (
                f"seed names plan hash {body['plan_hash']} "
                f"but the commitment holds {plan.plan_hash}"
            )
        entropy_at = parse_time(body["entropy_at"], "entropy_at")
        if entropy_at <= plan.committed_at:
            return (
                f"seed refused: its entropy ({body['entropy_at']}) is not after the plan's "
                f"commitment ({plan.committed_at.isoformat()})"
            )
        if parse_time(body["recorded_at"], "recorded_at") < entropy_at:
            return "seed refused: recorded_at is before entropy_at"
        method = body["method"]
        seeds: list[bytes] = []
        if method not in METHODS:
            return f"unknown seed method {method!r} (expected one of {', '.join(METHODS)})"
        if "rfc3797" in method:
            key = rfc3797_key(body["sources"])
            if body["key"] != key:
                return f"seed key {body['key']!r} is not the RFC 3797 key of its sources ({key!r})"
            seeds.append(rfc3797_seed(key))
        if "parties" in method:
            if not plan.commitments:
                return "parties seed refused: no party committed"
            missing = sorted(set(plan.commitments) - set(plan.reveals))
            if missing:
                return f"parties seed refused: not revealed yet: {', '.join(missing)}"
            if sorted(body["parties"]) != sorted(plan.reveals):
                return "seed lists other parties than those who revealed"
            seeds.append(parties_seed(plan.reveals))
        expected = seeds[0] if len(seeds) == 1 else combined_seed(seeds[0], seeds[1])
        if body["seed"] != expected.hex():
            return (
                f"seed {body['seed']} does not follow from its record (expected {expected.hex()})"
            )
        return None

    def _check_void(self, body: Mapping[str, Any]) -> str | None:
        target = body["voids"]
        _nonempty(body["reason"], "reason")
        parse_time(body["at"], "at")
        if not isinstance(target, int) or target not in self.kinds:
            return f"void names record {target!r}, which is not a seed or draw in this journal"
        kind, plan_id = self.kinds[target]
        if target in self.voided:
            return f"record {target} is already voided"
        if kind == SEED and self.plans[plan_id].draw_seq is not None:
            return f"void the draw (record {self.plans[plan_id].draw_seq}) before its seed"
        return None

    def apply(self, seq: int, kind: str, body: Mapping[str, Any]) -> None:
        """Record an allowed record (call :meth:`check` first)."""
        if kind == PLAN_COMMITMENT:
            self.plans[body["plan_id"]] = _Plan(
                seq, body["plan_hash"], parse_time(body["committed_at"], "committed_at")
            )
        elif kind == PARTY_COMMITMENT:
            self.plans[body["plan_id"]].commitments[body["party"]] = body["commitment"]
        elif kind == PARTY_REVEAL:
            plan = self.plans[body["plan_id"]]
            plan.reveals[body["party"]] = bytes.fromhex(body["contribution"])
        elif kind == SEED:
            plan = self.plans[body["plan_id"]]
            plan.seed_seq, plan.seed = seq, body["seed"]
            self.kinds[seq] = (SEED, body["plan_id"])
        elif kind in (DRAW, ANNUAL_PLAN):
            self.plans[body["plan_id"]].draw_seq = seq
            self.kinds[seq] = (DRAW, body["plan_id"])
            if kind == DRAW:
                units = frozenset(u["unit_id"] for u in body.get("units", ()))
                self.draws[seq] = _Draw(body["plan_id"], units, _draw_teams(body))
            else:
                teams, tasks = _plan_teams(body)
                self.draws[seq] = _Draw(body["plan_id"], frozenset(teams), teams, tasks)
        elif kind == RESULT:
            results = self.draws[body["draw"]].results
            results[body["unit_id"]] = results.get(body["unit_id"], 0) + 1
        elif kind == VOID:
            target = body["voids"]
            target_kind, plan_id = self.kinds[target]
            self.voided.add(target)
            plan = self.plans[plan_id]
            if target_kind == DRAW:
                plan.draw_seq = None
            else:
                plan.seed_seq = plan.seed = None
                plan.commitments.clear()
                plan.reveals.clear()
