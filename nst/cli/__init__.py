"""The command line: ``python -m nst`` (or ``dual-nst``) runs a transfer, ``… download`` the models,
``… worker`` runs jobs from a shared queue.

``transfer`` builds its options from the parameter declarations; ``models``
fetches or lists the model files a container needs before it goes offline;
``worker`` serves the job queue on Redis (:mod:`nst.queue`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from nst.quiet import QUIET_TF_LEVEL


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["download"]:
        from nst.cli.models import main as models_main

        return models_main(argv[1:])
    if argv[:1] == ["worker"]:
        from nst.cli.worker import main as worker_main

        return worker_main(argv[1:])
    from nst.cli.transfer import run_transfer

    return run_transfer(argv)


def console() -> NoReturn:
    """The ``dual-nst`` command, and ``python -m nst``: warnings only, then exit with the status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_TF_LEVEL)  # before TensorFlow loads
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    sys.exit(main())
