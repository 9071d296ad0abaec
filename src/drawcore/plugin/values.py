"""The plain values that hooks return and :class:`~drawcore.plugin.rules.Rules` hands on.

Every decision a plugin makes carries a :class:`Reason`: which clause (``BL-6``,
``TJ-5``, ``NAT-1`` ...), which plugin (stamped by ``Rules``, so a plugin cannot
speak for another) and a sentence a reader of the published plan understands.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterable
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg, translation
from drawcore.model import InspectionMode

__all__ = [
    "CLAUSE_PATTERN",
    "EntryRole",
    "Frequency",
    "GroupFactor",
    "GroupFrequency",
    "GroupMode",
    "GroupReason",
    "GroupTeam",
    "GroupWindow",
    "InspectionModeChoice",
    "PlanContext",
    "PlanSummary",
    "PublicationDeadline",
    "RandomShareMinimum",
    "Reason",
    "ReasonTexts",
    "RecentInspectionWindow",
    "Recusals",
    "TeamRequirement",
    "WeightFactor",
    "catalog_texts",
]

#: A clause ID: an upper-case prefix, a dash and a number, e.g. ``BL-6``, ``TJ-5``, ``NAT-1``.
CLAUSE_PATTERN = re.compile(r"^[A-Z]{2,8}-[0-9]{1,3}$")


def _clause(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not CLAUSE_PATTERN.match(value):
        raise InvalidInputError(
            msg("clause must look like 'BL-6' or 'TJ-5', got {value}", value=repr(value))
        )


def _text(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(msg("a reason needs a non-empty text"))


def _check_factor(_instance: object, _attribute: object, value: Any) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise InvalidInputError(
            msg("a weight factor must be a finite number >= 0, got {value}", value=repr(value))
        )


def _check_times(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 366:
        raise InvalidInputError(
            msg("a frequency is a whole number of times per year, got {value}", value=repr(value))
        )


def _check_days(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInputError(
            msg(
                "a recent-inspection window is a whole number of days >= 0, got {value}",
                value=repr(value),
            )
        )


def _check_share(_instance: object, _attribute: object, value: Any) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise InvalidInputError(
            msg("a share is a number in [0, 1], got {value}", value=repr(value))
        )


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
            raise InvalidInputError(
                msg("a team has at least one member, got size {value}", value=repr(value))
            )

    @experts.validator
    def _check_experts(self, _attribute: object, value: int) -> None:
        if not isinstance(value, int) or value < 0:
            raise InvalidInputError(
                msg("experts must be a whole number >= 0, got {value}", value=repr(value))
            )


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
        raise InvalidInputError(msg("give a sequence of ids, not one string"))
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


def _rows(value: Any) -> npt.NDArray[Any]:
    """A boolean mask or an array of row numbers, as a read-only numpy array."""
    if isinstance(value, str | bytes):
        raise InvalidInputError(msg("rows are a boolean mask or row numbers, not a string"))
    rows = np.asarray(value)
    if rows.size == 0:
        rows = np.zeros(0, dtype=np.int64)
    if rows.ndim != 1 or not (rows.dtype == np.bool_ or np.issubdtype(rows.dtype, np.integer)):
        raise InvalidInputError(
            msg(
                "rows are a 1-d boolean mask or integer row numbers, got dtype {dtype}",
                dtype=rows.dtype,
            )
        )
    rows = rows.view()
    rows.flags.writeable = False
    return rows


@attrs.frozen(kw_only=True, eq=False)
class GroupReason:
    """A group of units (rows of the hook's ``UnitColumns``: a boolean mask or row
    numbers) and the reason that holds for each of them."""

    rows: npt.NDArray[Any] = attrs.field(converter=_rows)
    reason: Reason


@attrs.frozen(kw_only=True, eq=False)
class GroupFactor:
    """A weight factor for a group of units (folded as a product per unit)."""

    rows: npt.NDArray[Any] = attrs.field(converter=_rows)
    factor: float = attrs.field(validator=_check_factor)
    reason: Reason


@attrs.frozen(kw_only=True, eq=False)
class GroupFrequency:
    """Inspections a year for a group of units (folded by maximum per unit)."""

    rows: npt.NDArray[Any] = attrs.field(converter=_rows)
    times: int = attrs.field(validator=_check_times)
    reason: Reason


@attrs.frozen(kw_only=True, eq=False)
class GroupWindow:
    """A recent-inspection window for a group of units (the first answer per unit wins)."""

    rows: npt.NDArray[Any] = attrs.field(converter=_rows)
    days: int = attrs.field(validator=_check_days)
    reason: Reason


@attrs.frozen(kw_only=True, eq=False)
class GroupMode:
    """The inspection mode of a group of units' tasks (TJ-5), with its reason."""

    rows: npt.NDArray[Any] = attrs.field(converter=_rows)
    mode: InspectionMode
    reason: Reason


@attrs.frozen(kw_only=True, eq=False)
class GroupTeam:
    """A team requirement for a group of units (merged per unit with the others)."""

    rows: npt.NDArray[Any] = attrs.field(converter=_rows)
    team: TeamRequirement


_FIELD = re.compile(r"\{([a-z_]+)\}")


class ReasonTexts:
    """A plugin's reason texts in another language, by English template.

    ``ReasonTexts({"risk level {level}: weight x{factor}": "风险等级{level}：权重×{factor}"},
    words={"major": "重大风险"})`` turns the English text ``"risk level major: weight
    x3.0"`` into ``"风险等级重大风险：权重×3.0"``: each ``{name}`` of a template matches a
    part of the text, which is put into the translation (translated by ``words`` when
    listed there). A text no template matches has no translation (``None``).
    """

    __slots__ = ("_templates", "_words")

    def __init__(self, templates: dict[str, str], *, words: dict[str, str] | None = None) -> None:
        compiled = []
        for english, other in templates.items():
            parts = _FIELD.split(english)
            pattern = "".join(
                re.escape(part) if k % 2 == 0 else f"(?P<{part}>.+?)"
                for k, part in enumerate(parts)
            )
            compiled.append((re.compile(f"^{pattern}$", re.DOTALL), other))
        self._templates = tuple(compiled)
        self._words = dict(words or {})

    def translate(self, text: str) -> str | None:
        """``text`` in the other language, or ``None`` when no template matches it."""
        for pattern, other in self._templates:
            found = pattern.match(text)
            if found is not None:
                values = {k: self._words.get(v, v) for k, v in found.groupdict().items()}
                return other.format(**values)
        return None


@functools.cache
def catalog_texts(templates: tuple[str, ...], lang: str) -> ReasonTexts:
    """:class:`ReasonTexts` of English ``templates`` marked for drawcore's message catalog
    (``N_``), in ``lang``: how the core and the national rules translate their reasons."""
    catalog = translation(lang)
    return ReasonTexts({t: catalog.gettext(t) for t in templates})
