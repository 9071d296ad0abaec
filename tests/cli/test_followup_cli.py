"""``drawcore followup`` and ``drawcore completion``: use of results from the command line
(BL-10, TJ-7, TJ-10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from personal_data import unmasked_ids

from drawcore.cli import main
from drawcore.plugin.rules import Rules
from drawcore.publish.followup import apply_results
from drawcore.record import ceremony, commitments, year_ceremony
from drawcore.record.annual import year_plan_spec
from drawcore.record.draw_plans import RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.records import DrawRecord
from drawcore.record.results import Finding, InspectionResult, Outcome
from drawcore.record.signing import Signing
from drawcore.registry.readers import read_county, read_units
from drawcore.registry.registries import UnitRegistry
from drawcore.registry.writers import write_experts, write_inspectors, write_items, write_units
from drawcore.serde import structure

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "county"
PLAN = "2026Q1-county"  # the demo draw's plan id


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo ceremony: a draw of 120 units and four results, one finding a concealed hazard."""
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out)]) == 0
    return out


def journal_results(journal: Path) -> list[InspectionResult]:
    """The journal's result records, read without drawcore.ceremony's helpers."""
    return [
        structure(r.body, InspectionResult)
        for r in Journal(journal).records()
        if r.type == "result"
    ]


def tampered(demo_out: Path, tmp_path: Path) -> Path:
    lines = (demo_out / "journal.jsonl").read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"probability":0.', b'"probability":1.', 1)
    copy = tmp_path / "journal.jsonl"
    copy.write_bytes(b"\n".join(lines))
    return copy


# -- followup ------------------------------------------------------------------------------


def test_bl10_tj7_followup_writes_the_registry_apply_results_gives(
    demo_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, units_csv, out = (
        demo_out / "journal.jsonl",
        demo_out / "registries" / "units.csv",
        tmp_path / "next.csv",
    )
    before = units_csv.read_bytes()
    assert main(["followup", str(journal), "--units", str(units_csv), "--out", str(out)]) == 0
    results = journal_results(journal)
    assert len(results) == 4
    expected, changes = apply_results(read_units(units_csv), results)
    written = read_units(out)
    assert written.fingerprint == expected.fingerprint
    assert list(written) == list(expected)
    assert units_csv.read_bytes() == before  # the snapshot the journal names is untouched
    # the unit found concealing a major hazard is blacklisted and under joint punishment
    (concealed,) = [r for r in results if Finding.MAJOR_HAZARD_CONCEALED in r.findings]
    assert written[concealed.unit_id].blacklisted
    assert written[concealed.unit_id].joint_punishment
    assert not read_units(units_csv)[concealed.unit_id].blacklisted
    text = capsys.readouterr().out
    assert f"Registry changes from results: {len(changes)}" in text
    assert f"{concealed.unit_id} blacklisted: false -> true; TJ-7" in text
    assert not unmasked_ids(text)  # persons' ID-card numbers are masked in the printout
    assert written.fingerprint in text


def test_bl10_followup_plan_id_takes_that_plans_results_only(
    demo_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, units_csv = demo_out / "journal.jsonl", demo_out / "registries" / "units.csv"
    args = ["followup", str(journal), "--units", str(units_csv)]
    assert main([*args, "--out", str(tmp_path / "a.csv"), "--plan-id", PLAN]) == 0
    assert main([*args, "--out", str(tmp_path / "b.csv")]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "c.csv"), "--plan-id", "2027Q1-other"]) == 2
    assert "no live results" in capsys.readouterr().err
    assert not (tmp_path / "c.csv").exists()


