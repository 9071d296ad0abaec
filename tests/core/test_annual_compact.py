"""The compact annual-plan layout (``drawcore.plan.plan_year/4``, ``/3``): exact, small, and
self-contained enough that a rule changed without a new version is named by unit."""

from __future__ import annotations

import datetime as dt
import enum
import json
import shutil
import types
from pathlib import Path
from typing import Any

import attrs
import pytest
from ceremony_site import SIGNING
from hypothesis import example, given, settings
from hypothesis import strategies as st

from drawcore import serde
from drawcore.errors import InvalidInputError
from drawcore.i18n import render
from drawcore.model import Unit
from drawcore.plan.schedule import commit_year
from drawcore.plugin import hookimpl
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext, Reason, WeightFactor
from drawcore.record import annual
from drawcore.record.annual import (
    AnnualPlanRecord,
    prepare_spec,
    replay_year,
    run_year,
    spec_inputs,
    year_plan_record,
    year_plan_spec,
)
from drawcore.record.annual_compact import COMPACT_METHOD, decode, encode, holds
from drawcore.record.records import RegistryRef
from drawcore.registry.readers import read_county
from drawcore.registry.registries import County, UnitRegistry
from drawcore.registry.writers import write_units

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from("abcd"), inner, max_size=4)
        | st.lists(st.fixed_dictionaries({"a": inner, "b": inner}), max_size=5)
    ),
    max_leaves=40,
)


def _as_journal(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False))


@given(_json)
def test_bl9_compact_layout_gives_back_exactly_the_value_it_was_made_of(value: Any) -> None:
    value = _as_journal(value)
    packed = _as_journal(encode(value))
    back = decode(packed)
    assert json.dumps(back, sort_keys=True) == json.dumps(value, sort_keys=True)
    assert [type(x) for x in _leaves(back)] == [type(x) for x in _leaves(value)]


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in _leaves(value[k])]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def test_bl9_compact_layout_writes_repeated_values_once() -> None:
    rows = [{"unit_id": f"U{i:04d}", "items": ["SX-001", "SX-002"], "round": 1} for i in range(200)]
    packed = encode(rows)
    assert sum(v == "SX-001" for v in packed["v"]) == 1
    assert len(json.dumps(packed)) < len(json.dumps(rows)) / 3


def _refs(county: County) -> dict[str, RegistryRef]:
    return {
        name: RegistryRef(path=f"registries/{name}.csv", fingerprint=fp)
        for name, fp in county.fingerprints.items()
    }


def _weighing(factor: float) -> Rules:
    """Rules of one plugin, ``xian`` 1.0, that weigh risk by ``factor`` (the same version
    whatever the factor: a rule changed without a new version)."""

    @hookimpl
    def drawcore_unit_weight(unit: Unit, context: PlanContext) -> WeightFactor | None:
        if unit.unit_id.endswith(("1", "3")):
            return WeightFactor(factor=factor, reason=Reason(clause="XA-2", text="weighed"))
        return None

    plugin = types.SimpleNamespace(drawcore_unit_weight=drawcore_unit_weight, __version__="1.0")
    return Rules(make_plugin_manager(entrypoints=False, plugins={"xian": plugin}))


def _record(county: County, rules: Rules) -> dict[str, Any]:
    spec = year_plan_spec(
        "2026-xian",
        county,
        _refs(county),
        rules=rules,
        year=2026,
        tasks_per_inspector=3,
        registry_date=dt.date(2026, 1, 2),
    )
    assert spec.method == COMPACT_METHOD
    seed = b"\x02" * 32
    plan = run_year(spec, county, rules, seed)
    record = year_plan_record(
        spec,
        plan,
        seed=seed,
        seed_record=1,
        seed_method="rfc3797",
        population=len(county.units),
        signing=SIGNING,
        inputs=spec_inputs(spec, county, rules),
    )
    body: dict[str, Any] = _as_journal(record.body())
    return body


