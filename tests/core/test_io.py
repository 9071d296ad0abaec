"""Readers and writers: encodings, headers, strict all-problems validation (BL-3, BL-4, TJ-3)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_registry import expert_lists, inspector_lists, item_lists, unit_lists

from drawcore import InvalidInputError
from drawcore.model import IdKind, Unit
from drawcore.registry.headers import HEADER_ALIASES
from drawcore.registry.ids import make_id_card
from drawcore.registry.readers import (
    read_county,
    read_experts,
    read_inspectors,
    read_items,
    read_registry,
    read_units,
)
from drawcore.registry.registries import ExpertRegistry, InspectorRegistry, ItemList, UnitRegistry
from drawcore.registry.writers import write_registry, write_units

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "county"

HEADER = "unit_id,name,subject_type,industry,township,risk_level,risk_weight,last_inspected"
GOOD_ROWS = [
    "91310110666007217T,博罗县宏盛化工有限公司,有限责任公司,危险化学品,石湾镇,high,4,2018-03-01",
    "91350500676532779B,博罗县鑫达五金厂,个人独资企业,机械,园洲镇,low,1,",
    "91350100M000100Y43,博罗县永昌纺织有限公司,有限责任公司,纺织,罗阳街道,moderate,2.5,2017-12-31",
]
PERSON = make_id_card("441322", dt.date(1975, 4, 9), 31)


def write(tmp_path: Path, text: str, name: str = "units.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def units_text(rows: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def problems_of(path: Path, **kwargs: object) -> tuple[str, ...]:
    with pytest.raises(InvalidInputError) as err:
        read_units(path, **kwargs)  # type: ignore[arg-type]
    assert str(err.value).startswith("invalid unit registry: ")
    return err.value.problems


# -- good input -------------------------------------------------------------------------------


def test_bl3_reads_a_valid_file(tmp_path: Path) -> None:
    units = read_units(write(tmp_path, units_text(GOOD_ROWS)))
    assert len(units) == 3
    unit = units["91310110666007217T"]
    assert unit.name == "博罗县宏盛化工有限公司"
    assert unit.risk_weight == 4.0
    assert unit.last_inspected == dt.date(2018, 3, 1)
    assert units["91350500676532779B"].last_inspected is None
    assert unit.blacklisted is False  # optional column absent -> model default


def test_bl3_chinese_headers_and_labels(tmp_path: Path) -> None:
    text = (
        "统一社会信用代码,名称,主体类型,行业类别,所属乡镇,风险等级,黑名单,证件类型,生产状态\n"
        "91310110666007217T,宏盛化工,有限责任公司,危险化学品,石湾镇,重大风险,是,统一社会信用代码,试生产\n"
        f"{PERSON},张三,个体工商户,商贸,园洲镇,低风险,否,身份证,正常生产\n"
    )
    units = read_units(write(tmp_path, text))
    assert units["91310110666007217T"].risk_level.value == "major"
    assert units["91310110666007217T"].blacklisted is True
    assert units["91310110666007217T"].production_status.value == "trial"
    assert units[PERSON].id_kind is IdKind.ID_CARD
    assert units.is_person.tolist() == [True, False]


def test_english_headers_are_case_insensitive(tmp_path: Path) -> None:
    units = read_units(write(tmp_path, units_text(GOOD_ROWS, HEADER.upper())))
    assert len(units) == 3


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + units_text(GOOD_ROWS).encode("utf-8"), None),
        (units_text(GOOD_ROWS).encode("utf-8"), None),
        (units_text(GOOD_ROWS).encode("utf-16"), None),  # BOM, native order
        (codecs.BOM_UTF16_LE + units_text(GOOD_ROWS).encode("utf-16-le"), None),
        (codecs.BOM_UTF16_BE + units_text(GOOD_ROWS).encode("utf-16-be"), None),
        (units_text(GOOD_ROWS).encode("gb18030"), None),
        (units_text(GOOD_ROWS).encode("gb18030"), "gbk"),
        (codecs.BOM_UTF8 + units_text(GOOD_ROWS).encode("utf-8"), "utf-8"),  # stray BOM dropped
    ],
)
def test_bom_variants_and_encodings_read_the_same(
    tmp_path: Path, data: bytes, encoding: str | None
) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(data)
    reference = read_units(write(tmp_path, units_text(GOOD_ROWS), "plain.csv"))
    assert read_units(path, encoding=encoding) == reference


def test_extra_whitespace_is_stripped(tmp_path: Path) -> None:
    spaced = [
        " 91310110666007217T , 博罗县宏盛化工有限公司\u3000,有限责任公司 ,\t危险化学品,"
        "石湾镇, high , 4 , 2018-03-01 ",
        *GOOD_ROWS[1:],
    ]
    header = " " + HEADER.replace(",", " , ") + " "
    text = units_text(spaced, header).replace("\n", "\r\n")
    reference = read_units(write(tmp_path, units_text(GOOD_ROWS), "plain.csv"))
    assert read_units(write(tmp_path, text)) == reference


def test_quoted_fields_take_the_csv_module_path_and_read_the_same(tmp_path: Path) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for line in [HEADER, *GOOD_ROWS]:
        writer.writerow(line.split(","))
    reference = read_units(write(tmp_path, units_text(GOOD_ROWS), "plain.csv"))
    assert read_units(write(tmp_path, buf.getvalue())) == reference


def test_a_quoted_field_may_hold_commas_and_line_breaks(tmp_path: Path) -> None:
    row = GOOD_ROWS[0].replace("博罗县宏盛化工有限公司", '"宏盛,化工\n有限公司"')
    units = read_units(write(tmp_path, units_text([row])))
    assert units["91310110666007217T"].name == "宏盛,化工\n有限公司"


def test_unknown_columns_allowed_with_the_flag(tmp_path: Path) -> None:
    text = units_text([r + ",备注" for r in GOOD_ROWS], HEADER + ",remark")
    units = read_units(write(tmp_path, text), allow_unknown_columns=True)
    assert len(units) == 3


def test_json_reads_typed_and_string_values(tmp_path: Path) -> None:
    records = [
        {"unit_id": "91310110666007217T", "名称": "宏盛化工", "subject_type": "有限责任公司",
         "industry": "危险化学品", "township": "石湾镇", "risk_weight": 4, "blacklisted": True,
         "fatal_accident_year": 2017, "last_inspected": None},
        {"unit_id": "91350500676532779B", "名称": "鑫达五金", "subject_type": "个人独资企业",
         "industry": "机械", "township": "园洲镇", "risk_weight": "1.5", "blacklisted": "否"},
    ]  # fmt: skip
    path = write(tmp_path, json.dumps(records, ensure_ascii=False), "units.json")
    units = read_units(path)
    assert units["91310110666007217T"].fatal_accident_year == 2017
    assert units["91310110666007217T"].blacklisted is True
    assert units["91350500676532779B"].risk_weight == 1.5


def test_bl2_bl3_bl4_tj1_tj3_tj8_the_example_county_is_valid() -> None:
    county = read_county(EXAMPLES)
    assert len(county.units) >= 3000
    assert len(set(county.units.column("industry").tolist())) >= 8
    assert len(set(county.units.column("township").tolist())) >= 10
    assert 0.02 <= county.units.mask("blacklisted").mean() <= 0.04
    assert county.units.mask("major_hazard").any()
    assert (county.units.column("fatal_accident_year") > 0).any()
    assert county.units.is_person.any()
    assert len(county.inspectors) >= 60
    assert len(set(county.inspectors.column("work_unit").tolist())) >= 4
    assert all(r.expertise for r in county.inspectors)
    assert len(county.experts) >= 20
    assert len(county.items) >= 10
    assert all(item.legal_basis for item in county.items)


# -- round trips --------------------------------------------------------------------------------


ROUND_TRIPS = [
    (UnitRegistry, unit_lists),
    (InspectorRegistry, inspector_lists),
    (ExpertRegistry, expert_lists),
    (ItemList, item_lists),
]
OPTIONS = st.sampled_from(
    [
        ("x.csv", {}),
        ("x.csv", {"bom": True}),
        ("x.csv", {"chinese_headers": True}),
        ("x.csv", {"encoding": "gb18030", "chinese_headers": True}),
        ("x.json", {}),
    ]
)


@pytest.mark.parametrize(("cls", "strategy"), ROUND_TRIPS)
def test_write_then_read_gives_an_equal_registry(cls: type, strategy: st.SearchStrategy) -> None:
    @given(strategy, OPTIONS)
    def check(records: list[object], option: tuple[str, dict[str, object]]) -> None:
        registry = cls.from_records(records)
        name, kwargs = option
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            write_registry(registry, path, **kwargs)  # type: ignore[arg-type]
            again = read_registry(cls, path)
        assert again == registry
        assert list(again) == list(registry)

    check()


def test_bl4_tj1_tj8_readers_by_kind(tmp_path: Path) -> None:
    county = read_county(EXAMPLES)
    for reader, registry, name in [
        (read_inspectors, county.inspectors, "i.json"),
        (read_experts, county.experts, "e.csv"),
        (read_items, county.items, "t.csv"),
    ]:
        write_registry(registry, tmp_path / name)
        assert reader(tmp_path / name) == registry


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = write(tmp_path, units_text(GOOD_ROWS))
    before = path.read_bytes()
    units = read_units(path)
    with pytest.raises(UnicodeEncodeError):
        write_units(units, path, encoding="ascii")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["units.csv"]


# -- bad input: each names file, row and field; all problems; nothing returned ----------------


def test_bl3_wrong_uscc_check_character(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0].replace("7217T", "7217A"), *GOOD_ROWS[1:]]
    path = write(tmp_path, units_text(rows))
    assert problems_of(path) == (
        f"{path}: row 1 (line 2), field 'unit_id': wrong USCC check character 'A' (expected 'T')",
    )


def test_bl3_wrong_id_card_checksum(tmp_path: Path) -> None:
    wrong = PERSON[:-1] + ("1" if PERSON[-1] != "1" else "2")
    text = (
        units_text([f"{wrong},张三,个体工商户,商贸,园洲镇,low,1,"], HEADER)
        .replace("unit_id,", "unit_id,id_kind,")
        .replace(f"{wrong},", f"{wrong},id_card,")
    )
    path = write(tmp_path, text)
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: row 1 (line 2), field 'unit_id': wrong ID-card check")


def test_bl3_duplicate_unit_ids(tmp_path: Path) -> None:
    path = write(tmp_path, units_text([*GOOD_ROWS, GOOD_ROWS[0]]))
    assert problems_of(path) == (
        f"{path}: row 4 (line 5), field 'unit_id': "
        "duplicate id 91310110666007217T (first at record 1)",
    )


def test_missing_required_column(tmp_path: Path) -> None:
    text = units_text([r.split(",", 1)[1] for r in GOOD_ROWS], HEADER.split(",", 1)[1])
    path = write(tmp_path, text)
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: header, field 'unit_id': required column is missing")
    assert "统一社会信用代码" in problem


def test_empty_required_field(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0].replace("危险化学品", ""), *GOOD_ROWS[1:]]
    path = write(tmp_path, units_text(rows))
    assert problems_of(path) == (
        f"{path}: row 1 (line 2), field 'industry': required field is empty",
    )


def test_unknown_column_is_an_error_by_default(tmp_path: Path) -> None:
    path = write(tmp_path, units_text([r + ",x" for r in GOOD_ROWS], HEADER + ",黑明单"))
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: header, field '黑明单': unknown column")


def test_bad_dates(tmp_path: Path) -> None:
    rows = [
        GOOD_ROWS[0].replace("2018-03-01", "2018-02-30"),
        GOOD_ROWS[1].rstrip(",") + ",01/03/2018",
        GOOD_ROWS[2],
    ]
    path = write(tmp_path, units_text(rows))
    assert problems_of(path) == (
        f"{path}: row 1 (line 2), field 'last_inspected': not a calendar date: '2018-02-30'",
        f"{path}: row 2 (line 3), field 'last_inspected': "
        "not a date: '01/03/2018' (use YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日)",
    )


def test_negative_risk_weight(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0].replace(",high,4,", ",high,-4,"), *GOOD_ROWS[1:]]
    path = write(tmp_path, units_text(rows))
    assert problems_of(path) == (
        f"{path}: row 1 (line 2), field 'risk_weight': must be a number >= 0, got -4.0",
    )


def test_wrong_encoding_given(tmp_path: Path) -> None:
    path = write(tmp_path, units_text(GOOD_ROWS), encoding="gb18030")
    with pytest.raises(InvalidInputError) as err:
        read_units(path, encoding="utf-8")
    message = str(err.value)
    assert message.startswith(f"{path}: line 2: cannot decode byte")
    assert "as utf-8" in message


def test_undecodable_bytes(tmp_path: Path) -> None:
    data = units_text(GOOD_ROWS).encode("utf-8") + b"\xff\xff,\x80\n"
    path = tmp_path / "units.csv"
    path.write_bytes(data)
    with pytest.raises(InvalidInputError, match=r"line 5: cannot decode .* utf-8-sig or gb18030"):
        read_units(path)
    with pytest.raises(InvalidInputError, match="unknown encoding 'klingon'"):
        read_units(path, encoding="klingon")


def test_truncated_file(tmp_path: Path) -> None:
    text = units_text(GOOD_ROWS)
    path = write(tmp_path, text[: text.index("纺织")])  # cut inside the last row
    assert problems_of(path) == (
        f"{path}: row 3 (line 4): has 2 fields, the header has 8 (truncated?)",
    )


def test_truncated_inside_a_quote(tmp_path: Path) -> None:
    path = write(tmp_path, units_text(GOOD_ROWS) + '91310110666007217T,"宏盛')
    with pytest.raises(InvalidInputError, match=r"line 5: malformed CSV .*truncated"):
        read_units(path)


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff", "  \r\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidInputError, match=f"{path}: file is empty"):
        read_units(path)


def test_header_only_file(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\n")
    with pytest.raises(InvalidInputError, match="has a header but no records"):
        read_units(path)


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    rows = [
        GOOD_ROWS[0].replace("7217T", "7217A").replace(",high,", ",very high,"),
        GOOD_ROWS[1].replace("园洲镇", ""),
        GOOD_ROWS[2].replace(",2.5,", ",heavy,"),
        GOOD_ROWS[1],
    ]
    path = write(tmp_path, units_text(rows))
    assert problems_of(path) == (
        f"{path}: row 1 (line 2), field 'risk_level': unknown value 'very high' "
        "(expected one of: low, moderate, high, major)",
        f"{path}: row 1 (line 2), field 'unit_id': wrong USCC check character 'A' (expected 'T')",
        f"{path}: row 2 (line 3), field 'township': required field is empty",
        f"{path}: row 3 (line 4), field 'risk_weight': not a number: 'heavy'",
        f"{path}: row 4 (line 5), field 'unit_id': "
        "duplicate id 91350500676532779B (first at record 2)",
    )


def test_bad_flags_years_and_enums(tmp_path: Path) -> None:
    header = HEADER + ",blacklisted,fatal_accident_year,credit_class"
    rows = [GOOD_ROWS[0] + ",maybe,17,A", GOOD_ROWS[1] + ",TRUE,2017,Z", GOOD_ROWS[2] + ",,,b"]
    path = write(tmp_path, units_text(rows, header))
    assert problems_of(path) == (
        f"{path}: row 1 (line 2), field 'blacklisted': unknown value 'maybe' (use true or false)",
        f"{path}: row 1 (line 2), field 'fatal_accident_year': not a four-digit year: '17'",
        f"{path}: row 2 (line 3), field 'credit_class': unknown value 'Z' "
        "(expected one of: A, B, C, D)",
    )


def test_json_bad_input(tmp_path: Path) -> None:
    cases = {
        "truncated.json": ('[{"unit_id": "9131', "malformed JSON"),
        "object.json": ('{"unit_id": "x"}', "expected a JSON list of objects"),
        "none.json": ("[]", "has no records"),
        "empty.json": ("", "file is empty"),
    }
    for name, (text, fragment) in cases.items():
        with pytest.raises(InvalidInputError, match=fragment):
            read_units(write(tmp_path, text, name))
    nested = [{"unit_id": "91310110666007217T", "name": {"zh": "x"}}]
    path = write(tmp_path, json.dumps(nested), "nested.json")
    problems = problems_of(path)
    assert f"{path}: record 1, field 'name': unsupported value {{'zh': 'x'}}" in problems


def test_missing_file() -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        read_units("/nonexistent/units.csv")


def test_read_county_reports_all_files(tmp_path: Path) -> None:
    write(tmp_path, units_text([GOOD_ROWS[0].replace("7217T", "7217A")]))
    with pytest.raises(InvalidInputError) as err:
        read_county(tmp_path)
    problems = err.value.problems
    assert any("units.csv: row 1" in p for p in problems)
    assert any("no inspectors.csv or inspectors.json" in p for p in problems)
    assert len(problems) == 4


def test_header_aliases_are_unique_within_a_kind() -> None:
    for kind, table in HEADER_ALIASES.items():
        aliases = [a for names in table.values() for a in names]
        assert len(aliases) == len(set(aliases)), kind


def test_reading_does_not_depend_on_row_order(tmp_path: Path) -> None:
    a = read_units(write(tmp_path, units_text(GOOD_ROWS), "a.csv"))
    b = read_units(write(tmp_path, units_text(GOOD_ROWS[::-1]), "b.csv"))
    assert a.fingerprint == b.fingerprint
    assert isinstance(a["91310110666007217T"], Unit)


@given(
    st.lists(
        st.lists(st.text(st.sampled_from('ab, "\n\r'), max_size=3), min_size=2, max_size=2),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(0, 2),
)
def test_the_quote_free_fast_path_splits_exactly_like_csv_reader(
    rows: list[list[str]], newline: str, trailing: int
) -> None:
    import drawcore.registry.formats as dio

    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows([["h1", "h2"], *rows])
    text = buf.getvalue() + newline * trailing
    fast = dio._split_plain(text)
    if fast is None:
        return
    expected = list(csv.reader(io.StringIO(text, newline="")))
    while expected and not expected[-1]:
        expected.pop()
    lines, width = fast
    split_rows: list[list[str]] = []
    for start, columns in dio._plain_blocks(lines, width, block=2):
        assert start == len(split_rows)
        split_rows.extend(map(list, zip(*columns, strict=True)))
    assert split_rows == expected


def test_block_wise_read_names_the_right_rows_and_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plain-CSV path converts records in blocks: a problem in a later block still
    names its own row, and the registry equals a one-block read."""
    import drawcore.registry.formats as dio

    path = write(tmp_path, units_text(GOOD_ROWS), "good.csv")
    whole = read_units(path)
    monkeypatch.setattr(dio, "_BLOCK", 1)
    assert read_units(path) == whole
    cells = [row.split(",") for row in GOOD_ROWS]
    last = len(cells) - 1
    cells[last][HEADER.split(",").index("risk_weight")] = "-1"  # a registry-level check
    cells[last][HEADER.split(",").index("last_inspected")] = "2017/13/31"  # a cell check
    bad = write(tmp_path, units_text([",".join(c) for c in cells]), "bad.csv")
    with pytest.raises(InvalidInputError) as err:
        read_units(bad)
    where = f"row {last + 1} (line {last + 2})"
    assert f"{where}, field 'risk_weight'" in " ".join(err.value.problems)
    assert f"{where}, field 'last_inspected'" in " ".join(err.value.problems)
