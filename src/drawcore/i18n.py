"""The language of every text a user sees: Simplified Chinese first, English on request.

One message catalog, the gettext way: messages are written in English in the
code and marked with :func:`_` (translated now) or :func:`N_` (marked for the
catalog, translated where shown); ``src/drawcore/locale/zh_CN/LC_MESSAGES/drawcore.po``
holds the Chinese, compiled with Babel to the ``.mo`` file shipped beside it
(``tests/test_i18n.py`` checks the two agree and that nothing is left
untranslated).

The language is ``zh_CN`` unless asked otherwise: ``--lang en`` on the command
line, or a locale (``LANGUAGE``, ``LC_ALL``, ``LANG``, the first one set) that
starts with ``en``. Library functions that render text take the language as an
argument; the command line sets it once for :func:`_`.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "N_",
    "Text",
    "_",
    "chosen_language",
    "current",
    "joined",
    "language_from_env",
    "msg",
    "render",
    "set_language",
    "translation",
]

LANGUAGES = ("zh_CN", "en")
DEFAULT = "zh_CN"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "drawcore"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("drawcore_lang", default=DEFAULT)


def normalise(lang: str | None) -> str:
    """``"en"`` for any English tag (``en``, ``en_US.UTF-8``), else ``"zh_CN"``."""
    return "en" if lang is not None and lang.lower().startswith("en") else DEFAULT


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale asks for: the first of LANGUAGE, LC_ALL, LANG that is set."""
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LANG"):
        value = env.get(var)
        if value:
            return normalise(value)
    return DEFAULT


def chosen_language(lang: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The language of a run: ``lang`` (what ``--lang`` says) when given, else the locale's."""
    return normalise(lang) if lang else language_from_env(environ)


@functools.cache
def translation(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` (English is the messages themselves)."""
    if normalise(lang) == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[DEFAULT])


def set_language(lang: str | None) -> str:
    """Make ``lang`` the language of :func:`_` (in this context); returns the one in effect."""
    chosen = normalise(lang)
    _current.set(chosen)
    return chosen


def current() -> str:
    """The language :func:`_` translates to."""
    return _current.get()


def _(message: str) -> str:
    """``message`` in the current language."""
    return translation(_current.get()).gettext(message)


def N_(message: str) -> str:  # noqa: N802  (the gettext convention)
    """Mark ``message`` for the catalog without translating it here."""
    return message


class Text(str):
    """A message in English that remembers its template and values.

    The core raises errors and writes reasons without knowing who reads them; a
    :class:`Text` is an ordinary ``str`` (its English form) that the edge can render
    in the reader's language with :func:`render`. Build one with :func:`msg`.
    """

    __slots__ = ("template", "values")
    template: str
    values: Mapping[str, Any]

    def __new__(cls, template: str, values: Mapping[str, Any]) -> Text:
        self = super().__new__(cls, template.format(**values) if values else template)
        self.template = template
        self.values = dict(values)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (self.template, self.values))


def msg(template: str, /, **values: Any) -> Text:
    """A translatable message: ``template`` (English, ``{name}`` placeholders) and its
    values, extracted into the catalog like :func:`_` (``pybabel extract -k msg``)."""
    return Text(template, values)


def _render_value(value: Any, lang: str | None) -> Any:
    """A message's value rendered: a string (a :class:`Text` translated), or an error by
    the :class:`Text` it was raised with (``msg("...: {err}", err=err)``)."""
    if isinstance(value, BaseException) and value.args:
        raised = value.args[0]
        if isinstance(raised, Text) and raised == str(value):
            return render(raised, lang)
    return render(value, lang) if isinstance(value, str) else value


def joined(parts: Sequence[str], separator: str = "; ") -> Text:
    """``parts`` joined by ``separator``, each part (a :class:`Text` or not) rendered in the
    reader's language in turn: a list of problems inside one message."""
    names = [f"part{i}" for i in range(len(parts))]
    template = separator.replace("{", "{{").replace("}", "}}").join(f"{{{n}}}" for n in names)
    return Text(template, dict(zip(names, parts, strict=True)))


def render(text: str, lang: str | None = None) -> str:
    """``text`` in ``lang`` (default: the current language).

    A :class:`Text` is translated through the catalog, its values rendered in turn
    (a value may itself be a :class:`Text`, or an error raised with one); any other
    string is returned as it is.
    """
    if not isinstance(text, Text):
        return text
    catalog = translation(normalise(lang) if lang is not None else _current.get())
    values = {k: _render_value(v, lang) for k, v in text.values.items()}
    template = catalog.gettext(text.template)
    return template.format(**values) if text.values else template