def test_bl10_followup_refuses_a_journal_that_does_not_verify(
    demo_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tampered(demo_out, tmp_path)
    out = tmp_path / "next.csv"
    units_csv = demo_out / "registries" / "units.csv"
    args = ["followup", str(copy), "--units", str(units_csv), "--out", str(out)]
    assert main([*args, "--registry-dir", str(demo_out)]) == 1
    err = capsys.readouterr().err
    assert "does not verify" in err
    assert "nothing done" in err
    assert not out.exists()


def test_bl10_followup_bad_input_exits_2_with_one_line_and_writes_nothing(
    demo_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, units_csv = demo_out / "journal.jsonl", demo_out / "registries" / "units.csv"
    out = tmp_path / "next.csv"
    # a registry without one of the results' units: apply_results refuses, nothing is written
    result_unit = journal_results(journal)[0].unit_id
    fewer = UnitRegistry.from_records(
        [u for u in read_units(units_csv) if u.unit_id != result_unit]
    )
    write_units(fewer, tmp_path / "fewer.csv")
    cases = [
        (["--units", str(tmp_path / "fewer.csv"), "--out", str(out)], "not in the unit registry"),
        (["--units", str(tmp_path / "missing.csv"), "--out", str(out)], "missing.csv"),
        (["--units", str(units_csv), "--out", str(units_csv)], "is the --units file"),
    ]
    for extra, reason in cases:
        assert main(["followup", str(journal), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith(("drawcore: error:", "drawcore: 错误 / error:"))
        assert reason in err.splitlines()[0]
        assert not out.exists()
    assert (
        main(
            ["followup", str(tmp_path / "nope.jsonl"), "--units", str(units_csv), "--out", str(out)]
        )
        == 2
    )
    assert "no such journal" in capsys.readouterr().err
    assert not out.exists()


# -- completion ----------------------------------------------------------------------------


def drawn_units(journal: Path) -> int:
    (body,) = [r.body for r in Journal(journal).records() if r.type == "draw"]
    return len(DrawRecord.from_body(body).units)


def test_tj10_completion_of_a_draw_counts_done_and_overdue(
    demo_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = demo_out / "journal.jsonl"
    tasks = drawn_units(journal)
    done = len(journal_results(journal))
    assert (tasks, done) == (120, 4)
    args = ["completion", str(journal), "--plan-id", PLAN, "--due", "2026-03-31", "--lang", "en"]
    assert main([*args, "--as-of", "2026-04-10"]) == 0
    text = capsys.readouterr().out
    assert f"tasks: {tasks}; done: {done} ({done / tasks:.1%}); overdue: {tasks - done}" in text
    assert f"{tasks - done} overdue, 0 open" in text
    assert f"overdue: {tasks - done} task(s)" in text.splitlines()[-1]
    assert "signed by 局长 王建国" in text
    assert not unmasked_ids(text)
    # before the due date nothing is overdue: the rest is open
    assert main([*args, "--as-of", "2026-02-28"]) == 0
    text = capsys.readouterr().out
    assert f"0 overdue, {tasks - done} open" in text
    assert text.splitlines()[-1].startswith("overdue: none")


def test_tj10_fail_overdue_exits_1_only_when_work_is_overdue(
    demo_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = demo_out / "journal.jsonl"
    args = ["completion", str(journal), "--plan-id", PLAN, "--due", "2026-03-31", "--fail-overdue"]
    args += ["--lang", "en"]
    assert main([*args, "--as-of", "2026-04-10"]) == 1
    assert "Completion of 2026Q1-county" in capsys.readouterr().out  # still reported
    assert main([*args, "--as-of", "2026-02-28"]) == 0


def test_tj10_completion_bad_input_exits_2_and_a_bad_journal_1(
    demo_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = str(demo_out / "journal.jsonl")
    cases = [
        (["--plan-id", PLAN, "--as-of", "2026-04-10"], "give due"),
        (["--plan-id", "2099-none", "--as-of", "2026-04-10", "--due", "2026-03-31"], "no live"),
        (["--plan-id", PLAN, "--as-of", "10/04/2026", "--due", "2026-03-31"], "--as-of"),
    ]
    for extra, reason in cases:
        assert main(["completion", journal, *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith(("drawcore: error:", "drawcore: 错误 / error:"))
        assert reason in err.splitlines()[0]
    copy = tampered(demo_out, tmp_path)
    args = [
        "completion",
        str(copy),
        "--plan-id",
        PLAN,
        "--as-of",
        "2026-04-10",
        "--due",
        "2026-03-31",
    ]
    assert main([*args, "--registry-dir", str(demo_out)]) == 1
    assert "does not verify" in capsys.readouterr().err


def test_tj10_completion_of_an_annual_plan_uses_its_rounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An annual plan carries its own timetable: rounds due by their end, results published
    by the rules' date; a result closes its unit's task of round 1."""
    full = read_county(EXAMPLE)
    reg = tmp_path / "registries"
    reg.mkdir()
    write_units(UnitRegistry.from_records(list(full.units)[:300]), reg / "units.csv")
    write_inspectors(full.inspectors, reg / "inspectors.csv")
    write_experts(full.experts, reg / "experts.csv")
    write_items(full.items, reg / "items.csv")
    county = read_county(reg)
    refs = {
        name: RegistryRef(path=f"registries/{name}.csv", fingerprint=fp)
        for name, fp in county.fingerprints.items()
    }
    rules = Rules.for_jurisdiction("boluo")
    spec = year_plan_spec(
        "2026-boluo",
        county,
        refs,
        year=2026,
        rules=rules,
        tasks_per_inspector=3,
        registry_date=dt.date(2026, 1, 2),
    )
    j = Journal(tmp_path / "journal.jsonl")
    commitments.commit_plan(
        j, spec, committed_at="2026-01-05T09:00:00+08:00", committed_by="王建国"
    )
    commitments.form_seed(
        j,
        spec,
        entropy_at="2026-01-06T21:30:00+08:00",
        recorded_at="2026-01-07T09:00:00+08:00",
        rfc3797_sources=[[3, 11, 17, 22, 28, 31], [9], [742]],
    )
    drawn = year_ceremony.draw_year(
        j,
        spec,
        rules=rules,
        signing=Signing(
            drawn_by="李明",
            signed_by="王建国",
            drawn_at="2026-01-07T09:00:00+08:00",
            signed_at="2026-01-07T09:15:00+08:00",
        ),
    )
    first = drawn.plan.rounds[0]
    task = first.tasks[0]
    ceremony.record_result(
        j,
        InspectionResult(
            plan_id="2026-boluo",
            draw=drawn.record.seq,
            unit_id=task.unit_id,
            basis=("《中华人民共和国安全生产法》",),
            scope="生产经营场所",
            content=("安全生产主体责任落实",),
            method="现场检查",
            handling_opinion="未发现问题",
            outcome=Outcome.NO_PROBLEM,
            inspected_by=task.inspectors or ("王建国",),
            inspected_on=first.start,
            entered_by=(task.inspectors or ("王建国",))[0],
            entered_at=f"{first.start.isoformat()}T17:00:00+08:00",
        ),
    )
    as_of = first.end + dt.timedelta(days=1)
    args = ["completion", str(j.path), "--plan-id", "2026-boluo", "--as-of", as_of.isoformat()]
    args += ["--lang", "en"]
    assert main(args) == 0
    text = capsys.readouterr().out
    n = len(first.tasks)
    assert f"Round 1 ({first.start} .. {first.end}): 1/{n} done" in text
    assert f"{n - 1} overdue" in text
    assert "signed by 王建国" in text
    assert not unmasked_ids(text)
    assert main([*args, "--fail-overdue"]) == (1 if n > 1 else 0)
