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
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import starmap
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt
import pluggy

from drawcore.draw.team_model import Recusal
from drawcore.errors import InvalidInputError, PluginError
from drawcore.i18n import current, msg, normalise
from drawcore.model import InspectionMode, Inspector, Unit
from drawcore.plan.policy import (
    CORE,
    CORE_REASON_TEMPLATES,
    UnitDecisions,
    default_deadline,
    default_mode,
    minimum_team,
)
from drawcore.plugin.columns import UnitColumns
from drawcore.plugin.manager import DrawcorePluginManager, make_plugin_manager
from drawcore.plugin.values import (
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
    RecentInspectionWindow,
    Recusals,
    TeamRequirement,
    WeightFactor,
    catalog_texts,
)
from drawcore.registry.registries import UnitRegistry

__all__ = ["Rules"]

R = TypeVar("R")
T = TypeVar("T")

_GROUP_KINDS: dict[str, type[Any]] = {
    "drawcore_units_weight": GroupFactor,
    "drawcore_units_mandatory": GroupReason,
    "drawcore_units_once_a_year_waiver": GroupReason,
    "drawcore_units_exclusions": GroupReason,
    "drawcore_units_frequency": GroupFrequency,
    "drawcore_units_inspection_mode": GroupMode,
    "drawcore_units_recent_inspection_window": GroupWindow,
    "drawcore_units_team_requirements": GroupTeam,
}


def _per_unit(
    ids: npt.NDArray[Any],
    groups: Sequence[tuple[npt.NDArray[np.intp], R]],
    combine: Callable[[list[R]], T],
    *,
    everyone: bool = False,
) -> dict[str, T]:
    """unit id -> ``combine`` of the items of the groups holding the unit, in group order.

    Units in no group are left out (``everyone``: given ``combine([])``). Units held by
    the same groups share one combined value, computed once: with up to 62 groups a
    unit's groups are the bits of one integer, so a city's registry is folded by numpy.
    """
    n = len(ids)
    if len(groups) <= 62:
        codes = np.zeros(n, dtype=np.int64)
        for bit, (rows, _) in enumerate(groups):
            codes[rows] |= np.int64(1) << bit
        keep = np.arange(n) if everyone else np.flatnonzero(codes)
        distinct, inverse = np.unique(codes[keep], return_inverse=True)
        values = [
            combine([item for bit, (_, item) in enumerate(groups) if code >> bit & 1])
            for code in distinct.tolist()
        ]
        return dict(zip(ids[keep].tolist(), [values[k] for k in inverse.tolist()], strict=True))
    held: dict[int, list[R]] = {}
    for rows, item in groups:
        for i in rows.tolist():
            held.setdefault(i, []).append(item)
    id_list = ids.tolist()
    out = {id_list[i]: combine(held[i]) for i in sorted(held)}
    if everyone:
        empty = combine([])
        return {u: out.get(u, empty) for u in id_list}
    return out


def _sorted_set(reasons: list[Reason]) -> tuple[Reason, ...]:
    return tuple(sorted(set(reasons)))


