"""Commit before reveal: RFC 3797 known answers, party commitments, and the ceremony rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore.errors import InvalidInputError, JournalError
from drawcore.record import seeding
from drawcore.record.journal import Journal
from drawcore.record.journal_check import verify
from drawcore.record.seeding import (
    DRAW,
    PARTY_COMMITMENT,
    PARTY_REVEAL,
    PLAN_COMMITMENT,
    SEED,
    VOID,
)

# RFC 3797 section 6 worked example. Inputs, key string, the sixteen MD5 values
# and the selection are copied from the RFC's published example as reproduced in
# richsalz/ietf-rfc3797-code (ref.seeds, ref.results, ref.expected-diff: "the
# reference input files and output from that RFC") and in the CPAN module
# Algorithm::Voting::Sortition's test suite (t/*.t, "digests from URL
# http://tools.ietf.org/html/rfc3797#section-6").
RFC_SOURCES: list[int | list[int]] = [9319, [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]
RFC_KEY = "9319./2.5.8.10.12./9.18.26.34.41.45./"
RFC_MD5 = [
    "990DD0A5692A029A98B5E01AA28F3459",
    "3691E55CB63FCC37914430B2F70B5EC6",
    "FE814EDF564C190AC1D25753979990FA",
    "1863CCACEB568C31D7DDBDF1D4E91387",
    "F4AB33DF4889F0AF29C513905BE1D758",
    "13EAEB529F61ACFB9A29D0BA3A60DE4A",
    "992DB77C382CA2BDB9727001F3CDCCD9",
    "63AB4258ECA922976811C7F55C383CE7",
    "DFBC5AC97CED01B3A6E348E3CC63F40D",
    "31CB111C4A4EBE9287CEAE16FE51B909",
    "07FA46C122F164C215BBC72793B189A3",
    "AC52F8D75CCBE2E61AFEB3387637D501",
    "53306F73E14FC0B2FBF434218D25948E",
    "B5D1403501A81F9A47318BE7893B347C",
    "85B10B356AA06663EF1B1B407765100A",
    "3269E6CE559ABD57E2BA6AAB495EB9BD",
]
RFC_POOL = [
    "John",
    "Mary",
    "Bashful",
    "Dopey",
    "Sleepy",
    "Grouchy",
    "Doc",
    "Sneazy",
    "Handsome",
    "Cassandra",
    "Pollyanna",
    "Pendragon",
    "Pandora",
    "Faith",
    "Hope",
    "Charity",
    "Lee",
    "Longsuffering",
    "Chastity",
    "Smith",
    "Pride",
    "Sloth",
    "Envy",
    "Anger",
    "Kasczynski",
]
RFC_SELECTED = [17, 7, 2, 16, 25, 23, 8, 24, 19, 13, 22, 5, 18, 9, 1, 4]
RFC_FIRST_TEN = [
    "Lee",
    "Doc",
    "Mary",
    "Charity",
    "Kasczynski",
    "Envy",
    "Sneazy",
    "Anger",
    "Chastity",
    "Pandora",
]

PLAN = {"plan_id": "2026-Q4-boluo", "size": 30, "registry": "sha256:abc", "rules": "boluo 1.0"}
T0 = "2026-10-01T09:00:00+08:00"  # plan committed
T1 = "2026-10-02T20:30:00+08:00"  # lottery drawn
T2 = "2026-10-03T09:00:00+08:00"  # seed recorded


def test_rfc3797_section6_key_string() -> None:
    assert seeding.rfc3797_key(RFC_SOURCES) == RFC_KEY


def test_rfc3797_section6_md5_values() -> None:
    assert [seeding.rfc3797_digest(RFC_KEY, i).hex().upper() for i in range(16)] == RFC_MD5


def test_rfc3797_section6_selection() -> None:
    chosen = seeding.rfc3797_select(RFC_KEY, len(RFC_POOL), 16)
    assert list(chosen) == RFC_SELECTED
    assert [RFC_POOL[i - 1] for i in chosen[:10]] == RFC_FIRST_TEN


@given(st.lists(st.lists(st.integers(0, 10**6), min_size=1, max_size=6), min_size=1, max_size=5))
def test_rfc3797_key_ignores_order_within_a_source(sources: list[list[int]]) -> None:
    shuffled = [list(reversed(s)) for s in sources]
    assert seeding.rfc3797_key(sources) == seeding.rfc3797_key(shuffled)


@given(st.integers(1, 200), st.data())
def test_rfc3797_selection_is_distinct_positions(pool: int, data: st.DataObject) -> None:
    count = data.draw(st.integers(0, pool))
    chosen = seeding.rfc3797_select(RFC_KEY, pool, count)
    assert len(set(chosen)) == count
    assert all(1 <= c <= pool for c in chosen)


@pytest.mark.parametrize("bad", [[], [[]], [-1], [1.5], ["7"], [True]])
def test_rfc3797_key_rejects_bad_sources(bad: list[object]) -> None:
    with pytest.raises(InvalidInputError):
        seeding.rfc3797_key(bad)  # type: ignore[arg-type]


def test_plan_hash_is_canonical() -> None:
    reordered = dict(reversed(list(PLAN.items())))
    assert seeding.plan_hash(PLAN) == seeding.plan_hash(reordered)
    assert seeding.plan_hash(PLAN) != seeding.plan_hash({**PLAN, "size": 31})


@given(st.binary(min_size=1, max_size=64), st.binary(min_size=16, max_size=32))
def test_reveal_opens_only_its_commitment(contribution: bytes, salt: bytes) -> None:
    c = seeding.commit_contribution(contribution, salt)
    assert seeding.check_reveal(c, contribution, salt)
    assert not seeding.check_reveal(c, contribution + b"x", salt)
    assert not seeding.check_reveal(c, contribution, bytes(b ^ 1 for b in salt))


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.binary(min_size=1), min_size=1))
def test_parties_seed_does_not_depend_on_reveal_order(reveals: dict[str, bytes]) -> None:
    backwards = dict(reversed(list(reveals.items())))
    assert seeding.parties_seed(reveals) == seeding.parties_seed(backwards)


def test_parties_seed_depends_on_every_contribution() -> None:
    base = {"a": b"1", "b": b"2"}
    assert seeding.parties_seed(base) != seeding.parties_seed({"a": b"1", "b": b"3"})
    # length prefixes: moving a byte between party name and contribution changes the seed
    assert seeding.parties_seed({"ab": b"c"}) != seeding.parties_seed({"a": b"bc"})


@pytest.mark.parametrize("bad", ["2026-10-01T09:00:00", "yesterday", 5])
def test_times_need_a_utc_offset(bad: object) -> None:
    with pytest.raises(InvalidInputError):
        seeding.parse_time(bad, "at")


# -- the ceremony, enforced by the journal ---------------------------------------------------


def _committed(tmp_path: Path) -> tuple[Journal, str]:
    j = Journal(tmp_path / "j.jsonl")
    body = seeding.plan_commitment_body(
        PLAN["plan_id"], PLAN, committed_at=T0, committed_by="inspector-lead"
    )
    j.append(PLAN_COMMITMENT, body)
    return j, body["plan_hash"]


def _refused(j: Journal, kind: str, body: object, match: str) -> None:
    before = j.path.read_bytes()
    with pytest.raises(JournalError, match=match):
        j.append(kind, body)
    assert j.path.read_bytes() == before


def test_bl9_seed_without_plan_commitment_refused(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl")
    body = seeding.seed_body(
        "p", "00" * 32, entropy_at=T1, recorded_at=T2, rfc3797_sources=RFC_SOURCES
    )
    with pytest.raises(JournalError, match="no commitment"):
        j.append(SEED, body)
    assert not j.path.exists() or j.path.read_bytes() == b""


def test_bl9_seed_with_entropy_before_commitment_refused(tmp_path: Path) -> None:
    j, ph = _committed(tmp_path)
    early = seeding.seed_body(
        PLAN["plan_id"],
        ph,
        entropy_at="2026-09-30T20:30:00+08:00",
        recorded_at=T2,
        rfc3797_sources=RFC_SOURCES,
    )
    _refused(j, SEED, early, "not after the plan's commitment")
    same_instant = {**early, "entropy_at": "2026-10-01T01:00:00Z"}  # == T0 in UTC
    _refused(j, SEED, same_instant, "not after")


@given(st.integers(-10_000, 10_000))
def test_bl9_seed_accepted_iff_entropy_after_commitment(minutes: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        j, ph = _committed(Path(d))
        at = dt.datetime.fromisoformat(T0) + dt.timedelta(minutes=minutes)
        later = max(at, dt.datetime.fromisoformat(T0)).isoformat()
        body = seeding.seed_body(
            PLAN["plan_id"],
            ph,
            entropy_at=at.isoformat(),
            recorded_at=later,
            rfc3797_sources=RFC_SOURCES,
        )
        if minutes > 0:
            j.append(SEED, body)
            assert j.size == 2
        else:
            _refused(j, SEED, body, "not after")


def test_bl9_seed_must_match_plan_hash_and_recompute(tmp_path: Path) -> None:
    j, ph = _committed(tmp_path)
    good = seeding.seed_body(
        PLAN["plan_id"], ph, entropy_at=T1, recorded_at=T2, rfc3797_sources=RFC_SOURCES
    )
    _refused(j, SEED, {**good, "plan_hash": "11" * 32}, "plan hash")
    _refused(j, SEED, {**good, "seed": "22" * 32}, "does not follow")
    _refused(j, SEED, {**good, "key": "1./"}, "not the RFC 3797 key")
    _refused(j, SEED, {**good, "recorded_at": T0}, "recorded_at is before")
    j.append(SEED, good)
    assert good["seed"] == seeding.rfc3797_seed(RFC_KEY).hex()


def test_bl9_second_result_for_one_plan_refused_and_void_is_visible(tmp_path: Path) -> None:
    j, ph = _committed(tmp_path)
    seed = seeding.seed_body(
        PLAN["plan_id"], ph, entropy_at=T1, recorded_at=T2, rfc3797_sources=RFC_SOURCES
    )
    j.append(SEED, seed)
    draw = {"plan_id": PLAN["plan_id"], "seed": seed["seed"], "selected": ["u1", "u2"]}
    first = j.append(DRAW, draw)
    _refused(j, DRAW, {**draw, "selected": ["u3"]}, "second result")
    _refused(j, SEED, seed, "already has a seed")
    with pytest.raises(InvalidInputError):
        seeding.void_body(first.seq, "  ", voided_by="lead", at=T2)
    _refused(j, VOID, {"voids": 0, "reason": "x", "voided_by": "a", "at": T2}, "not a seed or draw")
    _refused(
        j, VOID, seeding.void_body(first.seq - 1, "r", voided_by="a", at=T2), "before its seed"
    )
    void = j.append(
        VOID, seeding.void_body(first.seq, "unit list was stale", voided_by="lead", at=T2)
    )
    _refused(
        j, VOID, seeding.void_body(first.seq, "again", voided_by="lead", at=T2), "already voided"
    )
    redo = j.append(DRAW, {**draw, "selected": ["u3"]})
    assert (first.seq, void.seq, redo.seq) == (2, 3, 4)
    assert verify(j.path).ok


def test_bl9_draw_needs_the_plans_live_seed(tmp_path: Path) -> None:
    j, ph = _committed(tmp_path)
    _refused(j, DRAW, {"plan_id": PLAN["plan_id"], "seed": "00"}, "no live seed")
    seed = seeding.seed_body(
        PLAN["plan_id"], ph, entropy_at=T1, recorded_at=T2, rfc3797_sources=RFC_SOURCES
    )
    j.append(SEED, seed)
    _refused(j, DRAW, {"plan_id": PLAN["plan_id"], "seed": "00" * 32}, "does not use")


def test_bl9_plan_committed_once(tmp_path: Path) -> None:
    j, _ = _committed(tmp_path)
    body = seeding.plan_commitment_body(
        PLAN["plan_id"], {**PLAN, "size": 5}, committed_at=T1, committed_by="x"
    )
    _refused(j, PLAN_COMMITMENT, body, "already committed")


def test_bl9_multi_party_commit_then_reveal(tmp_path: Path) -> None:
    j, ph = _committed(tmp_path)
    pid = PLAN["plan_id"]
    secrets = {"county": (b"county-secret", b"s" * 32), "auditor": (b"auditor-secret", b"t" * 32)}
    for party, (c, s) in secrets.items():
        commit = seeding.commit_contribution(c, s)
        j.append(
            PARTY_COMMITMENT, seeding.party_commitment_body(pid, party, commit, committed_at=T1)
        )
    early = seeding.party_commitment_body(pid, "late", "ab" * 32, committed_at=T0)
    _refused(j, PARTY_COMMITMENT, early, "not after the plan commitment")
    wrong = seeding.party_reveal_body(pid, "county", b"other", b"s" * 32, revealed_at=T2)
    _refused(j, PARTY_REVEAL, wrong, "does not open")
    c, s = secrets["county"]
    j.append(PARTY_REVEAL, seeding.party_reveal_body(pid, "county", c, s, revealed_at=T2))
    late = seeding.party_commitment_body(pid, "late", "ab" * 32, committed_at=T2)
    _refused(j, PARTY_COMMITMENT, late, "after reveals began")
    partial = seeding.seed_body(pid, ph, entropy_at=T2, recorded_at=T2, reveals={"county": c})
    _refused(j, SEED, partial, "not revealed yet: auditor")
    c2, s2 = secrets["auditor"]
    j.append(PARTY_REVEAL, seeding.party_reveal_body(pid, "auditor", c2, s2, revealed_at=T2))
    reveals = {"county": c, "auditor": c2}
    both = seeding.seed_body(
        pid, ph, entropy_at=T2, recorded_at=T2, rfc3797_sources=RFC_SOURCES, reveals=reveals
    )
    rec = j.append(SEED, both)
    expected = seeding.combined_seed(seeding.rfc3797_seed(RFC_KEY), seeding.parties_seed(reveals))
    assert rec.body["seed"] == expected.hex()
    assert rec.body["method"] == "rfc3797+parties"
    assert verify(j.path).ok


def test_bl9_verify_reports_a_seed_recorded_before_its_commitment(tmp_path: Path) -> None:
    """A journal written by another tool that put the seed first fails verification."""
    from drawcore.record.checkpoints import _dumps
    from drawcore.record.journal import _full_line, _unsigned_line

    ph = seeding.plan_hash(PLAN)
    seed = seeding.seed_body(
        PLAN["plan_id"], ph, entropy_at=T1, recorded_at=T2, rfc3797_sources=[1]
    )
    commit = seeding.plan_commitment_body(PLAN["plan_id"], PLAN, committed_at=T0, committed_by="a")
    prev, out = "0" * 64, b""
    import hashlib

    for seq, (kind, body) in enumerate([(SEED, seed), (PLAN_COMMITMENT, commit)]):
        k, b = _dumps(kind), _dumps(body)
        h = hashlib.sha256(_unsigned_line(seq, prev, k, b)).hexdigest()
        out += _full_line(seq, prev, k, b, h) + b"\n"
        prev = h
    path = tmp_path / "forged.jsonl"
    path.write_bytes(out)
    report = verify(path)
    assert not report.ok
    assert [(p.record, p.kind) for p in report.problems] == [(0, "rule")]
