"""Hand the memory a finished job freed back to the operating system.

A job that decodes large images or runs a network at a large size frees
hundreds of megabytes, much of it in blocks that glibc's allocator keeps in
its per-thread arenas for reuse. In a long-running app those add up to
gigabytes no later job needs (``bench/soak.py``: 4.4 GB instead of 2.5 GB after
two rounds of large jobs). ``malloc_trim`` returns them; where the C library
has no such call, nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from typing import Any


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc, or no C library found
        return None


_TRIM = _malloc_trim()


def release_after_job(event: str, _ticket: Any) -> None:
    """A scheduler listener: when a job leaves the slot, return freed memory to the system."""
    if event == "end" and _TRIM is not None:
        _TRIM(0)
