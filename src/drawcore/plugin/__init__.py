"""drawcore's plugin layer: jurisdiction rules plug in through pluggy hooks.

A jurisdiction plugin is a module (or object) whose functions are marked with
:data:`hookimpl` and named after a hookspec in :mod:`drawcore.plugin.spec`. It is
registered through the ``drawcore`` entry-point group and loaded by
:func:`~drawcore.plugin.manager.make_plugin_manager`. The core never calls a hook
itself: :class:`~drawcore.plugin.rules.Rules` asks the plugins and hands the core
plain values (weights, masks, reasons, recusal pairs) through the
:class:`drawcore.plan.policy.Policy` protocol. Importing this package loads only the
markers and the values; the loader and ``Rules`` are imported on demand.
"""

from __future__ import annotations

import pluggy

PROJECT = "drawcore"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

from drawcore.plugin.columns import UnitColumns  # noqa: E402  (the markers must exist first)
from drawcore.plugin.values import (  # noqa: E402
    EntryRole,
    Frequency,
    GroupFactor,
    GroupFrequency,
    GroupMode,
    GroupReason,
    GroupTeam,
    GroupWindow,
    InspectionModeChoice,
    PlanContext,
    PlanSummary,
    PublicationDeadline,
    RandomShareMinimum,
    Reason,
    ReasonTexts,
    RecentInspectionWindow,
    Recusals,
    TeamRequirement,
    WeightFactor,
)

__all__ = [
    "PROJECT",
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
    "UnitColumns",
    "WeightFactor",
    "hookimpl",
    "hookspec",
]
