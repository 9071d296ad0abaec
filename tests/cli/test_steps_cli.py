"""Every step on the command line: ``drawcore result`` (results from a spreadsheet, checked
against the draw), ``drawcore checkpoint``, errors in the user's language, safe terminal text."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from drawcore.cli.console import printable, translate_error
from drawcore.cli.main import main
from drawcore.errors import InvalidInputError, JournalError
from drawcore.i18n import set_language
from drawcore.record.checkpoints import read_checkpoints
from drawcore.record.journal import Journal

PLAN = "2026Q1-county"
HEADER = ["统一社会信用代码", "检查结果", "检查发现", "检查依据", "检查范围", "检查内容",
          "检查方式", "处理意见", "检查人员", "检查日期"]  # fmt: skip


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    return out


def open_units(journal: Path) -> list[tuple[str, list[str]]]:
    """(unit id, team) of the drawn units that have no result yet."""
    records = Journal(journal).records()
    draw = next(r for r in records if r.type == "draw")
    done = {r.body["unit_id"] for r in records if r.type == "result"}
    return [
        (a["unit_id"], list(a["members"]))
        for a in draw.body["teams"]["assignments"]
        if a["unit_id"] not in done and a.get("members")
    ]


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


BASIS = "《中华人民共和国安全生产法》；《安全生产事故隐患排查治理暂行规定》"


def row(
    unit: str, team: list[str], outcome: str = "责令限期整改", when: str = "2026/2/10"
) -> list[str]:
    fields = ["", BASIS, "生产经营场所", "安全生产主体责任落实", "现场检查", "限期整改"]
    return [unit, outcome, *fields, "；".join(team), when]


def result_args(journal: Path, source: Path) -> list[str]:
    # 谁抽查、谁录入 (BL-8): each row is entered by the first inspector it names
    who = ["--entered-at", "2026-02-11T09:00:00+08:00"]
    return ["result", str(journal), "--from", str(source), "--plan-id", PLAN, *who]


def test_bl7_result_enters_rows_checked_against_the_draw(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = demo / "journal.jsonl"
    (a, team_a), (b, team_b) = open_units(journal)[:2]
    source = write_rows(tmp_path / "结果.csv", [row(a, team_a), row(b, team_b, "未发现问题")])
    before = len(Journal(journal).records())
    assert main([*result_args(journal, source), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "已记入计划 2026Q1-county 的 2 条检查结果" in out
    assert "责令限期整改" in out
    assert "rectification_ordered" not in out
    records = Journal(journal).records()
    assert len(records) == before + 2
    assert [r.body["unit_id"] for r in records[-2:]] == [a, b]
    assert [r.body["outcome"] for r in records[-2:]] == ["rectification_ordered", "no_problem"]
    assert records[-1].body["inspected_on"] == "2026-02-10"
    assert main(["verify", str(journal)]) == 0


def test_bl7_one_bad_row_writes_nothing_and_names_every_problem(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = demo / "journal.jsonl"
    (a, team_a), (b, team_b), (c, team_c) = open_units(journal)[:3]
    rows = [
        row(a, team_a),
        row(b, team_a if team_a != team_b else ["4413000000"]),  # not the unit's drawn team
        row(c, team_c, outcome="好"),  # no such outcome
        row(c, team_c, when="明天"),
    ]
    source = write_rows(tmp_path / "results.csv", rows)
    before = journal.read_bytes()
    assert main([*result_args(journal, source), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert journal.read_bytes() == before
    assert "no result written" in err
    assert "results.csv row 3" in err  # the wrong team, found by the journal's own rules
    assert "results.csv row 4: unknown outcome '好'" in err
    assert "results.csv row 5: inspection date '明天'" in err
    assert "Traceback" not in err


def test_result_refuses_a_file_without_a_needed_column(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "r.csv"
    source.write_text("统一社会信用代码,检查结果\n91441322X,未发现问题\n", encoding="utf-8")
    assert main([*result_args(demo / "journal.jsonl", source), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("drawcore: 错误 / error: 输入有误：")
    assert "缺少“检查依据 (basis)”列" in err


def test_result_refuses_control_characters_with_row_and_column(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = demo / "journal.jsonl"
    (a, team), *_ = open_units(journal)
    bad = row(a, team)
    bad[7] = "限期\u202e整改"
    source = write_rows(tmp_path / "r.csv", [bad])
    assert main([*result_args(journal, source), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "r.csv row 2, column 处理意见: control characters" in err
    assert "\u202e" not in err


def test_tj6_checkpoint_verifies_then_appends(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = demo / "journal.jsonl"
    out = tmp_path / "cps.jsonl"
    args = ["checkpoint", str(journal), "--out", str(out), "--at", "2026-03-31T17:00:00+08:00"]
    assert main([*args, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    cp = Journal(journal).checkpoint()
    assert shown["checkpoint"]["root"] == cp.root
    assert shown["checkpoint"]["size"] == cp.size
    assert [c.root for c in read_checkpoints(out)] == [cp.root]
    assert main(["verify", str(journal), "--checkpoint", str(out)]) == 0
    # a journal that does not verify gets no checkpoint
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(journal.read_bytes().replace("王建国".encode(), "王建".encode(), 1))
    assert main(["checkpoint", str(bad), "--out", str(tmp_path / "bad-cps.jsonl")]) == 1
    assert not (tmp_path / "bad-cps.jsonl").exists()


def test_errors_are_framed_in_chinese_with_the_english_beside() -> None:
    set_language("zh")
    err = JournalError("second result for plan '2026Q1' refused: record 2 already holds it")
    shown = translate_error(err)
    assert shown.startswith("抽查日志错误：计划 2026Q1 已在第 2 条记录中有抽取结果")
    assert "second result for plan" in shown  # the original, for a search
    assert translate_error(InvalidInputError("odd")) == "输入有误：odd"
    set_language("en")
    assert translate_error(err) == str(err)
    set_language("zh")


def test_the_language_comes_from_the_locale(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = str(demo / "journal.jsonl")
    monkeypatch.setenv("LANGUAGE", "en_US")
    assert main(["publish", journal, "--out", str(tmp_path / "en")]) == 0
    assert "published" in capsys.readouterr().out
    assert "How to verify" in (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    monkeypatch.setenv("LANGUAGE", "zh_CN")
    assert main(["publish", journal, "--out", str(tmp_path / "zh")]) == 0
    assert "已发布" in capsys.readouterr().out
    assert "如何核验" in (tmp_path / "zh" / "index.html").read_text(encoding="utf-8")


def test_terminal_text_never_carries_control_characters() -> None:
    assert printable("某某\u202e公司\x1b[31m\x07") == "某某\\u202e公司\\u001b[31m\\u0007"
    assert printable("正常的名称 ok") == "正常的名称 ok"


# -- machine-readable output for a platform -----------------------------------------------


def json_out(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def test_json_on_validate_verify_completion_and_draw(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ceremony_site import DRAW_TIMES, EXAMPLE

    from drawcore.registry.readers import read_units

    assert main(["validate", str(EXAMPLE / "units.csv"), "--json"]) == 0
    doc = json_out(capsys)
    units = read_units(EXAMPLE / "units.csv")
    assert doc == {
        "ok": True,
        "file": str(EXAMPLE / "units.csv"),
        "kind": "units",
        "records": len(units),
        "fingerprint": units.fingerprint,
    }
    journal = demo / "journal.jsonl"
    assert main(["verify", str(journal), "--json"]) == 0
    doc = json_out(capsys)
    cp = Journal(journal).checkpoint()
    assert (doc["ok"], doc["records"], doc["root"], doc["problems"]) == (True, cp.size, cp.root, [])
    forged = tmp_path / "forged.jsonl"
    forged.write_bytes(journal.read_bytes().replace("王建国".encode(), "王建".encode(), 1))
    assert main(["verify", str(forged), "--json", "--registry-dir", str(demo)]) == 1
    doc = json_out(capsys)
    assert doc["ok"] is False
    assert doc["problems"][0]["record"] == 0
    args = ["completion", str(journal), "--plan-id", PLAN, "--as-of", "2026-02-28"]
    assert main([*args, "--due", "2026-03-31", "--json"]) == 0
    doc = json_out(capsys)
    assert doc["plan_id"] == PLAN
    assert doc["as_of"] == "2026-02-28"
    assert sum(len(r["tasks"]) for r in doc["rounds"]) == 120
    assert doc["overdue_tasks"] == 0
    new = tmp_path / "new.jsonl"
    draw = ["draw", str(new), "--units", str(EXAMPLE / "units.csv"), "--inspectors",
            str(EXAMPLE / "inspectors.csv"), "--plan-id", "2026Q1", "--size", "30",
            "--registry-dir", str(EXAMPLE)]  # fmt: skip
    assert main([*draw, *DRAW_TIMES, "--json"]) == 0
    doc = json_out(capsys)
    records = Journal(new).records()
    assert [s["type"] for s in doc["records"]] == [r.type for r in records]
    assert doc["draw"]["record"] == records[-1].seq
    assert [u["unit_id"] for u in doc["draw"]["units"]] == [
        u["unit_id"] for u in records[-1].body["units"]
    ]
    assert len(doc["draw"]["teams"]) == 30
    # an error with --json is JSON too (and the frame on stderr)
    assert main(["verify", str(tmp_path / "none.jsonl"), "--json"]) in (1, 2)
    out = capsys.readouterr()
    assert "Traceback" not in out.err


def test_all_lists_every_unit_drawn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ceremony_site import DRAW_TIMES, EXAMPLE

    registries = [
        "--units",
        str(EXAMPLE / "units.csv"),
        "--inspectors",
        str(EXAMPLE / "inspectors.csv"),
        "--registry-dir",
        str(EXAMPLE),
    ]
    draw = ["draw", str(tmp_path / "j.jsonl"), *registries, "--plan-id", "P", "--size", "40"]
    assert main([*draw, *DRAW_TIMES]) == 0
    assert "... and 25 more units" in capsys.readouterr().out
    assert main(["draw", str(tmp_path / "k.jsonl"), *draw[2:], *DRAW_TIMES, "--all"]) == 0
    out = capsys.readouterr().out
    units = Journal(tmp_path / "k.jsonl").records()[-1].body["units"]
    assert all(u["unit_id"] in out for u in units)
    assert "more units" not in out


def test_verbose_logs_the_steps(
    demo: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="drawcore")
    assert main(["publish", str(demo / "journal.jsonl"), "--out", str(tmp_path / "p"), "-v"]) == 0
    assert logging.getLogger("drawcore").level == logging.INFO
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("verifying ") for m in messages)
    assert any("files written and synced" in m for m in messages)
    assert main(["publish", str(demo / "journal.jsonl"), "--out", str(tmp_path / "q")]) == 0
    assert logging.getLogger("drawcore").level == logging.WARNING


def test_progress_bars_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from drawcore.cli.console import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    assert list(progress(range(5), total=5, what="check")) == [0, 1, 2, 3, 4]
    assert pipe.getvalue() == ""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert list(progress(range(5), total=5, what="check")) == [0, 1, 2, 3, 4]
    assert "0/5" in terminal.getvalue()  # the bar was drawn (and cleared at the end)


def test_the_demo_speaks_chinese_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert main(["demo", "--out", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "== 核验（哈希、链、规则、默克尔根、每次抽取重放）：通过 OK" in out
    assert "== 核验一份改动过一条 draw 记录的副本：未通过 FAILED" in out
    assert "责令限期整改" in out
    assert "rectification_ordered" not in out


def test_tj10_completion_is_reported_in_chinese_by_default(
    demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LANG"):
        monkeypatch.delenv(var, raising=False)
    args = ["completion", str(demo / "journal.jsonl"), "--plan-id", PLAN, "--as-of", "2026-04-10"]
    assert main([*args, "--due", "2026-03-31"]) == 0
    out = capsys.readouterr().out
    assert "计划 2026Q1-county 截至 2026-04-10 的完成情况（签字人 局长 王建国）" in out
    assert (
        "第 1 批次（截止 2026-03-31）：已完成 4/120（3.3%），延迟完成 0，逾期 116，未到期 0" in out
    )
    assert "逾期：116 项任务" in out.splitlines()[-1]


def test_bl8_result_entered_by_someone_outside_the_team_is_refused_whole(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """谁抽查、谁录入 (BL-8): results entered by a person outside the task's team are refused,
    and nothing of the file is journaled."""
    journal = demo / "journal.jsonl"
    (a, team_a), (b, team_b) = open_units(journal)[:2]
    source = write_rows(tmp_path / "结果.csv", [row(a, team_a), row(b, team_b, "未发现问题")])
    before = len(Journal(journal).records())
    stranger = ["--entered-by", "执法监察大队 李明"]
    assert main([*result_args(journal, source), *stranger, "--lang", "en"]) == 2
    assert "not in the team" in capsys.readouterr().err
    assert len(Journal(journal).records()) == before


def test_bl8_result_entered_as_a_role_the_plan_does_not_name_is_refused_whole(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's plan names no result-entry role: a clerk entering in a role is refused."""
    journal = demo / "journal.jsonl"
    (a, team_a), _ = open_units(journal)[:2]
    source = write_rows(tmp_path / "结果.csv", [row(a, team_a)])
    before = len(Journal(journal).records())
    clerk = ["--entered-by", "张会计", "--entered-as", "数据录入员"]
    assert main([*result_args(journal, source), *clerk, "--lang", "en"]) == 2
    assert "roles in force: none" in capsys.readouterr().err
    assert len(Journal(journal).records()) == before


def test_draw_json_lists_only_the_records_this_run_wrote(tmp_path: Path) -> None:
    """Committed in one run, drawn in the next: the second run's JSON names its own
    records (seed, draw), not the commitment written before."""
    import json

    from ceremony_site import DRAW_TIMES, EXAMPLE, run_cli

    journal = str(tmp_path / "j.jsonl")
    draw = ["draw", journal, "--units", str(EXAMPLE / "units.csv"), "--inspectors",
            str(EXAMPLE / "inspectors.csv"), "--plan-id", "2026Q1", "--size", "5",
            "--registry-dir", str(EXAMPLE)]  # fmt: skip
    assert run_cli(*draw, *DRAW_TIMES[:4], "--json")[0] == 0
    status, printed, _ = run_cli(*draw, *DRAW_TIMES[4:], "--json")
    assert status == 0, printed
    doc = json.loads(printed)
    assert [r["type"] for r in doc["records"]] == ["seed", "draw"]
    assert doc["draw"]["record"] == 2
