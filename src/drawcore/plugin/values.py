"""The plain values that hooks return and :class:`~drawcore.plugin.rules.Rules` hands on.

Every decision a plugin makes carries a :class:`Reason`: which clause (``BL-6``,
``TJ-5``, ``NAT-1`` ...), which plugin (stamped by ``Rules``, so a plugin cannot
speak for another) and a sentence a reader of the published plan understands.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Any

import attrs

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.model import InspectionMode

__all__ = [
    "CLAUSE_PATTERN",
    "EntryRole",
    "Frequency",
    "InspectionModeChoice",
    "PlanContext",
    "PlanSummary",
    "PublicationDeadline",
    "RandomShareMinimum",
    "Reason",
    "RecentInspectionWindow",
    "Recusals",
    "TeamRequirement",
    "WeightFactor",
]

#: A clause ID: an upper-case prefix, a dash and a number, e.g. ``BL-6``, ``TJ-5``, ``NAT-1``.
CLAUSE_PATTERN = re.compile(r"^[A-Z]{2,8}-[0-9]{1,3}$")


def _clause(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not CLAUSE_PATTERN.match(value):
        raise InvalidInputError(f"clause must look like 'BL-6' or 'TJ-5', got {value!r}")


def _text(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("a reason needs a non-empty text")


def _check_factor(_instance: object, _attribute: object, value: Any) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise InvalidInputError(f"a weight factor must be a finite number >= 0, got {value!r}")


def _check_times(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 366:
        raise InvalidInputError(f"a frequency is a whole number of times per year, got {value!r}")


def _check_days(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInputError(
            f"a recent-inspection window is a whole number of days >= 0, got {value!r}"
        )


def _check_share(_instance: object, _attribute: object, value: Any) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise InvalidInputError(f"a share is a number in [0, 1], got {value!r}")


def _sorted_strs(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in value}))


@attrs.frozen(kw_only=True, order=True)
class Reason:
    """Why a decision was made: ``clause`` carried, ``plugin`` that decided, ``text``."""

    clause: str = attrs.field(validator=_clause)
    text: str = attrs.field(validator=_text)
    plugin: str = ""

    def __str__(self) -> str:
        who = f" [{self.plugin}]" if self.plugin else ""
        return f"{self.clause}{who}: {self.text}"


@attrs.frozen(kw_only=True)
class WeightFactor:
    """A factor the unit's draw weight is multiplied by (folded as a product)."""

    factor: float = attrs.field(validator=_check_factor)
    reason: Reason


@attrs.frozen(kw_only=True)
class Frequency:
    """How many inspections a unit receives in the year (key supervision; folded by max)."""

    times: int = attrs.field(validator=_check_times)
    reason: Reason


@attrs.frozen(kw_only=True)
class RecentInspectionWindow:
    """A unit inspected fewer than ``days`` days before a round is not drawn in it.

    National practice: a unit inspected recently is not inspected again without cause.
    (Not 回避, which is an inspector's recusal: see :class:`Recusals`.)
    """

    days: int = attrs.field(validator=_check_days)
    reason: Reason


@attrs.frozen(kw_only=True)
class RandomShareMinimum:
    """The least share of the plan's tasks that must be double-random (BL-6; folded by max)."""

    share: float = attrs.field(validator=_check_share)
    reason: Reason


@attrs.frozen(kw_only=True)
class TeamRequirement:
    """What the team inspecting a unit needs (TJ-8, NAT-1).

    ``expertise``: what an inspector of the team must have; ``experts``: how many
    industry experts join; ``expert_expertise``: what they must have. Folded: max
    size, union of both expertise sets, max experts.
    """

    size: int = attrs.field(default=2)
    expertise: tuple[str, ...] = attrs.field(default=(), converter=_sorted_strs)
    experts: int = attrs.field(default=0)
    expert_expertise: tuple[str, ...] = attrs.field(default=(), converter=_sorted_strs)
    reason: Reason

    @size.validator
    def _check_size(self, _attribute: object, value: int) -> None:
        if not isinstance(value, int) or value < 1:
            raise InvalidInputError(f"a team has at least one member, got size {value!r}")

    @experts.validator
    def _check_experts(self, _attribute: object, value: int) -> None:
        if not isinstance(value, int) or value < 0:
            raise InvalidInputError(f"experts must be a whole number >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class InspectionModeChoice:
    """The inspection mode of one task (TJ-5), with its reason."""

    mode: InspectionMode
    reason: Reason


@attrs.frozen(kw_only=True)
class PublicationDeadline:
    """The date by which a round's results are published (BL-8, TJ-6)."""

    due: dt.date
    reason: Reason


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInputError("give a sequence of ids, not one string")
    return tuple(sorted({str(v) for v in value}))


@attrs.frozen(kw_only=True)
class Recusals:
    """Inspectors who recuse from units for one reason (回避, BL-5): every inspector
    named steps aside from every unit named.

    A hook answers with groups rather than pairs (e.g. one group per township: the
    inspectors living there and the units there), so a city's conflicts cost one
    value per group. :class:`~drawcore.plugin.rules.Rules` expands the groups into
    the core's one recusal type, :class:`drawcore.draw.team_model.Recusal`.
    """

    inspector_ids: tuple[str, ...] = attrs.field(converter=_ids)
    unit_ids: tuple[str, ...] = attrs.field(converter=_ids)
    reason: Reason


@attrs.frozen(kw_only=True)
class PlanSummary:
    """What a plan check may know about a finished annual plan: plain figures only."""

    year: int
    rounds: int
    tasks: int
    planned: int
    drawn: int
    double_random_share: float


@attrs.frozen(kw_only=True)
class PlanContext:
    """What a hook may know about the plan being made; plain values only.

    ``start`` is the first day the plan covers; ``registry_date`` the day the unit
    registry was last renewed (BL-3), when known; ``inspector_expertise`` and
    ``expert_expertise`` the expertise available in the two registries, and
    ``experts`` the number of active industry experts (TJ-8).
    """

    year: int
    rounds: int
    start: dt.date
    jurisdiction: str | None = None
    registry_date: dt.date | None = None
    inspector_expertise: tuple[str, ...] = attrs.field(default=(), converter=_sorted_strs)
    expert_expertise: tuple[str, ...] = attrs.field(default=(), converter=_sorted_strs)
    experts: int = 0


def _role(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise InvalidInputError(
            msg(
                "a result-entry role needs a name without surrounding spaces, got {value}",
                value=repr(value),
            )
        )


@attrs.frozen(kw_only=True)
class EntryRole:
    """A role allowed to enter a task's result besides the task's team (BL-8 谁录入).

    ``role`` is the name a result gives in ``entered_as`` (e.g. ``数据录入员``, a data
    clerk of the bureau); ``reason`` the clause and text that allow it. The roles in
    force are recorded in the plan, so ``drawcore verify`` checks every result
    against the roles of its own plan.
    """

    role: str = attrs.field(validator=_role)
    reason: Reason
