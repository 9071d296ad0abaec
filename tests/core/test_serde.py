"""The one converter and canonical JSON (what every fingerprint and journal hash rests on)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_registry import expert_lists, inspector_lists, item_lists, unit_lists

from drawcore.model import Inspector, RiskLevel, Unit
from drawcore.serde import canonical_json, converter, fingerprint, structure, unstructure


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
