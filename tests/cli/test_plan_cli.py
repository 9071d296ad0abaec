"""``drawcore plan``: the annual-plan ceremony for the example county, step by step."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from ceremony_site import COMMITTED, DRAW_TIMES, copied_county
from ceremony_site import run_cli as run

from drawcore.record.journal import Journal


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return copied_county(tmp_path)


def year_args(site: Path, jurisdiction: str, *extra: str) -> list[str]:
    return [
        "plan",
        str(site / "journal.jsonl"),
        "--county",
        str(site / "county"),
        "--plan-id",
        f"2026-{jurisdiction}",
        "--year",
        "2026",
        "--jurisdiction",
        jurisdiction,
        "--registry-date",
        "2025-12-05",
        *extra,
    ]


@pytest.mark.parametrize("jurisdiction", ["boluo", "tianjin"])
def test_tj5_bl6_plan_runs_a_year_step_by_step_and_verify_replays_it(
    site: Path, jurisdiction: str
) -> None:
    status, printed, _ = run(
        *year_args(site, jurisdiction, "--committed-at", COMMITTED, "--committed-by", "王建国")
    )
    assert status == 0
    assert "record 0: annual plan" in printed
    assert "no seed yet" in printed
    status, printed, _ = run(*year_args(site, jurisdiction, *DRAW_TIMES[4:]))
    assert status == 0, printed
    assert "record 1: seed" in printed
    assert "record 2: annual plan" in printed
    assert "yearly pi=" in printed
    assert "NAT-7 [drawcore]" in printed
    kinds = [r.type for r in Journal(site / "journal.jsonl").records()]
    assert kinds == ["plan_commitment", "seed", "annual_plan"]
    status, printed, _ = run("verify", str(site / "journal.jsonl"))
    assert status == 0, printed
    assert "OK" in printed


def commit_in_chinese(site: Path, jurisdiction: str, *extra: str) -> tuple[int, str, str]:
    """The commitment step of a plan under ``jurisdiction``, its output in Chinese."""
    args = year_args(
        site, jurisdiction, *extra, "--committed-at", COMMITTED, "--committed-by", "王建国"
    )
    return run(*args, "--lang", "zh")


def test_bl5_impossible_plan_is_refused_before_anything_is_journaled(site: Path) -> None:
    """A capacity of 1 task a round cannot hold the county's once-a-year units."""
    status, _, err = commit_in_chinese(site, "boluo", "--capacity", "1")
    assert status == 2
    assert "drawcore: 错误 / error:" in err
    assert "short by" in err
    assert "Traceback" not in err
    assert not (site / "journal.jsonl").exists() or not list(
        Journal(site / "journal.jsonl").records()
    )


def test_tj8_too_few_experts_of_one_area_are_named_before_anything_is_journaled(
    site: Path,
) -> None:
    """Tianjin puts an expert of 机械 on each of the example county's 11 major-hazard
    机械 units, 4 times a year: 44 places. Only one expert is left holding 机械, and at
    10 tasks a round over 4 rounds that expert gives 40: the plan is refused at its
    commitment, naming the area and the shortfall, though the registry's 22 active
    experts give 880 places in all. Nothing is journaled, so no seed is drawn for a plan
    that could never be staffed."""
    import attrs

    from drawcore.registry.readers import read_experts
    from drawcore.registry.registries import ExpertRegistry
    from drawcore.registry.writers import write_experts

    path = site / "county" / "experts.csv"
    experts = list(read_experts(path))
    kept = next(e for e in experts if e.active and "机械" in e.expertise)
    write_experts(
        ExpertRegistry.from_records(
            [
                attrs.evolve(e, expertise=("机械",))
                if e is kept
                else attrs.evolve(e, expertise=tuple(a for a in e.expertise if a != "机械"))
                for e in experts
            ]
        ),
        path,
    )
    status, _, err = commit_in_chinese(site, "tianjin", "--tasks-per-inspector", "10")
    assert status == 2
    assert "领域：机械" in err
    assert "need 44 industry-expert place(s) in 机械" in err
    assert "the 1 active expert(s) who can take them x 10 task(s) each over 4 round(s)" in err
    assert "give 40: short by 4" in err
    assert "Traceback" not in err
    assert not (site / "journal.jsonl").exists() or not list(
        Journal(site / "journal.jsonl").records()
    )


def test_plan_needs_the_commitment_options_first(site: Path) -> None:
    status, _, err = run(*year_args(site, "tianjin"))
    assert status == 2
    assert "--committed-at" in err


