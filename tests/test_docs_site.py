"""The documentation site: every page is in the navigation, every API page names real modules."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: Pages kept out of the site's navigation on purpose (none today).
NOT_IN_NAV: set[str] = set()


def nav_pages() -> set[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text.split("\nnav:\n", 1)[1]
    return set(re.findall(r":\s*([\w/.-]+\.md)\s*$", nav, flags=re.MULTILINE))


def test_every_docs_page_is_in_the_site_navigation() -> None:
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert pages - NOT_IN_NAV == nav_pages()


def test_the_api_pages_document_modules_that_import() -> None:
    named = []
    for page in (DOCS / "api").glob("*.md"):
        named += re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
    assert "drawcore.registry.readers" in named
    for module in named:
        importlib.import_module(module)


def test_the_site_is_built_strictly_in_ci() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "name: material" in config
    assert "mkdocstrings" in config
    assert "mkdocs build --strict" in (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make docs" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
