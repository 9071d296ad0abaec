"""Domain values: frozen attrs classes named after the policy vocabulary.

These are plain values. They check only what a value can check about itself
(a risk weight is not negative, a date is a date); checks that need the outside
world (USCC check character, duplicates, file and row numbers) live at the
edges, in :mod:`drawcore.registry`.
"""

from __future__ import annotations

import datetime as dt
import enum
import math

import attrs

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg

__all__ = [
    "CreditClass",
    "Expert",
    "IdKind",
    "InspectionItem",
    "InspectionMode",
    "Inspector",
    "ProductionStatus",
    "RiskLevel",
    "Unit",
]


class IdKind(enum.StrEnum):
    """Which national identifier a unit carries (BL-3: USCC, or ID-card number for a person)."""

    USCC = "uscc"
    ID_CARD = "id_card"


class RiskLevel(enum.StrEnum):
    """Safety-risk level, the four-colour scale used in Chinese work-safety practice.

    ``HIGH`` and ``MAJOR`` are "high safety-risk" in the sense of TJ-5.
    """

    LOW = "low"  # 低风险 (blue)
    MODERATE = "moderate"  # 一般风险 (yellow)
    HIGH = "high"  # 较大风险 (orange)
    MAJOR = "major"  # 重大风险 (red)

    @property
    def is_high(self) -> bool:
        return self in (RiskLevel.HIGH, RiskLevel.MAJOR)


class CreditClass(enum.StrEnum):
    """Work-safety credit class. ``A`` is law-abiding with good credit (TJ-5: lower frequency)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class ProductionStatus(enum.StrEnum):
    """Operating status; trial and resumed production get their own frequency (TJ-5)."""

    NORMAL = "normal"
    TRIAL = "trial"  # 试生产
    RESUMED = "resumed"  # 复产
    SUSPENDED = "suspended"  # 停产停业
    CLOSED = "closed"  # 关闭


class InspectionMode(enum.StrEnum):
    """The inspection modes of TJ-5."""

    DOUBLE_RANDOM = "double_random"  # 双随机: random unit and random inspectors
    GENERAL = "general"  # 一般检查: random unit, team fixed by the office when it must be
    KEY = "key"  # 重点检查: random inspectors, or random timing and order
    COVERT = "covert"  # 暗查暗访: double-random, team not disclosed before the date


def _non_negative_finite(
    _instance: object, attribute: attrs.Attribute[float], value: float
) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise InvalidInputError(
            msg(
                "{name} must be a finite number >= 0, got {value!r}",
                name=attribute.name,
                value=value,
            )
        )


def _non_empty(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value or not value.strip():
        raise InvalidInputError(msg("{name} must not be empty", name=attribute.name))


def _str_tuple(value: object) -> tuple[str, ...]:
    """Accept any iterable of strings; keep a sorted, de-duplicated tuple (order means nothing)."""
    if isinstance(value, str):
        raise TypeError(msg("expected a collection of strings, not a single string"))
    return tuple(sorted({str(v) for v in value}))  # type: ignore[attr-defined]


@attrs.frozen(kw_only=True)
class Unit:
    """A unit that can be inspected (检查对象 / 生产经营单位), BL-3 and TJ-3 fields."""

    unit_id: str = attrs.field(validator=_non_empty)  # USCC, or ID-card number for a person
    name: str = attrs.field(validator=_non_empty)
    id_kind: IdKind = IdKind.USCC
    subject_type: str = attrs.field(validator=_non_empty)  # 主体类型, e.g. 有限责任公司, 个体工商户
    industry: str = attrs.field(validator=_non_empty)  # 行业类别
    township: str = attrs.field(validator=_non_empty)  # region (乡镇/街道)
    address: str = ""  # 住所
    person_in_charge: str = ""  # 负责人
    contact: str = ""  # 联系方式 (phone)
    risk_level: RiskLevel = RiskLevel.LOW
    risk_weight: float = attrs.field(default=1.0, validator=_non_negative_finite)
    credit_class: CreditClass = CreditClass.B
    blacklisted: bool = False  # 安全生产"黑名单"
    joint_punishment: bool = False  # 失信联合惩戒对象
    major_hazard: bool = False  # 存在重大事故隐患
    fatal_accident_year: int | None = None  # year of the latest accident causing death
    licence_holder: bool = False  # 实施安全生产许可
    under_investigation: bool = False  # 因安全生产违法行为被立案查处
    production_status: ProductionStatus = ProductionStatus.NORMAL
    in_higher_plan: bool = False  # already in a provincial or city draw plan (BL-3)
    last_inspected: dt.date | None = None


@attrs.frozen(kw_only=True)
class Inspector:
    """A law-enforcement inspector (执法检查人员), BL-4 and TJ-2 fields.

    The enforcement certificate number (执法证号) identifies the inspector.
    """

    inspector_id: str = attrs.field(validator=_non_empty)  # 执法证号
    name: str = attrs.field(validator=_non_empty)
    gender: str = ""
    post: str = ""  # 职务
    work_unit: str = attrs.field(validator=_non_empty)  # 工作单位 (department / team)
    phone: str = ""
    expertise: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)  # 业务专长
    township: str = ""  # home township, for recusal rules that use it
    active: bool = True  # BL-4 dynamic entry and exit: inactive inspectors are never drawn


@attrs.frozen(kw_only=True)
class Expert:
    """An industry expert (行业专家, TJ-8) who may join a team when a task asks for one."""

    expert_id: str = attrs.field(validator=_non_empty)
    name: str = attrs.field(validator=_non_empty)
    gender: str = ""
    employer: str = ""
    title: str = ""  # 职称
    phone: str = ""
    expertise: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    active: bool = True


@attrs.frozen(kw_only=True)
class InspectionItem:
    """One entry of the inspection item list (随机抽查事项清单, BL-2 and TJ-1).

    ``industries`` and ``subject_types`` say which units the item applies to;
    empty means "all".
    """

    item_id: str = attrs.field(validator=_non_empty)
    body: str = attrs.field(validator=_non_empty)  # 检查主体 (inspecting body)
    item: str = attrs.field(validator=_non_empty)  # 检查事项
    content: str = attrs.field(validator=_non_empty)  # 检查内容
    legal_basis: str = attrs.field(validator=_non_empty)  # 法律依据
    industries: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    subject_types: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    version: str = "1"
    effective_date: dt.date | None = None

    def applies_to(self, unit: Unit) -> bool:
        """Whether this item applies to ``unit`` (BL-9: items generated by the system)."""
        return (not self.industries or unit.industry in self.industries) and (
            not self.subject_types or unit.subject_type in self.subject_types
        )
