"""Mobile numbers of every mainland prefix are masked before publication (BL-8, TJ-6).

The registry fixtures hold 13x, 15x and 18x numbers only; these tests use 14x, 16x, 17x and
19x as well. Masked, a phone keeps its first 3 and last 4 digits (the module docstring of
:mod:`drawcore.publish.disclosure`). Published files are checked with the independent scanner
in ``tests/personal_data.py``, which imports nothing of drawcore.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from ceremony_site import run_all
from personal_data import is_citizen_id, scan

from drawcore.publish.disclosure import publish
from drawcore.publish.masking import default_mask, scrub
from drawcore.publish.scan import find_personal_data
from drawcore.record import ceremony
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.results import InspectionResult
from drawcore.registry.registries import County

#: One number per prefix 13x .. 19x, and its masked form written by hand.
MOBILES = {
    "13800138000": "138****8000",
    "14536271809": "145****1809",
    "15012345678": "150****5678",
    "16601234567": "166****4567",
    "17788990011": "177****0011",
    "18698765432": "186****5432",
    "19955554321": "199****4321",
}


@pytest.mark.parametrize(("number", "masked"), MOBILES.items())
def test_bl8_every_mobile_prefix_is_found_and_masked_in_free_text(number: str, masked: str) -> None:
    text = f"约谈负责人，电话{number}，限期整改"
    assert find_personal_data(text) == [number]
    assert scrub(text) == f"约谈负责人，电话{masked}，限期整改"
    assert default_mask("contact", number, None) == masked


@pytest.mark.parametrize("number", MOBILES)
def test_bl8_independent_scanner_finds_every_prefix(number: str) -> None:
    assert scan(f"x{number}y") == [number]
    assert scan(f"x{MOBILES[number]}y") == []


def test_bl8_tj6_published_results_mask_14x_16x_17x_19x(
    site: tuple[Path, County],
) -> None:
    d, county = site
    plan = DrawPlan(
        plan_id="2026Q1-mobiles",
        units=RegistryRef(path="registries/units.csv", fingerprint=county.units.fingerprint),
        inspectors=RegistryRef(
            path="registries/inspectors.csv", fingerprint=county.inspectors.fingerprint
        ),
        size=5,
    )
    j = Journal(d / "journal.jsonl")
    drawn = run_all(j, plan)
    a = drawn.outcome.teams.assignments[0]
    quoted = "、".join(MOBILES)
    ceremony.record_result(
        j,
        InspectionResult(
            plan_id=plan.plan_id,
            draw=drawn.record.seq,
            unit_id=a.unit_id,
            basis=("《中华人民共和国安全生产法》",),
            scope="生产经营场所",
            content=("安全生产主体责任落实",),
            method="现场检查",
            handling_opinion=f"通知相关人员（{quoted}）到场",
            outcome="rectification_ordered",
            inspected_by=a.members,
            inspected_on=dt.date(2026, 2, 3),
            entered_by=a.members[0],
            entered_at="2026-02-03T17:00:00+08:00",
        ),
    )
    assert set(MOBILES) <= set(scan(j.path.read_text(encoding="utf-8"))), "the journal has them"
    files = publish(j.path, d / "out")
    for f in files:
        assert scan(f.read_text(encoding="utf-8")) == [], f.name
    results = (d / "out" / "results.json").read_text(encoding="utf-8")
    for masked in MOBILES.values():
        assert masked in results


def test_scanner_is_independent_of_drawcore() -> None:
    source = (Path(__file__).parents[1] / "personal_data.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert imported, "the scanner's imports were read"
    assert not {m for m in imported if m.split(".")[0] == "drawcore"}, imported


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        # the two examples of GB 11643-1999
        ("11010519491231002X", True),
        ("440524188001010014", True),
        ("11010519491231002x", True),
        ("110105194912310021", False),  # wrong check character
        ("110105194913310021", False),  # month 13, check character right
    ],
)
def test_scanner_id_check_follows_gb_11643(number: str, valid: bool) -> None:
    assert is_citizen_id(number) is valid
