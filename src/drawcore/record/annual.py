"""Annual-plan records: the committed spec of a year, the ``annual_plan`` record, and replay.

What a third party needs to replay an annual plan (BL-5, BL-9, TJ-5): :class:`YearPlanSpec`
(registries by fingerprint, the year's parameters, the rules and their versions) is
committed before the seed; :func:`run_year` plans the year from it; :func:`replay_year`
re-runs it and names the first difference, or the unit the rules now decide differently for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from drawcore.draw.team_model import Recusal
from drawcore.errors import DrawcoreError, InvalidInputError, RuleError
from drawcore.plan.parameters import YearParameters
from drawcore.plan.policy import Policy
from drawcore.plan.schedule import commit_year, plan_year
from drawcore.plan.tasks import AnnualPlan
from drawcore.plugin.values import EntryRole
from drawcore.record.draw_plans import RegistryRef, _pairs, _recusals, _version
from drawcore.record.records import _check_signing, _structure
from drawcore.record.replay import _header_problem, _replay_difference
from drawcore.record.results import (
    entry_role_tuple,
    entry_roles_difference,
    entry_roles_of,
)
from drawcore.record.seeding import plan_hash
from drawcore.registry.registries import County
from drawcore.serde import OMIT_IF_DEFAULT, unstructure

__all__ = ["YearPlanSpec", "replay_year", "run_year", "year_plan_record", "year_plan_spec"]


@attrs.frozen(kw_only=True)
class YearPlanSpec:
    """What an annual plan commits to before its seed exists (BL-5, BL-6, TJ-5, TJ-8).

    The four registry snapshots (path and fingerprint), the year's
    :class:`~drawcore.plan.parameters.YearParameters` (its ``draw_id`` is
    :attr:`plan_id`, so every step of the plan is keyed by it), the jurisdiction and
    the (plugin, version) pairs of its rules, the declared conflicts of interest, and
    ``commitment``: the :attr:`drawcore.plan.schedule.YearCommitment.hash` of the
    rules' decisions made before the seed (mandatory, excluded, waived and
    key-supervision units with their reasons, capacities, content fingerprints).
    Its :attr:`hash` is what the ``plan_commitment`` record holds.
    """

    parameters: YearParameters
    units: RegistryRef
    inspectors: RegistryRef
    experts: RegistryRef
    items: RegistryRef
    commitment: str
    conflicts: tuple[Recusal, ...] = attrs.field(default=(), converter=_recusals)
    office_teams: tuple[tuple[str, tuple[str, ...]], ...] = ()
    amends: str | None = None  # the plan id this one amends (units added or changed mid-year)
    jurisdiction: str | None = None
    rules: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    method: str = "drawcore.plan.plan_year/2"
    drawcore_version: str = attrs.field(factory=_version)
    # BL-8: roles the rules allow to enter results besides the team (absent when none)
    entry_roles: tuple[EntryRole, ...] = attrs.field(
        default=(), converter=entry_role_tuple, metadata=OMIT_IF_DEFAULT
    )

    @property
    def plan_id(self) -> str:
        return self.parameters.draw_id

    @property
    def year(self) -> int:
        return self.parameters.year

    @property
    def rounds(self) -> int:
        return self.parameters.rounds

    @property
    def hash(self) -> str:
        """The plan hash a ``plan_commitment`` record holds."""
        return plan_hash(self)

    @classmethod
    def from_body(cls, body: object) -> YearPlanSpec:
        """The spec in a record body; :class:`InvalidInputError` names what is wrong."""
        return _structure(body, cls, "an annual plan spec")


def year_plan_spec(
    plan_id: str,
    county: County,
    refs: Mapping[str, RegistryRef],
    *,
    rules: Policy,
    conflicts: Iterable[Recusal] = (),
    office_teams: Mapping[str, Sequence[str]] | None = None,
    amends: str | None = None,
    **year: Any,
) -> YearPlanSpec:
    """The spec to commit for ``plan_id``: ``refs`` names the snapshots of ``county``
    (keys ``units``, ``inspectors``, ``experts``, ``items``); ``year`` the keywords of
    :class:`~drawcore.plan.parameters.YearParameters` (its ``draw_id`` is ``plan_id``).
    The rules' decisions are made now (:func:`drawcore.plan.schedule.commit_year`),
    before any seed exists."""
    try:
        params = YearParameters(draw_id=plan_id, **year)
    except TypeError as err:
        raise InvalidInputError(f"plan {plan_id}: {err}") from None
    missing = sorted({"units", "inspectors", "experts", "items"} - set(refs))
    if missing:
        raise InvalidInputError(f"plan {plan_id}: no registry snapshot named for {missing}")
    for name, registry in county.fingerprints.items():
        if refs[name].fingerprint != registry:
            raise InvalidInputError(
                f"plan {plan_id}: {name} snapshot {refs[name].path} is named with fingerprint "
                f"{refs[name].fingerprint}, the registry given has {registry}"
            )
    spec = YearPlanSpec(
        parameters=params,
        units=refs["units"],
        inspectors=refs["inspectors"],
        experts=refs["experts"],
        items=refs["items"],
        commitment="",
        conflicts=tuple(conflicts),
        office_teams=tuple(
            sorted((u, tuple(sorted(set(m)))) for u, m in (office_teams or {}).items())
        ),
        amends=amends,
        jurisdiction=rules.jurisdiction,
        rules=rules.versions,
        entry_roles=entry_roles_of(rules, params.year),
    )
    committed = commit_year(
        county.units,
        county.inspectors,
        rules=rules,
        params=params,
        experts=county.experts,
        items=county.items,
        conflicts=spec.conflicts,
        office_teams=dict(spec.office_teams),
    )
    return attrs.evolve(spec, commitment=committed.hash)


def _check_rules(spec: YearPlanSpec, rules: Policy) -> str | None:
    if rules.jurisdiction != spec.jurisdiction:
        return (
            f"plan {spec.plan_id} follows the rules of {spec.jurisdiction!r}, "
            f"not {rules.jurisdiction!r}"
        )
    if tuple(rules.versions) != spec.rules:
        show = ", ".join(f"{n} {v}" for n, v in spec.rules) or "none"
        now = ", ".join(f"{n} {v}" for n, v in rules.versions) or "none"
        return f"recorded with plugins {show}; installed: {now}"
    return None


def run_year(spec: YearPlanSpec, county: County, rules: Policy, seed: bytes) -> AnnualPlan:
    """The annual plan ``spec`` describes: :func:`drawcore.schedule.plan_year` keyed by
    ``seed`` and ``spec.plan_id``, on the snapshots it names (checked by fingerprint),
    under the same rules and plugin versions, making the same committed decisions.
    Raises :class:`InvalidInputError` / :class:`RuleError` otherwise."""
    for name, fp in county.fingerprints.items():
        ref: RegistryRef = getattr(spec, name)
        if ref.fingerprint != fp:
            raise InvalidInputError(
                f"{name} registry {ref.path} has fingerprint {fp}, but the plan names "
                f"{ref.fingerprint} (a different or changed registry)"
            )
    problem = _check_rules(spec, rules)
    if problem is not None:
        raise RuleError(problem)
    plan = plan_year(
        county.units,
        county.inspectors,
        rules=rules,
        seed=seed,
        params=spec.parameters,
        experts=county.experts,
        items=county.items,
        conflicts=spec.conflicts,
        office_teams=dict(spec.office_teams),
    )
    if plan.commitment != spec.commitment:
        raise RuleError(
            f"plan {spec.plan_id}: the rules now decide differently from the commitment "
            f"({plan.commitment} != {spec.commitment})"
        )
    return plan


def year_plan_record(
    spec: YearPlanSpec,
    plan: AnnualPlan,
    *,
    seed: bytes,
    seed_record: int,
    seed_method: str,
    population: int,
    drawn_by: str,
    signed_by: str,
    drawn_at: str,
    signed_at: str,
    redo_of: int | None = None,
    redo_reason: str | None = None,
) -> dict[str, Any]:
    """The journal body of an ``annual_plan`` record: the committed spec, the seed and
    the record that formed it, the whole plan (every round's units with π, mandatory and
    excluded reasons, teams with recusals and replacements, forms) and who is
    accountable (TJ-9)."""
    _check_signing(drawn_by, signed_by, drawn_at, signed_at, "a plan")
    if (redo_of is None) != (redo_reason is None):
        raise InvalidInputError("a redo names both the voided plan (redo_of) and redo_reason")
    redo = {} if redo_of is None else {"redo_of": redo_of, "redo_reason": redo_reason}
    return {
        **redo,
        "plan_id": spec.plan_id,
        "plan": unstructure(spec),
        "plan_hash": spec.hash,
        "seed": seed.hex(),
        "seed_record": seed_record,
        "seed_method": seed_method,
        "population": population,
        "result": unstructure(plan),
        "drawn_by": drawn_by,
        "signed_by": signed_by,
        "drawn_at": drawn_at,
        "signed_at": signed_at,
        "drawcore_version": _version(),
    }


_DECISIONS = {
    "mandatory": "at least once a year",
    "excluded": "excluded",
    "waived": "once-a-year rule waived",
    "key_supervision": "key supervision",
}


def _decision_map(entries: object) -> dict[str, str]:
    """Unit id -> the decision's reasons (and times), as recorded, for one decision kind."""
    out: dict[str, str] = {}
    for e in entries if isinstance(entries, list | tuple) else ():
        if isinstance(e, Mapping):
            uid, reasons, times = e.get("unit_id"), e.get("reasons", ()), e.get("times")
        else:
            uid, reasons, times = e.unit_id, unstructure(e.reasons), getattr(e, "times", None)
        texts = "; ".join(
            f"{r['clause']} [{r['plugin']}]: {r['text']}" for r in reasons if isinstance(r, Mapping)
        )
        out[str(uid)] = texts if times is None else f"{times}x: {texts}"
    return out


