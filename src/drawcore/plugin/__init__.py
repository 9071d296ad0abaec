"""drawcore's plugin layer: jurisdiction rules plug in through pluggy hooks.

A jurisdiction plugin is a module (or object) whose functions are marked with
:data:`hookimpl` and named after a hookspec in :mod:`drawcore.plugin.spec`. It is
registered through the ``drawcore`` entry-point group and loaded by
:func:`~drawcore.plugin.manager.make_plugin_manager`. The core never calls a hook
itself: :class:`~drawcore.plugin.rules.Rules` asks the plugins and hands the core
plain values (weights, masks, reasons, conflict pairs).
"""

from __future__ import annotations

import pluggy

PROJECT = "drawcore"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

from drawcore.plugin.values import (  # noqa: E402  (the markers must exist first)
    AvoidanceWindow,
    Conflict,
    Frequency,
    InspectionModeChoice,
    PlanContext,
    PublicationDeadline,
    RandomShareMinimum,
    Reason,
    TeamRequirement,
    WeightFactor,
)

__all__ = [
    "PROJECT",
    "AvoidanceWindow",
    "Conflict",
    "Frequency",
    "InspectionModeChoice",
    "PlanContext",
    "PublicationDeadline",
    "RandomShareMinimum",
    "Reason",
    "TeamRequirement",
    "WeightFactor",
    "hookimpl",
    "hookspec",
]
