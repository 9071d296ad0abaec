"""Publication hardening (BL-8, TJ-6): personal data however written, formula injection,
control characters, and a publication folder that appears whole or not at all."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import os
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from ceremony_site import EXAMPLE, SIGNING, write_persons_county
from hypothesis import example, given, settings
from hypothesis import strategies as st
from personal_data import scan

from drawcore.errors import InvalidInputError, StorageError
from drawcore.i18n import render
from drawcore.model import IdKind, Unit
from drawcore.publish import files as publish_files
from drawcore.publish.disclosure import publish, write_publication
from drawcore.publish.exports import FORMULA_START, neutralise
from drawcore.publish.masking import scrub
from drawcore.publish.scan import find_personal_data, find_unsafe_chars
from drawcore.publish.tables import build_publication
from drawcore.record import ceremony
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.results import InspectionResult
from drawcore.registry.ids import (
    is_company_code,
    is_valid_id_card,
    is_valid_uscc,
    make_id_card,
    make_uscc,
)
from drawcore.registry.readers import read_county, read_units

ID = make_id_card("441322", dt.date(1980, 1, 9), 533)
WRONG_CHECK = ID[:-1] + ("0" if ID[-1] != "0" else "1")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

#: Each way the issue lists of writing a person's number, and the digits that must go.
WRITTEN = [
    ("电话+86 135-0461-9603", "13504619603"),
    ("电话 +86 13504619603", "13504619603"),
    ("手机0086-135-0461-9603", "13504619603"),
    ("135 0461 9603", "13504619603"),
    ("135-0461-9603", "13504619603"),
    ("１３５０４６１９６０３", "13504619603"),
    ("Tel.13504619603", "13504619603"),
    ("Tel. 6123456", "6123456"),
    (f"证件号{ID}号", ID),
    (f"ID{ID}abc", ID),
    (f"身份证{WRONG_CHECK}", WRONG_CHECK),
    (f"身份证{ID[:17]}x", ID[:17]),
    ("旧身份证441322800109533", "441322800109533"),
    ("座机0752-6123456", "07526123456"),
    ("(0752) 6123456", "07526123456"),
    ("（0752）6123456", "07526123456"),
    ("电话：0752 612 3456", "07526123456"),
    ("2026-02-03 13504619603 回访", "13504619603"),
    ("13504619603x", "13504619603"),
]

#: Numbers that are no person's and must be published as they are.
KEPT = [
    "2026-02-03",
    "2026-01-05T09:00:00+08:00",
    "罚款20000元",
    "4413018685;4413020135",
    "概率0.13504619603",
    make_uscc("91441322MA4UXXXX1"),
    "《安全生产监管监察职责和行政执法责任追究的规定》（国家安全监管总局令第24号）第八条",
    "整改期限30日",
]


def digits_of(text: str) -> str:
    return re.sub(r"[^0-9X]", "", unicodedata.normalize("NFKC", text).upper())


@pytest.mark.parametrize(("text", "number"), WRITTEN)
def test_bl8_scrub_masks_numbers_however_written(text: str, number: str) -> None:
    # the independent scan sees the number before; nothing after; its middle digits are gone
    assert find_personal_data(text), text
    clean = scrub(text)
    assert find_personal_data(clean) == [], clean
    assert scan(clean) == []
    assert number not in digits_of(clean)
    assert (number[3:-4] if len(number) >= 11 else number[2:-2]) not in digits_of(clean)


@pytest.mark.parametrize("text", KEPT)
def test_bl8_scrub_keeps_what_is_no_persons_number(text: str) -> None:
    assert scrub(text) == text
    assert find_personal_data(text) == []


def test_bl8_an_id_card_number_that_passes_the_uscc_check_is_still_masked() -> None:
    """441322200001010175: a birth date inside and a wrong ID check character, yet a valid
    USCC check character by chance (about one in 31 such numbers): a person's number."""
    number = "441322200001010175"
    assert is_valid_uscc(number)
    assert not is_valid_id_card(number)
    assert not is_company_code(number)
    assert scrub(number) == "441322********0175"
    assert scrub("91350500676532779B") == "91350500676532779B"  # a company's code stays


