"""Impossible plans are refused before the first journal write, the plan id stays free, and a
changed plan under a used id is refused (BL-5, BL-9; at least two officers an inspection)."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest
from ceremony_site import COMMITTED, DRAW_TIMES, EXAMPLE, run_all
from hypothesis import given
from hypothesis import strategies as st

from drawcore.cli.main import main
from drawcore.errors import InvalidInputError, JournalError
from drawcore.record import commitments
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.journal_check import verify
from drawcore.record.plan_checks import check_plan
from drawcore.registry.registries import County


def make_plan(county: County, **changes: Any) -> DrawPlan:
    plan = DrawPlan(
        plan_id="2026Q1",
        units=RegistryRef(path="registries/units.csv", fingerprint=county.units.fingerprint),
        inspectors=RegistryRef(
            path="registries/inspectors.csv", fingerprint=county.inspectors.fingerprint
        ),
        size=30,
    )
    return attrs.evolve(plan, **changes)


def _ids(county: County, n: int) -> list[str]:
    return [u.unit_id for u in list(county.units)[:n]]


IMPOSSIBLE = {
    "team below two": (lambda c: {"team_size": 1}, "at least two"),
    "unknown mandatory": (lambda c: {"mandatory": ("91440000NOSUCHUNIT",)}, "not in the unit"),
    "unknown excluded": (lambda c: {"excluded": ("91440000NOSUCHUNIT",)}, "not in the unit"),
    "mandatory and excluded": (
        lambda c: {"mandatory": _ids(c, 2), "excluded": _ids(c, 1)},
        "both mandatory and excluded",
    ),
    "more mandatory than size": (
        lambda c: {"mandatory": _ids(c, 5), "size": 4},
        "5 mandatory units but the size is 4",
    ),
    "size above eligible": (lambda c: {"size": 301}, "above the"),
    "team above active staff": (lambda c: {"team_size": 500}, "fewer than a team of 500"),
}


@pytest.mark.parametrize("case", sorted(IMPOSSIBLE))
def test_bl5_impossible_plan_is_refused_before_the_first_write(
    site: tuple[Path, County], case: str
) -> None:
    d, county = site
    changes, why = IMPOSSIBLE[case]
    j = Journal(d / "journal.jsonl")
    plan = make_plan(county, **changes(county))
    with pytest.raises(InvalidInputError, match=why):
        commitments.commit_plan(j, plan, committed_at=COMMITTED, committed_by="王建国")
    with pytest.raises(InvalidInputError, match=why):
        run_all(j, plan)
    assert not j.path.exists()
    # the plan id is not used up: a possible plan under the same id goes through
    drawn = run_all(j, make_plan(county))
    assert drawn.record.body["plan_id"] == "2026Q1"
    assert verify(j.path).ok


def test_bl5_every_reason_is_named_at_once(site: tuple[Path, County]) -> None:
    d, county = site
    plan = make_plan(
        county, team_size=1, size=2, mandatory=_ids(county, 3), excluded=_ids(county, 1)
    )
    with pytest.raises(InvalidInputError) as raised:
        commitments.commit_plan(
            Journal(d / "j.jsonl"), plan, committed_at=COMMITTED, committed_by="x"
        )
    text = "\n".join(raised.value.problems)
    for why in ("at least two", "both mandatory and excluded", "3 mandatory units"):
        assert why in text


@given(size=st.integers(0, 320), team=st.integers(0, 70))
def test_bl5_check_plan_refuses_exactly_the_sizes_that_cannot_be_met(
    small_county: tuple[Path, County], size: int, team: int
) -> None:
    """300 units (those already in a higher plan are not drawn, BL-3), 61 active inspectors:
    a plan is refused iff its size or its team cannot be met."""
    _, county = small_county
    active = sum(1 for i in county.inspectors if i.active)
    eligible = sum(1 for u in county.units if not u.in_higher_plan)
    plan = make_plan(county, size=size, team_size=team)
    bad = team < 2 or size > eligible or (size > 0 and team > active)
    if bad:
        with pytest.raises(InvalidInputError):
            check_plan(plan, county.units, county.inspectors)
    else:
        check_plan(plan, county.units, county.inspectors)


def test_bl9_changed_plan_under_a_used_id_is_refused(site: tuple[Path, County]) -> None:
    d, county = site
    j = Journal(d / "journal.jsonl")
    commitments.commit_plan(j, make_plan(county), committed_at=COMMITTED, committed_by="王建国")
    before = j.path.read_bytes()
    with pytest.raises(JournalError, match="a changed plan needs a new plan id"):
        commitments.commit_plan(
            j, make_plan(county, size=31), committed_at=COMMITTED, committed_by="x"
        )
    assert j.path.read_bytes() == before


def _cli_registries(tmp_path: Path) -> Path:
    for name in ("units", "inspectors"):
        shutil.copyfile(EXAMPLE / f"{name}.csv", tmp_path / f"{name}.csv")
    return tmp_path


def _commit_args(d: Path, size: str) -> list[str]:
    return [
        "draw",
        str(d / "journal.jsonl"),
        "--units",
        str(d / "units.csv"),
        "--inspectors",
        str(d / "inspectors.csv"),
        "--plan-id",
        "2026Q1-cli",
        "--size",
        size,
        *DRAW_TIMES[:4],  # commit only: --committed-at, --committed-by
    ]


def test_bl9_cli_commit_of_a_changed_plan_under_a_used_id_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = _cli_registries(tmp_path)
    assert main(_commit_args(d, "60")) == 0
    before = (d / "journal.jsonl").read_bytes()
    assert main(_commit_args(d, "61")) == 2
    assert "a changed plan needs a new plan id" in capsys.readouterr().err
    assert (d / "journal.jsonl").read_bytes() == before
    assert main(_commit_args(d, "60")) == 0  # the same plan again: nothing new to do


def test_bl5_cli_impossible_plan_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = _cli_registries(tmp_path)
    assert main([*_commit_args(d, "60"), "--team-size", "1"]) == 2
    assert "at least two" in capsys.readouterr().err
    assert not (d / "journal.jsonl").exists()


# -- eight processes, eight plans, one journal ---------------------------------------------


def _draw_one(args: tuple[str, str, int]) -> tuple[int, str]:
    path, registries, i = args
    from ceremony_site import run_all as run

    from drawcore.registry.readers import read_county

    county = read_county(Path(registries))
    plan = make_plan(county, plan_id=f"2026Q1-{i}", size=10)
    try:
        drawn = run(Journal(path), plan)
    except Exception as err:  # reported to the parent, which asserts there is none
        return i, f"{type(err).__name__}: {err}"
    return i, f"ok {drawn.record.seq}"


def test_bl9_eight_processes_drawing_eight_plans_on_one_journal_all_succeed(
    site: tuple[Path, County],
) -> None:
    d, _ = site
    path = str(d / "journal.jsonl")
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(8) as pool:
        outcomes = pool.map(_draw_one, [(path, str(d / "registries"), i) for i in range(8)])
    assert [o for _, o in outcomes if not o.startswith("ok")] == []
    records = Journal(path).records()
    assert len(records) == 24
    draws = [r for r in records if r.type == "draw"]
    assert sorted(r.body["plan_id"] for r in draws) == [f"2026Q1-{i}" for i in range(8)]
    for r in draws:
        assert records[r.body["seed_record"]].type == "seed"
        assert records[r.body["seed_record"]].body["plan_id"] == r.body["plan_id"]
    assert verify(path).ok
