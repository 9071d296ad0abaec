"""One error hierarchy for drawcore.

Every error a caller can act on is a :class:`DrawcoreError`. Messages say what
was wrong, where (file, row, field, record number, plugin), and what would fix it.
"""

from __future__ import annotations

__all__ = [
    "DrawcoreError",
    "InfeasibleError",
    "InvalidInputError",
    "JournalError",
    "PluginError",
    "RuleError",
    "StorageError",
]


class DrawcoreError(Exception):
    """Base class of every error drawcore raises on purpose."""


class InvalidInputError(DrawcoreError, ValueError):
    """Input data is malformed: a bad file, row, field, weight or argument.

    ``problems`` holds every problem found (a validator reports all of them, not
    just the first); ``str(error)`` lists them.
    """

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        self.problems: tuple[str, ...] = problems or (message,)
        super().__init__(message)


class InfeasibleError(DrawcoreError):
    """The request is well formed but cannot be satisfied (e.g. size > eligible units)."""


class RuleError(DrawcoreError):
    """A jurisdiction rule was broken or cannot be applied (e.g. BL-6 ratio below 30 %)."""


class PluginError(DrawcoreError):
    """A plugin is broken: bad hook, duplicate jurisdiction, or a hook that raised."""


class JournalError(DrawcoreError):
    """The journal is damaged, tampered with, or an append was refused."""


class StorageError(DrawcoreError):
    """Writing failed in the operating system (disk full, quota, permission, not a folder);
    the message names the path and the cause, and what was being written is left as it was."""
