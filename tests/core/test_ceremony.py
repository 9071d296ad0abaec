"""Draw records, replay, the ceremony API and inspection results (BL-7, BL-8, BL-9, TJ-8, TJ-9)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest
from ceremony_site import COMMITTED, DRAWN, ENTROPY, NUMBERS, SIGNED, SIGNING, WHO, run_all
from hypothesis import given
from hypothesis import strategies as st

from drawcore.errors import InfeasibleError, InvalidInputError, JournalError, PluginError
from drawcore.record import ceremony, commitments, draw_rules, verification
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal, Record
from drawcore.record.journal_check import verify
from drawcore.record.records import DrawRecord, draw_record, run_draw
from drawcore.record.replay import first_difference, replay
from drawcore.record.results import InspectionResult, Outcome
from drawcore.record.seeding import seed_body
from drawcore.record.signing import Signing
from drawcore.registry.readers import read_county
from drawcore.registry.registries import County, UnitRegistry
from drawcore.serde import unstructure


def make_plan(county: County, **changes: Any) -> DrawPlan:
    plan = DrawPlan(
        plan_id="2026Q1",
        units=RegistryRef(path="registries/units.csv", fingerprint=county.units.fingerprint),
        inspectors=RegistryRef(
            path="registries/inspectors.csv", fingerprint=county.inspectors.fingerprint
        ),
        size=30,
        max_tasks=3,
        recusal_rules=("township",),
    )
    return attrs.evolve(plan, **changes)


def drawn_journal(d: Path, county: County, **changes: Any) -> tuple[Journal, DrawPlan, Record]:
    j = Journal(d / "journal.jsonl")
    plan = make_plan(county, **changes)
    commitments.commit_plan(j, plan, committed_at=COMMITTED, committed_by="王建国")
    commitments.form_seed(j, plan, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS)
    drawn = ceremony.draw(j, plan, signing=SIGNING)
    return j, plan, drawn.record


def rewrite(path: Path, records: list[tuple[str, Any]]) -> Path:
    """A forger's consistent rewrite: every hash, chain link and rule recomputed."""
    out = path.with_name("forged.jsonl")
    Journal(out).append_many(records)
    return out


def as_entries(j: Journal) -> list[tuple[str, Any]]:
    return [(r.type, r.body) for r in j.records()]


# -- replay --------------------------------------------------------------------------------


def test_tj8_draw_record_replays(site: tuple[Path, County]) -> None:
    d, county = site
    j, plan, rec = drawn_journal(d, county)
    body = rec.body
    assert body["plan_hash"] == plan.hash
    assert body["seed_record"] == 1
    assert body["seed_method"] == "rfc3797"
    assert len(body["units"]) == 30
    assert all(0 < u["probability"] <= 1 for u in body["units"])
    assert {a["unit_id"] for a in body["teams"]["assignments"]} == {
        u["unit_id"] for u in body["units"]
    }
    report = verification.verify_draws(j.path)
    assert report.ok, report.format()


def test_tj9_draw_record_names_who_drew_and_signed(site: tuple[Path, County]) -> None:
    d, county = site
    _, plan, rec = drawn_journal(d, county)
    assert (rec.body["drawn_by"], rec.body["signed_by"]) == ("李明", "王建国")
    assert (rec.body["drawn_at"], rec.body["signed_at"]) == (DRAWN, SIGNED)
    outcome = run_draw(plan, read_county(d / "registries").units, county.inspectors, b"s")
    with pytest.raises(InvalidInputError, match="signed_by"):
        Signing(**{**WHO, "signed_by": " "})
    with pytest.raises(InvalidInputError, match="signed after"):
        Signing(**{**WHO, "signed_at": "2026-01-07T08:00:00+08:00"})
    signing = Signing(**WHO)
    rec2 = draw_record(plan, outcome, seed_record=1, seed_method="x", population=1, signing=signing)
    assert DrawRecord.from_body(unstructure(rec2)).signing == signing


