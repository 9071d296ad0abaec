"""Fixtures of the ceremony tests: a small county on disk, and a fresh site holding it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ceremony_site import EXAMPLE

from drawcore.registry.readers import read_county
from drawcore.registry.registries import County, UnitRegistry
from drawcore.registry.writers import write_experts, write_inspectors, write_items, write_units


@pytest.fixture(scope="module")
def small_county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, County]:
    """300 units of the example county (persons included) and all its staff, on disk."""
    full = read_county(EXAMPLE)
    d = tmp_path_factory.mktemp("county")
    units = UnitRegistry.from_records(list(full.units)[:300])
    write_units(units, d / "units.csv")
    write_inspectors(full.inspectors, d / "inspectors.csv")
    write_experts(full.experts, d / "experts.csv")
    write_items(full.items, d / "items.csv")
    return d, read_county(d)


@pytest.fixture
def site(tmp_path: Path, small_county: tuple[Path, County]) -> tuple[Path, County]:
    """A fresh directory with a registry snapshot under ``registries/``."""
    src, county = small_county
    shutil.copytree(src, tmp_path / "registries")
    return tmp_path, county
