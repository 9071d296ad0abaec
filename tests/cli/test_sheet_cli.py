"""``drawcore sheet``: printable A4 sheets for the people who sign (谁抽查、谁签字, TJ-9, BL-7)."""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from drawcore.cli.main import main
from drawcore.record.annual_compact import plan_json
from drawcore.record.journal import Journal
from drawcore.registry.readers import read_inspectors

PLAN = "2026Q1-county"


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sheets")
    assert main(["demo", "--out", str(d / "demo")]) == 0
    journal = d / "demo" / "journal.jsonl"
    assert main(["sheet", str(journal), "--plan-id", PLAN, "--out", str(d / "out")]) == 0
    return d


def text_of(path: Path) -> str:
    return html.unescape(re.sub(r"<style>.*?</style>|<[^>]+>", " ", path.read_text("utf-8")))


def test_tj9_draw_record_sheet_lists_every_unit_and_team_by_name_and_post(sheets: Path) -> None:
    draw = next(r for r in Journal(sheets / "demo" / "journal.jsonl").records() if r.type == "draw")
    text = text_of(sheets / "out" / "draw-record.html")
    inspectors = {
        i.inspector_id: i
        for i in read_inspectors(sheets / "demo" / "registries" / "inspectors.csv")
    }
    for drawn in draw.body["units"]:
        assert drawn["unit_id"] in text
    for a in draw.body["teams"]["assignments"][:30]:
        for member in a["members"]:
            who = inspectors[member]
            assert f"{who.name}（{who.post}，{member}）" in text
    for role in ("抽取人", "监督人", "负责人"):
        assert role in text
    assert "双随机检查" in text
    assert draw.body["seed"] in text
    assert text.count("%") >= len(draw.body["units"])


def test_bl7_one_prefilled_form_per_task(sheets: Path) -> None:
    draw = next(r for r in Journal(sheets / "demo" / "journal.jsonl").records() if r.type == "draw")
    page = (sheets / "out" / "forms.html").read_text("utf-8")
    assert page.count('<section class="form">') == len(draw.body["teams"]["assignments"])
    text = text_of(sheets / "out" / "forms.html")
    for label in ("检查依据", "检查范围", "检查内容", "检查方式", "处理意见", "检查人员签字"):
        assert text.count(label) >= len(draw.body["units"])
    assert "《中华人民共和国安全生产法》" in text  # pre-filled from the item list
    assert "@page{size:A4" in page


@pytest.mark.slow
def test_bl7_forms_print_one_a4_page_each_in_a_browser(sheets: Path) -> None:
    import os
    import shutil

    browser = shutil.which("chromium")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed (CI installs it)")
    pdf = sheets / "forms.pdf"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
             (sheets / "out" / "forms.html").as_uri()],
            capture_output=True, timeout=180, check=False,
        )  # fmt: skip
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    draw = next(r for r in Journal(sheets / "demo" / "journal.jsonl").records() if r.type == "draw")
    assert pages == len(draw.body["teams"]["assignments"])
    boxes = {
        tuple(round(float(x)) for x in m.split())
        for m in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", data)
    }
    assert boxes == {(0, 0, 595, 842)}  # A4 in points


def test_tj9_an_annual_plans_record_sheet_lists_every_task_of_every_round(
    tmp_path: Path,
) -> None:
    assert main(["demo", "--jurisdiction", "tianjin", "--out", str(tmp_path / "y")]) == 0
    journal = tmp_path / "y" / "journal.jsonl"
    plan = next(r for r in Journal(journal).records() if r.type == "annual_plan")
    args = ["sheet", str(journal), "--plan-id", plan.body["plan_id"], "--out", str(tmp_path / "s")]
    args += ["--lang", "zh"]
    assert main(args) == 0
    page = (tmp_path / "s" / "draw-record.html").read_text("utf-8")
    tasks = [t for rd in plan_json(plan.body)["rounds"] for t in rd["tasks"]]
    assert page.count("<tr><td>") == len(tasks)
    assert page.count('<section class="form">') == 0
    forms = (tmp_path / "s" / "forms.html").read_text("utf-8")
    assert forms.count('<section class="form">') == len(tasks)
    text = text_of(tmp_path / "s" / "draw-record.html")
    assert "暗查暗访" in text
    assert "批次" in text
