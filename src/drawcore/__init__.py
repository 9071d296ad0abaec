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
from drawcore.journal import Checkpoint, Journal, VerifyReport
from drawcore.journal import verify as verify_journal
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
from drawcore.seeding import commit_contribution, plan_hash, rfc3797_key, rfc3797_select

__version__ = "0.1.0"

__all__ = [
    "Checkpoint",
    "CreditClass",
    "DrawcoreError",
    "Expert",
    "IdKind",
    "InfeasibleError",
    "InspectionItem",
    "InspectionMode",
    "Inspector",
    "InvalidInputError",
    "Journal",
    "JournalError",
    "PluginError",
    "ProductionStatus",
    "Recusal",
    "RiskLevel",
    "RuleError",
    "TeamDraw",
    "TeamTask",
    "Unit",
    "VerifyReport",
    "__version__",
    "assign_teams",
    "commit_contribution",
    "draw_teams",
    "format_team_draw",
    "plan_hash",
    "rfc3797_key",
    "rfc3797_select",
    "verify_journal",
]
