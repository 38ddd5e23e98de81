"""What a shared host allows: caps on the costliest parameters, and how long files stay.

The page applies these on top of each parameter's declared bounds, and so does
a queue's worker for the jobs it takes (by its own device); the CLI and the
Python API, which run on the user's own machine, do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nst import config
from nst.settings import ClassicSettings

CPU_CLASSIC_CAPS = {"size": 512, "iterations": 300}
"""Classic mode's output size and steps on a host without a GPU: a job stays within minutes."""
GPU_CLASSIC_CAPS = {"size": 1536, "iterations": 2000}
CPU_VIDEO_CAPS = {"size": 854, "max_seconds": 20, "max_frames": 600}
"""A clip on a host without a GPU: 480p, 20 s (600 frames at 30 per second), about a minute of
painting at 6 frames per second."""
GPU_VIDEO_CAPS = {"size": 1920, "max_seconds": 60, "max_frames": 1800}


@dataclass(frozen=True)
class HostCaps:
    """The highest value of each capped parameter, per mode, on this host.

    Fast mode takes its full range: it refuses a job that would not fit in the memory left.
    """

    classic: dict[str, int]
    gpu: bool
    video: dict[str, float] = field(default_factory=dict)

    def of(self, mode: str) -> dict[str, float]:
        """The caps of one mode's parameters (none for a mode this host does not cap)."""
        return {"classic": self.classic, "video": self.video}.get(mode, {})

    @property
    def device(self) -> str:
        return "GPU" if self.gpu else "CPU"

    def note(self) -> str:
        """One line telling the user about classic mode's caps and how to change them."""
        return (
            f"On this {self.device} host classic mode is capped at {self.classic['size']} px "
            f"and {self.classic['iterations']} steps; set `{config.MAX_CLASSIC_SIZE.name}` and "
            f"`{config.MAX_ITERATIONS.name}` before starting the app to change that."
        )

    def video_note(self) -> str:
        """One line telling the user how long and large a clip this host paints."""
        video = self.video
        return (
            f"On this {self.device} host a clip is painted at up to {video['size']} px, "
            f"for its first {video['max_seconds']:g} s and at most {video['max_frames']} frames."
        )


def host_caps() -> HostCaps:
    """Caps from the environment, defaulting by whether TensorFlow sees a GPU.

    Listing devices initialises the runtime but builds no model.
    """
    import tensorflow as tf

    gpu = bool(tf.config.list_physical_devices("GPU"))
    defaults = GPU_CLASSIC_CAPS if gpu else CPU_CLASSIC_CAPS
    classic = {}
    for name, variable in (
        ("size", config.MAX_CLASSIC_SIZE),
        ("iterations", config.MAX_ITERATIONS),
    ):
        cap = variable.integer() if variable.is_set() else defaults[name]
        low, high = ClassicSettings.parameter(name).bounds()
        classic[name] = int(min(max(cap, low), high))
    video = dict(GPU_VIDEO_CAPS if gpu else CPU_VIDEO_CAPS)
    return HostCaps(classic=classic, gpu=gpu, video=video)


def upload_lifetime_seconds() -> int:
    """How long uploads and results stay on the server (``NST_DELETE_CACHE_SECONDS``).

    Any value from 1 s up is honoured: a privacy-minded host may keep files
    only seconds, at the price of uploads expiring while their job waits.
    """
    return max(config.DELETE_CACHE_SECONDS.integer(), 1)
