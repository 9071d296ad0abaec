"""Use of results: the registry follow-up (BL-10, TJ-7).

The first pure step after the inspections of a plan or draw (the second,
the completion assessment, is :mod:`drawcore.publish.completion`):

* :func:`apply_results` feeds results back into the unit registry (BL-10
  「检查结果纳入信用记录、黑名单和联合惩戒」, TJ-7): it returns a **new**
  :class:`~drawcore.registry.UnitRegistry` and every change it made, each with
  a :class:`~drawcore.plugin.values.Reason` citing its clause and the result it
  came from. Which result changes which field is a :class:`FollowUpPolicy`; its
  defaults carry the two documents:

  - ``last_inspected`` becomes the latest inspection date (BL-8: the result is
    attached to the unit's record), which the next plan's recent-inspection
    windows read;
  - a major accident hazard found sets ``major_hazard`` (BL-6: key supervision,
    a dedicated plan and more inspections), and a re-inspection confirming it
    cleared resets it;
  - a concealed or unremedied major hazard blacklists the unit (TJ-7) and puts
    it under joint punishment (TJ-7 「对失信单位实施联合惩戒」);
  - a penalised outcome lowers the work-safety credit class one step (BL-10:
    results enter credit records).

  Results are applied in the order of their inspection date (then entry time,
  plan, draw and unit), so the answer does not depend on the order they are
  given in; a unit inspected several times under one plan (key supervision)
  takes each result in turn. Nothing is applied unless every result is valid: a
  result for a unit the registry does not hold, or the same result twice, raises
  :class:`~drawcore.errors.InvalidInputError` naming every such result.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs
import numpy as np

from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, Text, msg, normalise, render, translation
from drawcore.model import CreditClass, Unit
from drawcore.plugin.values import CLAUSE_PATTERN, Reason
from drawcore.publish.masking import default_mask
from drawcore.record.results import HAZARD_PRESENT, Finding, InspectionResult, Outcome
from drawcore.record.seeding import parse_time
from drawcore.registry.headers import HEADER_ALIASES
from drawcore.registry.registries import UnitRegistry
from drawcore.serde import canonical_json

__all__ = ["FOLLOWUP", "FollowUpPolicy", "RegistryChange", "apply_results", "format_changes"]

#: Plugin name on the reasons this module gives (the core's own decisions).
FOLLOWUP = "drawcore"
_CREDIT = tuple(CreditClass)  # A (good) .. D, the order of the registry's enum codes


# -- use of results ------------------------------------------------------------------------


def _findings_set(value: Iterable[Finding | str]) -> frozenset[Finding]:
    try:
        return frozenset(Finding(str(v)) for v in value)
    except ValueError as err:
        raise InvalidInputError(msg("follow-up policy: {err}", err=err)) from None


def _outcomes_set(value: Iterable[Outcome | str]) -> frozenset[Outcome]:
    try:
        return frozenset(Outcome(str(v)) for v in value)
    except ValueError as err:
        raise InvalidInputError(msg("follow-up policy: {err}", err=err)) from None


def _clause(_i: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not CLAUSE_PATTERN.match(value):
        raise InvalidInputError(
            msg(
                "follow-up policy: {name} must be a clause like 'BL-10', got {value!r}",
                name=attribute.name,
                value=value,
            )
        )


def _steps(_i: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(_CREDIT):
        raise InvalidInputError(
            msg(
                "follow-up policy: {name} must be a whole number 0..{most}, got {value!r}",
                name=attribute.name,
                most=len(_CREDIT) - 1,
                value=value,
            )
        )


def _flag(_i: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidInputError(
            msg(
                "follow-up policy: {name} must be true or false, got {value!r}",
                name=attribute.name,
                value=value,
            )
        )


@attrs.frozen(kw_only=True)
class FollowUpPolicy:
    """Which results change which registry fields, and the clause each change cites.

    An empty set (or ``False``, or 0 steps) turns an effect off, so a
    jurisdiction can keep only what its rulebook asks for. Blacklisting is never
    undone here: leaving the blacklist is its own procedure, not an inspection's.
    """

    record_inspection: bool = attrs.field(default=True, validator=_flag)
    record_inspection_clause: str = attrs.field(default="BL-8", validator=_clause)
    key_supervision_on: frozenset[Finding] = attrs.field(
        default=HAZARD_PRESENT, converter=_findings_set
    )
    hazard_cleared_on: frozenset[Finding] = attrs.field(
        default=frozenset({Finding.MAJOR_HAZARD_CLEARED}), converter=_findings_set
    )
    key_supervision_clause: str = attrs.field(default="BL-6", validator=_clause)
    blacklist_on: frozenset[Finding] = attrs.field(
        default=frozenset({Finding.MAJOR_HAZARD_CONCEALED, Finding.MAJOR_HAZARD_UNREMEDIED}),
        converter=_findings_set,
    )
    joint_punishment_with_blacklist: bool = attrs.field(default=True, validator=_flag)
    blacklist_clause: str = attrs.field(default="TJ-7", validator=_clause)
    credit_down_on: frozenset[Outcome] = attrs.field(
        default=frozenset({Outcome.PENALISED}), converter=_outcomes_set
    )
    credit_steps: int = attrs.field(default=1, validator=_steps)
    credit_clause: str = attrs.field(default="BL-10", validator=_clause)

    def __attrs_post_init__(self) -> None:
        both = self.key_supervision_on & self.hazard_cleared_on
        if both:
            raise InvalidInputError(
                "follow-up policy: a finding cannot both set and clear key supervision: "
                + ", ".join(sorted(both))
            )


@attrs.frozen(kw_only=True)
class RegistryChange:
    """One field of one unit changed by one result, and why.

    ``before`` and ``after`` are the field's values as text: dates ISO 8601, flags
    ``true`` / ``false``, enums their value, no value ``""``. ``plan_id``,
    ``draw`` and ``inspected_on`` name the result (journal ``result`` record).
    """

    unit_id: str
    field: str
    before: str
    after: str
    reason: Reason
    plan_id: str
    draw: int
    inspected_on: dt.date


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def result_key(r: InspectionResult) -> tuple[dt.date, dt.datetime, str, int, str, bytes]:
    """Inspection date, entry time, plan, draw, unit, then the canonical bytes: a total order."""
    when = parse_time(r.entered_at, "entered_at")
    return (r.inspected_on, when, r.plan_id, r.draw, r.unit_id, canonical_json(r))


def _validate(units: UnitRegistry, results: Iterable[object]) -> list[InspectionResult]:
    given = list(results)
    problems: list[str] = []
    for k, r in enumerate(given):
        if not isinstance(r, InspectionResult):
            problems.append(
                msg(
                    "result {number} is not an InspectionResult ({name})",
                    number=k + 1,
                    name=type(r).__name__,
                )
            )
    if problems:
        raise InvalidInputError(
            msg("apply_results: {problems}", problems=problems[0]), tuple(problems)
        )
    checked = [r for r in given if isinstance(r, InspectionResult)]
    seen: dict[InspectionResult, int] = {}
    for k, r in enumerate(checked):
        if r.unit_id not in units:
            problems.append(
                msg(
                    "result {number} (plan {plan_id}, draw {draw}) is for unit {unit_id}, "
                    "which is not in the unit registry",
                    number=k + 1,
                    plan_id=r.plan_id,
                    draw=r.draw,
                    unit_id=r.unit_id,
                )
            )
        if r in seen:
            problems.append(
                msg(
                    "result {number} repeats result {earlier}: unit {unit_id} of plan "
                    "{plan_id}, draw {draw}, inspected {inspected_on}",
                    number=k + 1,
                    earlier=seen[r] + 1,
                    unit_id=r.unit_id,
                    plan_id=r.plan_id,
                    draw=r.draw,
                    inspected_on=r.inspected_on,
                )
            )
        else:
            seen[r] = k
    if problems:
        raise InvalidInputError(
            msg(
                "apply_results: {n_problems} problem(s), nothing applied; first: {problems}",
                n_problems=len(problems),
                problems=problems[0],
            ),
            tuple(problems),
        )
    return sorted(checked, key=result_key)


def _change(
    r: InspectionResult, field: str, before: object, after: object, clause: str, why: str
) -> RegistryChange:
    where = msg(
        "result of plan {plan}, draw {draw}, inspected {inspected_on}",
        plan=r.plan_id,
        draw=r.draw,
        inspected_on=r.inspected_on,
    )
    return RegistryChange(
        unit_id=r.unit_id,
        field=field,
        before=_text(before),
        after=_text(after),
        reason=Reason(
            clause=clause, text=msg("{why} ({where})", why=why, where=where), plugin=FOLLOWUP
        ),
        plan_id=r.plan_id,
        draw=r.draw,
        inspected_on=r.inspected_on,
    )


def apply_results(
    units: UnitRegistry,
    results: Iterable[InspectionResult],
    *,
    policy: FollowUpPolicy | None = None,
) -> tuple[UnitRegistry, tuple[RegistryChange, ...]]:
    """A new registry with the results' use applied, and every change with its reason.

    ``units`` is not modified. Changes are listed in the order they were applied
    (results by inspection date); a field a result leaves as it was gets no change.
    See the module docstring for the default policy and
    :class:`FollowUpPolicy` to change it.
    """
    if not isinstance(units, UnitRegistry):
        raise InvalidInputError(
            msg("apply_results needs a UnitRegistry, got {name}", name=type(units).__name__)
        )
    policy = policy if policy is not None else FollowUpPolicy()
    if not isinstance(policy, FollowUpPolicy):
        raise InvalidInputError(
            msg("policy must be a FollowUpPolicy, got {name}", name=type(policy).__name__)
        )
    ordered = _validate(units, results)
    if not ordered:
        return units, ()
    rows = np.searchsorted(units.ids, np.array([r.unit_id for r in ordered], dtype=units.ids.dtype))
    fields = ("last_inspected", "major_hazard", "blacklisted", "joint_punishment", "credit_class")
    cols: dict[str, Any] = {f: np.array(units.column(f)) for f in fields}  # writable copies
    changes: list[RegistryChange] = []

    for r, row in zip(ordered, rows.tolist(), strict=True):

        def change(
            field: str,
            before: object,
            after: object,
            clause: str,
            why: str,
            r: InspectionResult = r,
        ) -> None:
            changes.append(_change(r, field, before, after, clause, why))

        found = set(r.findings)
        if policy.record_inspection:
            last = cols["last_inspected"][row]
            before = None if np.isnat(last) else dt.date.fromisoformat(str(last))
            if before is None or r.inspected_on > before:
                cols["last_inspected"][row] = np.datetime64(r.inspected_on.isoformat(), "D")
                change(
                    "last_inspected",
                    before,
                    r.inspected_on,
                    policy.record_inspection_clause,
                    msg("inspection result attached to the unit's record"),
                )
        hazard = bool(cols["major_hazard"][row])
        if found & policy.key_supervision_on and not hazard:
            cols["major_hazard"][row] = True
            change(
                "major_hazard",
                False,
                True,
                policy.key_supervision_clause,
                msg("major accident hazard found: key supervision with more frequent inspections"),
            )
        elif found & policy.hazard_cleared_on and hazard:
            cols["major_hazard"][row] = False
            change(
                "major_hazard",
                True,
                False,
                policy.key_supervision_clause,
                msg("major accident hazard cleared and confirmed on re-inspection"),
            )
        hit = sorted(found & policy.blacklist_on)
        if hit:
            why = _finding_words(hit)
            if not cols["blacklisted"][row]:
                cols["blacklisted"][row] = True
                change(
                    "blacklisted",
                    False,
                    True,
                    policy.blacklist_clause,
                    msg("{why}: exposed and put on the work-safety dishonesty blacklist", why=why),
                )
            if policy.joint_punishment_with_blacklist and not cols["joint_punishment"][row]:
                cols["joint_punishment"][row] = True
                change(
                    "joint_punishment",
                    False,
                    True,
                    policy.blacklist_clause,
                    msg("{why}: joint punishment of a dishonest unit", why=why),
                )
        if r.outcome in policy.credit_down_on and policy.credit_steps:
            code = int(cols["credit_class"][row])
            lowered = min(code + policy.credit_steps, len(_CREDIT) - 1)
            if lowered != code:
                cols["credit_class"][row] = lowered
                change(
                    "credit_class",
                    _CREDIT[code],
                    _CREDIT[lowered],
                    policy.credit_clause,
                    msg(
                        "outcome {outcome}: entered in the credit record, credit class lowered",
                        outcome=r.outcome.value,
                    ),
                )
    if not changes:
        return units, ()
    stored = dict(units.columns)
    stored.update(cols)
    return UnitRegistry.from_checked(stored), tuple(changes)


#: Flags in words, for a listing of registry changes in Chinese.
_BOOL_WORDS = {"true": N_("yes"), "false": N_("no")}


#: Findings as the follow-up's reasons name them, marked for the catalog.
_FINDING_WORDS = {
    "major_hazard": N_("major hazard"),
    "major_hazard_concealed": N_("major hazard concealed"),
    "major_hazard_unremedied": N_("major hazard unremedied"),
    "major_hazard_cleared": N_("major hazard cleared"),
}


def _finding_words(codes: Sequence[str]) -> str:
    """``codes`` in words, comma-separated: English as written, rendered in the reader's
    language (each word from the catalog) at the edge."""
    words = {
        f"f{i}": Text(_FINDING_WORDS[c], {}) if c in _FINDING_WORDS else c.replace("_", " ")
        for i, c in enumerate(codes)
    }
    return Text(", ".join("{" + k + "}" for k in words), words)


def format_changes(
    changes: Sequence[RegistryChange],
    units: UnitRegistry | Iterable[Unit] = (),
    *,
    mask: Callable[[str, str, Unit | None], str] = default_mask,
    lang: str = "en",
) -> str:
    """The changes as text, one per line, for the record and for exposure (TJ-7), in
    ``lang`` (``"zh_CN"`` for Chinese; English by default).

    Unit ids pass through ``mask(field, value, unit)`` -- by default
    :func:`drawcore.disclosure.default_mask`, which hides most of a person's
    ID-card number -- with the unit looked up in ``units`` when given.
    """
    t = translation(lang).gettext
    by_id = {u.unit_id: u for u in units}
    lines = [t(N_("Registry changes from results: {count}")).format(count=len(changes))]
    for c in changes:
        shown = mask("unit_id", c.unit_id, by_id.get(c.unit_id))
        field, before, after, reason = c.field, c.before or "-", c.after or "-", str(c.reason)
        if normalise(lang) != "en":
            field = HEADER_ALIASES["units"].get(field, (field,))[0]
            before = t(_BOOL_WORDS[before]) if before in _BOOL_WORDS else before
            after = t(_BOOL_WORDS[after]) if after in _BOOL_WORDS else after
            who = f" [{c.reason.plugin}]" if c.reason.plugin else ""
            reason = f"{c.reason.clause}{who}: {render(c.reason.text, lang)}"
        lines.append(f"  {shown} {field}: {before} -> {after}; {reason}")
    return "\n".join(lines)
