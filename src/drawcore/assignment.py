"""Inspector teams: the second "random" (BL-4, BL-5, BL-10, TJ-2, TJ-5, TJ-8).

For every drawn unit a team is drawn from the inspector registry so that
nobody can choose who inspects whom. The procedure is fixed and published:

1. **Processing order.** Tasks are taken in ascending order of
   ``hash_ids(key.child("order"), unit_ids)`` (ties by unit id), so that with
   workload caps no unit is favoured by its id or its row.
2. **Candidate order** (precommitted, per task and per pool). Inspectors of a
   pool are put in canonical order (sorted ids), ``I`` of them. With
   ``pk = key.child("pool/<pool>")``, ``h = hash_ids(pk.child("unit"), [unit_id])``
   and ``u_j = to_uniforms(mix_columns(pk.child("position"), h, j))``, position
   ``j = 0 .. 2I-1`` names inspector ``floor(u_j * I)``; repeats are skipped.
   The inspectors never named are appended in ascending order of
   ``mix_columns(pk.child("rest"), h, hash_ids(pk.child("inspector"), ids))``.
   The result is a uniformly random permutation, a pure function of
   (seed, draw id, pool, unit id, the set of inspector ids) -- never of row order.
   See :func:`candidate_order`.
3. **Walk** (递补, replacement by procedure). The team is the first eligible
   candidates in that order. A candidate is passed over, with a recorded
   reason, when recused (回避: a conflict pair), at its workload cap, its work
   unit at its cap, or -- for a task that requires an expertise -- when only
   one seat is left and it lacks the expertise (the seat is reserved). A task
   may require several expertise areas, each to be held by at least one
   member (one member may cover several): then one seat is held for each
   area still uncovered, i.e. a candidate is skipped when the areas it leaves
   uncovered outnumber the seats left after it. The first ``size``
   candidates are "drawn"; each drawn candidate passed over is replaced by
   the next accepted candidate.
4. **Fallback.** If the walk leaves a task short, an exact max-flow
   (:mod:`drawcore.flow`), warm-started from the walk, finds a feasible
   assignment if one exists; tasks it changes are recorded with method
   ``"max_flow"``. Covering several areas is not a flow problem, so for those
   tasks the fallback is an exact branch-and-bound: each such task's ways to
   cover its areas (minimal sets of expertise its distinct members must hold)
   are tried, one uncovered task at a time, each time with one max-flow over
   the whole pool (caps included); a flow that cannot staff every task
   prunes. Otherwise :class:`InfeasibleError` names the tasks and the
   constraint that blocks them (for expertise, the areas left uncovered).
   Nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.flow import FlowNetwork
from drawcore.model import Expert, InspectionMode, Inspector, Unit
from drawcore.randomness import DrawKey, hash_ids, mix_columns, to_uniforms

__all__ = [
    "PassedOver",
    "PoolTeam",
    "Recusal",
    "Replacement",
    "TeamAssignment",
    "TeamDraw",
    "TeamTask",
    "assign_teams",
    "candidate_order",
    "draw_teams",
    "format_team_draw",
    "rotation_recusals",
    "township_recusals",
    "work_unit_recusals",
]

InspectorsLike: TypeAlias = Iterable[str] | Iterable[Inspector]
ConflictsLike: TypeAlias = Iterable["Recusal | tuple[str, str] | tuple[str, str, str]"]
CapLike: TypeAlias = int | Mapping[str, int] | None

MIN_TEAM_SIZE = 2  # Administrative Penalty Law: at least two enforcement officers
EXPLICIT_REASON = "recusal: declared conflict of interest (BL-5 回避)"
_UNLIMITED = 1 << 62
_MAX_FLOW_EDGES = 20_000_000
_MAX_SEARCH_FLOWS = 2_000  # flows the exact search may try (several expertise areas only)
EXPERTS = "experts"  # the pool of TJ-8 industry experts


# --------------------------------------------------------------------------- records


@attrs.frozen(kw_only=True)
class Recusal:
    """A conflict pair with its reason (回避): ``inspector_id`` never inspects ``unit_id``."""

    inspector_id: str
    unit_id: str
    reason: str = EXPLICIT_REASON


@attrs.frozen(kw_only=True)
class PassedOver:
    """A candidate the walk skipped, at ``position`` in the candidate order, and why."""

    inspector_id: str
    position: int
    reason: str


@attrs.frozen(kw_only=True)
class Replacement:
    """递补: ``drawn`` (a first-``size`` candidate) could not serve; ``replaced_by`` did."""

    drawn: str
    reason: str
    replaced_by: str | None


@attrs.frozen(kw_only=True)
class PoolTeam:
    """The part of a team drawn from one pool (the registry, a department, or the experts)."""

    pool: str
    size: int
    method: str  # "candidate_order" | "max_flow" | "fixed_by_office"
    candidates: tuple[str, ...]  # the candidate order, as far as the walk read it
    drawn: tuple[str, ...]  # the first ``size`` candidates
    members: tuple[str, ...]  # sorted
    passed_over: tuple[PassedOver, ...] = ()
    replacements: tuple[Replacement, ...] = ()


@attrs.frozen(kw_only=True)
class TeamAssignment:
    """One unit's team and how it came about."""

    unit_id: str
    mode: InspectionMode
    members: tuple[str, ...]  # inspectors, sorted
    experts: tuple[str, ...]  # TJ-8 experts, sorted
    parts: tuple[PoolTeam, ...]
    undisclosed: bool = False  # covert (暗查暗访): not disclosed before the date
    visit_order: int | None = None  # key inspection: random order over the round
    visit_date: dt.date | None = None


@attrs.frozen(kw_only=True)
class TeamDraw:
    """The full, replayable record of a team draw: inputs + seed give it back exactly."""

    draw_id: str
    processing_order: tuple[str, ...]  # unit ids in the order the walk took them
    assignments: tuple[TeamAssignment, ...]  # sorted by unit id

    def teams(self) -> dict[str, tuple[str, ...]]:
        """Unit id -> sorted inspector ids (the :func:`assign_teams` shape)."""
        return {a.unit_id: a.members for a in self.assignments}


def _positive_size(_i: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or value < MIN_TEAM_SIZE):
        raise InvalidInputError(
            f"{attribute.name} must be an integer >= {MIN_TEAM_SIZE} "
            f"(at least two enforcement officers), got {value!r}"
        )


