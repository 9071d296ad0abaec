"""National practice the two documents rest on: the built-in, jurisdiction-neutral plugin.

Registered by :func:`~drawcore.plugin.manager.make_plugin_manager` under the name
``drawcore-national``. It holds the national practice a jurisdiction may set aside
(recent-inspection window, closed units, publication masking); the rules every plan
keeps even with this plugin blocked (two officers NAT-1, default modes NAT-5, default
deadline NAT-4) are the core's, in :mod:`drawcore.plan.policy`. Every ``firstresult``
answer here is ``trylast``, so a jurisdiction plugin overrides it. Clause IDs
``NAT-n`` are listed in ``docs/hooks.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from drawcore.masking import mask_personal_field
from drawcore.model import ProductionStatus, Unit
from drawcore.plugin import hookimpl
from drawcore.plugin.values import Reason, RecentInspectionWindow

NAME = "drawcore-national"
RECENT_INSPECTION_DAYS = 180


@hookimpl(trylast=True)
def drawcore_recent_inspection_window(unit: Unit) -> RecentInspectionWindow:
    """NAT-2: a unit inspected recently is not inspected again without cause."""
    return RecentInspectionWindow(
        days=RECENT_INSPECTION_DAYS,
        reason=Reason(
            clause="NAT-2",
            text=f"inspected within the last {RECENT_INSPECTION_DAYS} days; "
            "repeated checks are avoided",
        ),
    )


@hookimpl
def drawcore_unit_exclusions(unit: Unit) -> Sequence[Reason]:
    """NAT-3: a closed unit has no production left to inspect."""
    if unit.production_status == ProductionStatus.CLOSED:
        return [Reason(clause="NAT-3", text="the unit is closed (关闭)")]
    return []


@hookimpl(trylast=True)
def drawcore_mask_field(field: str, value: str, unit: Unit | None) -> str | None:
    """NAT-6: personal information is published only in part (:mod:`drawcore.masking`)."""
    return mask_personal_field(field, value, unit)
