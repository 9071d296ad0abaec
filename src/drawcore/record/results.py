"""Inspection results: the standard form's fields, entered per drawn task (BL-7, BL-8).

BL-7 asks for one standard form (basis, scope, content, method, handling
opinion); BL-8 for 「谁抽查、谁录入，谁查处、谁录入」: whoever inspects enters
the result, and it is attached to the unit's record and published. A result is
a journal ``result`` record naming the draw record and the unit; the journal's
ceremony rules accept it only for a unit that a live draw drew, once, and only
when ``inspected_by`` are members of the team drawn for that unit and
``entered_by`` is one of them too -- or the result is ``entered_as`` a role the
jurisdiction's rules allow (hook ``drawcore_result_entry_roles``), recorded in the
plan before its seed as ``entry_roles``.

Pure: builds and checks values; :func:`drawcore.ceremony.record_result` appends.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

import attrs

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.plugin.values import EntryRole
from drawcore.record.seeding import parse_time
from drawcore.serde import OMIT_IF_DEFAULT

__all__ = [
    "Finding",
    "InspectionResult",
    "NamesEntryRoles",
    "Outcome",
    "entry_role_tuple",
    "entry_roles_difference",
    "entry_roles_of",
]


class Outcome(enum.StrEnum):
    """The outcome categories published per inspected unit."""

    NO_PROBLEM = "no_problem"  # 未发现问题
    RECTIFICATION_ORDERED = "rectification_ordered"  # 责令限期整改
    PENALISED = "penalised"  # 行政处罚
    NOT_FOUND_AT_ADDRESS = "not_found_at_address"  # 通过登记的住所(经营场所)无法联系


class Finding(enum.StrEnum):
    """What an inspection found about major accident hazards (BL-6, BL-10, TJ-7).

    Recorded with the result so that its use -- key supervision, blacklisting --
    follows from the journal alone (:func:`drawcore.followup.apply_results`).
    """

    MAJOR_HAZARD = "major_hazard"  # 发现重大事故隐患
    MAJOR_HAZARD_CONCEALED = "major_hazard_concealed"  # 隐瞒重大事故隐患
    MAJOR_HAZARD_UNREMEDIED = "major_hazard_unremedied"  # 重大事故隐患逾期未整改
    MAJOR_HAZARD_CLEARED = "major_hazard_cleared"  # 重大事故隐患整改销号 (复查确认)


#: Findings that say a major accident hazard is present.
HAZARD_PRESENT = frozenset(
    {Finding.MAJOR_HAZARD, Finding.MAJOR_HAZARD_CONCEALED, Finding.MAJOR_HAZARD_UNREMEDIED}
)


def _findings(value: object) -> tuple[Finding, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInputError(
            msg("result: findings must be a list of findings, got {value!r}", value=value)
        )
    out: set[Finding] = set()
    for v in value:
        try:
            out.add(Finding(str(v)))
        except ValueError:
            allowed = ", ".join(f.value for f in Finding)
            raise InvalidInputError(
                msg("result: finding {v!r} is not one of {allowed}", v=v, allowed=allowed)
            ) from None
    return tuple(sorted(out))


def _text(_i: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(
            msg(
                "result: {field} must be non-empty text, got {value}",
                field=attribute.name,
                value=repr(value),
            )
        )


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _nonempty_texts(_i: object, attribute: attrs.Attribute[tuple[str, ...]], value: object) -> None:
    if not isinstance(value, tuple) or not value:
        raise InvalidInputError(msg("result: {name} needs at least one entry", name=attribute.name))
    for i, v in enumerate(value):
        if not isinstance(v, str) or not v.strip():
            raise InvalidInputError(
                msg("result: {name}[{i}] must be non-empty text", name=attribute.name, i=i)
            )


def _outcome(value: object) -> Outcome:
    try:
        return Outcome(str(value))
    except ValueError:
        allowed = ", ".join(o.value for o in Outcome)
        raise InvalidInputError(
            msg("result: outcome {value!r} is not one of {allowed}", value=value, allowed=allowed)
        ) from None


def _draw_seq(_i: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(
            msg("result: draw must be a journal record number, got {value!r}", value=value)
        )


def _time(_i: object, attribute: attrs.Attribute[str], value: object) -> None:
    parse_time(value, msg("result: {field}", field=attribute.name))


def _optional_text(_i: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidInputError(
            msg(
                "result: {field} must be non-empty text, got {value}",
                field=attribute.name,
                value=repr(value),
            )
        )


@attrs.frozen(kw_only=True)
class InspectionResult:
    """One inspected task's result: the BL-7 form plus who inspected and who entered it.

    ``draw`` is the journal record number of the draw that drew ``unit_id``.
    ``inspected_by`` must be members of the team drawn for the unit (谁查处);
    ``entered_by`` is who entered the result (谁录入): a member of the team, or
    someone acting in ``entered_as``, a role the plan's rules allow; ``entered_at`` is supplied
    by the caller (ISO 8601 with offset). ``findings`` (default none) records a
    major accident hazard found, concealed, left unremedied or cleared; findings
    that contradict each other or the outcome are refused.
    """

    plan_id: str = attrs.field(validator=_text)
    draw: int = attrs.field(validator=_draw_seq)
    unit_id: str = attrs.field(validator=_text)
    basis: tuple[str, ...] = attrs.field(converter=_texts, validator=_nonempty_texts)  # 检查依据
    scope: str = attrs.field(validator=_text)  # 检查范围
    content: tuple[str, ...] = attrs.field(converter=_texts, validator=_nonempty_texts)  # 检查内容
    method: str = attrs.field(validator=_text)  # 检查方式
    handling_opinion: str = attrs.field(validator=_text)  # 处理意见
    outcome: Outcome = attrs.field(converter=_outcome)
    inspected_by: tuple[str, ...] = attrs.field(converter=_texts, validator=_nonempty_texts)
    inspected_on: dt.date
    entered_by: str = attrs.field(validator=_text)
    entered_at: str = attrs.field(validator=_time)
    findings: tuple[Finding, ...] = attrs.field(default=(), converter=_findings)
    # BL-8: the role, allowed by the plan's rules, in which someone outside the team entered it
    entered_as: str | None = attrs.field(
        default=None, validator=_optional_text, metadata=OMIT_IF_DEFAULT
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.inspected_on, dt.date):
            raise InvalidInputError(
                msg(
                    "result: inspected_on must be a date, got {inspected_on!r}",
                    inspected_on=self.inspected_on,
                )
            )
        if parse_time(self.entered_at, "entered_at").date() < self.inspected_on:
            raise InvalidInputError(
                msg(
                    "result for {unit_id}: entered_at {entered_at} is before the "
                    "inspection on {inspected_on}",
                    unit_id=self.unit_id,
                    entered_at=self.entered_at,
                    inspected_on=self.inspected_on.isoformat(),
                )
            )
        present = HAZARD_PRESENT.intersection(self.findings)
        if present and Finding.MAJOR_HAZARD_CLEARED in self.findings:
            raise InvalidInputError(
                msg(
                    "result for {unit_id}: findings say the major hazard is both present "
                    "({present}) and cleared",
                    unit_id=self.unit_id,
                    present=", ".join(sorted(present)),
                )
            )
        if self.findings and self.outcome is Outcome.NOT_FOUND_AT_ADDRESS:
            raise InvalidInputError(
                msg(
                    "result for {unit_id}: outcome {value} (not inspected) cannot carry findings",
                    unit_id=self.unit_id,
                    value=self.outcome.value,
                )
            )
        if present and self.outcome is Outcome.NO_PROBLEM:
            raise InvalidInputError(
                msg(
                    "result for {unit_id}: outcome no_problem contradicts the finding(s) {present}",
                    unit_id=self.unit_id,
                    present=", ".join(sorted(present)),
                )
            )


def entry_role_tuple(roles: Iterable[EntryRole]) -> tuple[EntryRole, ...]:
    """The converter of a record's ``entry_roles`` field."""
    return tuple(roles)


@runtime_checkable
class NamesEntryRoles(Protocol):
    """Rules that can name result-entry roles (:class:`drawcore.plugin.rules.Rules`)."""

    def entry_roles(self, year: int) -> tuple[EntryRole, ...]: ...


def entry_roles_of(rules: object, year: int) -> tuple[EntryRole, ...]:
    """The result-entry roles ``rules`` allow in ``year`` (none for rules without hooks)."""
    return rules.entry_roles(year) if isinstance(rules, NamesEntryRoles) else ()


def entry_roles_difference(recorded: Sequence[EntryRole], rules: object, year: int) -> str | None:
    """A problem when the installed rules name other result-entry roles than the plan
    recorded (BL-8), else ``None``."""
    now = entry_roles_of(rules, year)
    if tuple(recorded) == now:
        return None
    was = ", ".join(r.role for r in recorded) or "none"
    is_ = ", ".join(r.role for r in now) or "none"
    return f"the rules decide differently: result-entry roles (BL-8) recorded {was}, now {is_}"
