"""The specification's own programs (spec/make_vectors.py, spec/reference/replay.py),
loaded as modules by the tests that compare drawcore with them."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SPEC = Path(__file__).resolve().parents[1] / "spec"
MAKE_VECTORS = SPEC / "make_vectors.py"
REPLAY = SPEC / "reference" / "replay.py"


def load(path: Path) -> ModuleType:
    """The Python file at ``path`` as a module (not installed: spec/ is not a package)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
