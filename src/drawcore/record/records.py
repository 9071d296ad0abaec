"""Draw records: a single draw run on its registries, and the ``draw`` record it journals.

:func:`run_draw` is the draw: ``sample_units`` then ``draw_teams`` on the registries
the :class:`~drawcore.record.draw_plans.DrawPlan` names, keyed by the seed and the
plan id, so it is a pure function of (plan, registries, seed).

A :class:`DrawRecord` is the journal body of a ``draw`` record: the plan (whose
hash the commitment holds), the seed and the record that formed it, the drawn
units with their exact inclusion probabilities, the full team draw (recusals
and replacements included), and who drew and who signed, when (TJ-9
谁抽查、谁签字、谁负责). Replay is in :mod:`drawcore.record.replay`; annual plans
are in :mod:`drawcore.record.annual`.

Pure: no I/O, no clock. Reading registry files and journals is in
:mod:`drawcore.record.ceremony`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs
import numpy as np

from drawcore.draw.randomness import canonical_ids
from drawcore.draw.sampling import ProbabilityTable, UnitSample, sample_units
from drawcore.draw.team_model import TeamDraw, TeamTask
from drawcore.draw.teams import draw_teams
from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.model import Expert
from drawcore.record.draw_plans import RECUSAL_RULES, DrawPlan, RegistryRef, _version
from drawcore.record.signing import Signing
from drawcore.registry.registries import ExpertRegistry, InspectorRegistry, UnitRegistry
from drawcore.serde import structure

__all__ = [
    "DrawOutcome",
    "DrawRecord",
    "DrawnUnit",
    "draw_record",
    "run_draw",
    "stratum_labels",
]

_T = TypeVar("_T")


@attrs.frozen(kw_only=True)
class DrawnUnit:
    """One drawn unit with its exact inclusion probability (π) in this draw."""

    unit_id: str
    probability: float


@attrs.frozen(kw_only=True)
class DrawOutcome:
    """The result of :func:`run_draw`: the unit sample and the team draw."""

    sample: UnitSample
    teams: TeamDraw


@attrs.frozen(kw_only=True)
class DrawRecord:
    """The body of a journal ``draw`` record (see module docs)."""

    plan_id: str
    plan: DrawPlan
    plan_hash: str
    seed: str  # hex
    seed_record: int
    seed_method: str
    population: int  # units in the registry snapshot
    sample_fingerprint: str  # UnitSample.fingerprint: hash of the draw's inputs
    units: tuple[DrawnUnit, ...]
    teams: TeamDraw
    drawn_by: str
    signed_by: str
    drawn_at: str
    signed_at: str
    drawcore_version: str
    redo_of: int | None = None
    redo_reason: str | None = None

    @property
    def signing(self) -> Signing:
        """Who drew and signed, and when, as one checked value (TJ-9)."""
        return Signing(
            drawn_by=self.drawn_by,
            signed_by=self.signed_by,
            drawn_at=self.drawn_at,
            signed_at=self.signed_at,
        )

    @classmethod
    def from_body(cls, body: object) -> DrawRecord:
        """A record from a journal body; :class:`InvalidInputError` names what is wrong."""
        return _structure(body, cls, msg("a draw record"))


def _structure(body: object, cls: type[_T], what: str) -> _T:
    """``body`` as ``cls``; :class:`InvalidInputError` says what is wrong in cattrs' words."""
    try:
        return structure(body, cls)
    except Exception as err:  # cattrs raises its own exception groups
        raise InvalidInputError(
            msg("not {what}: {why}", what=what, why=_cattrs_message(err))
        ) from None


def _cattrs_message(err: BaseException) -> str:
    subs = getattr(err, "exceptions", None)
    if subs:
        return "; ".join(_cattrs_message(e) for e in subs)
    return f"{type(err).__name__}: {err}"


