"""Fixtures the Tianjin rule tests share."""

from __future__ import annotations

import pytest

from drawcore.plugin.rules import Rules


@pytest.fixture(scope="module")
def tianjin() -> Rules:
    return Rules.for_jurisdiction("tianjin")
