"""What the ceremony tests share: the times and public numbers of one ceremony, the
same as ``drawcore draw`` arguments, and running the whole of it at once (the
fixtures are in tests/core/conftest.py)."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

from drawcore.cli import main
from drawcore.record import ceremony
from drawcore.record.draw_plans import DrawPlan
from drawcore.record.journal import Journal
from drawcore.record.signing import Signing

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "county"
COMMITTED = "2026-01-05T09:00:00+08:00"
ENTROPY = "2026-01-06T21:30:00+08:00"
DRAWN = "2026-01-07T09:00:00+08:00"
SIGNED = "2026-01-07T09:15:00+08:00"
NUMBERS: list[int | list[int]] = [[3, 11, 17, 22, 28, 31], [9], [742]]
WHO = {"drawn_by": "李明", "signed_by": "王建国", "drawn_at": DRAWN, "signed_at": SIGNED}
#: WHO as the one value a single draw takes.
SIGNING = Signing(**WHO)
#: The same ceremony as ``drawcore draw`` options: commit, seed from NUMBERS, draw.
DRAW_TIMES = [
    "--committed-at",
    COMMITTED,
    "--committed-by",
    "王建国",
    "--public-numbers",
    "/".join(",".join(map(str, n if isinstance(n, list) else [n])) for n in NUMBERS),
    "--entropy-at",
    ENTROPY,
    *(a for key, value in WHO.items() for a in (f"--{key.replace('_', '-')}", value)),
]


def run_all(journal: Journal, plan: DrawPlan) -> ceremony.Drawn:
    """Commit, seed (from NUMBERS) and draw ``plan`` in one call."""
    return ceremony.run_ceremony(
        journal,
        plan,
        committed_at=COMMITTED,
        committed_by="王建国",
        entropy_at=ENTROPY,
        rfc3797_sources=NUMBERS,
        signing=SIGNING,
    )


def write_persons_county(directory: Path, companies: int) -> Path:
    """Every person of the example county and its first ``companies`` companies, with all
    its staff and items, written into ``directory`` (so publication masking is exercised)."""
    from drawcore.model import IdKind
    from drawcore.registry.readers import read_county
    from drawcore.registry.registries import UnitRegistry
    from drawcore.registry.writers import write_inspectors, write_items, write_units

    full = read_county(EXAMPLE)
    persons = [u for u in full.units if u.id_kind is IdKind.ID_CARD]
    firms = [u for u in full.units if u.id_kind is IdKind.USCC][:companies]
    write_units(UnitRegistry.from_records(persons + firms), directory / "units.csv")
    write_inspectors(full.inspectors, directory / "inspectors.csv")
    write_items(full.items, directory / "items.csv")
    return directory


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``drawcore ARGV`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def copied_county(folder: Path) -> Path:
    """The example county copied to ``folder / "county"``; returns ``folder``."""
    shutil.copytree(EXAMPLE, folder / "county")
    return folder