def test_tj8_a_weight_changed_without_a_new_version_is_named_by_unit(
    small_county: tuple[Path, County],
) -> None:
    _, county = small_county
    body = _record(county, _weighing(2.0))
    assert "year" in body
    assert "result" not in body
    assert replay_year(body, county, _weighing(2.0)) is None
    problem = replay_year(body, county, _weighing(3.0))
    assert problem is not None
    first = min(u.unit_id for u in county.units if u.unit_id.endswith(("1", "3")))
    assert problem.startswith(f"the rules of national practice decide differently: unit {first}")
    assert " weight " in problem
    assert "→" in problem
    assert "规则" in render(problem, "zh_CN")


def test_tj9_the_compact_record_reads_back_as_the_plan_and_its_inputs(
    small_county: tuple[Path, County],
) -> None:
    _, county = small_county
    rules = _weighing(2.0)
    body = _record(county, rules)
    record = AnnualPlanRecord.from_body(body)
    assert record.inputs is not None
    assert record.inputs.unit_ids == tuple(sorted(u.unit_id for u in county.units))
    unweighed = spec_inputs(record.plan, county, _weighing(1.0))
    assert unweighed is not None
    weights, before = record.inputs.weight_of(), unweighed.weight_of()
    for uid in record.inputs.unit_ids:
        factor = 2.0 if uid.endswith(("1", "3")) else 1.0
        assert weights[uid] == before[uid] * factor
    assert record.body() == body


def _relaid(data: Any) -> tuple[Any, int]:
    """``data`` (a compact layout) with every list of table references written as an
    ``"l"`` list of single references instead: another layout of the same values."""
    if isinstance(data, list):
        return {"l": list(data)}, 1
    if isinstance(data, dict):
        out, changed = {}, 0
        for k, v in data.items():
            if k in ("i", "k", "n"):  # positions and lengths, not references
                out[k] = v
            else:
                out[k], n = _relaid(v)
                changed += n
        return out, changed
    return data, 0


def test_tj9_a_replay_accepts_the_same_plan_in_another_layout_and_names_a_changed_one(
    small_county: tuple[Path, County],
) -> None:
    _, county = small_county
    rules = _weighing(2.0)
    body = _record(county, rules)
    data, changed = _relaid(body["year"]["d"])
    assert changed > 10
    relaid = {**body, "year": {"v": body["year"]["v"], "d": data}}
    assert relaid != body
    assert decode(relaid["year"]) == decode(body["year"])
    assert replay_year(relaid, county, rules) is None
    # a member of one team changed in the table: named by the plan's own fields
    table = list(body["year"]["v"])
    plan = decode(body["year"])["plan"]
    member = plan["rounds"][0]["tasks"][0]["inspectors"][0]
    others = sorted({i.inspector_id for i in county.inspectors} - {member})
    table[table.index(member)] = others[0]
    tampered = {**body, "year": {"v": table, "d": body["year"]["d"]}}
    problem = replay_year(tampered, county, rules)
    assert problem is not None
    assert "year.plan.rounds[" in problem


def _as_float(data: Any, table: list[Any]) -> Any:
    """``data`` (a compact layout over ``table``) with its first reference to an integer
    in a column of scalars pointed at the same number as a float, appended to ``table``;
    ``None`` when it has none. Repeated items (``u``) are left as they are."""
    if isinstance(data, list):
        for at, ref in enumerate(data):
            if type(table[ref]) is int:
                table.append(float(table[ref]))
                return [*data[:at], len(table) - 1, *data[at + 1 :]]
        return None
    if isinstance(data, dict) and "u" not in data:
        for key, sub in data.items():
            if key not in ("i", "k", "n"):
                found = _as_float(sub, table)
                if found is not None:
                    return {**data, key: found}
    return None


def test_tj9_a_replay_names_a_number_recorded_as_another_type(
    small_county: tuple[Path, County],
) -> None:
    _, county = small_county
    rules = _weighing(2.0)
    body = _record(county, rules)
    table = list(body["year"]["v"])
    data = _as_float(body["year"]["d"], table)
    assert data is not None
    tampered = {**body, "year": {"v": table, "d": data}}
    # equal to the replay's value in Python, but not in JSON nor in the record's bytes
    assert decode(tampered["year"]) == decode(body["year"])
    problem = replay_year(tampered, county, rules)
    assert problem is not None
    assert problem.startswith("replay differs at year.")
    number = table[-1]
    assert f": recorded {number!r}, replay gives {int(number)!r}" in problem


