"""Annual-plan records: the committed spec of a year, the ``annual_plan`` record, and replay.

What a third party needs to replay an annual plan (BL-5, BL-9, TJ-5): :class:`YearPlanSpec`
(registries by fingerprint, the year's parameters, the rules and their versions) is
committed before the seed; :func:`run_year` plans the year from it; :func:`replay_year`
re-runs it and names the first difference, or the unit the rules now decide differently for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from drawcore.draw.team_model import Recusal
from drawcore.errors import DrawcoreError, InvalidInputError, RuleError
from drawcore.i18n import msg
from drawcore.plan.collection import cycles_collected_after
from drawcore.plan.parameters import YearParameters
from drawcore.plan.policy import Policy
from drawcore.plan.prepare import Prepared, prepare
from drawcore.plan.schedule import plan_prepared
from drawcore.plan.tasks import AnnualPlan, UnitFrequency, UnitReasons
from drawcore.plugin.values import EntryRole
from drawcore.record.annual_compact import (
    COMPACT_METHOD,
    COMPACT_METHODS,
    YearInputs,
    decode,
    decode_key,
    encode,
    holds,
    inputs_of,
    plan_json,
)
from drawcore.record.draw_plans import RegistryRef, _pairs, _recusals, _version
from drawcore.record.records import _structure
from drawcore.record.replay import _header_problem, _replay_difference
from drawcore.record.results import (
    entry_role_tuple,
    entry_roles_difference,
    entry_roles_of,
)
from drawcore.record.seeding import plan_hash
from drawcore.record.signing import Signing
from drawcore.registry.registries import County
from drawcore.serde import OMIT_IF_DEFAULT, converter, plain_json

__all__ = [
    "AnnualPlanRecord",
    "YearPlanSpec",
    "prepare_spec",
    "replay_year",
    "run_year",
    "spec_inputs",
    "year_plan_record",
    "year_plan_spec",
]


#: Every annual-plan method this version reads (``docs/spec.md`` §12.1): the plan written
#: out in full (``/2``), or the compact layout (``/3``, ``/4``).
ANNUAL_METHODS = ("drawcore.plan.plan_year/2", *sorted(COMPACT_METHODS))


def _known_method(_instance: object, _attribute: object, value: object) -> None:
    if value not in ANNUAL_METHODS:
        raise InvalidInputError(
            msg(
                "unknown annual-plan method {method}; this version reads {methods}",
                method=repr(value),
                methods=", ".join(ANNUAL_METHODS),
            )
        )


@attrs.frozen(kw_only=True)
class YearPlanSpec:
    """What an annual plan commits to before its seed exists (BL-5, BL-6, TJ-5, TJ-8).

    The four registry snapshots (path and fingerprint), the year's
    :class:`~drawcore.plan.parameters.YearParameters` (its ``draw_id`` is
    :attr:`plan_id`, so every step of the plan is keyed by it), the jurisdiction and
    the (plugin, version) pairs of its rules, the declared conflicts of interest, and
    ``commitment``: the :attr:`drawcore.plan.schedule.YearCommitment.hash` of the
    rules' decisions made before the seed (mandatory, excluded, waived and
    key-supervision units with their reasons, capacities, the registries' fingerprints).
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
    method: str = attrs.field(default=COMPACT_METHOD, validator=_known_method)
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
        return _structure(body, cls, msg("an annual plan spec"))


_SIGNING = ("drawn_by", "signed_by", "drawn_at", "signed_at")
_REDO = ("redo_of", "redo_reason")


