"""Load jurisdiction plugins: entry points, blocking, validation, jurisdiction claims.

This is an edge module (it reads entry points and the environment); the core
never imports it. Everything wrong with a plugin becomes a :class:`PluginError`
that names the plugin.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from typing import Any

import pluggy

from drawcore.errors import PluginError
from drawcore.i18n import msg
from drawcore.plugin import PROJECT, national, spec

__all__ = [
    "DISABLE_ENV",
    "ENTRYPOINT_GROUP",
    "DrawcorePluginManager",
    "disabled_plugins",
    "make_plugin_manager",
]

ENTRYPOINT_GROUP = "drawcore"
DISABLE_ENV = "DRAWCORE_DISABLE_PLUGINS"
_ALL = frozenset({"1", "all", "true", "yes"})


class DrawcorePluginManager(pluggy.PluginManager):
    """A pluggy manager that also knows each plugin's jurisdiction claim and version."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(spec)
        #: plugin name -> jurisdiction it claims (``None``: jurisdiction-neutral)
        self.jurisdictions: dict[str, str | None] = {}
        #: plugin name -> version of the distribution it came from
        self.versions: dict[str, str] = {}


def disabled_plugins(environ: Mapping[str, str] | None = None) -> tuple[bool, frozenset[str]]:
    """Read ``DRAWCORE_DISABLE_PLUGINS``: (all entry-point plugins disabled?, names disabled).

    The value is a comma-separated list of plugin names, or ``1`` / ``all`` to load
    no entry-point plugin at all (the built-in national defaults stay).
    """
    env = os.environ if environ is None else environ
    raw = env.get(DISABLE_ENV, "").strip()
    if raw.lower() in _ALL:
        return True, frozenset()
    return False, frozenset(part.strip() for part in raw.split(",") if part.strip())


def make_plugin_manager(
    entrypoints: bool = True,
    blocked: Iterable[str] = (),
    *,
    plugins: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> DrawcorePluginManager:
    """A plugin manager with the national defaults, the installed plugins and ``plugins``.

    ``entrypoints`` loads every ``[project.entry-points.drawcore]`` plugin (sorted by
    name, so the call order does not depend on the installation order); ``blocked``
    names plugins never to load, as does ``DRAWCORE_DISABLE_PLUGINS``; ``plugins``
    registers further plugin objects by name (a third jurisdiction under test).
    Raises :class:`PluginError` naming the plugin for an import failure, a hook whose
    arguments the spec does not have, a misspelled or unmarked ``drawcore_`` hook, a
    failing ``drawcore_jurisdiction`` or two plugins claiming one jurisdiction.
    """
    all_off, names_off = disabled_plugins(environ)
    skip = frozenset(blocked) | names_off
    pm = DrawcorePluginManager()
    for name in sorted(skip):
        pm.set_blocked(name)
    if national.NAME not in skip:
        _register(pm, national.NAME, national, version=_own_version())
    if entrypoints and not all_off:
        for ep in sorted(metadata.entry_points(group=ENTRYPOINT_GROUP), key=lambda e: e.name):
            if ep.name in skip:
                continue
            try:
                obj = ep.load()
            except Exception as exc:
                raise PluginError(
                    msg(
                        "plugin {name} (entry point {value}) failed to import: {exc}",
                        name=repr(ep.name),
                        value=repr(ep.value),
                        exc=exc,
                    )
                ) from exc
            version = ep.dist.version if ep.dist is not None else "unknown"
            _register(pm, ep.name, obj, version=version)
    for name, obj in sorted((plugins or {}).items()):
        if name not in skip:
            _register(pm, name, obj, version=str(getattr(obj, "__version__", "unknown")))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            msg(
                "plugin {name} implements a hook drawcore does not have: {exc};"
                " check the spelling against docs/hooks.md",
                name=repr(_name_of(pm, exc.plugin)),
                exc=exc,
            )
        ) from exc
    _collect_claims(pm)
    return pm


def _own_version() -> str:
    try:
        return metadata.version("drawcore")
    except metadata.PackageNotFoundError:
        return "unknown"


def _name_of(pm: pluggy.PluginManager, plugin: object) -> str:
    return pm.get_name(plugin) or repr(plugin)


def _register(pm: DrawcorePluginManager, name: str, obj: object, *, version: str) -> None:
    unmarked = sorted(
        attr
        for attr in dir(obj)
        if attr.startswith("drawcore_")
        and callable(getattr(obj, attr, None))
        and pm.parse_hookimpl_opts(obj, attr) is None
    )
    if unmarked:
        raise PluginError(
            msg(
                "plugin {name} defines {unmarked} without @hookimpl; mark it with"
                " drawcore.plugin.hookimpl",
                name=repr(name),
                unmarked=", ".join(unmarked),
            )
        )
    try:
        pm.register(obj, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(msg("plugin {name} is invalid: {exc}", name=repr(name), exc=exc)) from exc
    except ValueError as exc:
        raise PluginError(
            msg("plugin {name} cannot be registered: {exc}", name=repr(name), exc=exc)
        ) from exc
    pm.versions[name] = version


def _collect_claims(pm: DrawcorePluginManager) -> None:
    claimed_by: dict[str, str] = {}
    plugins: list[tuple[str, Any]] = sorted(
        (pair for pair in pm.list_name_plugin() if pair[1] is not None), key=lambda pair: pair[0]
    )
    for name, plugin in plugins:
        claim: str | None = None
        if (
            hasattr(plugin, "drawcore_jurisdiction")
            and pm.parse_hookimpl_opts(plugin, "drawcore_jurisdiction") is not None
        ):
            try:
                claim_hook: Callable[[], object] = plugin.drawcore_jurisdiction
                answer = claim_hook()
            except Exception as exc:
                raise PluginError(
                    msg(
                        "plugin {name} raised in drawcore_jurisdiction: {exc}",
                        name=repr(name),
                        exc=repr(exc),
                    )
                ) from exc
            if answer is not None and (not isinstance(answer, str) or not answer.strip()):
                raise PluginError(
                    msg(
                        "plugin {name}: drawcore_jurisdiction must return a name or None, got"
                        " {answer}",
                        name=repr(name),
                        answer=repr(answer),
                    )
                )
            claim = answer
        if claim is not None:
            claim = claim.strip().lower()
            if claim in claimed_by:
                raise PluginError(
                    msg(
                        "plugins {other} and {name} both claim jurisdiction {claim}; block"
                        " one of them (DRAWCORE_DISABLE_PLUGINS={disable})",
                        other=repr(claimed_by[claim]),
                        name=repr(name),
                        claim=repr(claim),
                        disable=name,
                    )
                )
            claimed_by[claim] = name
        pm.jurisdictions[name] = claim
