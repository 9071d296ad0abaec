"""National practice the two documents rest on: the built-in, jurisdiction-neutral plugin.

Registered by :func:`~drawcore.plugin.manager.make_plugin_manager` under the name
``drawcore-national``. Every ``firstresult`` answer here is ``trylast``, so a
jurisdiction plugin overrides it; folded answers (team size, exclusions) combine
with a jurisdiction's as their hooks document. Clause IDs ``NAT-n`` are listed
in ``docs/hooks.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from drawcore.model import IdKind, InspectionMode, ProductionStatus, Unit
from drawcore.plugin import hookimpl
from drawcore.plugin.values import (
    AvoidanceWindow,
    InspectionModeChoice,
    PublicationDeadline,
    Reason,
    TeamRequirement,
)
from drawcore.registry.ids import mask_id_card, mask_name, mask_phone

NAME = "drawcore-national"
AVOIDANCE_DAYS = 180
PUBLICATION_DAYS = 20


@hookimpl
def drawcore_team_requirements(unit: Unit) -> TeamRequirement:
    """NAT-1: an inspection is carried out by at least two enforcement officers."""
    return TeamRequirement(
        size=2,
        reason=Reason(clause="NAT-1", text="at least two enforcement officers per inspection"),
    )


@hookimpl(trylast=True)
def drawcore_avoidance_window(unit: Unit) -> AvoidanceWindow:
    """NAT-2: a unit inspected recently is not inspected again without cause."""
    return AvoidanceWindow(
        days=AVOIDANCE_DAYS,
        reason=Reason(
            clause="NAT-2",
            text=f"inspected within the last {AVOIDANCE_DAYS} days; repeated checks are avoided",
        ),
    )


@hookimpl
def drawcore_unit_exclusions(unit: Unit) -> Sequence[Reason]:
    """NAT-3: a closed unit has no production left to inspect."""
    if unit.production_status == ProductionStatus.CLOSED:
        return [Reason(clause="NAT-3", text="the unit is closed (关闭)")]
    return []


@hookimpl(trylast=True)
def drawcore_inspection_mode(required: bool) -> InspectionModeChoice:
    """NAT-5: a planned (key) inspection fixes the unit; a drawn one is double-random."""
    if required:
        return InspectionModeChoice(
            mode=InspectionMode.KEY,
            reason=Reason(clause="NAT-5", text="key inspection: unit planned, inspectors drawn"),
        )
    return InspectionModeChoice(
        mode=InspectionMode.DOUBLE_RANDOM,
        reason=Reason(clause="NAT-5", text="double-random: unit and inspectors drawn"),
    )


@hookimpl(trylast=True)
def drawcore_publication_deadline(round_end: dt.date) -> PublicationDeadline:
    """NAT-4: results are published promptly, within 20 days of the round's end."""
    return PublicationDeadline(
        due=round_end + dt.timedelta(days=PUBLICATION_DAYS),
        reason=Reason(
            clause="NAT-4", text=f"results published within {PUBLICATION_DAYS} days of the round"
        ),
    )


@hookimpl(trylast=True)
def drawcore_mask_field(field: str, value: str, unit: Unit | None) -> str | None:
    """NAT-6: personal information is published only in part."""
    if field == "unit_id" and unit is not None and unit.id_kind is IdKind.ID_CARD:
        return mask_id_card(value)
    if field in ("contact", "phone"):
        return mask_phone(value)
    if field == "person_in_charge" or (
        field == "name" and unit is not None and unit.id_kind is IdKind.ID_CARD
    ):
        return mask_name(value)
    if field == "address" and unit is not None and unit.id_kind is IdKind.ID_CARD:
        return "*" * len(value)
    return None
