"""drawcore: verifiable "double random, one public" (双随机、一公开) inspection draws.

The public API is re-exported here; see ``docs/`` and GUIDE §3 for the contract.
"""

from __future__ import annotations

from drawcore.assignment import (
    Recusal,
    TeamDraw,
    TeamTask,
    assign_teams,
    draw_teams,
    format_team_draw,
)
from drawcore.errors import (
    DrawcoreError,
    InfeasibleError,
    InvalidInputError,
    JournalError,
    PluginError,
    RuleError,
)
from drawcore.model import (
    CreditClass,
    Expert,
    IdKind,
    InspectionItem,
    InspectionMode,
    Inspector,
    ProductionStatus,
    RiskLevel,
    Unit,
)

__version__ = "0.1.0"

__all__ = [
    "CreditClass",
    "DrawcoreError",
    "Expert",
    "IdKind",
    "InfeasibleError",
    "InspectionItem",
    "InspectionMode",
    "Inspector",
    "InvalidInputError",
    "JournalError",
    "PluginError",
    "ProductionStatus",
    "Recusal",
    "RiskLevel",
    "RuleError",
    "TeamDraw",
    "TeamTask",
    "Unit",
    "__version__",
    "assign_teams",
    "draw_teams",
    "format_team_draw",
]