def test_bl8_the_scan_is_stricter_than_the_masker() -> None:
    """Separators the masker does not join, and numbers inside longer runs, are still seen."""
    assert find_personal_data("135_0461_9603")
    assert find_personal_data("135~0461~9603")
    assert find_personal_data("编号0113504619603")  # a mobile number inside a longer run
    assert find_personal_data(f"X{ID[:17]}1")  # any check character: a birth date inside
    assert scrub("135_0461_9603") == "135_0461_9603"  # so such a text is refused, not published


def test_bl8_a_digest_whose_digits_look_like_an_id_is_no_persons_number() -> None:
    """A plan hash, seed or fingerprint (SHA-256, 64 hex digits) is published as it is,
    even when a run of its digits looks like a 15-digit ID-card number; 64 digits with no
    hex letter are still scanned."""
    digest = "880825831443964b6b351a6592975e6b77661fb7e2958add06ba447d5d871846"
    assert find_personal_data("880825831443964") != []
    assert find_personal_data(f"plan hash {digest},") == []
    assert find_personal_data("0" * 40 + "13504619603" + "0" * 13) != []


separators = st.sampled_from(["", " ", "-", "－", " - ", "(", ")", "\u3000", "."])
prose = st.text(alphabet="检查整改约谈负责人电话号码ABCxyz，。：", max_size=6)


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A mobile number or ID-card number, written as people write them, and its digits."""
    if draw(st.booleans()):
        number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
        groups = [number[:3], number[3:7], number[7:]]
        prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086-", "Tel.", "电话："]))
    else:
        birth = draw(st.dates(dt.date(1930, 1, 1), dt.date(2010, 12, 31)))
        number = make_id_card(draw(st.sampled_from(["441322", "120101", "110105"])), birth, 17)
        if draw(st.booleans()):
            number = number[:17] + draw(st.sampled_from("0123456789X"))
        groups = [number[:6], number[6:14], number[14:]]
        prefix = draw(st.sampled_from(["", "ID", "证件", "No."]))
    sep = draw(separators)
    text = prefix + sep.join(groups)
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return draw(prose) + text + draw(prose), number


@settings(max_examples=300, deadline=None)
@given(written_numbers())
@example(("441322200001010175", "441322200001010175"))
@example(("证件441322 20000101 0175", "441322200001010175"))
def test_bl8_property_no_number_survives_scrub_however_written(case: tuple[str, str]) -> None:
    text, number = case
    clean = scrub(text)
    assert find_personal_data(clean) == [], (text, clean)
    assert scan(clean) == [], (text, clean)
    assert number not in digits_of(clean), (text, clean)
    assert "****" in clean, (text, clean)


def test_owasp_formula_cells_are_neutralised() -> None:
    for start in FORMULA_START:
        assert neutralise(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"
    assert neutralise("  =1+1") == "'  =1+1"  # spaces first do not hide a formula
    assert neutralise("博罗县某某有限公司") == "博罗县某某有限公司"
    assert neutralise("") == ""


@given(st.text(max_size=20))
def test_owasp_property_no_neutralised_cell_starts_a_formula(cell: str) -> None:
    out = neutralise(cell)
    assert not out.lstrip().startswith(FORMULA_START)
    assert out == cell or out == "'" + cell


def test_unsafe_characters_are_found() -> None:
    assert find_unsafe_chars("abc\u202edef") == ["U+202E"]
    assert find_unsafe_chars("\x1b[31m\x07\x00") == ["U+001B", "U+0007", "U+0000"]
    assert find_unsafe_chars("安全生产 ok") == []


# -- through a real journal ---------------------------------------------------------------

HOSTILE = {
    '=HYPERLINK("http://x","点击")': "handling_opinion",
    "+1+cmd|' /C calc'!A0": "handling_opinion",
    "-2+3": "handling_opinion",
    "@SUM(A1:A9)": "handling_opinion",
    "\t=1+1": "handling_opinion",
    "\r=1+1": "handling_opinion",
}


@pytest.fixture(scope="module")
def county_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = write_persons_county(tmp_path_factory.mktemp("safety"), 60)
    return d


def journal(tmp_path: Path, county_dir: Path, opinions: list[str], size: int = 20) -> Path:
    """A draw of ``size`` units and one result per opinion (on persons first)."""
    shutil.copytree(county_dir, tmp_path / "registries")
    units = read_units(tmp_path / "registries" / "units.csv")
    plan = DrawPlan(
        plan_id="2026Q1",
        units=RegistryRef(path="registries/units.csv", fingerprint=units.fingerprint),
        inspectors=RegistryRef(
            path="registries/inspectors.csv",
            fingerprint=read_county(EXAMPLE).inspectors.fingerprint,
        ),
        size=size,
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
    for a, opinion in zip(drawn.outcome.teams.assignments, opinions, strict=False):
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
                handling_opinion=opinion,
                outcome="rectification_ordered",
                inspected_by=a.members,
                inspected_on=dt.date(2026, 2, 3),
                entered_by=a.members[0],
                entered_at="2026-02-03T17:00:00+08:00",
            ),
        )
    return j.path


def csv_cells(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8-sig")
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def test_owasp_every_published_csv_is_neutralised(tmp_path: Path, county_dir: Path) -> None:
    path = journal(tmp_path, county_dir, list(HOSTILE))
    files = publish(path, tmp_path / "out")
    cells = [c for f in files if f.suffix == ".csv" for c in csv_cells(f)]
    assert cells
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    for hostile in HOSTILE:
        shown = hostile.replace("\t", " ").replace("\r", " ")
        assert f"'{shown}" in cells or f"'{hostile}" in cells, hostile
    # JSON keeps the text as entered (programs read it, not spreadsheets)
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert {r["handling_opinion"] for r in doc["rows"]} >= {'=HYPERLINK("http://x","点击")'}


def test_bl8_free_text_numbers_are_masked_in_every_file(tmp_path: Path, county_dir: Path) -> None:
    opinions = [text for text, _ in WRITTEN]
    path = journal(tmp_path, county_dir, opinions)
    assert scan(path.read_text(encoding="utf-8"))
    files = publish(path, tmp_path / "out")
    for f in files:
        assert scan(f.read_text(encoding="utf-8-sig")) == [], f.name
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    shown = [r["handling_opinion"] for r in doc["rows"]]
    assert len(shown) == len(WRITTEN)
    for cell, (_, number) in zip(shown, WRITTEN, strict=True):
        assert (number[3:-4] if len(number) >= 11 else number[2:-2]) not in digits_of(cell), cell


def test_bl8_a_number_the_masker_cannot_read_stops_the_publication(
    tmp_path: Path, county_dir: Path
) -> None:
    path = journal(tmp_path, county_dir, ["联系135_0461_9603"])
    with pytest.raises(InvalidInputError, match=r"results row 1 handling_opinion"):
        publish(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("bad", ["\u202e", "\x1b[2J", "\x07", "\x00", "\u2066"])
def test_control_and_bidi_characters_never_reach_a_published_file(
    tmp_path: Path, county_dir: Path, bad: str
) -> None:
    path = journal(tmp_path, county_dir, [f"整改{bad}完成"])
    with pytest.raises(InvalidInputError, match=r"results row 1 handling_opinion: U\+"):
        publish(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    records = Journal(path).records()
    unit = Unit(
        unit_id=make_uscc("91441322MA4UXXXX1"),
        name=f"某某{bad}公司",
        id_kind=IdKind.USCC,
        subject_type="企业",
        industry="轻工",
        township="公庄镇",
    )
    with pytest.raises(InvalidInputError, match="control or bidirectional"):
        _publication_naming(records, unit, path)


def _publication_naming(records: list[Any], unit: Unit, path: Path) -> None:
    """A publication whose draw names ``unit``: its unit name is checked like any text."""
    draw = next(r for r in records if r.type == "draw")
    first = draw.body["units"][0]["unit_id"]
    renamed = Unit(
        unit_id=first,
        name=unit.name,
        id_kind=IdKind.USCC,
        subject_type="企业",
        industry="轻工",
        township="公庄镇",
    )
    build_publication(records, Journal(path).checkpoint(), units=[renamed])


def test_whitespace_controls_in_free_text_become_spaces(tmp_path: Path, county_dir: Path) -> None:
    path = journal(tmp_path, county_dir, ["第一行\r\n第二行\t完"])
    publish(path, tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert doc["rows"][0]["handling_opinion"] == "第一行 第二行 完"


# -- whole or not at all ----------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".publishing-" in p.name)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
@pytest.mark.parametrize("nth", [1, 5, 13])
def test_a_full_disk_leaves_the_old_publication_and_raises_a_typed_error(
    tmp_path: Path, county_dir: Path, monkeypatch: pytest.MonkeyPatch, code: int, nth: int
) -> None:
    path = journal(tmp_path, county_dir, ["已整改"])
    out = tmp_path / "public"
    publish(path, out, quarter="2026Q2")
    old = snapshot(out)
    real_write = os.write
    calls = {"n": 0}

    def failing_write(fd: int, data: Any) -> int:
        calls["n"] += 1
        if calls["n"] >= nth:
            raise OSError(code, os.strerror(code))
        return real_write(fd, data)

    monkeypatch.setattr(publish_files.os, "write", failing_write)
    cause = "磁盘空间不足" if code == errno.ENOSPC else "超出磁盘配额"
    with pytest.raises(StorageError, match="nothing was published") as caught:
        publish(path, out, quarter="2026Q1")
    assert cause in render(caught.value.args[0], "zh_CN")
    monkeypatch.undo()
    assert snapshot(out) == old
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_failed_rename_publishes_nothing(
    tmp_path: Path, county_dir: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    path = journal(tmp_path, county_dir, ["已整改"])

    def failing_replace(src: Any, dst: Any) -> None:
        raise OSError(code, os.strerror(code), os.fspath(dst))

    monkeypatch.setattr(publish_files.os, "replace", failing_replace)
    with pytest.raises(StorageError, match="nothing was published"):
        publish(path, tmp_path / "public")
    monkeypatch.undo()
    assert not (tmp_path / "public").exists()
    assert leftovers(tmp_path) == []


def test_the_fallback_swap_keeps_the_old_publication_when_the_rename_fails(
    tmp_path: Path, county_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = journal(tmp_path, county_dir, ["已整改"])
    out = tmp_path / "public"
    publish(path, out, quarter="2026Q2")
    old = snapshot(out)
    real_replace = os.replace
    calls = {"n": 0}

    def second_fails(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "no space", os.fspath(dst))
        real_replace(src, dst)

    monkeypatch.setattr(publish_files, "_exchange", lambda a, b: False)
    monkeypatch.setattr(publish_files.os, "replace", second_fails)
    with pytest.raises(StorageError):
        publish(path, out, quarter="2026Q1")
    monkeypatch.undo()
    assert snapshot(out) == old
    publish(path, out, quarter="2026Q1")  # and the fallback swap itself works
    assert snapshot(out) != old
    assert leftovers(tmp_path) == [] or all("-old" not in n for n in leftovers(tmp_path))


def test_a_folder_with_other_files_is_refused(tmp_path: Path, county_dir: Path) -> None:
    path = journal(tmp_path, county_dir, [])
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(StorageError, match="no earlier publication"):
        publish(path, other)
    assert snapshot(other) == {"notes.txt": b"keep me"}


def test_published_folder_is_readable_by_others(tmp_path: Path, county_dir: Path) -> None:
    path = journal(tmp_path, county_dir, [])
    old = os.umask(0o022)
    try:
        files = publish(path, tmp_path / "public")
    finally:
        os.umask(old)
    assert (tmp_path / "public").stat().st_mode & 0o777 == 0o755
    assert all(f.stat().st_mode & 0o777 == 0o644 for f in files)


def test_write_publication_replaces_a_previous_one_whole(tmp_path: Path, county_dir: Path) -> None:
    path = journal(tmp_path, county_dir, ["已整改"])
    records = Journal(path).records()
    cp = Journal(path).checkpoint()
    a = build_publication(records, cp, quarter="2026Q1")
    b = build_publication(records, cp, quarter="2026Q2")
    write_publication(a, tmp_path / "p")
    first = snapshot(tmp_path / "p")
    write_publication(b, tmp_path / "p")
    second = snapshot(tmp_path / "p")
    assert first != second
    assert set(first) == set(second)
    assert leftovers(tmp_path) == []


# -- from the command line ----------------------------------------------------------------


def test_bl8_cli_publish_applies_the_jurisdictions_mask_hook(
    tmp_path: Path, county_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import types

    from drawcore.cli.main import main
    from drawcore.plugin import hookimpl
    from drawcore.plugin import manager as plugin_manager
    from drawcore.plugin import rules as plugin_rules

    county = types.ModuleType("drawcore_testcounty")

    @hookimpl
    def drawcore_jurisdiction() -> str:
        return "testcounty"

    @hookimpl
    def drawcore_mask_field(field: str, value: str, unit: Unit | None) -> str | None:
        return "某镇" if field == "township" else None

    county.drawcore_jurisdiction = drawcore_jurisdiction  # type: ignore[attr-defined]
    county.drawcore_mask_field = drawcore_mask_field  # type: ignore[attr-defined]

    def with_county(entrypoints: bool = True, blocked: Any = ()) -> Any:
        return plugin_manager.make_plugin_manager(
            False, blocked, plugins={"drawcore-testcounty": county}
        )

    monkeypatch.setattr(plugin_rules, "make_plugin_manager", with_county)
    path = journal(tmp_path, county_dir, ["已整改"])
    assert main(["publish", str(path), "--out", str(tmp_path / "a")]) == 0
    args = ["publish", str(path), "--out", str(tmp_path / "b"), "--jurisdiction", "testcounty"]
    assert main(args) == 0
    a = json.loads((tmp_path / "a" / "draws.json").read_text(encoding="utf-8"))["rows"]
    b = json.loads((tmp_path / "b" / "draws.json").read_text(encoding="utf-8"))["rows"]
    assert {r["township"] for r in b} == {"某镇"}
    assert {r["township"] for r in a} != {"某镇"}


def test_cli_publish_on_a_full_disk_prints_one_line_and_no_traceback(
    tmp_path: Path,
    county_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from drawcore.cli.main import main

    path = journal(tmp_path, county_dir, ["已整改"])

    def full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(publish_files.os, "write", full)
    assert main(["publish", str(path), "--out", str(tmp_path / "public"), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "磁盘空间不足" in err
    assert "no space left" in err
    assert "Traceback" not in err
    assert not (tmp_path / "public").exists()


def test_bl8_a_companys_uscc_is_published_whole() -> None:
    """A USCC's digits may hold a mobile-like run ("14413220430"); the code is a company's."""
    code = "9144132204303HAKN4"
    assert find_personal_data(code) == []
    assert scrub(f"单位{code}，电话13504619603") == f"单位{code}，电话135****9603"
    # the same digits as no USCC (a wrong check character) are a run holding a mobile number
    assert find_personal_data("9144132204303HAKN5")


def test_bl8_the_final_scan_names_every_field_holding_a_leak_or_a_control_character() -> None:
    """The scan reads each distinct text once; a text found in several fields and rows is
    named in each of them, and a clean text beside it in none."""
    from drawcore.publish.tables import Publication, final_scan
    from drawcore.record.checkpoints import Checkpoint

    phone, bidi, clean = "联系 13812345678", "名称\u202e", "石湾镇"
    rows = (
        {"name": clean, "note": phone},
        {"name": bidi, "note": phone},
        {"name": clean, "note": clean},
        {"name": bidi, "note": phone},
    )
    pub = Publication(
        quarter=None,
        checkpoint=Checkpoint(size=1, root="0" * 64),
        tables={"draws": rows},
        columns={"draws": ("name", "note")},
    )
    with pytest.raises(InvalidInputError) as err:
        final_scan(pub)
    leaks = err.value.problems
    assert leaks == (
        "draws row 1 note: 1 number(s)",
        "draws row 2 note: 1 number(s)",
        "draws row 4 note: 1 number(s)",
    )
    pub = Publication(
        quarter=None,
        checkpoint=Checkpoint(size=1, root="0" * 64),
        tables={"draws": tuple({"name": r["name"], "note": clean} for r in rows)},
        columns={"draws": ("name", "note")},
    )
    with pytest.raises(InvalidInputError) as err:
        final_scan(pub)
    assert err.value.problems == ("draws row 2 name: U+202E", "draws row 4 name: U+202E")


def test_bl8_a_text_met_again_is_masked_again() -> None:
    """The cleaner scrubs each distinct text once: a phone number met in a second row
    and another field is masked there too, the same way."""
    from drawcore.publish.tables import _Cleaner

    clean = _Cleaner(None, (), {})
    text = "联系人 13812345678 石湾镇"
    first = clean.row({"note": text})
    second = clean.row({"reason": text, "note": "无"})
    assert first["note"] == second["reason"] == scrub(text)
    assert "13812345678" not in first["note"]
    assert not find_personal_data(second["reason"])
