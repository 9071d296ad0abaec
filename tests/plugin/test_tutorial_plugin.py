"""The plugin written in docs/tutorial-plugin.md works and passes the conformance kit."""

from __future__ import annotations

import re
import types
from pathlib import Path

from drawcore.model import Inspector, RiskLevel, Unit
from drawcore.plan.schedule import plan_year
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.testing import conformance_tests

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial-plugin.md"


def tutorial_module() -> types.ModuleType:
    """Step 4's code block, executed as the module ``drawcore_xian``."""
    text = TUTORIAL.read_text(encoding="utf-8")
    step4 = text.split("## 4.", 1)[1]
    code = re.search(r"```python\n(.*?)```", step4, flags=re.DOTALL)
    assert code is not None
    module = types.ModuleType("drawcore_xian")
    exec(compile(code.group(1), str(TUTORIAL), "exec"), module.__dict__)
    return module


XIAN = tutorial_module()

TestTutorialPluginConformance = conformance_tests("xian", plugin=XIAN, name="xian")


def test_tutorial_xa3_hazard_units_are_inspected_twice() -> None:
    rules = Rules(
        make_plugin_manager(entrypoints=False, plugins={"xian": XIAN}), jurisdiction="xian"
    )
    unit = Unit(
        unit_id="U1",
        name="甲厂",
        subject_type="有限责任公司",
        industry="机械",
        township="城关镇",
        major_hazard=True,
    )
    staff = [Inspector(inspector_id=f"I{k}", name=f"员{k}", work_unit="大队") for k in range(2)]
    plan = plan_year([unit], staff, year=2019, rules=rules, seed="test")
    assert plan.times_inspected() == {"U1": 2}
    assert plan.min_random_share == 0.5
    assert [p.clause for p in plan.problems] == ["XA-5"]


def test_tutorial_xa6_an_inspector_never_inspects_their_home_township() -> None:
    rules = Rules(
        make_plugin_manager(entrypoints=False, plugins={"xian": XIAN}), jurisdiction="xian"
    )
    towns = ["城关镇", "河口镇"]
    units = [
        Unit(
            unit_id=f"U{k}",
            name=f"厂{k}",
            subject_type="有限责任公司",
            industry="机械",
            township=towns[k % 2],
            risk_level=RiskLevel.MAJOR,  # XA-2: every unit is inspected this year
        )
        for k in range(8)
    ]
    staff = [
        Inspector(inspector_id=f"I{k}", name=f"员{k}", work_unit="大队", township=towns[k % 2])
        for k in range(6)
    ]
    home = {i.inspector_id: i.township for i in staff}
    town_of = {u.unit_id: u.township for u in units}
    plan = plan_year(units, staff, year=2019, rules=rules, seed="test")
    assert len(plan.tasks) == 8
    for task in plan.tasks:
        assert len(task.inspectors) == 2
        assert all(home[i] != town_of[task.unit_id] for i in task.inspectors), task