def _departments(value: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    out = tuple((str(d), s) for d, s in value)
    names = [d for d, _ in out]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"departments repeat a department: {names}")
    for name, size in out:
        if not isinstance(size, int) or size < 1:
            raise InvalidInputError(f"department {name!r} needs a size >= 1, got {size!r}")
    if out and sum(s for _, s in out) < MIN_TEAM_SIZE:
        raise InvalidInputError(
            f"a joint team needs at least {MIN_TEAM_SIZE} inspectors in all, got {out}"
        )
    return out


def _expertise(value: str | Iterable[str] | None) -> str | tuple[str, ...] | None:
    """One area stays a string; several become a sorted tuple without repeats."""
    if value is None or isinstance(value, str):
        if value == "":
            raise InvalidInputError("expertise must be a non-empty string")
        return value
    if not isinstance(value, Iterable):
        raise InvalidInputError(f"expertise must be a string or strings, got {value!r}")
    areas = list(value)
    if not areas:
        return None
    bad = [a for a in areas if not isinstance(a, str) or not a]
    if bad:
        raise InvalidInputError(f"expertise areas must be non-empty strings, got {bad[0]!r}")
    unique = tuple(sorted(set(areas)))
    return unique[0] if len(unique) == 1 else unique


def _id_tuple(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidInputError(f"expected a collection of inspector ids, not the string {value!r}")
    return tuple(value)


@attrs.frozen(kw_only=True)
class TeamTask:
    """What one unit's team must look like.

    ``departments`` (BL-10 joint inspection) lists ``(department, size)``; the
    first is the lead department and carries the ``expertise`` requirement.
    ``expertise``: one area (a string) or several (any collection of strings,
    kept as a sorted tuple); each area must be held by at least one member,
    and one member may cover several. ``fixed_team`` is the office's team for
    a general inspection (TJ-5).
    """

    unit_id: str
    team_size: int | None = attrs.field(default=None, validator=_positive_size)
    expertise: str | tuple[str, ...] | None = attrs.field(default=None, converter=_expertise)
    experts: int = 0
    expert_expertise: str | None = None
    departments: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_departments)
    mode: InspectionMode = InspectionMode.DOUBLE_RANDOM
    fixed_team: tuple[str, ...] = attrs.field(default=(), converter=_id_tuple)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.unit_id, str) or not self.unit_id:
            raise InvalidInputError(f"a task needs a non-empty unit id, got {self.unit_id!r}")
        if not isinstance(self.experts, int) or self.experts < 0:
            raise InvalidInputError(f"task {self.unit_id}: experts must be >= 0")
        ee = self.expert_expertise
        if ee is not None and (not isinstance(ee, str) or not ee):
            raise InvalidInputError(
                f"task {self.unit_id}: expert_expertise is one area (a non-empty string), "
                f"got {ee!r}"
            )
        if self.mode is InspectionMode.GENERAL:
            if len(set(self.fixed_team)) < MIN_TEAM_SIZE:
                raise InvalidInputError(
                    f"task {self.unit_id}: a general inspection needs the office's fixed_team "
                    f"of at least {MIN_TEAM_SIZE} distinct inspectors (TJ-5)"
                )
        elif self.fixed_team:
            raise InvalidInputError(
                f"task {self.unit_id}: fixed_team is only for general inspections (TJ-5); "
                f"mode {self.mode.value} draws its team at random"
            )

    @property
    def required_expertise(self) -> tuple[str, ...]:
        """Every area the team must cover (sorted; empty when none is required)."""
        e = self.expertise
        return () if e is None else (e,) if isinstance(e, str) else e


# --------------------------------------------------------------------------- recusal rules


def township_recusals(
    units: Iterable[Unit], inspectors: Iterable[Inspector], *, clause: str = "BL-5"
) -> tuple[Recusal, ...]:
    """Inspectors whose home township is the unit's township (a local tie, 利害关系)."""
    return _township_recusals(
        units,
        inspectors,
        lambda ins: ins.township or None,
        f"recusal: home township is the unit's township ({clause} 回避)",
    )


def work_unit_recusals(
    units: Iterable[Unit], inspectors: Iterable[Inspector], *, clause: str = "BL-5"
) -> tuple[Recusal, ...]:
    """Inspectors whose work unit is the unit's township office (they supervise it daily)."""
    return _township_recusals(
        units,
        inspectors,
        lambda ins: ins.work_unit,
        f"recusal: work unit is the unit's township ({clause} 回避)",
    )


def _township_recusals(
    units: Iterable[Unit],
    inspectors: Iterable[Inspector],
    place: Callable[[Inspector], str | None],
    reason: str,
) -> tuple[Recusal, ...]:
    """Each active inspector recused from the units of the township ``place`` names
    (``None``: no township)."""
    by_town: dict[str, list[str]] = {}
    for ins in inspectors:
        town = place(ins) if ins.active else None
        if town is not None:
            by_town.setdefault(town, []).append(ins.inspector_id)
    return tuple(
        Recusal(inspector_id=i, unit_id=u.unit_id, reason=reason)
        for u in units
        for i in sorted(by_town.get(u.township, ()))
    )


def rotation_recusals(
    last_teams: Mapping[str, Iterable[str]], *, clause: str = "BL-5"
) -> tuple[Recusal, ...]:
    """The inspectors of each unit's last inspection, so that teams rotate."""
    reason = f"recusal: inspected this unit last time; teams rotate ({clause})"
    return tuple(
        Recusal(inspector_id=i, unit_id=u, reason=reason)
        for u in sorted(last_teams)
        for i in sorted(set(last_teams[u]))
    )


# --------------------------------------------------------------------------- inputs


@attrs.define
class _Pool:
    name: str
    ids: list[str]
    index: dict[str, int]
    work_units: list[str]
    expertise: list[frozenset[str]]
    key: DrawKey

    @property
    def size(self) -> int:
        return len(self.ids)


def _pool(name: str, members: object, key: DrawKey, kind: str) -> _Pool:
    if isinstance(members, str | bytes) or not isinstance(members, Iterable):
        raise InvalidInputError(
            f"{kind} ({name}) must be a collection of ids or records, got {type(members).__name__}"
        )
    rows: dict[str, tuple[str, frozenset[str]]] = {}
    for n, item in enumerate(members):
        if isinstance(item, Inspector):
            if not item.active:
                continue
            iid, wu, exp = item.inspector_id, item.work_unit, frozenset(item.expertise)
        elif isinstance(item, Expert):
            if not item.active:
                continue
            iid, wu, exp = item.expert_id, item.employer, frozenset(item.expertise)
        elif isinstance(item, str) and item:
            iid, wu, exp = item, "", frozenset()
        else:
            raise InvalidInputError(
                f"{kind} ({name}) item {n}: expected an id string or {kind} record, got {item!r}"
            )
        if iid in rows:
            raise InvalidInputError(f"{kind} ({name}): id {iid!r} appears twice")
        rows[iid] = (wu, exp)
    ids = sorted(rows)
    return _Pool(
        name=name,
        ids=ids,
        index={i: n for n, i in enumerate(ids)},
        work_units=[rows[i][0] for i in ids],
        expertise=[rows[i][1] for i in ids],
        key=key.child(f"pool/{name}"),
    )


