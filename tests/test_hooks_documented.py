"""docs/hooks.md documents every hookspec in drawcore/plugin/spec.py, exactly as specified."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from drawcore.plugin import spec

DOC = Path(__file__).resolve().parents[1] / "docs" / "hooks.md"
HOOKS = sorted(n for n in dir(spec) if n.startswith("drawcore_"))


def sections() -> dict[str, str]:
    """Hook name -> the text of its ``### name`` section in docs/hooks.md."""
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### (\S+)\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def signature(name: str) -> str:
    return name + str(inspect.signature(getattr(spec, name))).replace("'", "")


def test_spec_has_hooks_and_all_are_marked() -> None:
    assert len(HOOKS) >= 10
    for name in HOOKS:
        assert getattr(getattr(spec, name), "drawcore_spec", None) is not None, name


def test_every_documented_section_names_a_hook() -> None:
    assert sorted(sections()) == HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_its_signature_and_combine_rule(name: str) -> None:
    section = sections().get(name)
    assert section is not None, f"{name} is missing from docs/hooks.md"
    assert f"```\n{signature(name)}\n```" in section, f"signature of {name} differs from spec.py"
    for part in ("Called:", "Returns:", "Combine:"):
        assert part in section, f"{name}: no {part!r} in docs/hooks.md"
    first = bool(getattr(spec, name).drawcore_spec["firstresult"])
    combine = section.split("Combine:", 1)[1].split(".")[0]
    assert ("firstresult" in combine) == first, f"{name}: combine rule disagrees with the spec"


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_docstring_says_when_what_and_how(name: str) -> None:
    doc = inspect.getdoc(getattr(spec, name)) or ""
    for part in ("Called:", "Returns:", "Combine:"):
        assert part in doc, f"{name}: docstring lacks {part!r}"
    first = bool(getattr(spec, name).drawcore_spec["firstresult"])
    assert ("``firstresult``" in doc.split("Combine:", 1)[1]) == first