def test_tj8_replay_detects_a_changed_result(site: tuple[Path, County]) -> None:
    d, county = site
    j, _, rec = drawn_journal(d, county)
    entries = as_entries(j)
    drawn_ids = {u["unit_id"] for u in rec.body["units"]}
    outsider = next(u for u in county.units.ids.tolist() if u not in drawn_ids)
    body = entries[2][1]
    body["units"][0]["unit_id"] = outsider
    forged = rewrite(j.path, entries)
    report = verification.verify_draws(forged, registry_dir=d)
    assert not report.ok
    assert report.bad_records == (2,)
    assert "replay differs at units[0].unit_id" in report.format()


def test_tj8_replay_detects_a_changed_team(site: tuple[Path, County]) -> None:
    d, county = site
    j, _, _ = drawn_journal(d, county)
    entries = as_entries(j)
    a = entries[2][1]["teams"]["assignments"][3]
    other = next(i for i in county.inspectors.ids.tolist() if i not in a["members"])
    a["members"][0] = other
    report = verification.verify_draws(rewrite(j.path, entries), registry_dir=d)
    assert report.bad_records == (2,)
    assert "teams.assignments[3].members[0]" in report.format()


def test_tj8_replay_detects_a_changed_seed(site: tuple[Path, County]) -> None:
    d, county = site
    j, plan, _ = drawn_journal(d, county)
    entries = as_entries(j)
    # Other public numbers, consistently re-derived: the rules accept the records,
    # but the result no longer follows from the seed.
    seed = seed_body(
        plan.plan_id,
        plan.hash,
        entropy_at=ENTROPY,
        recorded_at=DRAWN,
        rfc3797_sources=[[1, 2, 3, 4, 5, 6], [7], [8]],
    )
    entries[1] = ("seed", seed)
    entries[2][1]["seed"] = seed["seed"]
    report = verification.verify_draws(rewrite(j.path, entries), registry_dir=d)
    assert report.bad_records == (2,)
    assert "replay differs" in report.format()


def test_tj8_replay_detects_a_changed_registry(site: tuple[Path, County]) -> None:
    d, county = site
    j, _, _ = drawn_journal(d, county)
    units_csv = d / "registries" / "units.csv"
    lines = units_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace(",low,", ",major,", 1).replace(",moderate,", ",major,", 1)
    assert lines[5] != units_csv.read_text(encoding="utf-8").splitlines(keepends=True)[5]
    units_csv.write_text("".join(lines), encoding="utf-8")
    report = verification.verify_draws(j.path)
    assert report.bad_records == (2,)
    assert "fingerprint" in report.format()


def test_tj8_replay_detects_a_plan_other_than_the_committed_one(
    site: tuple[Path, County],
) -> None:
    d, county = site
    j, _plan, _ = drawn_journal(d, county)
    entries = as_entries(j)
    bigger = make_plan(county, size=31)
    entries[2][1]["plan"] = unstructure(bigger)
    entries[2][1]["plan_hash"] = bigger.hash
    report = verification.verify_draws(rewrite(j.path, entries), registry_dir=d)
    assert report.bad_records == (2,)
    assert "not the committed" in report.format()


def test_tj8_replay_reports_a_missing_registry_snapshot(site: tuple[Path, County]) -> None:
    d, county = site
    j, _, _ = drawn_journal(d, county)
    (d / "registries" / "inspectors.csv").unlink()
    report = verification.verify_draws(j.path)
    assert report.bad_records == (2,)
    assert "cannot replay" in report.format()


def test_run_draw_refuses_registries_other_than_the_plans(site: tuple[Path, County]) -> None:
    _, county = site
    plan = make_plan(county)
    other = UnitRegistry.from_records(list(county.units)[:-1])
    with pytest.raises(InvalidInputError, match="fingerprint"):
        run_draw(plan, other, county.inspectors, b"seed")


