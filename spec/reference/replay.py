#!/usr/bin/env python3
"""Reference replayer for drawcore journals, written from docs/spec.md alone.

Standard library only: it imports neither drawcore nor numpy, so a draw can be
checked without trusting either. Section numbers (§) refer to docs/spec.md.

    replay.py JOURNAL [--registry-dir DIR] [--checkpoints FILE] [--strict]
    replay.py --vectors DIR

Exit status 0 only when everything checked reproduces; 1 with the first mismatch;
with --strict, 2 when a record could only partly be replayed (annual plans, §12.3).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import json
import math
import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

Json = Any
MASK64 = (1 << 64) - 1
UNLIMITED = 1 << 62
UNIT_METHOD = "randomized-systematic-pps/1"
EXPERTS = "experts"
NO_DATE = -(1 << 63)  # §8.2: an empty date cell
DOUBLE_RANDOM = ("double_random", "covert")  # §12.2: modes that count as double-random


class ReplayError(Exception):
    """The first thing that does not reproduce."""


# ---------------------------------------------------------------- §3 canonical JSON


def cjson(value: Json) -> bytes:
    """§3: keys sorted by code point, no whitespace, UTF-8, non-ASCII unescaped, no NaN."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def lp(data: bytes) -> bytes:
    """§2: an 8-byte big-endian length, then the bytes."""
    return len(data).to_bytes(8, "big") + data


def first_difference(recorded: Json, replayed: Json, path: str = "") -> str | None:
    """Where two JSON values first differ (keys in sorted order, lists by index)."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        for key in sorted(set(recorded) | set(replayed)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in recorded or key not in replayed:
                return f"{sub}: present in only one of record and replay"
            found = first_difference(recorded[key], replayed[key], sub)
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(replayed, list):
        for i, (a, b) in enumerate(zip(recorded, replayed, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(recorded) != len(replayed):
            return f"{path}: recorded {len(recorded)} entries, replay gives {len(replayed)}"
        return None
    if recorded != replayed or type(recorded) is not type(replayed):
        return f"{path or 'value'}: recorded {recorded!r}, replay gives {replayed!r}"
    return None


def decode_compact(data: Any, table: list[Any]) -> Any:
    """§12.4: a value of the compact layout (``year`` of ``drawcore.plan.plan_year/3``, ``/4``)."""
    if isinstance(data, int) and not isinstance(data, bool):
        return table[data]
    if isinstance(data, list):
        return [table[i] for i in data]
    if "o" in data:
        return {k: decode_compact(v, table) for k, v in data["o"].items()}
    if "l" in data:
        return [decode_compact(v, table) for v in data["l"]]
    if "k" in data:
        flat, out, at = decode_compact(data["f"], table), [], 0
        for n in data["k"]:
            out.append(flat[at : at + n])
            at += n
        if at != len(flat):
            raise ReplayError("compact layout: lengths k do not add up to f")
        return out
    if "u" in data:
        distinct = decode_compact(data["u"], table)
        return [distinct[i] for i in data["i"]]
    columns = {k: decode_compact(v, table) for k, v in data["c"].items()}
    if any(len(c) != data["n"] for c in columns.values()):
        raise ReplayError("compact layout: a column does not have n rows")
    return [{k: c[i] for k, c in columns.items()} for i in range(data["n"])]


#: §12.1: the annual-plan methods, the full layout (/2) and the compact one (/3, /4).
ANNUAL_METHODS = tuple(f"drawcore.plan.plan_year/{v}" for v in (2, 3, 4))


def year_of(body: Json) -> Json:
    """The plan and the rules' inputs of a compact ``annual_plan`` body (§12.4)."""
    out: Json = decode_compact(body["year"]["d"], body["year"]["v"])
    return out


def plan_of(body: Json) -> Json:
    """The plan an ``annual_plan`` body holds: ``result``, or ``year.plan`` (§12.4)."""
    if "year" in body:
        plan: Json = year_of(body)["plan"]
        return plan
    out: Json = body["result"]
    return out


def expect(recorded: Json, replayed: Json, what: str) -> None:
    diff = first_difference(recorded, replayed)
    if diff is not None:
        raise ReplayError(f"{what}: {diff}")


# ---------------------------------------------------------------- §5 Merkle tree (RFC 6962)


