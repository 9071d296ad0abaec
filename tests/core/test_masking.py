"""NAT-6 default masking as one rule (:mod:`drawcore.masking`): the national plugin's answer
and the publication's last layer are the same rule, so blocking the plugin masks no less."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from unit_factory import unit

from drawcore.masking import mask_personal_field
from drawcore.model import IdKind, Unit
from drawcore.plugin import national
from drawcore.plugin.manager import make_plugin_manager
from drawcore.plugin.rules import Rules
from drawcore.publish.masking import default_mask

FIELDS = st.sampled_from(
    ["unit_id", "name", "unit_name", "person_in_charge", "contact", "phone", "address", "township"]
)
TEXT = st.text(alphabet=st.sampled_from("张三李1380-0 *X"), max_size=20)
UNITS = st.sampled_from(
    [
        None,
        unit("91441322MA4W0XXXXX", person_in_charge="王五", address="石湾镇1号"),
        unit("441322199001011234", id_kind=IdKind.ID_CARD, name="张三", address="某村1号"),
    ]
)


def _national_only() -> Rules:
    return Rules(make_plugin_manager(entrypoints=False), jurisdiction=None)


@given(field=FIELDS, value=TEXT, who=UNITS)
def test_nat6_the_plugin_and_the_publication_apply_one_rule(
    field: str, value: str, who: Unit | None
) -> None:
    answer = national.drawcore_mask_field(field, value, who)
    assert answer == mask_personal_field(field, value, who)
    assert default_mask(field, value, who) == (value if answer is None else answer)


@given(field=FIELDS, value=TEXT, who=UNITS)
def test_nat6_a_publication_masks_the_same_with_or_without_the_national_plugin(
    field: str, value: str, who: Unit | None
) -> None:
    once = default_mask(field, value, who)
    assert default_mask(field, _national_only().mask(field, value, who), who) == once
    assert default_mask(field, once, who) == once  # idempotent


def test_nat6_what_the_rule_masks() -> None:
    person = unit("441322199001011234", id_kind=IdKind.ID_CARD, name="张三丰", address="某村1号")
    firm = unit("91441322MA4W0XXXXX", person_in_charge="王五")
    assert default_mask("unit_id", person.unit_id, person) == "441322********1234"
    assert default_mask("unit_name", "张三丰", person) == "张*"
    assert default_mask("unit_name", "张*丰", person) == "张*"  # a star does not keep the rest
    assert default_mask("address", "某村1号", person) == "****"
    assert default_mask("contact", "13800138000", None) == "138****8000"
    assert default_mask("person_in_charge", "王五", firm) == "王*"
    assert default_mask("unit_id", firm.unit_id, firm) == firm.unit_id
    assert default_mask("unit_name", "某公司", firm) == "某公司"
    assert default_mask("address", "石湾镇1号", firm) == "石湾镇1号"