def _conflicts(
    conflicts: object, what: str, task_index: Mapping[str, int]
) -> dict[int, dict[str, str]]:
    """Task index -> {inspector id: reason}; pairs naming units outside the draw are ignored.

    Items are (inspector_id, unit_id[, reason]) tuples or records with those
    attributes (:class:`Recusal`, a plugin's conflict value).
    """
    if isinstance(conflicts, str | bytes) or not isinstance(conflicts, Iterable):
        raise InvalidInputError(f"{what} must be an iterable of (inspector_id, unit_id) pairs")
    out: dict[int, dict[str, str]] = {}
    for n, c in enumerate(conflicts):
        if type(c) is tuple and len(c) == 2:
            iid, uid, why = c[0], c[1], EXPLICIT_REASON
        elif isinstance(c, tuple | list) and len(c) == 3:
            iid, uid, why = c[0], c[1], c[2]
        elif hasattr(c, "inspector_id") and hasattr(c, "unit_id"):
            iid, uid, why = c.inspector_id, c.unit_id, str(getattr(c, "reason", EXPLICIT_REASON))
        else:
            iid = uid = why = None
        if not (isinstance(iid, str) and isinstance(uid, str) and isinstance(why, str)):
            raise InvalidInputError(
                f"{what} item {n}: expected (inspector_id, unit_id[, reason]) strings, got {c!r}"
            )
        t = task_index.get(uid)
        if t is not None:
            out.setdefault(t, {}).setdefault(iid, why)
    return out


def _caps(cap: object, ids: Sequence[str], what: str) -> list[int]:
    if cap is None:
        return [_UNLIMITED] * len(ids)
    if isinstance(cap, bool):
        raise InvalidInputError(f"{what} must be an integer >= 0 or a mapping, got {cap!r}")
    if isinstance(cap, int):
        if cap < 0:
            raise InvalidInputError(f"{what} must be >= 0, got {cap}")
        return [cap] * len(ids)
    if isinstance(cap, Mapping):
        for k, v in cap.items():
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InvalidInputError(f"{what}[{k!r}] must be an integer >= 0, got {v!r}")
        return [int(cap.get(i, _UNLIMITED)) for i in ids]
    raise InvalidInputError(f"{what} must be an integer >= 0 or a mapping, got {cap!r}")


# --------------------------------------------------------------------------- candidate order


def _positions(
    pool: _Pool, h: npt.NDArray[np.uint64], start: int, count: int
) -> npt.NDArray[np.int64]:
    """Inspector indices at positions ``start .. start+count-1`` for each unit hash in ``h``."""
    n = h.shape[0]
    j = np.arange(start, start + count, dtype=np.uint64)
    mixed = mix_columns(pool.key.child("position"), np.repeat(h, count), np.tile(j, n))
    idx = (to_uniforms(mixed) * pool.size).astype(np.int64)
    return idx.reshape(n, count)


def _rest(pool: _Pool, h: np.uint64, seen: set[int]) -> list[int]:
    rank = mix_columns(
        pool.key.child("rest"),
        np.full(pool.size, h, dtype=np.uint64),
        hash_ids(pool.key.child("inspector"), pool.ids),
    )
    return [int(i) for i in np.argsort(rank, kind="stable") if int(i) not in seen]


class _Candidates:
    """Lazy candidate order of one task: precomputed head, then more on demand."""

    __slots__ = ("_done", "_h", "_pool", "_pos", "order", "seen")

    def __init__(self, pool: _Pool, h: np.uint64, head: list[int]) -> None:
        self._pool = pool
        self._h = h
        self._pos = len(head)  # next raw position to draw
        self._done = False
        self.order: list[int] = []
        self.seen: set[int] = set()
        self._take(head)

    def _take(self, raw: Iterable[int]) -> None:
        for c in raw:
            if c not in self.seen:
                self.seen.add(c)
                self.order.append(c)

    def get(self, k: int) -> int | None:
        """The ``k``-th candidate (0-based), or None when the whole pool is used up."""
        while k >= len(self.order):
            if self._done:
                return None
            limit = 2 * self._pool.size
            if self._pos < limit:
                count = min(max(16, self._pos), limit - self._pos)
                raw = _positions(self._pool, np.array([self._h], dtype=np.uint64), self._pos, count)
                self._pos += count
                self._take(raw[0].tolist())
            else:
                self._take(_rest(self._pool, self._h, self.seen))
                self._done = True
        return self.order[k]


def candidate_order(
    seed: str | bytes,
    unit_id: str,
    inspectors: InspectorsLike,
    *,
    draw_id: str = "teams",
    pool: str = "inspectors",
) -> tuple[str, ...]:
    """The full precommitted candidate order of one unit (step 2 of the module docstring).

    Anyone can recompute it from the published seed to check a team and its
    replacements. ``pool`` is ``"inspectors"``, ``"department/<name>"`` or ``"experts"``.
    """
    p = _pool(pool, inspectors, DrawKey.derive(seed, draw_id), "inspectors")
    if p.size == 0:
        return ()
    h = hash_ids(p.key.child("unit"), [unit_id])[0]
    cands = _Candidates(p, h, [])
    k = 0
    while cands.get(k) is not None:
        k += 1
    return tuple(p.ids[i] for i in cands.order)


# --------------------------------------------------------------------------- the walk


_NONE: list[Any] = []  # shared and never appended to: a job's lists start as this


class _Job:
    """One task's seats in one pool (a plain slotted class: there is one per task)."""

    __slots__ = (
        "candidates",
        "conflicts",
        "flow",
        "members",
        "passed",
        "requirement",
        "seats",
        "task",
        "unit_id",
    )

    def __init__(
        self,
        task: int,
        unit_id: str,
        seats: int,
        requirement: str | tuple[str, ...] | None,
        conflicts: dict[int, str],
    ) -> None:
        self.task = task  # index into the draw's task list
        self.unit_id = unit_id
        self.seats = seats
        self.requirement = requirement
        self.conflicts = conflicts
        self.members: list[int] = _NONE  # set by the walk
        self.passed: list[tuple[int, int, str]] = _NONE  # (inspector, position, why)
        self.candidates: list[int] = _NONE  # the candidate order as far as the walk read it
        self.flow = False


