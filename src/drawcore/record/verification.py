"""Replay while verifying: every draw and annual plan in a journal re-run from its snapshots.

What ``drawcore verify`` runs: annual plans and draws planned from rules are replayed under the
installed plugins, whose versions must be the recorded ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from drawcore.errors import DrawcoreError
from drawcore.i18n import Text, msg
from drawcore.plugin.rules import Rules
from drawcore.record.amendments import amendment_difference
from drawcore.record.annual import YearPlanSpec, replay_year
from drawcore.record.checkpoints import Checkpoint, Verifier
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.draw_rules import check_rules
from drawcore.record.journal import Record
from drawcore.record.journal_check import Replayer, VerifyReport, verify
from drawcore.record.replay import replay
from drawcore.record.seeding import (
    ANNUAL_PLAN,
    DRAW,
    PLAN_COMMITMENT,
    SEED,
    VOID,
)
from drawcore.record.snapshots import (
    load_county,
    load_experts,
    load_inspectors,
    load_items,
    load_units,
)
from drawcore.registry.headers import PathLike
from drawcore.registry.registries import County, InspectorRegistry, UnitRegistry
from drawcore.serde import structure

# -- replay --------------------------------------------------------------------------------


class DrawReplayer:
    """Replays every ``draw`` and ``annual_plan`` record while
    :func:`drawcore.journal.verify` reads a journal.

    It follows plan commitments and seeds as they go by (verify calls it in
    record order), so each draw is checked against the commitment of its plan and
    the seed record it names, then re-run on the registry snapshots its plan names.
    A draw whose plan came from a jurisdiction's rules (``rules_context``) and
    every annual plan are also checked against the installed plugins, which
    must have the recorded versions.
    """

    def __init__(self, registry_dir: PathLike) -> None:
        self.registry_dir = Path(registry_dir)
        self.committed: dict[str, str] = {}
        self.seeds: dict[int, Mapping[str, Any]] = {}
        self._units: dict[tuple[str, str], UnitRegistry] = {}
        self._inspectors: dict[tuple[str, str], InspectorRegistry] = {}
        self._counties: dict[str, County] = {}
        self._rules: dict[str | None, Rules] = {}
        self._seen: list[Record] = []  # plan records and voids so far (amendments re-derived)

    def mapping(self) -> dict[str, Replayer]:
        """Record type -> replayer, for ``verify(..., replay=...)``."""
        return {
            PLAN_COMMITMENT: self._commitment,
            SEED: self._seed,
            DRAW: self._draw,
            ANNUAL_PLAN: self._year,
            VOID: self._void,
        }

    def _void(self, record: Record) -> str | None:
        self._seen.append(record)
        return None

    def _amended_county(self, spec: YearPlanSpec) -> tuple[County, Rules]:
        key = _refs_key(spec)
        if key not in self._counties:
            self._counties[key] = load_county(spec, self.registry_dir)
        return self._counties[key], self._rules_for(spec.jurisdiction)

    def _rules_for(self, jurisdiction: str | None) -> Rules:
        if jurisdiction not in self._rules:
            self._rules[jurisdiction] = Rules.for_jurisdiction(jurisdiction)
        return self._rules[jurisdiction]

    def _seeded(self, body: Mapping[str, Any]) -> str | None:
        seed = self.seeds.get(body.get("seed_record"))  # type: ignore[arg-type]
        if seed is None:
            return msg(
                "seed_record {seed_record!r} is not an earlier seed record",
                seed_record=body.get("seed_record"),
            )
        if seed.get("seed") != body.get("seed") or seed.get("plan_id") != body.get("plan_id"):
            return msg("seed differs from seed record {seq}", seq=body.get("seed_record"))
        if seed.get("method") != body.get("seed_method"):
            return msg("seed_method differs from seed record {seq}", seq=body.get("seed_record"))
        return None

    def _checked(self, record: Record, kind: str) -> tuple[dict[str, Any], str] | str:
        """(body, committed plan hash) of a record whose seed and commitment precede it,
        or the problem."""
        body = record.body
        if not isinstance(body, dict):
            return msg("{kind} record body is not an object", kind=kind)
        problem = self._seeded(body)
        if problem is not None:
            return problem
        committed = self.committed.get(str(body.get("plan_id")))
        if committed is None:
            return msg("plan {plan!r} has no earlier commitment", plan=body.get("plan_id"))
        return body, committed

    def _year(self, record: Record) -> str | None:
        checked = self._checked(record, "annual_plan")
        if isinstance(checked, str):
            return checked
        body, committed = checked
        try:
            spec = YearPlanSpec.from_body(body.get("plan"))
        except DrawcoreError as err:
            return msg("cannot replay: {err}", err=_reason(err))
        mismatch = _hash_problem(spec.hash, body, committed)
        if mismatch is not None:
            return mismatch  # checked before any path the record names is opened
        try:
            key = _refs_key(spec)
            if key not in self._counties:
                self._counties[key] = load_county(spec, self.registry_dir)
            rules = self._rules_for(spec.jurisdiction)
        except DrawcoreError as err:
            return msg("cannot replay: {err}", err=_reason(err))
        problem = replay_year(body, self._counties[key], rules, committed_hash=committed)
        if problem is None and spec.parameters.amendment is not None:
            problem = amendment_difference(self._seen, body, self._amended_county)
        self._seen.append(record)
        return problem

    def _commitment(self, record: Record) -> str | None:
        self._seen.append(record)
        body = record.body
        if isinstance(body, dict) and isinstance(body.get("plan_id"), str):
            self.committed.setdefault(body["plan_id"], str(body.get("plan_hash")))
        return None

    def _seed(self, record: Record) -> str | None:
        if isinstance(record.body, dict):
            self.seeds[record.seq] = record.body
        return None

    def _draw(self, record: Record) -> str | None:
        checked = self._checked(record, "draw")
        if isinstance(checked, str):
            return checked
        body, committed = checked
        try:
            plan = structure(body["plan"], DrawPlan)
        except Exception as err:  # cattrs raises its own exception groups
            return msg(
                "cannot replay: the record's plan is malformed ({error})",
                error=type(err).__name__,
            )
        mismatch = _hash_problem(plan.hash, body, committed)
        if mismatch is not None:
            return mismatch  # checked before any path the record names is opened
        try:
            refs = body["plan"]
            if refs.get("items"):
                load_items(RegistryRef(**refs["items"]), self.registry_dir)
            units = self._load_units(RegistryRef(**refs["units"]))
            inspectors = self._load_inspectors(RegistryRef(**refs["inspectors"]))
            experts = None
            if refs.get("experts"):
                experts = load_experts(RegistryRef(**refs["experts"]), self.registry_dir)
        except (KeyError, TypeError) as err:
            return msg("cannot replay: the plan does not name its registries ({err})", err=err)
        except DrawcoreError as err:
            return msg("cannot replay: {err}", err=_reason(err))
        problem = replay(body, units, inspectors, committed_hash=committed, experts=experts)
        if problem is not None or not refs.get("rules_context"):
            return problem
        try:
            return check_rules(plan, units, inspectors, self._rules_for(plan.jurisdiction))
        except DrawcoreError as err:
            return msg("cannot re-check the rules: {err}", err=_reason(err))

    def _load_units(self, ref: RegistryRef) -> UnitRegistry:
        key = (ref.path, ref.fingerprint)
        if key not in self._units:
            self._units[key] = load_units(ref, self.registry_dir)
        return self._units[key]

    def _load_inspectors(self, ref: RegistryRef) -> InspectorRegistry:
        key = (ref.path, ref.fingerprint)
        if key not in self._inspectors:
            self._inspectors[key] = load_inspectors(ref, self.registry_dir)
        return self._inspectors[key]


def _hash_problem(plan_hash: str, body: Mapping[str, Any], committed: str) -> str | None:
    """The plan in a record must hash to the committed hash (and to the record's own)."""
    if plan_hash != committed:
        return msg(
            "the plan in the record hashes to {plan_hash}, not the committed {committed}; "
            "its registries were not opened",
            plan_hash=plan_hash,
            committed=committed,
        )
    if body.get("plan_hash") != plan_hash:
        return msg(
            "plan_hash {plan_hash!r} is not the hash of the record's plan",
            plan_hash=body.get("plan_hash"),
        )
    return None


def _reason(err: DrawcoreError) -> str:
    """The error's message as raised: a :class:`~drawcore.i18n.Text` when it was built with
    :func:`~drawcore.i18n.msg`, so a finding that quotes it is rendered in the reader's language."""
    raised = err.args[0] if err.args else None
    return raised if isinstance(raised, Text) and raised == str(err) else str(err)


def _refs_key(spec: YearPlanSpec) -> str:
    """One key for the four registry snapshots a spec names (to load them once)."""
    refs = [getattr(spec, n) for n in ("units", "inspectors", "experts", "items")]
    return "|".join(f"{r.path}@{r.fingerprint}" for r in refs)


def replayers(
    journal_path: PathLike, *, registry_dir: PathLike | None = None
) -> dict[str, Replayer]:
    """The replay mapping for ``journal.verify`` (registries under the journal's directory)."""
    base = registry_dir if registry_dir is not None else Path(journal_path).parent
    return DrawReplayer(base).mapping()


def verify_draws(
    journal_path: PathLike,
    *,
    checkpoints: Iterable[Checkpoint] = (),
    verifier: Verifier | None = None,
    registry_dir: PathLike | None = None,
) -> VerifyReport:
    """:func:`drawcore.journal.verify` with every draw replayed."""
    return verify(
        journal_path,
        checkpoints=checkpoints,
        verifier=verifier,
        replay=replayers(journal_path, registry_dir=registry_dir),
    )
