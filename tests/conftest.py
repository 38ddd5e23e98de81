"""Shared fixtures and helpers: offline model settings, the optional real assets in ../shared."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from nst.scheduler import Scheduler, Ticket

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NST_SHARED_DIR", REPO.parent / "shared"))
SHARED_MAGENTA = SHARED / "models" / "magenta"
SHARED_VGG16 = SHARED / "models" / "vgg16-hed" / "vgg16_hed_notop.weights.h5"
SHARED_VGG19 = SHARED / "models" / "vgg19-imagenet-q8" / "vgg19_imagenet_q8_notop.h5"
SHARED_IMAGES = SHARED / "images"

# Tests never reach a model hub: the backbone is random unless a test says otherwise.
os.environ.setdefault("NST_VGG_WEIGHTS", "random")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class SlotWatch:
    """Listens to a scheduler: which jobs started, and most jobs ever holding the slot at once."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.started: list[object] = []
        self.peak = 0
        self._running = 0
        self._lock = threading.Lock()
        self.stop = scheduler.add_listener(self._hear)

    def _hear(self, event: str, ticket: Ticket) -> None:
        with self._lock:
            if event == "start":
                self.started.append(ticket.job)
                self._running += 1
                self.peak = max(self.peak, self._running)
            else:
                self._running -= 1


@contextmanager
def live_app(
    max_queue: int = 5, env: Mapping[str, object | None] | None = None, **launch: Any
) -> Iterator[tuple[str, Any]]:
    """The app served in this process on a free port of 127.0.0.1: (URL, demo).

    ``env`` is set (None: removed) while the app is built and serves. Its
    Gradio cache is private unless ``env`` names one: Gradio names cached files
    by content, so two servers sharing /tmp/gradio delete each other's copies.
    Fast mode gets the real models where present, else an empty folder: it
    fails there, never downloads.
    """
    from webui.layout import build_demo
    from webui.server import launch as serve

    models = SHARED_MAGENTA if SHARED_MAGENTA.exists() else tempfile.mkdtemp(prefix="no-models-")
    settings = {
        "GRADIO_TEMP_DIR": tempfile.mkdtemp(prefix="gradio-cache-"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "NST_FAST_MODEL": models,
        **(env or {}),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, str(value))
        demo = build_demo()
        options = {"server_name": "127.0.0.1", "prevent_thread_lock": True, "quiet": True}
        _, url, _ = serve(demo, max_queue=max_queue, **{**options, **launch})
        try:
            yield url, demo
        finally:
            demo.close()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with a correct CRC."""
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def raw_png(width: int, height: int, depth: int, colour: int, rows: bytes, extra=b"") -> bytes:
    """A PNG written byte by byte, for headers and depths Pillow will not write."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + extra
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB, from /proc."""
    status = Path("/proc/self/status").read_text()
    values = dict(line.split(":", 1) for line in status.splitlines() if line.startswith("Vm"))
    return int(values["VmRSS"].split()[0]) / 1024, int(values["VmHWM"].split()[0]) / 1024


def reset_peak_rss() -> None:
    """Make VmHWM start again from the current RSS (Linux ≥ 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll ``condition`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def run_bench(script: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``bench/<script>`` with ``args`` from the repository root, as its README says."""
    return subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def need(path: Path) -> Path:
    """Skip the calling test, naming the file, when an optional asset is absent."""
    if not path.exists():
        pytest.skip(f"optional asset not present: {path}")
    return path


@pytest.fixture
def magenta_dir() -> Path:
    """The real Magenta TFLite models (predictor + transfer network)."""
    return need(SHARED_MAGENTA)


@pytest.fixture
def shared_image():
    """Path of a real photo or painting from ../shared/images, by relative name."""

    def find(name: str) -> Path:
        return need(SHARED_IMAGES / name)

    return find