@given(seed=st.binary(min_size=1, max_size=16), size=st.integers(0, 40))
def test_tj8_every_draw_replays_and_any_changed_unit_is_caught(
    small_county: tuple[Path, County], seed: bytes, size: int
) -> None:
    _, county = small_county
    plan = make_plan(county, size=size, max_tasks=None)
    outcome = run_draw(plan, county.units, county.inspectors, seed)
    rec = draw_record(
        plan, outcome, seed_record=1, seed_method="rfc3797", population=300, signing=Signing(**WHO)
    )
    body = unstructure(rec)
    assert replay(body, county.units, county.inspectors, committed_hash=plan.hash) is None
    if size:
        body["units"][-1]["probability"] = body["units"][-1]["probability"] / 2
        assert replay(body, county.units, county.inspectors) is not None


def test_first_difference_names_the_path() -> None:
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == (
        "a[1].b: recorded 2, replay gives 3"
    )
    assert first_difference([1], [1, 2]) == ": recorded 1 entries, replay gives 2"
    assert first_difference({"x": 1.0}, {"x": 1}) is not None
    assert first_difference({"x": [1]}, {"x": [1]}) is None


def test_draw_record_round_trips(site: tuple[Path, County]) -> None:
    d, county = site
    _, _, rec = drawn_journal(d, county)
    assert unstructure(DrawRecord.from_body(rec.body)) == rec.body
    with pytest.raises(InvalidInputError, match="not a draw record"):
        DrawRecord.from_body({**rec.body, "extra": 1})


# -- the ceremony --------------------------------------------------------------------------


def test_bl9_seed_before_commitment_is_refused(site: tuple[Path, County]) -> None:
    d, county = site
    j = Journal(d / "journal.jsonl")
    plan = make_plan(county)
    with pytest.raises(JournalError, match="no commitment"):
        commitments.form_seed(
            j, plan, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS
        )
    assert not j.path.exists() or j.path.read_bytes() == b""
    commitments.commit_plan(j, plan, committed_at=COMMITTED, committed_by="王建国")
    with pytest.raises(JournalError, match="not after the plan's commitment"):
        commitments.form_seed(
            j,
            plan,
            entropy_at="2026-01-04T21:30:00+08:00",
            recorded_at=DRAWN,
            rfc3797_sources=NUMBERS,
        )
    assert j.refresh() == 1


def test_bl9_draw_without_seed_or_commitment_is_refused(site: tuple[Path, County]) -> None:
    d, county = site
    j = Journal(d / "journal.jsonl")
    plan = make_plan(county)
    with pytest.raises(JournalError, match="no commitment"):
        ceremony.draw(j, plan, signing=SIGNING)
    commitments.commit_plan(j, plan, committed_at=COMMITTED, committed_by="王建国")
    with pytest.raises(JournalError, match="no live seed"):
        ceremony.draw(j, plan, signing=SIGNING)
    with pytest.raises(JournalError, match="hashes to"):
        ceremony.draw(j, make_plan(county, size=29), signing=SIGNING)
    assert j.refresh() == 1


def test_bl9_second_result_for_a_plan_is_refused(site: tuple[Path, County]) -> None:
    d, county = site
    j, plan, _ = drawn_journal(d, county)
    before = j.path.read_bytes()
    with pytest.raises(JournalError, match="second result"):
        ceremony.draw(j, plan, signing=SIGNING)
    with pytest.raises(JournalError, match="second result"):
        ceremony.run_ceremony(j, plan, signing=SIGNING)
    # Appending a draw body directly is refused by the journal's rules too.
    body = j.records()[2].body
    with pytest.raises(JournalError, match="second result"):
        j.append("draw", body)
    assert j.path.read_bytes() == before


def test_bl9_failed_draw_writes_nothing(site: tuple[Path, County]) -> None:
    d, county = site
    j = Journal(d / "journal.jsonl")
    # 40 teams of 2 need 80 places; 61 active inspectors with one task each have 61
    plan = make_plan(county, size=40, max_tasks=1)
    commitments.commit_plan(j, plan, committed_at=COMMITTED, committed_by="王建国")
    commitments.form_seed(j, plan, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS)
    before = j.path.read_bytes()
    with pytest.raises(InfeasibleError):
        ceremony.draw(j, plan, signing=SIGNING)
    assert j.path.read_bytes() == before
    # All at once: the commitment and seed are not written either.
    j2 = Journal(d / "journal2.jsonl")
    with pytest.raises(InfeasibleError):
        run_all(j2, attrs.evolve(plan, plan_id="other"))
    assert not j2.path.exists() or j2.path.read_bytes() == b""


