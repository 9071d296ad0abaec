"""The year commitment's hash is the one docs/spec.md §12.1 defines.

The plan writes the commitment's unit lists with each distinct list of reasons
encoded once; the specification's reference program (``cjson``, §3) encodes the
whole value as plain JSON. Both must give the same hash for every commitment, with
the registries named by their snapshots (domain ``drawcore/year-commitment/3``) or by
their records (``/2``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drawcore import serde
from drawcore.plan.parameters import YearParameters
from drawcore.plan.tasks import UnitFrequency, UnitReasons, YearCommitment
from drawcore.plugin.values import Reason
from tests.spec_modules import REPLAY, load

replay = load(REPLAY)

TEXT = st.text(
    alphabet=st.sampled_from(
        ["a", "Z", " ", '"', "\\", "/", "\n", "\x00", "\x7f", "关", "闭", "é", "😀"]
    ),
    max_size=6,
)
REASON = st.builds(
    Reason,
    clause=st.sampled_from(["NAT-3", "BL-6", "TJ-5"]),
    text=TEXT.map(lambda t: t + "x"),
    plugin=st.sampled_from(["", "drawcore-national", "插件"]),
)
# few distinct reason lists, so that units share them as in a real plan
REASON_LISTS = st.lists(st.lists(REASON, max_size=3).map(tuple), min_size=1, max_size=3)


def _shared_or_copied(lists: list[tuple[Reason, ...]]) -> st.SearchStrategy[tuple[Reason, ...]]:
    """One of ``lists``: the same tuple object, or an equal copy (units sharing a list of
    reasons by value only)."""
    picked = st.sampled_from(lists)
    return st.one_of(picked, picked.map(lambda rs: tuple(r for r in rs)))


def _reasons(r: Reason) -> dict[str, Any]:
    return {"clause": r.clause, "text": r.text, "plugin": r.plugin}


@st.composite
def commitments(draw: st.DrawFn) -> YearCommitment:
    lists = draw(REASON_LISTS)
    ids = st.text(alphabet='U0123456789"\\中', min_size=1, max_size=5)

    def unit_reasons() -> tuple[UnitReasons, ...]:
        return tuple(
            UnitReasons(unit_id=u, reasons=draw(_shared_or_copied(lists)))
            for u in draw(st.lists(ids, max_size=6, unique=True))
        )

    return YearCommitment(
        parameters=YearParameters(year=draw(st.integers(2019, 2030)), rounds=4),
        jurisdiction=draw(st.sampled_from([None, "tianjin", "boluo"])),
        plugins=(("drawcore-national", "1"),),
        capacities=tuple(draw(st.lists(st.integers(0, 99), min_size=4, max_size=4))),
        units="u" * 64,
        inspectors="i" * 64,
        experts="e" * 64,
        items="t" * 64,
        declared_conflicts="d" * 64,
        office_teams="o" * 64,
        mandatory=unit_reasons(),
        excluded=unit_reasons(),
        key_supervision=tuple(
            UnitFrequency(
                unit_id=u, times=draw(st.integers(0, 4)), reasons=draw(_shared_or_copied(lists))
            )
            for u in draw(st.lists(ids, max_size=6, unique=True))
        ),
        waived=unit_reasons(),
        by_snapshot=draw(st.booleans()),
    )


def _spec_hash(c: YearCommitment) -> str:
    """§12.1 by the reference program: the commitment as plain JSON, hashed."""
    listed = {
        name: [
            {"unit_id": r.unit_id, "reasons": [_reasons(x) for x in r.reasons]}
            for r in getattr(c, name)
        ]
        for name in ("mandatory", "excluded", "waived")
    }
    value = {
        "parameters": serde.unstructure(c.parameters),
        "jurisdiction": c.jurisdiction,
        "plugins": [list(p) for p in c.plugins],
        "capacities": list(c.capacities),
        "units": c.units,
        "inspectors": c.inspectors,
        "experts": c.experts,
        "items": c.items,
        "declared_conflicts": c.declared_conflicts,
        "office_teams": c.office_teams,
        "key_supervision": [
            {"unit_id": f.unit_id, "times": f.times, "reasons": [_reasons(x) for x in f.reasons]}
            for f in c.key_supervision
        ],
        **listed,
    }
    domain = b"drawcore/year-commitment/3" if c.by_snapshot else b"drawcore/year-commitment/2"
    return hashlib.sha256(domain + b"\x00" + replay.cjson(value)).hexdigest()


@settings(max_examples=200, deadline=None)
@given(commitments())
def test_the_commitment_hash_is_the_specifications(c: YearCommitment) -> None:
    assert c.hash == _spec_hash(c)
