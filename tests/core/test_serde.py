"""The one converter and canonical JSON (what every fingerprint and journal hash rests on)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_registry import expert_lists, inspector_lists, item_lists, unit_lists, units_st

from drawcore import TeamTask, draw_teams, sample_units
from drawcore.draw.sampling import UnitSample
from drawcore.draw.team_model import TeamDraw
from drawcore.model import CreditClass, Expert, InspectionMode, Inspector, RiskLevel, Unit
from drawcore.serde import (
    canonical_json,
    converter,
    fingerprint,
    records_fingerprint,
    structure,
    unstructure,
)


@pytest.mark.parametrize("strategy", [unit_lists, inspector_lists, expert_lists, item_lists])
def test_round_trip_through_canonical_json(strategy: st.SearchStrategy) -> None:
    @given(strategy)
    def check(records: list[object]) -> None:
        for record in records:
            data = json.loads(canonical_json(record))
            assert structure(data, type(record)) == record

    check()


def test_canonical_form_is_sorted_compact_utf8() -> None:
    inspector = Inspector(inspector_id="7", name="张三", work_unit="一中队", expertise=["b", "a"])
    raw = canonical_json(inspector)
    assert (
        raw
        == (
            '{"active":true,"expertise":["a","b"],"gender":"","inspector_id":"7","name":"张三",'
            '"phone":"","post":"","township":"","work_unit":"一中队"}'
        ).encode()
    )


def test_dates_enums_and_tuples_as_plain_json() -> None:
    unit = Unit(
        unit_id="91310110666007217T",
        name="n",
        subject_type="s",
        industry="i",
        township="t",
        risk_level=RiskLevel.HIGH,
        last_inspected=dt.date(2018, 9, 12),
    )
    data = unstructure(unit)
    assert data["last_inspected"] == "2018-09-12"
    assert data["risk_level"] == "high"
    assert unstructure((1, ("a", "b"))) == [1, ["a", "b"]]
    assert converter.structure("2018-09-12", dt.date) == dt.date(2018, 9, 12)


def test_extra_keys_are_rejected() -> None:
    data = unstructure(Inspector(inspector_id="7", name="a", work_unit="b"))
    data["colour"] = "red"
    with pytest.raises(cattrs.errors.ClassValidationError):
        structure(data, Inspector)


def test_nan_is_refused() -> None:
    with pytest.raises(ValueError, match="Out of range float"):
        canonical_json({"w": float("nan")})


def test_fingerprint_is_sha256_of_domain_and_canonical_bytes() -> None:
    value = {"b": [1, 2], "a": "博罗"}
    expected = hashlib.sha256(b"drawcore/1\x00" + '{"a":"博罗","b":[1,2]}'.encode()).hexdigest()
    assert fingerprint(value) == expected
    assert fingerprint(value, domain="other") != expected
    assert fingerprint({"a": "博罗", "b": [1, 2]}) == expected


# --------------------------------------------------------------------------- draw results


def _through_json(value: object, cls: type) -> object:
    return structure(json.loads(canonical_json(value)), cls)


@given(
    st.lists(st.floats(0.1, 10.0), min_size=3, max_size=12),
    st.booleans(),
    st.text(alphabet="0123456789abcdef", min_size=1, max_size=8),
)
def test_bl9_unit_sample_round_trips_through_canonical_json(
    weights: list[float], text_ids: bool, seed: str
) -> None:
    """The ``str | int`` id union structures back; integer ids stay integers (keys too)."""
    ids: list[str | int] = (
        [f"u{n}" for n in range(len(weights))]
        if text_ids
        else [7 * n + 3 for n in range(len(weights))]
    )
    sample = sample_units(ids, weights, 2, seed=seed)
    back = _through_json(sample, UnitSample)
    assert isinstance(back, UnitSample)
    assert back == sample
    assert dict(back.probabilities) == dict(sample.probabilities)
    assert all(type(k) is type(ids[0]) for k in back.probabilities)
    assert all(type(k) is type(ids[0]) for k in back.selected)
    assert canonical_json(back) == canonical_json(sample)


def test_bl9_unit_id_union_refuses_other_types() -> None:
    data = unstructure(sample_units(["a", "b", "c"], [1.0, 2.0, 3.0], 1, seed="s"))
    data["selected"] = [1.5]
    with pytest.raises(cattrs.errors.ClassValidationError):
        structure(data, UnitSample)
    data["selected"] = [True]
    with pytest.raises(cattrs.errors.ClassValidationError):
        structure(data, UnitSample)


def test_bl5_team_draw_round_trips_through_canonical_json() -> None:
    """Recusals, replacements, experts and key-inspection dates come back equal."""
    inspectors = [
        Inspector(inspector_id=f"I{n}", name=f"n{n}", work_unit="w", expertise=("chem",) * (n % 2))
        for n in range(6)
    ]
    experts = [Expert(expert_id=f"E{n}", name=f"e{n}", expertise=("chem",)) for n in range(3)]
    tasks = [
        TeamTask(unit_id="U1", expertise="chem", experts=1, expert_expertise="chem"),
        TeamTask(unit_id="U2", mode=InspectionMode.KEY),
        TeamTask(unit_id="U3", mode=InspectionMode.COVERT),
        "U4",
    ]
    draw = draw_teams(
        tasks,
        inspectors,
        seed="serde",
        experts=experts,
        conflicts=[("I0", "U1"), ("I1", "U1"), *((f"I{n}", "U4") for n in range(4))],
        dates=[dt.date(2026, 3, 2), dt.date(2026, 3, 3)],
    )
    assert any(p.replacements for a in draw.assignments for p in a.parts), "a recusal is recorded"
    back = _through_json(draw, TeamDraw)
    assert back == draw
    assert canonical_json(back) == canonical_json(draw)


def _outcome(compute: Callable[[], str]) -> tuple[object, str]:
    """What ``compute`` returns, or the type and text of what it raises."""
    try:
        return "ok", compute()
    except Exception as err:  # compared, not handled
        return type(err), str(err)


def _same_as_fingerprint(records: list[Any]) -> None:
    got = _outcome(lambda: records_fingerprint(records, domain="d/1"))
    assert got == _outcome(lambda: fingerprint(tuple(records), domain="d/1"))


@pytest.mark.parametrize("strategy", [unit_lists, inspector_lists, expert_lists, item_lists])
def test_records_fingerprint_is_the_fingerprint_of_the_records(strategy: st.SearchStrategy) -> None:
    @given(strategy)
    def check(records: list[object]) -> None:
        _same_as_fingerprint(records)

    check()


class _Text(str):
    pass


_ODD = [
    "",
    'a"b\\c\n\x00\x7f\u2028é博😀',
    "\ud800",
    _Text("x"),
    0,
    7,
    -(2**70),
    10**400,
    True,
    False,
    None,
    1.5,
    -0.0,
    1e300,
    float("nan"),
    float("inf"),
    RiskLevel.HIGH,
    CreditClass.A,
    InspectionMode.KEY,
    "high",
    dt.date(2019, 3, 4),
    dt.datetime(2019, 3, 4, 5, 6),
    ("a", "b"),
    ("a", 1),
    ["a"],
    (),
]


@pytest.mark.parametrize("field", [f.name for f in attrs.fields(Unit)])
def test_records_fingerprint_of_odd_values_is_the_fingerprint_of_the_records(field: str) -> None:
    """Every field holding each value a record can hold when built without its validators
    or with a wrong type, in the first record and in a later one."""
    for value in _ODD:
        for row in (0, 2):
            units = [
                Unit(unit_id=str(k), name="n", subject_type="s", industry="i", township="t")
                for k in range(3)
            ]
            object.__setattr__(units[row], field, value)
            _same_as_fingerprint(units)


@given(
    st.lists(units_st(), min_size=1, max_size=6),
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(attrs.fields(Unit)), st.text()),
        max_size=3,
    ),
)
def test_records_fingerprint_of_any_text_is_the_fingerprint_of_the_records(
    units: list[Unit], changes: list[tuple[int, attrs.Attribute[Any], str]]
) -> None:
    for row, field, value in changes:
        object.__setattr__(units[row % len(units)], field.name, value)
    _same_as_fingerprint(units)


def test_records_fingerprint_of_mixed_and_empty_sequences() -> None:
    unit = Unit(unit_id="1", name="n", subject_type="s", industry="i", township="t")
    inspector = Inspector(inspector_id="7", name="a", work_unit="b")
    for records in ([], [unit, inspector], [unit, unit], [(1, 2)], [{"a": 1}], ["x", "y"]):
        _same_as_fingerprint(list(records))
