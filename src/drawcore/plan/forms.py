"""The standard inspection form (BL-7) and the plan as text.

Forms are derived from a task's unit, items and mode, so a record need not store
them: :func:`inspection_form` gives the same form from the same inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, msg, normalise, translation
from drawcore.model import InspectionItem, InspectionMode, Unit
from drawcore.plan.tasks import (
    AnnualPlan,
    InspectionForm,
    Task,
    TaskKind,
    UnitFrequency,
    UnitReasons,
)
from drawcore.plugin.values import Reason

__all__ = ["METHODS", "format_plan", "inspection_form", "task_form"]

_Entry = TypeVar("_Entry")

#: 检查方式 of each mode, as printed on the form.
METHODS = {
    InspectionMode.DOUBLE_RANDOM: "双随机: on-site inspection; unit and inspectors drawn",
    InspectionMode.KEY: "重点检查: planned unit, inspectors and round drawn",
    InspectionMode.GENERAL: "一般检查: unit drawn, team set by the office",
    InspectionMode.COVERT: "暗查暗访: unannounced on-site inspection; unit and inspectors drawn",
}


def inspection_form(
    unit: Unit, items: Sequence[InspectionItem], mode: InspectionMode
) -> InspectionForm:
    """The form of one task, pre-filled from the unit and the items that apply."""
    scope = f"{unit.name}（{unit.industry}，{unit.subject_type}）{unit.address}".rstrip()
    return InspectionForm(
        unit_id=unit.unit_id,
        unit_name=unit.name,
        basis=tuple(sorted({item.legal_basis for item in items})),
        scope=scope,
        content=tuple(f"{item.item}: {item.content}" for item in items),
        method=METHODS[mode],
    )


def task_form(task: Task, unit: Unit, items: Sequence[InspectionItem]) -> InspectionForm:
    """The form of a planned task, derived from its unit and the item list it names.

    A plan stores the task's item ids and mode, not the form (a record need not carry
    what it can derive); this gives back exactly the form the plan was made with.
    """
    if unit.unit_id != task.unit_id:
        raise InvalidInputError(
            msg(
                "task of {unit_id} given the unit {given}",
                unit_id=task.unit_id,
                given=unit.unit_id,
            )
        )
    by_id = {item.item_id: item for item in items}
    missing = [i for i in task.items if i not in by_id]
    if missing:
        raise InvalidInputError(
            msg(
                "task of {unit_id}: items {missing} are not in the item list given",
                unit_id=task.unit_id,
                missing=", ".join(missing),
            )
        )
    return inspection_form(unit, [by_id[i] for i in task.items], task.mode)


#: Inspection modes in words (the publication's words), for a Chinese listing.
_MODE_WORDS = {
    "double_random": N_("double random"),
    "general": N_("general inspection"),
    "key": N_("key inspection"),
    "covert": N_("unannounced inspection"),
}


def format_plan(
    plan: AnnualPlan,
    *,
    limit: int | None = 20,
    mask: bool = True,
    lang: str = "en",
    reason_text: Callable[[Reason], str] | None = None,
) -> str:
    """The plan as text for the CLI demo: rounds, tasks, mandatory and excluded reasons,
    in ``lang`` (``"zh_CN"`` for Chinese; English by default).

    ``limit`` caps the lines listed per section (``None``: everything). With
    ``mask`` units are shown as the plugins publish them (``plan.public_names``:
    ID-card numbers and persons' names in part) and a covert team only by its
    size (TJ-5: not disclosed before the date). ``reason_text`` shows a reason's text
    in the reader's language (``Rules.reason_text``); the recorded English by default.
    """

    def why(reasons: Iterable[Reason]) -> str:
        if reason_text is None:
            return "; ".join(map(str, reasons))
        return "; ".join(f"{r.clause} [{r.plugin}]: {reason_text(r)}" for r in reasons)

    t = translation(lang).gettext
    english = normalise(lang) == "en"
    shown = {n.unit_id: n for n in plan.public_names} if mask else {}

    def uid(unit_id: str) -> str:
        return shown[unit_id].shown_id if unit_id in shown else unit_id

    def uname(unit_id: str, name: str) -> str:
        return shown[unit_id].shown_name if unit_id in shown else name

    def cut(entries: Sequence[_Entry], line: Callable[[_Entry], str]) -> list[str]:
        """The lines of the first ``limit`` entries (only those are written), and how many
        more there are."""
        if limit is None or len(entries) <= limit:
            return list(map(line, entries))
        more = t(N_("    ... and {count} more")).format(count=len(entries) - limit)
        return [*map(line, entries[:limit]), more]

    none = [t(N_("  (none)"))]
    who = plan.jurisdiction or t(N_("national practice only"))
    share = ""
    if plan.min_random_share is not None and plan.min_random_share_reason is not None:
        share = t(N_(" (required >= {share}, {clause})")).format(
            share=f"{plan.min_random_share:.0%}", clause=plan.min_random_share_reason.clause
        )
    out = [
        t(N_("Annual plan {year} -- {who} ({plugins})")).format(
            year=plan.year, who=who, plugins=", ".join(f"{n} {v}" for n, v in plan.plugins)
        ),
        t(N_("  rounds: {rounds}; tasks: {tasks}; double-random share: {share}")).format(
            rounds=len(plan.rounds), tasks=len(plan.tasks), share=f"{plan.double_random_share:.1%}"
        )
        + share,
        t(
            N_(
                "  year's draw: {size} of {eligible} eligible units (exact yearly probabilities "
                "published per unit); kept out by a recent inspection: {recent}"
            )
        ).format(
            size=plan.yearly.size,
            eligible=plan.yearly.eligible,
            recent=len(plan.recently_inspected),
        ),
        t(
            N_(
                "  mandatory units: {mandatory}; key-supervision units: {key}; "
                "excluded units: {excluded}"
            )
        ).format(
            mandatory=len(plan.mandatory),
            key=len(plan.key_supervision),
            excluded=len(plan.excluded),
        ),
    ]

    def reasons_line(entry: UnitReasons) -> str:
        return f"  {uid(entry.unit_id)}: " + why(entry.reasons)

    def key_line(entry: UnitFrequency) -> str:
        return t(N_("  {unit}: {times}x -- {reasons}")).format(
            unit=uid(entry.unit_id), times=entry.times, reasons=why(entry.reasons)
        )

    out.append(t(N_("Mandatory (at least once a year):")))
    out += cut(plan.mandatory, reasons_line) or none
    out.append(t(N_("Key supervision (planned inspections per year):")))
    out += cut(plan.key_supervision, key_line) or none
    if plan.waived:
        out.append(t(N_("Once-a-year rule set aside by the jurisdiction (NAT-7 waived):")))
        out += cut(plan.waived, reasons_line)
    out.append(t(N_("Excluded:")))
    out += cut(plan.excluded, reasons_line) or none

    def task_line(task: Task) -> str:
        if task.mode is InspectionMode.COVERT and mask:
            team = t(N_("team of {size} (undisclosed)")).format(size=len(task.inspectors))
        elif task.inspectors:
            team = t(N_("team {members}")).format(members=",".join(task.inspectors))
        else:
            team = t(N_("team set by the office"))
        if task.experts:
            team += t(N_(" + experts {experts}")).format(experts=",".join(task.experts))
        if task.kind is TaskKind.PLANNED:
            how = t(N_("planned"))
        else:
            how = t(N_("drawn, yearly pi={pi}")).format(pi=f"{task.probability:.3f}")
        if task.visit_date is not None:
            how += t(N_(", visit {date}")).format(date=task.visit_date)
        mode = task.mode.value if english else t(_MODE_WORDS[task.mode.value])
        return t(N_("  {unit} {name} [{mode}, {how}] {team}; {items} item(s)")).format(
            unit=uid(task.unit_id),
            name=uname(task.unit_id, task.unit_name),
            mode=mode,
            how=how,
            team=team,
            items=len(task.items),
        )

    for rd in plan.rounds:
        planned = sum(x.kind is TaskKind.PLANNED for x in rd.tasks)
        state = "" if rd.open else t(N_(" (over before the plan was made)"))
        head = N_(
            "Round {index} ({start} .. {end}){state}: {tasks}/{capacity} tasks, {planned} "
            "planned, {drawn} drawn; results due {due} ({clause})"
        )
        out.append(
            t(head).format(
                index=rd.index,
                start=rd.start,
                end=rd.end,
                state=state,
                tasks=len(rd.tasks),
                capacity=rd.capacity,
                planned=planned,
                drawn=len(rd.tasks) - planned,
                due=rd.publication_due,
                clause=rd.publication_reason.clause,
            )
        )
        out += cut(rd.tasks, task_line)
    out.append(t(N_("Problems:")))
    out += [f"  {p}" for p in plan.problems] or none
    return "\n".join(out)
