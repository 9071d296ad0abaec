"""What the fault-injection tests share: a draw plan on the fault site's registries."""

from __future__ import annotations

from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.registry.registries import County


def plan_for(county: County, plan_id: str, size: int = 20) -> DrawPlan:
    return DrawPlan(
        plan_id=plan_id,
        units=RegistryRef(path="registries/units.csv", fingerprint=county.units.fingerprint),
        inspectors=RegistryRef(
            path="registries/inspectors.csv", fingerprint=county.inspectors.fingerprint
        ),
        size=size,
        recusal_rules=("township",),
    )
