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
from drawcore.plugin import Reason, hookimpl
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.sampling import (
    UnitSample,
    allocate_neyman,
    allocate_proportional,
    inclusion_probabilities,
    sample_units,
)
from drawcore.schedule import AnnualPlan, format_plan, plan_year
from drawcore.seeding import commit_contribution, plan_hash, rfc3797_key, rfc3797_select

__version__ = "0.1.0"

__all__ = [
    "AnnualPlan",
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
    "Reason",
    "Recusal",
    "RiskLevel",
    "RuleError",
    "Rules",
    "TeamDraw",
    "TeamTask",
    "Unit",
    "UnitSample",
    "VerifyReport",
    "__version__",
    "allocate_neyman",
    "allocate_proportional",
    "assign_teams",
    "commit_contribution",
    "draw_teams",
    "format_plan",
    "format_team_draw",
    "hookimpl",
    "inclusion_probabilities",
    "make_plugin_manager",
    "plan_hash",
    "plan_year",
    "rfc3797_key",
    "rfc3797_select",
    "sample_units",
    "verify_journal",
]
