"""Where the Dask draw runs: a local scheduler by name or a distributed one by address."""

from __future__ import annotations

from typing import Any, cast

from drawcore.scale.partitions import (
    _dask,
    _mod,
)


def is_address(scheduler: Any) -> bool:
    """A distributed scheduler's address (``tcp://host:8786``), not a local scheduler name."""
    return isinstance(scheduler, str) and ("://" in scheduler or ":" in scheduler)


class Runner:
    """Runs collections on the chosen scheduler, with Dask's own progress display."""

    def __init__(self, scheduler: Any, progress: bool) -> None:
        self.progress = progress
        self.client: Any = None
        self.scheduler: Any = scheduler
        if is_address(scheduler):
            self.client = _mod("distributed").Client(scheduler)
        elif scheduler is not None and type(scheduler).__name__ == "Client":
            self.client = scheduler
        elif scheduler is None:
            try:
                self.client = _mod("distributed").default_client()
            except (ImportError, ValueError):
                self.client = None

    def persist(self, objs: list[Any]) -> list[Any]:
        if not objs:
            return []
        if self.client is not None:
            out = self.client.persist(objs)
            if self.progress:
                _mod("distributed").progress(out)
            return cast(list[Any], out)
        dask = _dask()
        with self._bar():
            return list(dask.persist(*objs, scheduler=self.scheduler))

    def compute(self, objs: list[Any]) -> list[Any]:
        if not objs:
            return []
        if self.client is not None:
            futures = self.client.compute(objs)
            if self.progress:
                _mod("distributed").progress(futures)
            return cast(list[Any], self.client.gather(futures))
        dask = _dask()
        with self._bar():
            return list(dask.compute(*objs, scheduler=self.scheduler))

    def _bar(self) -> Any:
        if self.progress:
            return _mod("dask.diagnostics").ProgressBar()
        import contextlib

        return contextlib.nullcontext()