@attrs.define
class _Load:
    """Workload state shared by every pool of one draw."""

    counts: dict[tuple[str, int], int]
    caps: dict[str, list[int]]
    wcounts: dict[str, int]
    wcaps: dict[str, int] | None
    cap_text: str


def _walk(pool: _Pool, jobs: list[_Job], load: _Load, require_all: bool, head: int) -> None:
    """Step 3 of the procedure: each job takes the first eligible candidates, in order."""
    if not jobs or pool.size == 0:
        return
    h = hash_ids(pool.key.child("unit"), [j.unit_id for j in jobs])
    heads = _positions(pool, h, 0, min(head, 2 * pool.size)).tolist()
    caps = load.caps[pool.name]
    counts = [load.counts.get((pool.name, i), 0) for i in range(pool.size)]
    wus = pool.work_units
    wcaps = load.wcaps if pool.name != EXPERTS else None  # work unit caps bind inspectors
    cap_name = "max_expert_tasks" if pool.name == EXPERTS else load.cap_text
    wcounts = load.wcounts
    expertise = pool.expertise
    for n, job in enumerate(jobs):
        row: list[int] = heads[n]
        order: list[int] = []  # the candidate order (repeats skipped) while in the head row
        raw = 0
        cands: _Candidates | None = None
        team: list[int] = []
        job.members = team
        need, req, conf = job.seats, job.requirement, job.conflicts
        has_req = req is None
        missing: tuple[str, ...] = req if isinstance(req, tuple) else ()
        k = 0
        while len(team) < need:
            if cands is None:
                while raw < len(row) and row[raw] in order:
                    raw += 1
                if raw < len(row):
                    c: int | None = row[raw]
                    order.append(row[raw])
                else:
                    cands = _Candidates(pool, h[n], row)
                    c = cands.get(k)
            else:
                c = cands.get(k)
            if c is None:
                break
            k += 1
            why = None
            if conf and c in conf:
                why = conf[c]
            elif counts[c] >= caps[c]:
                why = f"unavailable: workload cap reached ({cap_name}={caps[c]})"
            elif wcaps is not None and wcounts.get(wus[c], 0) >= wcaps.get(wus[c], _UNLIMITED):
                why = f"unavailable: work unit {wus[c]!r} at its cap ({wcaps.get(wus[c])})"
            elif missing:  # several areas: hold one seat for each area still uncovered
                left = tuple(r for r in missing if r not in expertise[c])
                if len(left) > need - len(team) - 1:
                    why = f"skipped: seats reserved for expertise {_names(missing)}"
                else:
                    missing = left
            elif isinstance(req, str):
                holds = req in expertise[c]
                if require_all and not holds:
                    why = f"ineligible: lacks expertise {req!r}"
                elif not has_req and not holds and len(team) == need - 1:
                    why = f"skipped: last seat reserved for expertise {req!r}"
                elif holds:
                    has_req = True
            if why is not None:
                if job.passed is _NONE:
                    job.passed = []
                job.passed.append((c, k - 1, why))
                continue
            team.append(c)
            counts[c] += 1
            if wcaps is not None:
                wcounts[wus[c]] = wcounts.get(wus[c], 0) + 1
        job.candidates = cands.order[:k] if cands is not None else order
    for i, c in enumerate(counts):
        if c:
            load.counts[(pool.name, i)] = c


def _eligible(pool: _Pool, job: _Job, require_all: bool) -> list[int]:
    return [
        i
        for i in range(pool.size)
        if i not in job.conflicts
        and (not require_all or job.requirement is None or job.requirement in pool.expertise[i])
    ]


def _names(areas: Iterable[str]) -> str:
    return ", ".join(repr(a) for a in areas)


def _requirements(job: _Job, require_all: bool) -> tuple[str, ...]:
    """Areas the team must cover (an expert pool filters by eligibility instead)."""
    req = job.requirement
    if req is None or require_all:
        return ()
    return (req,) if isinstance(req, str) else req


Pattern: TypeAlias = tuple[frozenset[str], ...]


def _patterns(pool: _Pool, elig: list[int], reqs: tuple[str, ...], seats: int) -> list[Pattern]:
    """Every minimal way to cover ``reqs`` by distinct members, as the expertise each must hold.

    A team covers ``reqs`` exactly when, for one of these patterns, it has a
    distinct member holding each of the pattern's sets. Sets are the
    signatures (expertise within ``reqs``) present among the eligible; at most
    ``seats`` of them.
    """
    need = frozenset(reqs)
    sigs = sorted({pool.expertise[i] & need for i in elig} - {frozenset()}, key=sorted)
    out: list[Pattern] = []
    for k in range(1, min(seats, len(need)) + 1):
        for combo in itertools.combinations(sigs, k):
            if frozenset().union(*combo) == need and not any(set(p) < set(combo) for p in out):
                out.append(combo)
    return out


def _fit(pool: _Pool, members: list[int], pattern: Pattern) -> dict[int, int] | None:
    """Member -> index of the pattern set it fills, if the team fits the pattern."""
    for perm in itertools.permutations(members, len(pattern)):
        if all(s <= pool.expertise[m] for s, m in zip(pattern, perm, strict=True)):
            return {m: j for j, m in enumerate(perm)}
    return None


@attrs.define
class _FlowState:
    """What stays fixed while the exact search tries patterns: caps left for this pool."""

    pool: _Pool
    jobs: list[_Job]
    eligible: list[list[int]]
    room: list[int]  # per inspector: tasks left under its cap, outside fixed teams
    wroom: dict[str, int] | None  # per work unit: seats left, outside this pool's walk


