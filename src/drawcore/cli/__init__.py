"""The ``drawcore`` command line."""

from drawcore.cli.main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
