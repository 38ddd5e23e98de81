"""Settings read from the environment, in one place.

Each model's source and every cache folder can be set by an environment
variable, so a container, a Space or a test can point the library at local
files instead of the network.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Folder for downloaded models (``NST_CACHE_DIR``, default ``~/.cache/dual-nst``)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dual-nst"
    return Path(os.environ.get("NST_CACHE_DIR", default)).expanduser()


def env_str(name: str, default: str) -> str:
    """An environment variable, stripped, or ``default`` when unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_int(name: str, default: int) -> int:
    """An integer environment variable; a malformed value falls back to ``default``."""
    try:
        return int(env_str(name, str(default)))
    except ValueError:
        return default
