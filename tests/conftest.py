"""Shared test configuration: hypothesis profiles, and English unless a test asks for Chinese.

``ci`` (the default) is derandomised so every run explores the same examples;
set ``HYPOTHESIS_PROFILE=dev`` for a randomised, longer search.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from drawcore import i18n

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _english_unless_asked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests read English text unless they ask for Chinese: the command line is Chinese
    by default, so every test runs with ``LANGUAGE=en`` and the tests of the Chinese output
    pass ``--lang zh`` (or set ``LANGUAGE``) themselves."""
    monkeypatch.setenv("LANGUAGE", "en")
    before = i18n.current()
    i18n.set_language("en")
    yield
    i18n.set_language(before)
