"""Progress of a long read: the reader's callback, and the bar ``drawcore validate`` draws
only when stderr is a terminal."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawcore.cli.main import main
from drawcore.registry import formats
from drawcore.registry.ids import make_uscc
from drawcore.registry.readers import read_registry, read_units
from drawcore.registry.registries import UnitRegistry

HEADER = "统一社会信用代码,名称,主体类型,行业类别,所属乡镇"


def units_csv(path: Path, rows: int, *, quoted: bool = False, blank_every: int = 0) -> Path:
    lines = [HEADER]
    for i in range(rows):
        name = f'"单位{i}"' if quoted else f"单位{i}"
        lines.append(f"{make_uscc(f'91441322{i:09d}')},{name},有限责任公司,机械,石湾镇")
        if blank_every and i % blank_every == 0:
            lines.append(",,,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def calls_of(path: Path) -> list[tuple[int, int]]:
    calls: list[tuple[int, int]] = []
    registry = read_registry(UnitRegistry, path, progress=lambda d, t: calls.append((d, t)))
    assert len(registry) == calls[-1][1]
    return calls


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 400),
    block=st.integers(1, 120),
    quoted=st.booleans(),
    blank_every=st.sampled_from([0, 7]),
)
def test_progress_grows_to_the_number_of_records(
    tmp_path_factory: pytest.TempPathFactory, rows: int, block: int, quoted: bool, blank_every: int
) -> None:
    """Called after each block: the rows read only grow, the total never changes, and the
    last call has read every record (blank rows are not records)."""
    path = units_csv(tmp_path_factory.mktemp("p") / "u.csv", rows, quoted=quoted,
                     blank_every=blank_every)  # fmt: skip
    with mock.patch.object(formats, "_BLOCK", block):
        calls = calls_of(path)
    done = [d for d, _ in calls]
    assert {t for _, t in calls} == {rows}
    assert done == sorted(set(done))
    assert done[0] > 0
    assert done[-1] == rows
    if not quoted:  # the plain path converts block by block
        assert len(calls) == -(-rows // block)


def test_progress_of_a_spreadsheet_and_json(tmp_path: Path) -> None:
    csv_path = units_csv(tmp_path / "u.csv", 30)
    units = read_units(csv_path)
    for suffix in (".json", ".xlsx"):
        from drawcore.registry.writers import write_registry

        path = tmp_path / f"u{suffix}"
        if suffix == ".xlsx":
            import openpyxl

            book = openpyxl.Workbook()
            sheet = book.active
            assert sheet is not None
            for line in csv_path.read_text(encoding="utf-8").splitlines():
                sheet.append(line.split(","))
            book.save(path)
        else:
            write_registry(units, path)
        assert calls_of(path) == [(30, 30)]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_validate_draws_no_bar_when_stderr_is_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = units_csv(tmp_path / "units.csv", 200)
    with mock.patch.object(formats, "_BLOCK", 50):
        assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "200" in captured.out


def test_validate_draws_a_bar_on_a_terminal(tmp_path: Path) -> None:
    path = units_csv(tmp_path / "units.csv", 200)
    terminal = _Terminal()
    with mock.patch.object(formats, "_BLOCK", 50), mock.patch.object(sys, "stderr", terminal):
        assert main(["validate", str(path)]) == 0
    assert "units.csv" in terminal.getvalue()
    assert "/200 [" in terminal.getvalue()  # tqdm redraws at most every 0.1 s
