"""The standard inspection form (BL-7) and the plan as text.

Forms are derived from a task's unit, items and mode, so a record need not store
them: :func:`inspection_form` gives the same form from the same inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.model import InspectionItem, InspectionMode, Unit
from drawcore.plan.tasks import AnnualPlan, InspectionForm, Task, TaskKind

__all__ = ["METHODS", "format_plan", "inspection_form", "task_form"]

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


def format_plan(plan: AnnualPlan, *, limit: int | None = 20, mask: bool = True) -> str:
    """The plan as text for the CLI demo: rounds, tasks, mandatory and excluded reasons.

    ``limit`` caps the lines listed per section (``None``: everything). With
    ``mask`` units are shown as the plugins publish them (``plan.public_names``:
    ID-card numbers and persons' names in part) and a covert team only by its
    size (TJ-5: not disclosed before the date).
    """

    shown = {n.unit_id: n for n in plan.public_names} if mask else {}

    def uid(unit_id: str) -> str:
        return shown[unit_id].shown_id if unit_id in shown else unit_id

    def uname(unit_id: str, name: str) -> str:
        return shown[unit_id].shown_name if unit_id in shown else name

    def cut(lines: list[str]) -> list[str]:
        if limit is None or len(lines) <= limit:
            return lines
        return [*lines[:limit], f"    ... and {len(lines) - limit} more"]

    who = plan.jurisdiction or "national practice only"
    out = [
        f"Annual plan {plan.year} -- {who} ({', '.join(f'{n} {v}' for n, v in plan.plugins)})",
        f"  rounds: {len(plan.rounds)}; tasks: {len(plan.tasks)}; "
        f"double-random share: {plan.double_random_share:.1%}"
        + (
            f" (required >= {plan.min_random_share:.0%}, {plan.min_random_share_reason.clause})"
            if plan.min_random_share is not None and plan.min_random_share_reason is not None
            else ""
        ),
        f"  year's draw: {plan.yearly.size} of {plan.yearly.eligible} eligible units "
        f"(exact yearly probabilities published per unit); "
        f"kept out by a recent inspection: {len(plan.recently_inspected)}",
        f"  mandatory units: {len(plan.mandatory)}; key-supervision units: "
        f"{len(plan.key_supervision)}; excluded units: {len(plan.excluded)}",
    ]
    out.append("Mandatory (at least once a year):")
    out += cut(
        [f"  {uid(m.unit_id)}: " + "; ".join(map(str, m.reasons)) for m in plan.mandatory]
    ) or ["  (none)"]
    out.append("Key supervision (planned inspections per year):")
    out += cut(
        [
            f"  {uid(k.unit_id)}: {k.times}x -- " + "; ".join(map(str, k.reasons))
            for k in plan.key_supervision
        ]
    ) or ["  (none)"]
    if plan.waived:
        out.append("Once-a-year rule set aside by the jurisdiction (NAT-7 waived):")
        out += cut([f"  {uid(w.unit_id)}: " + "; ".join(map(str, w.reasons)) for w in plan.waived])
    out.append("Excluded:")
    out += cut(
        [f"  {uid(e.unit_id)}: " + "; ".join(map(str, e.reasons)) for e in plan.excluded]
    ) or ["  (none)"]
    for rd in plan.rounds:
        planned = sum(t.kind is TaskKind.PLANNED for t in rd.tasks)
        state = "" if rd.open else " (over before the plan was made)"
        out.append(
            f"Round {rd.index} ({rd.start} .. {rd.end}){state}: {len(rd.tasks)}/{rd.capacity} "
            f"tasks, {planned} planned, {len(rd.tasks) - planned} drawn; "
            f"results due {rd.publication_due} ({rd.publication_reason.clause})"
        )
        lines = []
        for t in rd.tasks:
            if t.mode is InspectionMode.COVERT and mask:
                team = f"team of {len(t.inspectors)} (undisclosed)"
            elif t.inspectors:
                team = "team " + ",".join(t.inspectors)
            else:
                team = "team set by the office"
            if t.experts:
                team += " + experts " + ",".join(t.experts)
            how = (
                "planned" if t.kind is TaskKind.PLANNED else f"drawn, yearly pi={t.probability:.3f}"
            )
            if t.visit_date is not None:
                how += f", visit {t.visit_date}"
            lines.append(
                f"  {uid(t.unit_id)} {uname(t.unit_id, t.unit_name)} [{t.mode.value}, {how}] "
                f"{team}; {len(t.items)} item(s)"
            )
        out += cut(lines)
    out.append("Problems:")
    out += [f"  {p}" for p in plan.problems] or ["  (none)"]
    return "\n".join(out)