def _solve(state: _FlowState, patterns: list[Pattern | None]) -> list[tuple[list[int], bool]]:
    """One exact max-flow, warm-started from the walk: each job's members, and whether full.

    A job with pattern ``None`` only needs its seats (the search's relaxation);
    with a pattern, it gets one distinct member holding each of its sets.
    """
    pool, jobs = state.pool, state.jobs
    net = FlowNetwork(2)
    source, sink = 0, 1
    inode = [net.add_node() for _ in range(pool.size)]
    out_edge: list[int] = []
    wedge: dict[str, int] = {}
    wnode: dict[str, int] = {}
    for i in range(pool.size):
        if state.wroom is None:
            out_edge.append(net.add_edge(inode[i], sink, state.room[i]))
            continue
        wu = pool.work_units[i]
        if wu not in wnode:
            wnode[wu] = net.add_node()
            wedge[wu] = net.add_edge(wnode[wu], sink, state.wroom[wu])
        out_edge.append(net.add_edge(inode[i], wnode[wu], state.room[i]))
    seat_edges: list[list[int]] = []
    member_edges: list[dict[int, tuple[int, dict[int, int], int]]] = []
    for job, elig, pattern in zip(jobs, state.eligible, patterns, strict=True):
        sets = pattern or ()
        g = net.add_node()
        ses = [net.add_edge(source, g, job.seats - len(sets))]
        snodes = []
        for _ in sets:
            snodes.append(net.add_node())
            ses.append(net.add_edge(source, snodes[-1], 1))
        seat_edges.append(ses)
        eligset = set(elig)
        preferred = [c for c in job.candidates if c in eligset]
        medges: dict[int, tuple[int, dict[int, int], int]] = {}
        for i in preferred + sorted(eligset - set(preferred)):
            inside = [j for j, s in enumerate(sets) if s <= pool.expertise[i]]
            if inside:
                p = net.add_node()
                gen = net.add_edge(g, p, 1)
                by = {j: net.add_edge(snodes[j], p, 1) for j in inside}
                medges[i] = (gen, by, net.add_edge(p, inode[i], 1))
            else:
                e = net.add_edge(g, inode[i], 1)
                medges[i] = (e, {}, e)
        member_edges.append(medges)
    # warm start: the walk's teams, where they fit the pattern
    for job, pattern, ses, medges in zip(jobs, patterns, seat_edges, member_edges, strict=True):
        fit = _fit(pool, job.members, pattern or ())
        if fit is None:
            continue
        for m in job.members:
            gen, by, out = medges[m]
            if m in fit:
                net.push(ses[1 + fit[m]])
                net.push(by[fit[m]])
            else:
                net.push(ses[0])
                net.push(gen)
            if out != gen:
                net.push(out)
            net.push(out_edge[m])
            if state.wroom is not None:
                net.push(wedge[pool.work_units[m]])
    net.max_flow(source, sink)
    return [
        (
            sorted(i for i, (_, _, out) in medges.items() if net.flow(out) > 0),
            sum(net.flow(e) for e in ses) == job.seats,
        )
        for job, ses, medges in zip(jobs, seat_edges, member_edges, strict=True)
    ]


def _fallback(pool: _Pool, jobs: list[_Job], load: _Load, require_all: bool) -> None:
    """Step 4: exact max-flow (and, for several expertise areas, an exact search over the
    ways each team can cover them), warm-started from the walk; raise if nothing works."""
    caps = load.caps[pool.name]
    wcaps = load.wcaps if pool.name != EXPERTS else None
    eligible = [_eligible(pool, j, require_all) for j in jobs]
    edges = sum(len(e) for e in eligible)
    if edges > _MAX_FLOW_EDGES:
        pending = [j.unit_id for j in jobs if len(j.members) < j.seats]
        raise InfeasibleError(
            f"pool {pool.name}: the candidate walk left {len(pending)} task(s) short "
            f"(first: {', '.join(pending[:10])}) and the exact fallback would need {edges:,} "
            f"edges (limit {_MAX_FLOW_EDGES:,}); relax {load.cap_text} or the conflicts"
        )
    # tasks no assignment can staff, whatever the others do
    reqs = [_requirements(j, require_all) for j in jobs]
    options: list[list[Pattern]] = []
    hopeless: list[str] = []
    for job, elig, r in zip(jobs, eligible, reqs, strict=True):
        pats = _patterns(pool, elig, r, job.seats) if r else [()]
        fitting = [p for p in pats if _fit(pool, job.members, p) is not None]
        options.append(fitting + [p for p in pats if p not in fitting])
        if len(elig) < job.seats or not pats:
            hopeless.append(f"{job.unit_id} ({_blocker(pool, job, elig, require_all, load)})")
    if hopeless:
        _infeasible(pool, hopeless)
    mine = [load.counts.get((pool.name, i), 0) for i in range(pool.size)]
    walked = [0] * pool.size
    for j in jobs:
        for i in j.members:
            walked[i] += 1
    base = [m - w for m, w in zip(mine, walked, strict=True)]  # fixed teams, outside this flow
    wroom: dict[str, int] | None = None
    if wcaps is not None:
        wused_here: dict[str, int] = {}
        for i in range(pool.size):
            wused_here[pool.work_units[i]] = wused_here.get(pool.work_units[i], 0) + walked[i]
        wroom = {
            wu: max(0, wcaps.get(wu, _UNLIMITED) - (load.wcounts.get(wu, 0) - used))
            for wu, used in wused_here.items()
        }
    state = _FlowState(
        pool=pool,
        jobs=jobs,
        eligible=eligible,
        room=[max(0, caps[i] - base[i]) for i in range(pool.size)],
        wroom=wroom,
    )
    # exact search: a job with one way to cover its areas is fixed to it; the others start
    # relaxed (seats only) and are branched on, one uncovered job at a time, over their
    # minimal covers. A relaxation that cannot staff every job prunes its whole subtree.
    root: list[Pattern | None] = [o[0] if len(o) == 1 else None for o in options]
    stack = [root]
    first: list[tuple[list[int], bool]] | None = None
    found: list[list[int]] | None = None
    flows = 0
    while stack and found is None:
        flows += 1
        if flows > _MAX_SEARCH_FLOWS:
            break
        patterns = stack.pop()
        teams = _solve(state, patterns)
        first = teams if first is None else first
        if not all(ok for _, ok in teams):
            continue
        full = [t for t, _ in teams]
        uncovered = [
            n
            for n, p in enumerate(patterns)
            if p is None and not set(reqs[n]) <= _held(pool, full[n])
        ]
        if not uncovered:
            found = full
            break
        n = uncovered[0]
        for p in reversed(options[n]):
            child = list(patterns)
            child[n] = p
            stack.append(child)
    if found is None:
        assert first is not None
        short: list[str] = []
        for n, (job, (team, ok)) in enumerate(zip(jobs, first, strict=True)):
            gap = [r for r in reqs[n] if r not in _held(pool, team)]
            if not ok:
                why = _blocker(pool, job, eligible[n], require_all, load)
                lacking = f"expertise {_names(gap)} uncovered: " if gap else ""
                short.append(f"{job.unit_id} ({lacking}{why})")
            elif gap:
                short.append(
                    f"{job.unit_id} (expertise {_names(gap)} uncovered: no team of {job.seats} "
                    f"covering {_names(reqs[n])} fits the recusals and workload caps "
                    f"({_cap_names(pool, load)})"
                    + (f"; exact search stopped after {_MAX_SEARCH_FLOWS} flows" if stack else "")
                    + ")"
                )
        _infeasible(pool, short)
        return
    counts: dict[int, int] = {}
    for job, members in zip(jobs, found, strict=True):
        if sorted(job.members) != members:
            job.members = members
            job.flow = True
        for i in members:
            counts[i] = counts.get(i, 0) + 1
    for i in range(pool.size):
        total = base[i] + counts.get(i, 0)
        if total:
            load.counts[(pool.name, i)] = total
        else:
            load.counts.pop((pool.name, i), None)
    if wcaps is not None:
        for i in range(pool.size):
            wu = pool.work_units[i]
            load.wcounts[wu] = load.wcounts.get(wu, 0) - walked[i] + counts.get(i, 0)


