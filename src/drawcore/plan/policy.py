"""What the plan needs from a jurisdiction's rules, as a protocol of plain decisions.

The core (``draw/``, ``plan/``) never loads plugins. It asks a :class:`Policy` --
in practice :class:`drawcore.plugin.rules.Rules`, the one module that calls hooks --
for values: per-unit decisions as arrays (:class:`UnitDecisions`), recusal pairs,
an inspection mode, a deadline. Anything with these methods can plan a year, so a
test or another front end can hand the core its decisions without pluggy.

The national rules the core applies when no plugin says otherwise live here, once:
an inspection team has at least two officers (NAT-1), a planned inspection is a key
inspection and a drawn one is double-random (NAT-5), a round's results are published
within 20 days (NAT-4). A jurisdiction overrides them through its hooks; blocking the
``drawcore-national`` plugin leaves them in force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.team_model import MIN_TEAM_SIZE, Recusal
from drawcore.i18n import N_
from drawcore.model import InspectionMode, Inspector, Unit
from drawcore.plugin.columns import UnitColumns
from drawcore.plugin.values import (
    InspectionModeChoice,
    PlanContext,
    PlanSummary,
    PublicationDeadline,
    RandomShareMinimum,
    Reason,
    TeamRequirement,
)
from drawcore.registry.registries import UnitRegistry

__all__ = [
    "CORE",
    "CORE_REASON_TEMPLATES",
    "PUBLICATION_DAYS",
    "Policy",
    "UnitDecisions",
    "default_deadline",
    "default_mode",
    "minimum_team",
]

#: The name on reasons the core itself gives (national rules, the planner's notes).
CORE = "drawcore"
#: NAT-4: results are published within this many days of a round's end.
PUBLICATION_DAYS = 20
#: The English templates of the core's reasons, in the message catalog: how they are
#: shown in another language (``Rules.reason_text``); the recorded text stays English.
CORE_REASON_TEMPLATES = (
    N_("at least two enforcement officers per inspection"),
    N_("key inspection: unit planned, inspectors drawn"),
    N_("double-random: unit and inspectors drawn"),
    N_("results published within {days} days of the round"),
    N_(
        "planned inside the recent-inspection window (last inspected {date}); "
        "the planned inspection takes precedence"
    ),
    N_(
        "drawn for the year; no round outside the recent-inspection window "
        "(last inspected {date}) had room left"
    ),
    N_("每年至少检查一次: 安全风险等级高 high safety-risk level (high)"),
    N_("每年至少检查一次: 安全风险等级高 high safety-risk level (major)"),
    N_(
        "每年至少检查一次: 近三年发生生产安全死亡事故 fatal accident in {year} "
        "(last three years: {first}-{last})"
    ),
    N_("每年至少检查一次: 失信联合惩戒对象 under joint punishment for dishonesty"),
    N_("每年至少检查一次: 安全生产黑名单 on the work-safety blacklist"),
)


def minimum_team() -> TeamRequirement:
    """NAT-1 (Administrative Penalty Law): an inspection is carried out by at least two
    enforcement officers. The start of every unit's team requirement."""
    return TeamRequirement(
        size=MIN_TEAM_SIZE,
        reason=Reason(
            clause="NAT-1", plugin=CORE, text="at least two enforcement officers per inspection"
        ),
    )


_KEY_MODE = InspectionModeChoice(
    mode=InspectionMode.KEY,
    reason=Reason(
        clause="NAT-5", plugin=CORE, text="key inspection: unit planned, inspectors drawn"
    ),
)
_DOUBLE_RANDOM_MODE = InspectionModeChoice(
    mode=InspectionMode.DOUBLE_RANDOM,
    reason=Reason(clause="NAT-5", plugin=CORE, text="double-random: unit and inspectors drawn"),
)


def default_mode(*, planned: bool) -> InspectionModeChoice:
    """NAT-5: a planned inspection fixes the unit (key inspection); a drawn one is double-random."""
    return _KEY_MODE if planned else _DOUBLE_RANDOM_MODE


def default_deadline(round_end: dt.date) -> PublicationDeadline:
    """NAT-4: results are published promptly, within 20 days of the round's end."""
    return PublicationDeadline(
        due=round_end + dt.timedelta(days=PUBLICATION_DAYS),
        reason=Reason(
            clause="NAT-4",
            plugin=CORE,
            text=f"results published within {PUBLICATION_DAYS} days of the round",
        ),
    )


