"""A quiet start: TensorFlow loaded without its native start-up lines, unless asked for.

On a machine without a GPU, importing TensorFlow and listing devices prints a
dozen lines from C++ (CUDA drivers not found, ``failed call to cuInit``, oneDNN
notes) that look like errors but mean nothing is wrong. ``TF_CPP_MIN_LOG_LEVEL``
does not cover the ones printed before TensorFlow's logging starts, so while
TensorFlow loads the process's standard error is pointed at ``/dev/null``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

QUIET_TF_LEVEL = "2"
"""``TF_CPP_MIN_LOG_LEVEL`` once TensorFlow runs: its warnings and notes hidden, errors shown."""


def configure_logging(verbose: bool = False) -> None:
    """Warnings and errors from every logger; with ``verbose``, this project's notes as well.

    Only the project's own loggers go down to INFO: other libraries' notes
    (each HTTP request, say) would bury them.
    """
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    if verbose:
        for name in ("nst", "dual-nst"):
            logging.getLogger(name).setLevel(logging.INFO)


def import_tensorflow(verbose: bool = False) -> None:
    """Import TensorFlow and look for GPUs now, its native start-up lines shown only if ``verbose``.

    Later imports are free, and later device listings print nothing new.
    """
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_TF_LEVEL)
    with nullcontext() if verbose else _native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null, where C++ code writes, and back afterwards."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