def test_bl9_run_ceremony_all_at_once_replays(site: tuple[Path, County]) -> None:
    d, county = site
    j = Journal(d / "journal.jsonl")
    drawn = run_all(j, make_plan(county))
    assert drawn.record.seq == 2
    assert drawn.record.body["seed_record"] == 1
    assert verification.verify_draws(j.path).ok


def test_bl9_parties_seed_ceremony_replays(site: tuple[Path, County]) -> None:
    from drawcore.record.seeding import commit_contribution

    d, county = site
    j = Journal(d / "journal.jsonl")
    plan = make_plan(county)
    commitments.commit_plan(j, plan, committed_at=COMMITTED, committed_by="王建国")
    secrets = {"监察室": (b"alpha", b"s" * 16), "公证处": (b"beta", b"t" * 16)}
    for party, (c, s) in secrets.items():
        commitments.commit_party(
            j,
            plan.plan_id,
            party,
            commit_contribution(c, s),
            committed_at="2026-01-05T10:00:00+08:00",
        )
    for party, (c, s) in secrets.items():
        commitments.reveal_party(j, plan.plan_id, party, c, s, revealed_at=ENTROPY)
    commitments.form_seed(j, plan, entropy_at=ENTROPY, recorded_at=DRAWN, parties=True)
    drawn = ceremony.draw(j, plan, signing=SIGNING)
    assert drawn.record.body["seed_method"] == "parties"
    assert verification.verify_draws(j.path).ok


def test_bl9_redo_voids_and_references_the_voided_draw(site: tuple[Path, County]) -> None:
    d, county = site
    j, plan, first = drawn_journal(d, county)
    again = ceremony.redo(
        j,
        plan,
        voids=first.seq,
        reason="抽中人员因公出差无法到岗",
        voided_by="王建国",
        at="2026-01-07T10:00:00+08:00",
        rfc3797_sources=[[5, 8, 13, 21, 26, 33], [2], [519]],
        entropy_at="2026-01-07T09:30:00+08:00",
        signing=Signing(
            **{
                **WHO,
                "drawn_at": "2026-01-07T10:05:00+08:00",
                "signed_at": "2026-01-07T10:10:00+08:00",
            }
        ),
    )
    kinds = [r.type for r in j.records()]
    assert kinds == ["plan_commitment", "seed", "draw", "void", "void", "seed", "draw"]
    assert again.record.body["redo_of"] == first.seq
    assert again.record.body["redo_reason"] == "抽中人员因公出差无法到岗"
    assert again.record.body["seed_record"] == 5
    assert again.record.body["units"] != first.body["units"]
    assert verification.verify_draws(j.path).ok
    with pytest.raises(JournalError, match="not its live draw"):
        ceremony.redo(
            j, plan, voids=first.seq, reason="x", voided_by="y", at=DRAWN, signing=SIGNING
        )


def test_bl9_redo_with_the_same_seed_reproduces_the_draw(site: tuple[Path, County]) -> None:
    d, county = site
    j, plan, first = drawn_journal(d, county)
    again = ceremony.redo(
        j,
        plan,
        voids=first.seq,
        reason="签字页遗失，重新签署",
        voided_by="王建国",
        at="2026-01-07T10:00:00+08:00",
        signing=SIGNING,
    )
    assert again.record.body["units"] == first.body["units"]
    assert again.record.body["seed_record"] == first.body["seed_record"]
    assert verification.verify_draws(j.path).ok


# -- results -------------------------------------------------------------------------------


