"""A mid-year amendment's design: its random draw and the room the amended plan leaves.

An amendment plans the units added to the registry, or changed, during the year, for
the rest of the year. It is an annual plan of its own (committed, seeded, replayed);
this module holds what it takes from the plan it amends, as one committed value,
:class:`Amendment`:

- **Its random draw.** Every unit it may draw is drawn with the yearly probability the
  amended plan's design would have given it for the part of the year that is left::

      p = share * min(1, scale * w)

  ``w`` its weight under the rules, ``scale`` the amended plan's scale ``c`` (its
  yearly probabilities are ``min(1, c * w)``; :func:`yearly_scale`), ``share`` the
  share of the year left on the amendment's ``as_of`` day (:func:`share_of_year_left`).
  Each unit is drawn independently (Poisson sampling, :func:`draw_amendment`): drawn
  when its uniform ``U = id_uniforms(derive(seed, "<draw_id>/amendment"), id)`` is
  below ``p``, so its probability of being drawn is exactly ``p``. Mandatory and
  once-a-year units are placed for sure, as in any plan.
- **Its room.** A round holds the amended plan's capacity for it less the tasks the
  amended plan and the earlier amendments already have in it (``taken``); an
  inspector (or expert) takes at most ``tasks_per_inspector`` tasks a round less
  those already held there (``held``), and a round holds no more tasks than the
  inspectors' seats left in it can staff with the largest team the rules ask for.
  An amendment that cannot fit even when every unit it may draw is drawn is
  refused before anything is journaled (:func:`check_room`), naming the shortfall.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.randomness import DrawKey, id_uniforms
from drawcore.errors import InfeasibleError, InvalidInputError
from drawcore.i18n import msg

__all__ = [
    "METHOD",
    "Amendment",
    "check_room",
    "draw_amendment",
    "share_of_year_left",
    "yearly_scale",
]

#: The amendment draw's method name (independent draws with the given probabilities).
METHOD = "poisson/1"


def _unit_interval(_instance: object, attribute: attrs.Attribute[float], value: Any) -> None:
    if not (isinstance(value, int | float) and not isinstance(value, bool)) or not (
        0.0 <= value <= 1.0
    ):
        raise InvalidInputError(
            msg(
                "amendment {field} must be in [0, 1], got {value}",
                field=attribute.name,
                value=value,
            )
        )


def _scale(_instance: object, attribute: attrs.Attribute[float], value: Any) -> None:
    if not (isinstance(value, int | float) and not isinstance(value, bool)) or not (
        math.isfinite(value) and value >= 0
    ):
        raise InvalidInputError(
            msg("amendment scale must be a finite number >= 0, got {value}", value=value)
        )


def _counts(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    for v in value:
        n = v[-1] if isinstance(v, tuple) else v
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidInputError(
                msg("amendment {field}: {value} is not a count >= 0", field=attribute.name, value=v)
            )


def _taken(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


def _held(value: Iterable[Sequence[Any]]) -> tuple[tuple[int, str, int], ...]:
    return tuple(sorted((int(r), str(p), int(n)) for r, p, n in value))


@attrs.frozen(kw_only=True)
class Amendment:
    """What an amendment takes from the plan it amends (see the module docs).

    ``amends``: the amended plan's id; ``scale`` and ``share``: its draw
    (``p = share * min(1, scale * w)``); ``capacity``: the amended plan's round
    capacities; ``taken``: tasks per round (in order) already planned by the amended
    plan and earlier amendments; ``held``: ``(round,
    person id, tasks)`` already held by an inspector or expert in a round.
    """

    amends: str
    scale: float = attrs.field(validator=_scale)
    share: float = attrs.field(validator=_unit_interval)
    capacity: tuple[int, ...] = attrs.field(converter=_taken, validator=_counts)
    taken: tuple[int, ...] = attrs.field(converter=_taken, validator=_counts)
    held: tuple[tuple[int, str, int], ...] = attrs.field(
        default=(), converter=_held, validator=_counts
    )

    def probabilities(self, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``share * min(1, scale * w)`` per weight."""
        w = np.asarray(weights, dtype=np.float64)
        return np.asarray(self.share * np.minimum(1.0, self.scale * w), dtype=np.float64)

    def room(
        self, caps: Sequence[int], people: Sequence[str], per: int, team_size: int
    ) -> list[int]:
        """Each round's room: the amended plan's capacity less the tasks already taken in
        it, within the amendment's own capacity ``caps``, and no more than the teams of
        ``team_size`` the seats ``people`` have left there can staff."""
        if not len(self.taken) == len(self.capacity) == len(caps):
            raise InvalidInputError(
                msg(
                    "amendment of {plan}: {amended} rounds amended, {taken} taken, the "
                    "amendment has {rounds}",
                    plan=self.amends,
                    amended=len(self.capacity),
                    taken=len(self.taken),
                    rounds=len(caps),
                )
            )
        out = []
        rounds = zip(caps, self.capacity, self.taken, strict=True)
        for r, (own, c, t) in enumerate(rounds, start=1):
            seats = sum(self.caps(r, people, per).values())
            out.append(max(min(own, c - t, seats // max(team_size, 1)), 0))
        return out

    def caps(self, round_index: int, people: Iterable[str], per: int) -> dict[str, int]:
        """Tasks each of ``people`` may still take in round ``round_index`` (1-based)."""
        held = {p: n for r, p, n in self.held if r == round_index}
        return {p: max(per - held.get(p, 0), 0) for p in people}


def share_of_year_left(as_of: dt.date) -> float:
    """Days from ``as_of`` to 31 December (both counted) over the days of the year."""
    first, last = dt.date(as_of.year, 1, 1), dt.date(as_of.year, 12, 31)
    return ((last - as_of).days + 1) / ((last - first).days + 1)


def yearly_scale(probabilities: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The scale ``c`` of a plan whose yearly probabilities are ``min(1, c * w)``.

    Over the units drawn with ``0 < pi < 1`` (where ``pi = c * w`` exactly):
    ``sum(pi) / sum(w)``. When the plan drew with no such unit: ``0`` if it drew
    nothing at random, else (every unit certain) the float just above ``1 / min(w)``
    over its certain units: the least scale that makes them all certain.
    """
    uncapped = [(p, weights[u]) for u, p in probabilities.items() if 0 < p < 1 and u in weights]
    if uncapped:
        total_w = math.fsum(w for _, w in uncapped)
        return math.fsum(p for p, _ in uncapped) / total_w if total_w > 0 else 0.0
    certain = [weights[u] for u, p in probabilities.items() if p >= 1 and weights.get(u, 0) > 0]
    return math.nextafter(1.0 / min(certain), math.inf) if certain else 0.0


def draw_amendment(
    ids: Sequence[str], probabilities: npt.NDArray[np.float64], *, seed: str | bytes, draw_id: str
) -> list[int]:
    """Positions of ``ids`` drawn: each independently, exactly with its probability."""
    if not ids:
        return []
    key = DrawKey.derive(seed, f"{draw_id}/amendment")
    u = id_uniforms(key, list(ids))
    return np.flatnonzero(u < np.asarray(probabilities, dtype=np.float64)).tolist()


def check_room(amendment: Amendment, room: Sequence[int], planned: int, drawable: int) -> None:
    """Refuse an amendment whose rounds cannot hold its planned units and every unit it
    may draw, naming what is short and by how much (before any seed exists)."""
    need, have = planned + drawable, sum(room)
    if need > have:
        raise InfeasibleError(
            msg(
                "amendment of {plan}: {planned} planned and up to {drawable} drawn unit(s) "
                "need {need} task(s); the rounds have room for {have} ({room} after the "
                "{taken} task(s) and the inspectors' seats already planned): short by "
                "{short}; add inspectors or raise tasks_per_inspector",
                plan=amendment.amends,
                planned=planned,
                drawable=drawable,
                need=need,
                have=have,
                room=str(list(room)),
                taken=sum(amendment.taken),
                short=need - have,
            )
        )
