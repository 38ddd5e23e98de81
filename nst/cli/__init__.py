"""The command line: ``python -m nst`` (or ``dual-nst``) runs a transfer, ``… download`` the models.

``transfer`` builds its options from the parameter declarations; ``models``
fetches or lists the model files a container needs before it goes offline.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["download"]:
        from nst.cli.models import main as models_main

        return models_main(argv[1:])
    from nst.cli.transfer import run_transfer

    return run_transfer(argv)