def _rules_difference(
    spec: YearPlanSpec, recorded: object, county: County, rules: Policy
) -> str | None:
    """When the installed rules no longer make the committed decisions (a rule changed
    without a new plugin version), the first unit they decide differently for."""
    try:
        now = commit_year(
            county.units,
            county.inspectors,
            rules=rules,
            params=spec.parameters,
            experts=county.experts,
            items=county.items,
            conflicts=spec.conflicts,
            office_teams=dict(spec.office_teams),
        )
    except DrawcoreError:
        return None  # run_year reports it
    if now.hash == spec.commitment:
        return None
    who = spec.jurisdiction or "national practice"
    plan = recorded if isinstance(recorded, Mapping) else {}
    for kind, what in _DECISIONS.items():
        before, after = _decision_map(plan.get(kind)), _decision_map(getattr(now, kind))
        for uid in sorted(set(before) | set(after)):
            if before.get(uid) != after.get(uid):
                was = before.get(uid, "not decided")
                is_ = after.get(uid, "not decided")
                return (
                    f"the rules of {who} decide differently: unit {uid} {what}: "
                    f"recorded {was!r}, now {is_!r} (plugins {', '.join(map(' '.join, spec.rules))}"
                    " unchanged in version)"
                )
    return (
        f"the rules of {who} decide differently from the commitment (capacities or "
        f"registry contents): {now.hash} != {spec.commitment}"
    )


