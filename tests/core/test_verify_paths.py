"""verify checks hashes before it opens any path a record names, and opens registry
snapshots only inside the registry folder (BL-9, TJ-8: anyone can replay, nobody can
make a replay read /etc/passwd, a FIFO or /dev/zero)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import attrs
import pytest
from ceremony_site import COMMITTED, DRAWN, ENTROPY, NUMBERS, SIGNING

from drawcore.errors import InvalidInputError
from drawcore.record import ceremony, commitments, snapshots, verification
from drawcore.record.draw_plans import DrawPlan, RegistryRef
from drawcore.record.journal import Journal
from drawcore.record.seeding import plan_commitment_body, seed_body
from drawcore.registry.registries import County
from drawcore.serde import unstructure


def _plan(county: County, **changes: Any) -> DrawPlan:
    plan = DrawPlan(
        plan_id="2026Q1",
        units=RegistryRef(path="registries/units.csv", fingerprint=county.units.fingerprint),
        inspectors=RegistryRef(
            path="registries/inspectors.csv", fingerprint=county.inspectors.fingerprint
        ),
        size=20,
    )
    return attrs.evolve(plan, **changes)


def _drawn(d: Path, county: County, **changes: Any) -> list[tuple[str, Any]]:
    j = Journal(d / "journal.jsonl")
    plan = _plan(county, **changes)
    commitments.commit_plan(j, plan, committed_at=COMMITTED, committed_by="王建国")
    commitments.form_seed(j, plan, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS)
    ceremony.draw(j, plan, signing=SIGNING)
    return [(r.type, r.body) for r in j.records()]


def _forge(d: Path, entries: list[tuple[str, Any]], units_path: str, *, recommit: bool) -> Path:
    """The draw's plan names ``units_path``; with ``recommit`` the commitment and seed are
    consistently rewritten too, so only the path itself can be refused."""
    entries = [(k, dict(b)) for k, b in entries]
    draw = entries[2][1]
    plan_dict = dict(draw["plan"])
    plan_dict["units"] = {"path": units_path, "fingerprint": plan_dict["units"]["fingerprint"]}
    draw["plan"] = plan_dict
    if recommit:
        from drawcore.serde import structure

        plan = structure(plan_dict, DrawPlan)
        draw["plan_hash"] = plan.hash
        entries[0] = (
            "plan_commitment",
            plan_commitment_body(plan.plan_id, plan, committed_at=COMMITTED, committed_by="王建国"),
        )
        seed = seed_body(
            plan.plan_id, plan.hash, entropy_at=ENTROPY, recorded_at=DRAWN, rfc3797_sources=NUMBERS
        )
        entries[1] = ("seed", seed)
    out = d / f"forged-{abs(hash(units_path)) % 10_000}-{recommit}.jsonl"
    Journal(out).append_many(entries)
    return out


def _verify_within(path: Path, registry_dir: Path, seconds: float = 10) -> Any:
    result: list[Any] = []
    thread = threading.Thread(
        target=lambda: result.append(verification.verify_draws(path, registry_dir=registry_dir)),
        daemon=True,
    )
    thread.start()
    thread.join(seconds)
    assert result, "verify did not return (it opened a FIFO or /dev/zero?)"
    return result[0]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path the snapshot readers are asked to read."""
    seen: list[str] = []
    for name in ("read_units", "read_inspectors", "read_experts", "read_items"):
        real = getattr(snapshots, name)

        def spy(path: Path, _real: Any = real) -> Any:
            seen.append(os.fspath(path))
            return _real(path)

        monkeypatch.setattr(snapshots, name, spy)
    return seen


@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/zero", "FIFO"])
def test_tj8_a_plan_hash_mismatch_is_found_before_any_named_path_is_opened(
    site: tuple[Path, County], opened: list[str], target: str
) -> None:
    d, county = site
    entries = _drawn(d, county)
    if target == "FIFO":
        os.mkfifo(d / "fifo")
        target = str(d / "fifo")
    opened.clear()
    report = _verify_within(_forge(d, entries, target, recommit=False), d)
    assert report.bad_records == (2,)
    assert "not the committed" in report.format()
    assert "registries were not opened" in report.format()
    assert opened == []


