"""The yearly design: who is inspected this year, with what probability, in which round.

An annual plan is drawn in three keyed steps (``key = DrawKey.derive(seed, draw_id)``):

1. **Placements** (TJ-5 at least once a year, BL-6 / TJ-5 key supervision): a unit
   with ``times >= 1`` planned inspections gets that many distinct open rounds,
   drawn at random among the rounds outside its recent-inspection window that still
   have room (:func:`place_planned`). Its yearly probability is 1.
2. **The year's draw**: the units that may be drawn (not excluded, not planned,
   weight > 0, and with an open round outside their recent-inspection window) are
   drawn *once for the year* by :func:`drawcore.draw.sampling.sample_units` -- the
   exact fixed-size method of a single draw -- with draw id ``<draw_id>/year``. So
   each unit's probability of being inspected this year is exactly its published
   inclusion probability: proportional to its weight, capped at 1. The size is the
   room the placements leave, limited by ``random_ratio``.
3. **Rounds** (:func:`place_drawn`): every drawn unit takes one open round outside its
   window with room, chosen by its own keyed stream with probability proportional
   to the room left; the units whose window leaves the fewest rounds go first
   (windows only close early rounds, so this never strands a later unit unless
   the rounds' room itself is short; then the unit takes the round with most room
   and the plan says so).

Drawing the rounds one after another without replacement would *not* give yearly
probabilities proportional to the weights (successive sampling); the year's draw does,
and the rounds only spread its result over the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.randomness import DrawKey, hash_ids
from drawcore.draw.sampling import ProbabilityTable, sample_units
from drawcore.errors import InfeasibleError
from drawcore.i18n import msg

__all__ = [
    "YearlyDraw",
    "allowed_from",
    "check_planned",
    "draw_year",
    "fits",
    "place_drawn",
    "place_planned",
]

#: Uniform draws of a planned unit's rounds tried before the most-room fallback.
_TRIES = 4


@attrs.frozen(kw_only=True)
class YearlyDraw:
    """The year's random draw: what it chose from and how, to replay and check it.

    ``eligible``: units it chose from; ``size``: units drawn; ``method`` and
    ``fingerprint``: :attr:`drawcore.draw.sampling.UnitSample.method` and
    ``.fingerprint`` (``None`` when nothing was drawn).
    """

    draw_id: str
    eligible: int
    size: int
    method: str | None
    fingerprint: str | None


def allowed_from(
    last_day: npt.NDArray[np.int64],
    seen: npt.NDArray[np.bool_],
    window_days: npt.NDArray[np.int64],
    starts: Sequence[dt.date],
) -> npt.NDArray[np.int64]:
    """Per unit, the first round it may be inspected in: the first whose start is at
    least ``window_days`` after its last inspection (``len(starts)``: none)."""
    start_days = np.array([s.toordinal() for s in starts], dtype=np.int64)
    first_ok = np.where(seen, last_day + window_days, np.iinfo(np.int64).min)
    return np.searchsorted(start_days, first_ok, side="left").astype(np.int64)


def fits(caps: Sequence[int], demand: Sequence[int]) -> bool:
    """Whether units needing ``demand[t]`` units of ``t`` distinct rounds fit ``caps``.

    Max-flow min-cut for units -> rounds (one seat per unit and round): the
    placement exists iff for every ``b`` the ``b`` smallest capacities plus
    ``sum_t demand[t] * min(t, R - b)`` cover the total demand.
    """
    rounds = len(caps)
    total = sum(t * n for t, n in enumerate(demand))
    smallest = sorted(caps)
    covered = 0
    for b in range(rounds + 1):
        if covered + sum(n * min(t, rounds - b) for t, n in enumerate(demand)) < total:
            return False
        if b < rounds:
            covered += smallest[b]
    return True


def check_planned(times: Sequence[int], caps: Sequence[int]) -> list[int]:
    """Refuse planned units the rounds cannot hold, naming the shortfall; else the demand
    (units per number of distinct rounds needed) that :func:`fits` checks."""
    rounds = len(caps)
    demand = [0] * (rounds + 1)
    for t in times:
        if t > 0:
            demand[min(t, rounds)] += 1
    if not fits(caps, demand):
        units = sum(demand)
        needed = sum(t for t in times if t > 0)
        raise InfeasibleError(
            msg(
                "{units} planned unit(s) need {needed} inspections in distinct rounds; "
                "the rounds hold {caps} tasks (short by {max} in all, or too few "
                "rounds with room); add inspectors, raise tasks_per_inspector or "
                "capacity",
                units=units,
                needed=needed,
                caps=list(caps),
                max=max(needed - sum(caps), 0),
            )
        )
    return demand


def place_planned(
    ids: Sequence[str],
    times: Sequence[int],
    first_round: Sequence[int],
    caps: Sequence[int],
    key: DrawKey,
) -> tuple[list[list[int]], set[int]]:
    """Planned units -> open rounds (step 1). Returns the unit positions per round and
    the positions placed inside their recent-inspection window.

    ``caps[r] == 0`` marks a round with no room (or already over). A unit's rounds are a
    uniform random choice among the open rounds from ``first_round`` on (then among all
    open rounds), redrawn up to :data:`_TRIES` times if the choice would leave the
    units still to be placed without room. Failing that, the unit takes the rounds
    with the most room left (ties in random order): taken most-constrained first, that
    step always keeps a placement possible (the Gale-Ryser construction), so only a
    truly impossible plan is refused with :class:`InfeasibleError` naming the shortfall.
    """
    rounds = len(caps)
    placed: list[list[int]] = [[] for _ in range(rounds)]
    inside: set[int] = set()
    planned = [j for j, t in enumerate(times) if t > 0]
    if not planned:
        return placed, inside
    demand = check_planned(times, caps)
    order_hash = hash_ids(key.child("placement-order"), [ids[j] for j in planned])
    order = sorted(
        range(len(planned)),
        key=lambda k: (-times[planned[k]], int(order_hash[k]), ids[planned[k]]),
    )
    room = _Room(caps, demand)
    remaining = room.remaining
    for k in order:
        j = planned[k]
        need = times[j]
        first = first_round[j]
        room.placing(need)
        open_rounds = room.open_rounds()
        stream = key.child(f"placement/{ids[j]}").stream()
        chosen: list[int] | None = None
        for pool in (
            open_rounds if first <= 0 else [r for r in open_rounds if r >= first],
            open_rounds,
        ):
            if len(pool) < need:
                continue
            for _ in range(_TRIES):
                pick = cast(list[int], stream.shuffle(pool))[:need]
                if room.fits_without(pick):
                    chosen = pick
                    break
            if chosen is not None:
                break
        if chosen is None:
            tie = stream.shuffle(open_rounds)
            ranked = sorted(open_rounds, key=lambda r: (-remaining[r], tie.index(r)))
            chosen = ranked[:need]
        if min(chosen, default=first) < first:
            inside.add(j)
        for r in chosen:
            placed[r].append(j)
        room.take(chosen)
    return placed, inside


class _Room:
    """The rounds' room left and the demand still to place, as :func:`place_planned`
    goes; :meth:`fits_without` answers what :func:`fits` answers, mostly without
    computing it.

    With ``cut[b] = sum_t demand[t] * min(t, R - b)`` and ``cov[b]``
    the sum of the ``b`` smallest rooms, :func:`fits` asks ``cov[b] + cut[b] >= total``
    for every ``b``; at ``b = 0`` both sides are equal. Taking a seat in each of ``n``
    rounds lowers ``cov[b]`` by at most ``min(b, n)``, and a unit leaving the demand
    lowers ``total`` at least as much as ``cut[b]``. So with the slack ``cov[b] +
    cut[b] - total`` at least ``n`` for every ``b >= 1``, any pick of ``n`` rounds
    fits; and the slack falls by at most the seats taken. A lower bound of it is
    carried from unit to unit and the slack computed again only when the bound is too
    low; :func:`fits` itself runs only when the slack is too low.
    """

    def __init__(self, caps: Sequence[int], demand: list[int]) -> None:
        rounds = len(caps)
        self.remaining = list(caps)
        self.demand = demand
        self.total = sum(t * n for t, n in enumerate(demand))
        self._cuts: list[int] | None = None
        self._open = [r for r in range(rounds) if caps[r] > 0]
        self._slack_at_least = -1

    def placing(self, need: int) -> None:
        """One unit needing ``need`` distinct rounds leaves the demand."""
        self.demand[need] -= 1
        self.total -= need
        self._cuts = None

    def _cut(self) -> list[int]:
        """``cut[b]`` for every ``b``, for the demand now."""
        if self._cuts is None:
            rounds, demand = len(self.remaining), self.demand
            self._cuts = [
                sum(n * min(t, rounds - b) for t, n in enumerate(demand)) for b in range(rounds + 1)
            ]
        return self._cuts

    def open_rounds(self) -> list[int]:
        """The rounds with room left, in order."""
        return self._open

    def take(self, chosen: Sequence[int]) -> None:
        """A seat taken in each round of ``chosen``."""
        remaining = self.remaining
        for r in chosen:
            remaining[r] -= 1
            if remaining[r] <= 0:
                self._open = [q for q in self._open if remaining[q] > 0]
        self._slack_at_least -= len(chosen)

    def _least(self, rooms: list[int], start: int) -> int:
        """The least ``cov[b] + cut[b] - total`` over ``b >= start``, for ``rooms``."""
        rooms.sort()
        cuts, total = self._cut(), self.total
        covered = sum(rooms[:start])
        least = covered + cuts[start] - total
        for b in range(start, len(rooms)):
            covered += rooms[b]
            least = min(least, covered + cuts[b + 1] - total)
        return least

    def fits_without(self, pick: Sequence[int]) -> bool:
        """:func:`fits` of the room less a seat in each round of ``pick``, for the demand."""
        n = len(pick)
        if self._slack_at_least < n and self.remaining:
            self._slack_at_least = self._least(self.remaining.copy(), 1)
        if self._slack_at_least >= n:
            return True
        after = self.remaining.copy()
        for r in pick:
            after[r] -= 1
        return self._least(after, 0) >= 0


def draw_year(
    ids: Sequence[str],
    weights: npt.NDArray[np.float64],
    size: int,
    *,
    seed: str | bytes,
    draw_id: str,
) -> tuple[list[int], npt.NDArray[np.float64], YearlyDraw]:
    """The year's draw (step 2) over the eligible units ``ids`` (sorted) with ``weights``.

    Returns the positions drawn, every eligible unit's exact inclusion probability
    and the draw's description.
    """
    year_id = f"{draw_id}/year"
    if size <= 0 or not ids:
        probs = np.zeros(len(ids), dtype=np.float64)
        return (
            [],
            probs,
            YearlyDraw(draw_id=year_id, eligible=len(ids), size=0, method=None, fingerprint=None),
        )
    sample = sample_units(list(ids), weights, size, seed=seed, draw_id=year_id)
    position = {u: j for j, u in enumerate(ids)}
    chosen = sorted(position[str(u)] for u in sample.selected)
    table = sample.probabilities
    assert isinstance(table, ProbabilityTable)  # what sample_units gives
    probs = np.array(table.arrays()[1], dtype=np.float64)  # in the order of ids
    return (
        chosen,
        probs,
        YearlyDraw(
            draw_id=year_id,
            eligible=len(ids),
            size=len(chosen),
            method=sample.method,
            fingerprint=sample.fingerprint,
        ),
    )


def place_drawn(
    ids: Sequence[str],
    first_round: Sequence[int],
    room: Sequence[int],
    key: DrawKey,
) -> tuple[list[int], set[int]]:
    """Drawn units -> one open round each (step 3): the round of every unit, and the
    positions that had to go inside their window for lack of room.

    Units are taken latest ``first_round`` first (ties in keyed-hash order); each takes
    a round from its ``first_round`` on, at random with probability proportional to the
    room left (its own stream ``key.child("round/<unit id>")``).
    """
    rounds = len(room)
    left = list(room)
    if sum(left) < len(ids):
        raise InfeasibleError(
            msg(
                "{count} drawn unit(s) but the open rounds have room for {room}",
                count=len(ids),
                room=sum(left),
            )
        )
    if not ids:
        return [], set()
    order_hash = hash_ids(key.child("round-order"), list(ids))
    order = sorted(range(len(ids)), key=lambda j: (-first_round[j], int(order_hash[j]), ids[j]))
    out = [0] * len(ids)
    inside: set[int] = set()
    for j in order:
        pool = [r for r in range(first_round[j], rounds) if left[r] > 0]
        if not pool:
            inside.add(j)
            pool = [max(range(rounds), key=lambda r: (left[r], -r))]
        total = sum(left[r] for r in pool)
        pick = key.child(f"round/{ids[j]}").stream().below(total)
        for r in pool:
            if pick < left[r]:
                break
            pick -= left[r]
        out[j] = r
        left[r] -= 1
    return out, inside
