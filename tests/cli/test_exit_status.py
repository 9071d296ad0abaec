"""Exit statuses: one value per outcome, documented, and no traceback on a closed pipe."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ceremony_site import DRAW_TIMES, EXAMPLE

from drawcore.cli.common import Exit
from drawcore.cli.main import main
from drawcore.record.journal import Journal

README = Path(__file__).resolve().parents[2] / "README.md"


def test_exit_statuses_are_distinct_and_the_readme_lists_each() -> None:
    values = [e.value for e in Exit]
    assert len(set(values)) == len(values)
    text = README.read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `(\d+)` \| `(\w+)` \|", text, flags=re.M))
    assert table == {str(e.value): e.name for e in Exit}


def test_usage_error_is_not_the_invalid_input_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["draw", "--no-such-option"])
    assert exit_.value.code == Exit.USAGE
    assert "usage: drawcore draw" in capsys.readouterr().err
    assert main(["validate", str(EXAMPLE / "nowhere.csv")]) == Exit.INVALID_INPUT


def _draw_command(d: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "drawcore",
        "draw",
        str(d / "journal.jsonl"),
        "--units",
        str(d / "units.csv"),
        "--inspectors",
        str(d / "inspectors.csv"),
        "--plan-id",
        "2026Q1-pipe",
        "--size",
        "60",
        *DRAW_TIMES,
    ]


def test_a_closed_output_pipe_exits_141_without_traceback_and_keeps_the_record(
    tmp_path: Path,
) -> None:
    for name in ("units", "inspectors"):
        shutil.copyfile(EXAMPLE / f"{name}.csv", tmp_path / f"{name}.csv")
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already gone
    done = subprocess.run(
        _draw_command(tmp_path),
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    os.close(write_end)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr == ""
    assert done.returncode == Exit.BROKEN_PIPE
    kinds = [r.type for r in Journal(tmp_path / "journal.jsonl").records()]
    assert kinds == ["plan_commitment", "seed", "draw"]


def test_head_reads_the_first_line_and_the_draw_is_journaled(tmp_path: Path) -> None:
    for name in ("units", "inspectors"):
        shutil.copyfile(EXAMPLE / f"{name}.csv", tmp_path / f"{name}.csv")
    draw = subprocess.Popen(_draw_command(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert draw.stdout is not None
    assert draw.stderr is not None
    first = draw.stdout.readline()
    draw.stdout.close()
    err = draw.stderr.read().decode()
    draw.stderr.close()
    draw.wait(timeout=60)
    assert first.startswith(b"record 0: plan 2026Q1-pipe committed") or first.startswith(
        b"record 2: draw"
    )
    assert "Traceback" not in err, err
    assert draw.returncode in (Exit.OK, Exit.BROKEN_PIPE)
    assert len(Journal(tmp_path / "journal.jsonl").records()) == 3


def test_validate_refuses_a_device_or_a_fifo_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``drawcore validate /dev/zero`` must not read gigabytes, nor wait on a FIFO for a
    writer, to tell the registry kind: both are refused as not regular files (exit 2)."""
    fifo = tmp_path / "units.csv"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        assert main(["validate", str(path)]) == 2
        err = capsys.readouterr().err
        assert "regular file" in err
        assert "Traceback" not in err


def test_an_os_error_escaping_a_command_exits_74_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno
    import importlib

    from drawcore.cli.common import Command

    cli_main = importlib.import_module("drawcore.cli.main")  # the module, not main()

    def full_disk(_args: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/srv/drawcore/out.csv")

    monkeypatch.setitem(
        cli_main.COMMANDS, "validate", Command("validate", "x", lambda p: None, full_disk)
    )
    assert main(["validate"]) == Exit.IO_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "/srv/drawcore/out.csv" in err
    assert os.strerror(errno.ENOSPC) in err