@pytest.mark.parametrize(
    ("units_path", "why"),
    [
        ("/etc/passwd", "is absolute"),
        ("../../../../etc/passwd", "'..' part"),
        ("registries/../registries/units.csv", "'..' part"),
    ],
)
def test_tj8_snapshot_paths_outside_the_registry_folder_are_refused(
    site: tuple[Path, County], opened: list[str], units_path: str, why: str
) -> None:
    d, county = site
    forged = _forge(d, _drawn(d, county), units_path, recommit=True)
    opened.clear()
    report = _verify_within(forged, d)
    assert report.bad_records == (2,)
    assert why in report.format()
    assert opened == []


@pytest.mark.parametrize("kind", ["fifo", "symlink to /dev/zero", "symlink outside"])
def test_tj8_snapshot_that_is_not_a_regular_file_inside_the_folder_is_refused(
    site: tuple[Path, County], opened: list[str], kind: str, tmp_path_factory: Any
) -> None:
    d, county = site
    entries = _drawn(d, county)
    name = d / "registries" / "hostile.csv"
    if kind == "fifo":
        os.mkfifo(name)
        why = "not a regular file"
    elif kind == "symlink to /dev/zero":
        name.symlink_to("/dev/zero")
        why = "outside the registry folder"
    else:
        elsewhere = tmp_path_factory.mktemp("elsewhere") / "units.csv"
        shutil.copyfile(d / "registries" / "units.csv", elsewhere)
        name.symlink_to(elsewhere)
        why = "outside the registry folder"
    forged = _forge(d, entries, "registries/hostile.csv", recommit=True)
    opened.clear()
    report = _verify_within(forged, d)
    assert report.bad_records == (2,)
    assert why in report.format()
    assert opened == []


def test_tj8_resolve_keeps_snapshots_inside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "units.csv").write_text("x", encoding="utf-8")
    ok = snapshots.resolve(RegistryRef(path="reg/units.csv", fingerprint="f"), tmp_path)
    assert ok == (tmp_path / "reg" / "units.csv").resolve()
    for bad in ("/etc/passwd", "reg/../reg/units.csv", "..", "reg/missing.csv", "reg"):
        with pytest.raises(InvalidInputError):
            snapshots.resolve(RegistryRef(path=bad, fingerprint="f"), tmp_path)


def test_bl2_an_edited_item_list_fails_verify(site: tuple[Path, County]) -> None:
    """The item list a draw names is checked by fingerprint when verifying (not only when
    publishing)."""
    d, county = site
    items = RegistryRef(path="registries/items.csv", fingerprint=county.items.fingerprint)
    _drawn(d, county, items=items)
    assert verification.verify_draws(d / "journal.jsonl", registry_dir=d).ok
    path = d / "registries" / "items.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace("安全", "安 全", 1) if "安全" in lines[1] else lines[1] + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    report = verification.verify_draws(d / "journal.jsonl", registry_dir=d)
    assert report.bad_records == (2,)
    assert "fingerprint" in report.format()
    assert unstructure(items)["path"] in report.format()


def test_tj8_cli_draw_refuses_snapshots_outside_the_registry_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ceremony_site import DRAW_TIMES, EXAMPLE

    from drawcore.cli.main import main

    (tmp_path / "journal").mkdir()
    journal = tmp_path / "journal" / "j.jsonl"
    args = [
        "draw",
        str(journal),
        "--units",
        str(EXAMPLE / "units.csv"),
        "--inspectors",
        str(EXAMPLE / "inspectors.csv"),
        "--plan-id",
        "2026Q1-out",
        "--size",
        "20",
        *DRAW_TIMES,
    ]
    assert main(args) == 2
    assert "outside the registry folder" in capsys.readouterr().err
    assert not journal.exists()
    assert main([*args, "--registry-dir", str(EXAMPLE)]) == 0
    assert main(["verify", str(journal), "--registry-dir", str(EXAMPLE)]) == 0
    capsys.readouterr()
    assert main(["verify", str(journal)]) == 1  # the snapshots are not beside the journal