@attrs.frozen(kw_only=True, eq=False)
class UnitDecisions:
    """A policy's decisions for a list of units, as arrays aligned with ``unit_ids``.

    ``mandatory``: to be inspected at least once in the year (TJ-5); ``frequency``:
    the key-supervision inspections a jurisdiction sets (BL-6, TJ-5; 0 when none);
    ``excluded``: not inspected under this plan. :attr:`times` folds the three into
    the number of planned inspections. ``waiver_reasons``: units for which the
    jurisdiction sets aside the national once-a-year rule, and why
    (:mod:`drawcore.plan.once_a_year`). The reason mappings hold only units that
    have reasons.
    """

    unit_ids: tuple[str, ...]
    weights: npt.NDArray[np.float64]
    mandatory: npt.NDArray[np.bool_]
    excluded: npt.NDArray[np.bool_]
    frequency: npt.NDArray[np.int64]
    recent_inspection_days: npt.NDArray[np.int64]
    team_size: npt.NDArray[np.int64]
    experts: npt.NDArray[np.int64]
    expertise: tuple[tuple[str, ...], ...]
    expert_expertise: tuple[tuple[str, ...], ...]
    mandatory_reasons: dict[str, tuple[Reason, ...]]
    exclusion_reasons: dict[str, tuple[Reason, ...]]
    frequency_reasons: dict[str, tuple[Reason, ...]]
    weight_reasons: dict[str, tuple[Reason, ...]]
    team_reasons: dict[str, tuple[Reason, ...]]
    recent_inspection_reasons: dict[str, Reason]
    waiver_reasons: dict[str, tuple[Reason, ...]] = attrs.field(factory=dict)

    @property
    def times(self) -> npt.NDArray[np.int64]:
        """Planned inspections: ``max(frequency, 1 if mandatory)``, 0 for an excluded unit."""
        planned = np.maximum(self.frequency, self.mandatory.astype(np.int64))
        return np.where(self.excluded, 0, planned).astype(np.int64)

    @property
    def asks_expertise(self) -> npt.NDArray[np.bool_]:
        """Mask of the units whose team must hold some expertise."""
        return np.fromiter((bool(e) for e in self.expertise), np.bool_, len(self.expertise))


class Policy(Protocol):
    """The decisions a plan asks of a jurisdiction's rules (implemented by ``Rules``)."""

    @property
    def jurisdiction(self) -> str | None:
        """The jurisdiction whose rules these are (``None``: national practice only)."""

    @property
    def versions(self) -> tuple[tuple[str, str], ...]:
        """(plugin, version) of every rule set in effect: part of what a plan commits to."""

    def evaluate(
        self, units: UnitRegistry | UnitColumns | Sequence[Unit], context: PlanContext
    ) -> UnitDecisions:
        """Weights, masks, frequencies, windows and team needs of ``units`` (arrays in
        the order of ``units``)."""

    def inspection_modes(
        self,
        units: Sequence[Unit] | UnitColumns,
        context: PlanContext,
        *,
        planned: Sequence[bool],
    ) -> list[InspectionModeChoice]:
        """The mode of each task (one per unit, all asked at once, as values or as
        columns that hold them); ``planned[k]`` for a mandatory or key-supervision
        placement."""

    def conflicts(
        self, units: Sequence[Unit], inspectors: Sequence[Inspector], context: PlanContext
    ) -> tuple[Recusal, ...]:
        """Inspector-unit pairs where the inspector recuses (回避, BL-5)."""

    def min_random_share(self, context: PlanContext) -> RandomShareMinimum | None:
        """The least double-random share of the plan's tasks (BL-6), if any."""

    def plan_checks(self, summary: PlanSummary, context: PlanContext) -> tuple[Reason, ...]:
        """Problems with a finished plan."""

    def publication_deadline(self, round_end: dt.date, context: PlanContext) -> PublicationDeadline:
        """When a round's results are due."""

    def mask(self, field: str, value: str, unit: Unit | None = None) -> str:
        """``value`` as it may be published."""

    def mask_all(
        self, field: str, values: Sequence[str], units: Sequence[Unit | None]
    ) -> list[str]:
        """:meth:`mask` of each value with its unit, in order."""