def result_for(rec: Record, i: int = 0, **changes: Any) -> InspectionResult:
    a = rec.body["teams"]["assignments"][i]
    values: dict[str, Any] = {
        "plan_id": rec.body["plan_id"],
        "draw": rec.seq,
        "unit_id": a["unit_id"],
        "basis": ("《中华人民共和国安全生产法》第十八条",),
        "scope": "生产经营场所",
        "content": ("安全生产主体责任落实",),
        "method": "现场检查",
        "handling_opinion": "责令限期整改",
        "outcome": "rectification_ordered",
        "inspected_by": tuple(a["members"]),
        "inspected_on": dt.date(2026, 2, 3),
        "entered_by": a["members"][0],
        "entered_at": "2026-02-03T17:00:00+08:00",
    }
    values.update(changes)
    return InspectionResult(**values)


def test_bl7_bl8_result_is_journaled_and_verifies(site: tuple[Path, County]) -> None:
    d, county = site
    j, _, rec = drawn_journal(d, county)
    r = ceremony.record_result(j, result_for(rec))
    assert r.type == "result"
    assert r.body["outcome"] == "rectification_ordered"
    assert set(r.body) >= {"basis", "scope", "content", "method", "handling_opinion", "entered_by"}
    assert verification.verify_draws(j.path).ok


def test_bl8_result_refused_for_an_undrawn_unit_a_stranger_or_twice(
    site: tuple[Path, County],
) -> None:
    d, county = site
    j, _, rec = drawn_journal(d, county)
    drawn_ids = {u["unit_id"] for u in rec.body["units"]}
    outsider = next(u for u in county.units.ids.tolist() if u not in drawn_ids)
    with pytest.raises(JournalError, match="was not drawn"):
        ceremony.record_result(j, result_for(rec, unit_id=outsider))
    with pytest.raises(JournalError, match="not a draw"):
        ceremony.record_result(j, result_for(rec, draw=1))
    stranger = next(
        i
        for i in county.inspectors.ids.tolist()
        if i not in rec.body["teams"]["assignments"][0]["members"]
    )
    with pytest.raises(JournalError, match="not in the team"):
        ceremony.record_result(j, result_for(rec, inspected_by=(stranger,)))
    ceremony.record_result(j, result_for(rec))
    with pytest.raises(JournalError, match="already has a result"):
        ceremony.record_result(j, result_for(rec, outcome=Outcome.NO_PROBLEM))
    assert j.refresh() == 4


def test_bl8_result_refused_for_a_voided_draw(site: tuple[Path, County]) -> None:
    d, county = site
    j, plan, rec = drawn_journal(d, county)
    ceremony.redo(
        j,
        plan,
        voids=rec.seq,
        reason="重新抽取",
        voided_by="王建国",
        at="2026-01-07T10:00:00+08:00",
        signing=SIGNING,
    )
    with pytest.raises(JournalError, match="voided"):
        ceremony.record_result(j, result_for(rec))


def test_bl7_result_form_fields_are_validated() -> None:
    rec = Record(
        2,
        "0" * 64,
        "draw",
        {"plan_id": "p", "teams": {"assignments": [{"unit_id": "u", "members": ["a", "b"]}]}},
        "0" * 64,
    )
    with pytest.raises(InvalidInputError, match="outcome 'closed'"):
        result_for(rec, outcome="closed")
    with pytest.raises(InvalidInputError, match="basis needs at least one"):
        result_for(rec, basis=())
    with pytest.raises(InvalidInputError, match="handling_opinion"):
        result_for(rec, handling_opinion=" ")
    with pytest.raises(InvalidInputError, match="entered_by"):
        result_for(rec, entered_by="")
    with pytest.raises(InvalidInputError, match="before the inspection"):
        result_for(rec, entered_at="2026-02-01T17:00:00+08:00")
    with pytest.raises(InvalidInputError, match="UTC offset"):
        result_for(rec, entered_at="2026-02-03T17:00:00")
    assert result_for(rec).outcome is Outcome.RECTIFICATION_ORDERED


def test_verify_without_replay_does_not_read_registries(site: tuple[Path, County]) -> None:
    d, county = site
    j, _, _ = drawn_journal(d, county)
    shutil.rmtree(d / "registries")
    assert verify(j.path).ok
    assert not verification.verify_draws(j.path).ok


