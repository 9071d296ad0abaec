"""The vocabulary of registry files: kinds, header aliases, enum labels, text decoding.

Each column is named by its English field name or a Chinese alias (统一社会信用代码 ->
``unit_id``); enum cells by value or Chinese label. CSV text may be UTF-8 (BOM optional),
UTF-16 with BOM or GB18030.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.model import CreditClass, IdKind, ProductionStatus, RiskLevel
from drawcore.registry.registries import (
    ExpertRegistry,
    InspectorRegistry,
    ItemList,
    UnitRegistry,
    _Registry,
)

__all__ = [
    "ENUM_LABELS",
    "HEADER_ALIASES",
    "INDEX_HEADERS",
    "REGISTRY_KINDS",
]


PathLike = str | os.PathLike[str]


Reg = TypeVar("Reg", bound=_Registry[Any])

#: Registry kind name (as used by ``drawcore validate --kind``) -> registry class.
REGISTRY_KINDS: dict[str, type[_Registry[Any]]] = {
    "units": UnitRegistry,
    "inspectors": InspectorRegistry,
    "experts": ExpertRegistry,
    "items": ItemList,
}

#: Chinese column headers accepted for each field; the first is written by
#: ``chinese_headers=True``. The English field name is always accepted.
HEADER_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "units": {
        "unit_id": ("统一社会信用代码", "统一社会信用代码或身份证号码", "身份证号码", "证件号码"),
        "name": ("名称", "单位名称", "检查对象名称", "姓名"),
        "id_kind": ("证件类型",),
        "subject_type": ("主体类型",),
        "industry": ("行业类别", "行业", "所属行业"),
        "township": ("所属乡镇", "乡镇", "乡镇街道", "区域"),
        "address": ("住所", "地址", "经营地址"),
        "person_in_charge": ("负责人", "法定代表人"),
        "contact": ("联系方式", "联系电话"),
        "risk_level": ("风险等级",),
        "risk_weight": ("风险权重",),
        "credit_class": ("信用等级",),
        "blacklisted": ("黑名单",),
        "joint_punishment": ("失信联合惩戒",),
        "major_hazard": ("重大事故隐患",),
        "fatal_accident_year": ("死亡事故年份",),
        "licence_holder": ("安全生产许可",),
        "under_investigation": ("立案查处",),
        "production_status": ("生产状态",),
        "in_higher_plan": ("已列入上级抽查计划",),
        "last_inspected": ("最近检查日期",),
    },
    "inspectors": {
        "inspector_id": ("执法证号", "执法证件号码"),
        "name": ("姓名",),
        "gender": ("性别",),
        "post": ("职务",),
        "work_unit": ("工作单位", "所在单位"),
        "phone": ("联系电话", "电话"),
        "expertise": ("业务专长", "专长"),
        "township": ("所在乡镇",),
        "active": ("在岗",),
    },
    "experts": {
        "expert_id": ("专家编号",),
        "name": ("姓名",),
        "gender": ("性别",),
        "employer": ("工作单位",),
        "title": ("职称",),
        "phone": ("联系电话", "电话"),
        "expertise": ("专业领域", "专长"),
        "active": ("在库",),
    },
    "items": {
        "item_id": ("事项编号", "编号"),
        "body": ("检查主体",),
        "item": ("检查事项", "检查项目"),
        "content": ("检查内容",),
        "legal_basis": ("检查依据", "法律依据"),
        "industries": ("适用行业",),
        "subject_types": ("适用主体类型",),
        "version": ("版本",),
        "effective_date": ("生效日期",),
    },
}

#: Headers of an index column (row numbers an office adds), dropped on reading unless the
#: registry has a field of that name (编号 is the item list's ``item_id``).
INDEX_HEADERS = frozenset({"序号", "编号", "行号", "no", "no.", "#"})

#: Chinese labels accepted for enum values (besides the values themselves).
ENUM_LABELS: dict[type, dict[str, Any]] = {
    IdKind: {
        "统一社会信用代码": IdKind.USCC,
        "身份证": IdKind.ID_CARD,
        "身份证号码": IdKind.ID_CARD,
    },
    RiskLevel: {
        "低风险": RiskLevel.LOW,
        "一般风险": RiskLevel.MODERATE,
        "较大风险": RiskLevel.HIGH,
        "重大风险": RiskLevel.MAJOR,
    },
    CreditClass: {},
    ProductionStatus: {
        "正常生产": ProductionStatus.NORMAL,
        "试生产": ProductionStatus.TRIAL,
        "复产": ProductionStatus.RESUMED,
        "停产停业": ProductionStatus.SUSPENDED,
        "关闭": ProductionStatus.CLOSED,
    },
}

_TRUE = ("true", "1", "yes", "y", "是")


_FALSE = ("false", "0", "no", "n", "否")


_WS = " \t\r\n\u3000\ufeff"


_TAG_SEPARATORS = ("；", "、")


# Any whitespace other than line breaks: without it no cell can need stripping.
_SPACE = re.compile(
    "[\t\x0b\x0c\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


#: Rows searched for the header row (title rows above it are skipped).
HEADER_SEARCH_ROWS = 20


def header_map(kind: str) -> dict[str, str]:
    """Header text (lower-cased for English) -> field name, for one registry kind."""
    mapping: dict[str, str] = {}
    for field, aliases in HEADER_ALIASES[kind].items():
        mapping[field.lower()] = field
        for alias in aliases:
            mapping[alias] = field
    return mapping


def _fields_named(row: Sequence[str], names: dict[str, str]) -> set[str]:
    cells = (c.strip(_WS) for c in row)
    return {f for c in cells if (f := names.get(c) or names.get(c.lower())) is not None}


def find_header(rows: Sequence[Sequence[str]], kind: str) -> int:
    """Index of the header row among the first rows: the first naming the id field or at
    least two fields; else the first row that is not blank (its problems are reported)."""
    names = header_map(kind)
    id_field = REGISTRY_KINDS[kind].id_field
    head = rows[:HEADER_SEARCH_ROWS]
    for i, row in enumerate(head):
        found = _fields_named(row, names)
        if id_field in found or len(found) >= 2:
            return i
    return next((i for i, row in enumerate(head) if any(c.strip(_WS) for c in row)), 0)


def kind_from_rows(rows: Sequence[Sequence[str]]) -> str | None:
    """The one registry kind whose id column and most other fields a header row names."""
    scores: dict[str, int] = {}
    for kind in REGISTRY_KINDS:
        names = header_map(kind)
        id_field = REGISTRY_KINDS[kind].id_field
        for row in rows[:HEADER_SEARCH_ROWS]:
            found = _fields_named(row, names)
            if id_field in found:
                scores[kind] = max(scores.get(kind, 0), len(found))
    if not scores:
        return None
    best = max(scores.values())
    winners = [k for k, v in scores.items() if v == best]
    return winners[0] if len(winners) == 1 else None


def _kind_of(cls: type[_Registry[Any]]) -> str:
    return next(k for k, c in REGISTRY_KINDS.items() if c is cls)


def decode_text(data: bytes, path: str, encoding: str | None) -> str:
    """Bytes -> text by the documented detection order; a clear error if nothing fits."""
    if encoding is not None:
        candidates = [encoding]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8-sig", "gb18030"]
    first_error: UnicodeDecodeError | None = None
    for enc in candidates:
        try:
            text = data.decode(enc)
        except LookupError:
            raise InvalidInputError(
                msg("{path}: unknown encoding {encoding}", path=path, encoding=repr(enc))
            ) from None
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        return text.lstrip("\ufeff")
    assert first_error is not None
    line = data[: first_error.start].count(b"\n") + 1
    tried: str = candidates[0]
    if len(candidates) == 2:
        tried = msg("{first} or {second}", first=candidates[0], second=candidates[1])
    raise InvalidInputError(
        msg(
            "{path}: line {line}: cannot decode byte {byte} as {tried} ({why}); "
            "save the file as UTF-8 or GB18030, or pass encoding=",
            path=path,
            line=line,
            byte=first_error.start,
            tried=tried,
            why=first_error.reason,
        )
    )
