"""The HTML pages of a publication, for a citizen on a phone or at a desk.

``index.html`` says what is published, links one page per table (a long table
is split into pages of :data:`PAGE_ROWS` rows with links between them) and
explains how to check the publication: what the checkpoint is and the exact
``drawcore verify`` command. Cells are words and percentages
(:class:`~drawcore.publish.labels.Words`), every text is escaped, the CSS names a
CJK font stack, tables wrap long text and fold into cards on a narrow screen so
no page scrolls sideways, and pages print on A4.
"""

from __future__ import annotations

import html

from drawcore.i18n import N_
from drawcore.publish.labels import Words
from drawcore.publish.tables import TABLES, Publication

__all__ = ["CSS", "FONT_STACK", "PAGE_ROWS", "page_name", "render_pages"]

PAGE_ROWS = 100
FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "PingFang SC", '
    '"Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans SC", sans-serif'
)
CSS = (
    f":root{{font-family:{FONT_STACK};line-height:1.6;color:#1a1a1a}}"
    "body{margin:0 auto;max-width:90rem;padding:0.75rem;overflow-wrap:anywhere}"
    "h1{font-size:1.5rem}h2{font-size:1.2rem}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #aaa;padding:0.3rem 0.5rem;vertical-align:top;text-align:left;"
    "min-width:5em;overflow-wrap:anywhere;word-break:break-word}"
    "th{background:#f0f0f0}"
    "code,pre{white-space:pre-wrap;word-break:break-all}"
    "pre{background:#f6f6f6;padding:0.5rem}"
    ".scroll{overflow-x:auto}"
    "nav a{margin-right:0.75rem;display:inline-block}"
    "@media (max-width:48rem){"
    "table,tbody,tr,td{display:block;width:auto}thead{display:none}"
    "tr{border:1px solid #aaa;margin:0 0 0.75rem}td{border:none;border-top:1px solid #eee;"
    "min-width:0}td::before{content:attr(data-label);display:block;font-weight:bold;"
    "color:#555}}"
    "@page{size:A4;margin:15mm}"
    "@media print{nav{display:none}.scroll{overflow:visible}}"
)

_SITE = {
    "title": N_("Double random, one public: inspections published"),
    "all": N_("all quarters"),
    "home": N_("Home"),
    "rows": N_("{count} rows"),
    "page": N_("Page {page} of {pages}"),
    "prev": N_("Previous page"),
    "next": N_("Next page"),
    "download": N_("Download"),
    "empty": N_("Nothing to publish in this table."),
    "made_from": N_("Made from the journal's first {size} records, Merkle root:"),
    "verify_title": N_("How to verify"),
    "verify_what": N_(
        "Every draw is recorded in a journal. The checkpoint is the number of "
        "records and a fingerprint (Merkle root) of all of them: changing, removing "
        "or reordering any record changes the fingerprint. This publication was "
        "made from the checkpoint below; the same checkpoint is in checkpoint.json "
        "and in every CSV and JSON file."
    ),
    "verify_how": N_(
        "Ask the office for the journal and the registry files it names, install "
        "drawcore (pip install drawcore) and run:"
    ),
    "verify_means": N_(
        "The command checks every record's hash and order, recomputes the "
        "fingerprint and compares it with this checkpoint, and draws every draw "
        "again from its published seed: the same units and teams must come out. "
        "It exits with 0 and prints OK only if everything holds."
    ),
    "tables": N_("Tables"),
}


def page_name(table: str, page: int) -> str:
    """``draws.html`` for the first page of a table, ``draws-2.html`` for the second."""
    return f"{table}.html" if page == 1 else f"{table}-{page}.html"


def _head(w: Words, title: str) -> list[str]:
    lang = "zh-CN" if w.lang != "en" else "en"
    return [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
    ]


def _nav(w: Words, pub: Publication) -> str:
    esc = html.escape
    links = [f'<a href="index.html">{esc(w.t(_SITE["home"]))}</a>']
    links += [f'<a href="{page_name(t, 1)}">{esc(w.title(t))}</a>' for t in TABLES]
    return "<nav>" + "".join(links) + "</nav>"


def _quarter(w: Words, pub: Publication) -> str:
    return pub.quarter or w.t(_SITE["all"])


