"""Publication of findings and the TJ-7 exposure table (「对隐瞒不报或整改不到位的重大事故隐患
公开曝光」), masked like every table, stamped with the checkpoint (BL-8, TJ-6, TJ-7)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from ceremony_site import EXAMPLE, SIGNING, write_persons_county
from hypothesis import given
from hypothesis import strategies as st
from personal_data import scan

from drawcore.model import IdKind
from drawcore.publish.disclosure import publish
from drawcore.publish.followup import FollowUpPolicy
from drawcore.publish.tables import EXPOSED_FINDINGS, TABLES, build_publication
from drawcore.record import ceremony
from drawcore.record.checkpoints import Checkpoint
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal, Record
from drawcore.record.results import Finding, InspectionResult, Outcome
from drawcore.record.seeding import void_body
from drawcore.registry.readers import read_county, read_units


@pytest.fixture(scope="module")
def county_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every person of the example county and 100 companies (so masking is exercised)."""
    d = write_persons_county(tmp_path_factory.mktemp("exposure"), 100)
    return d


#: (finding, entered on) of the results entered, in order: a person concealing a hazard,
#: a company leaving one unremedied, one hazard found (not exposed), one clean result,
#: and a concealed hazard entered in the second quarter.
ENTERED: list[tuple[tuple[Finding, ...], str, bool]] = [
    ((Finding.MAJOR_HAZARD_CONCEALED,), "2026-02-03", True),
    ((Finding.MAJOR_HAZARD_UNREMEDIED,), "2026-03-02", False),
    ((Finding.MAJOR_HAZARD,), "2026-03-03", False),
    ((), "2026-03-04", False),
    ((Finding.MAJOR_HAZARD_CONCEALED,), "2026-04-02", False),
]


def journal_with_findings(d: Path, county_dir: Path) -> tuple[Journal, int, list[str]]:
    """A draw and the ENTERED results; the journal, the draw's record and the result units."""
    shutil.copytree(county_dir, d / "registries")
    units = read_units(d / "registries" / "units.csv")
    plan = DrawPlan(
        plan_id="2026Q1",
        units=RegistryRef(path="registries/units.csv", fingerprint=units.fingerprint),
        inspectors=RegistryRef(
            path="registries/inspectors.csv",
            fingerprint=read_county(EXAMPLE).inspectors.fingerprint,
        ),
        size=40,
    )
    j = Journal(d / "journal.jsonl")
    drawn = ceremony.run_ceremony(
        j,
        plan,
        committed_at="2026-01-05T09:00:00+08:00",
        committed_by="王建国",
        entropy_at="2026-01-06T21:30:00+08:00",
        rfc3797_sources=[[3, 11, 17, 22, 28, 31], [9], [742]],
        signing=SIGNING,
    )
    teams = drawn.outcome.teams.assignments
    persons = [a for a in teams if units[a.unit_id].id_kind is IdKind.ID_CARD]
    companies = [a for a in teams if units[a.unit_id].id_kind is IdKind.USCC]
    assert persons, "the fixture must draw a person"
    assert len(companies) >= 4, "the fixture must draw companies"
    chosen = [persons[0], *companies[:4]]
    for a, (findings, when, person) in zip(chosen, ENTERED, strict=True):
        unit = units[a.unit_id]
        assert (unit.id_kind is IdKind.ID_CARD) == person
        ceremony.record_result(
            j,
            InspectionResult(
                plan_id="2026Q1",
                draw=drawn.record.seq,
                unit_id=a.unit_id,
                basis=("《中华人民共和国安全生产法》",),
                scope="生产经营场所",
                content=("重大事故隐患排查治理",),
                method="现场检查",
                handling_opinion=f"约谈{unit.person_in_charge}（{unit.contact}）",
                outcome=Outcome.PENALISED if findings else Outcome.NO_PROBLEM,
                inspected_by=a.members,
                inspected_on=dt.date.fromisoformat(when),
                entered_by=a.members[0],
                entered_at=f"{when}T17:00:00+08:00",
                findings=findings,
            ),
        )
    return j, drawn.record.seq, [a.unit_id for a in chosen]


def rows_of(path: Path) -> list[dict[str, str]]:
    """The rows of a published table as recorded (field names and codes, from its JSON),
    values as text; the CSV beside it has the same rows in words."""
    doc = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    with path.open(encoding="utf-8-sig") as fh:
        assert len(list(csv.reader(fh))) == len(doc["rows"]) + 1
    return [{k: "" if v is None else str(v) for k, v in row.items()} for row in doc["rows"]]


def test_tj7_exposures_list_concealed_and_unremedied_hazards_with_clause_record_and_date(
    tmp_path: Path, county_dir: Path
) -> None:
    j, draw_seq, unit_ids = journal_with_findings(tmp_path, county_dir)
    publish(j.path, tmp_path / "public")
    rows = rows_of(tmp_path / "public" / "exposures.csv")
    result_seqs = [r.seq for r in j.records() if r.type == "result"]
    exposed = [k for k, (f, _, _) in enumerate(ENTERED) if set(f) & EXPOSED_FINDINGS]
    assert [int(r["record"]) for r in rows] == [result_seqs[k] for k in exposed]
    assert [r["finding"] for r in rows] == [ENTERED[k][0][0].value for k in exposed]
    assert [r["inspected_on"] for r in rows] == [ENTERED[k][1] for k in exposed]
    assert all(r["clause"] == "TJ-7" and r["draw"] == str(draw_seq) for r in rows)
    assert all(r["plan_id"] == "2026Q1" and r["exposure"] for r in rows)
    # the hazard found and the clean result are not exposed; companies are shown as they are
    assert unit_ids[1] in {r["unit_id"] for r in rows}
    assert not {unit_ids[2], unit_ids[3]} & {r["unit_id"] for r in rows}
    # the results table carries every result's findings
    results = rows_of(tmp_path / "public" / "results.csv")
    assert [r["findings"] for r in results] == [";".join(f) for f, _, _ in ENTERED]


