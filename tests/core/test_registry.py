"""Registries: columnar storage, lookup, validation and fingerprint (BL-2..4, TJ-1..3, TJ-8)."""

from __future__ import annotations

import datetime as dt
import enum

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore import InvalidInputError
from drawcore.model import (
    CreditClass,
    Expert,
    IdKind,
    InspectionItem,
    Inspector,
    ProductionStatus,
    RiskLevel,
    Unit,
)
from drawcore.plugin.columns import UnitColumns
from drawcore.registry.ids import USCC_ALPHABET, make_id_card, make_uscc
from drawcore.registry.registries import (
    NO_YEAR,
    County,
    ExpertRegistry,
    InspectorRegistry,
    ItemList,
    Kind,
    UnitRegistry,
)

# -- strategies (re-used by test_io and test_serde) ------------------------------------------

words = st.text(st.sampled_from("安全生产博罗县有限公司abcXYZ-01"), min_size=1, max_size=8)
optional_words = st.one_of(st.just(""), words)
tags = st.lists(words, max_size=3).map(lambda t: tuple(sorted(set(t))))
usccs = st.builds(
    lambda a, b, c: make_uscc(a + b + c),
    st.text(USCC_ALPHABET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_ALPHABET, min_size=9, max_size=9),
)
id_cards = st.builds(
    make_id_card,
    st.text("0123456789", min_size=6, max_size=6),
    st.dates(dt.date(1920, 1, 1), dt.date(2005, 12, 31)),
    st.integers(0, 999),
)
dates = st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)))


@st.composite
def units_st(draw: st.DrawFn) -> Unit:
    kind = draw(st.sampled_from(IdKind))
    return Unit(
        unit_id=draw(usccs if kind is IdKind.USCC else id_cards),
        name=draw(words),
        id_kind=kind,
        subject_type=draw(words),
        industry=draw(words),
        township=draw(words),
        address=draw(optional_words),
        person_in_charge=draw(optional_words),
        contact=draw(optional_words),
        risk_level=draw(st.sampled_from(RiskLevel)),
        risk_weight=draw(st.floats(0, 1e6, allow_nan=False)),
        credit_class=draw(st.sampled_from(CreditClass)),
        blacklisted=draw(st.booleans()),
        joint_punishment=draw(st.booleans()),
        major_hazard=draw(st.booleans()),
        fatal_accident_year=draw(st.one_of(st.none(), st.integers(1990, 2025))),
        licence_holder=draw(st.booleans()),
        under_investigation=draw(st.booleans()),
        production_status=draw(st.sampled_from(ProductionStatus)),
        in_higher_plan=draw(st.booleans()),
        last_inspected=draw(dates),
    )


def unique_by(attr: str, strategy: st.SearchStrategy[object]) -> st.SearchStrategy[list[object]]:
    return st.lists(strategy, min_size=1, max_size=12, unique_by=lambda r: getattr(r, attr))


unit_lists = unique_by("unit_id", units_st())
inspector_lists = unique_by(
    "inspector_id",
    st.builds(
        Inspector,
        inspector_id=st.text("0123456789", min_size=4, max_size=10),
        name=words,
        gender=st.sampled_from(["", "男", "女"]),
        post=optional_words,
        work_unit=words,
        phone=optional_words,
        expertise=tags,
        township=optional_words,
        active=st.booleans(),
    ),
)
expert_lists = unique_by(
    "expert_id",
    st.builds(
        Expert,
        expert_id=words,
        name=words,
        gender=optional_words,
        employer=optional_words,
        title=optional_words,
        phone=optional_words,
        expertise=tags,
        active=st.booleans(),
    ),
)
item_lists = unique_by(
    "item_id",
    st.builds(
        InspectionItem,
        item_id=words,
        body=words,
        item=words,
        content=words,
        legal_basis=words,
        industries=tags,
        subject_types=tags,
        version=words,
        effective_date=dates,
    ),
)

REGISTRIES = [
    (UnitRegistry, unit_lists),
    (InspectorRegistry, inspector_lists),
    (ExpertRegistry, expert_lists),
    (ItemList, item_lists),
]


def unit(unit_id: str = "91310110666007217T", **changes: object) -> Unit:
    base = Unit(
        unit_id=unit_id,
        name="博罗县宏盛化工有限公司",
        subject_type="有限责任公司",
        industry="危险化学品",
        township="石湾镇",
    )
    return attrs.evolve(base, **changes)


# -- construction and lookup -----------------------------------------------------------------


