"""The yearly design's round placement (docs/spec.md §12.1) against the specification's
reference replayer, on many small and tight inputs: planned units into distinct rounds
(:func:`place_planned`) and drawn units into one round each (:func:`place_drawn`)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawcore.draw.randomness import DrawKey
from drawcore.errors import InfeasibleError
from drawcore.plan.yearly import _Room, fits, place_drawn, place_planned
from tests.spec_modules import REPLAY, load

ref: Any = load(REPLAY)

ids_st = st.lists(
    st.text("ABCXYZ0189-", min_size=1, max_size=6), min_size=0, max_size=60, unique=True
)


def _starts(rounds: int) -> list[dt.date]:
    return [dt.date(2019, 1, 1) + dt.timedelta(days=30 * r) for r in range(rounds)]


def _reference_unit(uid: str, times: int, first: int, starts: list[dt.date]) -> dict[str, Any]:
    """A unit as the reference reads it, whose recent-inspection window leaves exactly the
    rounds from ``first`` on (last inspected the day before round ``first`` starts, a
    one-day window; on the last round's start day when no round is left)."""
    if first == 0:
        return {"id": uid, "times": times, "last": None, "days": 0}
    last = starts[first] - dt.timedelta(days=1) if first < len(starts) else starts[-1]
    return {"id": uid, "times": times, "last": last.isoformat(), "days": 1}


@st.composite
def planned_inputs(draw: st.DrawFn) -> tuple[list[str], list[int], list[int], list[int], str]:
    rounds = draw(st.sampled_from([1, 2, 3, 4, 6, 12]))
    count = draw(st.integers(0, 60))
    ids = [f"U{draw(st.integers(0, 9))}-{k}" for k in range(count)]
    times = [draw(st.integers(0, rounds)) for _ in ids]
    first = [draw(st.integers(0, rounds)) for _ in ids]
    if draw(st.booleans()):
        # room from none to plenty
        top = draw(st.integers(0, max(2, count)))
        caps = [draw(st.integers(0, top)) for _ in range(rounds)]
    else:
        # the room of one placement of the units, plus a little: it fits, but the
        # uniform picks often leave the rest without room and the most-room step runs
        rnd = draw(st.randoms(use_true_random=False))
        caps = [draw(st.integers(0, 1)) for _ in range(rounds)]
        for t in times:
            for r in rnd.sample(range(rounds), t):
                caps[r] += 1
    return ids, times, first, caps, draw(st.text("abc", min_size=1, max_size=3))


@settings(max_examples=300)
@given(planned_inputs())
def test_place_planned_is_the_reference_placement(
    inputs: tuple[list[str], list[int], list[int], list[int], str],
) -> None:
    ids, times, first, caps, seed = inputs
    key = DrawKey.derive(seed, "plan")
    starts = _starts(len(caps))
    units = [_reference_unit(u, t, f, starts) for u, t, f in zip(ids, times, first, strict=True)]
    try:
        want_placed, want_inside = ref.place(units, starts, list(caps), ref.Key(key.key))
    except ref.ReplayError:
        with pytest.raises(InfeasibleError):
            place_planned(ids, times, first, caps, key)
        return
    placed, inside = place_planned(ids, times, first, caps, key)
    assert [[ids[j] for j in p] for p in placed] == want_placed
    assert sorted(ids[j] for j in inside) == want_inside


@given(
    st.sampled_from([1, 2, 3, 4, 6, 12]).flatmap(
        lambda rounds: st.tuples(
            ids_st,
            st.lists(st.integers(0, rounds), min_size=40, max_size=40),
            st.lists(st.integers(0, 12), min_size=rounds, max_size=rounds),
        )
    ),
    st.text("abc", min_size=1, max_size=3),
)
def test_place_drawn_is_the_reference_placement(
    inputs: tuple[list[str], list[int], list[int]], seed: str
) -> None:
    ids, firsts, room = inputs
    first = firsts[: len(ids)]
    key = DrawKey.derive(seed, "plan")
    try:
        want_rounds, want_inside = ref.place_drawn(ids, first, list(room), ref.Key(key.key))
    except ref.ReplayError:
        with pytest.raises(InfeasibleError):
            place_drawn(ids, first, room, key)
        return
    rounds, inside = place_drawn(ids, first, room, key)
    assert rounds == want_rounds
    assert sorted(ids[j] for j in inside) == want_inside


@settings(max_examples=300)
@given(
    st.sampled_from([1, 2, 3, 4, 6, 12]).flatmap(
        lambda rounds: st.tuples(
            st.lists(st.integers(0, 1), min_size=rounds, max_size=rounds),
            st.lists(st.integers(1, rounds), max_size=30),
        )
    ),
    st.randoms(use_true_random=False),
)
def test_placement_room_answers_as_fits_does(
    inputs: tuple[list[int], list[int]], rnd: random.Random
) -> None:
    """The placement's running check of the room (a carried bound on the min-cut slack)
    against :func:`fits` computed afresh, after every pick of a unit's rounds, units
    taken in any order and the rounds picked at random; the room is that of one
    placement of the units plus a little, so picks often leave too little."""
    extra, times = inputs
    caps = list(extra)
    for t in times:
        for r in rnd.sample(range(len(caps)), t):
            caps[r] += 1
    rounds = len(caps)
    demand = [0] * (rounds + 1)
    for t in times:
        demand[t] += 1
    if not fits(caps, demand):
        return
    room = _Room(caps, demand)
    for need in rnd.sample(times, len(times)):
        room.placing(need)
        open_rounds = [r for r in range(rounds) if room.remaining[r] > 0]
        if len(open_rounds) < need:
            return
        for _ in range(3):
            pick = rnd.sample(open_rounds, need)
            after = [c - (r in pick) for r, c in enumerate(room.remaining)]
            assert room.fits_without(pick) == fits(after, list(room.demand))
        room.take(pick)