def test_tj7_bl8_an_exposed_person_is_masked_and_no_file_holds_personal_data(
    tmp_path: Path, county_dir: Path
) -> None:
    j, _, unit_ids = journal_with_findings(tmp_path, county_dir)
    files = publish(j.path, tmp_path / "public")
    units = read_units(tmp_path / "registries" / "units.csv")
    person = units[unit_ids[0]]
    rows = rows_of(tmp_path / "public" / "exposures.csv")
    shown = rows[0]["unit_id"]
    assert shown != person.unit_id
    assert shown[:6] == person.unit_id[:6]
    assert shown[-1] == person.unit_id[-1]
    assert "*" in shown
    assert rows[0]["unit_name"] != person.name
    assert rows[0]["unit_name"][0] == person.name[0]
    assert {f.name for f in files} >= {"exposures.csv", "exposures.json"}
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not scan(text), path.name
        assert person.unit_id not in text
        assert person.contact not in text


def test_tj7_tj6_exposure_files_carry_the_checkpoint(tmp_path: Path, county_dir: Path) -> None:
    j, _, _ = journal_with_findings(tmp_path, county_dir)
    publish(j.path, tmp_path / "public", quarter="2026Q1")
    cp = json.loads((tmp_path / "public" / "checkpoint.json").read_text(encoding="utf-8"))
    assert cp["size"] == j.size
    with (tmp_path / "public" / "exposures.csv").open(encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    assert table[0][-1] == "检查点（记录数、默克尔根）"
    assert {row[-1] for row in table[1:]} == {f"{cp['size']} {cp['root']}"}
    doc = json.loads((tmp_path / "public" / "exposures.json").read_text(encoding="utf-8"))
    assert doc["checkpoint"]["root"] == cp["root"]
    assert doc["checkpoint"]["size"] == cp["size"]
    assert doc["table"] == "exposures"
    assert len(doc["rows"]) == 2  # the second-quarter exposure is not in 2026Q1
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "重大事故隐患公开曝光" in page
    assert 'href="exposures.csv"' in page
    assert "exposures" in TABLES


def test_tj7_results_of_a_voided_draw_are_no_longer_exposed(
    tmp_path: Path, county_dir: Path
) -> None:
    j, draw_seq, _ = journal_with_findings(tmp_path, county_dir)
    j.append(
        "void",
        void_body(
            draw_seq, "registry error found", voided_by="王建国", at="2026-04-03T09:00:00+08:00"
        ),
    )
    publish(j.path, tmp_path / "public")
    assert rows_of(tmp_path / "public" / "exposures.csv") == []
    assert len(rows_of(tmp_path / "public" / "results.csv")) == len(ENTERED)


def test_tj7_exposed_findings_are_the_findings_that_blacklist() -> None:
    """Exposure and blacklisting follow the same TJ-7 sentence, so they name the same findings."""
    assert FollowUpPolicy().blacklist_on == EXPOSED_FINDINGS
    assert {Finding.MAJOR_HAZARD_CONCEALED, Finding.MAJOR_HAZARD_UNREMEDIED} == EXPOSED_FINDINGS


def result_body(seq: int, draw: int, findings: list[Finding]) -> dict[str, Any]:
    return {
        "plan_id": "p",
        "draw": draw,
        "unit_id": f"U{seq:03d}",
        "basis": ["法"],
        "scope": "场所",
        "content": ["内容"],
        "method": "现场检查",
        "handling_opinion": "依法处理",
        "outcome": "penalised",
        "inspected_by": ["A", "B"],
        "inspected_on": "2026-02-03",
        "entered_by": "A",
        "entered_at": "2026-02-03T17:00:00+08:00",
        "findings": [f.value for f in findings],
    }


@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from(list(Finding)), unique=True), st.booleans()),
        max_size=12,
    )
)
def test_tj7_one_exposure_per_exposing_finding_of_a_live_result(
    entries: list[tuple[list[Finding], bool]],
) -> None:
    """For any results, live (draw 1) or of a voided draw (draw 2): the exposure rows are
    exactly the exposing findings of the live ones, in record order."""
    records = [Record(seq=0, prev="", type="void", body={"voids": 2, "reason": "x"}, hash="")]
    for k, (findings, live) in enumerate(entries, start=1):
        body = result_body(k, 1 if live else 2, sorted(findings))
        records.append(Record(seq=k, prev="", type="result", body=body, hash=""))
    pub = build_publication(records, Checkpoint(len(records), "0" * 64))
    expected = [
        (k, f.value)
        for k, (findings, live) in enumerate(entries, start=1)
        if live
        for f in sorted(findings)
        if f in EXPOSED_FINDINGS
    ]
    assert [(row["record"], row["finding"]) for row in pub.tables["exposures"]] == expected
    assert all(row["clause"] == "TJ-7" for row in pub.tables["exposures"])
    assert len(pub.tables["results"]) == len(entries)