@attrs.frozen(kw_only=True)
class AnnualPlanRecord:
    """The body of a journal ``annual_plan`` record (BL-5, BL-9, TJ-5, TJ-9).

    ``plan``: the committed :class:`~drawcore.record.annual.YearPlanSpec` (its hash is
    ``plan_hash``); ``seed`` (hex), the record that formed it and its method;
    ``population``: units in the registry snapshot; ``result``: the whole
    :class:`~drawcore.plan.tasks.AnnualPlan`; ``signing``: who is accountable (TJ-9);
    ``redo_of`` / ``redo_reason``: both or neither (a visible redo).
    """

    plan_id: str
    plan: YearPlanSpec
    plan_hash: str
    seed: str
    seed_record: int
    seed_method: str
    population: int
    result: AnnualPlan
    signing: Signing
    inputs: YearInputs | None = None
    drawcore_version: str = attrs.field(factory=_version)
    redo_of: int | None = None
    redo_reason: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.redo_of is None) != (self.redo_reason is None):
            raise InvalidInputError(
                msg("a redo names both the voided plan (redo_of) and redo_reason")
            )
        if self.compact and self.inputs is None:
            raise InvalidInputError(
                msg(
                    "an annual plan of method {method} records the rules' inputs",
                    method=self.plan.method,
                )
            )

    @property
    def compact(self) -> bool:
        """Whether the record has the compact layout (``year``) rather than ``result``."""
        return self.plan.method in COMPACT_METHODS

    @property
    def seed_bytes(self) -> bytes:
        return bytes.fromhex(self.seed)

    @classmethod
    def from_body(cls, body: object) -> AnnualPlanRecord:
        """The record in a journal body; :class:`InvalidInputError` names what is wrong."""
        return _structure(body, cls, msg("an annual plan record"))

    def body(self) -> dict[str, Any]:
        """The journal body (plain JSON values)."""
        out: dict[str, Any] = converter.unstructure(self)
        return out

    @staticmethod
    def rounds_of(body: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The plan's rounds in a journal body as plain JSON values (``unstructure`` of
        ``from_body(body).result.rounds``), read without building the plan: for readers
        of a journal already verified. A body that does not hold them is refused as
        :meth:`from_body` refuses it."""
        rounds = plan_json(body).get("rounds")
        if isinstance(rounds, list):
            return rounds
        AnnualPlanRecord.from_body(body)  # names what is wrong
        raise InvalidInputError(msg("an annual plan record without rounds"))


def _unstructure(rec: AnnualPlanRecord) -> dict[str, Any]:
    head = _head_json(rec)
    at = list(head).index("population") + 1  # the plan part follows population
    items = list(head.items())
    return dict(items[:at] + list(_plan_part(rec).items()) + items[at:])


def _head_json(rec: AnnualPlanRecord) -> dict[str, Any]:
    """The body's keys but the plan part (``result`` or ``year``)."""
    out: dict[str, Any] = {
        "plan_id": rec.plan_id,
        "plan": converter.unstructure(rec.plan),
        "plan_hash": rec.plan_hash,
        "seed": rec.seed,
        "seed_record": rec.seed_record,
        "seed_method": rec.seed_method,
        "population": rec.population,
        **rec.signing.fields(),
        "drawcore_version": rec.drawcore_version,
    }
    if rec.redo_of is not None:
        out["redo_of"] = rec.redo_of
        out["redo_reason"] = rec.redo_reason
    return out


@cycles_collected_after
def _plan_values(rec: AnnualPlanRecord) -> Any:
    """The plan part as plain JSON values, before the compact layout."""
    if not rec.compact:
        return converter.unstructure(rec.result)
    return {"plan": converter.unstructure(rec.result), "inputs": converter.unstructure(rec.inputs)}


def _same_record(body: Mapping[str, Any], made: AnnualPlanRecord) -> bool:
    """Whether ``body`` holds exactly ``made``: compared as plain JSON values, the
    recorded plan read from its layout beside ``made``'s (:func:`holds`), or decoded
    from it when that cannot tell (never turned into objects, never re-encoded)."""
    part = "year" if made.compact else "result"
    head = {k: v for k, v in body.items() if k != part}
    if part not in body or plain_json(head) != plain_json(_head_json(made)):
        return False
    values = _plan_values(made)
    if made.compact and holds(body["year"], values):
        return True
    try:
        recorded = decode(body["year"]) if made.compact else body["result"]
    except (ValueError, KeyError, IndexError, TypeError, InvalidInputError):
        return False
    return plain_json(recorded) == plain_json(values)