class Rules:
    """The rules of one jurisdiction: its plugin plus every jurisdiction-neutral plugin.

    ``jurisdiction=None`` means national practice only (the neutral plugins).
    Raises :class:`PluginError` when no plugin claims ``jurisdiction``.
    """

    jurisdiction: str | None

    def __init__(self, pm: pluggy.PluginManager, *, jurisdiction: str | None = None) -> None:
        if not isinstance(pm, DrawcorePluginManager):
            raise PluginError(msg("Rules needs a manager made by drawcore.make_plugin_manager"))
        claims = pm.jurisdictions
        wanted = jurisdiction.strip().lower() if jurisdiction is not None else None
        if wanted is not None and wanted not in claims.values():
            available = sorted(c for c in claims.values() if c is not None)
            raise PluginError(
                msg(
                    "no plugin claims jurisdiction {wanted} (installed: {installed}); install"
                    " its plugin or check DRAWCORE_DISABLE_PLUGINS",
                    wanted=repr(wanted),
                    installed=", ".join(available) or "none",
                )
            )
        self._pm = pm
        self.jurisdiction = wanted
        self.plugins: tuple[str, ...] = tuple(
            sorted(name for name, claim in claims.items() if claim is None or claim == wanted)
        )
        self._active = frozenset(self.plugins)
        self._impls: dict[str, tuple[bool, list[Any]]] = {}
        for name, plugin in pm.list_name_plugin():
            if name in self._active:
                for caller in pm.get_hookcallers(plugin) or ():
                    for impl in caller.get_hookimpls():
                        if impl.plugin_name == name and (impl.wrapper or impl.hookwrapper):
                            raise PluginError(
                                msg(
                                    "plugin {name}: hook wrappers are not supported"
                                    " ({wrapper}); return a value instead",
                                    name=repr(name),
                                    wrapper=caller.name,
                                )
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
        first, impls = self._lookup(hook)
        out: list[tuple[str, Any]] = []
        for impl in impls:
            answer = self._ask(hook, impl, **kwargs)
            if answer is None:
                continue
            out.append((impl.plugin_name, answer))
            if first:
                break
        return out

    def _lookup(self, hook: str) -> tuple[bool, list[Any]]:
        """Whether ``hook`` is ``firstresult``, and its active implementations in call order."""
        found = self._impls.get(hook)
        if found is None:  # the plugins were fixed when these rules were made
            caller = getattr(self._pm.hook, hook)
            found = (
                bool(caller.spec is not None and caller.spec.opts.get("firstresult")),
                [i for i in reversed(caller.get_hookimpls()) if i.plugin_name in self._active],
            )
            self._impls[hook] = found
        return found

    @staticmethod
    def _stamp(plugin: str, hook: str, reason: object) -> Reason:
        if not isinstance(reason, Reason):
            raise PluginError(
                msg(
                    "plugin {plugin}: {hook} must give drawcore Reason values, got {reason}",
                    plugin=repr(plugin),
                    hook=hook,
                    reason=repr(reason),
                )
            )
        return attrs.evolve(reason, plugin=plugin)

    @staticmethod
    def _expect(plugin: str, hook: str, answer: object, kind: type[Any]) -> None:
        if not isinstance(answer, kind):
            raise PluginError(
                msg(
                    "plugin {plugin}: {hook} must return {kind} or None, got {answer}",
                    plugin=repr(plugin),
                    hook=hook,
                    kind=kind.__name__,
                    answer=repr(answer),
                )
            )

    @staticmethod
    def _sequence(plugin: str, hook: str, answer: object, kind: str) -> Iterable[Any]:
        """``answer`` when it is a sequence (not text); otherwise :class:`PluginError`."""
        if isinstance(answer, str | bytes) or not isinstance(answer, Iterable):
            raise PluginError(
                msg(
                    "plugin {plugin}: {hook} must return a sequence of {kind}",
                    plugin=repr(plugin),
                    hook=hook,
                    kind=kind,
                )
            )
        return answer

    # -- decisions about units: columnar and per-unit hooks, one fold --------------------

    def _ordered(self, *hooks: str) -> list[tuple[str, Any]]:
        """(hook, impl) of the active implementations of ``hooks``, in one call order:
        ``tryfirst``, then later-registered first, then ``trylast``; a plugin's answer to
        an earlier hook of ``hooks`` before its answer to a later one."""
        registered = {name: i for i, (name, _) in enumerate(self._pm.list_name_plugin())}
        found = []
        for rank, hook in enumerate(hooks):
            for impl in getattr(self._pm.hook, hook).get_hookimpls():
                if impl.plugin_name not in self._active:
                    continue
                order = 0 if impl.tryfirst else 2 if impl.trylast else 1
                found.append(((order, -registered.get(impl.plugin_name, -1), rank), hook, impl))
        found.sort(key=lambda x: x[0])
        return [(hook, impl) for _, hook, impl in found]

    def _ask(self, hook: str, impl: Any, **kwargs: object) -> Any:
        try:
            return impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception as exc:
            raise self._raised(hook, impl, exc) from exc

    @staticmethod
    def _raised(hook: str, impl: Any, exc: Exception) -> PluginError:
        """The error for a plugin's implementation of ``hook`` that raised ``exc``."""
        return PluginError(
            msg(
                "plugin {plugin_name} raised in {hook}: {error}: {exc}",
                plugin_name=repr(impl.plugin_name),
                hook=hook,
                error=type(exc).__name__,
                exc=exc,
            )
        )

    def _groups(
        self, hook: str, unit_hook: str, kind: type[Any], cols: UnitColumns, context: PlanContext
    ) -> list[tuple[npt.NDArray[np.intp], Any]]:
        """Every answer about units as (rows, answer), in call order.

        A columnar answer's groups keep their own rows; a per-unit answer about row ``i``
        becomes a group of one row. ``kind`` is the per-unit value type; per-unit answers
        that are sequences of ``Reason`` (``kind is Reason``) become one group per reason.
        """
        n = len(cols)
        out: list[tuple[npt.NDArray[np.intp], Any]] = []
        units: Sequence[Unit] | None = None
        for name, impl in self._ordered(hook, unit_hook):
            plugin = impl.plugin_name
            if name == hook:
                answer = self._ask(hook, impl, units=cols, context=context)
                if answer is None:
                    continue
                if isinstance(answer, str | bytes) or not isinstance(answer, Iterable):
                    raise PluginError(
                        msg(
                            "plugin {plugin}: {hook} must return a sequence of groups,"
                            " got {answer}",
                            plugin=repr(plugin),
                            hook=hook,
                            answer=repr(answer),
                        )
                    )
                for group in answer:
                    out.append(self._group(plugin, hook, group, n))
                continue
            if units is None:
                units = cols.units()
            for i, unit in enumerate(units):
                answer = self._ask(unit_hook, impl, unit=unit, context=context)
                if answer is None:
                    continue
                rows = np.array([i], dtype=np.intp)
                if kind is Reason:
                    if isinstance(answer, str | bytes) or not isinstance(answer, Iterable):
                        raise PluginError(
                            msg(
                                "plugin {plugin}: {unit_hook} must return a sequence of Reason, got"
                                " {answer}",
                                plugin=repr(plugin),
                                unit_hook=unit_hook,
                                answer=repr(answer),
                            )
                        )
                    out.extend((rows, self._stamp(plugin, unit_hook, r)) for r in answer)
                    continue
                self._expect(plugin, unit_hook, answer, kind)
                stamped = attrs.evolve(answer, reason=self._stamp(plugin, unit_hook, answer.reason))
                out.append((rows, stamped))
        return out

    def _group(
        self, plugin: str, hook: str, group: object, n: int
    ) -> tuple[npt.NDArray[np.intp], Any]:
        kind = _GROUP_KINDS[hook]
        if not isinstance(group, kind):
            raise PluginError(
                msg(
                    "plugin {plugin}: {hook} must return {kind} values, got {group}",
                    plugin=repr(plugin),
                    hook=hook,
                    kind=kind.__name__,
                    group=repr(group),
                )
            )
        rows = group.rows
        if rows.dtype == np.bool_:
            if len(rows) != n:
                raise PluginError(
                    msg(
                        "plugin {plugin}: {hook} gave a mask of {n_rows} rows for {n} units",
                        plugin=repr(plugin),
                        hook=hook,
                        n_rows=len(rows),
                        n=n,
                    )
                )
            idx = np.flatnonzero(rows)
        else:
            idx = np.unique(rows.astype(np.intp))
            if idx.size and (idx[0] < 0 or idx[-1] >= n):
                raise PluginError(
                    msg(
                        "plugin {plugin}: {hook} named row {row} of {n} units",
                        plugin=repr(plugin),
                        hook=hook,
                        row=int(idx[0] if idx[0] < 0 else idx[-1]),
                        n=n,
                    )
                )
        if isinstance(group, GroupTeam):
            value: Any = attrs.evolve(
                group.team, reason=self._stamp(plugin, hook, group.team.reason)
            )
        elif isinstance(group, GroupReason):
            value = self._stamp(plugin, hook, group.reason)
        else:
            value = attrs.evolve(group, reason=self._stamp(plugin, hook, group.reason))
        return idx, value

    def _union(
        self, hook: str, unit_hook: str, cols: UnitColumns, context: PlanContext
    ) -> tuple[npt.NDArray[np.bool_], dict[str, tuple[Reason, ...]]]:
        """Mask of units with at least one reason, and each one's sorted reasons."""
        mask = np.zeros(len(cols), dtype=np.bool_)
        groups = self._groups(hook, unit_hook, Reason, cols, context)
        for rows, _ in groups:
            mask[rows] = True
        return mask, _per_unit(cols.id_objects, groups, _sorted_set)

    def evaluate(
        self, units: UnitRegistry | UnitColumns | Sequence[Unit], context: PlanContext
    ) -> UnitDecisions:
        """Weights, mandatory and excluded masks, frequencies, windows and team needs.

        ``units``: a registry (id order), columns, or units (their order); the arrays of
        the answer follow that order.
        """
        cols = units if isinstance(units, UnitColumns) else UnitColumns.of(units)
        n = len(cols)
        ids = cols.id_objects
        id_list: list[str] = ids.tolist()

        weights = np.array(cols.column("risk_weight"), dtype=np.float64)
        factors = self._groups(
            "drawcore_units_weight", "drawcore_unit_weight", WeightFactor, cols, context
        )
        for rows, answer in factors:
            weights[rows] *= answer.factor
        weight_r = _per_unit(ids, [(rows, a.reason) for rows, a in factors], lambda rs: tuple(rs))

        mandatory, mand_r = self._union(
            "drawcore_units_mandatory", "drawcore_unit_mandatory", cols, context
        )
        excluded, excl_r = self._union(
            "drawcore_units_exclusions", "drawcore_unit_exclusions", cols, context
        )
        _, waiver_r = self._union(
            "drawcore_units_once_a_year_waiver", "drawcore_once_a_year_waiver", cols, context
        )

        frequency = np.zeros(n, dtype=np.int64)
        answers = self._groups(
            "drawcore_units_frequency", "drawcore_unit_frequency", Frequency, cols, context
        )
        for rows, answer in answers:
            np.maximum.at(frequency, rows, answer.times)
        freq_r = _per_unit(
            ids,
            [(rows[frequency[rows] == a.times], a.reason) for rows, a in answers],
            _sorted_set,
        )

        window_days = np.zeros(n, dtype=np.int64)
        decided = np.zeros(n, dtype=np.bool_)
        window_r: dict[str, Reason] = {}
        for rows, answer in self._groups(
            "drawcore_units_recent_inspection_window",
            "drawcore_recent_inspection_window",
            RecentInspectionWindow,
            cols,
            context,
        ):
            new = rows[~decided[rows]]
            decided[new] = True
            window_days[new] = answer.days
            window_r.update(dict.fromkeys(ids[new].tolist(), answer.reason))

        base = minimum_team()
        size = np.full(n, base.size, dtype=np.int64)
        experts = np.full(n, base.experts, dtype=np.int64)
        expertise: list[tuple[str, ...]] = [base.expertise] * n
        expert_expertise: list[tuple[str, ...]] = [base.expert_expertise] * n
        teams = self._groups(
            "drawcore_units_team_requirements",
            "drawcore_team_requirements",
            TeamRequirement,
            cols,
            context,
        )
        for rows, team in teams:
            np.maximum.at(size, rows, team.size)
            np.maximum.at(experts, rows, team.experts)
        team_r = _per_unit(
            ids,
            [(rows, t.reason) for rows, t in teams],
            lambda rs: _sorted_set([base.reason, *rs]),
            everyone=True,
        )
        for rows, team in teams:
            for field, out in (("expertise", expertise), ("expert_expertise", expert_expertise)):
                need = getattr(team, field)
                if need:
                    for i in rows.tolist():
                        out[i] = tuple(sorted({*out[i], *need}))
        return UnitDecisions(
            unit_ids=tuple(id_list),
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

    def team_requirement(self, unit: Unit, context: PlanContext) -> TeamRequirement:
        """The merged team requirement: max size, union of expertise, max experts.

        Its ``reason`` is the one behind the size; :meth:`evaluate` keeps all of them.
        """
        cols = UnitColumns.of([unit])
        answers: list[TeamRequirement] = [minimum_team()]
        answers += [
            team
            for _, team in self._groups(
                "drawcore_units_team_requirements",
                "drawcore_team_requirements",
                TeamRequirement,
                cols,
                context,
            )
        ]
        biggest = max(answers, key=lambda a: a.size)
        return TeamRequirement(
            size=biggest.size,
            expertise=sorted({e for a in answers for e in a.expertise}),
            experts=max(a.experts for a in answers),
            expert_expertise=sorted({e for a in answers for e in a.expert_expertise}),
            reason=biggest.reason,
        )

    def inspection_mode(
        self, unit: Unit, context: PlanContext, *, planned: bool
    ) -> InspectionModeChoice:
        """The mode of one task (see :meth:`inspection_modes`)."""
        return self.inspection_modes([unit], context, planned=[planned])[0]

    def inspection_modes(
        self,
        units: Sequence[Unit] | UnitColumns,
        context: PlanContext,
        *,
        planned: Sequence[bool],
    ) -> list[InspectionModeChoice]:
        """The mode of each task, ``units[k]`` planned or not as ``planned[k]`` says
        (``units`` as values, or as columns that hold their values).

        The first answer per task decides it, in one call order over the columnar and
        the per-unit hook (within a columnar answer, its first group holding the task);
        with no answer, the core's NAT-5 default.
        """
        cols: UnitColumns | None = None
        if isinstance(units, UnitColumns):
            cols, units = units, units.units()
        n = len(units)
        if len(planned) != n:
            raise InvalidInputError(
                msg(
                    "give one planned flag per unit: {flags} for {n} units",
                    flags=len(planned),
                    n=n,
                )
            )
        flags = np.array(planned, dtype=np.bool_)
        flags.flags.writeable = False
        chosen: list[InspectionModeChoice | None] = [None] * n
        open_rows = n
        for hook, impl in self._ordered(
            "drawcore_units_inspection_mode", "drawcore_inspection_mode"
        ):
            if open_rows == 0:
                break
            plugin = impl.plugin_name
            if hook == "drawcore_units_inspection_mode":
                if cols is None:
                    cols = UnitColumns.of(units)
                answer = self._ask(hook, impl, units=cols, context=context, planned=flags)
                if answer is None:
                    continue
                for group in self._sequence(plugin, hook, answer, "GroupMode"):
                    rows, value = self._group(plugin, hook, group, n)
                    choice = InspectionModeChoice(
                        mode=self._mode(plugin, hook, value.mode), reason=value.reason
                    )
                    for i in rows.tolist():
                        if chosen[i] is None:
                            chosen[i] = choice
                            open_rows -= 1
                continue
            for i, unit in enumerate(units):
                if chosen[i] is not None:
                    continue
                answer = self._ask(hook, impl, unit=unit, context=context, planned=bool(flags[i]))
                if answer is None:
                    continue
                self._expect(plugin, hook, answer, InspectionModeChoice)
                chosen[i] = InspectionModeChoice(
                    mode=self._mode(plugin, hook, answer.mode),
                    reason=self._stamp(plugin, hook, answer.reason),
                )
                open_rows -= 1
        return [
            c if c is not None else default_mode(planned=p)
            for c, p in zip(chosen, flags.tolist(), strict=True)
        ]

    @staticmethod
    def _mode(plugin: str, hook: str, mode: object) -> InspectionMode:
        if not isinstance(mode, InspectionMode):
            raise PluginError(
                msg(
                    "plugin {plugin}: {hook} gave mode {mode}",
                    plugin=repr(plugin),
                    hook=hook,
                    mode=repr(mode),
                )
            )
        return mode

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
            answer = self._sequence(plugin, hook, answer, "Recusals")
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
            answer = self._sequence(plugin, hook, answer, "Reason")
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

    def reason_text(self, reason: Reason, lang: str | None = None) -> str:
        """``reason``'s text as a reader of ``lang`` sees it (Chinese unless ``lang`` is
        English; ``None``: the current language). The recorded reason is unchanged.

        The plugin that gave the reason translates it (``drawcore_reason_text``); the
        core's reasons are in drawcore's message catalog. Without a translation the
        English text is shown.
        """
        lang = normalise(lang if lang is not None else current())
        if lang == "en":
            return reason.text
        if reason.plugin == CORE:
            found = catalog_texts(CORE_REASON_TEMPLATES, lang).translate(reason.text)
            return found or reason.text
        hook = "drawcore_reason_text"
        for impl in getattr(self._pm.hook, hook).get_hookimpls():
            if impl.plugin_name != reason.plugin:
                continue
            answer = self._ask(hook, impl, reason=reason, lang=lang)
            if answer is None:
                continue
            self._expect(impl.plugin_name, hook, answer, str)
            return str(answer)
        return reason.text

    def mask(self, field: str, value: str, unit: Unit | None = None) -> str:
        """``value`` as it may be published (``firstresult``; unmasked when nobody answers)."""
        return self.mask_all(field, [value], [unit])[0]

    def mask_all(
        self, field: str, values: Sequence[str], units: Sequence[Unit | None]
    ) -> list[str]:
        """:meth:`mask` of each value with its unit, in order (the implementations looked
        up once, not once a value)."""
        hook = "drawcore_mask_field"
        _, impls = self._lookup(hook)
        if not impls:
            return list(values)
        if len(impls) == 1 and tuple(impls[0].argnames) == ("field", "value", "unit"):
            impl = impls[0]  # the common case: one rule, called with its arguments in order
            pairs = list(zip(values, units, strict=True))
            try:
                answers = list(starmap(partial(impl.function, field), pairs))
            except Exception as exc:
                raise self._raised(hook, impl, exc) from exc
            out = []
            for value, answer in zip(values, answers, strict=True):
                if answer is None:
                    out.append(value)
                else:
                    self._expect(impl.plugin_name, hook, answer, str)
                    out.append(str(answer))
            return out
        out = []
        for value, unit in zip(values, units, strict=True):
            shown = value
            for impl in impls:
                answer = self._ask(hook, impl, field=field, value=value, unit=unit)
                if answer is not None:
                    self._expect(impl.plugin_name, hook, answer, str)
                    shown = str(answer)
                    break
            out.append(shown)
        return out

    # -- who may enter results (BL-8) -------------------------------------------------

    def entry_roles(self, year: int) -> tuple[EntryRole, ...]:
        """The roles allowed to enter results besides the team, every plugin's, sorted."""
        hook = "drawcore_result_entry_roles"
        found: set[EntryRole] = set()
        for plugin, answer in self._call(hook, year=year):
            answer = self._sequence(plugin, hook, answer, "EntryRole")
            for role in answer:
                self._expect(plugin, hook, role, EntryRole)
                found.add(attrs.evolve(role, reason=self._stamp(plugin, hook, role.reason)))
        return tuple(sorted(found, key=lambda r: (r.role, r.reason.plugin, r.reason.text)))
