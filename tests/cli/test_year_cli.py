"""``drawcore demo --jurisdiction`` (an annual plan through the ceremony) and
``drawcore draw --jurisdiction`` (a draw under a jurisdiction's rules)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from ceremony_site import DRAW_TIMES

from drawcore.cli import main
from drawcore.publish.scan import find_personal_data
from drawcore.record.annual_compact import plan_json
from drawcore.record.journal import Journal

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "county"
JURISDICTIONS = ["boluo", "tianjin"]
CLAUSES = {"boluo": ("BL-3", "BL-6"), "tianjin": ("TJ-5", "TJ-7")}


@pytest.fixture(scope="module", params=JURISDICTIONS)
def year_demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, str]:
    jurisdiction: str = request.param
    out = tmp_path_factory.mktemp(f"year-{jurisdiction}")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        status = main(["demo", "--jurisdiction", jurisdiction, "--out", str(out), "--lang", "en"])
    assert status == 0
    return jurisdiction, out, buf.getvalue()


def test_tj5_bl6_demo_plans_a_year_and_prints_rounds_with_reasons(
    year_demo: tuple[str, Path, str],
) -> None:
    jurisdiction, out, printed = year_demo
    for heading in ("Annual plan 2026", "Mandatory", "Key supervision", "Excluded:", "Round 4"):
        assert heading in printed
    for clause in CLAUSES[jurisdiction]:
        assert f"{clause} [{jurisdiction}]" in printed
    assert "== commit: record 0" in printed
    assert "== seed: record 1, RFC 3797 key 3.11.17.22.28.31./9./742./" in printed
    assert len(printed.splitlines()) < 120  # rows are limited
    types = [r.type for r in Journal(out / "journal.jsonl").records()]
    assert types == ["plan_commitment", "seed", "annual_plan"]


def test_tj8_verify_passes_on_the_demo_year_journal(
    year_demo: tuple[str, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = year_demo
    journal, cps = out / "journal.jsonl", out / "checkpoints.jsonl"
    assert main(["verify", str(journal), "--checkpoint", str(cps)]) == 0
    assert ": OK" in capsys.readouterr().out


def test_tj8_verify_fails_on_a_tampered_copy_of_the_demo_year_journal(
    year_demo: tuple[str, Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = year_demo
    lines = (out / "journal.jsonl").read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"seed_method":"', b'"seed_method":"x', 1)
    copy = tmp_path / "journal.jsonl"
    copy.write_bytes(b"\n".join(lines))
    args = ["verify", str(copy), "--registry-dir", str(out)]
    assert main([*args, "--checkpoint", str(out / "checkpoints.jsonl")]) == 1
    captured = capsys.readouterr()
    assert "record 2" in captured.out
    assert captured.err.startswith("drawcore: verify failed")


def test_tj8_verify_fails_when_an_annual_plan_no_longer_replays(
    year_demo: tuple[str, Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = year_demo
    shutil.copytree(out / "registries", tmp_path / "registries")
    items = tmp_path / "registries" / "items.csv"
    items.write_text(items.read_text(encoding="utf-8").replace("安全", "安全 ", 1), "utf-8")
    journal = out / "journal.jsonl"
    assert main(["verify", str(journal), "--registry-dir", str(tmp_path)]) == 1
    assert "record 2: replay" in capsys.readouterr().out
    assert main(["verify", str(journal), "--registry-dir", str(tmp_path), "--no-replay"]) == 0


def test_bl8_demo_year_publication_has_annual_plans_and_no_personal_data(
    year_demo: tuple[str, Path, str],
) -> None:
    jurisdiction, out, _ = year_demo
    public = out / "public" / "2026Q1"
    doc = json.loads((public / "annual_plans.json").read_text(encoding="utf-8"))
    assert doc["rows"]
    assert {r["jurisdiction"] for r in doc["rows"]} == {jurisdiction}
    for f in public.iterdir():
        assert find_personal_data(f.read_text(encoding="utf-8")) == [], f.name


def test_demo_with_an_unknown_jurisdiction_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--jurisdiction", "atlantis", "--out", str(tmp_path)]) == 2
    assert "no plugin claims jurisdiction 'atlantis'" in capsys.readouterr().err
    assert not (tmp_path / "journal.jsonl").exists()


# -- drawcore draw --jurisdiction -----------------------------------------------------------

TIMES = DRAW_TIMES


@pytest.fixture
def registries(tmp_path: Path) -> Path:
    for name in ("units", "inspectors"):
        shutil.copyfile(EXAMPLE / f"{name}.csv", tmp_path / f"{name}.csv")
    return tmp_path


def draw_args(d: Path, *extra: str) -> list[str]:
    return [
        "draw",
        str(d / "journal.jsonl"),
        "--units",
        str(d / "units.csv"),
        "--inspectors",
        str(d / "inspectors.csv"),
        "--plan-id",
        "2026Q1-rules",
        "--size",
        "60",
        *extra,
    ]


def test_bl3_bl5_draw_with_jurisdiction_applies_and_records_the_rules(
    registries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = registries
    assert main(draw_args(d, "--jurisdiction", "boluo", *TIMES)) == 0
    printed = capsys.readouterr().out
    assert "rules of boluo (boluo 0.1.0, drawcore-national 0.1.0)" in printed
    assert "BL-3 [boluo]" in printed
    body = Journal(d / "journal.jsonl").records()[2].body
    plan = body["plan"]
    assert plan["jurisdiction"] == "boluo"
    assert plan["rules"] == [["boluo", "0.1.0"], ["drawcore-national", "0.1.0"]]
    assert plan["rules_context"]["year"] == 2026
    excluded = {u for u, kind, why in plan["reasons"] if kind == "excluded" and "BL-3" in why}
    assert excluded
    assert excluded <= set(plan["excluded"])
    assert not excluded & {u["unit_id"] for u in body["units"]}
    recused = {(c["inspector_id"], c["unit_id"]) for c in plan["conflicts"]}
    assert recused
    for a in body["teams"]["assignments"]:
        assert not {(m, a["unit_id"]) for m in a["members"]} & recused
    assert main(["verify", str(d / "journal.jsonl")]) == 0


def test_tj5_draw_with_include_mandatory_draws_every_must_once_unit(
    registries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = registries
    args = draw_args(d, "--jurisdiction", "tianjin", "--include-mandatory", *TIMES)
    args[args.index("--size") + 1] = "900"
    assert main(args) == 0
    body = Journal(d / "journal.jsonl").records()[2].body
    must = {u for u, kind, _ in body["plan"]["reasons"] if kind == "mandatory"}
    mandatory = set(body["plan"]["mandatory"])
    assert mandatory
    assert mandatory <= must
    assert mandatory <= {u["unit_id"] for u in body["units"]}
    assert not mandatory & set(body["plan"]["excluded"])
    assert main(["verify", str(d / "journal.jsonl")]) == 0
    capsys.readouterr()


def test_tj5_draw_with_too_many_must_once_units_fails_and_writes_nothing(
    registries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = registries
    assert main(draw_args(d, "--jurisdiction", "tianjin", "--include-mandatory", *TIMES)) == 2
    assert "error:" in capsys.readouterr().err
    journal = d / "journal.jsonl"
    assert not journal.exists() or Journal(journal).size == 0


def test_draw_with_jurisdiction_needs_a_year(
    registries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = registries
    assert main(draw_args(d, "--jurisdiction", "boluo")) == 2
    assert "--jurisdiction needs --year" in capsys.readouterr().err
    assert main(draw_args(d, "--jurisdiction", "atlantis", "--year", "2026")) == 2
    assert "atlantis" in capsys.readouterr().err


def test_demo_year_on_a_county_where_every_unit_is_planned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a small county the year plans every unit; the demo's forged copy then moves a
    drawn task onto another planned unit, and verify still refuses it (no crash)."""
    county = tmp_path / "county"
    county.mkdir()
    for name in ("inspectors.csv", "experts.csv", "items.csv"):
        shutil.copy(EXAMPLE / name, county / name)
    lines = (EXAMPLE / "units.csv").read_text(encoding="utf-8").splitlines()
    (county / "units.csv").write_text("\n".join(lines[:401]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    status = main(
        [
            "demo",
            "--county",
            str(county),
            "--jurisdiction",
            "tianjin",
            "--out",
            str(out),
            "--lang",
            "en",
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert "== verify a forged copy (one drawn unit swapped, every hash recomputed): FAILED" in (
        printed
    )
    body = next(r.body for r in Journal(out / "journal.jsonl").records() if r.type == "annual_plan")
    planned = {t["unit_id"] for rd in plan_json(body)["rounds"] for t in rd["tasks"]}
    assert len(planned) == 400
