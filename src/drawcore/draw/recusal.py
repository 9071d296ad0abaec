"""Recusal rules (BL-5 回避): the conflict pairs a registry implies.

Home township, own work unit and rotation (the same inspector on the same unit as last
time) each give (inspector, unit, reason) pairs, applied like declared conflicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from drawcore.draw.team_model import Recusal
from drawcore.model import Inspector, Unit

__all__ = [
    "rotation_recusals",
    "township_recusals",
    "work_unit_recusals",
]


def township_recusals(
    units: Iterable[Unit], inspectors: Iterable[Inspector], *, clause: str = "BL-5"
) -> tuple[Recusal, ...]:
    """Inspectors whose home township is the unit's township (a local tie, 利害关系)."""
    return _township_recusals(
        units,
        inspectors,
        lambda ins: ins.township or None,
        f"recusal: home township is the unit's township ({clause} 回避)",
    )


def work_unit_recusals(
    units: Iterable[Unit], inspectors: Iterable[Inspector], *, clause: str = "BL-5"
) -> tuple[Recusal, ...]:
    """Inspectors whose work unit is the unit's township office (they supervise it daily)."""
    return _township_recusals(
        units,
        inspectors,
        lambda ins: ins.work_unit,
        f"recusal: work unit is the unit's township ({clause} 回避)",
    )


def _township_recusals(
    units: Iterable[Unit],
    inspectors: Iterable[Inspector],
    place: Callable[[Inspector], str | None],
    reason: str,
) -> tuple[Recusal, ...]:
    """Each active inspector recused from the units of the township ``place`` names
    (``None``: no township)."""
    by_town: dict[str, list[str]] = {}
    for ins in inspectors:
        town = place(ins) if ins.active else None
        if town is not None:
            by_town.setdefault(town, []).append(ins.inspector_id)
    return tuple(
        Recusal(inspector_id=i, unit_id=u.unit_id, reason=reason)
        for u in units
        for i in sorted(by_town.get(u.township, ()))
    )


def rotation_recusals(
    last_teams: Mapping[str, Iterable[str]], *, clause: str = "BL-5"
) -> tuple[Recusal, ...]:
    """The inspectors of each unit's last inspection, so that teams rotate."""
    reason = f"recusal: inspected this unit last time; teams rotate ({clause})"
    return tuple(
        Recusal(inspector_id=i, unit_id=u, reason=reason)
        for u in sorted(last_teams)
        for i in sorted(set(last_teams[u]))
    )
