"""Writing a publication folder whole or not at all.

The files are built in a fresh folder beside the target (same file system, so a
rename is atomic), each written, flushed and ``fsync``-ed, then the folder
itself. Then the new folder takes the target's place:

- no target yet: one ``os.replace``;
- a previous publication there: on Linux the two folders are swapped with one
  ``renameat2(RENAME_EXCHANGE)`` call, so a reader (or a crash) sees the old
  folder or the new one, never a mix and never none; the old one is then removed.
  Where that call is missing, the old folder is renamed aside first and the new
  one renamed in: for an instant the target is absent, never mixed.

A folder that is neither empty nor a previous publication (no ``checkpoint.json``)
is refused, so publishing never deletes someone's other files. Folders left by a
killed run (``.<name>.publishing-<pid>-*`` of a process that is gone) are
removed by the next run. Every operating-system error becomes a
:class:`~drawcore.errors.StorageError` naming the path and the cause; the target
is then as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from drawcore.errors import StorageError
from drawcore.i18n import N_, Text, msg

__all__ = ["MARKER", "write_folder"]

log = logging.getLogger(__name__)

#: The file that marks a folder as a publication (and may be replaced by the next one).
MARKER = "checkpoint.json"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2

_CAUSES = {
    errno.ENOSPC: N_("no space left on the device"),
    errno.EDQUOT: N_("disk quota exceeded"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("operation not permitted"),
    errno.EROFS: N_("read-only file system"),
    errno.EIO: N_("input/output error"),
}


def _storage_error(exc: OSError, out: Path) -> StorageError:
    known = _CAUSES.get(exc.errno or 0)
    cause = Text(known, {}) if known is not None else exc.strerror or str(exc)
    where = exc.filename if exc.filename is not None else out
    return StorageError(
        msg(
            "{where}: {cause}; nothing was published, {out} is unchanged",
            where=where,
            cause=cause,
            out=out,
        )
    )


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically; ``False`` when the system cannot (then nothing moved)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(b))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(parent: Path, name: str) -> None:
    for leftover in parent.glob(f".{name}.publishing-*"):
        pid = leftover.name.removeprefix(f".{name}.publishing-").split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)) and leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


def _check_target(out: Path) -> None:
    if not out.exists() and not out.is_symlink():
        return
    if out.is_symlink() or not out.is_dir():
        raise StorageError(msg("{out} is not a folder; choose another publication folder", out=out))
    if any(out.iterdir()) and not (out / MARKER).is_file():
        raise StorageError(
            msg(
                "{out} holds files and is no earlier publication; give an empty or a new folder",
                out=out,
            )
        )


def write_folder(files: Mapping[str, bytes], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``files`` (name -> bytes) as the folder ``out_dir``, whole or not at all."""
    out = Path(os.path.abspath(out_dir))
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _storage_error(exc, out) from None
    _check_target(out)
    _remove_stale(parent, out.name)
    tmp: Path | None = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.publishing-{os.getpid()}-", dir=parent))
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        for name, data in files.items():
            log.debug(N_("writing %s (%d bytes)"), name, len(data))
            _write_file(tmp / name, data)
        _fsync_dir(tmp)
        log.info(N_("%d files written and synced in %s; moving them in place"), len(files), tmp)
        if out.exists():
            if _exchange(tmp, out):
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                aside = tmp.with_name(tmp.name + "-old")
                os.replace(out, aside)
                try:
                    os.replace(tmp, out)
                except OSError:
                    os.replace(aside, out)
                    raise
                shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(tmp, out)
        tmp = None
        _fsync_dir(parent)
    except OSError as exc:
        raise _storage_error(exc, out) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)
    return [out / name for name in files]
