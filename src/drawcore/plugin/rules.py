"""``Rules``: the one typed facade between the plugins and the core.

Only this module calls hooks and loads plugins. It asks the plugins in effect for one
jurisdiction, checks every answer's type, stamps every :class:`Reason` with the plugin
that gave it, folds the answers by each hook's documented rule and hands the core plain
values: numpy arrays of weights and masks, recusal pairs, dates. ``Rules`` is the
:class:`drawcore.plan.policy.Policy` the core plans with; where no plugin answers,
the core's national defaults (:mod:`drawcore.plan.policy`) apply.

Each hook implementation is called by ``Rules`` itself (in pluggy's call order),
rather than through ``pm.hook.<name>(...)``, so that an exception, a wrong return
type or a reason can be attributed to the plugin that produced it, and so that
only the plugins of the chosen jurisdiction are asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import pluggy

from drawcore.draw.team_model import Recusal
from drawcore.errors import PluginError
from drawcore.model import InspectionMode, Inspector, Unit
from drawcore.plan.policy import (
    UnitDecisions,
    default_deadline,
    default_mode,
    minimum_team,
)
from drawcore.plugin.manager import DrawcorePluginManager, make_plugin_manager
from drawcore.plugin.values import (
    EntryRole,
    Frequency,
    InspectionModeChoice,
    PlanContext,
    PlanSummary,
    PublicationDeadline,
    RandomShareMinimum,
    Reason,
    RecentInspectionWindow,
    Recusals,
    TeamRequirement,
    WeightFactor,
)

__all__ = ["Rules"]


class Rules:
    """The rules of one jurisdiction: its plugin plus every jurisdiction-neutral plugin.

    ``jurisdiction=None`` means national practice only (the neutral plugins).
    Raises :class:`PluginError` when no plugin claims ``jurisdiction``.
    """

    jurisdiction: str | None

    def __init__(self, pm: pluggy.PluginManager, *, jurisdiction: str | None = None) -> None:
        if not isinstance(pm, DrawcorePluginManager):
            raise PluginError("Rules needs a manager made by drawcore.make_plugin_manager")
        claims = pm.jurisdictions
        wanted = jurisdiction.strip().lower() if jurisdiction is not None else None
        if wanted is not None and wanted not in claims.values():
            available = sorted(c for c in claims.values() if c is not None)
            raise PluginError(
                f"no plugin claims jurisdiction {wanted!r} (installed: "
                f"{', '.join(available) or 'none'}); install its plugin or check "
                "DRAWCORE_DISABLE_PLUGINS"
            )
        self._pm = pm
        self.jurisdiction = wanted
        self.plugins: tuple[str, ...] = tuple(
            sorted(name for name, claim in claims.items() if claim is None or claim == wanted)
        )
        self._active = frozenset(self.plugins)
        for name, plugin in pm.list_name_plugin():
            if name in self._active:
                for caller in pm.get_hookcallers(plugin) or ():
                    for impl in caller.get_hookimpls():
                        if impl.plugin_name == name and (impl.wrapper or impl.hookwrapper):
                            raise PluginError(
                                f"plugin {name!r}: hook wrappers are not supported "
                                f"({caller.name}); return a value instead"
                            )

    @classmethod
    def for_jurisdiction(
        cls, jurisdiction: str | None, *, entrypoints: bool = True, blocked: Iterable[str] = ()
    ) -> Rules:
        """Load the installed plugins and keep those of ``jurisdiction`` (and the neutral ones)."""
        return cls(make_plugin_manager(entrypoints, blocked), jurisdiction=jurisdiction)

    @property
    def versions(self) -> tuple[tuple[str, str], ...]:
        """(plugin, version) for every plugin in effect: part of what a plan commits to."""
        return tuple((name, self._pm.versions.get(name, "unknown")) for name in self.plugins)

    # -- calling hooks ---------------------------------------------------------------

    def _call(self, hook: str, **kwargs: object) -> list[tuple[str, Any]]:
        """(plugin, answer) of every active implementation, in pluggy's call order.

        For a ``firstresult`` hook, stops at the first answer that is not ``None``.
        """
        caller = getattr(self._pm.hook, hook)
        first = bool(caller.spec is not None and caller.spec.opts.get("firstresult"))
        out: list[tuple[str, Any]] = []
        for impl in reversed(caller.get_hookimpls()):
            if impl.plugin_name not in self._active:
                continue
            try:
                args = [kwargs[name] for name in impl.argnames]
                answer = impl.function(*args)
            except Exception as exc:
                raise PluginError(
                    f"plugin {impl.plugin_name!r} raised in {hook}: {type(exc).__name__}: {exc}"
                ) from exc
            if answer is None:
                continue
            out.append((impl.plugin_name, answer))
            if first:
                break
        return out

    @staticmethod
    def _stamp(plugin: str, hook: str, reason: object) -> Reason:
        if not isinstance(reason, Reason):
            raise PluginError(
                f"plugin {plugin!r}: {hook} must give drawcore Reason values, got {reason!r}"
            )
        return attrs.evolve(reason, plugin=plugin)

    @staticmethod
    def _expect(plugin: str, hook: str, answer: object, kind: type[Any]) -> None:
        if not isinstance(answer, kind):
            raise PluginError(
                f"plugin {plugin!r}: {hook} must return {kind.__name__} or None, got {answer!r}"
            )

    def _reasons(self, hook: str, **kwargs: object) -> tuple[Reason, ...]:
        found: list[Reason] = []
        for plugin, answer in self._call(hook, **kwargs):
            if isinstance(answer, str | bytes) or not isinstance(answer, Iterable):
                raise PluginError(
                    f"plugin {plugin!r}: {hook} must return a sequence of Reason, got {answer!r}"
                )
            found.extend(self._stamp(plugin, hook, r) for r in answer)
        return tuple(sorted(set(found)))

    # -- per-unit decisions ----------------------------------------------------------

    def evaluate(self, units: Sequence[Unit], context: PlanContext) -> UnitDecisions:
        """Weights, mandatory and excluded masks, frequencies, windows and team needs."""
        n = len(units)
        weights = np.empty(n, dtype=np.float64)
        mandatory = np.zeros(n, dtype=np.bool_)
        excluded = np.zeros(n, dtype=np.bool_)
        frequency = np.zeros(n, dtype=np.int64)
        window_days = np.zeros(n, dtype=np.int64)
        size = np.ones(n, dtype=np.int64)
        experts = np.zeros(n, dtype=np.int64)
        expertise: list[tuple[str, ...]] = []
        expert_expertise: list[tuple[str, ...]] = []
        mand_r: dict[str, tuple[Reason, ...]] = {}
        excl_r: dict[str, tuple[Reason, ...]] = {}
        freq_r: dict[str, tuple[Reason, ...]] = {}
        weight_r: dict[str, tuple[Reason, ...]] = {}
        team_r: dict[str, tuple[Reason, ...]] = {}
        window_r: dict[str, Reason] = {}
        waiver_r: dict[str, tuple[Reason, ...]] = {}
        for i, unit in enumerate(units):
            uid = unit.unit_id
            w, wr = self._weight(unit, context)
            weights[i] = w
            if wr:
                weight_r[uid] = wr
            mr = self._reasons("drawcore_unit_mandatory", unit=unit, context=context)
            er = self._reasons("drawcore_unit_exclusions", unit=unit, context=context)
            waiver = self._reasons("drawcore_once_a_year_waiver", unit=unit, context=context)
            if waiver:
                waiver_r[uid] = waiver
            t, fr = self._frequency(unit, context)
            if mr:
                mandatory[i] = True
                mand_r[uid] = mr
            if er:
                excluded[i] = True
                excl_r[uid] = er
            if fr:
                freq_r[uid] = fr
            frequency[i] = t
            window = self._recent_inspection(unit, context)
            if window is not None:
                window_days[i] = window.days
                window_r[uid] = window.reason
            team, tr = self._team(unit, context)
            size[i] = team.size
            experts[i] = team.experts
            expertise.append(team.expertise)
            expert_expertise.append(team.expert_expertise)
            team_r[uid] = tr
        return UnitDecisions(
            unit_ids=tuple(u.unit_id for u in units),
            weights=weights,
            mandatory=mandatory,
            excluded=excluded,
            frequency=frequency,
            recent_inspection_days=window_days,
            team_size=size,
            experts=experts,
            expertise=tuple(expertise),
            expert_expertise=tuple(expert_expertise),
            mandatory_reasons=mand_r,
            exclusion_reasons=excl_r,
            frequency_reasons=freq_r,
            weight_reasons=weight_r,
            team_reasons=team_r,
            recent_inspection_reasons=window_r,
            waiver_reasons=waiver_r,
        )

    def _weight(self, unit: Unit, context: PlanContext) -> tuple[float, tuple[Reason, ...]]:
        weight = float(unit.risk_weight)
        reasons: list[Reason] = []
        for plugin, answer in self._call("drawcore_unit_weight", unit=unit, context=context):
            self._expect(plugin, "drawcore_unit_weight", answer, WeightFactor)
            weight *= answer.factor
            reasons.append(self._stamp(plugin, "drawcore_unit_weight", answer.reason))
        return weight, tuple(reasons)

    def _frequency(self, unit: Unit, context: PlanContext) -> tuple[int, tuple[Reason, ...]]:
        answers: list[tuple[int, Reason]] = []
        for plugin, answer in self._call("drawcore_unit_frequency", unit=unit, context=context):
            self._expect(plugin, "drawcore_unit_frequency", answer, Frequency)
            answers.append(
                (answer.times, self._stamp(plugin, "drawcore_unit_frequency", answer.reason))
            )
        if not answers:
            return 0, ()
        top = max(t for t, _ in answers)
        return top, tuple(sorted(r for t, r in answers if t == top))

    def _recent_inspection(self, unit: Unit, context: PlanContext) -> RecentInspectionWindow | None:
        hook = "drawcore_recent_inspection_window"
        for plugin, answer in self._call(hook, unit=unit, context=context):
            self._expect(plugin, hook, answer, RecentInspectionWindow)
            window: RecentInspectionWindow = attrs.evolve(
                answer, reason=self._stamp(plugin, hook, answer.reason)
            )
            return window
        return None

    def team_requirement(self, unit: Unit, context: PlanContext) -> TeamRequirement:
        """The merged team requirement: max size, union of expertise, max experts.

        Its ``reason`` is the one behind the size; :meth:`evaluate` keeps all of them.
        """
        return self._team(unit, context)[0]

    def _team(self, unit: Unit, context: PlanContext) -> tuple[TeamRequirement, tuple[Reason, ...]]:
        answers: list[TeamRequirement] = [minimum_team()]
        for plugin, answer in self._call("drawcore_team_requirements", unit=unit, context=context):
            self._expect(plugin, "drawcore_team_requirements", answer, TeamRequirement)
            answers.append(
                attrs.evolve(
                    answer, reason=self._stamp(plugin, "drawcore_team_requirements", answer.reason)
                )
            )
        biggest = max(answers, key=lambda a: a.size)
        merged = TeamRequirement(
            size=biggest.size,
            expertise=sorted({e for a in answers for e in a.expertise}),
            experts=max(a.experts for a in answers),
            expert_expertise=sorted({e for a in answers for e in a.expert_expertise}),
            reason=biggest.reason,
        )
        return merged, tuple(sorted({a.reason for a in answers}))

    def inspection_mode(
        self, unit: Unit, context: PlanContext, *, planned: bool
    ) -> InspectionModeChoice:
        """The mode of one task (``firstresult``; the core's NAT-5 default otherwise)."""
        hook = "drawcore_inspection_mode"
        for plugin, answer in self._call(hook, unit=unit, context=context, planned=planned):
            self._expect(plugin, hook, answer, InspectionModeChoice)
            if not isinstance(answer.mode, InspectionMode):
                raise PluginError(f"plugin {plugin!r}: {hook} gave mode {answer.mode!r}")
            choice: InspectionModeChoice = attrs.evolve(
                answer, reason=self._stamp(plugin, hook, answer.reason)
            )
            return choice
        return default_mode(planned=planned)

    # -- per-plan decisions ----------------------------------------------------------

    def conflicts(
        self, units: Sequence[Unit], inspectors: Sequence[Inspector], context: PlanContext
    ) -> tuple[Recusal, ...]:
        """The union of every plugin's recusal groups as pairs (回避, BL-5), sorted.

        A pair named by two plugins (or two groups) keeps each reason, one
        :class:`Recusal` per reason.
        """
        hook = "drawcore_inspector_conflicts"
        found: set[tuple[str, str, str]] = set()
        for plugin, answer in self._call(hook, units=units, inspectors=inspectors, context=context):
            if isinstance(answer, str | bytes) or not isinstance(answer, Iterable):
                raise PluginError(f"plugin {plugin!r}: {hook} must return a sequence of Recusals")
            for group in answer:
                self._expect(plugin, hook, group, Recusals)
                why = str(self._stamp(plugin, hook, group.reason))
                found.update(
                    (iid, uid, why) for iid in group.inspector_ids for uid in group.unit_ids
                )
        return tuple(
            Recusal(inspector_id=iid, unit_id=uid, reason=why) for iid, uid, why in sorted(found)
        )

    def min_random_share(self, context: PlanContext) -> RandomShareMinimum | None:
        """The largest minimum double-random share any plugin requires (BL-6)."""
        hook = "drawcore_min_random_share"
        best: RandomShareMinimum | None = None
        for plugin, answer in self._call(hook, context=context):
            self._expect(plugin, hook, answer, RandomShareMinimum)
            stamped = attrs.evolve(answer, reason=self._stamp(plugin, hook, answer.reason))
            if best is None or stamped.share > best.share:
                best = stamped
        return best

    def plan_checks(self, summary: PlanSummary, context: PlanContext) -> tuple[Reason, ...]:
        """Every plugin's problems with a finished plan, in call order."""
        hook = "drawcore_plan_checks"
        out: list[Reason] = []
        for plugin, answer in self._call(hook, summary=summary, context=context):
            if isinstance(answer, str | bytes) or not isinstance(answer, Iterable):
                raise PluginError(f"plugin {plugin!r}: {hook} must return a sequence of Reason")
            out.extend(self._stamp(plugin, hook, r) for r in answer)
        return tuple(out)

    def publication_deadline(self, round_end: dt.date, context: PlanContext) -> PublicationDeadline:
        """When a round's results are due for publication (``firstresult``; NAT-4 otherwise)."""
        hook = "drawcore_publication_deadline"
        for plugin, answer in self._call(hook, round_end=round_end, context=context):
            self._expect(plugin, hook, answer, PublicationDeadline)
            due: PublicationDeadline = attrs.evolve(
                answer, reason=self._stamp(plugin, hook, answer.reason)
            )
            return due
        return default_deadline(round_end)

    def mask(self, field: str, value: str, unit: Unit | None = None) -> str:
        """``value`` as it may be published (``firstresult``; unmasked when nobody answers)."""
        hook = "drawcore_mask_field"
        for plugin, answer in self._call(hook, field=field, value=value, unit=unit):
            self._expect(plugin, hook, answer, str)
            return str(answer)
        return value

    # -- who may enter results (BL-8) -------------------------------------------------

    def entry_roles(self, year: int) -> tuple[EntryRole, ...]:
        """The roles allowed to enter results besides the team, every plugin's, sorted."""
        hook = "drawcore_result_entry_roles"
        found: set[EntryRole] = set()
        for plugin, answer in self._call(hook, year=year):
            if isinstance(answer, str | bytes) or not isinstance(answer, Iterable):
                raise PluginError(f"plugin {plugin!r}: {hook} must return a sequence of EntryRole")
            for role in answer:
                self._expect(plugin, hook, role, EntryRole)
                found.add(attrs.evolve(role, reason=self._stamp(plugin, hook, role.reason)))
        return tuple(sorted(found, key=lambda r: (r.role, r.reason.plugin, r.reason.text)))
