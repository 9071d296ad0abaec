"""The docs say what the code does: every clause traced, the README's two commands, headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drawcore.registry.headers import ENUM_LABELS, HEADER_ALIASES

ROOT = Path(__file__).resolve().parents[1]
CLAUSES = [f"BL-{i}" for i in range(1, 12)] + [f"TJ-{i}" for i in range(1, 11)]


def _rows(path: Path) -> dict[str, list[str]]:
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in CLAUSES:
            rows[cells[0]] = cells
    return rows


def test_traceability_has_a_row_for_every_clause() -> None:
    rows = _rows(ROOT / "docs" / "traceability.md")
    assert sorted(rows, key=CLAUSES.index) == CLAUSES
    for clause, cells in rows.items():
        assert len(cells) == 4, clause
        assert all(cells[1:]), f"{clause}: empty cell"


def test_traceability_names_only_test_files_that_exist() -> None:
    text = (ROOT / "docs" / "traceability.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:tests|plugins)/[\w/.-]+\.py)", text))
    assert named
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing


@pytest.mark.parametrize("clause", CLAUSES)
def test_traceability_tests_cite_their_clause(clause: str) -> None:
    """A test named in a clause's row (file::name) exists and that name is in the file."""
    cells = _rows(ROOT / "docs" / "traceability.md")[clause]
    for path, name in re.findall(r"`((?:tests|plugins)/[\w/.-]+\.py)::(\w+)`", cells[3]):
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), (path, name)


def test_readme_keeps_exactly_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set-up", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in setup.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)


def test_design_has_the_flow_and_registries_sections() -> None:
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    assert "\n## The flow and the house\n" in design
    assert "\n## Registries\n" in design


def _house_map() -> dict[str, str]:
    """The package map in design.md: package name -> the text of its entry."""
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    section = design.split("\n## The flow and the house\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```\ndrawcore/\n", 1)[1].split("```", 1)[0]
    entries: dict[str, str] = {}
    current = ""
    for line in block.splitlines():
        head = re.match(r"  (\w+)/\s", line)
        if head:
            current = head.group(1)
            entries[current] = line
        elif line.startswith("  ") and not line.startswith("   ") and current:
            current = ""
            entries["."] = entries.get(".", "") + line
        else:
            entries[current or "."] = entries.get(current or ".", "") + line
    return entries


def test_the_design_map_names_every_package_and_module_of_the_code() -> None:
    """The one-screen map in design.md matches the code: every folder of the package has an entry,
    every module of a subpackage is named in its entry, and the map names no package
    that does not exist."""
    entries = _house_map()
    src = ROOT / "src" / "drawcore"
    packages = {p.name for p in src.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert packages == set(entries) - {"."}, "packages in the code vs the map"
    for package in packages:
        modules = {m.stem for m in (src / package).glob("*.py") if m.stem != "__init__"}
        named = set(re.findall(r"\b(\w+)\b", entries[package]))
        missing = sorted(modules - named)
        assert not missing, f"{package}/: modules missing from the design map: {missing}"
    top = {m.stem for m in src.glob("*.py") if m.stem not in ("__init__", "__main__")}
    assert not sorted(top - set(re.findall(r"\b(\w+)\.py\b", entries["."])))


def test_every_header_alias_and_enum_label_is_documented() -> None:
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    for table in HEADER_ALIASES.values():
        for field, aliases in table.items():
            assert f"`{field}`" in design, field
            for alias in aliases:
                assert alias in design, alias
    for labels in ENUM_LABELS.values():
        for label, member in labels.items():
            assert f"{label} = `{member.value}`" in design, label


def test_docs_index_links_resolve() -> None:
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([\w./-]+\.md)\)", index)
    assert links
    assert all((ROOT / "docs" / link).exists() for link in links), links


def test_readme_python_examples_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ```python block of the README runs as written, from the repository root."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "the README shows the library in Python"
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert "Round 1" in capsys.readouterr().out


def test_every_module_reference_in_the_traceability_table_resolves() -> None:
    """Each dotted reference in the Module(s) column (``record.year_ceremony.draw_year``,
    ``registry.registries.ItemList``, ...) names a module or attribute that exists."""
    import importlib

    text = (ROOT / "docs" / "traceability.md").read_text(encoding="utf-8")
    packages = {p.name for p in (ROOT / "src" / "drawcore").iterdir()} | {"model", "serde"}
    checked = 0
    for line in text.splitlines():
        cols = line.split(" | ")
        if not line.startswith("| ") or line.startswith("| Clause") or len(cols) < 3:
            continue
        for token in re.findall(r"`([a-z_]+(?:\.\w+)+)", cols[2]):
            head = token.split(".")[0]
            if head not in packages and f"{head}.py" not in packages:
                continue
            parts = token.split(".")
            for i in range(len(parts), 0, -1):
                try:
                    obj: object = importlib.import_module("drawcore." + ".".join(parts[:i]))
                except ImportError:
                    continue
                for attr in parts[i:]:
                    assert hasattr(obj, attr), f"traceability names {token}: no {attr}"
                    obj = getattr(obj, attr)
                break
            else:
                raise AssertionError(f"traceability names {token}: no such module")
            checked += 1
    assert checked > 30