def test_bl11_the_whole_process_is_recorded_and_provably_archived(
    site: tuple[Path, County],
) -> None:
    """Commitment, seed, draw and result are records; each is provably in a checkpoint."""
    from drawcore.record.checkpoints import verify_inclusion

    d, county = site
    j, _, rec = drawn_journal(d, county)
    items = county.items.applicable(county.units[rec.body["units"][0]["unit_id"]])
    ceremony.record_result(
        j,
        result_for(
            rec,
            basis=tuple(sorted({i.legal_basis for i in items})),
            content=tuple(i.content for i in items),
        ),
    )
    records = j.records()
    assert [r.type for r in records] == ["plan_commitment", "seed", "draw", "result"]
    cp = j.checkpoint()
    for r in records:
        assert verify_inclusion(r.line(), j.inclusion_proof(r.seq), cp.root)
    assert records[3].body["basis"] == sorted({i.legal_basis for i in items})


#: BL-5 (Boluo's plan weighs the risk level): the factor of each level, from its rulebook.
BOLUO_RISK_FACTORS = {"low": 1.0, "moderate": 1.5, "high": 2.0, "major": 3.0}


def _decided_by_the_rulebook(
    jurisdiction: str | None, county: County
) -> tuple[set[str], dict[str, float]]:
    """Excluded units and changed weights, read off the registry by each rulebook's clauses
    (not by asking the rules): NAT-3 a closed unit is excluded everywhere; BL-3 a unit in a
    higher plan is excluded in Boluo; BL-5 Boluo weighs the risk level; TJ-5 good credit
    (class A, law-abiding: not blacklisted nor jointly punished) halves the weight in
    Tianjin, and TJ-3 a licence holder otherwise weighs 1.5 times."""
    from drawcore.model import CreditClass, ProductionStatus

    excluded, weights = set(), {}
    for u in county.units:
        if u.production_status is ProductionStatus.CLOSED:
            excluded.add(u.unit_id)
        factor = 1.0
        if jurisdiction == "boluo":
            if u.in_higher_plan:
                excluded.add(u.unit_id)
            factor = BOLUO_RISK_FACTORS[u.risk_level.value]
        elif jurisdiction == "tianjin":
            honest = not u.blacklisted and not u.joint_punishment
            if u.credit_class is CreditClass.A and honest:
                factor = 0.5
            elif u.licence_holder:
                factor = 1.5
        if factor != 1.0:
            weights[u.unit_id] = u.risk_weight * factor
    return excluded, weights


@pytest.mark.parametrize("jurisdiction", [None, "boluo", "tianjin"])
def test_bl5_tj4_plan_from_rules_records_the_rules_and_is_replayable(
    site: tuple[Path, County], jurisdiction: str | None
) -> None:
    from drawcore.plugin.rules import Rules
    from drawcore.plugin.values import PlanContext

    d, county = site
    try:
        rules = Rules.for_jurisdiction(jurisdiction)
    except PluginError as err:  # a jurisdiction plugin that is not installed here
        pytest.skip(f"{jurisdiction}: {err}")
    context = PlanContext(year=2026, rounds=4, start=dt.date(2026, 1, 1), jurisdiction=jurisdiction)
    template = make_plan(county)
    plan = draw_rules.plan_from_rules(
        "2026Q1-rules",
        county.units,
        template.units,
        template.inspectors,
        rules=rules,
        context=context,
        size=30,
        recusal_rules=("township",),
    )
    expected_excluded, expected_weights = _decided_by_the_rulebook(jurisdiction, county)
    assert plan.rules == tuple(sorted(rules.versions))
    assert plan.jurisdiction == rules.jurisdiction
    assert set(plan.excluded) == expected_excluded
    assert dict(plan.weights) == expected_weights
    if jurisdiction is not None:
        assert expected_weights, "the county has units whose weight the rulebook changes"
    j = Journal(d / "journal.jsonl")
    drawn = run_all(j, plan)
    assert not expected_excluded & {u["unit_id"] for u in drawn.record.body["units"]}
    assert drawn.record.body["plan"]["rules"] == [list(v) for v in sorted(rules.versions)]
    assert verification.verify_draws(j.path).ok