def _check_ref(
    ref: RegistryRef,
    registry: UnitRegistry | InspectorRegistry | ExpertRegistry,
    what: str,
) -> None:
    if registry.fingerprint != ref.fingerprint:
        raise InvalidInputError(
            msg(
                "{what} registry {path} has fingerprint {fingerprint}, but the plan"
                " names {named} (a different or changed registry)",
                what=what,
                path=ref.path,
                fingerprint=registry.fingerprint,
                named=ref.fingerprint,
            )
        )


def stratum_labels(units: UnitRegistry, field: str) -> list[str]:
    """Each unit's stratum: the text, enum value or flag of its column ``field``, in row order."""
    from drawcore.registry.registries import Kind

    spec = next((f for f in units.schema if f.name == field), None)
    if spec is None or spec.kind not in (Kind.TEXT, Kind.ENUM, Kind.BOOL):
        usable = sorted(f.name for f in units.schema if f.kind in (Kind.TEXT, Kind.ENUM, Kind.BOOL))
        raise InvalidInputError(
            msg(
                "cannot stratify by {field}: not a text, category or flag field of the"
                " unit registry (usable: {usable})",
                field=repr(field),
                usable=", ".join(usable),
            )
        )
    col = units.column(field)
    if spec.kind is Kind.ENUM:
        names = [str(m.value) for m in spec.members]
        return [names[int(c)] for c in col.tolist()]
    if spec.kind is Kind.BOOL:
        return ["true" if c else "false" for c in col.tolist()]
    return [str(c) for c in col.tolist()]


def _team_tasks(plan: DrawPlan, selected: Sequence[str]) -> list[str | TeamTask]:
    """The drawn units as team tasks, with each one's recorded requirement (if any)."""
    needs = {r.unit_id: r for r in plan.requirements}
    tasks: list[str | TeamTask] = []
    for unit_id in selected:
        need = needs.get(unit_id)
        if need is None:
            tasks.append(unit_id)
            continue
        tasks.append(
            TeamTask(
                unit_id=unit_id,
                team_size=plan.team_size,
                expertise=need.expertise or None,
                experts=need.experts,
                expert_expertise=need.expert_expertise,
            )
        )
    return tasks