def _held(pool: _Pool, team: list[int]) -> set[str]:
    return {e for i in team for e in pool.expertise[i]}


def _infeasible(pool: _Pool, short: list[str]) -> None:
    raise InfeasibleError(
        f"cannot staff {len(short)} task(s) from pool {pool.name!r}: "
        + "; ".join(short[:20])
        + (f"; and {len(short) - 20} more" if len(short) > 20 else "")
    )


def _cap_names(pool: _Pool, load: _Load) -> str:
    wcaps = load.wcaps is not None and pool.name != EXPERTS
    cap_name = "max_expert_tasks" if pool.name == EXPERTS else load.cap_text
    return cap_name + (" and work unit caps" if wcaps else "")


def _blocker(pool: _Pool, job: _Job, elig: list[int], require_all: bool, load: _Load) -> str:
    reqs = _requirements(job, require_all)
    if len(elig) < job.seats:
        why = "recusal" if not require_all or job.requirement is None else "recusal/expertise"
        return f"{why} leaves {len(elig)} eligible of {pool.size}, needs {job.seats}"
    held = _held(pool, elig)
    absent = [r for r in reqs if r not in held]
    if absent:
        return f"expertise {_names(absent)}: no eligible member holds it"
    if reqs and not _patterns(pool, elig, reqs, job.seats):
        return f"expertise {_names(reqs)}: no {job.seats} eligible members cover them all"
    return f"workload caps ({_cap_names(pool, load)}): its eligible members are fully booked"


# --------------------------------------------------------------------------- the draw


def _tasks(tasks: Iterable[str | TeamTask]) -> tuple[list[str | TeamTask], list[str]]:
    """Tasks as given (a plain unit id stays a string: the common case is cheap) and their ids."""
    if isinstance(tasks, str | bytes) or not isinstance(tasks, Iterable):
        raise InvalidInputError("tasks must be a collection of unit ids or TeamTask values")
    out = list(tasks)
    ids: list[str] = []
    for n, t in enumerate(out):
        if isinstance(t, str):
            if not t:
                raise InvalidInputError(f"task {n}: empty unit id")
            ids.append(t)
        elif isinstance(t, TeamTask):
            ids.append(t.unit_id)
        else:
            raise InvalidInputError(f"task {n}: expected a unit id or TeamTask, got {t!r}")
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(u for u in ids if u in seen or seen.add(u))  # type: ignore[func-returns-value]
        raise InvalidInputError(f"unit {dup!r} appears twice in the tasks")
    return out, ids


def _spec(task: str | TeamTask) -> TeamTask:
    return TeamTask(unit_id=task) if isinstance(task, str) else task


