"""make_plugin_manager: entry points, blocking, DRAWCORE_DISABLE_PLUGINS, bad plugins."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Sequence
from importlib import metadata

import pytest

from drawcore.errors import PluginError
from drawcore.model import Unit
from drawcore.plugin import Reason, WeightFactor, hookimpl
from drawcore.plugin.manager import disabled_plugins, make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.plugin.values import PlanContext
from drawcore.testing import synthetic_county

CONTEXT = PlanContext(year=2019, rounds=4, start=__import__("datetime").date(2019, 1, 1))


def plugin(name: str, **hooks: object) -> types.SimpleNamespace:
    """A plugin object whose attributes are the given hook functions."""
    return types.SimpleNamespace(__name__=name, **hooks)


def claim(name: str) -> object:
    @hookimpl
    def drawcore_jurisdiction() -> str:
        return name

    return drawcore_jurisdiction


def test_installed_plugins_load_through_their_entry_points() -> None:
    pm = make_plugin_manager(environ={})
    assert pm.jurisdictions["boluo"] == "boluo"
    assert pm.jurisdictions["tianjin"] == "tianjin"
    assert pm.jurisdictions["drawcore-national"] is None
    names = {ep.name for ep in metadata.entry_points(group="drawcore")}
    assert {"boluo", "tianjin"} <= names
    assert pm.versions["boluo"] == metadata.version("drawcore-boluo")


def test_entrypoints_false_loads_only_the_national_defaults() -> None:
    pm = make_plugin_manager(entrypoints=False, environ={})
    assert set(pm.jurisdictions) == {"drawcore-national"}


def test_blocked_plugin_is_not_loaded_and_its_jurisdiction_is_unknown() -> None:
    pm = make_plugin_manager(blocked=("boluo",), environ={})
    assert "boluo" not in pm.jurisdictions
    assert pm.is_blocked("boluo")
    with pytest.raises(PluginError, match="no plugin claims jurisdiction 'boluo'"):
        Rules(pm, jurisdiction="boluo")


@pytest.mark.parametrize(
    ("value", "loaded"),
    [
        ("boluo", {"drawcore-national", "tianjin"}),
        ("boluo, tianjin", {"drawcore-national"}),
        ("1", {"drawcore-national"}),
        ("all", {"drawcore-national"}),
        ("", {"drawcore-national", "boluo", "tianjin"}),
    ],
)
def test_drawcore_disable_plugins_is_honoured(
    monkeypatch: pytest.MonkeyPatch, value: str, loaded: set[str]
) -> None:
    monkeypatch.setenv("DRAWCORE_DISABLE_PLUGINS", value)
    assert set(make_plugin_manager().jurisdictions) == loaded


def test_disabled_plugins_parses_names_and_all() -> None:
    assert disabled_plugins({"DRAWCORE_DISABLE_PLUGINS": " a ,b,, "}) == (False, {"a", "b"})
    assert disabled_plugins({"DRAWCORE_DISABLE_PLUGINS": "ALL"}) == (True, frozenset())
    assert disabled_plugins({}) == (False, frozenset())


def test_tj4_two_plugins_claiming_one_jurisdiction_name_both() -> None:
    impostor = plugin("impostor", drawcore_jurisdiction=claim("boluo"))
    with pytest.raises(PluginError, match=r"'boluo' and 'impostor' both claim jurisdiction"):
        make_plugin_manager(plugins={"impostor": impostor}, environ={})


def test_claims_are_compared_case_insensitively() -> None:
    a = plugin("a", drawcore_jurisdiction=claim("Xian"))
    b = plugin("b", drawcore_jurisdiction=claim("xian "))
    with pytest.raises(PluginError, match="'a' and 'b'"):
        make_plugin_manager(entrypoints=False, plugins={"a": a, "b": b})


def test_misspelled_hook_names_the_plugin() -> None:
    @hookimpl
    def drawcore_unit_wieght(unit: Unit) -> None:
        return None

    bad = plugin("typo", drawcore_unit_wieght=drawcore_unit_wieght)
    with pytest.raises(
        PluginError, match=r"plugin 'typo' implements a hook drawcore does not have"
    ):
        make_plugin_manager(entrypoints=False, plugins={"typo": bad})


def test_unmarked_hook_function_names_the_plugin() -> None:
    def drawcore_unit_weight(unit: Unit) -> None:
        return None

    bad = plugin("unmarked", drawcore_unit_weight=drawcore_unit_weight)
    with pytest.raises(PluginError, match=r"plugin 'unmarked' defines drawcore_unit_weight"):
        make_plugin_manager(entrypoints=False, plugins={"unmarked": bad})


def test_hook_asking_for_an_argument_the_spec_lacks_names_the_plugin() -> None:
    @hookimpl
    def drawcore_unit_weight(unit: Unit, registry: object) -> None:
        return None

    bad = plugin("extra-arg", drawcore_unit_weight=drawcore_unit_weight)
    with pytest.raises(PluginError, match=r"plugin 'extra-arg' is invalid"):
        make_plugin_manager(entrypoints=False, plugins={"extra-arg": bad})


def test_failing_jurisdiction_hook_names_the_plugin() -> None:
    @hookimpl
    def drawcore_jurisdiction() -> str:
        raise RuntimeError("no config")

    bad = plugin("broken", drawcore_jurisdiction=drawcore_jurisdiction)
    with pytest.raises(PluginError, match=r"plugin 'broken' raised in drawcore_jurisdiction"):
        make_plugin_manager(entrypoints=False, plugins={"broken": bad})


def test_jurisdiction_must_be_a_name() -> None:
    @hookimpl
    def drawcore_jurisdiction() -> int:
        return 7

    bad = plugin("numeric", drawcore_jurisdiction=drawcore_jurisdiction)
    with pytest.raises(PluginError, match=r"plugin 'numeric': drawcore_jurisdiction must return"):
        make_plugin_manager(entrypoints=False, plugins={"numeric": bad})


def test_entry_point_that_fails_to_import_names_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = metadata.EntryPoint(
        name="ghost", value="drawcore_no_such_module_xyz", group="drawcore"
    )
    monkeypatch.setattr("drawcore.plugin.manager.metadata.entry_points", lambda group: [broken])
    with pytest.raises(PluginError, match=r"plugin 'ghost' .* failed to import"):
        make_plugin_manager(environ={})
    assert make_plugin_manager(blocked=("ghost",), environ={}).jurisdictions == {
        "drawcore-national": None
    }


def test_entry_points_load_in_name_order(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = [
        metadata.EntryPoint(name=n, value=f"drawcore_{n}", group="drawcore")
        for n in ("tianjin", "boluo")
    ]
    monkeypatch.setattr("drawcore.plugin.manager.metadata.entry_points", lambda group: eps)
    pm = make_plugin_manager(environ={})
    assert [n for n, _ in pm.list_name_plugin()] == ["drawcore-national", "boluo", "tianjin"]


def test_hook_raising_names_the_plugin_and_the_hook() -> None:
    @hookimpl
    def drawcore_unit_weight(unit: Unit) -> WeightFactor:
        raise ZeroDivisionError("bad table")

    bad = plugin("raiser", drawcore_unit_weight=drawcore_unit_weight)
    rules = Rules(make_plugin_manager(entrypoints=False, plugins={"raiser": bad}))
    units = list(synthetic_county(units=3).units)
    with pytest.raises(PluginError, match=r"plugin 'raiser' raised in drawcore_unit_weight"):
        rules.evaluate(units, CONTEXT)


def test_wrong_return_type_names_the_plugin() -> None:
    @hookimpl
    def drawcore_unit_exclusions(unit: Unit) -> Sequence[str]:
        return ["closed"]

    bad = plugin("stringly", drawcore_unit_exclusions=drawcore_unit_exclusions)
    rules = Rules(make_plugin_manager(entrypoints=False, plugins={"stringly": bad}))
    with pytest.raises(PluginError, match=r"plugin 'stringly': drawcore_unit_exclusions"):
        rules.evaluate(list(synthetic_county(units=3).units), CONTEXT)


def test_hook_wrappers_are_refused() -> None:
    @hookimpl(wrapper=True)
    def drawcore_unit_weight(unit: Unit) -> object:
        return (yield)

    bad = plugin("wrapper", drawcore_unit_weight=drawcore_unit_weight)
    pm = make_plugin_manager(entrypoints=False, plugins={"wrapper": bad})
    with pytest.raises(PluginError, match=r"plugin 'wrapper': hook wrappers are not supported"):
        Rules(pm)


def test_rules_need_a_drawcore_manager() -> None:
    import pluggy

    with pytest.raises(PluginError, match="make_plugin_manager"):
        Rules(pluggy.PluginManager("drawcore"))


def test_blocking_the_national_plugin_keeps_the_core_national_rules() -> None:
    """NAT-1, NAT-4, NAT-5 are the core's; only the overridable practice goes with the plugin."""
    rules = Rules(make_plugin_manager(entrypoints=False, blocked=("drawcore-national",)))
    assert rules.plugins == ()
    units = list(synthetic_county(units=2).units)
    decided = rules.evaluate(units, CONTEXT)
    assert decided.team_size.tolist() == [2, 2]
    assert {r.clause for rs in decided.team_reasons.values() for r in rs} == {"NAT-1"}
    assert decided.recent_inspection_days.tolist() == [0, 0]
    assert rules.inspection_mode(units[0], CONTEXT, planned=True).reason.clause == "NAT-5"
    assert rules.publication_deadline(dt.date(2019, 3, 31), CONTEXT).reason.clause == "NAT-4"


def test_reason_stamped_with_the_plugin_that_gave_it() -> None:
    @hookimpl
    def drawcore_unit_mandatory(unit: Unit) -> Sequence[Reason]:
        return [Reason(clause="XA-1", text="spoofed", plugin="boluo")]

    honest = plugin("xian", drawcore_unit_mandatory=drawcore_unit_mandatory)
    rules = Rules(make_plugin_manager(entrypoints=False, plugins={"xian": honest}))
    ur = rules.evaluate(list(synthetic_county(units=1).units), CONTEXT)
    assert {r.plugin for rs in ur.mandatory_reasons.values() for r in rs} == {"xian"}
