"""``python -m drawcore``: the same as the ``drawcore`` command."""

from __future__ import annotations

import sys

from drawcore.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