def _plan_part(rec: AnnualPlanRecord) -> dict[str, Any]:
    """``result`` (the plan written out in full), or ``year``: the plan and the rules'
    inputs in the compact layout (:mod:`drawcore.record.annual_compact`)."""
    if not rec.compact:
        return {"result": _plan_values(rec)}
    return {"year": encode(_plan_values(rec))}


def _read_plan_part(body: dict[str, Any], method: str) -> tuple[AnnualPlan, YearInputs | None]:
    if method not in COMPACT_METHODS:
        return converter.structure(body["result"], AnnualPlan), None
    try:
        year = decode(body["year"])
    except (ValueError, KeyError, IndexError, TypeError) as err:
        raise InvalidInputError(msg("year is not a compact annual plan: {err}", err=err)) from None
    if not isinstance(year, dict) or set(year) != {"plan", "inputs"}:
        raise InvalidInputError(msg("year holds neither plan nor inputs"))
    return (
        converter.structure(year["plan"], AnnualPlan),
        converter.structure(year["inputs"], YearInputs),
    )


@attrs.frozen(kw_only=True)
class _Head:
    """An ``annual_plan`` body read and checked except for the plan itself (``result`` or
    the compact ``year``), which is the bulk of it: what a replay needs to re-run it."""

    fields: dict[str, Any]  # AnnualPlanRecord's keywords but result and inputs

    @property
    def plan(self) -> YearPlanSpec:
        spec: YearPlanSpec = self.fields["plan"]
        return spec


def _structure_head(body: object) -> _Head:
    if not isinstance(body, dict):
        raise TypeError(msg("expected an object, got {kind}", kind=type(body).__name__))
    spec = converter.structure(body.get("plan"), YearPlanSpec)
    part = "year" if spec.method in COMPACT_METHODS else "result"
    wanted = {f.name for f in attrs.fields(AnnualPlanRecord)} - {"signing", "result", "inputs"}
    wanted |= {*_SIGNING, part}
    extra = sorted(set(body) - wanted)
    if extra:
        raise InvalidInputError(msg("unknown keys {extra}", extra=", ".join(extra)))
    missing = sorted(wanted - set(body) - set(_REDO))
    if missing:
        raise InvalidInputError(msg("missing keys {missing}", missing=", ".join(missing)))
    for key, kind in (("seed_record", int), ("population", int)):
        if not isinstance(body[key], kind) or isinstance(body[key], bool):
            raise TypeError(
                msg("{key} must be an integer, got {value}", key=key, value=repr(body[key]))
            )
    for key in ("plan_id", "plan_hash", "seed", "seed_method", "drawcore_version"):
        if not isinstance(body[key], str):
            raise TypeError(msg("{key} must be text, got {value}", key=key, value=repr(body[key])))
    redo_of = body.get("redo_of")
    if redo_of is not None and (not isinstance(redo_of, int) or isinstance(redo_of, bool)):
        raise TypeError(
            msg("redo_of must be a record number, got {redo_of}", redo_of=repr(redo_of))
        )
    redo_reason = body.get("redo_reason")
    if redo_reason is not None and not isinstance(redo_reason, str):
        raise TypeError(
            msg("redo_reason must be text, got {redo_reason}", redo_reason=repr(redo_reason))
        )
    return _Head(
        fields={
            "plan_id": body["plan_id"],
            "plan": spec,
            "plan_hash": body["plan_hash"],
            "seed": body["seed"],
            "seed_record": body["seed_record"],
            "seed_method": body["seed_method"],
            "population": body["population"],
            "signing": Signing(**{k: body[k] for k in _SIGNING}),
            "drawcore_version": body["drawcore_version"],
            "redo_of": redo_of,
            "redo_reason": redo_reason,
        },
    )


converter.register_structure_hook(_Head, lambda body, _cls: _structure_head(body))


def _structure_record(body: object, _cls: object) -> AnnualPlanRecord:
    head = _structure_head(body)
    assert isinstance(body, dict)
    result, inputs = _read_plan_part(body, head.plan.method)
    return AnnualPlanRecord(result=result, inputs=inputs, **head.fields)


