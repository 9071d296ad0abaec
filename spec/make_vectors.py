"""Write the language-neutral test vectors of docs/spec.md §13 into spec/vectors/.

The expected values come from drawcore itself (its public functions and the
building blocks of ``drawcore.draw``); ``spec/reference/replay.py``, written
from the specification alone, must reproduce every one of them.

    python spec/make_vectors.py [OUT_DIR]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, cast

import numpy as np

from drawcore.draw.candidates import candidate_order
from drawcore.draw.lattice import (
    balance_increments,
    canonical_order,
    lattice_bits,
    lattice_increments,
    lattice_start,
    systematic_select,
)
from drawcore.draw.probabilities import inclusion_probabilities
from drawcore.draw.randomness import DrawKey, canonical_ids, hash_ids, mix_columns, to_uniforms
from drawcore.draw.sampling import sample_units
from drawcore.draw.team_model import TeamTask
from drawcore.draw.teams import draw_teams
from drawcore.model import Expert, InspectionMode, Inspector
from drawcore.plan.yearly import allowed_from, place_drawn, place_planned
from drawcore.record import merkle, seeding
from drawcore.serde import canonical_json, unstructure

SEED = bytes.fromhex("7e69b006e2b4244f75b7af90b6e95df8d49f75c54af9d8ee9dc6cfadaae12825")
OUT = Path(__file__).parent / "vectors"


def plain(value: object) -> Any:
    """``value`` as the JSON a journal would hold."""
    return json.loads(canonical_json(value))


# ---------------------------------------------------------------- unit draws


def _trace(key: DrawKey, ids: list[Any], w: list[float], size: int, mand: Any, excl: Any) -> Any:
    """The intermediate values of one (stratum's) draw, from drawcore's building blocks."""
    pi = inclusion_probabilities(np.array(w, dtype=np.float64), size, mandatory=mand, excluded=excl)
    canon = canonical_ids(ids)
    h = hash_ids(key.child("order"), canon)
    perm = canonical_order(h, canon)
    certain = [ids[i] for i in range(len(ids)) if pi[i] == 1.0]
    n_rest = size - len(certain)
    m = lattice_bits(n_rest)
    p = lattice_increments(pi[perm], m)
    changed = balance_increments(p, n_rest, m)
    start = lattice_start(key, m)
    hit, _ = systematic_select(p, start, m)
    return {
        "key": key.key.hex(),
        "pi": [float(x) for x in pi],
        "n_rest": n_rest,
        "m": m,
        "order": [ids[i] for i in perm.tolist()],
        "order_hashes": [f"{int(h[i]):016x}" for i in perm.tolist()],
        "increments": [int(x) for x in p],
        "balanced": [int(x) for x in changed],
        "start": start,
        "certain": certain,
        "hits": [ids[perm[k]] for k in np.flatnonzero(hit).tolist()],
    }


def unit_vector(
    name: str,
    description: str,
    ids: list[Any],
    weights: list[float],
    size: int | dict[str, int],
    *,
    mandatory: list[Any] | None = None,
    excluded: list[Any] | None = None,
    strata: list[str] | None = None,
    draw_id: str = "vector/units",
) -> dict[str, Any]:
    key = DrawKey.derive(SEED, draw_id)
    n = len(ids)

    def mask(values: list[Any] | None) -> np.ndarray[Any, np.dtype[np.bool_]]:
        out = np.zeros(n, dtype=np.bool_)
        for u in values or ():
            out[ids.index(u)] = True
        return out

    mand, excl = mask(mandatory), mask(excluded)
    traces = []
    if strata is None:
        assert isinstance(size, int)
        traces.append({"label": None, **_trace(key, ids, weights, size, mand, excl)})
    else:
        assert isinstance(size, dict)
        for label in sorted(set(strata)):
            rows = [i for i in range(n) if strata[i] == label]
            t = _trace(
                key.child(f"stratum/{label}"),
                [ids[i] for i in rows],
                [weights[i] for i in rows],
                size[label],
                mand[rows],
                excl[rows],
            )
            traces.append({"label": label, **t})
    sample = sample_units(
        ids,
        weights,
        cast(Any, size),
        seed=SEED,
        mandatory=mandatory,
        excluded=excluded,
        strata=strata,
        draw_id=draw_id,
    )
    return {
        "kind": "unit_draw",
        "name": name,
        "description": description,
        "inputs": {
            "ids": ids,
            "weights": weights,
            "size": size,
            "seed_hex": SEED.hex(),
            "draw_id": draw_id,
            "mandatory": mandatory,
            "excluded": excluded,
            "strata": strata,
        },
        "intermediate": {"key": key.key.hex(), "strata": traces},
        "result": {
            "selected": list(sample.selected),
            "probabilities": [sample.probabilities[u] for u in ids],
            "fingerprint": sample.fingerprint,
        },
    }


def uscc_like(n: int, prefix: str = "9144132") -> list[str]:
    return [f"{prefix}{i:011d}" for i in range(n)]


def unit_vectors() -> list[dict[str, Any]]:
    rng = np.random.default_rng(20260107)
    gamma = [float(x) for x in rng.gamma(0.8, 2.0, 400)]
    out = [
        unit_vector(
            "unit-basic",
            "ten units, unequal weights, size 3",
            uscc_like(10),
            [1.0, 2.0, 1.5, 3.0, 1.0, 1.0, 2.0, 0.5, 1.0, 3.0],
            3,
        ),
        unit_vector("unit-size-1", "equal weights, size 1", uscc_like(7), [1.0] * 7, 1),
        unit_vector("unit-size-0", "size 0: nothing drawn", uscc_like(4), [1.0] * 4, 0),
        unit_vector(
            "unit-mandatory",
            "two mandatory units (probability 1) and two drawn",
            uscc_like(8),
            [1.0, 1.0, 2.0, 2.0, 3.0, 1.0, 1.0, 1.0],
            4,
            mandatory=[uscc_like(8)[1], uscc_like(8)[6]],
        ),
        unit_vector(
            "unit-excluded-zero",
            "excluded units and zero weights get probability 0",
            uscc_like(9),
            [1.0, 0.0, 2.0, 2.0, 0.0, 1.0, 5.0, 1.0, 1.0],
            3,
            excluded=[uscc_like(9)[6], uscc_like(9)[2]],
        ),
        unit_vector(
            "unit-capping",
            "capping in several rounds: large weights reach probability 1",
            uscc_like(12),
            [100.0, 40.0, 9.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 1.0, 0.5],
            5,
        ),
        unit_vector(
            "unit-all-positive",
            "size equals the units of positive weight (c is infinite)",
            uscc_like(6),
            [1.0, 0.0, 2.0, 3.0, 0.0, 4.0],
            4,
        ),
        unit_vector(
            "unit-tiny-weights",
            "weights below 2**-900: lifted by a power of two before capping",
            uscc_like(6),
            [1e-300, 3e-300, 2.5e-301, 1e-299, 4e-300, 5e-324],
            2,
        ),
        unit_vector(
            "unit-huge-weights",
            "weights near the top of float64 and tiny ones",
            uscc_like(6),
            [1e300, 3e299, 1.7e308, 1e-5, 2.0, 1e300],
            3,
        ),
        unit_vector(
            "unit-wide-ratio",
            "weights 2**60 apart (the small ones fall off the limbs of a fast sum)",
            uscc_like(8),
            [2.0**60, 1.0, 3.0, 2.0**59, 0.75, 1e-3, 7.0, 2.0**40],
            4,
        ),
        unit_vector(
            "unit-balance",
            "400 units, gamma weights, size 61: lattice balancing moves some units",
            uscc_like(400),
            gamma,
            61,
        ),
        unit_vector(
            "unit-lattice-51",
            "1,030 places on a lattice of 2**51 (m < 52), integer ids",
            list(range(1000, 2300)),
            [float(x) for x in rng.gamma(200.0, 1.0, 1300)],
            1030,
        ),
        unit_vector(
            "unit-strata",
            "three strata with their own sizes",
            uscc_like(15),
            [1.0, 2.0, 3.0, 1.0, 1.0, 2.0, 2.0, 5.0, 1.0, 1.0, 1.0, 3.0, 1.0, 2.0, 1.0],
            {"公庄镇": 2, "园洲镇": 1, "罗阳街道": 2},
            strata=["公庄镇", "园洲镇", "罗阳街道"] * 5,
        ),
        unit_vector(
            "unit-strata-masks",
            "strata with mandatory and excluded units; one stratum of size 0",
            uscc_like(12),
            [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 1.0, 1.0, 1.0],
            {"high": 2, "low": 2, "moderate": 0},
            mandatory=[uscc_like(12)[0]],
            excluded=[uscc_like(12)[3], uscc_like(12)[5]],
            strata=["high", "low", "moderate"] * 4,
        ),
        unit_vector(
            "unit-non-ascii-ids",
            "ids of different lengths with non-ASCII characters",
            ["张三", "李四-个体", "A", "91441322MA4UXXXX1X", "王五五五五五五五五", "é", "ß-1"],
            [1.0, 2.0, 1.0, 3.0, 1.0, 2.0, 1.0],
            3,
        ),
        unit_vector(
            "unit-integer-ids",
            "integer ids (one 64-bit word each)",
            [5, 17, 3, 99, 1 << 40, 0, 42, 7],
            [1.0, 2.0, 1.0, 1.0, 4.0, 1.0, 2.0, 1.0],
            3,
        ),
        unit_vector(
            "unit-pair-never-together",
            "weights 1,1,2,2,2 size 2: L1 and L2 are never drawn together (spec §9.9)",
            ["L1", "L2", "H1", "H2", "H3"],
            [1.0, 1.0, 2.0, 2.0, 2.0],
            2,
        ),
    ]
    return out


# ---------------------------------------------------------------- team draws


def team_vector(
    name: str,
    description: str,
    tasks: list[dict[str, Any]],
    inspectors: list[dict[str, Any]],
    *,
    experts: list[dict[str, Any]] | None = None,
    conflicts: list[list[str]] | None = None,
    max_tasks: int | None = None,
    max_tasks_per_work_unit: int | None = None,
    max_expert_tasks: int | None = None,
    dates: list[str] | None = None,
    draw_id: str = "vector/teams",
) -> dict[str, Any]:
    experts = experts or []
    ins = [
        Inspector(
            inspector_id=p["id"],
            name="n",
            work_unit=p["work_unit"],
            expertise=p["expertise"],
            active=p["active"],
        )
        for p in inspectors
    ]
    exp = [
        Expert(
            expert_id=p["id"],
            name="n",
            employer=p["work_unit"],
            expertise=p["expertise"],
            active=p["active"],
        )
        for p in experts
    ]
    team_tasks = [
        TeamTask(
            unit_id=t["unit_id"],
            team_size=t["team_size"],
            expertise=t.get("expertise") or None,
            experts=t.get("experts", 0),
            expert_expertise=t.get("expert_expertise"),
            mode=InspectionMode(t.get("mode", "double_random")),
        )
        for t in tasks
    ]
    drawn = draw_teams(
        team_tasks,
        ins,
        seed=SEED,
        draw_id=draw_id,
        conflicts=[(c[0], c[1], c[2]) for c in conflicts or []],
        max_tasks=max_tasks,
        max_tasks_per_work_unit=max_tasks_per_work_unit,
        experts=exp,
        max_expert_tasks=max_expert_tasks,
        dates=[dt.date.fromisoformat(d) for d in dates or []],
    )
    orders: dict[str, list[str]] = {}
    for t in tasks:
        orders[f"inspectors/{t['unit_id']}"] = list(
            candidate_order(SEED, t["unit_id"], ins, draw_id=draw_id)
        )
        if any(e.active for e in exp):
            orders[f"experts/{t['unit_id']}"] = list(
                candidate_order(SEED, t["unit_id"], cast(Any, exp), draw_id=draw_id, pool="experts")
            )
    key = DrawKey.derive(SEED, draw_id)
    oh = hash_ids(key.child("order"), [t["unit_id"] for t in tasks])
    return {
        "kind": "team_draw",
        "name": name,
        "description": description,
        "inputs": {
            "tasks": tasks,
            "inspectors": inspectors,
            "experts": experts,
            "seed_hex": SEED.hex(),
            "draw_id": draw_id,
            "conflicts": conflicts or [],
            "max_tasks": max_tasks,
            "max_tasks_per_work_unit": max_tasks_per_work_unit,
            "max_expert_tasks": max_expert_tasks,
            "dates": dates or [],
        },
        "intermediate": {
            "key": key.key.hex(),
            "order_hashes": {
                t["unit_id"]: f"{int(h):016x}" for t, h in zip(tasks, oh, strict=True)
            },
            "candidate_orders": orders,
        },
        "result": plain(unstructure(drawn)),
    }


WORK_UNITS = ["一中队", "二中队", "综合监管股"]
AREAS = ["危险化学品", "冶金", "机械", "非煤矿山"]
FALLBACK_AREAS = [["冶金", "危险化学品"]] * 2 + [["冶金"], ["危险化学品"]] * 2 + [[], []]


def people(n: int, prefix: str, inactive: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{prefix}{i:04d}",
            "work_unit": WORK_UNITS[i % 3],
            "expertise": sorted({AREAS[i % 4], AREAS[(i * 7 // 3) % 4]}) if i % 5 else [],
            "active": i not in inactive,
        }
        for i in range(n)
    ]


def tasks_of(n: int, size: int = 2, **extra: Any) -> list[dict[str, Any]]:
    return [{"unit_id": u, "team_size": size, **extra} for u in uscc_like(n, "9144")]


def team_vectors() -> list[dict[str, Any]]:
    units = uscc_like(8, "9144")
    return [
        team_vector(
            "team-basic",
            "eight tasks, twelve inspectors, teams of 2",
            tasks_of(8),
            people(12, "44130"),
        ),
        team_vector(
            "team-recusal",
            "declared conflicts: recused candidates passed over and replaced",
            tasks_of(6),
            people(10, "44130", inactive=(3,)),
            conflicts=[
                [f"44130{i:04d}", units[j], f"recusal: test pair {i}-{j}"]
                for i in range(10)
                for j in range(6)
                if (i + j) % 3 == 0
            ],
        ),
        team_vector(
            "team-caps",
            "workload cap 2 on 8 inspectors for 8 tasks of 2: candidates at the cap replaced",
            tasks_of(8),
            people(8, "44130"),
            max_tasks=2,
        ),
        team_vector(
            "team-work-unit-caps",
            "each work unit fills at most 5 seats",
            tasks_of(7),
            people(12, "44130"),
            max_tasks_per_work_unit=5,
        ),
        team_vector(
            "team-expertise",
            "one required area: the last seat is reserved for it",
            tasks_of(6, 3, expertise=["非煤矿山"]),
            people(15, "44130"),
        ),
        team_vector(
            "team-several-areas",
            "two required areas: a seat is held for each area still uncovered",
            tasks_of(5, 2, expertise=["冶金", "危险化学品"]),
            people(16, "44130"),
            max_tasks=3,
        ),
        team_vector(
            "team-experts",
            "industry experts: a separate pool, an area every expert must hold, a cap",
            tasks_of(6, 2, experts=1, expert_expertise="机械"),
            people(10, "44130"),
            experts=people(9, "ZJ", inactive=(2,)),
            max_expert_tasks=2,
        ),
        team_vector(
            "team-fallback",
            "cap 1: the walk leaves a recused task short; the max-flow fallback re-staffs",
            tasks_of(4),
            people(8, "44130"),
            conflicts=[[f"44130{i:04d}", units[3], "recusal: test"] for i in range(2, 8)],
            max_tasks=1,
            draw_id="vector/teams-fallback-0",
        ),
        team_vector(
            "team-fallback-areas",
            "two areas, cap 1: the exact search over covering patterns",
            tasks_of(4, 2, expertise=["冶金", "危险化学品"]),
            [
                {
                    "id": f"44130{i:04d}",
                    "work_unit": WORK_UNITS[i % 3],
                    "expertise": e,
                    "active": True,
                }
                for i, e in enumerate(FALLBACK_AREAS)
            ],
            max_tasks=1,
            draw_id="vector/teams-areas-0",
        ),
        team_vector(
            "team-fallback-work-units",
            "work-unit caps: the fallback's flow passes through work-unit nodes",
            tasks_of(4),
            people(9, "44130"),
            conflicts=[[f"44130{i:04d}", units[3], "recusal: test"] for i in range(9) if i % 3],
            max_tasks_per_work_unit=3,
            draw_id="vector/teams-wu-0",
        ),
        team_vector(
            "team-key-covert",
            "key inspections get a random visit order and dates; covert teams are undisclosed",
            [
                {"unit_id": u, "team_size": 2, "mode": m}
                for u, m in zip(
                    units,
                    ["key", "covert", "key", "double_random", "key"] + ["key"] * 3,
                    strict=False,
                )
            ],
            people(10, "44130"),
            dates=["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"],
        ),
    ]


# ---------------------------------------------------------------- keys, seeds, Merkle, JSON


def key_vector(name: str, draw_id: str, label: str, ids: list[Any]) -> dict[str, Any]:
    key = DrawKey.derive(SEED, draw_id)
    child = key.child(label)
    stream = child.stream()
    words = [stream.next_u64() for _ in range(9)]
    below_n = [1, 2, 3, 7, 1000, 2**52, 2**63 + 1]
    mix_rows = [[0, 0], [1, 2], [2**64 - 1, 12345], [0x0123456789ABCDEF, 2**63]]
    return {
        "kind": "key",
        "name": name,
        "description": "key derivation, stream words and uniforms, below(n), id hashes, mixing",
        "inputs": {
            "seed_hex": SEED.hex(),
            "draw_id": draw_id,
            "label": label,
            "words": 9,
            "below": below_n,
            "ids": ids,
            "mix_rows": mix_rows,
        },
        "result": {
            "key": key.key.hex(),
            "child": child.key.hex(),
            "words": [f"{w:016x}" for w in words],
            "uniforms": [float(x) for x in to_uniforms(np.array(words, dtype=np.uint64))],
            "below": [child.child("below").stream().below(n) for n in below_n],
            "hash_ids": [f"{int(hash_ids(child, [u])[0]):016x}" for u in ids],
            "mix": [
                f"{int(mix_columns(child, *(np.array([c], dtype=np.uint64) for c in r))[0]):016x}"
                for r in mix_rows
            ],
        },
    }


def seed_vector() -> dict[str, Any]:
    sources = [[9319], [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]
    key = seeding.rfc3797_key(sources)
    parties = {"县纪委": b"contribution one", "Bureau": b"\x00\x01\x02", "企业代表": b"3"}
    salts = {p: hashlib.sha256(p.encode()).digest()[:16] for p in parties}
    rfc = seeding.rfc3797_seed(key)
    ps = seeding.parties_seed(parties)
    return {
        "kind": "seed",
        "name": "seed-rfc3797-parties",
        "description": "RFC 3797 §6 example key and selection; parties and combined seeds",
        "inputs": {
            "sources": sources,
            "pool": 25,
            "count": 10,
            "parties": {p: c.hex() for p, c in parties.items()},
            "salts": {p: s.hex() for p, s in salts.items()},
        },
        "result": {
            "key": key,
            "select": list(seeding.rfc3797_select(key, 25, 10)),
            "rfc3797_seed": rfc.hex(),
            "parties_seed": ps.hex(),
            "combined_seed": seeding.combined_seed(rfc, ps).hex(),
            "commitments": {p: seeding.commit_contribution(parties[p], salts[p]) for p in parties},
        },
    }


def merkle_vector() -> dict[str, Any]:
    leaves = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    hashed = [merkle.leaf_hash(bytes.fromhex(x)) for x in leaves]
    return {
        "kind": "merkle",
        "name": "merkle-ct-leaves",
        "description": "RFC 6962 roots of the first 0..8 Certificate Transparency test leaves",
        "inputs": {"leaves_hex": leaves},
        "result": {"roots": [merkle.root(hashed[:n]).hex() for n in range(len(leaves) + 1)]},
    }


def canonical_vector() -> dict[str, Any]:
    values: list[Any] = [
        {"b": 1, "a": [True, False, None], "é": "检查", "\ue000": 1, "\U0001f600": 2},
        {"floats": [0.1, 2.0, 1e-05, 1e16, 1e22, 123456789.125, -0.0, 5e-324]},
        {"max": 1.7976931348623157e308, "min": -2.5e-308},
        {"text": 'tab\there "quoted" back\\slash \u0001 \u007f \u2028 / 𝄞'},
        [1, -1, 0, 10**20, "", {}],
    ]
    lines = [canonical_json(v) for v in values]
    return {
        "kind": "canonical",
        "name": "canonical-json",
        "description": "canonical JSON bytes (key order by code point, float forms, escapes)",
        "inputs": {"values": values},
        "result": {
            "bytes_hex": [b.hex() for b in lines],
            "plan_hashes": [seeding.plan_hash(v) for v in values],
        },
    }


def placement_vector(
    name: str, description: str, units: list[dict[str, Any]], caps: list[int], year: int = 2026
) -> dict[str, Any]:
    """Round placement of planned units (spec §12.1), from ``yearly.place_planned``."""
    draw_id = f"vector/{name}"
    rounds = len(caps)
    months = 12 // rounds
    starts = [dt.date(year, 1 + r * months, 1) for r in range(rounds)]
    last = [dt.date.fromisoformat(u["last"]) if u["last"] else None for u in units]
    first_round = allowed_from(
        np.array([d.toordinal() if d is not None else 0 for d in last], dtype=np.int64),
        np.array([d is not None for d in last], dtype=np.bool_),
        np.array([u["days"] for u in units], dtype=np.int64),
        starts,
    )
    placed, notes = place_planned(
        [u["id"] for u in units],
        [u["times"] for u in units],
        first_round.tolist(),
        list(caps),
        DrawKey.derive(SEED, draw_id),
    )
    return {
        "kind": "placement",
        "name": name,
        "description": description,
        "inputs": {
            "units": units,
            "round_starts": [d.isoformat() for d in starts],
            "capacities": caps,
            "seed_hex": SEED.hex(),
            "draw_id": draw_id,
        },
        "result": {
            "placed": [[units[i]["id"] for i in r] for r in placed],
            "inside_window": sorted(units[i]["id"] for i in notes),
        },
    }


def _first_rounds(units: list[dict[str, Any]], starts: list[dt.date]) -> list[int]:
    last = [dt.date.fromisoformat(u["last"]) if u["last"] else None for u in units]
    return allowed_from(
        np.array([d.toordinal() if d is not None else 0 for d in last], dtype=np.int64),
        np.array([d is not None for d in last], dtype=np.bool_),
        np.array([u["days"] for u in units], dtype=np.int64),
        starts,
    ).tolist()


def round_placement_vector(
    name: str, description: str, units: list[dict[str, Any]], room: list[int], year: int = 2026
) -> dict[str, Any]:
    """Drawn units into rounds (spec §12.1 step 3), from ``yearly.place_drawn``."""
    draw_id = f"vector/{name}"
    months = 12 // len(room)
    starts = [dt.date(year, 1 + r * months, 1) for r in range(len(room))]
    units = sorted(units, key=lambda u: str(u["id"]))
    first = _first_rounds(units, starts)
    ids = [u["id"] for u in units]
    rounds, inside = place_drawn(ids, first, list(room), DrawKey.derive(SEED, draw_id))
    return {
        "kind": "round_placement",
        "name": name,
        "description": description,
        "inputs": {
            "units": units,
            "round_starts": [d.isoformat() for d in starts],
            "room": room,
            "seed_hex": SEED.hex(),
            "draw_id": draw_id,
        },
        "intermediate": {"first_rounds": first},
        "result": {"rounds": rounds, "inside_window": sorted(ids[j] for j in inside)},
    }


def round_placement_vectors() -> list[dict[str, Any]]:
    rng = np.random.default_rng(11)
    ids = uscc_like(60, "9133")
    units = [
        {
            "id": u,
            "last": f"2025-{1 + int(rng.integers(12)):02d}-{1 + int(rng.integers(28)):02d}"
            if rng.random() < 0.7
            else None,
            "days": int(rng.choice([0, 90, 180, 365])),
        }
        for u in ids
    ]
    late = [{"id": u, "last": "2025-11-30", "days": 250} for u in ids[:10]]
    return [
        round_placement_vector(
            "round-placement", "drawn units into four rounds, windows", units, [20, 15, 15, 20]
        ),
        round_placement_vector(
            "round-placement-tight",
            "windows leave too little room: the most-room fallback",
            late,
            [6, 1, 2, 1],
        ),
    ]


def placement_vectors() -> list[dict[str, Any]]:
    rng = np.random.default_rng(7)
    ids = uscc_like(40, "9144")
    units = [
        {
            "id": u,
            "times": int(rng.choice([0, 1, 1, 1, 2, 4])),
            "last": f"2025-{1 + int(rng.integers(12)):02d}-15" if rng.random() < 0.6 else None,
            "days": int(rng.choice([0, 180, 365])),
        }
        for u in ids
    ]
    tight = [{"id": u, "times": t, "last": "2025-12-20", "days": 120} for u, t in
             zip(ids[:12], [4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1], strict=True)]  # fmt: skip
    return [
        placement_vector("placement", "planned units into four rounds, windows", units, [30] * 4),
        placement_vector(
            "placement-tight",
            "capacity exactly the demand: redraws and the most-room fallback",
            tight,
            [7, 6, 5, 4],
        ),
    ]


def year_draw_vector(jurisdiction: str | None, units_n: int = 90) -> dict[str, Any]:
    """An annual plan's year draw and placement (spec §12.1 steps 1 to 3) from the rules'
    recorded inputs, on the first ``units_n`` units of the example county."""
    from drawcore.cli.common import EXAMPLE_COUNTY
    from drawcore.plan.parameters import YearParameters
    from drawcore.plan.prepare import prepare
    from drawcore.plan.schedule import plan_year
    from drawcore.plugin.rules import Rules
    from drawcore.registry.readers import read_county

    name = f"year-draw-{jurisdiction or 'plain'}"
    county = read_county(EXAMPLE_COUNTY)
    units = sorted(county.units, key=lambda u: u.unit_id)[:units_n]
    rules = Rules.for_jurisdiction(jurisdiction)
    params = YearParameters(
        year=2026, rounds=4, tasks_per_inspector=4, random_ratio=0.25, draw_id=f"vector/{name}"
    )
    kwargs: dict[str, Any] = {"experts": county.experts, "items": county.items}
    plan = plan_year(units, county.inspectors, rules=rules, seed=SEED, params=params, **kwargs)
    decided = prepare(
        units, county.inspectors, params, rules=rules, conflicts=(), office_teams={}, **kwargs
    ).decisions
    times = decided.times.tolist()
    rows = sorted(
        (
            {
                "id": uid,
                "weight": float(decided.weights[i]),
                "window": int(decided.recent_inspection_days[i]),
                "last": None if u.last_inspected is None else u.last_inspected.isoformat(),
                "times": int(times[i]),
                "excluded": bool(decided.excluded[i]),
            }
            for i, (uid, u) in enumerate(zip(decided.unit_ids, units, strict=True))
        ),
        key=lambda r: r["id"],
    )
    rounds = plan.rounds
    planned = [sorted(t.unit_id for t in rd.tasks if t.kind == "planned") for rd in rounds]
    drawn = {t.unit_id: rd.index - 1 for rd in rounds for t in rd.tasks if t.kind == "drawn"}
    starts = [rd.start for rd in rounds]
    return {
        "kind": "year_draw",
        "name": name,
        "description": f"a year's draw and placement from recorded inputs ({name[10:]} rules)",
        "inputs": {
            "units": rows,
            "round_starts": [d.isoformat() for d in starts],
            "capacities": [rd.capacity for rd in rounds],
            "random_ratio": params.random_ratio,
            "seed_hex": SEED.hex(),
            "plan_id": params.draw_id,
        },
        "intermediate": {
            "first_rounds": _first_rounds(
                [{"last": r["last"], "days": r["window"]} for r in rows], starts
            ),
            "eligible": plan.yearly.eligible,
            "size": plan.yearly.size,
        },
        "result": {
            "yearly_probabilities": [[u, p] for u, p in plan.yearly_probabilities],
            "fingerprint": plan.yearly.fingerprint,
            "planned": planned,
            "drawn": dict(sorted(drawn.items())),
        },
    }


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    vectors = [
        *unit_vectors(),
        *team_vectors(),
        *placement_vectors(),
        *round_placement_vectors(),
        *(year_draw_vector(j) for j in (None, "boluo", "tianjin")),
        key_vector(
            "key-ascii", "2026Q1-county/units", "order", ["A", "9144132M", "x" * 17, 5, 2**64 - 1]
        ),
        key_vector("key-unicode", "年度计划/round-1", "pool/inspectors", ["张三", "é", "ß-1", "𝄞"]),
        seed_vector(),
        merkle_vector(),
        canonical_vector(),
    ]
    for v in vectors:
        path = out / f"{v['name']}.json"
        path.write_text(json.dumps(v, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(vectors)} vectors written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
