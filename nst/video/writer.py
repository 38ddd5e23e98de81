"""The painted clip as an H.264 MP4 that browsers play, with the input's audio copied.

Each frame is written at its input timestamp in the input's time base, moved so that
the clip starts at 0 (the sound moved alike), so the frame rate, variable or not, and
the duration are the clip's own. The audio packets are copied as they are (no
re-encoding) and held back until the video has reached their time: a clip cut short
(Stop, a cap) ends its sound with its last frame. The moov atom goes first
(``faststart``), so a page can play the file while it downloads.
"""

from __future__ import annotations

import contextlib
import json
from collections import deque
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from nst.errors import NSTError

CODEC = "libx264"
OPTIONS = {"preset": "veryfast", "crf": "20"}
"""x264's speed and quality: ``veryfast`` costs a few ms a frame at 480p on a CPU core; a
CRF of 20 keeps painted strokes without visible blocks."""
MP4_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3", "opus", "alac", "flac"})
"""Audio codecs an MP4 can carry as they are."""
METADATA_KEY = "comment"
"""The MP4 tag that holds the job's parameters, as JSON, as a PNG result's text chunk does.
It is written with the header, so it holds what is known then: the mode, the inputs and every
parameter; how the job went (frames, a stop) is in the result's metadata and in the file."""


class ClipWriter:
    """An MP4 being written to ``path``: frames in order, audio packets as they come."""

    def __init__(
        self,
        path: Path,
        shape: tuple[int, int],
        rate: Fraction,
        time_base: Fraction,
        audio: Any | None,
        metadata: dict[str, Any],
    ) -> None:
        """``audio`` is the input's audio stream, copied when an MP4 can carry it."""
        self._container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        self._container.metadata[METADATA_KEY] = json.dumps(metadata, default=str)
        self._video = self._container.add_stream(CODEC, rate=rate)
        self._video.height, self._video.width = shape
        self._video.pix_fmt = "yuv420p"
        self._video.codec_context.time_base = time_base
        self._video.options = dict(OPTIONS)
        self._time_base = time_base
        self._step = max(1, round(1 / (rate * time_base)))
        self._last: int | None = None
        self.dropped = 0
        """Frames left out because their timestamp did not move forward."""
        self.end = 0.0
        """Seconds of video written, from the first frame's start."""
        self._first: int | None = None
        self._audio_in = (
            audio if audio is not None and audio.codec_context.name in MP4_AUDIO else None
        )
        self._audio = (
            self._container.add_stream_from_template(self._audio_in) if self._audio_in else None
        )
        self._held: deque[Any] = deque()
        self._closed = False

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, *_: object) -> None:
        """Close a file left unfinished (an error, or no frame): it is of no use, but open."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(av.error.FFmpegError):
                self._container.close()

    @property
    def has_audio(self) -> bool:
        return self._audio is not None

    def frame(self, image: np.ndarray, pts: int | None) -> bool:
        """Encode one frame at ``pts`` (None: one frame after the last); False if left out."""
        pts = pts if pts is not None else (self._last + self._step if self._last is not None else 0)
        if self._last is not None and pts <= self._last:
            self.dropped += 1
            return False
        if self._first is None:
            self._first = pts
        self._last = pts
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = pts - self._first, self._time_base
        self._mux(self._video.encode(frame))
        self.end = float((pts - self._first + self._step) * self._time_base)
        self._release(float(pts * self._time_base))
        return True

    def audio(self, packet: Any) -> None:
        """Hold an input audio packet until the video reaches its time (or drop it: no audio)."""
        if self._audio is not None:
            self._held.append(packet)

    def close(self, complete: bool) -> None:
        """Finish the file: the encoder's last frames, then the audio, all of it if the clip is
        ``complete``, else up to the end of the last frame."""
        self._closed = True
        try:
            self._mux(self._video.encode(None))
            if self._first is not None:
                start = float(self._first * self._time_base)
                self._release(None if complete else start + self.end)
            self._container.close()
        except av.error.FFmpegError as error:
            raise NSTError(f"The painted clip could not be written ({error}).") from None

    def _release(self, until: float | None) -> None:
        """Mux the held audio packets that start before ``until`` seconds (None: all), moved
        as the video was, so that the clip starts at 0."""
        origin = float(self._first * self._time_base)
        while self._held and (until is None or _seconds(self._held[0]) < until):
            packet = self._held.popleft()
            shift = round(origin / packet.time_base)
            packet.pts = None if packet.pts is None else packet.pts - shift
            packet.dts = None if packet.dts is None else packet.dts - shift
            packet.stream = self._audio
            self._container.mux(packet)

    def _mux(self, packets: list[Any]) -> None:
        try:
            self._container.mux(packets)
        except av.error.FFmpegError as error:
            raise NSTError(f"The painted clip could not be written ({error}).") from None


def _seconds(packet: Any) -> float:
    stamp = packet.pts if packet.pts is not None else packet.dts
    return float(stamp * packet.time_base)