def test_tj5_amend_plans_a_unit_that_became_once_a_year_mid_year(site: Path) -> None:
    """After the 2026 Boluo plan (a fifth of the drawable units drawn, so the rounds have
    room left), one unplanned unit is blacklisted and one unit is added. The amendment of
    2 July is its own plan over those two units: the blacklisted one is placed in round 3
    or 4, the new one is drawn with the probability the plan's design gives it for the
    half-year left, and verify replays both plans."""
    import attrs

    from drawcore.model import IdKind
    from drawcore.plan.once_a_year import once_a_year_reasons
    from drawcore.record.live import live_plan
    from drawcore.registry.ids import make_uscc
    from drawcore.registry.readers import read_units
    from drawcore.registry.registries import UnitRegistry
    from drawcore.registry.writers import write_units

    journal = site / "journal.jsonl"
    assert run(*year_args(site, "boluo", *DRAW_TIMES, "--random-ratio", "0.2"))[0] == 0
    _, first = live_plan(Journal(journal).records(), "2026-boluo")
    units = list(read_units(site / "county" / "units.csv"))
    planned = {m.unit_id for m in first.mandatory} | {k.unit_id for k in first.key_supervision}
    target = next(u for u in units if u.unit_id not in planned and not once_a_year_reasons(u, 2026))
    newcomer = attrs.evolve(
        units[0], unit_id=make_uscc("91441322MA4UH9999"), name="新办企业", id_kind=IdKind.USCC
    )
    renewed = [attrs.evolve(u, blacklisted=True) if u is target else u for u in units]
    shutil.copytree(site / "county", site / "renewed")
    write_units(UnitRegistry.from_records([*renewed, newcomer]), site / "renewed" / "units.csv")

    amend = [
        "amend",
        str(journal),
        "--amends",
        "2026-boluo",
        "--county",
        str(site / "renewed"),
        "--as-of",
        "2026-07-02",
    ]
    status, printed, err = run(
        *amend, "--committed-at", "2026-07-02T09:00:00+08:00", "--committed-by", "王建国"
    )
    assert status == 0, err
    assert "2 unit(s) added or newly planned" in printed
    numbers = ["--public-numbers", "5,8,13/21", "--entropy-at", "2026-07-03T21:30:00+08:00"]
    who = [
        "--drawn-by",
        "李明",
        "--signed-by",
        "王建国",
        "--drawn-at",
        "2026-07-04T09:00:00+08:00",
        "--signed-at",
        "2026-07-04T09:15:00+08:00",
    ]
    status, printed, err = run(*amend, *numbers, *who)
    assert status == 0, err
    record, amendment = live_plan(Journal(journal).records(), "2026-boluo/amend-2026-07-02")
    assert record.body["plan"]["amends"] == "2026-boluo"
    assert target.unit_id in {t.unit_id for t in amendment.tasks}
    assert all(t.round in (3, 4) for t in amendment.tasks)
    design = record.body["plan"]["parameters"]["amendment"]
    assert design["amends"] == "2026-boluo"
    assert design["share"] == (dt.date(2026, 12, 31) - dt.date(2026, 7, 2)).days / 365 + 1 / 365
    assert sum(design["taken"]) == len(first.tasks)
    (p_new,) = [p for u, p in amendment.yearly_probabilities if u == newcomer.unit_id]
    assert 0 < p_new < design["share"]
    status, printed, _ = run("verify", str(journal))
    assert status == 0, printed


def test_bl5_an_amendment_with_no_room_left_is_refused_before_anything_is_journaled(
    site: Path,
) -> None:
    """The plan fills every round's capacity: an amendment adding a unit has no room,
    and says so (short by how much) without writing a record or a snapshot."""
    import attrs

    from drawcore.model import IdKind
    from drawcore.registry.ids import make_uscc
    from drawcore.registry.readers import read_units
    from drawcore.registry.registries import UnitRegistry
    from drawcore.registry.writers import write_units

    journal = site / "journal.jsonl"
    assert run(*year_args(site, "boluo", *DRAW_TIMES))[0] == 0
    units = list(read_units(site / "county" / "units.csv"))
    newcomer = attrs.evolve(
        units[0], unit_id=make_uscc("91441322MA4UH9999"), name="新办企业", id_kind=IdKind.USCC
    )
    shutil.copytree(site / "county", site / "renewed")
    write_units(UnitRegistry.from_records([*units, newcomer]), site / "renewed" / "units.csv")
    before = len(Journal(journal).records())
    status, _, err = run(
        "amend",
        str(journal),
        "--amends",
        "2026-boluo",
        "--county",
        str(site / "renewed"),
        "--as-of",
        "2026-07-02",
        "--committed-at",
        "2026-07-02T09:00:00+08:00",
        "--committed-by",
        "王建国",
    )
    assert status == 2
    assert "short by 1" in err
    assert "Traceback" not in err
    assert len(Journal(journal).records()) == before


