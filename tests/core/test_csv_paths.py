"""The plain-CSV path (split at commas, in small blocks, blank cells found without a
per-cell whitespace test) and the :mod:`csv` path agree on every file: the same
registry, or the same problems at the same rows and columns."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawcore import InvalidInputError
from drawcore.registry import formats
from drawcore.registry.ids import make_uscc
from drawcore.registry.readers import read_units

HEADER = (
    "统一社会信用代码,名称,主体类型,行业类别,所属乡镇,黑名单,风险等级,"
    "风险权重,死亡事故年份,最近检查日期"
)
NAMES = ["单位甲", "", " ", "\u3000", "\t", "A B", " 单位乙 "]
FLAGS = ["true", "false", "", "是", "否", "maybe", " TRUE "]
LEVELS = ["low", "高风险", "", "较大风险", "none"]
# values a later block may repeat: a valid cell's value is remembered, an invalid one is not
WEIGHTS = ["1.0", "", "2.5", "-1", "x"]
YEARS = ["", "2019", "2019年", "2999", "19"]
DATES = ["", "2017-01-05", "2017/1/5", "2017-02-30", "2017/13/5"]


def _row(
    i: int, name: str, flag: str, level: str, weight: str = "", year: str = "", date: str = ""
) -> list[str]:
    uscc = make_uscc(f"91441322{i:09d}")
    return [uscc, name, "有限责任公司", "机械", "石湾镇", flag, level, weight, year, date]


def _outcome(path: Path) -> object:
    try:
        units = read_units(path)
    except InvalidInputError as exc:
        return [p.replace(str(path), "F") for p in exc.problems]
    return units.fingerprint


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(NAMES),
            st.sampled_from(FLAGS),
            st.sampled_from(LEVELS),
            st.sampled_from(WEIGHTS),
            st.sampled_from(YEARS),
            st.sampled_from(DATES),
        ),
        min_size=1,
        max_size=40,
    ),
    block=st.integers(1, 16),
)
def test_plain_and_quoted_csv_agree(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[str, str, str, str, str, str]],
    block: int,
) -> None:
    folder = tmp_path_factory.mktemp("c")
    records = [_row(i, *r) for i, r in enumerate(rows)]
    plain = folder / "plain.csv"
    plain.write_text("\n".join([HEADER, *(",".join(r) for r in records)]) + "\n", "utf-8")
    quoted = folder / "quoted.csv"
    body = (",".join(f'"{c}"' for c in r) for r in records)
    quoted.write_text("\n".join([HEADER, *body]) + "\n", "utf-8")
    with mock.patch.object(formats, "_BLOCK", block):
        assert _outcome(plain) == _outcome(quoted)


def test_a_name_of_only_a_line_break_is_empty(tmp_path: Path) -> None:
    """Only the :mod:`csv` path can hold a line break in a cell; with no other whitespace in
    the file, nothing strips it, and it is still a blank required field."""
    path = tmp_path / "u.csv"
    record = _row(1, '"\n"', "false", "low")
    path.write_text(f"{HEADER}\n{','.join(record)}\n", "utf-8")
    with pytest.raises(InvalidInputError, match=r"field 'name'.*required field is empty"):
        read_units(path)


def test_the_screen_table_is_the_two_patterns() -> None:
    """Every UTF-16 code unit is classed as :data:`_SPACE` and :data:`FORBIDDEN` class it."""
    table = formats._screen_table()
    for code in range(1 << 16):
        char = chr(code)
        space = formats._SPACE.match(char) is not None
        forbidden = formats.FORBIDDEN.match(char) is not None
        assert table[code] == space + 2 * forbidden, hex(code)


@settings(max_examples=300, deadline=None)
@given(text=st.text(), block=st.integers(1, 8))
def test_screen_agrees_with_the_patterns(text: str, block: int) -> None:
    with mock.patch.object(formats, "_SCREEN_CHARS", block):
        assert formats.screen(text) == (
            formats._SPACE.search(text) is not None,
            formats.FORBIDDEN.search(text) is not None,
        )


def test_no_character_of_the_two_patterns_is_printable_but_the_space() -> None:
    """:func:`screen` passes a text that :meth:`str.isprintable` passes, looking only for
    the space: that holds while neither pattern holds another printable character."""
    table = formats._screen_table()
    printable = [hex(c) for c in range(1 << 16) if table[c] and chr(c).isprintable()]
    assert printable == ["0x20"]


@pytest.mark.parametrize("flag", ["false", "maybe", " 是 "])
def test_a_block_of_one_repeated_cell_reads_as_cell_by_cell(tmp_path: Path, flag: str) -> None:
    """A column holding one text throughout a block is converted once: a valid one gives
    the registry a block of one record gives, an invalid one a problem on every row."""
    levels = ["low", "low", "", "较大风险"]
    rows = [_row(i, "单位甲", flag, level) for i, level in enumerate(levels)]
    path = tmp_path / "u.csv"
    path.write_text("\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n", "utf-8")
    with mock.patch.object(formats, "_BLOCK", 1):
        one_by_one = _outcome(path)
    with mock.patch.object(formats, "_BLOCK", 4):
        assert _outcome(path) == one_by_one
    if flag == "maybe":
        assert isinstance(one_by_one, list)
        assert [p.split(": ")[1] for p in one_by_one] == [
            f"row {i} (line {i + 1}), column '黑名单' (field 'blacklisted')" for i in range(1, 5)
        ]