def test_tj9_a_replay_of_the_recorded_plan_compares_it_without_decoding_it(
    small_county: tuple[Path, County], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, county = small_county
    rules = _weighing(2.0)
    body = _record(county, rules)

    def refused(compact: Any) -> Any:
        raise AssertionError("the recorded plan was decoded")

    monkeypatch.setattr(annual, "decode", refused)
    assert replay_year(body, county, rules) is None


def _spec_encode(x: Any) -> dict[str, Any]:
    """The writer of spec §12.4, line by line (distinct items by canonical JSON, §3)."""
    table: list[Any] = []
    seen: dict[str, int] = {}

    def canonical(v: Any) -> str:
        return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def ref(v: Any) -> int:
        key = canonical(v) + type(v).__name__
        if key not in seen:
            seen[key] = len(table)
            table.append(v)
        return seen[key]

    def scalar(v: Any) -> bool:
        return v is None or isinstance(v, str | int | float | bool)

    def enc(v: Any) -> Any:
        if scalar(v):
            return ref(v)
        if isinstance(v, dict):
            return {"o": {k: enc(v[k]) for k in sorted(v)}}
        if all(scalar(i) for i in v):
            return [ref(i) for i in v]
        order: dict[str, int] = {}
        at = [order.setdefault(canonical(i), len(order)) for i in v]
        if 2 * len(order) <= len(v):
            distinct = [v[at.index(j)] for j in range(len(order))]
            return {"u": enc(distinct), "i": at}
        if all(isinstance(i, list) for i in v):
            return {"k": [len(i) for i in v], "f": enc([y for i in v for y in i])}
        if all(isinstance(i, dict) for i in v) and all(sorted(i) == sorted(v[0]) for i in v):
            return {"n": len(v), "c": {k: enc([i[k] for i in v]) for k in sorted(v[0])}}
        return {"l": [enc(i) for i in v]}

    data = enc(x)
    return {"v": table, "d": data}


_few = st.sampled_from([0, 1, 1.0, True, -0.0, 0.0, "a", None])
_repeating = st.recursive(
    _few,
    lambda inner: (
        st.lists(inner, max_size=8)
        | st.lists(st.fixed_dictionaries({"a": _few, "b": inner}), max_size=8)
        | st.dictionaries(st.sampled_from("ab"), inner, max_size=2)
    ),
    max_leaves=60,
)


class _Kind(enum.StrEnum):
    ROUTINE = "routine"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@given(_json | _repeating)
def test_bl9_a_layout_holds_the_value_it_was_made_of(value: Any) -> None:
    value = _as_journal(value)
    assert holds(_as_journal(encode(value)), value)


_EQUAL = {0: (0, 0.0, -0.0, False), 1: (1, 1.0, True)}


@given(_repeating, st.data())
def test_bl9_a_layout_holds_no_value_of_other_json(made: Any, data: st.DataObject) -> None:
    """``1``, ``1.0`` and ``true`` (``0``, ``0.0``, ``-0.0``, ``false``) are equal in Python,
    not in JSON nor in a record: a value with any of them exchanged is held only when its
    JSON is the same."""
    made = _as_journal(made)

    def exchanged(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: exchanged(v) for k, v in value.items()}
        if isinstance(value, list):
            return [exchanged(v) for v in value]
        if isinstance(value, int | float) and value in _EQUAL:
            return data.draw(st.sampled_from(_EQUAL[value]))
        return value

    other = exchanged(made)
    packed = _as_journal(encode(made))
    assert holds(packed, other) == (_canonical(made) == _canonical(other))


@given(_repeating, _repeating)
def test_bl9_a_layout_holds_no_other_value(made: Any, other: Any) -> None:
    made, other = _as_journal(made), _as_journal(other)
    assert holds(_as_journal(encode(made)), other) == (_canonical(made) == _canonical(other))


def test_bl9_a_layout_holds_a_plan_s_values_as_json_writes_them() -> None:
    rows = [
        {"unit": f"U{i}", "kind": _Kind.ROUTINE, "team": ("I-1", "I-2"), "order": i % 3, "p": 0.5}
        for i in range(9)
    ]
    packed = _as_journal(encode(_as_journal(rows)))
    assert holds(packed, rows)
    assert not holds(packed, [{**r, "order": float(r["order"])} for r in rows])
    assert not holds(packed, [*rows[:8], {**rows[8], "team": ("I-1", "I-3")}])
    assert not holds({"v": [*packed["v"], float("nan")], "d": packed["d"]}, rows)
    assert not holds({"v": packed["v"], "d": {"x": packed["d"]}}, rows)
    repeated = [[{"p": 1}], [{"p": 1}], [{"p": 1}]]
    assert holds(encode(repeated), repeated)
    assert not holds(encode(repeated), [*repeated[:2], [{"p": 1.0}]])
    signed = [0.0, -0.0, 2.5]
    assert holds(encode(signed), [0.0, -0.0, 2.5])
    assert not holds(encode(signed), [-0.0, -0.0, 2.5])
    assert not holds(encode(0.0), -0.0)


def test_bl9_a_layout_holds_what_decode_reads_from_it_by_any_index() -> None:
    lists = {"k": [1, 2, 0], "f": [0, 1, 2]}
    rows = {"n": 3, "c": {"a": [0, 1, 2], "b": {"u": lists, "i": [2, 1, 0]}}}
    for packed in (
        {"v": ["x", 1, True], "d": {"u": lists, "i": [-2, 0, -3, 1, -1]}},
        {"v": ["x", 1, True], "d": {"u": rows, "i": [-1, 1, -3, 0]}},
        {"v": ["x", 1, True], "d": {"u": {"u": rows, "i": [2, 0]}, "i": [1, -1, 0]}},
    ):
        value = decode(packed)
        assert holds(packed, value)
        assert not holds(packed, [*value[:-1], {"x": 1}])


def test_bl9_a_layout_decode_refuses_is_held_by_no_value() -> None:
    rows_as_float = {"v": [], "d": {"n": 2.0, "c": {}}}
    with pytest.raises(TypeError):
        decode(rows_as_float)
    assert not holds(rows_as_float, [{}, {}])
    lengths_as_float = {"v": ["a"], "d": {"k": [1.0], "f": [0]}}
    with pytest.raises(TypeError):
        decode(lengths_as_float)
    assert not holds(lengths_as_float, [["a"]])
    index_past_the_end = {"v": [], "d": {"u": {"n": 1, "c": {}}, "i": [0, 3]}}
    with pytest.raises(IndexError):
        decode(index_past_the_end)
    assert not holds(index_past_the_end, [{}, {}])


@given(_json | _repeating)
# items alike but for the order of their keys (so alike in canonical JSON), and numbers
# alike in value but not in JSON: the writer's shortcuts must not tell the first apart
# nor take the second for one
@example([[{"a": 0, "b": 0}], [{"b": 0, "a": 0}]])
@example([{"a": [{"a": 1, "b": 0}], "b": 0}, {"a": [{"b": 0, "a": 1}], "b": 0}])
@example([[1, {"a": True}], [1.0, {"a": 1}], [True, {"a": 1.0}], [1, {"a": True}]])
def test_bl9_the_writer_lays_a_value_out_as_the_specification_says(value: Any) -> None:
    value = _as_journal(value)
    assert json.dumps(encode(value), sort_keys=True) == json.dumps(
        _spec_encode(value), sort_keys=True
    )


_fields = st.recursive(
    st.dictionaries(st.sampled_from("abcd"), st.none(), min_size=1, max_size=3),
    lambda inner: st.dictionaries(
        st.sampled_from("abcd"), st.none() | inner, min_size=1, max_size=3
    ),
    max_leaves=10,
)


def _project(value: Any, keep: Any) -> Any:
    """``value`` with only the fields ``keep`` names, a list's items alike."""
    if keep is None:
        return value
    if isinstance(value, dict):
        return {k: _project(value[k], keep[k]) for k in keep if k in value}
    if isinstance(value, list):
        return [_project(v, keep) for v in value]
    return value


@settings(max_examples=400, deadline=None)
@given(_json | _repeating, _fields)
def test_bl9_a_layout_read_for_some_fields_gives_those_fields_of_the_value(
    value: Any, keep: Any
) -> None:
    """Decoding only some fields of the objects (for readers that need a few, such as
    the teams of a plan) gives the value with only those fields, exactly."""
    value = _as_journal(value)
    back = decode(_as_journal(encode(value)), keep)
    assert _canonical(back) == _canonical(_project(value, keep))
    assert [type(x) for x in _leaves(back)] == [type(x) for x in _leaves(_project(value, keep))]


def test_tj9_a_plans_rounds_read_from_its_record_are_the_rounds_it_holds(
    small_county: tuple[Path, County],
) -> None:
    """Readers of a verified journal (the sheets) take the plan's rounds as plain values
    without building the plan: the same as the structured plan written out, in the
    compact layout and in the plan written out in full; a body without them is refused
    with the record's own error."""
    _, county = small_county
    body = _record(county, _weighing(2.0))
    record = AnnualPlanRecord.from_body(body)
    rounds = serde.unstructure(record.result)["rounds"]
    assert rounds
    assert all(rd["tasks"] for rd in rounds)
    assert AnnualPlanRecord.rounds_of(body) == rounds
    full = {k: v for k, v in body.items() if k != "year"}
    full["result"] = serde.unstructure(record.result)
    assert AnnualPlanRecord.rounds_of(full) == rounds
    with pytest.raises(InvalidInputError):
        AnnualPlanRecord.rounds_of({**body, "year": {"v": [], "d": {"o": {}}}})


def test_tj9_a_plan_year_4_commitment_names_the_registries_by_their_snapshots(
    small_county: tuple[Path, County],
) -> None:
    """§12.1: under method /4 the commitment's registries are the snapshots' fingerprints
    (domain ``drawcore/year-commitment/3``); under /3 they are the records' content
    fingerprints (``/2``), as ``commit_year`` on the same records gives them."""
    _, county = small_county
    rules = _weighing(2.0)
    spec = year_plan_spec(
        "2026-xian", county, _refs(county), rules=rules, year=2026, tasks_per_inspector=3
    )
    now = prepare_spec(spec, county, rules).commitment
    assert now.by_snapshot
    assert now.domain == "drawcore/year-commitment/3"
    assert [now.units, now.inspectors, now.experts, now.items] == [
        county.fingerprints[name] for name in ("units", "inspectors", "experts", "items")
    ]
    assert spec.commitment == now.hash
    earlier = prepare_spec(
        attrs.evolve(spec, method="drawcore.plan.plan_year/3"), county, rules
    ).commitment
    assert not earlier.by_snapshot
    records = commit_year(
        county.units,
        county.inspectors,
        rules=rules,
        params=spec.parameters,
        experts=county.experts,
        items=county.items,
    )
    assert earlier.hash == records.hash != now.hash
    assert earlier.units == records.units != now.units


def test_tj9_a_registry_other_than_the_snapshot_is_refused_before_the_rules_are_asked(
    small_county: tuple[Path, County], tmp_path: Path
) -> None:
    """The /4 commitment takes the registries' names from the spec, so preparing the plan
    checks that the registries given are those snapshots."""
    folder, county = small_county
    rules = _weighing(2.0)
    spec = year_plan_spec(
        "2026-xian", county, _refs(county), rules=rules, year=2026, tasks_per_inspector=3
    )
    changed = list(county.units)
    changed[0] = attrs.evolve(changed[0], name=changed[0].name + "（分公司）")
    write_units(UnitRegistry.from_records(changed), tmp_path / "units.csv")
    for name in ("inspectors", "experts", "items"):
        shutil.copy(folder / f"{name}.csv", tmp_path / f"{name}.csv")
    other = read_county(tmp_path)
    with pytest.raises(InvalidInputError, match=r"units registry .* but the plan names"):
        prepare_spec(spec, other, rules)


def test_tj9_an_unknown_annual_plan_method_is_refused(small_county: tuple[Path, County]) -> None:
    _, county = small_county
    body = _record(county, _weighing(2.0))
    body["plan"]["method"] = "drawcore.plan.plan_year/9"
    with pytest.raises(InvalidInputError, match="unknown annual-plan method"):
        AnnualPlanRecord.from_body(body)