def replay_year(
    body: Mapping[str, Any],
    county: County,
    rules: Policy,
    *,
    committed_hash: str | None = None,
) -> str | None:
    """Re-run the annual plan an ``annual_plan`` record body describes and compare.

    A problem, or ``None``. When the installed plugins' versions differ from the
    recorded ones the problem says so (the rules are part of what was committed).
    """
    try:
        spec = YearPlanSpec.from_body(body.get("plan"))
    except InvalidInputError as err:
        return str(err)
    problem = _header_problem(
        spec.hash, body.get("plan_hash"), committed_hash, spec.plan_id, body.get("plan_id")
    )
    if problem is not None:
        return problem
    problem = _check_rules(spec, rules)
    if problem is not None:
        return f"cannot replay with the same rules: {problem}"
    problem = entry_roles_difference(spec.entry_roles, rules, spec.year)
    if problem is not None:
        return problem
    problem = _rules_difference(spec, body.get("result"), county, rules)
    if problem is not None:
        return problem
    try:
        seed = bytes.fromhex(str(body.get("seed")))
    except ValueError:
        return f"seed {body.get('seed')!r} is not hex"
    try:
        plan = run_year(spec, county, rules, seed)
        expected = year_plan_record(
            spec,
            plan,
            seed=seed,
            seed_record=body.get("seed_record"),  # type: ignore[arg-type]
            seed_method=str(body.get("seed_method")),
            population=len(county.units),
            drawn_by=body.get("drawn_by"),  # type: ignore[arg-type]
            signed_by=body.get("signed_by"),  # type: ignore[arg-type]
            drawn_at=body.get("drawn_at"),  # type: ignore[arg-type]
            signed_at=body.get("signed_at"),  # type: ignore[arg-type]
            redo_of=body.get("redo_of"),
            redo_reason=body.get("redo_reason"),
        )
    except DrawcoreError as err:
        return f"cannot replay: {err}"
    expected["drawcore_version"] = body.get("drawcore_version")
    return _replay_difference(body, expected, body.get("drawcore_version"))