def run_draw(
    plan: DrawPlan,
    units: UnitRegistry,
    inspectors: InspectorRegistry,
    seed: bytes,
    *,
    sampler: Callable[..., UnitSample] = sample_units,
    experts: ExpertRegistry | None = None,
) -> DrawOutcome:
    """Draw ``plan.size`` units (exact πps) and a team for each, keyed by seed and plan id.

    The registries must be the snapshots the plan names (checked by fingerprint).
    Raises :class:`InfeasibleError` when the plan cannot be met; nothing else happens.
    ``sampler`` is ``sample_units`` or a drop-in with the same result (e.g.
    :func:`drawcore.scale.dask_sampler`); replay always uses ``sample_units``,
    so it also checks the engine. ``experts`` is the expert registry snapshot
    ``plan.experts`` names (needed when it names one). A stratified plan draws
    ``stratum_sizes`` within the strata of ``strata_field``; the drawn units' teams
    meet their ``requirements`` (expertise, experts).
    """
    _check_ref(plan.units, units, msg("unit"))
    _check_ref(plan.inspectors, inspectors, msg("inspector"))
    expert_list: list[Expert] = []
    if plan.experts is not None:
        if experts is None:
            raise InvalidInputError(
                msg(
                    "plan {plan_id} names the expert registry {path}; none was given",
                    plan_id=plan.plan_id,
                    path=plan.experts.path,
                )
            )
        _check_ref(plan.experts, experts, msg("expert"))
        expert_list = list(experts)
    weights = np.array(units.weights, dtype=np.float64, copy=True)
    for unit_id, w in plan.weights:
        if unit_id not in units:
            raise InvalidInputError(
                msg(
                    "plan {plan_id}: weight for unknown unit {unit_id}",
                    plan_id=plan.plan_id,
                    unit_id=unit_id,
                )
            )
        weights[units.index_of(unit_id)] = w
    excluded = np.zeros(len(units), dtype=np.bool_)
    for flag in plan.exclude_flags:
        try:
            excluded |= units.mask(flag)
        except KeyError:
            raise InvalidInputError(
                msg(
                    "plan {plan_id}: exclude flag {flag} is not a flag of the unit registry",
                    plan_id=plan.plan_id,
                    flag=repr(flag),
                )
            ) from None
    for unit_id in plan.excluded:
        if unit_id not in units:
            raise InvalidInputError(
                msg(
                    "plan {plan_id}: excluded unit {unit_id} is unknown",
                    plan_id=plan.plan_id,
                    unit_id=unit_id,
                )
            )
        excluded[units.index_of(unit_id)] = True
    strata: dict[str, Any] = {}
    size: int | dict[str, int] = plan.size
    if plan.strata_field is not None:
        strata["strata"] = stratum_labels(units, plan.strata_field)
        size = dict(plan.stratum_sizes)
    sample = sampler(
        units.ids,
        weights,
        size,
        seed=seed,
        mandatory=plan.mandatory,
        excluded=excluded,
        draw_id=f"{plan.plan_id}/units",
        **strata,
    )
    selected = [str(u) for u in sample.selected]
    conflicts = list(plan.conflicts)
    if plan.recusal_rules:
        drawn = [units[u] for u in selected]
        for name in plan.recusal_rules:
            conflicts.extend(RECUSAL_RULES[name](drawn, inspectors))
    teams = draw_teams(
        _team_tasks(plan, selected),
        inspectors,
        seed=seed,
        draw_id=f"{plan.plan_id}/teams",
        team_size=plan.team_size,
        conflicts=conflicts,
        max_tasks=plan.max_tasks,
        max_tasks_per_work_unit=plan.max_tasks_per_work_unit,
        experts=expert_list,
    )
    return DrawOutcome(sample=sample, teams=teams)


def _selected_probabilities(sample: UnitSample) -> list[float]:
    """The drawn units' probabilities, looked up in one vectorised pass."""
    probs = sample.probabilities
    if not isinstance(probs, ProbabilityTable) or not sample.selected:
        return [float(probs[u]) for u in sample.selected]
    ids, values = probs.arrays()
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    want = canonical_ids(list(sample.selected))
    pos = np.searchsorted(ordered, want)
    if not np.array_equal(ordered[np.minimum(pos, len(ordered) - 1)], want):
        raise InvalidInputError(msg("a drawn unit has no inclusion probability"))  # not reachable
    return [float(x) for x in values[order[pos]].tolist()]


def draw_record(
    plan: DrawPlan,
    outcome: DrawOutcome,
    *,
    seed_record: int,
    seed_method: str,
    population: int,
    signing: Signing,
    redo_of: int | None = None,
    redo_reason: str | None = None,
) -> DrawRecord:
    """The journal body of a draw: plan, seed, result and who is accountable (TJ-9,
    ``signing``, checked when it was made; kept as the record's four fields)."""
    if (redo_of is None) != (redo_reason is None):
        raise InvalidInputError(msg("a redo names both the voided draw (redo_of) and redo_reason"))
    sample = outcome.sample
    return DrawRecord(
        plan_id=plan.plan_id,
        plan=plan,
        plan_hash=plan.hash,
        seed=outcome.sample.seed_hex,
        seed_record=seed_record,
        seed_method=seed_method,
        population=population,
        sample_fingerprint=outcome.sample.fingerprint,
        units=tuple(
            DrawnUnit(unit_id=str(u), probability=p)
            for u, p in zip(sample.selected, _selected_probabilities(sample), strict=True)
        ),
        teams=outcome.teams,
        **signing.fields(),
        drawcore_version=_version(),
        redo_of=redo_of,
        redo_reason=redo_reason,
    )
