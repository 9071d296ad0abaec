"""A unit record for the Tianjin rule tests: a machinery company in 和平区 unless told."""

from __future__ import annotations

from drawcore.model import Unit


def unit(uid: str, **kw: object) -> Unit:
    base: dict[str, object] = {
        "unit_id": uid,
        "name": f"单位{uid}",
        "subject_type": "有限责任公司",
        "industry": "机械",
        "township": "和平区",
    }
    base.update(kw)
    return Unit(**base)  # type: ignore[arg-type]
