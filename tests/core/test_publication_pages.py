"""A publication a citizen can read and check (BL-8, TJ-6): words not codes, percentages,
one page per table with paging, a "如何核验" section, spreadsheet-ready CSV, and every page
rendered in a real browser (Chromium, headless): no sideways scrolling on a phone or a
desk, no empty glyph boxes, the text a citizen needs present."""

from __future__ import annotations

import concurrent.futures
import csv
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from ceremony_site import WHO
from test_publication_safety import county_dir, journal  # noqa: F401  (fixture)

from drawcore.publish.disclosure import publish
from drawcore.publish.pages import FONT_STACK, PAGE_ROWS
from drawcore.record.journal import Journal

#: Codes a citizen must never see in the Chinese publication.
CODES = (
    "no_problem",
    "rectification_ordered",
    "penalised",
    "double_random",
    "major_hazard",
    "rfc3797+parties",
    "(covert: undisclosed)",
    "[withheld]",
    "live",
)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, county_dir: Path) -> Path:  # noqa: F811
    """A quarter with a draw of 130 units (two pages of the draws table) and results."""
    d = tmp_path_factory.mktemp("pages")
    path = journal(d, county_dir, ["责令限期整改，复查合格", "未发现问题", "约谈负责人"], size=130)
    publish(path, d / "zh", quarter="2026Q1")
    publish(path, d / "en", quarter="2026Q1", lang="en")
    return d


def cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S))


def test_bl8_zh_publication_shows_words_not_codes(published: Path) -> None:
    for f in sorted((published / "zh").iterdir()):
        if f.suffix in (".csv", ".html"):
            text = visible_text(f.read_text(encoding="utf-8-sig"))
            found = [c for c in CODES if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text)]
            assert found == [], f.name
    results = cells(published / "zh" / "results.csv")
    assert results[0][:3] == ["日志记录号", "计划编号", "抽取记录号"]
    assert {row[5] for row in results[1:]} == {"责令限期整改"}
    draws = cells(published / "zh" / "draws.csv")
    probability = draws[0].index("被抽中概率")
    assert all(re.fullmatch(r"[0-9]+\.[0-9]{2}%|100%", row[probability]) for row in draws[1:])
    assert {row[draws[0].index("检查方式")] for row in draws[1:]} <= {"双随机检查", "暗查暗访"}


def test_bl8_en_publication_is_in_english(published: Path) -> None:
    results = cells(published / "en" / "results.csv")
    assert results[0][:3] == ["Journal record", "Plan", "Draw record"]
    assert {row[5] for row in results[1:]} == {"ordered to put right within a time limit"}
    assert "How to verify" in (published / "en" / "index.html").read_text(encoding="utf-8")


def test_tj6_csv_is_spreadsheet_ready(published: Path) -> None:
    cp = Journal(published / "journal.jsonl").checkpoint()
    for f in (published / "zh").glob("*.csv"):
        raw = f.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f.name  # Excel on Chinese Windows reads UTF-8
        table = cells(f)
        assert not table[0][0].startswith("#"), f.name
        assert table[0][-1] == "检查点（记录数、默克尔根）"
        assert {row[-1] for row in table[1:]} <= {f"{cp.size} {cp.root}"}
    assert json.loads((published / "zh" / "checkpoint.json").read_text(encoding="utf-8")) == {
        "size": cp.size,
        "root": cp.root,
        "at": None,
        "signed_by": None,
        "signature": None,
    }


def test_tj6_one_page_per_table_with_paging(published: Path) -> None:
    out = published / "zh"
    first = (out / "draws.html").read_text(encoding="utf-8")
    second = (out / "draws-2.html").read_text(encoding="utf-8")
    assert first.count("<tr>") == PAGE_ROWS + 1  # the header row and one page of rows
    assert second.count("<tr>") == 130 - PAGE_ROWS + 1
    assert 'href="draws-2.html"' in first
    assert 'href="draws.html"' in second
    assert "第 1 页，共 2 页" in first
    assert not (out / "draws-3.html").exists()
    for t in ("items", "plans", "annual_plans", "results", "exposures"):
        assert (out / f"{t}.html").is_file()
        assert f'href="{t}.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_tj6_index_says_how_to_verify(published: Path) -> None:
    cp = Journal(published / "journal.jsonl").checkpoint()
    page = (published / "zh" / "index.html").read_text(encoding="utf-8")
    assert "如何核验" in page
    assert "drawcore verify journal.jsonl --checkpoint checkpoint.json" in page
    assert cp.root in page
    assert f"前 {cp.size} 条记录" in page
    assert FONT_STACK in page
    assert "@page{size:A4" in page