def test_bl5_verify_refuses_an_amendment_whose_committed_room_the_journal_does_not_give(
    site: Path,
) -> None:
    """An amendment committed with a scale of its own choosing (not the amended plan's)
    is journaled whole, but verify re-derives the amendment from the journal and fails."""
    import datetime as dt

    import attrs

    from drawcore.cli.plan import county_refs
    from drawcore.model import IdKind
    from drawcore.plugin.rules import Rules
    from drawcore.record import commitments, year_ceremony
    from drawcore.record.amendments import amendment_of
    from drawcore.record.annual import YearPlanSpec, year_plan_spec
    from drawcore.record.live import live_plan
    from drawcore.record.signing import Signing
    from drawcore.record.snapshots import load_county
    from drawcore.registry.ids import make_uscc
    from drawcore.registry.readers import read_units
    from drawcore.registry.registries import UnitRegistry
    from drawcore.registry.writers import write_units

    journal = site / "journal.jsonl"
    assert run(*year_args(site, "boluo", *DRAW_TIMES, "--random-ratio", "0.2"))[0] == 0
    units = list(read_units(site / "county" / "units.csv"))
    newcomer = attrs.evolve(
        units[0], unit_id=make_uscc("91441322MA4UH9999"), name="新办企业", id_kind=IdKind.USCC
    )
    shutil.copytree(site / "county", site / "added")
    write_units(UnitRegistry.from_records([newcomer]), site / "added" / "units.csv")
    j = Journal(journal)
    record, _ = live_plan(j.records(), "2026-boluo")
    base = YearPlanSpec.from_body(record.body["plan"])
    rules = Rules.for_jurisdiction("boluo")
    as_of = dt.date(2026, 7, 2)
    honest = amendment_of(
        j.records(), "2026-boluo", as_of=as_of, county=load_county(base, site), rules=rules
    )
    county, refs = county_refs(site / "added", journal)
    spec = year_plan_spec(
        "2026-boluo/forged",
        county,
        refs,
        rules=rules,
        amends="2026-boluo",
        year=2026,
        as_of=as_of,
        amendment=attrs.evolve(honest, scale=honest.scale * 3),
    )
    commitments.commit_plan(
        j, spec, committed_at="2026-07-02T09:00:00+08:00", committed_by="王建国"
    )
    commitments.form_seed(
        j,
        spec,
        entropy_at="2026-07-03T21:30:00+08:00",
        recorded_at="2026-07-04T09:00:00+08:00",
        rfc3797_sources=[[5, 8, 13], [21]],
    )
    year_ceremony.draw_year(
        j,
        spec,
        rules=rules,
        county=county,
        signing=Signing(
            drawn_by="李明",
            signed_by="王建国",
            drawn_at="2026-07-04T09:00:00+08:00",
            signed_at="2026-07-04T09:15:00+08:00",
        ),
    )
    status, printed, _ = run("verify", str(journal), "--lang", "en")
    assert status == 1
    assert "the journal before its commitment gives" in printed


def test_plan_json_gives_a_platform_the_records_and_the_plan(site: Path) -> None:
    """``--json``: one JSON document per run, the records written and, once the year is
    planned, its yearly probabilities and tasks as the record holds them."""
    import json

    from drawcore.record.annual import AnnualPlanRecord

    status, printed, _ = run(
        *year_args(site, "tianjin", "--committed-at", COMMITTED, "--committed-by", "王建国"),
        "--json",
    )
    assert status == 0
    first = json.loads(printed)
    assert first == {
        "plan_id": "2026-tianjin",
        "records": [{"record": 0, "type": "plan_commitment"}],
        "plan": None,
    }
    status, printed, _ = run(*year_args(site, "tianjin", *DRAW_TIMES[4:]), "--json")
    assert status == 0, printed
    doc = json.loads(printed)
    assert [r["type"] for r in doc["records"]] == ["seed", "annual_plan"]
    body = Journal(site / "journal.jsonl").records()[2].body
    plan = AnnualPlanRecord.from_body(body).result
    assert doc["plan"]["record"] == 2
    assert len(doc["plan"]["tasks"]) == len(plan.tasks) > 0
    assert [t["unit_id"] for t in doc["plan"]["tasks"]] == [t.unit_id for t in plan.tasks]
    assert {t["kind"] for t in doc["plan"]["tasks"]} <= {"planned", "drawn"}
    pi = dict(plan.yearly_probabilities)
    assert {p["unit_id"]: p["probability"] for p in doc["plan"]["yearly_probabilities"]} == pi
