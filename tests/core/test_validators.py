"""Domain validators raise InvalidInputError (a DrawcoreError the command line reports in one
line), never a bare ValueError that would escape as a traceback."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from drawcore.errors import DrawcoreError, InvalidInputError
from drawcore.plugin.values import (
    Frequency,
    RandomShareMinimum,
    Reason,
    RecentInspectionWindow,
    TeamRequirement,
    WeightFactor,
)
from drawcore.record import merkle
from drawcore.registry.ids import id_card_check_char, make_id_card, uscc_check_char
from drawcore.testing.fairness import assert_fair

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "src", *sorted((ROOT / "plugins").glob("*/src"))]


def _bare_value_errors() -> list[str]:
    found = []
    for src in SOURCES:
        for path in sorted(src.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Raise) or node.exc is None:
                    continue
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(exc, ast.Name) and exc.id == "ValueError":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_source_raises_a_bare_value_error() -> None:
    assert _bare_value_errors() == []


WHY = Reason(clause="BL-6", text="why")

BAD: dict[str, Callable[[], object]] = {
    "clause": lambda: Reason(clause="bl6", text="t"),
    "reason text": lambda: Reason(clause="BL-6", text=" "),
    "weight factor": lambda: WeightFactor(factor=float("nan"), reason=WHY),
    "frequency": lambda: Frequency(times=-1, reason=WHY),
    "recent_inspection": lambda: RecentInspectionWindow(days=-3, reason=WHY),
    "share": lambda: RandomShareMinimum(share=1.5, reason=WHY),
    "team size": lambda: TeamRequirement(size=0, reason=WHY),
    "experts": lambda: TeamRequirement(experts=-1, reason=WHY),
    "uscc body": lambda: uscc_check_char("123"),
    "uscc character": lambda: uscc_check_char("9144000012345678I"),
    "id card body": lambda: id_card_check_char("12345"),
    "id card region": lambda: make_id_card("44", dt.date(1990, 1, 1), 1),
    "merkle index": lambda: merkle.inclusion_proof([merkle.leaf_hash(b"")], 3),
    "fairness seeds": lambda: assert_fair(lambda s: ["a"], ["a", "b"], [0.5, 0.5], seeds=[]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_domain_validators_raise_invalid_input(case: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        BAD[case]()
    assert isinstance(raised.value, DrawcoreError)
    assert str(raised.value)