def _draw(
    tasks: Iterable[str | TeamTask],
    inspectors: object,
    *,
    seed: str | bytes,
    draw_id: str,
    team_size: int,
    conflicts: object,
    max_tasks: object,
    max_tasks_per_work_unit: object,
    experts: object,
    expert_conflicts: object,
    max_expert_tasks: object,
    lead_department: str | None,
    dates: Sequence[dt.date],
    record: bool,
) -> tuple[list[str], dict[str, list[_Job]], dict[str, _Pool], TeamDraw | None]:
    if isinstance(team_size, bool) or not isinstance(team_size, int) or team_size < MIN_TEAM_SIZE:
        raise InvalidInputError(
            f"team_size must be an integer >= {MIN_TEAM_SIZE} (national law: at least two "
            f"enforcement officers), got {team_size!r}"
        )
    if not isinstance(draw_id, str) or not draw_id:
        raise InvalidInputError("draw_id must be a non-empty string")
    key = DrawKey.derive(seed, draw_id)
    task_list, unit_ids = _tasks(tasks)
    # pools
    pools: dict[str, _Pool] = {}
    if isinstance(inspectors, Mapping):
        for dept in sorted(inspectors):
            name = f"department/{dept}"
            pools[name] = _pool(name, inspectors[dept], key, "inspector")
        if lead_department is not None and f"department/{lead_department}" not in pools:
            raise InvalidInputError(f"lead_department {lead_department!r} has no registry")
    else:
        pools["inspectors"] = _pool("inspectors", inspectors, key, "inspector")
    owner: dict[str, str] = {}
    for p in pools.values():
        for iid in p.ids:
            if iid in owner:
                raise InvalidInputError(
                    f"inspector {iid!r} is in two registries ({owner[iid]}, {p.name}); "
                    "each inspector belongs to one department"
                )
            owner[iid] = p.name
    expert_pool = _pool(EXPERTS, experts, key, "expert")
    # workload
    caps = {name: _caps(max_tasks, p.ids, "max_tasks") for name, p in pools.items()}
    caps[EXPERTS] = _caps(max_expert_tasks, expert_pool.ids, "max_expert_tasks")
    wcaps: dict[str, int] | None = None
    if max_tasks_per_work_unit is not None:
        all_wus = sorted({w for p in pools.values() for w in p.work_units if w})
        wlist = _caps(max_tasks_per_work_unit, all_wus, "max_tasks_per_work_unit")
        wcaps = dict(zip(all_wus, wlist, strict=True))
    load = _Load(counts={}, caps=caps, wcounts={}, wcaps=wcaps, cap_text="max_tasks")
    # conflicts, indexed per task
    task_index = {u: n for n, u in enumerate(unit_ids)}
    conf = _conflicts(conflicts, "conflicts", task_index)
    econf = _conflicts(expert_conflicts, "expert_conflicts", task_index)
    # processing order (step 1)
    if unit_ids:
        oh = hash_ids(key.child("order"), unit_ids)
        if np.unique(oh).size == oh.size:
            order = np.argsort(oh, kind="stable").tolist()
        else:  # a 64-bit hash collision: break the tie by unit id
            order = sorted(range(len(unit_ids)), key=lambda n: (int(oh[n]), unit_ids[n]))
    else:
        order = []
    # fixed teams (general inspections) take their load first
    for t in order:
        task = task_list[t]
        if isinstance(task, str) or task.mode is not InspectionMode.GENERAL:
            continue
        for iid in task.fixed_team:
            pname = owner.get(iid)
            if pname is None:
                raise InvalidInputError(
                    f"task {task.unit_id}: fixed_team member {iid!r} is not an active inspector"
                )
            if iid in conf.get(t, {}):
                raise InvalidInputError(
                    f"task {task.unit_id}: fixed_team member {iid!r} must recuse: {conf[t][iid]}"
                )
            ix = pools[pname].index[iid]
            load.counts[(pname, ix)] = load.counts.get((pname, ix), 0) + 1
            if wcaps is not None:
                wu = pools[pname].work_units[ix]
                load.wcounts[wu] = load.wcounts.get(wu, 0) + 1
    over = [
        f"{pools[p].ids[i]} ({n} > {caps[p][i]})"
        for (p, i), n in load.counts.items()
        if n > caps[p][i]
    ]
    if wcaps is not None:
        over += [
            f"work unit {w} ({n} > {wcaps[w]})"
            for w, n in load.wcounts.items()
            if n > wcaps.get(w, _UNLIMITED)
        ]
    if over:
        raise InfeasibleError(
            f"fixed teams of general inspections exceed the caps: {', '.join(sorted(over))}"
        )
    # jobs per pool (in processing order)
    jobs: dict[str, list[_Job]] = {name: [] for name in [*pools, EXPERTS]}
    plain_name = "inspectors"
    plain = plain_name in pools
    for t in order:
        task = task_list[t]
        if isinstance(task, str) and plain:  # the common case, kept cheap
            tconf = conf.get(t)
            cmap = {}
            if tconf:
                cmap = {
                    pools[plain_name].index[i]: r
                    for i, r in tconf.items()
                    if i in pools[plain_name].index
                }
            jobs[plain_name].append(_Job(t, task, team_size, None, cmap))
            continue
        task = _spec(task)
        parts: list[tuple[str, int, str | tuple[str, ...] | None]] = []
        if task.mode is not InspectionMode.GENERAL:
            if task.departments:
                if not isinstance(inspectors, Mapping):
                    raise InvalidInputError(
                        f"task {task.unit_id}: a joint inspection (BL-10) needs inspectors as a "
                        "mapping department -> registry"
                    )
                for d, (dept, size) in enumerate(task.departments):
                    name = f"department/{dept}"
                    if name not in pools:
                        raise InvalidInputError(
                            f"task {task.unit_id}: department {dept!r} has no inspector registry"
                        )
                    parts.append((name, size, task.expertise if d == 0 else None))
            elif isinstance(inspectors, Mapping):
                if lead_department is None:
                    raise InvalidInputError(
                        f"task {task.unit_id}: with registries per department, give the task "
                        "departments or give lead_department"
                    )
                parts.append(
                    (f"department/{lead_department}", task.team_size or team_size, task.expertise)
                )
            else:
                parts.append(("inspectors", task.team_size or team_size, task.expertise))
        for name, size, req in parts:
            pool = pools[name]
            cmap = {pool.index[i]: r for i, r in conf.get(t, {}).items() if i in pool.index}
            jobs[name].append(
                _Job(task=t, unit_id=task.unit_id, seats=size, requirement=req, conflicts=cmap)
            )
        if task.experts:
            emap = {
                expert_pool.index[i]: r
                for i, r in econf.get(t, {}).items()
                if i in expert_pool.index
            }
            jobs[EXPERTS].append(
                _Job(
                    task=t,
                    unit_id=task.unit_id,
                    seats=task.experts,
                    requirement=task.expert_expertise,
                    conflicts=emap,
                )
            )
    all_pools = {**pools, EXPERTS: expert_pool}
    for name, pool in all_pools.items():
        require_all = name == EXPERTS
        pjobs = jobs[name]
        if not pjobs:
            continue
        head = max(j.seats for j in pjobs) + 4
        _walk(pool, pjobs, load, require_all, head)
        if any(len(j.members) < j.seats for j in pjobs):
            _fallback(pool, pjobs, load, require_all)
    result = _record(task_list, order, jobs, all_pools, draw_id, key, dates) if record else None
    return unit_ids, jobs, all_pools, result


def _replacements(pool: _Pool, job: _Job) -> tuple[tuple[str, ...], tuple[Replacement, ...]]:
    cands = job.candidates
    drawn = cands[: job.seats]
    passed = {i: why for i, _, why in job.passed}
    members = set(job.members)
    incoming = [c for c in cands[job.seats :] if c in members]
    reps: list[Replacement] = []
    if job.flow:
        incoming = sorted(members - set(drawn))
    for d in drawn:
        if d in members:
            continue
        why = passed.get(d, "moved by the max-flow fallback so that every task is staffed")
        reps.append(
            Replacement(
                drawn=pool.ids[d],
                reason=why,
                replaced_by=pool.ids[incoming.pop(0)] if incoming else None,
            )
        )
    return tuple(pool.ids[d] for d in drawn), tuple(reps)


