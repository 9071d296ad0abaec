"""The year's parameters: one value shared by the plan, its commitment and its record.

:class:`YearParameters` is what a bureau decides about its annual plan before any
rule is asked or any seed exists: the year, how many rounds, the enforcement
capacity (BL-5), the double-random ratio (BL-6), the registry's renewal date
(BL-3) and the plan's ``as_of`` date (rounds already over receive no placements).
It is validated once, here, and travels unchanged into
:class:`~drawcore.plan.schedule.YearCommitment`, the ``annual_plan`` record and its
replay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.plan.amendment import Amendment
from drawcore.serde import OMIT_IF_DEFAULT

__all__ = ["ROUND_COUNTS", "YearParameters"]

#: Rounds a year can be split into: whole months each.
ROUND_COUNTS = (1, 2, 3, 4, 6, 12)


def _capacity(value: int | Sequence[int] | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, str | bytes | bool):
        raise InvalidInputError(
            msg("capacity must be a number or one number per round, got {value!r}", value=value)
        )
    return tuple(value)


def _year(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1949 <= value <= 9999:
        raise InvalidInputError(msg("year must be a four-digit year, got {value!r}", value=value))


def _rounds(_instance: object, _attribute: object, value: Any) -> None:
    if value not in ROUND_COUNTS or isinstance(value, bool):
        raise InvalidInputError(
            msg(
                "rounds must be one of {allowed} (whole months), got {value!r}",
                allowed=ROUND_COUNTS,
                value=value,
            )
        )


def _tasks(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInputError(msg("tasks_per_inspector must be >= 1, got {value!r}", value=value))


def _ratio(_instance: object, _attribute: object, value: Any) -> None:
    if value is not None and not (
        isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0
    ):
        raise InvalidInputError(msg("random_ratio must be in [0, 1], got {value!r}", value=value))


def _default_draw_id(params: YearParameters) -> str:
    return f"plan/{params.year}"


@attrs.frozen(kw_only=True)
class YearParameters:
    """An annual plan's parameters (BL-5 capacity, BL-6 ratio, BL-3 registry date).

    ``tasks_per_inspector`` is per round. ``capacity`` overrides the computed
    per-round capacity: one number for every round, or one per round.
    ``random_ratio`` caps the year's random draw at that share of the units that
    may be drawn (``None``: fill the capacity). ``draw_id`` keys every random step
    of the plan (default ``plan/<year>``). ``as_of``: the day the plan is made;
    rounds that ended before it receive no placements. ``amendment``: for a mid-year
    amendment, what it takes from the plan it amends
    (:class:`~drawcore.plan.amendment.Amendment`).
    """

    year: int = attrs.field(validator=_year)
    rounds: int = attrs.field(default=4, validator=_rounds)
    tasks_per_inspector: int = attrs.field(default=20, validator=_tasks)
    capacity: tuple[int, ...] | None = attrs.field(default=None, converter=_capacity)
    random_ratio: float | None = attrs.field(default=None, validator=_ratio)
    registry_date: dt.date | None = None
    draw_id: str = attrs.field(default=attrs.Factory(_default_draw_id, takes_self=True))
    as_of: dt.date | None = None
    # a mid-year amendment: its draw and the room the amended plan leaves (absent otherwise)
    amendment: Amendment | None = attrs.field(default=None, metadata=OMIT_IF_DEFAULT)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.draw_id, str) or not self.draw_id.strip():
            raise InvalidInputError(msg("draw_id must be a non-empty text"))
        if self.capacity is not None:
            if len(self.capacity) not in (1, self.rounds):
                raise InvalidInputError(
                    msg(
                        "capacity lists {n_capacity} rounds, the plan has {rounds}",
                        n_capacity=len(self.capacity),
                        rounds=self.rounds,
                    )
                )
            for i, c in enumerate(self.capacity):
                if not isinstance(c, int) or isinstance(c, bool) or c < 0:
                    raise InvalidInputError(
                        msg(
                            "capacity of round {value} must be an integer >= 0, got {c!r}",
                            value=i + 1,
                            c=c,
                        )
                    )
        if self.amendment is not None and self.as_of is None:
            raise InvalidInputError(msg("amendment {plan} needs its as_of date", plan=self.draw_id))
        if self.as_of is not None and self.as_of.year != self.year:
            raise InvalidInputError(
                msg(
                    "as_of {as_of} is not in the plan's year {year}",
                    as_of=self.as_of.isoformat(),
                    year=self.year,
                )
            )

    def periods(self) -> list[tuple[dt.date, dt.date]]:
        """First and last day of every round: whole months, in order."""
        months = 12 // self.rounds
        starts = [dt.date(self.year, 1 + i * months, 1) for i in range(self.rounds)]
        ends = [s - dt.timedelta(days=1) for s in [*starts[1:], dt.date(self.year + 1, 1, 1)]]
        return list(zip(starts, ends, strict=True))

    def open_rounds(self) -> list[bool]:
        """Per round: whether it can still receive placements (it ends on or after ``as_of``)."""
        if self.as_of is None:
            return [True] * self.rounds
        return [end >= self.as_of for _, end in self.periods()]

    def capacities(self, inspectors: int, team_size: int) -> list[int]:
        """Tasks each round holds (BL-5): ``inspectors * tasks_per_inspector // team_size``
        unless ``capacity`` is given; a round that is over holds none."""
        if self.capacity is None:
            caps = [inspectors * self.tasks_per_inspector // team_size] * self.rounds
        elif len(self.capacity) == 1:
            caps = [self.capacity[0]] * self.rounds
        else:
            caps = list(self.capacity)
        return [c if open_ else 0 for c, open_ in zip(caps, self.open_rounds(), strict=True)]