@pytest.mark.parametrize(("cls", "strategy"), REGISTRIES)
def test_bl3_records_read_in_chunks_are_the_records_read_one_by_one(
    cls: type, strategy: st.SearchStrategy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Iterating a registry decodes its columns a chunk of rows at a time; with chunks
    of 5 rows, the records are the ones it was made of, in id order."""
    from drawcore.registry import registries

    monkeypatch.setattr(registries, "_RECORDS_CHUNK", 5)

    @given(strategy)
    def check(records: list[object]) -> None:
        key = attrs.fields(type(records[0]))[0].name
        assert list(cls.from_records(records)) == sorted(records, key=lambda r: getattr(r, key))

    check()


@pytest.mark.parametrize(("cls", "strategy"), REGISTRIES)
def test_bl3_records_come_back_in_id_order(cls: type, strategy: st.SearchStrategy) -> None:
    @given(strategy)
    def check(records: list[object]) -> None:
        registry = cls.from_records(records)
        key = attrs.fields(type(records[0]))[0].name
        expected = sorted(records, key=lambda r: getattr(r, key))
        assert list(registry) == expected
        assert len(registry) == len(records)
        assert list(registry.ids) == [getattr(r, key) for r in expected]
        for r in records:
            assert registry[getattr(r, key)] == r
            assert getattr(r, key) in registry

    check()


@pytest.mark.parametrize(("cls", "strategy"), REGISTRIES)
def test_fingerprint_is_independent_of_row_order(cls: type, strategy: st.SearchStrategy) -> None:
    @given(strategy, st.randoms(use_true_random=False))
    def check(records: list[object], rnd: object) -> None:
        shuffled = list(records)
        rnd.shuffle(shuffled)  # type: ignore[attr-defined]
        assert cls.from_records(shuffled).fingerprint == cls.from_records(records).fingerprint
        assert cls.from_records(shuffled) == cls.from_records(records)

    check()


def _other_value(record: object, field: attrs.Attribute[object]) -> object:
    value = getattr(record, field.name)
    if isinstance(value, bool):
        return not value
    if isinstance(value, enum.Enum):
        members = list(type(value))
        return members[(members.index(value) + 1) % len(members)]
    if isinstance(value, float):
        return value + 1.5
    if field.name == "unit_id":
        if record.id_kind is IdKind.ID_CARD:
            options = [make_id_card("441322", dt.date(1980, 1, 1), k) for k in (1, 2)]
        else:
            options = [make_uscc("91441322MA4YYYYYY"), make_uscc("91441322MA4XXXXXX")]
        return options[0] if value != options[0] else options[1]
    if field.name == "fatal_accident_year":
        return 2017 if value != 2017 else 2018
    if field.name in ("last_inspected", "effective_date"):
        return dt.date(2018, 1, 1) if value != dt.date(2018, 1, 1) else dt.date(2018, 1, 2)
    if isinstance(value, tuple):
        return (*value, "新增")
    return f"{value}改"


@pytest.mark.parametrize(("cls", "strategy"), REGISTRIES)
def test_fingerprint_changes_with_any_field(cls: type, strategy: st.SearchStrategy) -> None:
    @given(strategy, st.data())
    def check(records: list[object], data: st.DataObject) -> None:
        registry = cls.from_records(records)
        i = data.draw(st.integers(0, len(records) - 1))
        record = records[i]
        for field in attrs.fields(type(record)):
            if field.name == "id_kind":
                continue  # changing the kind alone makes the id invalid; covered by unit_id
            changed = attrs.evolve(record, **{field.name: _other_value(record, field)})
            others = [r for j, r in enumerate(records) if j != i]
            key = cls.id_field
            if any(getattr(r, key) == getattr(changed, key) for r in others):
                continue
            assert cls.from_records([*others, changed]).fingerprint != registry.fingerprint, (
                field.name
            )

    check()


def test_fingerprint_is_sha256_hex_and_kinds_differ() -> None:
    units = UnitRegistry.from_records([unit()])
    assert len(units.fingerprint) == 64
    int(units.fingerprint, 16)
    assert units.fingerprint != InspectorRegistry.from_records([]).fingerprint


def test_registries_are_immutable() -> None:
    units = UnitRegistry.from_records([unit()])
    with pytest.raises(AttributeError):
        units._columns = {}  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        units.weights[0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        units.ids[0] = "x"
    with pytest.raises(TypeError):
        units.columns["risk_weight"] = np.zeros(1)  # type: ignore[index]


def test_lookup_misses() -> None:
    units = UnitRegistry.from_records([unit()])
    with pytest.raises(KeyError):
        units["91350500676532779B"]
    assert units.get("nope") is None
    assert 5 not in units
    assert "nope" not in units
    with pytest.raises(KeyError, match="no field"):
        units.column("colour")
    with pytest.raises(KeyError, match="not a flag"):
        units.mask("risk_weight")


def test_tj3_unit_columns_are_arrays_for_the_draw() -> None:
    records = [
        unit(
            risk_level=RiskLevel.MAJOR, risk_weight=8.0, blacklisted=True, fatal_accident_year=2017
        ),
        unit(
            make_id_card("441322", dt.date(1970, 5, 6), 12),
            id_kind=IdKind.ID_CARD,
            name="张三",
            last_inspected=dt.date(2018, 3, 1),
        ),
    ]
    units = UnitRegistry.from_records(records)
    assert units.ids.tolist() == sorted(r.unit_id for r in records)
    by_id = {r.unit_id: r for r in records}
    assert units.weights.dtype == np.float64
    assert units.weights.tolist() == [by_id[i].risk_weight for i in units.ids]
    assert units.high_risk.tolist() == [by_id[i].risk_level.is_high for i in units.ids]
    assert units.is_person.tolist() == [by_id[i].id_kind is IdKind.ID_CARD for i in units.ids]
    assert units.mask("blacklisted").tolist() == [by_id[i].blacklisted for i in units.ids]
    years = units.column("fatal_accident_year")
    assert years.tolist() == [by_id[i].fatal_accident_year or NO_YEAR for i in units.ids]
    last = units.column("last_inspected")
    assert last.dtype == np.dtype("datetime64[D]")
    assert np.isnat(last).tolist() == [by_id[i].last_inspected is None for i in units.ids]
    kinds = {s.name: s.kind for s in UnitRegistry.schema}
    assert kinds["risk_level"] is Kind.ENUM
    assert kinds["tags" if "tags" in kinds else "industry"] is Kind.TEXT


def test_bl4_tj2_tj8_inspector_and_expert_active_masks() -> None:
    inspectors = InspectorRegistry.from_records(
        [
            Inspector(inspector_id="2", name="李四", work_unit="一中队", active=False),
            Inspector(inspector_id="1", name="张三", work_unit="一中队", expertise=["化工"]),
        ]
    )
    assert inspectors.ids.tolist() == ["1", "2"]
    assert inspectors.active.tolist() == [True, False]
    assert inspectors["1"].expertise == ("化工",)
    experts = ExpertRegistry.from_records(
        [Expert(expert_id="E1", name="王五", active=False, expertise=("消防",))]
    )
    assert experts.active.tolist() == [False]


def test_bl2_tj1_bl9_item_list_gives_the_items_that_apply() -> None:
    general = InspectionItem(
        item_id="SX-001", body="局", item="教育培训", content="培训", legal_basis="安全生产法"
    )
    chemical = attrs.evolve(general, item_id="SX-002", industries=("危险化学品",))
    mining = attrs.evolve(general, item_id="SX-003", industries=("非煤矿山",))
    items = ItemList.from_records([mining, chemical, general])
    assert items.applicable(unit()) == (general, chemical)


# -- validation ------------------------------------------------------------------------------


def test_bl3_duplicate_ids_are_rejected_with_both_records_named() -> None:
    with pytest.raises(InvalidInputError) as err:
        UnitRegistry.from_records([unit(), unit(name="另一家"), unit()])
    assert err.value.problems == (
        "record 2, field 'unit_id': duplicate id 91310110666007217T (first at record 1)",
        "record 3, field 'unit_id': duplicate id 91310110666007217T (first at record 1)",
    )


def test_bl3_wrong_check_characters_are_all_reported() -> None:
    person = make_id_card("441322", dt.date(1970, 5, 6), 12)
    wrong_person = person[:-1] + ("0" if person[-1] != "0" else "1")
    with pytest.raises(InvalidInputError) as err:
        UnitRegistry.from_records(
            [
                unit("91310110666007217A"),
                unit(wrong_person, id_kind=IdKind.ID_CARD),
                unit(person, id_kind=IdKind.USCC),  # an ID-card number is not a USCC
            ]
        )
    problems = err.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("record 1, field 'unit_id': wrong USCC check character 'A'")
    assert problems[1].startswith("record 2, field 'unit_id': wrong ID-card check character")
    assert problems[2].startswith("record 3, field 'unit_id': ")


def test_columns_constructor_validates_weights_and_empties() -> None:
    good = unit()
    columns = {s.name: [getattr(good, s.name)] * 2 for s in UnitRegistry.schema}
    columns["unit_id"] = [good.unit_id, "91350500676532779B"]
    columns["risk_weight"] = [-1.0, float("nan")]
    columns["name"] = ["", " "]
    with pytest.raises(InvalidInputError) as err:
        UnitRegistry(columns)
    assert err.value.problems == (
        "record 1, field 'name': required field is empty",
        "record 1, field 'risk_weight': must be a number >= 0, got -1.0",
        "record 2, field 'name': required field is empty",
        "record 2, field 'risk_weight': must be a number >= 0, got nan",
    )


def test_columns_constructor_rejects_unknown_and_missing_fields() -> None:
    with pytest.raises(InvalidInputError) as err:
        InspectorRegistry({"inspector_id": ["1"], "colour": ["red"]})
    assert "field 'colour': unknown field" in err.value.problems
    assert "field 'name': required field is missing" in err.value.problems
    with pytest.raises(InvalidInputError, match="differ in length"):
        InspectorRegistry({"inspector_id": ["1"], "name": ["a", "b"], "work_unit": ["x"]})


def test_from_records_rejects_other_types() -> None:
    with pytest.raises(InvalidInputError, match="record 1 is not a Unit"):
        UnitRegistry.from_records([Inspector(inspector_id="1", name="a", work_unit="b")])  # type: ignore[list-item]


def test_county_fingerprints() -> None:
    county = County(
        units=UnitRegistry.from_records([unit()]),
        inspectors=InspectorRegistry.from_records([]),
        experts=ExpertRegistry.from_records([]),
        items=ItemList.from_records([]),
    )
    assert county.fingerprints["units"] == county.units.fingerprint
    assert set(county.fingerprints) == {"units", "inspectors", "experts", "items"}
    assert "1 records" in repr(county.units)


def test_fingerprint_follows_the_documented_construction() -> None:
    """Re-implements docs/design.md "Fingerprint" from scratch for two units."""
    import hashlib
    import json
    import struct

    person = make_id_card("441322", dt.date(1970, 5, 6), 12)
    records = [
        unit(risk_level=RiskLevel.HIGH, risk_weight=-0.0, fatal_accident_year=2017),
        unit(person, id_kind=IdKind.ID_CARD, name="张三", last_inspected=dt.date(1970, 1, 3)),
    ]
    rows = sorted(records, key=lambda r: r.unit_id)

    def js(value: object) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    digest = hashlib.sha256(b"drawcore.units/1\x00")
    for field in attrs.fields(Unit):
        values = [getattr(r, field.name) for r in rows]
        if field.name in ("id_kind", "risk_level", "credit_class", "production_status"):
            members = list(type(values[0]))
            kind = "enum"
            payload = js([m.value for m in members]) + b"\x00"
            payload += bytes(members.index(v) for v in values)
        elif isinstance(values[0], bool):
            kind, payload = "bool", bytes(int(v) for v in values)
        elif field.name == "risk_weight":
            kind, payload = "float", struct.pack("<2d", *(v + 0.0 for v in values))
        elif field.name == "fatal_accident_year":
            kind, payload = "year", struct.pack("<2i", *(v or 0 for v in values))
        elif field.name == "last_inspected":
            days = [-(2**63) if v is None else (v - dt.date(1970, 1, 1)).days for v in values]
            kind, payload = "date", struct.pack("<2q", *days)
        else:
            kind, payload = "text", js(values)
        digest.update(f"{field.name}\x00{kind}\x00".encode())
        digest.update(len(payload).to_bytes(8, "big") + payload)
    assert UnitRegistry.from_records(records).fingerprint == digest.hexdigest()


@given(st.lists(units_st(), max_size=8), st.lists(st.integers(0, 7), max_size=2))
def test_tj3_unit_columns_of_records_are_the_stored_values(
    records: list[Unit], plain: list[int]
) -> None:
    """``UnitColumns.of`` stores what the documented column kinds say, whether the enum
    fields hold members or their plain values (the registry accepts both)."""
    for row in plain:
        if row < len(records):
            object.__setattr__(records[row], "risk_level", records[row].risk_level.value)
    cols = UnitColumns.of(records)
    for spec in UnitRegistry.schema:
        values = [getattr(u, spec.name) for u in records]
        got = cols.column(spec.name)
        if spec.kind is Kind.ENUM:
            codes = [[m.value for m in spec.members].index(str(v)) for v in values]
            assert got.dtype == np.int8
            assert got.tolist() == codes
        elif spec.kind is Kind.DATE:
            want = np.array(["NaT" if v is None else v.isoformat() for v in values], "M8[D]")
            assert got.dtype == want.dtype
            assert got.shape == (len(records),)
            assert np.array_equal(got, want, equal_nan=True)
        else:
            assert got.tolist() == [NO_YEAR if v is None else v for v in values]
