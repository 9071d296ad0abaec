"""Fixtures of the fault-injection tests: a small county on disk and a plan drawn on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ceremony_site import EXAMPLE

from drawcore.registry.readers import read_county, read_inspectors, read_units
from drawcore.registry.registries import County, UnitRegistry
from drawcore.registry.writers import write_inspectors, write_units


@pytest.fixture(scope="module")
def fault_county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, County]:
    """200 units of the example county and all its staff, on disk."""
    full = read_county(EXAMPLE)
    d = tmp_path_factory.mktemp("fault-county")
    write_units(UnitRegistry.from_records(list(full.units)[:200]), d / "units.csv")
    write_inspectors(full.inspectors, d / "inspectors.csv")
    county = County(
        units=read_units(d / "units.csv"),
        inspectors=read_inspectors(d / "inspectors.csv"),
        experts=full.experts,
        items=full.items,
    )
    return d, county


@pytest.fixture
def fault_site(tmp_path: Path, fault_county: tuple[Path, County]) -> tuple[Path, County]:
    src, county = fault_county
    shutil.copytree(src, tmp_path / "registries")
    return tmp_path, county
