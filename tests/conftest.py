"""Shared fixtures: offline model settings and the optional real assets in ../shared."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from nst.scheduler import Scheduler, Ticket

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NST_SHARED_DIR", REPO.parent / "shared"))
SHARED_MAGENTA = SHARED / "models" / "magenta"
SHARED_VGG16 = SHARED / "models" / "vgg16-hed" / "vgg16_hed_notop.weights.h5"
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
