"""Shared test configuration: hypothesis profiles.

``ci`` (the default) is derandomised so every run explores the same examples;
set ``HYPOTHESIS_PROFILE=dev`` for a randomised, longer search.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