def _read_inputs(body: Mapping[str, Any], method: str) -> YearInputs | None:
    """The rules' inputs of a compact record, read without the plan beside them."""
    if method not in COMPACT_METHODS:
        return None
    try:
        inputs = decode_key(body["year"], "inputs")
    except (ValueError, KeyError, IndexError, TypeError) as err:
        raise InvalidInputError(msg("year is not a compact annual plan: {err}", err=err)) from None
    return converter.structure(inputs, YearInputs)


converter.register_unstructure_hook(AnnualPlanRecord, _unstructure)
converter.register_structure_hook(AnnualPlanRecord, _structure_record)


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
    spec, _ = prepared_year_plan_spec(
        plan_id,
        county,
        refs,
        rules=rules,
        conflicts=conflicts,
        office_teams=office_teams,
        amends=amends,
        **year,
    )
    return spec


def prepared_year_plan_spec(
    plan_id: str,
    county: County,
    refs: Mapping[str, RegistryRef],
    *,
    rules: Policy,
    conflicts: Iterable[Recusal] = (),
    office_teams: Mapping[str, Sequence[str]] | None = None,
    amends: str | None = None,
    **year: Any,
) -> tuple[YearPlanSpec, Prepared]:
    """:func:`year_plan_spec`, and the rules' decisions it committed (what
    :func:`prepare_spec` of the spec on ``county`` gives), for a draw in the same run
    not to ask the rules again."""
    try:
        params = YearParameters(draw_id=plan_id, **year)
    except TypeError as err:
        raise InvalidInputError(msg("plan {plan_id}: {err}", plan_id=plan_id, err=err)) from None
    missing = sorted({"units", "inspectors", "experts", "items"} - set(refs))
    if missing:
        raise InvalidInputError(
            msg(
                "plan {plan_id}: no registry snapshot named for {missing}",
                plan_id=plan_id,
                missing=missing,
            )
        )
    for name, registry in county.fingerprints.items():
        if refs[name].fingerprint != registry:
            raise InvalidInputError(
                msg(
                    "plan {plan_id}: {name} snapshot {path} is named with fingerprint"
                    " {fingerprint}, the registry given has {registry}",
                    plan_id=plan_id,
                    name=name,
                    path=refs[name].path,
                    fingerprint=refs[name].fingerprint,
                    registry=registry,
                )
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
    prepared = prepare_spec(spec, county, rules)
    return attrs.evolve(spec, commitment=prepared.commitment.hash), prepared


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


def run_year(
    spec: YearPlanSpec,
    county: County,
    rules: Policy,
    seed: bytes,
    *,
    prepared: Prepared | None = None,
) -> AnnualPlan:
    """The annual plan ``spec`` describes: :func:`drawcore.schedule.plan_year` keyed by
    ``seed`` and ``spec.plan_id``, on the snapshots it names (checked by fingerprint),
    under the same rules and plugin versions, making the same committed decisions.
    ``prepared``: the rules' decisions for ``spec`` on ``county`` already made (by
    :func:`prepare_spec`), so they are not asked again.
    Raises :class:`InvalidInputError` / :class:`RuleError` otherwise."""
    _check_snapshots(spec, county)
    problem = _check_rules(spec, rules)
    if problem is not None:
        raise RuleError(problem)
    if prepared is None:
        prepared = prepare_spec(spec, county, rules)
    plan = plan_prepared(prepared, rules=rules, seed=seed)
    if plan.commitment != spec.commitment:
        raise RuleError(
            msg(
                "plan {plan_id}: the rules now decide differently from the commitment"
                " ({recomputed} != {committed})",
                plan_id=spec.plan_id,
                recomputed=plan.commitment,
                committed=spec.commitment,
            )
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
    signing: Signing,
    inputs: YearInputs | None = None,
    redo_of: int | None = None,
    redo_reason: str | None = None,
) -> AnnualPlanRecord:
    """The ``annual_plan`` record of ``plan``: the committed spec, the seed and the record
    that formed it, the whole plan (every round's units with π, mandatory and excluded
    reasons, teams with recusals and replacements) and who is accountable (TJ-9)."""
    return AnnualPlanRecord(
        plan_id=spec.plan_id,
        plan=spec,
        plan_hash=spec.hash,
        seed=seed.hex(),
        seed_record=seed_record,
        seed_method=seed_method,
        population=population,
        result=plan,
        signing=signing,
        inputs=inputs if spec.method in COMPACT_METHODS else None,
        redo_of=redo_of,
        redo_reason=redo_reason,
    )


_DECISIONS = {
    "mandatory": "at least once a year",
    "excluded": "excluded",
    "waived": "once-a-year rule waived",
    "key_supervision": "key supervision",
}


def _decision_map(entries: Sequence[UnitReasons | UnitFrequency]) -> dict[str, str]:
    """Unit id -> the decision's reasons (and times), as recorded, for one decision kind."""
    out: dict[str, str] = {}
    for e in entries:
        texts = "; ".join(f"{r.clause} [{r.plugin}]: {r.text}" for r in e.reasons)
        times = e.times if isinstance(e, UnitFrequency) else None
        out[e.unit_id] = texts if times is None else f"{times}x: {texts}"
    return out


def _check_snapshots(spec: YearPlanSpec, county: County) -> dict[str, str]:
    """The snapshot fingerprints ``spec`` names, once each is found to be the fingerprint
    of ``county``'s registry of that name."""
    named: dict[str, str] = {}
    for name, fp in county.fingerprints.items():
        ref: RegistryRef = getattr(spec, name)
        if ref.fingerprint != fp:
            raise InvalidInputError(
                msg(
                    "{name} registry {path} has fingerprint {fp}, but the plan names"
                    " {fingerprint} (a different or changed registry)",
                    name=name,
                    path=ref.path,
                    fp=fp,
                    fingerprint=ref.fingerprint,
                )
            )
        named[name] = fp
    return named


def prepare_spec(spec: YearPlanSpec, county: County, rules: Policy) -> Prepared:
    """The rules' decisions for ``spec`` on ``county``, made as before the seed. Under
    method ``drawcore.plan.plan_year/4`` the commitment names the registries by the
    snapshots ``spec`` names, which must be ``county``'s (else
    :class:`InvalidInputError`); earlier methods fingerprint the registries' records."""
    snapshots = _check_snapshots(spec, county) if spec.method == COMPACT_METHOD else None
    return prepare(
        county.units,
        county.inspectors,
        spec.parameters,
        rules=rules,
        experts=county.experts,
        items=county.items,
        conflicts=spec.conflicts,
        office_teams=dict(spec.office_teams),
        snapshots=snapshots,
    )


def spec_inputs(
    spec: YearPlanSpec, county: County, rules: Policy, *, prepared: Prepared | None = None
) -> YearInputs | None:
    """The rules' inputs an ``annual_plan`` record of ``spec``'s method carries (``None``
    for the earlier method, whose records do not carry them); ``prepared`` as for
    :func:`run_year`."""
    if spec.method not in COMPACT_METHODS:
        return None
    if prepared is None:
        prepared = prepare_spec(spec, county, rules)
    return inputs_of(prepared.decisions)


def _rules_difference(
    spec: YearPlanSpec,
    inputs: YearInputs | None,
    recorded: Callable[[], AnnualPlan],
    prep: Prepared,
) -> str | None:
    """When the installed rules no longer make the committed decisions or no longer give
    the recorded weights and windows (a rule changed without a new plugin version), the
    first unit they decide differently for (``prep``: their decisions now)."""
    who = spec.jurisdiction or "national practice"
    now = prep.commitment
    if now.hash != spec.commitment:
        for kind, what in _DECISIONS.items():
            before = _decision_map(getattr(recorded(), kind))
            after = _decision_map(getattr(now, kind))
            for uid in sorted(set(before) | set(after)):
                if before.get(uid) != after.get(uid):
                    was = before.get(uid, "not decided")
                    is_ = after.get(uid, "not decided")
                    plugins = ", ".join(map(" ".join, spec.rules))
                    return (
                        f"the rules of {who} decide differently: unit {uid} {what}: "
                        f"recorded {was!r}, now {is_!r} (plugins {plugins} unchanged in version)"
                    )
        return (
            f"the rules of {who} decide differently from the commitment (capacities or "
            f"registry contents): {now.hash} != {spec.commitment}"
        )
    if inputs is None:
        return None
    return _inputs_difference(who, inputs, inputs_of(prep.decisions))


def _inputs_difference(who: str, recorded: YearInputs, now: YearInputs) -> str | None:
    """The first unit whose weight, recent-inspection window or team size the rules
    now decide differently from the record, in the reader's language."""
    if recorded.unit_ids != now.unit_ids:
        return msg(
            "the rules of {rules} decide differently: they decide for other units than the "
            "record ({recorded} recorded, {now} now)",
            rules=who,
            recorded=len(recorded.unit_ids),
            now=len(now.unit_ids),
        )
    columns = (
        (msg("weight"), recorded.weights, now.weights),
        (msg("recent-inspection window (days)"), recorded.windows, now.windows),
        (msg("team size"), recorded.team_sizes, now.team_sizes),
    )
    for i, uid in enumerate(recorded.unit_ids):
        for what, before, after in columns:
            if before[i] != after[i]:
                return msg(
                    "the rules of {rules} decide differently: unit {unit} {what} "
                    "{before} → {after}",
                    rules=who,
                    unit=uid,
                    what=what,
                    before=before[i],
                    after=after[i],
                )
    if recorded.weight_reasons != now.weight_reasons:
        return msg(
            "the rules of {rules} decide differently: the reasons of the weights changed",
            rules=who,
        )
    return None


@cycles_collected_after
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
    what = msg("an annual plan record")
    try:
        head = _structure(body, _Head, what)
        inputs = _read_inputs(body, head.plan.method)
    except InvalidInputError as err:
        return str(err)
    spec, fields = head.plan, head.fields
    problem = _header_problem(
        spec.hash, fields["plan_hash"], committed_hash, spec.plan_id, fields["plan_id"]
    )
    if problem is not None:
        return problem
    problem = _check_rules(spec, rules)
    if problem is not None:
        return f"cannot replay with the same rules: {problem}"
    problem = entry_roles_difference(spec.entry_roles, rules, spec.year)
    if problem is not None:
        return problem

    def recorded() -> AnnualPlan:
        return _structure(body, AnnualPlanRecord, what).result

    try:
        prep: Prepared | None = prepare_spec(spec, county, rules)
    except DrawcoreError:
        prep = None  # run_year asks again and reports it
    if prep is not None:
        try:
            problem = _rules_difference(spec, inputs, recorded, prep)
        except InvalidInputError as err:
            return str(err)
        if problem is not None:
            return problem
    try:
        seed = bytes.fromhex(fields["seed"])
    except ValueError:
        return f"seed {fields['seed']!r} is not hex"
    try:
        plan = run_year(spec, county, rules, seed, prepared=prep)
        expected = year_plan_record(
            spec,
            plan,
            seed=seed,
            seed_record=fields["seed_record"],
            seed_method=fields["seed_method"],
            population=len(county.units),
            signing=fields["signing"],
            inputs=inputs,
            redo_of=fields["redo_of"],
            redo_reason=fields["redo_reason"],
        )
    except DrawcoreError as err:
        return f"cannot replay: {err}"
    expected = attrs.evolve(expected, drawcore_version=fields["drawcore_version"])
    if _same_record(body, expected):
        return None
    try:
        recorded()  # a plan part that does not read is named as such
    except InvalidInputError as err:
        return str(err)
    made = expected.body()
    return _replay_difference(_readable(body), _readable(made), fields["drawcore_version"])


def _readable(body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with its compact ``year`` decoded, so a difference is named by the plan's
    own fields (``year.plan.rounds[2].tasks[5].unit_id``), not by the layout."""
    out = dict(body)
    if "year" in out:
        out["year"] = decode(out["year"])
    return out
