"""One message catalog (gettext, compiled with Babel): complete, compiled, and nothing
untranslated reaches a Chinese publication."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from drawcore import i18n

SRC = Path(i18n.__file__).resolve().parent
PO = SRC / "locale" / "zh_CN" / "LC_MESSAGES" / "drawcore.po"
MO = PO.with_suffix(".mo")


def catalog() -> object:
    with PO.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def source_messages() -> set[str]:
    """Every message the code marks with ``_()`` or ``N_()``, read as Babel reads it."""
    found = extract_from_dir(
        str(SRC), method_map=[("**.py", "python")], keywords={"_": None, "N_": None, "msg": None}
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_the_shipped_mo_is_the_compiled_po() -> None:
    """``pybabel compile -d src/drawcore/locale -D drawcore`` was run after the last edit."""
    buf = io.BytesIO()
    write_mo(buf, catalog())  # type: ignore[arg-type]
    assert MO.read_bytes() == buf.getvalue(), "run: make messages"


def test_every_marked_message_has_a_chinese_translation() -> None:
    translated = {m.id: m.string for m in catalog() if m.id}  # type: ignore[attr-defined]
    fuzzy = [m.id for m in catalog() if m.id and m.fuzzy]  # type: ignore[attr-defined]
    messages = source_messages()
    assert len(messages) > 50
    missing = sorted(m for m in messages if not translated.get(m))
    assert missing == [], "untranslated (run: make messages, then translate the .po)"
    assert fuzzy == []
    stale = sorted(set(translated) - messages)
    assert stale == [], "messages no longer in the code"


def test_translations_keep_their_placeholders() -> None:
    import re

    for m in catalog():  # type: ignore[attr-defined]
        if m.id:
            assert sorted(re.findall(r"\{\w*\}", m.id)) == sorted(
                re.findall(r"\{\w*\}", m.string)
            ), m.id


def test_language_from_the_locale() -> None:
    assert i18n.language_from_env({}) == "zh_CN"
    assert i18n.language_from_env({"LANG": "en_US.UTF-8"}) == "en"
    assert i18n.language_from_env({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert i18n.language_from_env({"LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.language_from_env({"LC_ALL": "C.UTF-8"}) == "zh_CN"
    assert i18n.translation("zh_CN").gettext("How to verify") == "如何核验"
    assert i18n.translation("en").gettext("How to verify") == "How to verify"


class Recording(gettext.GNUTranslations):
    """The Chinese catalog, noting every message it has no translation for."""

    missed: list[str]

    def gettext(self, message: str) -> str:
        shown = super().gettext(message)
        if shown == message:
            self.missed.append(message)
        return shown


def test_no_untranslated_string_reaches_a_zh_publication(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drawcore.cli.main import main
    from drawcore.publish import labels

    with MO.open("rb") as fh:
        recording = Recording(fh)
    recording.missed = []
    monkeypatch.setattr(labels, "translation", lambda lang: recording)
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = tmp_path / "pub"
    journal = tmp_path / "demo" / "journal.jsonl"
    assert main(["publish", str(journal), "--out", str(out), "--lang", "zh"]) == 0
    assert recording.missed == []
    assert (out / "index.html").read_text(encoding="utf-8").count("如何核验") >= 1


def test_a_raised_message_is_rendered_in_the_readers_language() -> None:
    """An error built with ``msg`` is English as raised and Chinese at the edge, values kept."""
    import drawcore
    from drawcore.cli.console import translate_error

    with pytest.raises(drawcore.InfeasibleError) as caught:
        drawcore.sample_units(["a", "b"], [1.0, 1.0], {"x": 1, "y": 1}, seed="s", strata=["x", "x"])
    raised = caught.value.args[0]
    assert isinstance(raised, i18n.Text)
    assert str(caught.value) == "stratum/strata ['y'] have a size but no units"
    assert i18n.render(raised, "zh_CN") == "分层 ['y'] 有样本量，但没有任何单位"
    assert i18n.render(raised, "en") == str(caught.value)
    before = i18n.current()
    i18n.set_language("zh_CN")
    try:
        shown = translate_error(caught.value)
    finally:
        i18n.set_language(before)
    assert shown == "无法完成：分层 ['y'] 有样本量，但没有任何单位（" + str(caught.value) + "）"
    nested = i18n.msg("record {seq} refused: {why}", seq=3, why=raised)
    assert str(nested) == "record 3 refused: stratum/strata ['y'] have a size but no units"
