"""The wheel as a user installs it: the demo runs from any folder; extras name what they bring."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COUNTY_FILES = ("units.csv", "inspectors.csv", "experts.csv", "items.csv")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("drawcore-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_holds_the_example_county(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in COUNTY_FILES:
        packaged = f"drawcore/examples/county/{name}"
        assert packaged in names
        assert (
            zipfile.ZipFile(wheel).read(packaged) == (ROOT / "examples/county" / name).read_bytes()
        )


@pytest.mark.slow
def test_an_installed_wheel_runs_the_demo_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(venv / "bin" / "drawcore"), "demo", "--out", "out"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert str(ROOT) not in done.stdout  # the county came from the installed package
    assert (elsewhere / "out" / "journal.jsonl").stat().st_size > 0
    assert (elsewhere / "out" / "public" / "2026Q1" / "checkpoint.json").exists()


def test_the_testing_extra_brings_hypothesis() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    testing = project["optional-dependencies"]["testing"]
    assert any(req.split(">")[0].strip() == "hypothesis" for req in testing)
    assert any(req.startswith("python-calamine>=") for req in project["dependencies"])
