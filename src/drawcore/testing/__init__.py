"""Test helpers for drawcore and for jurisdiction plugins."""

from __future__ import annotations

from drawcore.testing.conformance import check_plan, conformance_tests, synthetic_county

__all__ = ["check_plan", "conformance_tests", "synthetic_county"]