def test_tj6_the_verify_command_on_the_page_works(published: Path) -> None:
    """The command the page prints, run in a folder holding the journal and the page's
    checkpoint.json, verifies (and fails against another journal's checkpoint)."""
    from drawcore.cli.main import main

    here = Path.cwd()
    shutil.copy(published / "zh" / "checkpoint.json", published / "checkpoint.json")
    try:
        os.chdir(published)
        page = (published / "zh" / "index.html").read_text(encoding="utf-8")
        command = re.search(r"<pre>(drawcore verify [^<]+)</pre>", page)
        assert command is not None
        assert main(command.group(1).split()[1:]) == 0
        bad = json.loads((published / "checkpoint.json").read_text(encoding="utf-8"))
        bad["root"] = "00" * 32
        (published / "checkpoint.json").write_text(json.dumps(bad), encoding="utf-8")
        assert main(command.group(1).split()[1:]) == 1
    finally:
        os.chdir(here)


# -- in a real browser --------------------------------------------------------------------

PROBE = """
<script>
(function () {
  const doc = document.documentElement;
  // on a phone each cell shows its column's label before it (CSS ::before): read those too
  const labels = Array.from(document.querySelectorAll("td")).slice(0, 60)
    .map(td => getComputedStyle(td, "::before").content).filter(c => c && c !== "none");
  const text = document.body.innerText + "\\n" + labels.join("\\n");
  const chars = Array.from(new Set(text.match(/[\\u4e00-\\u9fff]/g) || [])).slice(0, 300);
  const font = getComputedStyle(document.body).fontFamily;
  const canvas = document.createElement("canvas");
  canvas.width = 48; canvas.height = 48;
  const g = canvas.getContext("2d", {willReadFrequently: true});
  function glyph(ch) {
    g.clearRect(0, 0, 48, 48);
    g.font = "36px " + font;
    g.fillStyle = "#000";
    g.textBaseline = "top";
    g.fillText(ch, 4, 4);
    const data = g.getImageData(0, 0, 48, 48).data;
    let h = 0;
    for (let i = 3; i < data.length; i += 4) h = (Math.imul(h, 31) + data[i]) >>> 0;
    return h;
  }
  const tofu = glyph("\\u{10FFFD}");
  const shapes = chars.map(glyph);
  const out = {
    scrollWidth: doc.scrollWidth,
    innerWidth: window.innerWidth,
    chars: chars.length,
    distinct: new Set(shapes).size,
    tofu: shapes.filter(s => s === tofu).length,
    text: text,
  };
  parent.postMessage(JSON.stringify(out), "*");
})();
</script>
"""

#: The page in a frame of the width under test (headless windows are at least 500 px wide).
HOST = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="{src}" style="width:{width}px;height:900px;border:0"></iframe>
<pre id="drawcore-probe"></pre>
<script>
window.addEventListener("message", e => {{
  document.getElementById("drawcore-probe").textContent = e.data;
}});
</script></body></html>
"""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (CI installs it)")
    return None


def render(browser: str, page: Path, width: int) -> dict[str, Any]:
    probe = page.with_name(f".probe-{width}-{page.name}")
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    host = page.with_name(f".host-{width}-{page.name}")
    host.write_text(HOST.format(src=probe.name, width=width), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--window-size={width + 40},1000",
                "--virtual-time-budget=5000",
                "--dump-dom",
                host.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    probe.unlink()
    host.unlink()
    found = re.search(r'<pre id="drawcore-probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"{page.name} at {width}px: no probe output ({done.stderr[-500:]})"
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


@pytest.mark.slow
def test_tj6_every_page_renders_in_a_browser_without_overflow_or_empty_glyphs(
    published: Path,
) -> None:
    browser = chromium()
    assert browser is not None
    fonts = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    assert fonts.stdout.strip(), "no font for Chinese installed (apt-get install fonts-noto-cjk)"
    pages = sorted((published / "zh").glob("*.html"))
    assert len(pages) == 8  # index, six tables, the second page of draws
    jobs = [(page, width) for page in pages for width in (375, 1280)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        shown = list(pool.map(lambda job: render(browser, *job), jobs))
    cp = Journal(published / "journal.jsonl").checkpoint()
    for (page, width), seen in zip(jobs, shown, strict=True):
        where = f"{page.name} at {width}px"
        assert seen["innerWidth"] == width, where
        assert seen["scrollWidth"] <= seen["innerWidth"], f"{where}: scrolls sideways"
        assert seen["chars"] >= 10, where
        assert seen["tofu"] == 0, f"{where}: {seen['tofu']} characters drawn as empty boxes"
        assert seen["distinct"] == seen["chars"], f"{where}: characters share one glyph"
        text = seen["text"]
        assert "“双随机、一公开”抽查公示" in text or "共" in text, where
        assert cp.root in text, f"{where}: the checkpoint is not shown"
        if page.name == "index.html":
            assert "如何核验" in text
            assert "drawcore verify journal.jsonl --checkpoint checkpoint.json" in text
        if page.name == "results.html":
            assert "责令限期整改" in text
            assert "检查依据" in text
        if page.name.startswith("draws"):
            assert "被抽中概率" in text
            assert re.search(r"[0-9]+\.[0-9]{2}%", text), where


def test_who_drew_is_published(published: Path) -> None:
    """TJ-9: the officials who drew and signed are named on the page."""
    text = visible_text((published / "zh" / "draws.html").read_text(encoding="utf-8"))
    assert WHO["drawn_by"] in text
    assert WHO["signed_by"] in text