def merkle_root(lines: Sequence[bytes]) -> bytes:
    """§5: leaves SHA-256(0x00 || line), nodes SHA-256(0x01 || left || right)."""
    if not lines:
        return sha256(b"")
    level = [sha256(b"\x00" + line) for line in lines]
    while len(level) > 1:
        nxt = [sha256(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


# ---------------------------------------------------------------- §6 seeds


def rfc3797_key(sources: Sequence[Sequence[int]]) -> str:
    """§6.1: per source, its integers sorted, each followed by '.', then '/'."""
    return "".join("".join(f"{v}." for v in sorted(s)) + "/" for s in sources)


def rfc3797_select(key: str, pool: int, count: int) -> list[int]:
    """§6.1: RFC 3797 selection: MD5(i2 || key || i2) mod items left."""
    left = list(range(1, pool + 1))
    out = []
    for i in range(count):
        affix = i.to_bytes(2, "big")
        digest = hashlib.md5(affix + key.encode("ascii") + affix, usedforsecurity=False).digest()
        out.append(left.pop(int.from_bytes(digest, "big") % len(left)))
    return out


def rfc3797_seed(key: str) -> bytes:
    return sha256(b"drawcore/seed/rfc3797\x00" + key.encode("ascii"))


def parties_seed(reveals: dict[str, bytes]) -> bytes:
    """§6.2: parties sorted by UTF-8 name; L(name) || name || L(contribution) || contribution."""
    data = b"drawcore/seed/parties\x00"
    for party in sorted(reveals, key=lambda p: p.encode("utf-8")):
        data += lp(party.encode("utf-8")) + lp(reveals[party])
    return sha256(data)


def combined_seed(rfc: bytes, parties: bytes) -> bytes:
    return sha256(b"drawcore/seed/combined\x00" + rfc + parties)


# ---------------------------------------------------------------- §7 keys, streams, hashes

C_MUL = 0x9E3779B97F4A7C15
T_INT = 0x696E742D69642D31


def fmix64(x: int) -> int:
    """§7.4: MurmurHash3's 64-bit finaliser."""
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & MASK64
    x ^= x >> 33
    x = (x * 0xC4CEB9FE1A85EC53) & MASK64
    return x ^ (x >> 33)


class Key:
    """§7.1: a 32-byte draw key."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.words: tuple[int, int, int, int] = struct.unpack("<4Q", raw)

    @classmethod
    def derive(cls, seed: bytes, draw_id: str) -> Key:
        return cls(sha256(b"drawcore/1\x00key" + lp(seed) + lp(draw_id.encode("utf-8"))))

    def child(self, label: str) -> Key:
        return Key(sha256(b"drawcore/1\x00child" + self.raw + lp(label.encode("utf-8"))))

    def stream(self) -> Stream:
        return Stream(self.raw)

    def hash_id(self, unit_id: str | int) -> int:
        """§7.4: the keyed 64-bit hash of one id."""
        k0, k1, k2, k3 = self.words
        if isinstance(unit_id, int):
            h = fmix64((((unit_id & MASK64) ^ k0 ^ T_INT) * C_MUL + k1) & MASK64)
        else:
            data = unit_id.encode("utf-8")
            data += b"\x00" * (-len(data) % 8)
            h = k0
            for (m,) in struct.iter_unpack("<Q", data):
                if m:
                    h = fmix64((((h ^ m) * C_MUL) + k1) & MASK64)
        return int(fmix64(h ^ k2) ^ k3)

    def mix(self, *columns: int) -> int:
        """§7.5: mix_columns of one row."""
        k0, k1, k2, k3 = self.words
        h = k0
        for col in columns:
            h = fmix64((((h ^ col) * C_MUL) + k1) & MASK64)
        return int(fmix64(h ^ k2) ^ k3)


class Stream:
    """§7.2: SHA-256 in counter mode, four little-endian uint64 per block."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.block = 0
        self.buffer: list[int] = []

    def next_u64(self) -> int:
        if not self.buffer:
            digest = sha256(b"drawcore/1\x00stream" + self.raw + self.block.to_bytes(8, "big"))
            self.block += 1
            self.buffer = list(struct.unpack("<4Q", digest))[::-1]
        return self.buffer.pop()

    def uniform(self) -> float:
        return (self.next_u64() >> 11) * 2.0**-53

    def below(self, n: int) -> int:
        """§7.3: rejection on the top bit_length(n - 1) bits."""
        if n == 1:
            return 0
        bits = (n - 1).bit_length()
        while True:
            value = self.next_u64() >> (64 - bits)
            if value < n:
                return value


def to_uniform(x: int) -> float:
    return (x >> 11) * 2.0**-53


# ---------------------------------------------------------------- §8 registries

TEXT, ENUM, BOOL, FLOAT, YEAR, DATE, TAGS = "text", "enum", "bool", "float", "year", "date", "tags"
Field = tuple[str, str, bool, Any, tuple[str, ...], tuple[str, ...]]  # name kind req default


#: §8.1, one field a line: name, kind (enum: its members in code order), default ("-":
#: required, "~": none, '' : empty text), then the Chinese headers accepted.
SCHEMA_TEXT = """
units drawcore.units/1
unit_id text - 统一社会信用代码 统一社会信用代码或身份证号码 身份证号码 证件号码
name text - 名称 单位名称 检查对象名称 姓名
id_kind enum:uscc,id_card uscc 证件类型
subject_type text - 主体类型
industry text - 行业类别 行业 所属行业
township text - 所属乡镇 乡镇 乡镇街道 区域
address text '' 住所 地址 经营地址
person_in_charge text '' 负责人 法定代表人
contact text '' 联系方式 联系电话
risk_level enum:low,moderate,high,major low 风险等级
risk_weight float 1.0 风险权重
credit_class enum:A,B,C,D B 信用等级
blacklisted bool false 黑名单
joint_punishment bool false 失信联合惩戒
major_hazard bool false 重大事故隐患
fatal_accident_year year ~ 死亡事故年份
licence_holder bool false 安全生产许可
under_investigation bool false 立案查处
production_status enum:normal,trial,resumed,suspended,closed normal 生产状态
in_higher_plan bool false 已列入上级抽查计划
last_inspected date ~ 最近检查日期
inspectors drawcore.inspectors/1
inspector_id text - 执法证号 执法证件号码
name text - 姓名
gender text '' 性别
post text '' 职务
work_unit text - 工作单位 所在单位
phone text '' 联系电话 电话
expertise tags ~ 业务专长 专长
township text '' 所在乡镇
active bool true 在岗
experts drawcore.experts/1
expert_id text - 专家编号
name text - 姓名
gender text '' 性别
employer text '' 工作单位
title text '' 职称
phone text '' 联系电话 电话
expertise tags ~ 专业领域 专长
active bool true 在库
items drawcore.items/1
item_id text - 事项编号 编号
body text - 检查主体
item text - 检查事项 检查项目
content text - 检查内容
legal_basis text - 检查依据 法律依据
industries tags ~ 适用行业
subject_types tags ~ 适用主体类型
version text 1 版本
effective_date date ~ 生效日期
"""


def _schemas() -> dict[str, tuple[str, list[Field]]]:
    out: dict[str, tuple[str, list[Field]]] = {}
    fields: list[Field] = []
    for line in SCHEMA_TEXT.strip().splitlines():
        name, kind, *rest = line.split()
        if kind.startswith("drawcore."):
            fields = []
            out[name] = (kind, fields)
            continue
        kind, _, members = kind.partition(":")
        default: Any = {"-": None, "~": None, "''": "", "true": True, "false": False}.get(
            rest[0], rest[0]
        )
        if kind == FLOAT:
            default = float(default)
        elif kind == YEAR:
            default = 0
        elif kind == DATE:
            default = ""
        elif kind == TAGS:
            default = ()
        required = rest[0] == "-"
        fields.append(
            (
                name,
                kind,
                required,
                default,
                tuple(members.split(",")) if members else (),
                tuple(rest[1:]),
            )
        )
    return out


SCHEMAS = _schemas()
ENUM_LABELS = {
    "统一社会信用代码": "uscc",
    "身份证": "id_card",
    "身份证号码": "id_card",
    "低风险": "low",
    "一般风险": "moderate",
    "较大风险": "high",
    "重大风险": "major",
    "正常生产": "normal",
    "试生产": "trial",
    "复产": "resumed",
    "停产停业": "suspended",
    "关闭": "closed",
}
TRUE = ("true", "1", "yes", "y", "是")
FALSE = ("false", "0", "no", "n", "否")
WS = " \t\r\n\u3000\ufeff"


def _cell(field: Field, cell: str) -> Any:
    """§8.2: one stripped cell -> its typed value (an empty optional cell: the default)."""
    name, kind, _, default, members, _ = field
    if kind == TEXT:
        return cell or default
    if kind == ENUM:
        value = ENUM_LABELS.get(cell, cell) if cell else default
        found = [i for i, m in enumerate(members) if m.lower() == value.lower()]
        if not found:
            raise ReplayError(f"{name}: unknown value {cell!r}")
        return found[0]
    if kind == BOOL:
        if not cell:
            return default
        low = cell.lower()
        if low not in TRUE + FALSE:
            raise ReplayError(f"{name}: not a flag {cell!r}")
        return low in TRUE
    if kind == FLOAT:
        return float(cell) if cell else float(default)
    if kind == YEAR:
        return int(cell) if cell else 0
    if kind == DATE:
        return date.fromisoformat(cell).toordinal() - 719163 if cell else NO_DATE
    for sep in ("；", "、"):
        cell = cell.replace(sep, ";")
    return sorted({t.strip(WS) for t in cell.split(";")} - {""})


class Registry:
    """§8: one registry, rows sorted by id (code point order), columns by field name."""

    def __init__(self, kind: str, rows: list[dict[str, Any]]) -> None:
        self.kind = kind
        self.tag, self.fields = SCHEMAS[kind]
        id_field = self.fields[0][0]
        rows.sort(key=lambda r: r[id_field])
        self.rows = rows
        self.ids = [r[id_field] for r in rows]
        self.index = {u: i for i, u in enumerate(self.ids)}

    @classmethod
    def read(cls, kind: str, path: Path) -> Registry:
        data = path.read_bytes()
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("gb18030")
        text = text.lstrip("\ufeff")
        if path.suffix == ".json":
            raise ReplayError(f"{path}: JSON registries are not read by this replayer (§8.2)")
        table = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        while table and not any(c.strip(WS) for c in table[-1]):
            table.pop()
        fields = SCHEMAS[kind][1]
        by_header: dict[str, Field] = {}
        for f in fields:
            by_header[f[0]] = f
            by_header.update(dict.fromkeys(f[5], f))
        header = [h.strip(WS) for h in table[0]]
        cols = []
        for h in header:
            found = by_header.get(h) or by_header.get(h.lower())
            if found is None:
                raise ReplayError(f"{path}: unknown column {h!r}")
            cols.append(found)
        rows = []
        for raw in table[1:]:
            row = {f[0]: _cell(f, "") if not f[2] else "" for f in fields}
            for f, cell in zip(cols, raw, strict=True):
                row[f[0]] = _cell(f, cell.strip())
            rows.append(row)
        return cls(kind, rows)

    def fingerprint(self) -> str:
        """§8.3: tag NUL, then per field: name NUL kind NUL L(bytes) bytes."""
        digest = hashlib.sha256(self.tag.encode("ascii") + b"\x00")
        for name, kind, _, _, members, _ in self.fields:
            col = [r[name] for r in self.rows]
            if kind in (TEXT, TAGS):
                payload = cjson(col)
            elif kind == ENUM:
                payload = cjson(list(members)) + b"\x00" + bytes(col)
            elif kind == BOOL:
                payload = bytes(int(v) for v in col)
            elif kind == FLOAT:
                payload = struct.pack(f"<{len(col)}d", *[v + 0.0 for v in col])
            elif kind == YEAR:
                payload = struct.pack(f"<{len(col)}i", *col)
            else:
                payload = struct.pack(f"<{len(col)}q", *col)
            digest.update(f"{name}\x00{kind}\x00".encode("ascii") + lp(payload))
        return digest.hexdigest()


# ---------------------------------------------------------------- §9 unit draws


def exact(w: float) -> Fraction:
    return Fraction(w)


def probabilities(w: list[float], size: int, mand: list[bool], excl: list[bool]) -> list[float]:
    """§9.2: pi = min(1, c * w) with the iterative capping constant c, in exact arithmetic."""
    n_mand = sum(mand)
    if n_mand > size:
        raise ReplayError(f"{n_mand} mandatory units exceed the size {size}")
    free = [0.0 if m or e else x for x, m, e in zip(w, mand, excl, strict=True)]
    gmax = max(free, default=0.0)
    positive = sum(1 for x in free if x != 0.0)
    n_free = size - n_mand
    if n_free > positive:
        raise ReplayError(f"size {size} exceeds the {n_mand + positive} eligible units")
    if 0.0 < gmax < 2.0**-900:
        lift = -math.frexp(gmax)[1]
        free = [math.ldexp(x, lift) for x in free]
    if n_free == 0:
        c = 0.0
    elif n_free == positive:
        c = math.inf
    else:
        total = sum((exact(x) for x in free), Fraction(0))
        capped, capped_sum = 0, Fraction(0)
        while True:
            c = float(Fraction(n_free - capped) / (total - capped_sum))
            hit = [x for x in free if x * c >= 1.0]
            if len(hit) == capped or len(hit) == n_free:
                break
            capped, capped_sum = len(hit), sum((exact(x) for x in hit), Fraction(0))
    pi = []
    for x, m in zip(free, mand, strict=True):
        if m:
            pi.append(1.0)
        elif c == math.inf:
            pi.append(1.0 if x > 0.0 else 0.0)
        else:
            pi.append(min(x * c, 1.0))
    return pi


def lattice_bits(n_rest: int) -> int:
    return min(52, 62 - max(1, n_rest).bit_length())


def systematic(
    key: Key, ids: list[Any], pi: list[float], size: int, trace: dict[str, Any]
) -> tuple[list[int], list[float]]:
    """§9.3-9.6: order, lattice, balance, start, selection; returns (rows drawn, realised pi)."""
    n = len(ids)
    certain = [i for i in range(n) if pi[i] == 1.0]
    n_rest = size - len(certain)
    m = lattice_bits(n_rest)
    full = 1 << m
    okey = key.child("order")
    hashes = [okey.hash_id(u) for u in ids]
    order = sorted(range(n), key=lambda i: (hashes[i], id_bytes(ids[i])))
    p = [0 if pi[i] >= 1.0 else round(pi[i] * 2.0**m) for i in order]
    diff = n_rest * full - sum(p)
    moved: list[int] = []
    while diff != 0:
        up = diff > 0
        take = [k for k, x in enumerate(p) if (0 < x < full if up else x > 1)][: abs(diff)]
        if not take:
            raise ReplayError("the probabilities cannot be put on the lattice")
        for k in take:
            p[k] += 1 if up else -1
        diff -= len(take) if up else -len(take)
        moved.extend(take)
    start = key.child("start").stream().below(full)
    hits = []
    total = 0
    for k, i in enumerate(order):
        before = (total - start - 1) >> m
        total += p[k]
        if ((total - start - 1) >> m) > before:
            hits.append(i)
    realised = [1.0 if x >= 1.0 else 0.0 for x in pi]
    for k, i in enumerate(order):
        if pi[i] < 1.0:
            realised[i] = p[k] * 2.0**-m
    trace.update(
        n_rest=n_rest,
        m=m,
        order=[ids[i] for i in order],
        order_hashes=[f"{hashes[i]:016x}" for i in order],
        increments=p,
        balanced=sorted(set(moved)),
        start=start,
        certain=[ids[i] for i in certain],
        hits=[ids[i] for i in hits],
    )
    return sorted(certain + hits), realised


def id_bytes(unit_id: str | int) -> bytes | int:
    return unit_id if isinstance(unit_id, int) else unit_id.encode("utf-8")


def sample_fingerprint(
    ids: list[Any],
    w: list[float],
    size: int | dict[str, int],
    masks: Sequence[list[bool] | None],
    strata: tuple[list[str], list[int]] | None,
) -> str:
    """§9.8: SHA-256 of the draw's inputs as given (row order included)."""
    digest = hashlib.sha256(UNIT_METHOD.encode() + b"\x00")
    if ids and isinstance(ids[0], int):
        dtype, raw = "<u8", b"".join((u & MASK64).to_bytes(8, "little") for u in ids)
    else:
        width = max([len(u.encode("utf-8")) for u in ids] + [1])
        dtype = f"|S{width}"
        raw = b"".join(u.encode("utf-8").ljust(width, b"\x00") for u in ids)
    digest.update(f"n={len(ids)};ids={dtype};".encode())
    if isinstance(size, dict):
        digest.update(repr(sorted((str(k), int(v)) for k, v in size.items())).encode())
    else:
        digest.update(f"size={size}".encode())
    digest.update(raw)
    digest.update(struct.pack(f"<{len(w)}d", *w))
    for mask in masks:
        if mask is None:
            digest.update(b"-")
        else:
            bits = mask + [False] * (-len(mask) % 8)
            digest.update(
                bytes(
                    sum(b << (7 - j) for j, b in enumerate(bits[k : k + 8]))
                    for k in range(0, len(bits), 8)
                )
            )
    if strata is not None:
        digest.update(repr(strata[0]).encode())
        digest.update(struct.pack(f"<{len(strata[1])}q", *strata[1]))
    return digest.hexdigest()


def sample_units(
    ids: list[Any],
    w: list[float],
    size: int | dict[str, int],
    seed: bytes,
    draw_id: str,
    mandatory: Iterable[Any] | None = None,
    excluded: Iterable[Any] | list[bool] | None = None,
    strata: list[str] | None = None,
) -> dict[str, Any]:
    """§9: the whole unit draw; returns the result and its intermediate values."""
    key = Key.derive(seed, draw_id)
    n = len(ids)
    pos = {u: i for i, u in enumerate(ids)}

    def as_mask(value: Iterable[Any] | None) -> list[bool] | None:
        if value is None:
            return None
        items = list(value)
        if items and all(isinstance(x, bool) for x in items):
            return items
        mask = [False] * n
        for u in items:
            mask[pos[u]] = True
        return mask

    mand, excl = as_mask(mandatory), as_mask(excluded)
    mand_l, excl_l = mand or [False] * n, excl or [False] * n
    realised = [0.0] * n
    traces: list[dict[str, Any]] = []
    if strata is None:
        assert isinstance(size, int)
        pi = probabilities(w, size, mand_l, excl_l)
        trace: dict[str, Any] = {"label": None, "key": key.raw.hex(), "pi": pi}
        rows, real = systematic(key, ids, pi, size, trace)
        realised = real
        traces.append(trace)
        info = None
    else:
        assert isinstance(size, dict)
        names = sorted(set(strata))
        inverse = [names.index(s) for s in strata]
        rows = []
        for j, name in enumerate(names):
            members = [i for i in range(n) if inverse[i] == j]
            sub = [ids[i] for i in members]
            pi = probabilities(
                [w[i] for i in members],
                size[name],
                [mand_l[i] for i in members],
                [excl_l[i] for i in members],
            )
            skey = key.child(f"stratum/{name}")
            trace = {"label": name, "key": skey.raw.hex(), "pi": pi}
            got, real = systematic(skey, sub, pi, size[name], trace)
            rows.extend(members[k] for k in got)
            for i, r in zip(members, real, strict=True):
                realised[i] = r
            traces.append(trace)
        info = (names, inverse)
    selected = sorted((ids[i] for i in rows), key=id_bytes)
    return {
        "selected": selected,
        "probabilities": realised,
        "fingerprint": sample_fingerprint(ids, w, size, (mand, excl), info),
        "key": key.raw.hex(),
        "strata": traces,
    }


# ---------------------------------------------------------------- §10 teams


class Pool:
    """§10.2: one pool: active members sorted by id, their work units and expertise."""

    def __init__(self, name: str, members: list[tuple[str, str, list[str]]], key: Key) -> None:
        members = sorted(members)
        self.name = name
        self.ids = [m[0] for m in members]
        self.index = {u: i for i, u in enumerate(self.ids)}
        self.work_units = [m[1] for m in members]
        self.expertise = [set(m[2]) for m in members]
        self.key = key.child(f"pool/{name}")

    def candidates(self, unit_id: str) -> Iterable[int]:
        """§10.3: the candidate order of one unit (lazily: the walk reads a few)."""
        size = len(self.ids)
        h = self.key.child("unit").hash_id(unit_id)
        pkey = self.key.child("position")
        seen: set[int] = set()
        for j in range(2 * size):
            c = int(to_uniform(pkey.mix(h, j)) * size)
            if c not in seen:
                seen.add(c)
                yield c
        rkey, ikey = self.key.child("rest"), self.key.child("inspector")
        rank = [(rkey.mix(h, ikey.hash_id(u)), i) for i, u in enumerate(self.ids)]
        yield from (i for _, i in sorted(rank) if i not in seen)


Task = dict[str, Any]  # unit_id, team_size, expertise (list), experts, expert_expertise, mode


def draw_teams(
    tasks: list[Task],
    pools: dict[str, Pool],
    seed: bytes,
    draw_id: str,
    conflicts: Iterable[tuple[str, str, str]],
    caps: dict[str, int | None],
    max_per_work_unit: int | None,
    dates: Sequence[date] = (),
) -> dict[str, Any]:
    """§10: processing order, candidate orders, the walk and the record of a team draw."""
    key = Key.derive(seed, draw_id)
    okey = key.child("order")
    order = sorted(tasks, key=lambda t: (okey.hash_id(t["unit_id"]), t["unit_id"]))
    conf: dict[str, dict[str, str]] = {}
    for iid, uid, why in conflicts:
        conf.setdefault(uid, {}).setdefault(iid, why)
    counts: dict[str, list[int]] = {name: [0] * len(p.ids) for name, p in pools.items()}
    wcounts: dict[str, int] = {}
    wcaps = None
    if max_per_work_unit is not None:
        wcaps = {w for p in pools.values() if p.name != "experts" for w in p.work_units if w}
    parts: dict[str, list[dict[str, Any]]] = {t["unit_id"]: [] for t in tasks}
    for name, pool in pools.items():
        experts = name == EXPERTS
        cap = caps[name]
        cap_text = "max_expert_tasks" if experts else "max_tasks"
        jobs = []
        for task in order:
            uid = task["unit_id"]
            if experts:
                seats, req = task.get("experts", 0), task.get("expert_expertise")
                areas: list[str] = [] if req is None else [req]
            else:
                seats, areas = task["team_size"], sorted(set(task.get("expertise") or []))
            if seats == 0:
                continue
            tconf = {} if experts else conf.get(uid, {})  # plans declare no expert conflicts
            team, passed, read = walk(
                pool, uid, seats, areas, experts, tconf, counts[name], cap,
                cap_text, wcaps if not experts else None, max_per_work_unit, wcounts,
            )  # fmt: skip
            barred = {pool.index[i] for i in tconf if i in pool.index}
            jobs.append(Job(uid, seats, areas, barred, team, passed, read))
        if any(len(j.team) < j.seats for j in jobs):
            room = Room(counts[name], cap, None if experts else wcaps, max_per_work_unit, wcounts)
            fallback(pool, jobs, experts, room)
        for j in jobs:
            parts[j.uid].append(pool_record(pool, j.seats, j.read, j.team, j.passed, j.flow))
    return team_record(tasks, order, parts, key, dates, draw_id)


# ---------------------------------------------------------------- §10.7 the max-flow fallback


class Job:
    """One task's part in one pool, as the walk left it."""

    def __init__(
        self,
        uid: str,
        seats: int,
        areas: list[str],
        barred: set[int],
        team: list[int],
        passed: list[tuple[int, int, str]],
        read: list[int],
    ) -> None:
        self.uid, self.seats, self.areas, self.barred = uid, seats, areas, barred
        self.team, self.passed, self.read = team, passed, read
        self.flow: list[int] | None = None  # the fallback's members, when they differ


class Room:
    """Workload state of one pool after its walk (counts include the walk's teams)."""

    def __init__(self, counts: list[int], cap: int | None, wcaps: set[str] | None,
                 wcap: int | None, wcounts: dict[str, int]) -> None:  # fmt: skip
        self.counts, self.cap, self.wcaps, self.wcap, self.wcounts = (
            counts, UNLIMITED if cap is None else cap, wcaps, wcap, wcounts)  # fmt: skip

    def wlimit(self, wu: str) -> int:
        assert self.wcaps is not None
        return (self.wcap or 0) if wu in self.wcaps else UNLIMITED


class Network:
    """§10.7: Dinic max-flow; edges in insertion order, reverse edge = id ^ 1."""

    def __init__(self) -> None:
        self.adj: list[list[int]] = [[], []]  # 0 source, 1 sink
        self.to: list[int] = []
        self.cap: list[int] = []

    def node(self) -> int:
        self.adj.append([])
        return len(self.adj) - 1

    def edge(self, u: int, v: int, capacity: int) -> int:
        e = len(self.to)
        self.to += [v, u]
        self.cap += [capacity, 0]
        self.adj[u].append(e)
        self.adj[v].append(e + 1)
        return e

    def push(self, e: int) -> None:
        self.cap[e] -= 1
        self.cap[e ^ 1] += 1

    def flow(self, e: int) -> int:
        return self.cap[e ^ 1]

    def max_flow(self) -> None:
        """BFS levels from the source; blocking flow by DFS along each node's edge list."""
        to, cap, adj = self.to, self.cap, self.adj
        while True:
            level = [-1] * len(adj)
            level[0] = 0
            queue = [0]
            for u in queue:
                for e in adj[u]:
                    if cap[e] > 0 and level[to[e]] < 0:
                        level[to[e]] = level[u] + 1
                        queue.append(to[e])
            if level[1] < 0:
                return
            cursor = [0] * len(adj)
            while True:
                path: list[int] = []
                u = 0
                while u != 1:
                    while cursor[u] < len(adj[u]):
                        e = adj[u][cursor[u]]
                        if cap[e] > 0 and level[to[e]] == level[u] + 1:
                            break
                        cursor[u] += 1
                    if cursor[u] < len(adj[u]):
                        path.append(adj[u][cursor[u]])
                        u = to[path[-1]]
                        continue
                    if not path:
                        break
                    level[u] = -1  # dead end
                    u = to[path.pop() ^ 1]
                    cursor[u] += 1
                if u != 1:
                    break
                amount = min(cap[e] for e in path)
                for e in path:
                    cap[e] -= amount
                    cap[e ^ 1] += amount


Pattern = tuple[frozenset[str], ...]


def patterns(pool: Pool, elig: list[int], reqs: list[str], seats: int) -> list[Pattern]:
    """Minimal sets of expertise signatures whose distinct holders cover ``reqs``."""
    need = frozenset(reqs)
    sigs = sorted({frozenset(pool.expertise[i]) & need for i in elig} - {frozenset()}, key=sorted)
    out: list[Pattern] = []
    for k in range(1, min(seats, len(need)) + 1):
        for combo in itertools.combinations(sigs, k):
            if frozenset().union(*combo) == need and not any(set(p) < set(combo) for p in out):
                out.append(combo)
    return out


def fit(pool: Pool, members: list[int], pattern: Pattern) -> dict[int, int] | None:
    """The first assignment (permutation order) of members to the pattern's sets."""
    for perm in itertools.permutations(members, len(pattern)):
        if all(s <= pool.expertise[m] for s, m in zip(pattern, perm, strict=True)):
            return {m: j for j, m in enumerate(perm)}
    return None


def solve(
    pool: Pool,
    jobs: list[Job],
    elig: list[list[int]],
    room: list[int],
    wroom: dict[str, int] | None,
    pats: list[Pattern | None],
) -> list[tuple[list[int], bool]]:
    """§10.7: one max-flow over the pool, warm-started from the walk's teams."""
    net = Network()
    inode = [net.node() for _ in pool.ids]
    out_edge, wnode, wedge = [], {}, {}
    for i, wu in enumerate(pool.work_units):
        if wroom is None:
            out_edge.append(net.edge(inode[i], 1, room[i]))
            continue
        if wu not in wnode:
            wnode[wu] = net.node()
            wedge[wu] = net.edge(wnode[wu], 1, wroom[wu])
        out_edge.append(net.edge(inode[i], wnode[wu], room[i]))
    seat_edges, member_edges = [], []
    for job, eligible, pattern in zip(jobs, elig, pats, strict=True):
        sets = pattern or ()
        g = net.node()
        ses = [net.edge(0, g, job.seats - len(sets))]
        snodes = []
        for _ in sets:
            snodes.append(net.node())
            ses.append(net.edge(0, snodes[-1], 1))
        seat_edges.append(ses)
        eset = set(eligible)
        first = [c for c in job.read if c in eset]
        medges: dict[int, tuple[int, dict[int, int], int]] = {}
        for i in first + sorted(eset - set(first)):
            inside = [j for j, st in enumerate(sets) if st <= pool.expertise[i]]
            if inside:
                p = net.node()
                gen = net.edge(g, p, 1)
                by = {j: net.edge(snodes[j], p, 1) for j in inside}
                medges[i] = (gen, by, net.edge(p, inode[i], 1))
            else:
                e = net.edge(g, inode[i], 1)
                medges[i] = (e, {}, e)
        member_edges.append(medges)
    for job, pattern, ses, medges in zip(jobs, pats, seat_edges, member_edges, strict=True):
        got = fit(pool, job.team, pattern or ())
        if got is None:
            continue
        for m in job.team:
            gen, by, out = medges[m]
            if m in got:
                net.push(ses[1 + got[m]])
                net.push(by[got[m]])
            else:
                net.push(ses[0])
                net.push(gen)
            if out != gen:
                net.push(out)
            net.push(out_edge[m])
            if wroom is not None:
                net.push(wedge[pool.work_units[m]])
    net.max_flow()
    return [
        (sorted(i for i, (_, _, out) in medges.items() if net.flow(out) > 0),
         sum(net.flow(e) for e in ses) == job.seats)
        for job, ses, medges in zip(jobs, seat_edges, member_edges, strict=True)
    ]  # fmt: skip


def fallback(pool: Pool, jobs: list[Job], require_all: bool, state: Room) -> None:
    """§10.7: exact search over covering patterns, one max-flow per step, depth first."""
    elig = [
        [i for i in range(len(pool.ids)) if i not in j.barred
         and (not require_all or not j.areas or j.areas[0] in pool.expertise[i])]
        for j in jobs
    ]  # fmt: skip
    reqs = [[] if require_all else j.areas for j in jobs]
    options: list[list[Pattern]] = []
    for job, eligible, r in zip(jobs, elig, reqs, strict=True):
        pats = patterns(pool, eligible, r, job.seats) if r else [()]
        fitting = [p for p in pats if fit(pool, job.team, p) is not None]
        options.append(fitting + [p for p in pats if p not in fitting])
    walked = [0] * len(pool.ids)
    for j in jobs:
        for i in j.team:
            walked[i] += 1
    base = [c - w for c, w in zip(state.counts, walked, strict=True)]
    wroom = None
    if state.wcaps is not None:
        used: dict[str, int] = {}
        for i, wu in enumerate(pool.work_units):
            used[wu] = used.get(wu, 0) + walked[i]
        wroom = {wu: max(0, state.wlimit(wu) - (state.wcounts.get(wu, 0) - n))
                 for wu, n in used.items()}  # fmt: skip
    room = [max(0, state.cap - b) for b in base]
    stack: list[list[Pattern | None]] = [[o[0] if len(o) == 1 else None for o in options]]
    for _ in range(2000):
        if not stack:
            break
        chosen = stack.pop()
        teams = solve(pool, jobs, elig, room, wroom, chosen)
        if not all(ok for _, ok in teams):
            continue
        held = [{a for i in t for a in pool.expertise[i]} for t, _ in teams]
        open_ = [n for n, p in enumerate(chosen) if p is None and not set(reqs[n]) <= held[n]]
        if open_:
            n = open_[0]
            for p in reversed(options[n]):
                stack.append([*chosen[:n], p, *chosen[n + 1 :]])
            continue
        for job, (members, _) in zip(jobs, teams, strict=True):
            if sorted(job.team) != members:
                job.flow = members
        for i in range(len(pool.ids)):
            state.counts[i] = base[i]
        for members, _ in teams:
            for i in members:
                state.counts[i] += 1
                if state.wcaps is not None:
                    wu = pool.work_units[i]
                    state.wcounts[wu] = state.wcounts.get(wu, 0) + 1
        if state.wcaps is not None:
            for i, n in enumerate(walked):
                wu = pool.work_units[i]
                state.wcounts[wu] = state.wcounts.get(wu, 0) - n
        return
    raise ReplayError(f"pool {pool.name}: no team draw staffs every task (drawcore refuses it)")


def walk(
    pool: Pool,
    uid: str,
    seats: int,
    areas: list[str],
    require_all: bool,
    conf: dict[str, str],
    counts: list[int],
    cap: int | None,
    cap_text: str,
    wcaps: set[str] | None,
    wcap: int | None,
    wcounts: dict[str, int],
) -> tuple[list[int], list[tuple[int, int, str]], list[int]]:
    """§10.4: the first eligible candidates, with every pass-over reason, in order."""
    team: list[int] = []
    passed: list[tuple[int, int, str]] = []
    read: list[int] = []
    single = areas[0] if len(areas) == 1 else None
    missing = areas if len(areas) > 1 else []
    has_req = single is None
    limit = UNLIMITED if cap is None else cap
    for c in pool.candidates(uid):
        if len(team) >= seats:
            break
        read.append(c)
        why = None
        wu = pool.work_units[c]
        if pool.ids[c] in conf:
            why = conf[pool.ids[c]]
        elif counts[c] >= limit:
            why = f"unavailable: workload cap reached ({cap_text}={limit})"
        elif wcaps is not None and wu in wcaps and wcounts.get(wu, 0) >= (wcap or 0):
            why = f"unavailable: work unit {wu!r} at its cap ({wcap})"
        elif missing:
            left = [a for a in missing if a not in pool.expertise[c]]
            if len(left) > seats - len(team) - 1:
                why = "skipped: seats reserved for expertise " + ", ".join(map(repr, missing))
            else:
                missing = left
        elif single is not None:
            holds = single in pool.expertise[c]
            if require_all and not holds:
                why = f"ineligible: lacks expertise {single!r}"
            elif not has_req and not holds and len(team) == seats - 1:
                why = f"skipped: last seat reserved for expertise {single!r}"
            elif holds:
                has_req = True
        if why is not None:
            passed.append((c, len(read) - 1, why))
            continue
        team.append(c)
        counts[c] += 1
        if wcaps is not None:
            wcounts[wu] = wcounts.get(wu, 0) + 1
    return team, passed, read


def pool_record(
    pool: Pool,
    seats: int,
    read: list[int],
    walked: list[int],
    passed: list[tuple[int, int, str]],
    flow: list[int] | None = None,
) -> dict[str, Any]:
    """§10.5: drawn = the first `seats` candidates; each one passed over is replaced in order.

    ``flow``: the members the max-flow fallback gave (§10.7), replacing the walk's.
    """
    drawn = read[:seats]
    why = {c: r for c, _, r in passed}
    team = walked if flow is None else flow
    incoming = [c for c in read[seats:] if c in team]
    if flow is not None:
        incoming = sorted(set(flow) - set(drawn))
    reps = []
    for d in drawn:
        if d not in team:
            by = pool.ids[incoming.pop(0)] if incoming else None
            reason = why.get(d, "moved by the max-flow fallback so that every task is staffed")
            reps.append({"drawn": pool.ids[d], "reason": reason, "replaced_by": by})
    return {
        "candidates": [pool.ids[c] for c in read],
        "drawn": [pool.ids[c] for c in drawn],
        "members": sorted(pool.ids[c] for c in team),
        "method": "candidate_order" if flow is None else "max_flow",
        "passed_over": [
            {"inspector_id": pool.ids[c], "position": k, "reason": r} for c, k, r in passed
        ],
        "pool": pool.name,
        "replacements": reps,
        "size": seats,
    }


def team_record(
    tasks: list[Task],
    order: list[Task],
    parts: dict[str, list[dict[str, Any]]],
    key: Key,
    dates: Sequence[date],
    draw_id: str,
) -> dict[str, Any]:
    """§10.6: assignments sorted by unit id; key inspections get a visit order and date."""
    key_tasks = [t["unit_id"] for t in order if t.get("mode", "double_random") == "key"]
    vkey = key.child("visit")
    ranked = sorted(key_tasks, key=lambda u: vkey.hash_id(u))
    visit = {
        u: (k + 1, dates[k * len(dates) // len(ranked)].isoformat() if dates else None)
        for k, u in enumerate(ranked)
    }
    out = []
    for t in sorted(tasks, key=lambda t: t["unit_id"]):
        uid, mode = t["unit_id"], t.get("mode", "double_random")
        tparts = parts[uid]
        vo, vd = visit.get(uid, (None, None))
        out.append(
            {
                "experts": sorted(m for p in tparts if p["pool"] == EXPERTS for m in p["members"]),
                "members": sorted(m for p in tparts if p["pool"] != EXPERTS for m in p["members"]),
                "mode": mode,
                "parts": tparts,
                "undisclosed": mode == "covert",
                "unit_id": uid,
                "visit_date": vd,
                "visit_order": vo,
            }
        )
    return {
        "assignments": out,
        "draw_id": draw_id,
        "processing_order": [t["unit_id"] for t in order],
    }


def people(registry: Registry, work_field: str) -> list[tuple[str, str, list[str]]]:
    id_field = registry.fields[0][0]
    return [
        (r[id_field], r[work_field], r["expertise"]) for r in registry.rows if r["active"] is True
    ]


# ---------------------------------------------------------------- §11 journal replay


class Replayer:
    """Reads a journal top to bottom and replays every record it can (§11)."""

    def __init__(self, path: Path, registry_dir: Path | None, say: Callable[[str], None]) -> None:
        self.path = path
        self.registry_dir = registry_dir
        self.say = say
        self.plans: dict[str, str] = {}
        self.commitments: dict[tuple[str, str], str] = {}
        self.reveals: dict[tuple[str, str], bytes] = {}
        self.records: list[dict[str, Any]] = []
        self.registries: dict[tuple[str, str], Registry] = {}
        self.counts: dict[str, int] = {}
        self.committed_at: dict[str, datetime] = {}
        self.partial: list[int] = []  # records only partly replayable (§12.3)

    def registry(self, kind: str, ref: dict[str, str]) -> Registry:
        cache = (kind, ref["path"])
        if cache not in self.registries:
            rel = Path(ref["path"])
            base = self.registry_dir or self.path.parent
            where = rel if rel.is_absolute() else base / rel
            reg = Registry.read(kind, where)
            got = reg.fingerprint()
            if got != ref["fingerprint"]:
                raise ReplayError(f"{kind} registry {where}: fingerprint {got}, plan names "
                               f"{ref['fingerprint']}")  # fmt: skip
            self.say(f"  {kind} registry {where.name}: {len(reg.ids)} records, fingerprint ok")
            self.registries[cache] = reg
        return self.registries[cache]

    def run(self) -> list[bytes]:
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            raise ReplayError("the last record has no newline (torn tail)")
        lines = data.split(b"\n")[:-1]
        prev = "0" * 64
        for seq, line in enumerate(lines):
            rec = json.loads(line)
            if cjson(rec) != line:
                raise ReplayError(f"record {seq}: line is not canonical JSON (§3)")
            unsigned = {k: rec[k] for k in ("body", "prev", "seq", "type")}
            if rec["seq"] != seq or rec["prev"] != prev:
                raise ReplayError(f"record {seq}: seq/prev break the chain (§4)")
            if hashlib.sha256(cjson(unsigned)).hexdigest() != rec["hash"]:
                raise ReplayError(f"record {seq}: hash does not match its content (§4)")
            prev = rec["hash"]
            self.records.append(rec)
            kind = rec["type"]
            try:
                getattr(self, f"on_{kind}", self.on_other)(seq, rec["body"])
            except ReplayError as err:
                raise ReplayError(f"record {seq} ({kind}): {err}") from None
            self.counts[kind] = self.counts.get(kind, 0) + 1
        self.say(f"chain: {len(lines)} records, every hash and link reproduces")
        return lines

    def on_other(self, seq: int, body: Json) -> None:
        pass

    def on_result(self, seq: int, body: Json) -> None:
        """§4: a result names a draw that drew its unit, inspected by members of its team."""
        drawn = self.records[body["draw"]]
        teams: dict[str, set[str]] = {}
        if drawn["type"] == "draw":
            for a in drawn["body"]["teams"]["assignments"]:
                teams[a["unit_id"]] = set(a["members"])
        elif drawn["type"] == "annual_plan":
            for rnd in plan_of(drawn["body"])["rounds"]:
                for t in rnd["tasks"]:
                    teams.setdefault(t["unit_id"], set()).update(t["inspectors"])
        unit = body["unit_id"]
        if unit not in teams or not set(body["inspected_by"]) <= teams[unit]:
            raise ReplayError(f"unit {unit}: not drawn by record {body['draw']}, or inspected "
                              "by someone outside its team")  # fmt: skip

    def on_plan_commitment(self, seq: int, body: Json) -> None:
        self.plans[body["plan_id"]] = body["plan_hash"]
        self.committed_at[body["plan_id"]] = datetime.fromisoformat(body["committed_at"])

    def on_seed_commitment(self, seq: int, body: Json) -> None:
        self.commitments[(body["plan_id"], body["party"])] = body["commitment"]

    def on_seed_reveal(self, seq: int, body: Json) -> None:
        contribution = bytes.fromhex(body["contribution"])
        salt = bytes.fromhex(body["salt"])
        commitment = self.commitments.get((body["plan_id"], body["party"]))
        if hashlib.sha256(contribution + salt).hexdigest() != commitment:
            raise ReplayError(f"party {body['party']!r}: the reveal does not open its commitment")
        self.reveals[(body["plan_id"], body["party"])] = contribution

    def on_seed(self, seq: int, body: Json) -> None:
        """§6: the seed recomputes from the public numbers and/or the revealed parties."""
        plan_id, method = body["plan_id"], body["method"]
        if self.plans.get(plan_id) != body["plan_hash"]:
            raise ReplayError(f"plan {plan_id}: seed names a plan hash that was not committed")
        entropy_at = datetime.fromisoformat(body["entropy_at"])
        if (
            not self.committed_at[plan_id]
            < entropy_at
            <= datetime.fromisoformat(body["recorded_at"])
        ):
            raise ReplayError("entropy_at must follow the commitment and precede recorded_at (§4)")
        seeds = []
        if "rfc3797" in method.split("+"):
            key = rfc3797_key(body["sources"])
            if key != body["key"]:
                raise ReplayError(f"RFC 3797 key {body['key']!r}, sources give {key!r}")
            seeds.append(rfc3797_seed(key))
        if "parties" in method.split("+"):
            reveals = {p: self.reveals[(plan_id, p)] for p in body["parties"]}
            seeds.append(parties_seed(reveals))
        seed = combined_seed(*seeds) if len(seeds) == 2 else seeds[0]
        if seed.hex() != body["seed"]:
            raise ReplayError(f"seed {body['seed']}, recomputed {seed.hex()}")
        self.say(f"record {seq} seed ({method}): {body['seed'][:16]}... reproduces")

    def seed_of(self, body: Json) -> bytes:
        ref = self.records[body["seed_record"]]
        sb = ref["body"]
        if ref["type"] != "seed" or sb["plan_id"] != body["plan_id"] or sb["seed"] != body["seed"]:
            raise ReplayError("the seed record named does not hold this plan's seed")
        if sb["method"] != body["seed_method"]:
            raise ReplayError("seed method differs from the seed record's")
        return bytes.fromhex(body["seed"])

    def check_plan(self, body: Json) -> None:
        got = sha256(b"drawcore/plan\x00" + cjson(body["plan"])).hex()
        if got != body["plan_hash"] or got != self.plans.get(body["plan_id"]):
            raise ReplayError(f"plan hashes to {got}, recorded {body['plan_hash']}")
        if plan_id_of(body["plan"]) != body["plan_id"]:
            raise ReplayError("plan_id differs from the plan's")

    def on_draw(self, seq: int, body: Json) -> None:
        """§11.2: replay a single draw: units (§9), then teams (§10)."""
        self.check_plan(body)
        seed = self.seed_of(body)
        plan = body["plan"]
        units = self.registry("units", plan["units"])
        inspectors = self.registry("inspectors", plan["inspectors"])
        experts = self.registry("experts", plan["experts"]) if plan.get("experts") else None
        if plan.get("items"):
            self.registry("items", plan["items"])
        weights = [r["risk_weight"] for r in units.rows]
        for uid, w in plan["weights"]:
            weights[units.index[uid]] = w
        excluded = [any(r[f] for f in plan["exclude_flags"]) for r in units.rows]
        for uid in plan["excluded"]:
            excluded[units.index[uid]] = True
        size: int | dict[str, int] = plan["size"]
        strata = None
        if plan.get("strata_field"):
            strata = stratum_labels(units, plan["strata_field"])
            size = dict(plan["stratum_sizes"])
        sample = sample_units(
            units.ids, weights, size, seed, f"{plan['plan_id']}/units",
            plan["mandatory"], excluded, strata,
        )  # fmt: skip
        expect(body["population"], len(units.ids), "population")
        expect(body["sample_fingerprint"], sample["fingerprint"], "sample_fingerprint")
        drawn = [
            {"probability": sample["probabilities"][units.index[u]], "unit_id": u}
            for u in sample["selected"]
        ]
        expect(body["units"], drawn, "units")
        self.say(
            f"record {seq} draw {plan['plan_id']}: {len(drawn)} units drawn from "
            f"{len(units.ids)} reproduce (ids and inclusion probabilities)"
        )
        needs = {r["unit_id"]: r for r in plan["requirements"]}
        tasks = []
        for uid in sample["selected"]:
            need = needs.get(uid, {})
            tasks.append(
                {
                    "unit_id": uid,
                    "team_size": plan["team_size"],
                    "expertise": need.get("expertise") or [],
                    "experts": need.get("experts", 0),
                    "expert_expertise": need.get("expert_expertise"),
                }
            )
        conflicts = [(c["inspector_id"], c["unit_id"], c["reason"]) for c in plan["conflicts"]]
        for rule in plan["recusal_rules"]:
            drawn_rows = [units.rows[units.index[u]] for u in sample["selected"]]
            conflicts.extend(recusals(rule, drawn_rows, inspectors))
        key = Key.derive(seed, f"{plan['plan_id']}/teams")
        pools = {"inspectors": Pool("inspectors", people(inspectors, "work_unit"), key)}
        pools["experts"] = Pool("experts", people(experts, "employer") if experts else [], key)
        teams = draw_teams(
            tasks, pools, seed, f"{plan['plan_id']}/teams", conflicts,
            {"inspectors": plan["max_tasks"], "experts": None}, plan["max_tasks_per_work_unit"],
        )  # fmt: skip
        expect(body["teams"], teams, "teams")
        self.say(f"record {seq} draw {plan['plan_id']}: {len(tasks)} teams reproduce "
                 "(processing order, candidates, recusals, replacements)")  # fmt: skip

    def on_annual_plan(self, seq: int, body: Json) -> None:
        """§12: what an annual plan record lets a replay check without the plugins."""
        self.check_plan(body)
        seed = self.seed_of(body)
        spec = body["plan"]
        if "parameters" not in spec:  # an earlier record format: only the chain and seed
            self.say(f"record {seq} annual_plan {body['plan_id']}: plan hash and seed; method "
                     f"{spec.get('method')!r} is not described by §12: NOT replayed")  # fmt: skip
            self.partial.append(seq)
            return
        if spec["method"] not in ANNUAL_METHODS:
            raise ReplayError(f"record {seq}: unknown annual-plan method {spec['method']!r}")
        if ("year" in body) != (spec["method"] != "drawcore.plan.plan_year/2"):
            raise ReplayError(f"record {seq}: method {spec['method']} has the other layout")
        result = plan_of(body)
        inputs = year_of(body)["inputs"] if "year" in body else None
        params = spec["parameters"]
        plan_id, year, n_rounds = params["draw_id"], params["year"], params["rounds"]
        for kind in ("units", "inspectors", "experts", "items"):
            self.registry(kind, spec[kind])
        units = self.registry("units", spec["units"])
        inspectors = self.registry("inspectors", spec["inspectors"])
        experts = self.registry("experts", spec["experts"])
        items = self.registry("items", spec["items"])
        expect(body["population"], len(units.ids), "population")
        expect(result["parameters"], params, "result.parameters")
        expect(result["commitment"], spec["commitment"], "result.commitment")
        expect(result["jurisdiction"], spec["jurisdiction"], "result.jurisdiction")
        expect(result["plugins"], spec["rules"], "result.plugins")
        periods = year_periods(year, n_rounds)
        as_of = date.fromisoformat(params["as_of"]) if params["as_of"] else None
        open_ = [as_of is None or end >= as_of for _, end in periods]
        expect([r["index"] for r in result["rounds"]], list(range(1, n_rounds + 1)), "rounds")
        excluded = {u["unit_id"] for u in result["excluded"]}
        times = {u["unit_id"]: 1 for u in result["mandatory"]}
        for u in result["key_supervision"]:
            times[u["unit_id"]] = max(times.get(u["unit_id"], 0), u["times"])
        if any(n > n_rounds for n in times.values()):
            raise ReplayError("a planned unit needs more rounds than the plan has")
        times = {u: min(n, sum(open_)) for u, n in times.items() if u not in excluded}
        kept_out = {u["unit_id"] for u in result["recently_inspected"]}
        for uid in kept_out:
            if units.rows[units.index[uid]]["last_inspected"] == NO_DATE:
                raise ReplayError(f"{uid}: kept out by a recent inspection it never had")
        starts = [s for s, _ in periods]
        firsts: dict[str, int] = {}
        if inputs is not None:
            expect(inputs["unit_ids"], units.ids, "inputs.unit_ids (every unit, ids ascending)")
            for uid, days in zip(inputs["unit_ids"], inputs["windows"], strict=True):
                firsts[uid] = first_round(last_iso(units, uid), days, starts)
            planned_any = {u["unit_id"] for u in result["mandatory"] + result["key_supervision"]}
            out = sorted(
                u for u, w in zip(inputs["unit_ids"], inputs["weights"], strict=True)
                if u not in excluded and u not in planned_any and w > 0 and firsts[u] >= n_rounds
            )  # fmt: skip
            expect(sorted(kept_out), out, "units kept out by a recent inspection (§12.1)")
        published = dict(result["yearly_probabilities"])
        caps: list[int] = []
        placed: list[list[str]] = []
        drawn: dict[str, int] = {}
        team_size = 2
        checked = flows = 0
        for rnd, (start, end) in zip(result["rounds"], periods, strict=True):
            r = rnd["index"] - 1
            where = f"round {r + 1}"
            span = [start.isoformat(), end.isoformat()]
            expect([rnd["start"], rnd["end"]], span, f"{where} dates")
            expect(rnd["draw_id"], f"{plan_id}/round-{r + 1}", f"{where} draw id")
            expect(rnd["open"], open_[r], f"{where} open")
            caps.append(rnd["capacity"])
            placed.append([])
            team_of = {a["unit_id"]: a for a in (rnd["team_draw"] or {}).get("assignments", [])}
            for t in rnd["tasks"]:
                uid = t["unit_id"]
                expect(t["round"], r + 1, f"{uid} round")
                row = units.rows[units.index[uid]]
                applies = [
                    it["item_id"] for it in items.rows
                    if (not it["industries"] or row["industry"] in it["industries"])
                    and (not it["subject_types"] or row["subject_type"] in it["subject_types"])
                ]  # fmt: skip
                expect(t["items"], applies, f"{uid} items (§12.1)")
                a = team_of.get(uid)
                got = [a["members"], a["experts"], a["visit_order"], a["visit_date"]] if a else None
                want = [t["inspectors"], t["experts"], t["visit_order"], t["visit_date"]]
                if got is not None or t["mode"] != "general":
                    expect(want, got, f"{uid}: task and team draw")
                for part in a["parts"] if a else ():
                    if part["pool"] != EXPERTS:
                        team_size = max(team_size, part["size"])
                if t["kind"] == "planned":
                    placed[r].append(uid)
                    expect(t["probability"], 1.0, f"planned task {uid} probability")
                elif uid in excluded or uid in times or uid in drawn:
                    raise ReplayError(f"{uid}: drawn in {where} but not drawable (§12.1)")
                else:
                    drawn[uid] = r
                    expect(t["probability"], published.get(uid), f"{uid} yearly probability")
            td = rnd["team_draw"]
            if td is None:
                continue
            days = [start + timedelta(k) for k in range((end - start).days + 1)]
            dates = [d for d in days if d.weekday() < 5]
            c, f = check_team_walk(td, seed, inspectors, experts, params["tasks_per_inspector"],
                                   dates, amendment_caps(params, r + 1))  # fmt: skip
            checked, flows = checked + c, flows + f
        planned_times: dict[str, int] = {}
        for uids in placed:
            for uid in uids:
                planned_times[uid] = planned_times.get(uid, 0) + 1
        expect(dict(sorted(planned_times.items())), dict(sorted(times.items())), "planned times")
        if inputs is not None:
            team_size = max(inputs["team_sizes"], default=2)
        self.check_capacities(params, caps, open_, inspectors, team_size)
        once = check_once_a_year(result, units, year)
        regs = [units, inspectors, experts, items]
        expect(spec["commitment"], year_commitment(spec, result, caps, regs), "commitment (§12.1)")
        self.check_declared(spec, result)
        tasks = [t for rnd in result["rounds"] for t in rnd["tasks"]]
        double = sum(t["kind"] == "drawn" and t["mode"] in DOUBLE_RANDOM for t in tasks)
        share = double / len(tasks) if tasks else 0.0
        expect(result["double_random_share"], share, "double_random_share")
        if kept_out & (set(published) | set(drawn)):
            raise ReplayError("a unit kept out by a recent inspection is in the year's draw")
        if inputs is not None:
            fallback = f"; {flows} part(s) by the max-flow fallback: members NOT re-derived"
            fallback = fallback if flows else ""
            notes = self.check_weighed_draw(body, inputs, seed, (times, excluded, firsts), drawn,
                                            caps, placed)  # fmt: skip
            windows = dict(zip(inputs["unit_ids"], inputs["windows"], strict=True))
            plan = [{"id": u, "times": n, "last": last_iso(units, u), "days": windows[u]}
                    for u, n in times.items()]  # fmt: skip
            notes += self.check_windowed_placement(plan_id, seed, (plan, firsts), drawn, caps,
                                                   placed, starts)  # fmt: skip
            self.say(
                f"record {seq} annual_plan {plan_id}: plan hash, seed, registries, commitment, "
                "parameters, rounds, capacities (teams of the recorded sizes), items, planned "
                f"times, the once-a-year rule ({once} units), declared conflicts and office "
                "teams, the units kept out by their recent-inspection windows; "
                + "; ".join(notes)
                + f"; {checked} team parts re-walked, the conflict and expertise reasons met "
                "taken from the record (the rules decide them, §12.3)" + fallback
            )
            if flows:
                self.partial.append(seq)
            return
        notes = self.check_year_draw(body, seed, times, drawn, caps, placed)
        notes += self.check_placement(plan_id, seed, times, drawn, caps, placed, units, periods)
        self.say(
            f"record {seq} annual_plan {plan_id}: plan hash, seed, registries, commitment, "
            "parameters, rounds, capacities, items, planned times, "
            f"the once-a-year rule ({once} units), declared conflicts and office teams; "
            + "; ".join(notes)
            + "; "
            f"{checked} team parts re-walked from their recorded reasons"
            + (f" ({flows} by the max-flow fallback: members not re-derived)" if flows else "")
            + "; the rules' weights, windows, conflicts and expertise NOT checked (§12.3)"
        )
        self.partial.append(seq)

    def check_declared(self, spec: Json, result: Json) -> None:
        """§12.1: declared conflicts bind every team; a general task's team is the office's."""
        banned = {(c["inspector_id"], c["unit_id"]) for c in spec["conflicts"]}
        office = {u: list(m) for u, m in spec["office_teams"]}
        for rnd in result["rounds"]:
            for t in rnd["tasks"]:
                uid, team = t["unit_id"], t["inspectors"] + t["experts"]
                if any((i, uid) in banned for i in team):
                    raise ReplayError(f"{uid}: a declared conflict is in its team (§12.1)")
                if t["mode"] == "general":
                    want = office.get(uid, [])
                    expect([t["office_team"], t["inspectors"]], [bool(want), want],
                           f"{uid}: the office's team (§12.1)")  # fmt: skip

    def check_capacities(
        self, params: Json, caps: list[int], open_: list[bool], inspectors: Registry, team: int
    ) -> None:
        """§12.1: the committed capacity, or at most what the active inspectors give."""
        if params.get("amendment"):
            self.check_amendment_room(params, caps, open_, inspectors, team)
            return
        if params["capacity"] is not None:
            given = list(params["capacity"]) * (1 if len(params["capacity"]) > 1 else len(caps))
            want = [c if o else 0 for c, o in zip(given, open_, strict=True)]
            expect(caps, want, "round capacities")
            return
        active = sum(1 for r in inspectors.rows if r["active"] is True)
        most = active * params["tasks_per_inspector"] // team
        same = [c for c, o in zip(caps, open_, strict=True) if o][:1]
        for r, (c, o) in enumerate(zip(caps, open_, strict=True)):
            if (c > most or [c] != same) if o else c != 0:
                raise ReplayError(f"round {r + 1}: capacity {c}, {active} active inspectors "
                                  f"with teams of {team} give at most {most}")  # fmt: skip

    def check_amendment_room(
        self, params: Json, caps: list[int], open_: list[bool], inspectors: Registry, team: int
    ) -> None:
        """§12.1 Amendments: no round holds more than the amended plan leaves it."""
        a = params["amendment"]
        active = [r["inspector_id"] for r in inspectors.rows if r["active"] is True]
        per = params["tasks_per_inspector"]
        own = params["capacity"] or [len(active) * per // team]
        own = list(own) * (1 if len(own) > 1 else len(caps))
        for r, (c, o) in enumerate(zip(caps, open_, strict=True)):
            left = amendment_caps(params, r + 1)
            seats = sum(left.get(i, per) for i in active)
            most = min(own[r], a["capacity"][r] - a["taken"][r], seats // team)
            if (c > max(most, 0)) if o else c != 0:
                raise ReplayError(f"round {r + 1}: capacity {c}, the amended plan leaves "
                                  f"room for {max(most, 0)} (§12.1 Amendments)")  # fmt: skip

    def check_amendment_draw(
        self, params: Json, result: Json, seed: bytes, times: dict[str, int], drawn: dict[str, int]
    ) -> list[str]:
        """§12.1 Amendments: every pool unit drawn independently, when U < p."""
        yearly, published = result["yearly"], dict(result["yearly_probabilities"])
        draw_id = f"{params['draw_id']}/amendment"
        expect([yearly["draw_id"], yearly["method"], yearly["fingerprint"]],
               [draw_id, "poisson/1", None], "yearly (amendment)")  # fmt: skip
        pool = sorted(u for u in published if u not in times)
        share = params["amendment"]["share"]
        if any(not 0.0 < published[u] <= share for u in pool):
            raise ReplayError("an amendment's probability is not in (0, share]")
        key = Key.derive(seed, draw_id)
        chosen = [u for u in pool if to_uniform(key.hash_id(u)) < published[u]]
        expect(sorted(drawn), chosen, "units drawn by the amendment (§12.1)")
        expect(yearly["size"], len(chosen), "yearly.size")
        return [
            f"the amendment's draw: {len(chosen)} of {len(pool)} units re-drawn from the "
            "published probabilities (weights and scale not checked)"
        ]

    def check_year_draw(
        self,
        body: Json,
        seed: bytes,
        times: dict[str, int],
        drawn: dict[str, int],
        caps: list[int],
        placed: list[list[str]],
    ) -> list[str]:
        """§12.1 step 2: size, then the draw re-run from the published probabilities."""
        params, result = body["plan"]["parameters"], plan_of(body)
        if params.get("amendment") and params["random_ratio"] is None:
            return self.check_amendment_draw(params, result, seed, times, drawn)
        yearly, published = result["yearly"], dict(result["yearly_probabilities"])
        expect(yearly["draw_id"], f"{params['draw_id']}/year", "yearly.draw_id")
        for uid in times:
            expect(published.get(uid), 1.0, f"{uid} yearly probability (planned)")
        pool = sorted(u for u in published if u not in times)
        excluded = {u["unit_id"] for u in result["excluded"]}
        if excluded & set(pool):
            raise ReplayError("an excluded unit has a published yearly probability")
        eligible = yearly["eligible"]
        size = min(sum(c - len(p) for c, p in zip(caps, placed, strict=True)), eligible)
        if params["random_ratio"] is not None:
            size = min(size, round(params["random_ratio"] * eligible))
        expect(yearly["size"], size, "yearly.size")
        expect(len(drawn), size, "units drawn for the year")
        if size == 0:
            expect([yearly["method"], yearly["fingerprint"], pool], [None, None, []], "yearly")
            return ["the year's draw is empty"]
        expect(yearly["method"], UNIT_METHOD, "yearly.method")
        expect(len(pool), eligible, "units with a published yearly probability (eligible)")
        pi = [published[u] for u in pool]
        if any(not 0.0 < p <= 1.0 for p in pi) or sum(map(Fraction, pi)) != size:
            raise ReplayError("the published yearly probabilities do not sum to the size")
        got = sample_units(pool, pi, size, seed, yearly["draw_id"])
        expect(got["probabilities"], pi, "yearly probabilities on the lattice (§12.2)")
        expect(sorted(drawn), got["selected"], "units drawn for the year (§12.2)")
        return [
            f"the year's draw: {size} of {eligible} units re-drawn from the published yearly "
            "probabilities (fingerprint and weights not checked)"
        ]

    def check_weighed_draw(
        self,
        body: Json,
        inputs: Json,
        seed: bytes,
        decided: tuple[dict[str, int], set[str], dict[str, int]],
        drawn: dict[str, int],
        caps: list[int],
        placed: list[list[str]],
    ) -> list[str]:
        """§12.1 step 2 from the recorded weights: pool, size, π, fingerprint, selection."""
        times, excluded, firsts = decided
        params, result = body["plan"]["parameters"], plan_of(body)
        if params.get("amendment") and params["random_ratio"] is None:
            return self.check_amendment_draw(params, result, seed, times, drawn)
        yearly, published = result["yearly"], dict(result["yearly_probabilities"])
        expect(yearly["draw_id"], f"{params['draw_id']}/year", "yearly.draw_id")
        planned_any = {u["unit_id"] for u in result["mandatory"] + result["key_supervision"]}
        rounds = len(caps)
        weight = dict(zip(inputs["unit_ids"], inputs["weights"], strict=True))
        pool = [
            u for u in inputs["unit_ids"]
            if u not in excluded and u not in planned_any and weight[u] > 0 and firsts[u] < rounds
        ]  # fmt: skip
        expect(yearly["eligible"], len(pool), "yearly.eligible (§12.1 step 2)")
        size = min(sum(c - len(p) for c, p in zip(caps, placed, strict=True)), len(pool))
        if params["random_ratio"] is not None:
            size = min(size, round(params["random_ratio"] * len(pool)))
        expect(yearly["size"], size, "yearly.size")
        expect(len(drawn), size, "units drawn for the year")
        want = dict.fromkeys(times, 1.0)
        if size == 0 or not pool:
            expect([yearly["method"], yearly["fingerprint"]], [None, None], "yearly")
            expect(published, want, "yearly probabilities (nothing drawn)")
            return ["the year's draw is empty"]
        got = sample_units(pool, [weight[u] for u in pool], size, seed, yearly["draw_id"])
        expect(yearly["method"], UNIT_METHOD, "yearly.method")
        expect(yearly["fingerprint"], got["fingerprint"], "yearly.fingerprint (§9.8)")
        want.update((u, p) for u, p in zip(pool, got["probabilities"], strict=True) if p > 0)
        expect(dict(sorted(published.items())), dict(sorted(want.items())),
               "yearly probabilities (§12.1)")  # fmt: skip
        expect(sorted(drawn), got["selected"], "units drawn for the year (§12.1)")
        return [
            f"the year's draw: {size} of {len(pool)} units re-drawn from the recorded weights "
            "(probabilities, fingerprint and selection reproduce)"
        ]

    def check_windowed_placement(
        self,
        plan_id: str,
        seed: bytes,
        decided: tuple[list[Json], dict[str, int]],
        drawn: dict[str, int],
        caps: list[int],
        placed: list[list[str]],
        starts: list[date],
    ) -> list[str]:
        """§12.1 steps 1 and 3 with every unit's first round from its recorded window."""
        plan, firsts = decided
        key = Key.derive(seed, plan_id)
        got, _ = place(plan, starts, caps, key)
        room = [c - len(p) for c, p in zip(caps, placed, strict=True)]
        ids = sorted(drawn)
        rounds, _ = place_drawn(ids, [firsts[u] for u in ids], room, key)
        expect([sorted(p) for p in got], [sorted(p) for p in placed], "planned units' rounds")
        expect(rounds, [drawn[u] for u in ids], "drawn units' rounds (§12.1 step 3)")
        return ["round placement of planned and drawn units reproduces (windows recorded)"]

    def check_placement(
        self,
        plan_id: str,
        seed: bytes,
        times: dict[str, int],
        drawn: dict[str, int],
        caps: list[int],
        placed: list[list[str]],
        units: Registry,
        periods: list[tuple[date, date]],
    ) -> list[str]:
        """§12.1 steps 1 and 3, with every unit's first allowed round taken as round 1:
        exact when no recent-inspection window reaches into the year (§12.3)."""
        key = Key.derive(seed, plan_id)
        start = periods[0][0].toordinal() - 719163
        last = [units.rows[units.index[u]]["last_inspected"] for u in [*times, *drawn]]
        seen = [d for d in last if d != NO_DATE]
        plan = [{"id": u, "times": n, "last": None, "days": 0} for u, n in times.items()]
        starts = [s for s, _ in periods]
        got, _ = place(plan, starts, caps, key)
        room = [c - len(p) for c, p in zip(caps, placed, strict=True)]
        rounds, _ = place_drawn(sorted(drawn), [0] * len(drawn), room, key)
        if [sorted(p) for p in got] != [sorted(p) for p in placed] or rounds != [
            drawn[u] for u in sorted(drawn)
        ]:
            if not seen:  # no window can apply: the placement must reproduce
                raise ReplayError("round placement (§12.1) does not reproduce")
            return ["round placement NOT reproduced with every unit allowed from the first round "
                    "(recent-inspection windows reach into the year?)"]  # fmt: skip
        exact = "exact: none of them was ever inspected"
        if seen:
            exact = f"exact when every recent-inspection window is at most {start - max(seen)} days"
        return [
            "round placement of planned and drawn units reproduces with every unit allowed "
            f"from the first round ({exact})"
        ]


def stratum_labels(units: Registry, field: str) -> list[str]:
    """§9.7: a text value, an enum's value, or "true"/"false"."""
    spec = next(f for f in units.fields if f[0] == field)
    col = [r[field] for r in units.rows]
    if spec[1] == ENUM:
        return [spec[4][c] for c in col]
    if spec[1] == BOOL:
        return ["true" if c else "false" for c in col]
    return [str(c) for c in col]


def recusals(rule: str, drawn: list[dict[str, Any]], inspectors: Registry) -> list[Any]:
    """§10.1: the township and work_unit recusal rules (active inspectors only)."""
    field, text = {
        "township": ("township", "home township is the unit's township"),
        "work_unit": ("work_unit", "work unit is the unit's township"),
    }[rule]
    by_town: dict[str, list[str]] = {}
    for r in inspectors.rows:
        if r["active"] and r[field]:
            by_town.setdefault(r[field], []).append(r["inspector_id"])
    reason = f"recusal: {text} (BL-5 回避)"
    town = by_town.get
    return [(i, u["unit_id"], reason) for u in drawn for i in sorted(town(u["township"], []))]


def amendment_caps(params: Json, round_index: int) -> dict[str, int]:
    """§12.1 Amendments: a person's tasks left in a round, where the plan it amends
    (and earlier amendments) already hold some; everyone else keeps the full cap."""
    held = (params.get("amendment") or {}).get("held", [])
    per = params["tasks_per_inspector"]
    return {p: max(per - n, 0) for r, p, n in held if r == round_index}


def check_team_walk(
    td: Json,
    seed: bytes,
    inspectors: Registry,
    experts: Registry,
    cap: int,
    dates: list[date],
    caps: dict[str, int] | None = None,
) -> tuple[int, int]:
    """§12.2: re-walk each recorded part, taking recusal/expertise reasons from the record.

    Checks the processing order, that the candidates are the head of the candidate
    order, that drawn, members, positions and replacements follow from the walk, that
    workload-cap reasons are exactly where the counts reach the cap, and the visit
    order and dates of key inspections.
    """
    key = Key.derive(seed, td["draw_id"])
    pools = {
        "inspectors": Pool("inspectors", people(inspectors, "work_unit"), key),
        "experts": Pool("experts", people(experts, "employer"), key),
    }
    okey = key.child("order")
    byid = {a["unit_id"]: a for a in td["assignments"]}
    order = sorted(byid, key=lambda u: (okey.hash_id(u), u))
    expect(td["processing_order"], order, f"{td['draw_id']} processing_order")
    counts = {n: [0] * len(p.ids) for n, p in pools.items()}
    checked = flows = 0
    for name, pool in pools.items():
        text = "max_expert_tasks" if name == "experts" else "max_tasks"
        for uid in order:
            for part in byid[uid]["parts"]:
                if part["pool"] != name:
                    continue
                cands = list(head(pool.candidates(uid), len(part["candidates"])))
                expect(part["candidates"], [pool.ids[c] for c in cands], f"{uid} candidates")
                given = {p["inspector_id"]: p["reason"] for p in part["passed_over"]}
                team: list[int] = []
                passed = []
                for k, c in enumerate(cands):
                    why = given.get(pool.ids[c])
                    kind = reason_kind(why)
                    if kind == "conflict":
                        passed.append((c, k, str(why)))
                    elif counts[name][c] >= (lim := (caps or {}).get(pool.ids[c], cap)):
                        passed.append((c, k, f"unavailable: workload cap reached ({text}={lim})"))
                    elif kind == "cap":
                        raise ReplayError(f"{uid}: {pool.ids[c]} passed over for a cap not reached")
                    elif kind is not None:
                        passed.append((c, k, str(why)))
                    else:
                        team.append(c)
                        counts[name][c] += 1
                flow = part["method"] == "max_flow"
                final = [pool.index[m] for m in part["members"]] if flow else None
                flows += flow
                expect(part, pool_record(pool, part["size"], cands, team, passed, final),
                       f"{uid} part")  # fmt: skip
                checked += 1
        final_load: dict[str, int] = {}
        for a in td["assignments"]:
            for part in a["parts"]:
                for m in part["members"] if part["pool"] == name else ():
                    final_load[m] = final_load.get(m, 0) + 1
        if any(n > (caps or {}).get(m, cap) for m, n in final_load.items()):
            raise ReplayError(f"{td['draw_id']}: a member of pool {name} is above the cap {cap}")
    tasks = [{"unit_id": u, "mode": a["mode"]} for u, a in byid.items()]
    parts = {u: a["parts"] for u, a in byid.items()}
    expect(td, team_record(tasks, [{"unit_id": u, "mode": byid[u]["mode"]} for u in order],
                           parts, key, dates, td["draw_id"]), td["draw_id"])  # fmt: skip
    return checked, flows


def reason_kind(why: str | None) -> str | None:
    """§10.4: which check a recorded pass-over reason comes from."""
    if why is None:
        return None
    if why.startswith("unavailable: workload cap reached"):
        return "cap"
    if why.startswith(("unavailable: work unit", "ineligible: lacks", "skipped: ")):
        return "later"
    return "conflict"


def head(values: Iterable[int], n: int) -> Iterable[int]:
    for k, v in enumerate(values):
        if k >= n:
            return
        yield v


# ---------------------------------------------------------------- §12.1 round placement


def shuffle(stream: Stream, items: list[int]) -> list[int]:
    """§7.3: Fisher-Yates from the end."""
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = stream.below(i + 1)
        out[i], out[j] = out[j], out[i]
    return out


def fits(caps: Sequence[int], demand: Sequence[int]) -> bool:
    """§12.1: units needing t distinct rounds (demand[t] of them) fit the capacities."""
    rounds, total = len(caps), sum(t * n for t, n in enumerate(demand))
    smallest, covered = sorted(caps), 0
    for b in range(rounds + 1):
        if covered + sum(n * min(t, rounds - b) for t, n in enumerate(demand)) < total:
            return False
        covered += smallest[b] if b < rounds else 0
    return True


def place(units: list[Json], starts: list[date], caps: list[int], key: Key) -> tuple[Json, Json]:
    """§12.1: planned units into distinct rounds, most constrained first."""
    rounds = len(starts)
    placed: list[list[str]] = [[] for _ in range(rounds)]
    inside: list[str] = []
    planned = [u for u in units if u["times"] > 0]
    demand = [0] * (rounds + 1)
    for u in planned:
        demand[u["times"]] += 1
    if not fits(caps, demand):
        raise ReplayError("the planned units do not fit the rounds")
    okey = key.child("placement-order")
    remaining = list(caps)
    for u in sorted(planned, key=lambda u: (-u["times"], okey.hash_id(u["id"]), u["id"])):
        times, last = u["times"], u["last"] and date.fromisoformat(u["last"])
        demand[times] -= 1
        outside = [not last or u["days"] <= 0 or (s - last).days >= u["days"] for s in starts]
        open_rounds = [r for r in range(rounds) if remaining[r] > 0]
        stream = key.child(f"placement/{u['id']}").stream()
        chosen = None
        for pool in ([r for r in open_rounds if outside[r]], open_rounds):
            if len(pool) < times:
                continue
            for _ in range(4):
                pick = shuffle(stream, pool)[:times]
                if fits([c - (r in pick) for r, c in enumerate(remaining)], demand):
                    chosen = pick
                    break
            if chosen is not None:
                break
        if chosen is None:
            tie = shuffle(stream, open_rounds)
            chosen = sorted(open_rounds, key=lambda r: (-remaining[r], tie.index(r)))[:times]
        if not all(outside[r] for r in chosen):
            inside.append(u["id"])
        for r in chosen:
            placed[r].append(u["id"])
            remaining[r] -= 1
    return placed, sorted(inside)


def record_values(registry: Registry) -> list[dict[str, Any]]:
    """§12.1: a registry's records as drawcore's values (enum names, ISO dates, null)."""
    out = []
    for row in registry.rows:
        value: dict[str, Any] = {}
        for name, kind, _, _, members, _ in registry.fields:
            cell = row[name]
            if kind == ENUM:
                cell = members[cell]
            elif kind == DATE:
                cell = None if cell == NO_DATE else date.fromordinal(cell + 719163).isoformat()
            elif kind == YEAR:
                cell = cell or None
            value[name] = cell
        out.append(value)
    return out


def content_fingerprint(registry: Registry) -> str:
    """§12.1: SHA256("drawcore/<kind>/1\0" || canonical(records sorted by id))."""
    data = cjson(record_values(registry))
    return sha256(f"drawcore/{registry.kind}/1\x00".encode() + data).hex()


def year_commitment(spec: Json, result: Json, caps: list[int], regs: list[Registry]) -> str:
    """§12.1: the commitment hash, from the spec, the record's decisions and the snapshots:
    under method /4 the registries are named by their snapshots' fingerprints (§8.3),
    under earlier methods by their records (content fingerprints)."""
    by_snapshot = spec["method"] == "drawcore.plan.plan_year/4"
    declared = sorted(
        spec["conflicts"], key=lambda c: (c["inspector_id"], c["unit_id"], c["reason"])
    )
    value = {
        "parameters": spec["parameters"],
        "jurisdiction": spec["jurisdiction"],
        "plugins": spec["rules"],
        "capacities": caps,
        **{r.kind: r.fingerprint() if by_snapshot else content_fingerprint(r) for r in regs},
        "declared_conflicts": sha256(b"drawcore/declared-conflicts/1\x00" + cjson(declared)).hex(),
        "office_teams": sha256(b"drawcore/office-teams/1\x00" + cjson(spec["office_teams"])).hex(),
        **{k: result[k] for k in ("mandatory", "excluded", "key_supervision", "waived")},
    }
    domain = b"drawcore/year-commitment/3" if by_snapshot else b"drawcore/year-commitment/2"
    return sha256(domain + b"\x00" + cjson(value)).hex()


ONCE_A_YEAR = "每年至少检查一次: "


def once_a_year_reasons(row: dict[str, Any], year: int) -> list[str]:
    """§12.1: the core's once-a-year (NAT-7) reason texts for one unit."""
    out = []
    levels = next(f[4] for f in SCHEMAS["units"][1] if f[0] == "risk_level")
    level = levels[row["risk_level"]]
    if level in ("high", "major"):
        out.append(f"安全风险等级高 high safety-risk level ({level})")
    accident = row["fatal_accident_year"]
    if accident and year - 3 < accident <= year:
        out.append(f"近三年发生生产安全死亡事故 fatal accident in {accident} "
                   f"(last three years: {year - 2}-{year})")  # fmt: skip
    if row["joint_punishment"]:
        out.append("失信联合惩戒对象 under joint punishment for dishonesty")
    if row["blacklisted"]:
        out.append("安全生产黑名单 on the work-safety blacklist")
    return sorted(ONCE_A_YEAR + t for t in out)


def check_once_a_year(result: Json, units: Registry, year: int) -> int:
    """§12.1: the units the core's rule names are mandatory or waived, with its reasons."""
    recorded: dict[str, list[str]] = {}
    for kind in ("mandatory", "waived"):
        for entry in result[kind]:
            texts = [r["text"] for r in entry["reasons"]
                     if r["clause"] == "NAT-7" and r["plugin"] == "drawcore"]  # fmt: skip
            if texts or kind == "mandatory":
                recorded[entry["unit_id"]] = sorted(texts)
    named = 0
    for row in units.rows:
        want = once_a_year_reasons(row, year)
        named += bool(want)
        got = recorded.get(row["unit_id"], [])
        if want or got:
            expect(got, want, f"{row['unit_id']}: once-a-year reasons (NAT-7)")
    return named


def plan_id_of(plan: Json) -> str:
    """A draw plan's ``plan_id``; an annual plan's is its parameters' ``draw_id`` (§12.1)."""
    return str(plan["parameters"]["draw_id"] if "parameters" in plan else plan["plan_id"])


def year_periods(year: int, rounds: int) -> list[tuple[date, date]]:
    """§12.1: whole months, round r starting on day 1 of month 1 + r * 12 / rounds."""
    months = 12 // rounds
    starts = [date(year, 1 + r * months, 1) for r in range(rounds)]
    ends = [s - timedelta(1) for s in [*starts[1:], date(year + 1, 1, 1)]]
    return list(zip(starts, ends, strict=True))


def last_iso(units: Registry, uid: str) -> str | None:
    """A unit's ``last_inspected`` as ISO 8601, or ``None`` (§8.2)."""
    day = units.rows[units.index[uid]]["last_inspected"]
    return None if day == NO_DATE else date.fromordinal(day + 719163).isoformat()


def first_round(last: str | None, days: int, starts: list[date]) -> int:
    """§12.1: the first round starting on or after last + days (0 if never inspected)."""
    if not last:
        return 0
    ok = date.fromordinal(date.fromisoformat(last).toordinal() + days)
    return next((r for r, s in enumerate(starts) if s >= ok), len(starts))


def place_drawn(
    ids: list[str], first_round: list[int], room: list[int], key: Key
) -> tuple[list[int], list[str]]:
    """§12.1 step 3: each drawn unit into one round, with probability proportional to room."""
    rounds, left = len(room), list(room)
    if sum(left) < len(ids):
        raise ReplayError(f"{len(ids)} drawn units, room for {sum(left)}")
    okey = key.child("round-order")
    order = sorted(range(len(ids)), key=lambda j: (-first_round[j], okey.hash_id(ids[j]), ids[j]))
    out, inside = [0] * len(ids), []
    for j in order:
        pool = [r for r in range(first_round[j], rounds) if left[r] > 0]
        if not pool:
            inside.append(ids[j])
            pool = [max(range(rounds), key=lambda r: (left[r], -r))]
        pick = key.child(f"round/{ids[j]}").stream().below(sum(left[r] for r in pool))
        for r in pool:
            if pick < left[r]:
                break
            pick -= left[r]
        out[j] = r
        left[r] -= 1
    return out, sorted(inside)


# ---------------------------------------------------------------- §13 test vectors


def run_vector(v: Json) -> None:
    kind, inp = v["kind"], v["inputs"]
    if kind == "unit_draw":
        got = sample_units(
            inp["ids"], inp["weights"], inp["size"], bytes.fromhex(inp["seed_hex"]),
            inp["draw_id"], inp.get("mandatory"), inp.get("excluded"), inp.get("strata"),
        )  # fmt: skip
        expect(v["intermediate"], {"key": got["key"], "strata": got["strata"]}, "intermediate")
        expect(v["result"], {k: got[k] for k in ("selected", "probabilities", "fingerprint")},
               "result")  # fmt: skip
    elif kind == "team_draw":
        seed = bytes.fromhex(inp["seed_hex"])
        key = Key.derive(seed, inp["draw_id"])
        pools = {
            "inspectors": Pool("inspectors", [(p["id"], p["work_unit"], p["expertise"])
                                              for p in inp["inspectors"] if p["active"]], key),
            "experts": Pool("experts", [(p["id"], p["work_unit"], p["expertise"])
                                        for p in inp["experts"] if p["active"]], key),
        }  # fmt: skip
        orders = {
            f"{name}/{t['unit_id']}": [pool.ids[c] for c in pool.candidates(t["unit_id"])]
            for t in inp["tasks"]
            for name, pool in pools.items()
            if pool.ids
        }
        expect(v["intermediate"]["candidate_orders"], orders, "candidate orders")
        dates = [date.fromisoformat(d) for d in inp.get("dates", [])]
        got = draw_teams(
            inp["tasks"], pools, seed, inp["draw_id"], [tuple(c) for c in inp["conflicts"]],
            {"inspectors": inp["max_tasks"], "experts": inp.get("max_expert_tasks")},
            inp["max_tasks_per_work_unit"], dates,
        )  # fmt: skip
        expect(v["result"], got, "result")
    elif kind == "key":
        seed = bytes.fromhex(inp["seed_hex"])
        key = Key.derive(seed, inp["draw_id"])
        child = key.child(inp["label"])
        stream = child.stream()
        words = [stream.next_u64() for _ in range(inp["words"])]
        below = [child.child("below").stream().below(n) for n in inp["below"]]
        got = {
            "key": key.raw.hex(),
            "child": child.raw.hex(),
            "words": [f"{w:016x}" for w in words],
            "uniforms": [to_uniform(w) for w in words],
            "below": below,
            "hash_ids": [f"{child.hash_id(u):016x}" for u in inp["ids"]],
            "mix": [f"{child.mix(*row):016x}" for row in inp["mix_rows"]],
        }
        expect(v["result"], got, "result")
    elif kind == "seed":
        rfc = rfc3797_key(inp["sources"])
        reveals = {p: bytes.fromhex(c) for p, c in inp["parties"].items()}
        got = {
            "key": rfc,
            "select": rfc3797_select(rfc, inp["pool"], inp["count"]),
            "rfc3797_seed": rfc3797_seed(rfc).hex(),
            "parties_seed": parties_seed(reveals).hex(),
            "combined_seed": combined_seed(rfc3797_seed(rfc), parties_seed(reveals)).hex(),
            "commitments": {
                p: hashlib.sha256(bytes.fromhex(c) + bytes.fromhex(inp["salts"][p])).hexdigest()
                for p, c in inp["parties"].items()
            },
        }
        expect(v["result"], got, "result")
    elif kind == "placement":
        starts = [date.fromisoformat(d) for d in inp["round_starts"]]
        key = Key.derive(bytes.fromhex(inp["seed_hex"]), inp["draw_id"])
        placed, inside = place(inp["units"], starts, inp["capacities"], key)
        expect(v["result"], {"placed": placed, "inside_window": inside}, "result")
    elif kind == "round_placement":
        starts = [date.fromisoformat(d) for d in inp["round_starts"]]
        key = Key.derive(bytes.fromhex(inp["seed_hex"]), inp["draw_id"])
        first = [first_round(u["last"], u["days"], starts) for u in inp["units"]]
        expect(v["intermediate"], {"first_rounds": first}, "intermediate")
        ids = [u["id"] for u in inp["units"]]
        rounds, inside = place_drawn(ids, first, inp["room"], key)
        expect(v["result"], {"rounds": rounds, "inside_window": inside}, "result")
    elif kind == "year_draw":
        starts = [date.fromisoformat(d) for d in inp["round_starts"]]
        caps, rows = inp["capacities"], inp["units"]
        key = Key.derive(bytes.fromhex(inp["seed_hex"]), inp["plan_id"])
        firsts = [first_round(r["last"], r["window"], starts) for r in rows]
        expect(v["intermediate"]["first_rounds"], firsts, "first_rounds")
        plan = [{"id": r["id"], "times": r["times"], "last": r["last"], "days": r["window"]}
                for r in rows if r["times"] > 0 and not r["excluded"]]  # fmt: skip
        placed, _ = place(plan, starts, caps, key)
        pool = [
            (r["id"], r["weight"])
            for r, f in zip(rows, firsts, strict=True)
            if not r["excluded"] and r["times"] == 0 and r["weight"] > 0 and f < len(caps)
        ]
        room = [c - len(p) for c, p in zip(caps, placed, strict=True)]
        size = min(sum(room), len(pool))
        if inp["random_ratio"] is not None:
            size = min(size, round(inp["random_ratio"] * len(pool)))
        expect(v["intermediate"], {"first_rounds": firsts, "eligible": len(pool), "size": size},
               "intermediate")  # fmt: skip
        ids = [u for u, _ in pool]
        seed = bytes.fromhex(inp["seed_hex"])
        got = sample_units(ids, [w for _, w in pool], size, seed, f"{inp['plan_id']}/year")
        first_of = dict(zip([r["id"] for r in rows], firsts, strict=True))
        rounds, _ = place_drawn(got["selected"], [first_of[u] for u in got["selected"]], room, key)
        published = {u: 1.0 for p in placed for u in p}
        published.update((u, p) for u, p in zip(ids, got["probabilities"], strict=True) if p > 0)
        yearly = [[u, p] for u, p in sorted(published.items())]
        expect(v["result"], {
            "yearly_probabilities": yearly,
            "fingerprint": got["fingerprint"] if size else None,
            "planned": [sorted(p) for p in placed],
            "drawn": dict(zip(got["selected"], rounds, strict=True)),
        }, "result")  # fmt: skip
    elif kind == "merkle":
        leaves = [bytes.fromhex(x) for x in inp["leaves_hex"]]
        got = {"roots": [merkle_root(leaves[:n]).hex() for n in range(len(leaves) + 1)]}
        expect(v["result"], got, "result")
    elif kind == "canonical":
        lines = [cjson(x) for x in inp["values"]]
        expect(v["result"], {"bytes_hex": [b.hex() for b in lines],
                             "plan_hashes": [sha256(b"drawcore/plan\x00" + b).hex()
                                             for b in lines]}, "result")  # fmt: skip
    else:
        raise ReplayError(f"unknown vector kind {kind!r}")


def run_vectors(directory: Path) -> int:
    files = sorted(directory.glob("*.json"))
    if not files:
        print(f"no vectors in {directory}")
        return 1
    for path in files:
        try:
            run_vector(json.loads(path.read_text(encoding="utf-8")))
        except ReplayError as err:
            print(f"MISMATCH {path.name}: {err}")
            return 1
        print(f"ok {path.name}")
    print(f"{len(files)} vectors reproduce")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("journal", nargs="?", type=Path)
    ap.add_argument("--registry-dir", type=Path)
    ap.add_argument("--checkpoints", type=Path, help="checkpoint file (one JSON line each)")
    ap.add_argument("--vectors", type=Path, help="directory of test vectors (§13)")
    ap.add_argument(
        "--strict", action="store_true", help="exit 2 if a record is only partly replayable"
    )
    args = ap.parse_args(argv)
    if args.vectors is not None:
        return run_vectors(args.vectors)
    if args.journal is None:
        ap.error("give a JOURNAL or --vectors DIR")
    replayer = Replayer(args.journal, args.registry_dir, print)
    try:
        lines = replayer.run()
        print(f"merkle root ({len(lines)} records): {merkle_root(lines).hex()}")
        if args.checkpoints is not None:
            for raw in args.checkpoints.read_text(encoding="utf-8").splitlines():
                cp = json.loads(raw)
                if cp["size"] > len(lines):
                    raise ReplayError(f"checkpoint of {cp['size']} records: journal truncated")
                if merkle_root(lines[: cp["size"]]).hex() != cp["root"]:
                    raise ReplayError(f"checkpoint of {cp['size']} records: root differs (rewrite)")
                signed = " (signature not checked)" if cp.get("signature") else ""
                print(f"checkpoint size {cp['size']} at {cp['at']}: root reproduces{signed}")
    except ReplayError as err:
        print(f"MISMATCH {err}")
        return 1
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(replayer.counts.items()))
    if replayer.partial:
        print(f"partly replayed (§12.3): record(s) {', '.join(map(str, replayer.partial))}")
    print(f"ok: {kinds}")
    return 2 if args.strict and replayer.partial else 0


if __name__ == "__main__":
    sys.exit(main())
