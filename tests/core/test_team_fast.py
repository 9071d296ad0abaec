"""assign_teams over arrays (draw/team_fast.py): the same teams as spec §10, and a fallback
over its limit refused before it is built (BL-4, BL-5)."""

from __future__ import annotations

import tracemalloc

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore import InfeasibleError, InvalidInputError, assign_teams, draw_teams
from drawcore.draw.randomness import DrawKey, hash_ids, mix_columns, to_uniforms
from drawcore.draw.team_fast import assign_plain

UNITS = [f"U{n:02d}" for n in range(40)]
STAFF = [f"I{n:02d}" for n in range(12)]


def u64(value: int) -> np.ndarray:
    return np.array([value], dtype=np.uint64)


def reference_teams(
    units: list[str],
    staff: list[str],
    *,
    seed: str,
    team_size: int,
    conflicts: list[tuple[str, str]],
    cap: int | None,
) -> dict[str, tuple[str, ...]] | None:
    """Spec §10.3-10.4 for plain unit ids, one registry, recusal and one cap, written out
    one unit and one position at a time; ``None`` when the walk leaves a unit short."""
    key = DrawKey.derive(seed, "teams")
    ids = sorted(set(staff))
    size = len(ids)
    pk = key.child("pool/inspectors")
    recused = {(i, u) for i, u in conflicts}
    order = sorted(units, key=lambda u: (int(hash_ids(key.child("order"), [u])[0]), u))
    count = dict.fromkeys(ids, 0)
    teams: dict[str, tuple[str, ...]] = {}
    for unit in order:
        h = int(hash_ids(pk.child("unit"), [unit])[0])
        seen: list[int] = []
        for j in range(2 * size):
            u = to_uniforms(mix_columns(pk.child("position"), u64(h), u64(j)))[0]
            c = int(u * size)
            if c not in seen:
                seen.append(c)

        def rest_rank(i: int, h: int = h) -> tuple[int, int]:
            ih = int(hash_ids(pk.child("inspector"), [ids[i]])[0])
            return int(mix_columns(pk.child("rest"), u64(h), u64(ih))[0]), i

        candidates = seen + sorted((i for i in range(size) if i not in seen), key=rest_rank)
        team: list[str] = []
        for c in candidates:
            if len(team) == team_size:
                break
            name = ids[c]
            if (name, unit) in recused or (cap is not None and count[name] >= cap):
                continue
            team.append(name)
            count[name] += 1
        if len(team) < team_size:
            return None
        teams[unit] = tuple(sorted(team))
    return {u: teams[u] for u in sorted(teams)}


@attrs.frozen
class Case:
    units: list[str]
    staff: list[str]
    seed: str
    team_size: int
    conflicts: list[tuple[str, str]]
    cap: int | None


@st.composite
def plain_draws(draw: st.DrawFn) -> Case:
    units = draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=25, unique=True))
    staff = draw(st.lists(st.sampled_from(STAFF), min_size=2, max_size=12, unique=True))
    people = [*staff, "I99"]  # an inspector outside the registry is ignored
    places = [*units, "U99"]  # and so is a unit outside the draw
    return Case(
        units=units,
        staff=staff,
        seed=draw(st.text(min_size=1, max_size=8)),
        team_size=draw(st.integers(2, 3)),
        conflicts=draw(
            st.lists(st.tuples(st.sampled_from(people), st.sampled_from(places)), max_size=40)
        ),
        cap=draw(st.none() | st.integers(0, 8)),
    )


@given(plain_draws())
def test_bl5_plain_teams_are_the_reference_walk(case: Case) -> None:
    """Random units, registry, recusal pairs (with repeats and pairs outside the draw) and
    caps: the array path gives exactly the teams of spec §10 written out plainly, and
    when the walk leaves a unit short it hands over to the general path."""
    expected = reference_teams(
        case.units,
        case.staff,
        seed=case.seed,
        team_size=case.team_size,
        conflicts=case.conflicts,
        cap=case.cap,
    )
    fast = assign_plain(
        case.units,
        case.staff,
        seed=case.seed,
        draw_id="teams",
        team_size=case.team_size,
        conflicts=case.conflicts,
        max_tasks=case.cap,
    )
    assert fast == expected
    if expected is not None:
        assert list(expected) == sorted(case.units)
        once = assign_teams(
            iter(case.units),
            iter(case.staff),
            seed=case.seed,
            team_size=case.team_size,
            conflicts=iter(case.conflicts),
            max_tasks=case.cap,
        )
        assert once == expected
        general = draw_teams(
            case.units,
            case.staff,
            seed=case.seed,
            team_size=case.team_size,
            conflicts=case.conflicts,
            max_tasks=case.cap,
        )
        assert general.teams() == expected


@pytest.mark.parametrize(
    "conflicts",
    [
        [("I01", "U01", "declared")],  # a reason: the general path
        [["I01", "U01"]],  # a list, not a pair: the general path refuses it
        [("I01", "U01"), (5, "U01")],  # an id that is not a string: refused there too
        [("I01", ["U01"])],  # not even hashable
        "I01",
    ],
)
def test_inputs_not_plain_take_the_general_path(conflicts: object) -> None:
    if conflicts != [("I01", "U01", "declared")]:
        with pytest.raises(InvalidInputError):
            assign_teams(UNITS[:4], STAFF[:4], seed="s", conflicts=conflicts)  # type: ignore[arg-type]
    assert (
        assign_plain(
            UNITS[:4],
            STAFF[:4],
            seed="s",
            draw_id="teams",
            team_size=2,
            conflicts=conflicts,
            max_tasks=None,
        )
        is None
    )


def test_bl4_a_draw_the_caps_cannot_staff_is_refused_in_a_few_mib() -> None:
    """2,000 units, 600 inspectors, cap 1: 600 seats for 4,000. Once the caps leave no
    seat the walk reads no further (no record of a refused draw is written), so the draw
    is refused in a few MiB, naming units and the workload caps: not after recording
    every short unit reading the whole registry (well over 100 MiB)."""
    units = [f"U{n:05d}" for n in range(2_000)]
    staff = [f"I{n:04d}" for n in range(600)]
    for run in (assign_teams, draw_teams):
        tracemalloc.start()
        try:
            with pytest.raises(InfeasibleError) as caught:
                run(units, staff, seed="tight", max_tasks=1)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        text = str(caught.value)
        assert "cannot staff 1700 task(s)" in text, text
        assert "workload caps (max_tasks)" in text, text
        assert any(u in text for u in units)
        assert peak < 16 * 2**20, f"{run.__name__}: peak {peak / 2**20:.1f} MiB"
