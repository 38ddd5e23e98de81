"""What a clip is, from its header and first frame, before the job waits for the device.

Clips are read with PyAV, whose wheels bring FFmpeg's decoders, so no system
``ffmpeg`` is needed. A clip is refused here, with a message a person can act
on, when it is not a video, is a still image, has no frame that decodes, or
has frames too small, too thin or too large; everything else (variable frame
rates, phone clips stored sideways, 10-bit or odd-sized frames) is read as it
will be painted: upright, 8-bit RGB.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from nst.errors import VideoError
from nst.images import MAX_ASPECT_RATIO, MIN_SIDE, fitted_shape, max_pixels

VideoSource = str | Path | bytes | bytearray | memoryview
"""A clip as a path or as its encoded bytes."""

STILL_FORMATS = ("image2", "_pipe", "gif", "apng")
"""Demuxers (whole names, or name endings) that read pictures, not clips."""
_HINT = "upload an MP4, MOV, WebM or MKV clip"


@dataclass(frozen=True)
class ClipInfo:
    """A clip that passed every check its header and first frame allow; nothing kept decoded.

    ``shape`` is (height, width) as stored; ``turns`` the quarter turns
    counter-clockwise that stand it upright (a phone's rotation metadata).
    ``frames`` is the container's count, or estimated from the duration (0: unknown);
    ``seconds`` is NaN when the container does not say.
    """

    source: Path | bytes
    name: str
    shape: tuple[int, int]
    turns: int
    rate: Fraction
    seconds: float
    frames: int
    pixel_format: str
    audio: str | None
    """The audio stream's codec, or None for a silent clip."""

    @property
    def upright(self) -> tuple[int, int]:
        """(height, width) as the clip is watched."""
        return self.shape[::-1] if self.turns % 2 else self.shape

    def output_shape(self, size: int) -> tuple[int, int]:
        """(height, width) of the painted clip at longest side ``size``: even on both sides,
        as H.264's 4:2:0 colour needs."""
        height, width = fitted_shape(self.upright, size)
        return max(2, height - height % 2), max(2, width - width % 2)

    def open(self) -> Any:
        """The clip's container, open for reading (close it, or use it in a ``with``)."""
        return av.open(_readable(self.source))


def probe_clip(source: VideoSource) -> ClipInfo:
    """Open ``source``, read its header and decode its first frame; a VideoError if it is
    not a clip the job can paint."""
    data, name = _encoded(source)
    with _opened(data, name) as container:
        if _is_still(container):
            raise VideoError(f"{name} is a still image, not a video; {_HINT}.")
        if not container.streams.video:
            raise VideoError(f"{name} has no video stream; {_HINT}.")
        stream = container.streams.video[0]
        first = _first_frame(container, stream, name)
        turns = round((first.rotation or 0) / 90) % 4
        shape = (first.height, first.width)
        _check_frame_size(name, shape[::-1] if turns % 2 else shape)
        rate = _rate(stream)
        seconds = _seconds(container, stream)
        frames = stream.frames or (round(seconds * rate) if math.isfinite(seconds) else 0)
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        return ClipInfo(data, name, shape, turns, rate, seconds, frames, first.format.name, audio)


def is_clip(path: str | Path) -> bool:
    """True when ``path`` holds a video stream that is not a still image (from the header)."""
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.video) and not _is_still(container)
    except (av.error.FFmpegError, OSError):
        return False


def _encoded(source: VideoSource) -> tuple[Path | bytes, str]:
    """A path or the bytes, and how messages name them; missing and empty inputs refused."""
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise VideoError(f"No video file was found at {path}; check the path.")
        name = f'The file "{path.name}"'
        if path.stat().st_size == 0:
            raise VideoError(f"{name} is empty (0 bytes); {_HINT}.")
        return path, name
    if isinstance(source, bytes | bytearray | memoryview):
        if not source:
            raise VideoError(f"The video data is empty (0 bytes); {_HINT}.")
        return bytes(source), "The file"
    raise VideoError(f"Cannot read a video from a {type(source).__name__}; pass a path or bytes.")


def _readable(data: Path | bytes) -> str | io.BytesIO:
    return str(data) if isinstance(data, Path) else io.BytesIO(data)


@contextmanager
def _opened(data: Path | bytes, name: str) -> Iterator[Any]:
    try:
        container = av.open(_readable(data))
    except av.error.EOFError:
        raise VideoError(f"{name} ends before its first frame; {_HINT}.") from None
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise VideoError(f"{name} is not a video that can be read ({reason}); {_HINT}.") from None
    with container:
        yield container


def _is_still(container: Any) -> bool:
    names = container.format.name.split(",")
    return any(
        n == s or (s.startswith("_") and n.endswith(s)) for n in names for s in STILL_FORMATS
    )


def _first_frame(container: Any, stream: Any, name: str) -> Any:
    """The first frame that decodes; a clip whose every packet fails is damaged."""
    failures = 0
    try:
        for packet in container.demux(stream):  # its last, empty packet flushes the decoder
            try:
                for frame in packet.decode():
                    return frame
            except av.error.EOFError:
                break
            except av.error.FFmpegError:
                failures += 1
    except av.error.FFmpegError:  # the demuxer gave up on a damaged stretch
        failures += 1
    if failures:
        raise VideoError(f"{name} is damaged: none of its frames can be decoded; {_HINT}.")
    raise VideoError(f"{name} has a video stream with no frames in it; {_HINT}.")


def _check_frame_size(name: str, shape: tuple[int, int]) -> None:
    """Refuse frames the networks cannot use or that would exhaust memory (as for images)."""
    height, width = shape
    size = f"{width}×{height} pixels"
    if width * height > max_pixels():
        raise VideoError(
            f"{name} has frames of {size}, over the limit of {max_pixels() / 1e6:g} megapixels; "
            "upload a smaller clip."
        )
    if min(width, height) < MIN_SIDE:
        raise VideoError(
            f"{name} has frames of {size}; each side must be at least {MIN_SIDE} pixels."
        )
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise VideoError(
            f"{name} has frames of {size}; their sides differ by more than "
            f"{MAX_ASPECT_RATIO:g}:1. Crop it closer to square."
        )


def _rate(stream: Any) -> Fraction:
    """Frames per second on average (a variable rate keeps each frame's own time anyway)."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < rate < 1000:
            return Fraction(rate)
    return Fraction(25)


def _seconds(container: Any, stream: Any) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return math.nan
