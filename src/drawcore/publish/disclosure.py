"""Publication: the item list, plans, draws and results per quarter (BL-8, TJ-6, "一公开").

:func:`publish` reads a journal (which must verify), keeps the records of one
quarter, and writes six tables -- ``items``, ``plans``, ``draws``,
``annual_plans`` (one row per task of every round, and one per excluded unit,
with the reasons), ``results`` (with each result's findings) and ``exposures``
(TJ-7 「对隐瞒不报或整改不到位的重大事故隐患公开曝光」: one row per live result
finding a concealed or unremedied major accident hazard, with the clause, the
result record and its date) -- as CSV and JSON, plus HTML pages. Every file
carries the checkpoint (journal size and Merkle root) it was made from, so a
reader can check the publication against the journal and its published
checkpoints.

The stages, one module each: :mod:`~drawcore.publish.tables` (records to rows,
masked by :mod:`~drawcore.publish.masking`, checked by the independent
:mod:`~drawcore.publish.scan`), :mod:`~drawcore.publish.exports` (the files) and
:mod:`~drawcore.publish.files` (the folder, written whole or not at all).

Privacy and commercial secrets (BL-8, TJ-6 "the manner and scope of publication
are adjusted"): every published text passes through ``mask(field, value, unit)``
-- the jurisdiction's plugin hook (:meth:`drawcore.plugin.rules.Rules.mask`) when
given -- then :func:`default_mask`, the unit's personal names in free text, and
:func:`scrub` (any number that may be a phone or ID-card number, however it is
written); ``withhold`` replaces the fields a plugin marks as commercial secret
with :data:`WITHHELD`. Officials' names (who drew, signed, entered a result) are
published: naming them is the point of 谁抽查、谁签字、谁负责 (TJ-9). Quarters are
decided on each timestamp's own local date (as written, with its offset).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Collection
from pathlib import Path

from drawcore.errors import InvalidInputError, JournalError
from drawcore.i18n import DEFAULT, N_, msg
from drawcore.model import Unit
from drawcore.plugin.values import Reason
from drawcore.publish.exports import render_files
from drawcore.publish.files import write_folder
from drawcore.publish.masking import Masker, default_mask, scrub
from drawcore.publish.scan import find_personal_data
from drawcore.publish.tables import (
    EXPOSED_FINDINGS,
    TABLES,
    WITHHELD,
    Publication,
    build_publication,
    check_quarter,
    quarter_of,
)
from drawcore.record.checkpoints import Checkpoint
from drawcore.record.journal import Journal
from drawcore.record.journal_check import verify
from drawcore.record.seeding import ANNUAL_PLAN, DRAW
from drawcore.registry.registries import ItemList

log = logging.getLogger(__name__)

__all__ = [
    "EXPOSED_FINDINGS",
    "TABLES",
    "WITHHELD",
    "Masker",
    "Publication",
    "build_publication",
    "default_mask",
    "find_personal_data",
    "publish",
    "quarter_of",
    "scrub",
    "write_publication",
]


def write_publication(
    pub: Publication,
    out_dir: str | os.PathLike[str],
    *,
    lang: str = DEFAULT,
    journal_name: str = "journal.jsonl",
) -> list[Path]:
    """Write the publication's files into ``out_dir`` in ``lang``, whole or not at all."""
    return write_folder(render_files(pub, lang, journal_name), out_dir)


def _in(reason_text: Callable[[Reason, str], str], lang: str, reason: Reason) -> str:
    return reason_text(reason, lang)


def publish(
    journal_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    quarter: str | None = None,
    registry_dir: str | os.PathLike[str] | None = None,
    items: ItemList | None = None,
    mask: Masker | None = None,
    withhold: Collection[str] | Callable[[str], bool] = (),
    lang: str = DEFAULT,
    reason_text: Callable[[Reason, str], str] | None = None,
) -> list[Path]:
    """Publish one quarter of a journal to ``out_dir`` in ``lang`` (Chinese unless
    ``"en"``); the journal must verify first. ``reason_text(reason, lang)`` shows the
    plans' reasons in ``lang`` (``Rules.reason_text``).

    Unit names and the item list come from the registry snapshots the draw
    plans name (under ``registry_dir``, default the journal's directory),
    checked by fingerprint; ``items`` overrides the item list.
    """
    from drawcore.record.annual import YearPlanSpec
    from drawcore.record.draw_plans import DrawPlan
    from drawcore.record.records import DrawRecord
    from drawcore.record.snapshots import load_units, resolve
    from drawcore.registry.readers import read_items

    check_quarter(quarter)
    log.info(N_("verifying %s before publishing"), os.fspath(journal_path))
    report = verify(journal_path)
    if not report.ok:
        raise JournalError(
            msg(
                "{journal_path} does not verify; not publishing:\n{findings}",
                journal_path=os.fspath(journal_path),
                findings=report.format(),
            )
        )
    records = Journal(journal_path).records()
    base = Path(registry_dir) if registry_dir is not None else Path(journal_path).parent
    units: dict[str, Unit] = {}
    loaded_refs: set[tuple[str, str]] = set()
    item_list = items
    for r in records:
        if r.type not in (DRAW, ANNUAL_PLAN):
            continue
        if r.type == ANNUAL_PLAN:
            plan: DrawPlan | YearPlanSpec = YearPlanSpec.from_body(r.body["plan"])
        else:
            plan = DrawRecord.from_body(r.body).plan
        if (plan.units.path, plan.units.fingerprint) not in loaded_refs:
            loaded_refs.add((plan.units.path, plan.units.fingerprint))
            units.update((u.unit_id, u) for u in load_units(plan.units, base))
        if items is None and plan.items is not None:
            path = resolve(plan.items, base)
            loaded = read_items(path)
            if loaded.fingerprint != plan.items.fingerprint:
                raise InvalidInputError(
                    msg(
                        "item list {path} has fingerprint {fingerprint}, the plan names {named}",
                        path=path,
                        fingerprint=loaded.fingerprint,
                        named=plan.items.fingerprint,
                    )
                )
            item_list = loaded
    checkpoint = Checkpoint(report.records, report.root)
    log.info(N_("building the publication of %s from %d records"), quarter or "all", report.records)
    pub = build_publication(
        records,
        checkpoint,
        quarter=quarter,
        units=units.values(),
        items=item_list if item_list is not None else (),
        mask=mask,
        withhold=withhold,
        reason_text=None if reason_text is None else functools.partial(_in, reason_text, lang),
    )
    log.info(N_("writing %s"), os.fspath(out_dir))
    return write_publication(pub, out_dir, lang=lang, journal_name=Path(journal_path).name)
