"""``--help`` speaks the reader's language: Simplified Chinese unless ``--lang en`` or an
English locale, argparse's own words included; option names, metavars and choices stay."""

from __future__ import annotations

import re

import pytest

from drawcore.cli.main import COMMANDS, main
from drawcore.cli.parser import requested_language, wrap
from tests.test_i18n import english_phrases

CJK = re.compile(r"[\u4e00-\u9fff]+")
#: Identifiers that may stand in Chinese help: metavars (capitals), the positionals' names,
#: file extensions, unit fields and jurisdictions given as examples.
IDENTIFIERS = re.compile(
    r"\.[a-z]+\b|\b(?:[A-Z][A-Z0-9_]*|journal|file|registry|results"
    r"|township|industry|boluo|tianjin)\b"
)


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    assert exited.value.code == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def chinese_help(text: str) -> None:
    """Chinese help: argparse's words translated, no English phrase but identifiers."""
    assert text.startswith("用法：drawcore")
    assert "显示本帮助信息并退出" in text
    assert "选项:" in text
    for english in ("usage:", "options:", "positional arguments", "show this help"):
        assert english not in text
    assert english_phrases(IDENTIFIERS.sub(" ", text)) == []


def test_drawcore_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    shown = help_of(capsys, "--help", "--lang", "zh")
    chinese_help(shown)
    assert "可核验的“双随机、一公开”抽查。" in shown
    assert "位置参数:" in shown
    assert "显示程序版本号并退出" in shown
    assert "核验抽查日志" in shown  # verify's line in the list of commands


def test_draw_help_is_chinese_by_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``--lang`` and no English locale: Chinese, names and choices as they are."""
    for var in ("LANGUAGE", "LC_ALL", "LANG"):
        monkeypatch.delenv(var, raising=False)
    shown = help_of(capsys, "draw", "--help")
    chinese_help(shown)
    assert "--units UNITS         检查对象名录库快照" in shown
    assert "--engine {numpy,dask}" in shown
    assert "抽取人（TJ-9 谁抽查）" in shown
    assert "--strata FIELD" in shown


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_help_is_chinese(capsys: pytest.CaptureFixture[str], command: str) -> None:
    shown = help_of(capsys, command, "--help", "--lang=zh")
    chinese_help(shown)
    assert f"用法：drawcore {command} [-h] [--lang {{zh,zh_CN,en}}] [-v]" in shown


def test_help_is_english_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    shown = help_of(capsys, "--lang", "en", "--help")
    assert shown.startswith("usage: drawcore")
    assert "positional arguments:" in shown
    assert "show program's version number and exit" in shown
    assert "check a registry file and print a summary" in shown
    shown = help_of(capsys, "draw", "--help", "--lang", "en")
    assert shown.startswith("usage: drawcore draw")
    assert "show this help message and exit" in shown
    assert "number of units to draw" in shown
    assert "log progress (-vv: debug)" in shown
    # nothing in Chinese but the Chinese names the English help quotes
    assert set(CJK.findall(shown)) <= {"谁抽查", "谁签字"}


def test_help_follows_an_english_locale(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert help_of(capsys, "verify", "--help").startswith("usage: drawcore verify")
    assert help_of(capsys, "verify", "--help", "--lang", "zh").startswith("用法：")


def test_a_usage_error_is_framed_in_the_readers_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["verify", "--lang", "zh"])
    assert exited.value.code == 64
    err = capsys.readouterr().err
    assert err.startswith("用法：drawcore verify")
    assert "drawcore verify: 错误 / error:" in err


@pytest.mark.parametrize(
    ("argv", "chinese", "english"),
    [
        (["plan", "j.jsonl"], "缺少必需的参数：--county", "the following arguments are required"),
        (["draw", "--engine", "foo"], "参数 --engine：无效的选项 'foo'（可选：", "invalid choice"),
        (["plan", "j", "--rounds", "5x"], "参数 --rounds：无效的 int 值 '5x'", "invalid int value"),
        (["verify", "j", "--nope"], "无法识别的参数：--nope", "unrecognized arguments"),
    ],
)
def test_argparse_usage_errors_are_said_in_the_readers_language(
    capsys: pytest.CaptureFixture[str], argv: list[str], chinese: str, english: str
) -> None:
    """What argparse says of bad options is translated with the frame (the option names
    and values quoted as given), and stays English with ``--lang en``."""
    with pytest.raises(SystemExit):
        main([*argv, "--lang", "zh"])
    err = capsys.readouterr().err
    assert chinese in err
    assert english not in err
    with pytest.raises(SystemExit):
        main([*argv, "--lang", "en"])
    assert english in capsys.readouterr().err


def test_the_language_is_read_before_parsing() -> None:
    assert requested_language(["draw", "--help"]) is None
    assert requested_language(["draw", "--lang", "en", "--help"]) == "en"
    assert requested_language(["--lang=en", "draw"]) == "en"
    assert requested_language(["draw", "--lan", "en"]) == "en"  # argparse's abbreviation
    assert requested_language(["--lang", "en", "draw", "--lang", "zh"]) == "zh"  # the last
    assert requested_language(["draw", "--", "--lang", "en"]) is None
    assert requested_language(["draw", "--lang"]) is None
    assert requested_language(["draw", "--l", "en"]) == "en"
    assert requested_language(["draw", "--language", "en"]) is None  # no such option


def test_chinese_is_wrapped_by_the_columns_it_takes() -> None:
    text = "与 --strata 同用：--size 在各层之间的分配方式（默认按名录中各层规模成比例分配）"
    lines = wrap(text, 30)
    assert len(lines) > 2
    for line in lines:
        assert sum(2 if CJK.match(c) or c in "（）：" else 1 for c in line) <= 30, line
        assert not line.startswith(("）", "，", "："))
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert wrap("log progress (-vv: debug)", 12) == ["log progress", "(-vv: debug)"]
