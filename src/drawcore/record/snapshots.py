"""Registry snapshots: a plan names each registry by path and fingerprint; load and check it.

Paths are resolved against the registry folder (by default the journal's folder).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from drawcore.errors import InvalidInputError
from drawcore.record.records import (
    RegistryRef,
    YearPlanSpec,
)
from drawcore.registry.headers import PathLike
from drawcore.registry.readers import read_experts, read_inspectors, read_items, read_units
from drawcore.registry.registries import County, ExpertRegistry, InspectorRegistry, UnitRegistry


class _Snapshot(Protocol):
    """What a plan's registry reference is checked against: a content fingerprint."""

    @property
    def fingerprint(self) -> str: ...


_Reg = TypeVar("_Reg", bound=_Snapshot)


# -- registries ----------------------------------------------------------------------------


def resolve(ref: RegistryRef, registry_dir: PathLike) -> Path:
    """Where a registry snapshot is: its path, relative to ``registry_dir`` unless absolute."""
    path = Path(ref.path)
    return path if path.is_absolute() else Path(registry_dir) / path


def _check(ref: RegistryRef, fingerprint: str, path: Path, what: str) -> None:
    if fingerprint != ref.fingerprint:
        raise InvalidInputError(
            f"{what} registry {path} has fingerprint {fingerprint}, but the plan names "
            f"{ref.fingerprint} (a different or changed registry)"
        )


def _load(
    ref: RegistryRef, registry_dir: PathLike, reader: Callable[[Path], _Reg], what: str
) -> _Reg:
    path = resolve(ref, registry_dir)
    registry = reader(path)
    _check(ref, registry.fingerprint, path, what)
    return registry


def load_units(ref: RegistryRef, registry_dir: PathLike) -> UnitRegistry:
    """The unit registry snapshot ``ref`` names, checked by fingerprint."""
    return _load(ref, registry_dir, read_units, "unit")


def load_inspectors(ref: RegistryRef, registry_dir: PathLike) -> InspectorRegistry:
    """The inspector registry snapshot ``ref`` names, checked by fingerprint."""
    return _load(ref, registry_dir, read_inspectors, "inspector")


def load_experts(ref: RegistryRef, registry_dir: PathLike) -> ExpertRegistry:
    """The expert registry snapshot ``ref`` names, checked by fingerprint."""
    return _load(ref, registry_dir, read_experts, "expert")


def load_county(spec: YearPlanSpec, registry_dir: PathLike) -> County:
    """The four registry snapshots an annual plan names, each checked by fingerprint."""
    readers: dict[str, Callable[[Path], _Snapshot]] = {
        "units": read_units,
        "inspectors": read_inspectors,
        "experts": read_experts,
        "items": read_items,
    }
    loaded: dict[str, Any] = {}
    for name, reader in readers.items():
        loaded[name] = _load(getattr(spec, name), registry_dir, reader, name.rstrip("s"))
    return County(**loaded)
