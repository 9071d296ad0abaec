"""Hostile and careless registry files: special files, sizes, nesting, hidden characters.

Every case ends in a typed :class:`InvalidInputError` that names what and where, quickly
and with a short message; none hangs, exhausts memory or prints megabytes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore import InvalidInputError
from drawcore.cli.main import main
from drawcore.i18n import render
from drawcore.registry.idcolumns import uscc_bad
from drawcore.registry.ids import make_uscc, uscc_problem
from drawcore.registry.limits import FORBIDDEN, ReadLimits
from drawcore.registry.readers import read_inspectors, read_registry, read_units
from drawcore.registry.registries import UnitRegistry

HEADER = "unit_id,name,subject_type,industry,township"
USCC = ["91310110666007217T", "91350500676532779B"]


def units_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def good_row(uscc: str = USCC[0], name: str = "宏盛化工") -> str:
    return f"{uscc},{name},有限责任公司,危险化学品,石湾镇"


# -- special files ----------------------------------------------------------------------------


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "units.csv"
    os.mkfifo(fifo)
    result: list[BaseException | None] = []

    def read() -> None:
        try:
            read_units(fifo)
            result.append(None)
        except BaseException as exc:
            result.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # unblock the reader so the test run can end, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    (error,) = result
    assert isinstance(error, InvalidInputError)
    assert "not a regular file (a FIFO)" in str(error)


@pytest.mark.parametrize(
    ("path", "what"), [("/dev/zero", "character device"), ("/dev/null", "character device")]
)
def test_a_device_is_refused_before_a_byte_is_read(path: str, what: str) -> None:
    with pytest.raises(InvalidInputError, match=f"not a regular file.*{what}"):
        read_units(path)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"not a regular file \(a directory\)"):
        read_units(tmp_path)


def test_a_symlink_to_a_regular_file_is_read(tmp_path: Path) -> None:
    target = units_csv(tmp_path / "u.csv", [good_row()])
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert len(read_units(link)) == 1


# -- bounded reads ----------------------------------------------------------------------------


def test_a_file_above_the_byte_limit_is_refused(tmp_path: Path) -> None:
    path = units_csv(tmp_path / "u.csv", [good_row()])
    size = path.stat().st_size
    assert len(read_units(path, limits=ReadLimits(max_bytes=size))) == 1
    with pytest.raises(
        InvalidInputError, match=r"larger than the limit of \d+ bytes \(ReadLimits.max_bytes\)"
    ):
        read_units(path, limits=ReadLimits(max_bytes=size - 1))


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_the_byte_limit_holds_when_the_size_on_disk_says_zero() -> None:
    """/proc files are regular files of size 0 that hold more: the read itself is bounded."""
    assert Path("/proc/self/maps").stat().st_size == 0
    with pytest.raises(InvalidInputError, match="larger than the limit of 10 bytes"):
        read_units("/proc/self/maps", limits=ReadLimits(max_bytes=10))


@pytest.mark.parametrize("quoted", [False, True])
def test_rows_above_the_row_limit_are_refused(tmp_path: Path, quoted: bool) -> None:
    ids = [make_uscc(f"91310110{n:09d}") for n in range(5)]
    rows = [good_row(i, '"甲"' if quoted else "甲") for i in ids]
    path = units_csv(tmp_path / "u.csv", rows)
    assert len(read_units(path, limits=ReadLimits(max_rows=5))) == 5
    with pytest.raises(InvalidInputError, match=r"more rows than the limit 4 \(ReadLimits"):
        read_units(path, limits=ReadLimits(max_rows=4))


def test_a_million_columns_give_one_short_error(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n" + "x," * 999_999 + "x\n")
    with pytest.raises(InvalidInputError) as err:
        read_units(path)
    assert "more columns than the limit 256 (ReadLimits.max_columns)" in str(err.value)
    assert sum(map(len, err.value.problems)) < 1000


def test_the_problems_listed_are_capped_then_counted(tmp_path: Path) -> None:
    rows = [good_row(make_uscc(f"91310110{n:09d}"), name="") for n in range(1000)]
    path = units_csv(tmp_path / "u.csv", rows)
    with pytest.raises(InvalidInputError) as err:
        read_units(path, limits=ReadLimits(max_problems=10))
    problems = err.value.problems
    assert len(problems) == 11
    assert all("field 'name': required field is empty" in p for p in problems[:10])
    assert "990 more problems not listed (ReadLimits.max_problems = 10)" in problems[10]
    assert "(and 999 more)" in str(err.value)


def test_validate_prints_a_bounded_answer_for_a_file_of_bad_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"{n},x" for n in range(100_000)]
    path = units_csv(tmp_path / "units.csv", rows, header="unit_id,colour")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err) < 20_000
    assert "Traceback" not in err


@pytest.mark.parametrize("quoted", [False, True])
def test_the_field_limit_is_the_same_quoted_or_not(tmp_path: Path, quoted: bool) -> None:
    limit = 50
    for length, ok in ((limit, True), (limit + 1, False)):
        name = "名" * length
        path = units_csv(tmp_path / "u.csv", [good_row(name=f'"{name}"' if quoted else name)])
        if ok:
            assert read_units(path, limits=ReadLimits(max_field_chars=limit))
        else:
            with pytest.raises(InvalidInputError) as err:
                read_units(path, limits=ReadLimits(max_field_chars=limit))
            assert str(err.value) == (
                f"{path}: line 2: a field is longer than {limit} "
                "characters (ReadLimits.max_field_chars); is a quote unbalanced?"
            )
            assert render(err.value.args[0], "zh_CN") == (
                f"{path}：第 2 行：有字段超过 {limit} 个字符（ReadLimits.max_field_chars）；"
                "是否有引号未配对？"
            )


def test_the_default_field_limit_holds_on_both_paths(tmp_path: Path) -> None:
    big = "x" * 131_073
    for name in (big, f'"{big}"'):
        path = units_csv(tmp_path / "u.csv", [good_row(name=name)])
        with pytest.raises(InvalidInputError, match="longer than 131072 characters"):
            read_units(path)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_limits_must_be_positive_integers(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="max_rows"):
        ReadLimits(max_rows=bad)  # type: ignore[arg-type]


# -- JSON -------------------------------------------------------------------------------------


def test_100000_nested_brackets_are_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "units.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InvalidInputError, match="JSON nested 100000 deep, more than the limit 32"):
        read_units(path)


def test_json_nesting_counts_brackets_outside_strings_only(tmp_path: Path) -> None:
    record = {"unit_id": USCC[0], "name": "[[[[{{{{" * 10, "subject_type": "有限责任公司"}
    record |= {"industry": ["危险化学品"], "township": "石湾镇"}
    path = tmp_path / "units.json"
    path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    assert len(read_units(path, limits=ReadLimits(max_json_depth=3))) == 1
    with pytest.raises(InvalidInputError, match="JSON nested 3 deep"):
        read_units(path, limits=ReadLimits(max_json_depth=2))


def json_units(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def record_text(uscc: str, extra: str = "") -> str:
    return (
        f'{{"unit_id": "{uscc}", "name": "甲", "subject_type": "公司", "industry": "机械", '
        f'"township": "石湾镇"{extra}}}'
    )


def test_an_unknown_json_key_names_its_record(tmp_path: Path) -> None:
    second = record_text(USCC[1], ', "colour": "red"')
    text = f"[{record_text(USCC[0])}, {second}]"
    with pytest.raises(InvalidInputError) as err:
        read_units(json_units(tmp_path / "u.json", text))
    (problem,) = err.value.problems
    assert problem.startswith(f"{tmp_path / 'u.json'}: record 2, field 'colour': unknown key")


def test_a_duplicate_json_key_is_refused(tmp_path: Path) -> None:
    second = record_text(USCC[1], ', "name": "乙"')
    text = f"[{record_text(USCC[0])}, {second}]"
    with pytest.raises(InvalidInputError) as err:
        read_units(json_units(tmp_path / "u.json", text))
    assert err.value.problems == (
        f"{tmp_path / 'u.json'}: record 2, field 'name': "
        "the key appears more than once in this record",
    )
    assert render(err.value.problems[0], "zh_CN") == (
        f"{tmp_path / 'u.json'}：第 2 条记录，字段 'name'：该记录中此键出现了不止一次"
    )


# -- hidden characters ------------------------------------------------------------------------

CONTROLS = [*map(chr, [0, 7, 8, 0x0B, 0x0C, 0x1B, 0x7F, 0x85, 0x9B])]
BIDI = [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]


@pytest.mark.parametrize("char", CONTROLS + BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_control_and_bidi_characters_are_refused_with_file_row_and_field(
    tmp_path: Path, char: str
) -> None:
    path = units_csv(tmp_path / "u.csv", [good_row(), good_row(USCC[1], f"鑫达{char}五金厂")])
    with pytest.raises(InvalidInputError) as err:
        read_units(path)
    (problem,) = err.value.problems
    assert problem.startswith(f"{path}: row 2 (line 3), field 'name': contains the ")
    assert f"U+{ord(char):04X}" in problem
    assert "at character 3" in problem
    assert f"：含有{'双向' if ord(char) > 0x2000 else ''}控制字符 U+" in render(problem, "zh_CN")


def test_hidden_characters_are_refused_in_tags_and_json_too(tmp_path: Path) -> None:
    path = tmp_path / "i.csv"
    path.write_text("执法证号,姓名,工作单位,业务专长\nA1,张三,应急局,危化;\u202e机械\n")
    with pytest.raises(InvalidInputError, match=r"column '业务专长' \(field 'expertise'\)"):
        read_inspectors(path)
    text = f"[{record_text(USCC[0])}]".replace('"甲"', '"甲\\u001b[31m"')
    with pytest.raises(InvalidInputError, match=r"record 1, field 'name': contains the control"):
        read_units(json_units(tmp_path / "u.json", text))


def test_tab_line_breaks_and_chinese_punctuation_are_allowed(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(f'{HEADER}\n{USCC[0]},"宏盛\t化工（东厂）\n二号楼",有限责任公司,化工,石湾镇\n')
    assert read_units(path)[USCC[0]].name == "宏盛\t化工（东厂）\n二号楼"


@given(st.text(min_size=1, max_size=30))
def test_a_name_is_refused_exactly_when_it_holds_a_forbidden_character(name: str) -> None:
    columns = {
        "unit_id": [USCC[0]],
        "name": [name],
        "subject_type": ["公司"],
        "industry": ["机械"],
        "township": ["石湾镇"],
    }
    forbidden = any(
        (ord(c) < 32 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F or c in BIDI for c in name
    )
    problems = UnitRegistry.check_columns(columns)[1]
    refused = any(p.field == "name" and "U+" in p.message for p in problems)
    assert refused == forbidden
    assert bool(FORBIDDEN.search(name)) == forbidden


# -- ids, years -------------------------------------------------------------------------------


@given(st.sampled_from(USCC), st.text(alphabet="\x00 \t", min_size=1, max_size=3))
def test_the_vectorised_id_check_refuses_what_the_scalar_check_refuses(
    uscc: str, tail: str
) -> None:
    code = uscc + tail
    assert uscc_problem(code) is not None
    assert uscc_bad(np.array([code], dtype=object)).tolist() == [True]
    assert uscc_bad([code]).tolist() == [True]


def test_a_trailing_nul_on_a_unit_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as err:
        UnitRegistry(
            {
                "unit_id": [USCC[0] + "\x00"],
                "name": ["甲"],
                "subject_type": ["公司"],
                "industry": ["机械"],
                "township": ["石湾镇"],
            }
        )
    fields = [p.split(", field ")[1].split(":")[0] for p in err.value.problems]
    assert fields.count("'unit_id'") == 2  # the control character, and the id check itself


def test_a_fatal_accident_year_in_the_future_is_refused(tmp_path: Path) -> None:
    path = units_csv(tmp_path / "u.csv", [good_row() + ",2026"], HEADER + ",死亡事故年份")
    today = dt.date(2026, 12, 31)
    assert read_registry(UnitRegistry, path, today=today)[USCC[0]].fatal_accident_year == 2026
    with pytest.raises(InvalidInputError) as err:
        read_registry(UnitRegistry, path, today=dt.date(2025, 1, 1))
    assert err.value.problems == (
        f"{path}: row 1 (line 2), column '死亡事故年份' (field 'fatal_accident_year'): "
        "year 2026 is in the future (after 2025)",
    )
    assert render(err.value.problems[0], "zh_CN") == (
        f"{path}：第 1 条记录（文件第 2 行），列 '死亡事故年份'（字段 'fatal_accident_year'）："
        "年份 2026 在未来（晚于 2025 年）"
    )
