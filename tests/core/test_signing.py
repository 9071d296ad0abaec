"""Signing: who drew, who signed, and when (TJ-9 谁抽查、谁签字、谁负责), one value checked once,
kept in the draw record under the same four keys (record bytes unchanged)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from ceremony_site import COMMITTED, DRAWN, ENTROPY, NUMBERS, SIGNING, WHO
from hypothesis import given
from hypothesis import strategies as st

import drawcore
from drawcore.errors import InvalidInputError
from drawcore.record import ceremony
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.records import DrawRecord
from drawcore.record.signing import Signing
from drawcore.registry.registries import County


def _plan(county: County) -> DrawPlan:
    return DrawPlan(
        plan_id="2026Q1-signing",
        units=RegistryRef(path="registries/units.csv", fingerprint=county.units.fingerprint),
        inspectors=RegistryRef(
            path="registries/inspectors.csv", fingerprint=county.inspectors.fingerprint
        ),
        size=10,
    )


def _run(d: Path, county: County, name: str, **who: object) -> bytes:
    j = Journal(d / name)
    ceremony.run_ceremony(
        j,
        _plan(county),
        committed_at=COMMITTED,
        committed_by="王建国",
        entropy_at=ENTROPY,
        rfc3797_sources=NUMBERS,
        **who,  # type: ignore[arg-type]
    )
    return j.path.read_bytes()


def test_tj9_a_signing_value_is_kept_as_the_records_four_fields(
    site: tuple[Path, County],
) -> None:
    d, county = site
    _run(d, county, "value.jsonl", signing=SIGNING)
    body = Journal(d / "value.jsonl").records()[2].body
    assert {k: body[k] for k in WHO} == WHO  # the record's JSON keys stay
    assert DrawRecord.from_body(body).signing == SIGNING
    assert drawcore.Signing is Signing


@pytest.mark.parametrize("step", [ceremony.draw, ceremony.redo, ceremony.run_ceremony])
def test_tj9_a_single_draw_takes_signing_and_nothing_else_for_it(step: object) -> None:
    """``signing`` is required and the only way in: no loose ``drawn_by`` and the like."""
    params = inspect.signature(step).parameters  # type: ignore[arg-type]
    assert params["signing"].default is inspect.Parameter.empty
    assert not set(WHO) & set(params)


def test_tj9_the_four_loose_fields_are_refused(
    site: tuple[Path, County],
) -> None:
    d, county = site
    with pytest.raises(TypeError, match="drawn_by"):
        _run(d, county, "fields.jsonl", signing=SIGNING, drawn_by="李明")
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        _run(d, county, "fields-only.jsonl", **WHO)
    with pytest.raises(TypeError, match="signing"):
        _run(d, county, "neither.jsonl")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"drawn_by": ""}, "drawn_by must name a person"),
        ({"signed_by": "  "}, "signed_by must name a person"),
        ({"drawn_at": "2026-01-07 09:00"}, "has no UTC offset"),
        ({"signed_at": "tomorrow"}, "not an ISO 8601"),
        ({"signed_at": "2026-01-07T08:59:59+08:00"}, "signed after it is made"),
    ],
)
def test_tj9_signing_is_checked_when_it_is_made(change: dict[str, str], why: str) -> None:
    with pytest.raises(InvalidInputError, match=why):
        Signing(**{**WHO, **change})


@given(minutes=st.integers(-600, 600))
def test_tj9_signature_never_before_the_draw(minutes: int) -> None:
    """Same instant in another offset counts as the same time (ISO 8601 with offsets)."""
    import datetime as dt

    drawn = dt.datetime.fromisoformat(DRAWN)
    signed = (drawn + dt.timedelta(minutes=minutes)).astimezone(dt.UTC)
    fields = {**WHO, "signed_at": signed.isoformat()}
    if minutes < 0:
        with pytest.raises(InvalidInputError):
            Signing(**fields)
    else:
        assert Signing(**fields).signed_at == signed.isoformat()
