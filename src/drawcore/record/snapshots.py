"""Registry snapshots: a plan names each registry by path and fingerprint; load and check it.

Paths are resolved against the registry folder (by default the journal's folder) and
must stay inside it: a journal is input from whoever handed it over, so a path it
names is refused when it is absolute, has a ``..`` part, leads outside the folder
through a symlink, or is not a regular file (a FIFO, ``/dev/zero``) -- before
anything is opened.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from drawcore.errors import InvalidInputError
from drawcore.i18n import N_, Text, msg
from drawcore.record.annual import YearPlanSpec
from drawcore.record.draw_plans import RegistryRef
from drawcore.registry.headers import PathLike
from drawcore.registry.readers import read_experts, read_inspectors, read_items, read_units
from drawcore.registry.registries import (
    County,
    ExpertRegistry,
    InspectorRegistry,
    ItemList,
    UnitRegistry,
)


class _Snapshot(Protocol):
    """What a plan's registry reference is checked against: a content fingerprint."""

    @property
    def fingerprint(self) -> str: ...


_Reg = TypeVar("_Reg", bound=_Snapshot)


# -- registries ----------------------------------------------------------------------------


def resolve(ref: RegistryRef, registry_dir: PathLike) -> Path:
    """Where a registry snapshot is: its path inside ``registry_dir``, checked.

    :class:`InvalidInputError` when the path is absolute, has a ``..`` part, leads
    outside ``registry_dir`` (through a symlink), or is not a regular file.
    """
    path = Path(ref.path)
    refuse = None
    if path.is_absolute() or ref.path.startswith(("/", "\\")):
        refuse = msg("is absolute")
    elif ".." in path.parts or ".." in ref.path.replace("\\", "/").split("/"):
        refuse = msg("has a '..' part")
    if refuse is not None:
        raise InvalidInputError(
            msg(
                "registry snapshot path {path!r} {refuse}; snapshots are named "
                "relative to the registry folder and stay inside it",
                path=ref.path,
                refuse=refuse,
            )
        )
    base = Path(registry_dir).resolve()
    target = (base / path).resolve()
    if not target.is_relative_to(base):
        raise InvalidInputError(
            msg(
                "registry snapshot {path!r} leads outside the registry folder {base} "
                "(through a symlink); refused",
                path=ref.path,
                base=base,
            )
        )
    try:
        mode = target.stat().st_mode
    except OSError as err:
        raise InvalidInputError(
            msg("registry snapshot {value}: {strerror}", value=base / path, strerror=err.strerror)
        ) from None
    if not stat.S_ISREG(mode):
        raise InvalidInputError(
            msg(
                "registry snapshot {value} is not a regular file (a FIFO, device or "
                "folder); refused",
                value=base / path,
            )
        )
    return target


#: The registries ``what`` names below, marked for the catalog.
_KINDS = frozenset({N_("unit"), N_("inspector"), N_("expert"), N_("item list")})


def _check(ref: RegistryRef, fingerprint: str, path: Path, what: str) -> None:
    if fingerprint != ref.fingerprint:
        raise InvalidInputError(
            msg(
                "{what} registry {path} has fingerprint {fingerprint}, but the plan "
                "names {named} (a different or changed registry)",
                what=Text(what, {}) if what in _KINDS else what,
                path=path,
                fingerprint=fingerprint,
                named=ref.fingerprint,
            )
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


def load_items(ref: RegistryRef, registry_dir: PathLike) -> ItemList:
    """The inspection item list snapshot ``ref`` names, checked by fingerprint (BL-2, TJ-1)."""
    return _load(ref, registry_dir, read_items, "item list")


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
