"""Chinese reason texts: every reason a reader sees has a Simplified Chinese text.

The recorded reason keeps its English text (journal hashes cover it); ``Rules.reason_text``
shows it in Chinese unless the reader asked for English.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from drawcore.model import InspectionMode
from drawcore.plan.forms import format_plan
from drawcore.plan.once_a_year import CLAUSE as ONCE_A_YEAR
from drawcore.plan.once_a_year import once_a_year_reasons
from drawcore.plan.schedule import plan_year
from drawcore.plugin import PlanContext, Reason, ReasonTexts
from drawcore.plugin.rules import Rules
from drawcore.testing import synthetic_county

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def shown_reasons(jurisdiction: str) -> list[Reason]:
    """Every reason the rules give about the synthetic county's units and plan."""
    rules = Rules.for_jurisdiction(jurisdiction)
    county = synthetic_county("reason-texts", units=160)
    context = PlanContext(
        year=2019,
        rounds=4,
        start=dt.date(2019, 1, 1),
        jurisdiction=jurisdiction,
        inspector_expertise=("机械",),
        expert_expertise=("危险化学品",),
        experts=2,
    )
    d = rules.evaluate(list(county.units), context)
    found: set[Reason] = set()
    for mapping in (
        d.mandatory_reasons,
        d.exclusion_reasons,
        d.frequency_reasons,
        d.weight_reasons,
        d.team_reasons,
    ):
        for reasons in mapping.values():
            found.update(reasons)
    found.update(d.recent_inspection_reasons.values())
    for unit in county.units[:60]:
        for planned in (True, False):
            found.add(rules.inspection_mode(unit, context, planned=planned).reason)
    found.add(rules.publication_deadline(dt.date(2019, 3, 31), context).reason)
    share = rules.min_random_share(context)
    if share is not None:
        found.add(share.reason)
    return sorted(found)


@pytest.mark.parametrize("jurisdiction", ["boluo", "tianjin", None])
def test_every_reason_shown_has_a_chinese_text(jurisdiction: str | None) -> None:
    rules = Rules.for_jurisdiction(jurisdiction)
    reasons = shown_reasons(jurisdiction) if jurisdiction else []
    if jurisdiction is None:
        reasons = shown_reasons("boluo")
        reasons = [r for r in reasons if r.plugin != "boluo"]
    assert len({r.clause for r in reasons}) >= 3
    for reason in reasons:
        zh = rules.reason_text(reason, "zh_CN")
        assert CJK.search(zh), reason
        assert not LATIN_WORD.search(zh), (reason, zh)
        assert rules.reason_text(reason, "en") == reason.text


def test_tianjin_modes_and_the_general_inspection_text() -> None:
    rules = Rules.for_jurisdiction("tianjin")
    general = Reason(
        clause="TJ-5",
        plugin="tianjin",
        text="no inspector has 冶金 expertise: general inspection, unit drawn, team set by the "
        "office",
    )
    assert rules.reason_text(general, "zh_CN") == (
        "无执法检查人员具备冶金专长：一般检查，抽取检查对象，由处室确定检查组"
    )
    assert InspectionMode.GENERAL.value == "general"


def test_the_core_once_a_year_reasons_are_shown_in_chinese() -> None:
    rules = Rules.for_jurisdiction("boluo")
    county = synthetic_county("reason-nat7", units=200)
    reasons = {r for u in county.units for r in once_a_year_reasons(u, 2019)}
    assert len({r.text[:12] for r in reasons}) >= 3
    for reason in reasons:
        assert reason.clause == ONCE_A_YEAR
        zh = rules.reason_text(reason, "zh_CN")
        assert zh.startswith("每年至少检查一次："), zh
        assert not LATIN_WORD.search(zh), zh


def test_a_reason_without_a_translation_shows_its_english_text() -> None:
    rules = Rules.for_jurisdiction("boluo")
    odd = Reason(clause="BL-9", plugin="boluo", text="something the table does not know")
    assert rules.reason_text(odd, "zh_CN") == odd.text
    stranger = Reason(clause="XA-1", plugin="xian", text="major risk level")
    assert rules.reason_text(stranger, "zh_CN") == stranger.text


def test_reason_texts_fill_fields_and_words() -> None:
    texts = ReasonTexts(
        {"risk level {level}: weight x{factor}": "风险等级为{level}：抽取权重×{factor}"},
        words={"major": "重大风险"},
    )
    assert texts.translate("risk level major: weight x3.0") == "风险等级为重大风险：抽取权重×3.0"
    assert texts.translate("risk level low: weight x1.0") == "风险等级为low：抽取权重×1.0"
    assert texts.translate("risk level major") is None


def test_the_plan_listing_shows_reasons_in_the_readers_language() -> None:
    rules = Rules.for_jurisdiction("tianjin")
    county = synthetic_county("reason-listing", units=60, inspectors=12, experts=2)
    plan = plan_year(
        county.units,
        county.inspectors,
        year=2019,
        rules=rules,
        seed="listing",
        tasks_per_inspector=40,
        experts=county.experts,
        items=county.items,
    )
    english = format_plan(plan, limit=None)
    chinese = format_plan(plan, limit=None, reason_text=lambda r: rules.reason_text(r, "zh_CN"))
    assert "TJ-5 [tianjin]: high safety-risk level" in english
    assert "TJ-5 [tianjin]: 安全风险等级高" in chinese
    assert "每年至少检查一次：安全风险等级高" in chinese
    assert "high safety-risk level" not in chinese
    assert (
        format_plan(plan, limit=None, reason_text=lambda r: rules.reason_text(r, "en")) == english
    )
