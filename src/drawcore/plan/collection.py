"""Python's cyclic garbage collector held off while a plan is built.

An annual plan allocates hundreds of thousands of small objects (tasks, teams,
reasons) that form no reference cycles, beside a registry of as many again. Each
collection of the oldest generation walks all of them, which costs a quarter to a
third of a city-scale plan's time. Reference counting still frees everything
as usual; only the cycle detector waits until the plan is built, and is then
switched back on if it was on. Results never depend on it.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

__all__ = ["cycles_collected_after", "without_cycle_collection"]

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Switch the cycle detector off for the block, and back on after it if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def cycles_collected_after(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run inside :func:`without_cycle_collection`."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with without_cycle_collection():
            return fn(*args, **kwargs)

    return run