def _record(
    given: list[str | TeamTask],
    order: list[int],
    jobs: dict[str, list[_Job]],
    pools: dict[str, _Pool],
    draw_id: str,
    key: DrawKey,
    dates: Sequence[dt.date],
) -> TeamDraw:
    task_list = [_spec(t) for t in given]
    parts: dict[int, list[PoolTeam]] = {}
    for name, pjobs in jobs.items():
        pool = pools[name]
        for job in pjobs:
            drawn, reps = _replacements(pool, job)
            parts.setdefault(job.task, []).append(
                PoolTeam(
                    pool=name,
                    size=job.seats,
                    method="max_flow" if job.flow else "candidate_order",
                    candidates=tuple(pool.ids[c] for c in job.candidates),
                    drawn=drawn,
                    members=tuple(sorted(pool.ids[i] for i in job.members)),
                    passed_over=tuple(
                        PassedOver(inspector_id=pool.ids[i], position=p, reason=why)
                        for i, p, why in job.passed
                    ),
                    replacements=reps,
                )
            )
    # key inspections: random order (and dates) of visits over the round (TJ-5)
    key_tasks = [t for t in order if task_list[t].mode is InspectionMode.KEY]
    visit: dict[int, tuple[int, dt.date | None]] = {}
    if key_tasks:
        vh = hash_ids(key.child("visit"), [task_list[t].unit_id for t in key_tasks])
        ranked = [key_tasks[n] for n in np.argsort(vh, kind="stable").tolist()]
        for pos, t in enumerate(ranked):
            day = dates[pos * len(dates) // len(ranked)] if dates else None
            visit[t] = (pos + 1, day)
    out: list[TeamAssignment] = []
    for t, task in enumerate(task_list):
        tparts = parts.get(t, [])
        if task.mode is InspectionMode.GENERAL:
            fixed = tuple(sorted(set(task.fixed_team)))
            tparts.insert(
                0,
                PoolTeam(
                    pool="office",
                    size=len(fixed),
                    method="fixed_by_office",
                    candidates=(),
                    drawn=(),
                    members=fixed,
                ),
            )
        members = tuple(sorted(m for p in tparts if p.pool != EXPERTS for m in p.members))
        experts = tuple(sorted(m for p in tparts if p.pool == EXPERTS for m in p.members))
        vo, vd = visit.get(t, (None, None))
        out.append(
            TeamAssignment(
                unit_id=task.unit_id,
                mode=task.mode,
                members=members,
                experts=experts,
                parts=tuple(tparts),
                undisclosed=task.mode is InspectionMode.COVERT,
                visit_order=vo,
                visit_date=vd,
            )
        )
    out.sort(key=lambda a: a.unit_id)
    return TeamDraw(
        draw_id=draw_id,
        processing_order=tuple(task_list[t].unit_id for t in order),
        assignments=tuple(out),
    )


def draw_teams(
    tasks: Iterable[str | TeamTask],
    inspectors: InspectorsLike | Mapping[str, InspectorsLike],
    *,
    seed: str | bytes,
    draw_id: str = "teams",
    team_size: int = 2,
    conflicts: ConflictsLike = (),
    max_tasks: CapLike = None,
    max_tasks_per_work_unit: CapLike = None,
    experts: Iterable[Expert] = (),
    expert_conflicts: ConflictsLike = (),
    max_expert_tasks: CapLike = None,
    lead_department: str | None = None,
    dates: Sequence[dt.date] = (),
) -> TeamDraw:
    """Draw every task's team and return the full record (who was drawn, recused, replaced).

    ``inspectors``: ids, :class:`Inspector` records or a registry yielding them
    (inactive ones are ignored); or a mapping department -> such a registry for
    joint inspections (BL-10). ``conflicts`` / ``expert_conflicts``: (id, unit id)
    pairs, (id, unit id, reason) triples or :class:`Recusal` values; pairs for
    units or inspectors outside the draw are ignored. ``max_tasks_per_work_unit``
    caps the seats filled by each work unit's inspectors. ``dates`` spreads key
    inspections over the round in a random order (TJ-5).
    """
    _, _, _, result = _draw(
        tasks,
        inspectors,
        seed=seed,
        draw_id=draw_id,
        team_size=team_size,
        conflicts=conflicts,
        max_tasks=max_tasks,
        max_tasks_per_work_unit=max_tasks_per_work_unit,
        experts=experts,
        expert_conflicts=expert_conflicts,
        max_expert_tasks=max_expert_tasks,
        lead_department=lead_department,
        dates=tuple(dates),
        record=True,
    )
    assert result is not None
    return result


def assign_teams(
    unit_ids: Iterable[str],
    inspectors: InspectorsLike,
    *,
    seed: str | bytes,
    team_size: int = 2,
    conflicts: ConflictsLike = (),
    max_tasks: CapLike = None,
    draw_id: str = "teams",
    expertise: Mapping[str, str | Iterable[str]] | None = None,
    max_tasks_per_work_unit: CapLike = None,
) -> dict[str, tuple[str, ...]]:
    """Unit id -> sorted inspector ids (GUIDE §3); the same teams as :func:`draw_teams`.

    ``expertise`` maps a unit id to the expertise its team must include: one
    area (a string) or several (each held by at least one member).
    Raises :class:`InfeasibleError` naming the units that cannot be staffed.
    """
    if isinstance(unit_ids, str | bytes) or not isinstance(unit_ids, Iterable):
        raise InvalidInputError("unit_ids must be a collection of unit id strings")
    if expertise:
        tasks: list[str | TeamTask] = [
            TeamTask(unit_id=u, expertise=expertise[u])
            if isinstance(u, str) and u in expertise
            else u
            for u in unit_ids
        ]
    else:
        tasks = list(unit_ids)
    unit_list, jobs, pools, _ = _draw(
        tasks,
        inspectors,
        seed=seed,
        draw_id=draw_id,
        team_size=team_size,
        conflicts=conflicts,
        max_tasks=max_tasks,
        max_tasks_per_work_unit=max_tasks_per_work_unit,
        experts=(),
        expert_conflicts=(),
        max_expert_tasks=None,
        lead_department=None,
        dates=(),
        record=False,
    )
    ids = pools["inspectors"].ids
    out: dict[str, tuple[str, ...]] = {}
    for job in jobs["inspectors"]:
        out[job.unit_id] = tuple([ids[i] for i in sorted(job.members)])  # ids are in sorted order
    return {u: out[u] for u in sorted(unit_list)}


# --------------------------------------------------------------------------- display


def format_team_draw(draw: TeamDraw, *, limit: int | None = None, reveal: bool = False) -> str:
    """Human-readable lines for the CLI demo: each unit, its team, recusals and replacements.

    Covert teams are masked unless ``reveal`` (they are not disclosed before the date).
    """
    lines: list[str] = []
    shown = draw.assignments if limit is None else draw.assignments[:limit]
    for a in shown:
        team = ", ".join(a.members) if (reveal or not a.undisclosed) else "(covert: undisclosed)"
        extra = f"; experts: {', '.join(a.experts)}" if a.experts else ""
        when = ""
        if a.visit_order is not None:
            when = f"; visit #{a.visit_order}" + (
                f" on {a.visit_date.isoformat()}" if a.visit_date else ""
            )
        lines.append(f"{a.unit_id} [{a.mode.value}] team: {team}{extra}{when}")
        if a.undisclosed and not reveal:
            continue
        for part in a.parts:
            if part.method == "fixed_by_office":
                lines.append(f"  {part.pool}: fixed by the office (general inspection, TJ-5)")
            elif part.method == "max_flow":
                lines.append(f"  {part.pool}: reassigned by the max-flow fallback")
            for r in part.replacements:
                by = r.replaced_by or "-"
                lines.append(f"  {part.pool}: {r.drawn} -> {by} ({r.reason})")
    if limit is not None and len(draw.assignments) > limit:
        lines.append(f"... and {len(draw.assignments) - limit} more units")
    return "\n".join(lines)
