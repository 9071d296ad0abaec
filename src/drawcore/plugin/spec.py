"""Every hook a jurisdiction plugin can implement, with the rule that folds several answers.

Hooks are called by :class:`drawcore.plugin.rules.Rules` only. An implementation
may accept any subset of a hook's arguments (pluggy's rule). Answers come back
as the values of :mod:`drawcore.plugin.values`; each carries a
:class:`~drawcore.plugin.values.Reason` whose ``plugin`` field ``Rules`` fills in.

Two kinds of combination are used:

* ``firstresult`` -- the first non-``None`` answer wins, in pluggy's call order
  (``tryfirst`` first, later-registered first, ``trylast`` last). The national
  defaults of :mod:`drawcore.plugin.national` are ``trylast``, so a jurisdiction
  overrides them; where nobody answers, the core's defaults of
  :mod:`drawcore.plan.policy` apply.
* a documented fold -- every plugin answers and the answers are combined (a
  union of reasons, a product, a maximum), so no plugin can silently drop
  another's decision.

Rules about units come in two forms that fold together. The **columnar** hooks
(``drawcore_units_*``) receive every unit at once as a read-only
:class:`~drawcore.plugin.columns.UnitColumns` and answer with groups of rows (a
boolean mask or row numbers) sharing a value and a reason, so a city's registry is
decided at numpy speed; the national rules and the shipped plugins use them. The
**per-unit** hooks (``drawcore_unit_*``) are asked once per unit, for rules that are
easier to say one unit at a time; ``Rules`` turns each answer into a group of one.
Both forms are folded by the same rule, per unit, in one call order (pluggy's:
``tryfirst``, later-registered, ``trylast``; a plugin's columnar answer before its
per-unit one).

Which plugins are asked depends on the jurisdiction ``Rules`` was made for: the
plugin claiming it (:func:`drawcore_jurisdiction`) and every plugin that claims
none (jurisdiction-neutral rules, such as the national defaults).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from drawcore.model import Inspector, Unit
from drawcore.plugin import hookspec
from drawcore.plugin.columns import UnitColumns
from drawcore.plugin.values import (
    Frequency,
    GroupFactor,
    GroupFrequency,
    GroupMode,
    GroupReason,
    GroupTeam,
    GroupWindow,
    InspectionModeChoice,
    PlanContext,
    PlanSummary,
    PublicationDeadline,
    RandomShareMinimum,
    Reason,
    RecentInspectionWindow,
    Recusals,
    TeamRequirement,
    WeightFactor,
)

__all__ = [
    "drawcore_inspection_mode",
    "drawcore_inspector_conflicts",
    "drawcore_jurisdiction",
    "drawcore_mask_field",
    "drawcore_min_random_share",
    "drawcore_once_a_year_waiver",
    "drawcore_plan_checks",
    "drawcore_publication_deadline",
    "drawcore_reason_text",
    "drawcore_recent_inspection_window",
    "drawcore_team_requirements",
    "drawcore_unit_exclusions",
    "drawcore_unit_frequency",
    "drawcore_unit_mandatory",
    "drawcore_unit_weight",
    "drawcore_units_exclusions",
    "drawcore_units_frequency",
    "drawcore_units_inspection_mode",
    "drawcore_units_mandatory",
    "drawcore_units_once_a_year_waiver",
    "drawcore_units_recent_inspection_window",
    "drawcore_units_team_requirements",
    "drawcore_units_weight",
]


@hookspec
def drawcore_jurisdiction() -> str | None:
    """The jurisdiction this plugin carries the rulebook of (一细则, TJ-4), e.g. ``"boluo"``.

    Called: once per plugin, by ``make_plugin_manager`` when the plugin is loaded.
    Returns: a lower-case jurisdiction name, or ``None`` for jurisdiction-neutral rules.
    Combine: not folded; each plugin answers for itself. Two plugins claiming the same
    name are refused with ``PluginError`` naming both.
    """


@hookspec
def drawcore_unit_weight(unit: Unit, context: PlanContext) -> WeightFactor | None:
    """A factor for the unit's draw weight (BL-5: the plan weighs risk level).

    Called: once per unit when a plan is made.
    Returns: a ``WeightFactor`` or ``None`` (no opinion, factor 1).
    Combine: the unit's base ``risk_weight`` times the PRODUCT of every factor; all
    reasons are kept. A factor of 0 keeps the unit out of random draws.
    """


@hookspec
def drawcore_unit_mandatory(unit: Unit, context: PlanContext) -> Sequence[Reason]:  # type: ignore[empty-body]
    """Why the unit must be inspected at least once in the year (TJ-5).

    Called: once per unit when a plan is made.
    Returns: the reasons (an empty sequence when the unit is not mandatory).
    Combine: UNION of all reasons; the unit is mandatory when there is at least one.
    """


@hookspec
def drawcore_once_a_year_waiver(unit: Unit, context: PlanContext) -> Sequence[Reason]:  # type: ignore[empty-body]
    """Why the national once-a-year rule (NAT-7) does not hold for this unit this year.

    The core inspects high-risk, blacklisted, joint-punishment and recent
    fatal-accident units at least once a year in every jurisdiction. A plugin cannot
    drop that silently: only this answer, with its reasons, sets the rule aside for
    the unit, and the plan records the waiver beside the rule's own reasons.
    Called: once per unit when a plan is made.
    Returns: the reasons (an empty sequence when the rule holds).
    Combine: UNION of all reasons; the rule is waived when there is at least one.
    """


@hookspec
def drawcore_unit_exclusions(unit: Unit, context: PlanContext) -> Sequence[Reason]:  # type: ignore[empty-body]
    """Why the unit must not be inspected under this plan (e.g. BL-3 higher-level plan, closed).

    Called: once per unit when a plan is made.
    Returns: the reasons (an empty sequence when the unit may be drawn).
    Combine: UNION of all reasons; the unit is excluded when there is at least one.
    An exclusion outranks a mandatory reason; both are recorded in the plan.
    """


@hookspec
def drawcore_unit_frequency(unit: Unit, context: PlanContext) -> Frequency | None:
    """How many times the unit is inspected in the year (key supervision, BL-6 / TJ-5).

    Called: once per unit when a plan is made.
    Returns: a ``Frequency`` (``times`` per year, each in a different round) or ``None``.
    Combine: MAXIMUM of ``times``; the reasons of every answer reaching the maximum are
    kept. A mandatory unit gets at least 1. Units with ``times >= 1`` are placed in
    rounds drawn at random; the others may be drawn at random at most once a year.
    """


@hookspec(firstresult=True)
def drawcore_recent_inspection_window(
    unit: Unit, context: PlanContext
) -> RecentInspectionWindow | None:
    """How recent an inspection keeps the unit out of a round (no repeated checks; not 回避).

    Called: once per unit when a plan is made.
    Returns: a ``RecentInspectionWindow`` in days, or ``None``.
    Combine: ``firstresult``; the national default (180 days) is ``trylast``.
    A window never removes a mandatory or key-supervision placement: if every round
    is inside the window, the placement is kept and the plan says so.
    """


@hookspec
def drawcore_inspector_conflicts(  # type: ignore[empty-body]
    units: Sequence[Unit], inspectors: Sequence[Inspector], context: PlanContext
) -> Sequence[Recusals]:
    """Inspectors with an interest in units: they recuse (回避, BL-5) and are replaced (递补).

    Called: once per plan or rule-based draw, with all units and all active inspectors.
    Returns: groups of ``Recusals`` (every inspector of a group recuses from every unit
    of it, for the group's reason), e.g. one group per township.
    Combine: UNION of all pairs (a pair named by two plugins keeps both reasons).
    """


@hookspec
def drawcore_team_requirements(unit: Unit, context: PlanContext) -> TeamRequirement | None:
    """What the team inspecting the unit needs: size, expertise, experts (TJ-8).

    Called: once per unit when a plan is made.
    Returns: a ``TeamRequirement`` or ``None``.
    Combine: MERGED with the core's national minimum (NAT-1, two officers) -- the
    maximum ``size``, the union of ``expertise``, the maximum ``experts``; all reasons kept.
    """


@hookspec(firstresult=True)
def drawcore_inspection_mode(
    unit: Unit, context: PlanContext, planned: bool
) -> InspectionModeChoice | None:
    """The inspection mode of a task (TJ-5: double-random, general, key, covert).

    Called: once per task; ``planned`` is true for a mandatory or key-supervision
    placement and false for a unit drawn at random.
    Returns: an ``InspectionModeChoice`` or ``None``.
    Combine: ``firstresult``; with no answer the core's national default applies
    (NAT-5: key for placements, double-random for draws).
    """


@hookspec
def drawcore_min_random_share(context: PlanContext) -> RandomShareMinimum | None:
    """The least share of the plan's tasks that must be double-random (BL-6: 30 %).

    Called: once per plan.
    Returns: a ``RandomShareMinimum`` or ``None``.
    Combine: MAXIMUM share; the plan reports it and a plan below it gets a problem.
    """


@hookspec
def drawcore_plan_checks(summary: PlanSummary, context: PlanContext) -> Sequence[Reason]:  # type: ignore[empty-body]
    """Problems with a finished plan (e.g. BL-3 registry older than a year).

    Called: once per plan, after the rounds are drawn and staffed, with the plan's
    figures (``PlanSummary``: plain values, not the plan object).
    Returns: the problems found (empty when the plan is fine).
    Combine: the LIST of every plugin's problems, in call order. ``plan_year(strict=True)``
    turns any problem into ``RuleError``.
    """


@hookspec(firstresult=True)
def drawcore_publication_deadline(
    round_end: dt.date, context: PlanContext
) -> PublicationDeadline | None:
    """When a round's results must be published (BL-8 promptly, TJ-6 quarterly).

    Called: once per round.
    Returns: a ``PublicationDeadline`` or ``None``.
    Combine: ``firstresult``; with no answer the core's national default applies
    (NAT-4: 20 days after the round).
    """


@hookspec(firstresult=True)
def drawcore_mask_field(field: str, value: str, unit: Unit | None) -> str | None:
    """How a field is shown in publication (BL-8, TJ-6: privacy and commercial secrets).

    Called: once per published field value.
    Returns: the masked text, or ``None`` (no opinion).
    Combine: ``firstresult``; the national default (ID-card numbers, phones and
    persons' addresses partly hidden) is ``trylast``; with no answer the value is shown.
    """


# -- rules over columns: the whole registry at once ------------------------------------


@hookspec
def drawcore_units_weight(  # type: ignore[empty-body]
    units: UnitColumns, context: PlanContext
) -> Sequence[GroupFactor]:
    """Weight factors for groups of units (BL-5: the plan weighs risk level); columnar
    form of ``drawcore_unit_weight``.

    Called: once per plan or rule-based draw, with every unit.
    Returns: ``GroupFactor`` values (rows, factor, reason); a unit in no group: factor 1.
    Combine: per unit, the base ``risk_weight`` times the PRODUCT of every factor of every
    group it is in (of every plugin, in call order); all reasons kept in that order.
    """


@hookspec
def drawcore_units_mandatory(  # type: ignore[empty-body]
    units: UnitColumns, context: PlanContext
) -> Sequence[GroupReason]:
    """Groups of units inspected at least once in the year (TJ-5); columnar form of
    ``drawcore_unit_mandatory``.

    Called: once per plan or rule-based draw, with every unit.
    Returns: ``GroupReason`` values (rows, reason).
    Combine: per unit, the UNION of the reasons of every group it is in; mandatory when
    there is at least one.
    """


@hookspec
def drawcore_units_once_a_year_waiver(  # type: ignore[empty-body]
    units: UnitColumns, context: PlanContext
) -> Sequence[GroupReason]:
    """Groups of units for which the national once-a-year rule (NAT-7) is set aside;
    columnar form of ``drawcore_once_a_year_waiver``.

    Called: once per plan or rule-based draw, with every unit.
    Returns: ``GroupReason`` values (rows, reason).
    Combine: per unit, the UNION of reasons; waived when there is at least one, and the
    plan records the waiver beside the rule's own reasons.
    """


@hookspec
def drawcore_units_exclusions(  # type: ignore[empty-body]
    units: UnitColumns, context: PlanContext
) -> Sequence[GroupReason]:
    """Groups of units not inspected under this plan (BL-3 higher-level plan, NAT-3
    closed); columnar form of ``drawcore_unit_exclusions``.

    Called: once per plan or rule-based draw, with every unit.
    Returns: ``GroupReason`` values (rows, reason).
    Combine: per unit, the UNION of reasons; excluded when there is at least one. An
    exclusion outranks a mandatory reason; both are recorded.
    """


@hookspec
def drawcore_units_frequency(  # type: ignore[empty-body]
    units: UnitColumns, context: PlanContext
) -> Sequence[GroupFrequency]:
    """Inspections a year for groups of units (key supervision, BL-6 / TJ-5); columnar
    form of ``drawcore_unit_frequency``.

    Called: once per plan or rule-based draw, with every unit.
    Returns: ``GroupFrequency`` values (rows, times, reason).
    Combine: per unit, the MAXIMUM of ``times``; the reasons of every group reaching the
    maximum are kept. A mandatory unit gets at least 1.
    """


@hookspec
def drawcore_units_recent_inspection_window(  # type: ignore[empty-body]
    units: UnitColumns, context: PlanContext
) -> Sequence[GroupWindow]:
    """Recent-inspection windows for groups of units; columnar form of
    ``drawcore_recent_inspection_window``.

    Called: once per plan or rule-based draw, with every unit.
    Returns: ``GroupWindow`` values (rows, days, reason).
    Combine: FIRST ANSWER PER UNIT: the first plugin in call order with a group holding
    the unit decides it (within one answer, its first such group); the national default
    (180 days) is ``trylast``.
    """


@hookspec
def drawcore_units_team_requirements(  # type: ignore[empty-body]
    units: UnitColumns, context: PlanContext
) -> Sequence[GroupTeam]:
    """Team requirements for groups of units (TJ-8); columnar form of
    ``drawcore_team_requirements``.

    Called: once per plan or rule-based draw, with every unit.
    Returns: ``GroupTeam`` values (rows, ``TeamRequirement``).
    Combine: per unit, MERGED with the core's minimum (NAT-1) and every other answer:
    maximum ``size``, union of ``expertise``, maximum ``experts``; all reasons kept.
    """


@hookspec
def drawcore_units_inspection_mode(  # type: ignore[empty-body]
    units: UnitColumns, context: PlanContext, planned: npt.NDArray[np.bool_]
) -> Sequence[GroupMode]:
    """The inspection mode of groups of tasks (TJ-5); columnar form of
    ``drawcore_inspection_mode``.

    Called: once per round of a plan, with the units of the round's tasks;
    ``planned[i]`` is true when row ``i`` is a mandatory or key-supervision
    placement, false when it was drawn at random.
    Returns: ``GroupMode`` values (rows, ``InspectionMode``, reason).
    Combine: the first answer per unit decides it -- the first plugin in call order
    (with those answering ``drawcore_inspection_mode``) with a group holding the unit
    (within one answer, its first such group); with no answer the core's national
    default applies (NAT-5).
    """


@hookspec
def drawcore_reason_text(reason: Reason, lang: str) -> str | None:
    """The text of one of this plugin's reasons in ``lang`` (``"zh_CN"``), for a reader.

    The recorded reason stays as given (its English text is what journals hash); this
    is how it is shown: the plan listing and the publication show reasons in Chinese
    by default. ``ReasonTexts`` maps a plugin's English templates to Chinese ones.
    Called: once per reason shown, when the language is not English.
    Returns: the text in ``lang``, or ``None`` (no translation: the English text is shown).
    Combine: only the plugin named in ``reason.plugin`` is asked; for the core's reasons
    (``plugin="drawcore"``) the message catalog answers.
    """


from drawcore.plugin.values import EntryRole  # noqa: E402  (kept beside its one hook)


@hookspec
def drawcore_result_entry_roles(year: int) -> Sequence[EntryRole]:  # type: ignore[empty-body]
    """Roles allowed to enter a result besides the task's team (BL-8 谁抽查、谁录入).

    By default only a member of the task's team (inspectors and experts) enters its
    result. A jurisdiction whose policy lets someone else enter results -- a data clerk
    of the bureau, say -- names that role here; a result then says ``entered_as`` that
    role. The roles in force are recorded in the plan committed before the seed, and
    ``drawcore verify`` checks each result against the roles of its plan.

    Called: once per plan, with the plan's year.
    Returns: the ``EntryRole`` values this plugin allows (empty: none).
    Combine: the UNION of every plugin's roles, sorted by role then plugin; each role
    keeps the reason of the plugin that named it. Only adding is possible: no plugin
    can withdraw a role another names, and no role replaces the team.
    """
