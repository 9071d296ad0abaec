"""``drawcore draw --strata`` (BL-5) and ``--experts`` with ``--jurisdiction`` (TJ-8)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from ceremony_site import DRAW_TIMES

from drawcore.cli import main
from drawcore.draw.strata import allocate_proportional
from drawcore.record.journal import Journal
from drawcore.record.records import stratum_labels
from drawcore.registry.readers import read_county

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "county"

TIMES = DRAW_TIMES


@pytest.fixture
def registries(tmp_path: Path) -> Path:
    for name in ("units", "inspectors", "experts"):
        shutil.copyfile(EXAMPLE / f"{name}.csv", tmp_path / f"{name}.csv")
    return tmp_path


def draw_args(d: Path, *extra: str, size: int = 60) -> list[str]:
    return [
        "draw",
        str(d / "journal.jsonl"),
        "--units",
        str(d / "units.csv"),
        "--inspectors",
        str(d / "inspectors.csv"),
        "--plan-id",
        "2026Q1-extras",
        "--size",
        str(size),
        *extra,
        *TIMES,
    ]


def test_bl5_stratified_draw_records_proportional_sizes_and_verifies(
    registries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = registries
    assert main(draw_args(d, "--strata", "township")) == 0
    assert "strata by township (proportional):" in capsys.readouterr().out
    body = Journal(d / "journal.jsonl").records()[2].body
    county = read_county(EXAMPLE)
    labels = stratum_labels(county.units, "township")
    expected = allocate_proportional(dict(Counter(labels)), 60)
    assert body["plan"]["strata_field"] == "township"
    assert body["plan"]["allocation"] == "proportional"
    assert dict(body["plan"]["stratum_sizes"]) == expected
    by_id = dict(zip(county.units.ids.tolist(), labels, strict=True))
    drawn = Counter(by_id[u["unit_id"]] for u in body["units"])
    assert dict(drawn) == {k: n for k, n in expected.items() if n}
    assert main(["verify", str(d / "journal.jsonl")]) == 0


def test_bl5_tampered_stratum_size_fails_verify(
    registries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = registries
    assert main(draw_args(d, "--strata", "risk_level")) == 0
    path = d / "journal.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[2])
    sizes = record["body"]["plan"]["stratum_sizes"]
    sizes[0][1] += 1
    sizes[1][1] -= 1
    lines[2] = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(path)]) != 0
    assert "record 2" in capsys.readouterr().out


def test_bl5_unknown_strata_field_exits_2_and_writes_nothing(
    registries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = registries
    assert main(draw_args(d, "--strata", "risk_weight")) == 2
    assert "cannot stratify by 'risk_weight'" in capsys.readouterr().err
    journal = d / "journal.jsonl"
    assert not journal.exists() or Journal(journal).size == 0


def test_tj8_major_hazard_units_get_an_expert_under_tianjin(
    registries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = registries
    county = read_county(EXAMPLE)
    hazards = sorted(u.unit_id for u in county.units if u.major_hazard)
    args = draw_args(
        d,
        "--jurisdiction",
        "tianjin",
        "--experts",
        str(d / "experts.csv"),
        "--mandatory",
        *hazards[:12],
    )
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f"{len(hazards)} units with expertise/expert requirements" in printed
    body = Journal(d / "journal.jsonl").records()[2].body
    plan = body["plan"]
    assert plan["experts"]["fingerprint"] == county.experts.fingerprint
    assert {r["unit_id"] for r in plan["requirements"]} == set(hazards)
    active = {x.expert_id: set(x.expertise) for x in county.experts if x.active}
    needs = {r["unit_id"]: r for r in plan["requirements"]}
    teams = {a["unit_id"]: a for a in body["teams"]["assignments"]}
    drawn_hazards = [u for u in teams if u in needs]
    assert set(hazards[:12]) <= set(drawn_hazards)
    for unit_id in drawn_hazards:
        (expert,) = teams[unit_id]["experts"]
        want = needs[unit_id]["expert_expertise"]
        assert want is None or want in active[expert]
    assert not any(teams[u]["experts"] for u in teams if u not in needs)
    assert main(["verify", str(d / "journal.jsonl")]) == 0


def test_tj8_missing_experts_file_exits_2_and_writes_nothing(
    registries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = registries
    missing = d / "no-such-experts.csv"
    assert main(draw_args(d, "--jurisdiction", "tianjin", "--experts", str(missing))) == 2
    assert "error:" in capsys.readouterr().err
    journal = d / "journal.jsonl"
    assert not journal.exists() or Journal(journal).size == 0