def _index(w: Words, pub: Publication, journal_name: str) -> str:
    esc = html.escape
    cp = pub.checkpoint
    title = f"{w.t(_SITE['title'])} {_quarter(w, pub)}"
    command = f"drawcore verify {journal_name} --checkpoint checkpoint.json"
    parts = [*_head(w, title), _nav(w, pub), f"<h1>{esc(title)}</h1>"]
    parts.append(f"<h2>{esc(w.t(_SITE['tables']))}</h2><ul>")
    for t in TABLES:
        count = w.t(_SITE["rows"]).format(count=len(pub.tables[t]))
        parts.append(
            f'<li><a href="{page_name(t, 1)}">{esc(w.title(t))}</a> ({esc(count)}) · '
            f'<a href="{t}.csv">{t}.csv</a> · <a href="{t}.json">{t}.json</a></li>'
        )
    parts.append("</ul>")
    parts += [
        f'<h2 id="verify">{esc(w.t(_SITE["verify_title"]))}</h2>',
        f"<p>{esc(w.t(_SITE['verify_what']))}</p>",
        f"<p>{esc(w.t(_SITE['made_from']).format(size=cp.size))}</p>",
        f"<pre>{esc(cp.root)}</pre>",
        f"<p>{esc(w.t(_SITE['verify_how']))}</p>",
        f"<pre>{esc(command)}</pre>",
        f"<p>{esc(w.t(_SITE['verify_means']))}</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _table_page(w: Words, pub: Publication, table: str, page: int, pages: int) -> str:
    esc = html.escape
    cols = pub.columns[table]
    rows = pub.tables[table][(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    title = f"{w.title(table)} {_quarter(w, pub)}"
    parts = [*_head(w, title), _nav(w, pub), f"<h1>{esc(title)}</h1>"]
    count = w.t(_SITE["rows"]).format(count=len(pub.tables[table]))
    parts.append(
        f"<p>{esc(count)} · {esc(w.t(_SITE['download']))}: "
        f'<a href="{table}.csv">{table}.csv</a> · <a href="{table}.json">{table}.json</a></p>'
    )
    parts.append(_pager(w, table, page, pages))
    if not rows:
        parts.append(f"<p>{esc(w.t(_SITE['empty']))}</p>")
    else:
        labels = [w.label(c) for c in cols]
        parts.append('<div class="scroll"><table><thead><tr>')
        parts.append("".join(f"<th>{esc(label)}</th>" for label in labels))
        parts.append("</tr></thead><tbody>")
        for row in rows:
            cells = "".join(
                f'<td data-label="{esc(label)}">{esc(w.cell(c, row.get(c)))}</td>'
                for c, label in zip(cols, labels, strict=True)
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table></div>")
    parts.append(_pager(w, table, page, pages))
    parts.append(
        f'<p><a href="index.html#verify">{esc(w.t(_SITE["verify_title"]))}</a> · '
        f"{esc(w.t(_SITE['made_from']).format(size=pub.checkpoint.size))} "
        f"<code>{esc(pub.checkpoint.root)}</code></p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _pager(w: Words, table: str, page: int, pages: int) -> str:
    if pages <= 1:
        return ""
    esc = html.escape
    links: list[str] = [esc(w.t(_SITE["page"]).format(page=page, pages=pages))]
    if page > 1:
        links.append(f'<a href="{page_name(table, page - 1)}">{esc(w.t(_SITE["prev"]))}</a>')
    if page < pages:
        links.append(f'<a href="{page_name(table, page + 1)}">{esc(w.t(_SITE["next"]))}</a>')
    links += [
        f'<a href="{page_name(table, k)}">{k}</a>' if k != page else f"<b>{k}</b>"
        for k in range(1, pages + 1)
    ]
    return "<nav>" + " ".join(links) + "</nav>"


def render_pages(pub: Publication, lang: str, journal_name: str) -> dict[str, str]:
    """Every HTML page: name -> text."""
    w = Words(lang)
    pages = {"index.html": _index(w, pub, journal_name)}
    for table in TABLES:
        count = max(1, -(-len(pub.tables[table]) // PAGE_ROWS))
        for page in range(1, count + 1):
            pages[page_name(table, page)] = _table_page(w, pub, table, page, count)
    return pages
