"""The ceremony rules, folded over journal records: commit, seed, draw, result, void.

:class:`Ceremony` is a pure fold: no seed before its plan's commitment, no draw before
its seed, one draw per plan, one result per planned task, a redo only as a visible void.
The journal asks it before every append and again when verifying.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from drawcore.errors import InvalidInputError
from drawcore.record.annual_compact import Fields, plan_json
from drawcore.record.seeding import (
    ANNUAL_PLAN,
    DRAW,
    METHODS,
    PARTY_COMMITMENT,
    PARTY_REVEAL,
    PLAN_COMMITMENT,
    RESULT,
    RULED_KINDS,
    SEED,
    VOID,
    _hex,
    _nonempty,
    check_reveal,
    combined_seed,
    parse_time,
    parties_seed,
    rfc3797_key,
    rfc3797_seed,
)

__all__ = [
    "Ceremony",
]


@attrs.define
class _Plan:
    commitment_seq: int
    plan_hash: str
    committed_at: dt.datetime
    commitments: dict[str, str] = attrs.Factory(dict)
    reveals: dict[str, bytes] = attrs.Factory(dict)
    seed_seq: int | None = None
    seed: str | None = None
    seed_method: str | None = None
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
    roles: frozenset[str] = frozenset()  # BL-8: roles allowed to enter results (the plan's)

    def tasks_of(self, unit_id: str) -> int:
        return self.tasks.get(unit_id, 1 if unit_id in self.units else 0)

    def __deepcopy__(self, memo: dict[int, Any]) -> _Draw:
        """A copy whose mappings can change alone: they are copied, and what they hold
        (text, numbers, frozen sets) is shared, not walked (a city's plan has 10^5 teams)."""
        return _Draw(
            plan_id=self.plan_id,
            units=self.units,
            teams=dict(self.teams),
            tasks=dict(self.tasks),
            results=dict(self.results),
            roles=self.roles,
        )


def _draw_teams(body: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Unit id -> inspectors and experts of its team, from a draw body's ``teams``."""
    teams = body.get("teams") or {}
    return {
        a["unit_id"]: frozenset(a.get("members", ())) | frozenset(a.get("experts", ()))
        for a in teams.get("assignments", ())
    }


def _entry_roles(body: Mapping[str, Any]) -> frozenset[str]:
    """The result-entry roles (BL-8) the plan in a draw or annual-plan body records."""
    plan = body.get("plan")
    roles = plan.get("entry_roles", ()) if isinstance(plan, Mapping) else ()
    return frozenset(r["role"] for r in roles)


#: The fields of an annual plan that say who is on each task's team.
_TEAMS: Fields = {"rounds": {"tasks": {"unit_id": None, "inspectors": None, "experts": None}}}


def _plan_teams(body: Mapping[str, Any]) -> tuple[dict[str, frozenset[str]], dict[str, int]]:
    """Unit id -> inspectors and experts of its tasks, and unit id -> number of its tasks,
    from an annual plan body's ``result``."""
    teams: dict[str, frozenset[str]] = {}
    tasks: dict[str, int] = {}
    for rd in plan_json(body, _TEAMS).get("rounds", ()):
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
    Whoever inspected must be in the unit's team, and so must whoever entered it
    (``entered_by``), unless the result is ``entered_as`` one of the ``entry_roles``
    its plan recorded (BL-8).
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
        except RecursionError:
            return f"{kind} record body is malformed (nested too deeply)"

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
        role = body.get("entered_as")
        if role is not None and role not in draw.roles:
            allowed = ", ".join(sorted(draw.roles)) or "none"
            return (
                f"result refused: entered as {role!r}, which is not a result-entry role of "
                f"plan {draw.plan_id!r} (roles in force: {allowed}; BL-8 谁抽查、谁录入)"
            )
        if role is None and body.get("entered_by") not in team:
            return (
                f"result refused: entered by {body.get('entered_by')!r}, who is not in the team "
                f"of unit {unit_id!r} in record {target} (BL-8 谁抽查、谁录入)"
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
            plan.seed_seq, plan.seed, plan.seed_method = seq, body["seed"], body["method"]
            self.kinds[seq] = (SEED, body["plan_id"])
        elif kind in (DRAW, ANNUAL_PLAN):
            self.plans[body["plan_id"]].draw_seq = seq
            self.kinds[seq] = (DRAW, body["plan_id"])
            if kind == DRAW:
                units = frozenset(u["unit_id"] for u in body.get("units", ()))
                self.draws[seq] = _Draw(
                    body["plan_id"], units, _draw_teams(body), roles=_entry_roles(body)
                )
            else:
                teams, tasks = _plan_teams(body)
                self.draws[seq] = _Draw(
                    body["plan_id"], frozenset(teams), teams, tasks, roles=_entry_roles(body)
                )
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
                plan.seed_seq = plan.seed = plan.seed_method = None
                plan.commitments.clear()
                plan.reveals.clear()
