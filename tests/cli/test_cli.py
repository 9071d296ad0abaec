"""The ``drawcore`` command line: validate, demo, --help, exit statuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from drawcore.cli import COMMANDS, main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "county"
HEADER = "unit_id,name,subject_type,industry,township,risk_weight"
GOOD = "91310110666007217T,宏盛化工,有限责任公司,危险化学品,石湾镇,4"


def test_validate_a_good_file_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLES / "units.csv")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{EXAMPLES / 'units.csv'}: valid\nunit registry: ")
    assert "fingerprint: " in out
    assert "blacklisted: " in out


@pytest.mark.parametrize("kind", ["units", "inspectors", "experts", "items"])
def test_validate_guesses_the_kind_from_the_file_name(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(EXAMPLES / f"{kind}.csv")]) == 0
    assert ": valid" in capsys.readouterr().out


def test_validate_guesses_the_kind_from_the_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert "unit registry: 1 records" in capsys.readouterr().out
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["validate", str(other)]) == 2
    assert "pass --kind" in capsys.readouterr().err


BAD_FILES = {
    "wrong USCC check": (f"{HEADER}\n{GOOD[:17]}A{GOOD[18:]}\n", "wrong USCC check character"),
    "duplicate ids": (f"{HEADER}\n{GOOD}\n{GOOD}\n", "duplicate id"),
    "missing column": ("name,subject_type\na,b\n", "required column is missing"),
    "empty field": (f"{HEADER}\n{GOOD.replace('石湾镇', '')}\n", "required field is empty"),
    "unknown column": (f"{HEADER},colour\n{GOOD},red\n", "unknown column"),
    "negative weight": (f"{HEADER}\n{GOOD[:-1]}-4\n", "must be a number >= 0"),
    "truncated": (f"{HEADER}\n{GOOD[:30]}", "truncated"),
    "empty": ("", "file is empty"),
    "bad date": (
        f"{HEADER},last_inspected\n{GOOD},2018-13-01\n",
        "field 'last_inspected': not a calendar date",
    ),
    "wrong ID checksum": (
        f"{HEADER},id_kind\n110105194912310021{GOOD[18:]},id_card\n",
        "wrong ID-card check character",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_validate_a_bad_file_exits_2_with_a_one_line_reason(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, fragment = BAD_FILES[case]
    path = tmp_path / "units.csv"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    first = captured.err.splitlines()[0]
    assert first.startswith(("drawcore: error: ", "drawcore: 错误 / error: "))
    assert str(path) in first
    assert fragment in first


def test_validate_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [GOOD[:17] + "A" + GOOD[18:], GOOD.replace("石湾镇", ""), GOOD.replace(",4", ",-1")]
    path = tmp_path / "units.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    assert main(["validate", "--kind", "units", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[1] in ("4 problem(s):", "共 4 个问题：")
    assert [line.split(": ", 2)[1] for line in err[2:]] == [
        "row 1 (line 2), field 'unit_id'",
        "row 2 (line 3), field 'township'",
        "row 3 (line 4), field 'risk_weight'",
        "row 3 (line 4), field 'unit_id'",
    ]


def test_validate_with_encoding_and_unknown_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(f"{HEADER},备注\n{GOOD},x\n".encode("gb18030"))
    assert main(["validate", str(path), "--encoding", "gb18030", "--allow-unknown-columns"]) == 0
    assert main(["validate", str(path), "--encoding", "utf-8"]) == 2
    assert "cannot decode" in capsys.readouterr().err


def test_demo_loads_and_summarises_the_example_county(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for what in ("unit registry", "inspector registry", "expert registry", "inspection item list"):
        assert f"{what}: " in out


def test_demo_with_a_missing_county(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--county", str(tmp_path / "nowhere")]) == 2
    assert "no such directory" in capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: drawcore " + command in capsys.readouterr().out


def test_no_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 64  # Exit.USAGE, apart from invalid input (2)


def test_python_dash_m_drawcore() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "drawcore", "validate", str(EXAMPLES / "items.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "inspection item list: " in done.stdout


def test_plural_kind_names_win_over_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "unit_inspectors.csv"
    path.write_text("inspector_id,name,work_unit\n1,张三,一中队\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert "inspector registry: 1 records" in capsys.readouterr().out
