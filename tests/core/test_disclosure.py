"""Publication: quarters, masking, withheld fields, checkpoints (BL-8, TJ-6)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from ceremony_site import EXAMPLE, SIGNING, write_persons_county
from personal_data import scan

from drawcore.errors import InvalidInputError, JournalError
from drawcore.model import IdKind, Unit
from drawcore.publish.disclosure import publish
from drawcore.publish.masking import default_mask, scrub
from drawcore.publish.scan import find_personal_data
from drawcore.publish.tables import WITHHELD, build_publication, quarter_of
from drawcore.record import ceremony
from drawcore.record.checkpoints import Checkpoint
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.results import InspectionResult
from drawcore.registry.ids import make_id_card
from drawcore.registry.readers import read_county
from drawcore.registry.registries import County


@pytest.fixture(scope="module")
def county_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, County]:
    """All persons of the example county plus some companies: the masking is exercised."""
    d = write_persons_county(tmp_path_factory.mktemp("pubcounty"), 100)
    return d, read_county_parts(d)


def read_county_parts(d: Path) -> County:
    full = read_county(EXAMPLE)
    from drawcore.registry.readers import read_inspectors, read_items, read_units

    return County(
        units=read_units(d / "units.csv"),
        inspectors=read_inspectors(d / "inspectors.csv"),
        experts=full.experts,
        items=read_items(d / "items.csv"),
    )


def journal_with_results(tmp_path: Path, county_dir: tuple[Path, County]) -> Path:
    src, county = county_dir
    shutil.copytree(src, tmp_path / "registries")
    plan = DrawPlan(
        plan_id="2026Q1",
        units=RegistryRef(path="registries/units.csv", fingerprint=county.units.fingerprint),
        inspectors=RegistryRef(
            path="registries/inspectors.csv", fingerprint=county.inspectors.fingerprint
        ),
        items=RegistryRef(path="registries/items.csv", fingerprint=county.items.fingerprint),
        size=40,
    )
    j = Journal(tmp_path / "journal.jsonl")
    drawn = ceremony.run_ceremony(
        j,
        plan,
        committed_at="2026-01-05T09:00:00+08:00",
        committed_by="王建国",
        entropy_at="2026-01-06T21:30:00+08:00",
        rfc3797_sources=[[3, 11, 17, 22, 28, 31], [9], [742]],
        signing=SIGNING,
    )
    persons = [
        a for a in drawn.outcome.teams.assignments if county.units[a.unit_id].id_kind == "id_card"
    ]
    assert len(persons) >= 3, "the fixture must draw some persons"
    for i, a in enumerate(persons[:3]):
        unit = county.units[a.unit_id]
        when = ["2026-02-03", "2026-03-30", "2026-04-02"][i]
        ceremony.record_result(
            j,
            InspectionResult(
                plan_id="2026Q1",
                draw=drawn.record.seq,
                unit_id=a.unit_id,
                basis=("《中华人民共和国安全生产法》",),
                scope="生产经营场所",
                content=("安全生产主体责任落实",),
                method="现场检查",
                # free text quoting the person's ID number and phone: must be masked
                handling_opinion=f"约谈{unit.person_in_charge}（{unit.unit_id}，{unit.contact}）",
                outcome="rectification_ordered",
                inspected_by=a.members,
                inspected_on=dt.date.fromisoformat(when),
                entered_by=a.members[0],
                entered_at=f"{when}T17:00:00+08:00",
            ),
        )
    return j.path


def test_bl8_tj6_no_unmasked_id_card_or_phone_in_any_published_file(
    tmp_path: Path, county_dir: tuple[Path, County]
) -> None:
    path = journal_with_results(tmp_path, county_dir)
    # The scanner is not vacuous: the journal itself holds the raw numbers.
    assert scan(path.read_text(encoding="utf-8"))
    files = publish(path, tmp_path / "out", quarter="2026Q1")
    files += publish(path, tmp_path / "all")
    assert {f.suffix for f in files} == {".csv", ".json", ".html"}
    for f in files:
        assert scan(f.read_text(encoding="utf-8")) == [], f.name


def test_bl8_person_names_are_masked(tmp_path: Path, county_dir: tuple[Path, County]) -> None:
    _, county = county_dir
    path = journal_with_results(tmp_path, county_dir)
    publish(path, tmp_path / "out")
    rows = json.loads((tmp_path / "out" / "draws.json").read_text(encoding="utf-8"))["rows"]
    persons = [r for r in rows if "*" in r["unit_id"]]
    assert persons
    for row in persons:
        assert len(row["unit_name"]) == 2
        assert row["unit_name"].endswith("*")
    text = (tmp_path / "out" / "results.json").read_text(encoding="utf-8")
    for unit in county.units:
        if unit.id_kind is IdKind.ID_CARD and len(unit.person_in_charge) > 1:
            assert unit.person_in_charge not in text


def test_tj6_publication_is_per_quarter(tmp_path: Path, county_dir: tuple[Path, County]) -> None:
    path = journal_with_results(tmp_path, county_dir)
    publish(path, tmp_path / "q1", quarter="2026Q1")
    publish(path, tmp_path / "q2", quarter="2026Q2")

    def rows(d: str, table: str) -> list[dict[str, Any]]:
        doc = json.loads((tmp_path / d / f"{table}.json").read_text(encoding="utf-8"))
        return list(doc["rows"])

    assert len(rows("q1", "results")) == 2
    assert len(rows("q2", "results")) == 1
    assert len(rows("q1", "draws")) == 40
    assert rows("q2", "draws") == []
    assert len(rows("q1", "plans")) == 1
    assert len(rows("q1", "items")) == len(rows("q2", "items")) == 16  # the list, every quarter


def test_tj6_every_published_file_carries_its_checkpoint(
    tmp_path: Path, county_dir: tuple[Path, County]
) -> None:
    path = journal_with_results(tmp_path, county_dir)
    cp = Journal(path).checkpoint()
    files = publish(path, tmp_path / "out", quarter="2026Q1")
    for f in files:
        text = f.read_text(encoding="utf-8")
        if f.suffix == ".csv" and text.count("\n") == 1:
            continue  # an empty table: a header only (its checkpoint is in checkpoint.json)
        assert cp.root in text, f.name
        assert str(cp.size) in text, f.name
    raw = (tmp_path / "out" / "draws.csv").read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"')  # UTF-8 with BOM, the header first: no comment line
    with (tmp_path / "out" / "draws.csv").open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 40
    assert {row["检查点（记录数、默克尔根）"] for row in table} == {f"{cp.size} {cp.root}"}
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert doc["checkpoint"]["size"] == cp.size
    assert doc["checkpoint"]["root"] == cp.root


def test_tj6_withheld_fields(tmp_path: Path, county_dir: tuple[Path, County]) -> None:
    path = journal_with_results(tmp_path, county_dir)
    publish(path, tmp_path / "a", withhold={"handling_opinion"})
    publish(path, tmp_path / "b", withhold=lambda field: field in ("township", "industry"))
    a = json.loads((tmp_path / "a" / "results.json").read_text(encoding="utf-8"))["rows"]
    assert {r["handling_opinion"] for r in a} == {WITHHELD}
    b = json.loads((tmp_path / "b" / "draws.json").read_text(encoding="utf-8"))["rows"]
    assert {r["township"] for r in b} == {r["industry"] for r in b} == {WITHHELD}
    assert all(
        r["handling_opinion"] != WITHHELD
        for r in json.loads((tmp_path / "b" / "results.json").read_text(encoding="utf-8"))["rows"]
    )


def test_bl8_a_plugin_mask_is_applied_before_the_defaults(
    tmp_path: Path, county_dir: tuple[Path, County]
) -> None:
    path = journal_with_results(tmp_path, county_dir)
    seen: list[str] = []

    def plugin_mask(field: str, value: str, unit: Unit | None) -> str:
        seen.append(field)
        return "某镇" if field == "township" else value

    publish(path, tmp_path / "out", mask=plugin_mask)
    rows = json.loads((tmp_path / "out" / "draws.json").read_text(encoding="utf-8"))["rows"]
    assert {r["township"] for r in rows} == {"某镇"}
    assert "unit_id" in seen
    assert "seed" not in seen  # hashes and seeds are published verbatim


def test_bl8_national_rules_mask_hook_fits(tmp_path: Path, county_dir: tuple[Path, County]) -> None:
    from drawcore.plugin.rules import Rules

    rules = Rules.for_jurisdiction(None, entrypoints=False)
    path = journal_with_results(tmp_path, county_dir)
    files = publish(path, tmp_path / "out", mask=rules.mask)
    for f in files:
        assert scan(f.read_text(encoding="utf-8")) == []


def test_publish_refuses_a_journal_that_does_not_verify(
    tmp_path: Path, county_dir: tuple[Path, County]
) -> None:
    path = journal_with_results(tmp_path, county_dir)
    path.write_bytes(path.read_bytes().replace("王建国".encode(), "王建".encode(), 1))
    with pytest.raises(JournalError, match="does not verify"):
        publish(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_scrub_and_find_personal_data() -> None:
    number = make_id_card("441322", dt.date(1980, 1, 9), 533)
    text = f"身份证{number}，电话13504619603，金额12345678901234，概率0.13504619603"
    assert set(find_personal_data(text)) == {number, "13504619603"}
    clean = scrub(text)
    assert find_personal_data(clean) == []
    assert "441322********" in clean
    assert "135****9603" in clean
    assert "12345678901234" in clean  # not a phone: 14 digits
    # an 18-digit run with a wrong check character may still be a mistyped ID number: masked
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert scrub(wrong) == wrong[:6] + "********" + wrong[-4:]


def test_default_mask() -> None:
    person = Unit(
        unit_id=make_id_card("441322", dt.date(1980, 1, 9), 533),
        name="张三丰",
        id_kind=IdKind.ID_CARD,
        subject_type="个体工商户",
        industry="轻工",
        township="公庄镇",
    )
    assert default_mask("unit_id", person.unit_id, person).count("*") == 8
    assert default_mask("unit_name", "张三丰", person) == "张*"
    assert default_mask("unit_name", "博罗县某某有限公司", None) == "博罗县某某有限公司"
    assert default_mask("person_in_charge", "李四", None) == "李*"
    assert default_mask("contact", "13504619603", None) == "135****9603"


def test_quarters() -> None:
    assert quarter_of("2026-03-31T23:59:00+08:00") == "2026Q1"
    assert quarter_of("2026-04-01T00:00:00+08:00") == "2026Q2"
    assert quarter_of("2026-12-31T12:00:00Z") == "2026Q4"
    with pytest.raises(InvalidInputError, match="2026Q1"):
        build_publication([], Checkpoint(0, "00" * 32), quarter="2026-Q1")
