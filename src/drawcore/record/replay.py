"""Replay of a single draw: re-run it from its ``draw`` record and name the first difference.

:func:`replay` re-runs the draw a record describes on the registries and compares
the record it should have produced with the one journaled, so a changed result,
seed or registry is found. Annual plans are replayed by
:func:`drawcore.record.annual.replay_year`, with :func:`first_difference` and the
helpers here; a whole journal by :mod:`drawcore.record.verification`.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from drawcore.errors import DrawcoreError, InvalidInputError
from drawcore.record.draw_plans import _version
from drawcore.record.records import DrawRecord, draw_record, run_draw
from drawcore.registry.registries import ExpertRegistry, InspectorRegistry, UnitRegistry
from drawcore.serde import canonical_json

__all__ = ["first_difference", "replay"]


def first_difference(recorded: Any, replayed: Any, path: str = "") -> str | None:
    """The first place two plain JSON values differ, as ``path: recorded X, replay Y``."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        for key in sorted(set(recorded) | set(replayed)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in recorded or key not in replayed:
                return f"{sub}: present in only one of record and replay"
            found = first_difference(recorded[key], replayed[key], sub)
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(replayed, list):
        for i, (a, b) in enumerate(zip(recorded, replayed, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(recorded) != len(replayed):
            return f"{path}: recorded {len(recorded)} entries, replay gives {len(replayed)}"
        return None
    if recorded != replayed or type(recorded) is not type(replayed):
        return f"{path or 'value'}: recorded {recorded!r}, replay gives {replayed!r}"
    return None


def replay(
    body: Mapping[str, Any],
    units: UnitRegistry,
    inspectors: InspectorRegistry,
    *,
    committed_hash: str | None = None,
    experts: ExpertRegistry | None = None,
) -> str | None:
    """Re-run the draw a ``draw`` record body describes and compare: a problem, or ``None``.

    ``committed_hash`` is the plan hash of the plan's commitment; when given, the
    plan in the record must hash to it (its parameters are what was committed).
    ``experts``: the expert registry snapshot the plan names, if it names one.
    """
    try:
        record = DrawRecord.from_body(body)
    except InvalidInputError as err:
        return str(err)
    problem = _header_problem(
        record.plan.hash, record.plan_hash, committed_hash, record.plan.plan_id, record.plan_id
    )
    if problem is not None:
        return problem
    try:
        seed = bytes.fromhex(record.seed)
    except ValueError:
        return f"seed {record.seed!r} is not hex"
    try:
        signing = record.signing
    except InvalidInputError as err:
        return str(err)
    try:
        outcome = run_draw(record.plan, units, inspectors, seed, experts=experts)
    except DrawcoreError as err:
        return f"cannot replay: {err}"
    expected = draw_record(
        record.plan,
        outcome,
        seed_record=record.seed_record,
        seed_method=record.seed_method,
        population=len(units),
        signing=signing,
        redo_of=record.redo_of,
        redo_reason=record.redo_reason,
    )
    expected = attrs.evolve(expected, drawcore_version=record.drawcore_version)
    return _replay_difference(body, expected, record.drawcore_version)


def _header_problem(
    plan_hash: str,
    recorded_hash: object,
    committed_hash: str | None,
    plan_id: str,
    recorded_id: object,
) -> str | None:
    """The record's plan hashes to its ``plan_hash`` (the committed one) and has its plan id."""
    if plan_hash != recorded_hash:
        return f"the plan in the record hashes to {plan_hash}, not {recorded_hash}"
    if committed_hash is not None and plan_hash != committed_hash:
        return f"plan hash {plan_hash} is not the committed {committed_hash}"
    if plan_id != recorded_id:
        return f"plan_id {recorded_id!r} differs from the plan's {plan_id!r}"
    return None


def _replay_difference(
    body: Mapping[str, Any], expected: object, recorded_version: object
) -> str | None:
    """The first difference between a record body and its replay, naming both versions."""
    recorded = json.loads(canonical_json(dict(body)))  # as the journal holds it
    diff = first_difference(recorded, json.loads(canonical_json(expected)))
    if diff is None:
        return None
    note = ""
    if recorded_version != _version():
        note = f" (recorded with drawcore {recorded_version}, replayed with {_version()})"
    return f"replay differs at {diff}{note}"
