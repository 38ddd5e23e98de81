"""A clip's frames, upright and at the painted size, with its audio packets in file order.

The demuxer hands video and audio packets over in the order they are stored,
so the writer can keep them interleaved without holding the clip in memory.
Each frame keeps its own timestamp: a variable frame rate stays as it was. A
packet the decoder refuses (a damaged stretch) is skipped and counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

from nst.video.probe import ClipInfo


@dataclass(frozen=True)
class Frame:
    """One decoded frame: uint8 H×W×3 RGB, upright, at the painted size."""

    image: np.ndarray
    pts: int | None
    """In the video stream's time base, as stored (None when the file has none)."""
    time: float
    """Seconds from the clip's start."""


class ClipReader:
    """Frames (:class:`Frame`) and audio packets (``av.Packet``) of a clip, in file order."""

    def __init__(self, clip: ClipInfo, shape: tuple[int, int]) -> None:
        self.clip = clip
        self.shape = shape
        self.skipped = 0
        """Packets the decoder refused so far."""
        self._container = clip.open()
        self.video = self._container.streams.video[0]
        audio = self._container.streams.audio
        self.audio = audio[0] if audio else None
        self.video.thread_type = "AUTO"
        self._start = self.video.start_time or 0

    def __enter__(self) -> ClipReader:
        return self

    def __exit__(self, *_: object) -> None:
        self._container.close()

    def __iter__(self) -> Iterator[Frame | Any]:
        streams = [s for s in (self.video, self.audio) if s is not None]
        try:
            for packet in self._container.demux(*streams):
                if packet.stream is self.video:
                    yield from self._decode(packet)
                elif packet.dts is not None:  # the demuxer's empty last packet has none
                    yield packet
        except av.error.FFmpegError:  # the file ends in a stretch the demuxer cannot read
            self.skipped += 1
        yield from self._decode(None)  # the frames the decoder still holds

    def _decode(self, packet: Any) -> Iterator[Frame]:
        try:
            frames = self.video.decode(packet)
        except av.error.EOFError:  # flushed already: the demuxer's last packet does it
            return
        except av.error.FFmpegError:
            self.skipped += 1
            return
        for frame in frames:
            yield self._frame(frame)

    def _frame(self, frame: Any) -> Frame:
        """Scaled by FFmpeg (any bit depth to 8-bit RGB), then turned upright."""
        height, width = self.shape
        turns = self.clip.turns
        stored = (height, width) if turns % 2 == 0 else (width, height)
        rgb = frame.reformat(
            width=stored[1], height=stored[0], format="rgb24", interpolation="BICUBIC"
        ).to_ndarray()
        image = np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb
        pts = frame.pts
        time = float((pts - self._start) * self.video.time_base) if pts is not None else math.nan
        return Frame(image, pts, time)
