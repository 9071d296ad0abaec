"""Reading journal and checkpoint files that may be hostile: regular files only, bounded.

A journal or checkpoint named by a careless or hostile user may be a FIFO (an
``open`` that never returns), a device (``/dev/zero``: gigabytes of nothing),
or a huge regular file. Every reader in :mod:`drawcore.record` opens through
:func:`open_regular` (``O_NONBLOCK``, so a FIFO cannot block; then ``fstat``:
anything but a regular file is refused) and reads at most a documented number
of bytes. Each limit has a default and can be overridden by an environment
variable (for a command) or an argument (for the library):

==========================  =================================  ===========
limit                       environment variable               default
==========================  =================================  ===========
journal size                ``DRAWCORE_MAX_JOURNAL_BYTES``     4 GiB
checkpoint file size        ``DRAWCORE_MAX_CHECKPOINT_BYTES``  64 MiB
problems kept by verify     ``DRAWCORE_MAX_PROBLEMS``          1,000
==========================  =================================  ===========

JSON nested deeper than Python's parser can follow is a malformed record,
never a ``RecursionError``.
"""

from __future__ import annotations

import os
import stat

from drawcore.errors import JournalError
from drawcore.i18n import N_, Text, msg

__all__ = [
    "CHECKPOINT_ENV",
    "JOURNAL_ENV",
    "MAX_CHECKPOINT_BYTES",
    "MAX_JOURNAL_BYTES",
    "MAX_PROBLEMS",
    "PROBLEMS_ENV",
    "limit",
    "open_regular",
    "read_at",
    "read_regular",
]

MAX_JOURNAL_BYTES = 4 << 30
MAX_CHECKPOINT_BYTES = 64 << 20
MAX_PROBLEMS = 1000

JOURNAL_ENV = "DRAWCORE_MAX_JOURNAL_BYTES"
CHECKPOINT_ENV = "DRAWCORE_MAX_CHECKPOINT_BYTES"
PROBLEMS_ENV = "DRAWCORE_MAX_PROBLEMS"


#: What a file is to the reader of an error (``what`` below), marked for the catalog.
_NAMES = frozenset({N_("journal"), N_("checkpoint file")})


def _named(what: str) -> str:
    """``what`` as a message rendered in the reader's language when the catalog knows it."""
    return Text(what, {}) if what in _NAMES else what


def limit(env: str, default: int, given: int | None = None) -> int:
    """``given`` if not ``None``, else the environment variable ``env``, else ``default``."""
    if given is not None:
        value, source = given, msg("argument")
    else:
        name = env
        text = os.environ.get(name, "")
        if not text.strip():
            return default
        source = msg("environment variable {name}", name=name)
        try:
            value = int(text)
        except ValueError:
            raise JournalError(
                msg("{source} is {text!r}, not a whole number", source=source, text=text)
            ) from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise JournalError(
            msg(
                "limit from {source} must be a whole number >= 1, got {value!r}",
                source=source,
                value=value,
            )
        )
    return value


_KINDS = (
    (stat.S_ISFIFO, N_("a FIFO (named pipe)")),
    (stat.S_ISCHR, N_("a character device")),
    (stat.S_ISBLK, N_("a block device")),
    (stat.S_ISDIR, N_("a directory")),
    (stat.S_ISSOCK, N_("a socket")),
)


def open_regular(path: str | os.PathLike[str], what: str, flags: int = os.O_RDONLY) -> int:
    """A descriptor of ``path`` opened with ``flags``, refused unless it is a regular file.

    ``O_NONBLOCK`` keeps a FIFO from blocking the open. ``FileNotFoundError``
    and ``FileExistsError`` pass through (a missing journal is an empty one to
    some callers; ``O_EXCL`` tells who created it); any
    other refusal is a :class:`JournalError` naming the file.
    """
    try:
        _refuse_irregular(os.stat(path).st_mode, path, what)  # before an open can block
    except FileNotFoundError:
        pass  # may be created by the open below
    except OSError as err:
        raise JournalError(
            msg(
                "{what} {path}: cannot read: {strerror}",
                what=_named(what),
                path=os.fspath(path),
                strerror=err.strerror,
            )
        ) from None
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except (FileNotFoundError, FileExistsError):
        raise
    except OSError as err:
        raise JournalError(
            msg(
                "{what} {path}: cannot open: {strerror}",
                what=_named(what),
                path=os.fspath(path),
                strerror=err.strerror,
            )
        ) from None
    try:
        _refuse_irregular(os.fstat(fd).st_mode, path, what)  # what was actually opened
    except JournalError:
        os.close(fd)
        raise
    os.set_blocking(fd, True)
    return fd


def _refuse_irregular(mode: int, path: str | os.PathLike[str], what: str) -> None:
    if not stat.S_ISREG(mode):
        kind = msg(next((name for test, name in _KINDS if test(mode)), N_("not a regular file")))
        raise JournalError(
            msg(
                "{what} {path} is {kind}, not a regular file; refused",
                what=_named(what),
                path=os.fspath(path),
                kind=kind,
            )
        )


def read_regular(path: str | os.PathLike[str], what: str, max_bytes: int) -> bytes:
    """All bytes of the regular file ``path``; refused when it holds more than ``max_bytes``."""
    try:
        fd = open_regular(path, what)
    except FileNotFoundError:
        raise JournalError(
            msg("{what} {path}: no such file", what=_named(what), path=os.fspath(path))
        ) from None
    try:
        return read_at(fd, 0, path, what, max_bytes)
    finally:
        os.close(fd)


def read_at(fd: int, offset: int, path: str | os.PathLike[str], what: str, max_bytes: int) -> bytes:
    """The bytes of ``fd`` from ``offset`` to its end, refused past ``max_bytes`` in all."""
    end = os.fstat(fd).st_size
    if end > max_bytes:
        raise _too_big(path, what, end, max_bytes)
    chunks: list[bytes] = []
    pos = offset
    while True:
        chunk = os.pread(fd, 1 << 20, pos)
        if not chunk:
            break
        pos += len(chunk)
        if pos > max_bytes:  # grew while we read
            raise _too_big(path, what, pos, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(path: str | os.PathLike[str], what: str, size: int, max_bytes: int) -> JournalError:
    env = CHECKPOINT_ENV if "checkpoint" in what else JOURNAL_ENV
    return JournalError(
        msg(
            "{what} {path} has at least {size} bytes, more than the limit of {limit}; "
            "raise {env} if it is genuine",
            what=_named(what),
            path=os.fspath(path),
            size=size,
            limit=max_bytes,
            env=env,
        )
    )
