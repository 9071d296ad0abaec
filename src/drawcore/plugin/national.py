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

import numpy as np

from drawcore.i18n import N_
from drawcore.masking import mask_personal_field
from drawcore.model import ProductionStatus, Unit
from drawcore.plugin import hookimpl
from drawcore.plugin.columns import UnitColumns
from drawcore.plugin.values import (
    GroupReason,
    GroupWindow,
    Reason,
    catalog_texts,
)

NAME = "drawcore-national"
RECENT_INSPECTION_DAYS = 180
#: The English templates of this plugin's reasons, in drawcore's message catalog.
REASON_TEMPLATES = (
    N_("inspected within the last {days} days; repeated checks are avoided"),
    N_("the unit is closed (关闭)"),
)


@hookimpl
def drawcore_reason_text(reason: Reason, lang: str) -> str | None:
    """The national reasons in ``lang``, from drawcore's message catalog."""
    return catalog_texts(REASON_TEMPLATES, lang).translate(reason.text)


@hookimpl(trylast=True)
def drawcore_units_recent_inspection_window(units: UnitColumns) -> Sequence[GroupWindow]:
    """NAT-2: a unit inspected recently is not inspected again without cause."""
    return [
        GroupWindow(
            rows=np.ones(len(units), dtype=np.bool_),
            days=RECENT_INSPECTION_DAYS,
            reason=Reason(
                clause="NAT-2",
                text=f"inspected within the last {RECENT_INSPECTION_DAYS} days; "
                "repeated checks are avoided",
            ),
        )
    ]


@hookimpl
def drawcore_units_exclusions(units: UnitColumns) -> Sequence[GroupReason]:
    """NAT-3: a closed unit has no production left to inspect."""
    return [
        GroupReason(
            rows=units.equals("production_status", ProductionStatus.CLOSED),
            reason=Reason(clause="NAT-3", text="the unit is closed (关闭)"),
        )
    ]


@hookimpl(trylast=True)
def drawcore_mask_field(field: str, value: str, unit: Unit | None) -> str | None:
    """NAT-6: personal information is published only in part (:mod:`drawcore.masking`)."""
    return mask_personal_field(field, value, unit)
