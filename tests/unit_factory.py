"""A unit record for rule and schedule tests: a machinery company in 石湾镇 unless told."""

from __future__ import annotations

from drawcore.model import Unit


def unit(uid: str = "U1", **kw: object) -> Unit:
    base: dict[str, object] = {
        "unit_id": uid,
        "name": f"单位{uid}",
        "subject_type": "有限责任公司",
        "industry": "机械",
        "township": "石湾镇",
    }
    base.update(kw)
    return Unit(**base)  # type: ignore[arg-type]
