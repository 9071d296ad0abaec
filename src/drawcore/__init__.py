"""drawcore: verifiable "double random, one public" (双随机、一公开) inspection draws.

The public API is re-exported here; see ``docs/`` and GUIDE §3 for the contract.
"""

from __future__ import annotations

from drawcore.draw.joint import joint_inclusion_probabilities
from drawcore.draw.probabilities import inclusion_probabilities
from drawcore.draw.sampling import UnitSample, sample_units
from drawcore.draw.strata import allocate_neyman, allocate_proportional
from drawcore.draw.team_model import Recusal, TeamDraw, TeamTask
from drawcore.draw.teams import assign_teams, draw_teams, format_team_draw
from drawcore.errors import (
    DrawcoreError,
    InfeasibleError,
    InvalidInputError,
    JournalError,
    PluginError,
    RuleError,
    StorageError,
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
from drawcore.plan.forms import format_plan
from drawcore.plan.parameters import YearParameters
from drawcore.plan.schedule import commit_year, plan_year
from drawcore.plan.tasks import AnnualPlan, YearCommitment
from drawcore.plugin import hookimpl
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import Reason
from drawcore.publish.completion import CompletionReport, completion_report, format_completion
from drawcore.publish.followup import FollowUpPolicy, RegistryChange, apply_results, format_changes
from drawcore.record.checkpoints import Checkpoint
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.journal_check import VerifyReport
from drawcore.record.journal_check import verify as verify_journal
from drawcore.record.records import DrawRecord, run_draw
from drawcore.record.results import Finding, InspectionResult, Outcome
from drawcore.record.seeding import commit_contribution, plan_hash, rfc3797_key, rfc3797_select
from drawcore.record.signing import Signing
from drawcore.registry.readers import (
    read_county,
    read_experts,
    read_inspectors,
    read_items,
    read_units,
)
from drawcore.registry.registries import (
    County,
    ExpertRegistry,
    InspectorRegistry,
    ItemList,
    UnitRegistry,
)
from drawcore.registry.writers import write_experts, write_inspectors, write_items, write_units
from drawcore.version import __version__

__all__ = [
    "AnnualPlan",
    "Checkpoint",
    "CompletionReport",
    "County",
    "CreditClass",
    "DrawPlan",
    "DrawRecord",
    "DrawcoreError",
    "Expert",
    "ExpertRegistry",
    "Finding",
    "FollowUpPolicy",
    "IdKind",
    "InfeasibleError",
    "InspectionItem",
    "InspectionMode",
    "InspectionResult",
    "Inspector",
    "InspectorRegistry",
    "InvalidInputError",
    "ItemList",
    "Journal",
    "JournalError",
    "Outcome",
    "PluginError",
    "ProductionStatus",
    "Reason",
    "Recusal",
    "RegistryChange",
    "RegistryRef",
    "RiskLevel",
    "RuleError",
    "Rules",
    "Signing",
    "StorageError",
    "TeamDraw",
    "TeamTask",
    "Unit",
    "UnitRegistry",
    "UnitSample",
    "VerifyReport",
    "YearCommitment",
    "YearParameters",
    "__version__",
    "allocate_neyman",
    "allocate_proportional",
    "apply_results",
    "assign_teams",
    "commit_contribution",
    "commit_year",
    "completion_report",
    "draw_teams",
    "format_changes",
    "format_completion",
    "format_plan",
    "format_team_draw",
    "hookimpl",
    "inclusion_probabilities",
    "joint_inclusion_probabilities",
    "make_plugin_manager",
    "plan_hash",
    "plan_year",
    "read_county",
    "read_experts",
    "read_inspectors",
    "read_items",
    "read_units",
    "rfc3797_key",
    "rfc3797_select",
    "run_draw",
    "sample_units",
    "verify_journal",
    "write_experts",
    "write_inspectors",
    "write_items",
    "write_units",
]
