"""A clip painted in fast mode: the job a line runs for ``mode="video"``.

The clip is checked from its header and first frame when the job is made, so
a bad upload is refused before it waits. Once the job holds the device it
decodes, paints (the look worked out once per clip), steadies and encodes one
frame at a time, so memory does not grow with the clip's length. The MP4 is
written in a folder of the system's temp folder, read back as the result's
bytes and removed when the job ends, stopped or not.
"""

from __future__ import annotations

import math
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from nst.errors import VideoError
from nst.events import Done, FrameProgress, Notice, Stopped, Working
from nst.fast.network import FastModel
from nst.fast.sources import load_fast_model
from nst.fast.transfer import Renderer
from nst.images import check_image
from nst.jobs import JobRequest, Result
from nst.scheduler import STOPPED_BEFORE_START
from nst.video.keyframes import ClipPainter
from nst.video.probe import ClipInfo, probe_clip
from nst.video.reader import ClipReader, Frame
from nst.video.steady import Steadier
from nst.video.writer import ClipWriter

PREVIEW_EVERY = 10
"""Frames between two progress events that carry a picture: a preview costs a page a PNG."""
FINISHING_AHEAD = 8
"""Painted frames that may wait for the finishing thread: the memory a clip holds is bounded."""


class VideoJob:
    """One clip: checked now from its header and first frame, painted once it runs."""

    def __init__(self, request: JobRequest, model: str | FastModel | None = None) -> None:
        self.request = request
        self.settings = settings = request.settings
        count = len(request.styles)
        self.shares = settings.style_shares(count)
        self.regions = request.regions if count == 2 else None
        if self.regions is not None:
            self.shares = self.regions.shares(self.shares)
            if self.regions.uniform() is not None:
                self.regions = None  # a uniform map is a style mix
        self.clip: ClipInfo = probe_clip(request.content)
        self.shape = self.clip.output_shape(settings.size)
        self.style_inputs = [check_image(style) for style in request.styles]
        self.limit = self._frame_limit()
        self.model = model

    def _frame_limit(self) -> int:
        """Frames to paint at most: the clip's, within the longest clip the settings allow."""
        by_time = math.floor(self.settings.max_seconds * self.clip.rate + 1e-9)
        return max(1, min(self.settings.max_frames, by_time))

    def run(self, cancel: threading.Event) -> Iterator[Any]:
        """Working, a FrameProgress per frame (a picture every few), Notices, then Done or
        Stopped with the frames painted so far as a shorter clip."""
        started = time.perf_counter()
        if cancel.is_set():
            yield Stopped(STOPPED_BEFORE_START)
            return
        model = self.model if isinstance(self.model, FastModel) else load_fast_model(self.model)
        yield Working("Reading the styles…")
        styles = [style.load() for style in self.style_inputs]
        total = min(self.clip.frames, self.limit) if self.clip.frames else self.limit
        if self.clip.frames > self.limit:
            yield Notice(self._trimmed_words())
        with tempfile.TemporaryDirectory(prefix="dual-nst-video-") as folder:
            path = Path(folder) / "clip.mp4"
            with (
                ClipReader(self.clip, self.shape) as reader,
                ClipWriter(
                    path,
                    self.shape,
                    self.clip.rate,
                    reader.video.time_base,
                    reader.audio,
                    self.request.metadata(),
                ) as writer,
            ):
                if self.clip.audio and not writer.has_audio:
                    yield Notice(
                        f"The clip's sound ({self.clip.audio}) cannot go into an MP4 as it is; "
                        "the painted clip is silent."
                    )
                yield Working("Painting the first frame…")
                painted, last = 0, None
                for painted, last in self._paint(model, styles, reader, writer, cancel):
                    image = last if painted % PREVIEW_EVERY == 0 or painted == 1 else None
                    elapsed = time.perf_counter() - started
                    yield FrameProgress(painted, max(total, painted), image, elapsed)
                if not painted:
                    if cancel.is_set():
                        yield Stopped("Stopped before the first frame was painted.")
                        return
                    raise VideoError(f"{self.clip.name} has no frame that can be decoded.")
                stopped = cancel.is_set() and not self.whole
                writer.close(complete=self.whole)
                skipped, dropped = reader.skipped, writer.dropped
            facts = self._facts(painted, writer.end, stopped)
            result = Result(path.read_bytes(), ".mp4", last, self.request.metadata(**facts))
        if skipped or dropped:
            yield Notice(_damage_words(skipped, dropped))
        if stopped:
            yield Stopped(
                f"Stopped at frame {painted} of {total}; the {painted} frames painted "
                f"({writer.end:.1f} s) are kept.",
                result,
            )
            return
        yield Done(result, time.perf_counter() - started, note=self._note(painted, writer.end))

    def _paint(
        self,
        model: FastModel,
        styles: list[np.ndarray],
        reader: ClipReader,
        writer: ClipWriter,
        cancel: threading.Event,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """(frames written, the last one) after each frame, until the clip, a cap or Stop ends;
        :attr:`whole` says whether the clip's end was reached.

        Each painted frame is finished (upsampled, encoded) in a second thread, in order,
        while this one paints the next: those steps barely use the second core otherwise.
        Audio packets go through that thread too, as the file is written from it alone.
        """
        self.whole = False
        clip: ClipPainter | None = None
        share = None if self.regions is None else self.regions.at(self.shape)
        taken = painted = 0
        ended = True
        waiting: deque[Future[np.ndarray | None]] = deque()

        def write(frame: Frame, finish: Callable[[], np.ndarray]) -> np.ndarray | None:
            image = finish()
            return image if writer.frame(image, frame.pts) else None

        def written(every: bool) -> Iterator[np.ndarray]:
            """The finished frames in order: those done (or all, waiting for them)."""
            while waiting and (every or waiting[0].done() or len(waiting) > FINISHING_AHEAD):
                image = waiting.popleft().result()
                if image is not None:
                    yield image

        with ThreadPoolExecutor(1, thread_name_prefix="dual-nst-finish") as finishing:
            for item in reader:
                if not isinstance(item, Frame):
                    finishing.submit(writer.audio, item)
                    continue
                stop = cancel.is_set() or taken >= self.limit
                if stop or item.time >= self.settings.max_seconds:
                    ended = False
                    break
                taken += 1
                if clip is None:
                    renderer = Renderer(
                        model, styles, self.shares, self.settings, item.image, share, self.shape
                    )
                    steadier = Steadier() if self.settings.steady else None
                    clip = ClipPainter(renderer, steadier, self.settings.paint_every)
                waiting.extend(finishing.submit(write, *pending) for pending in clip.add(item))
                for image in written(every=False):
                    painted += 1
                    yield painted, image
            if clip is not None and not cancel.is_set():
                waiting.extend(finishing.submit(write, *pending) for pending in clip.finish())
            for image in written(every=True):
                painted += 1
                yield painted, image
        self.whole = ended

    def _facts(self, painted: int, seconds: float, stopped: bool) -> dict[str, Any]:
        """What the result's metadata records of the clip and of how far the job went."""
        facts: dict[str, Any] = {
            "frames": painted,
            "seconds": round(seconds, 3),
            "frame_rate": round(float(self.clip.rate), 3),
            "width": self.shape[1],
            "height": self.shape[0],
        }
        if stopped:
            facts["stopped_at"] = {"frame": painted}
        return facts

    def _trimmed_words(self) -> str:
        clip = self.clip
        return (
            f"The clip has {clip.frames} frames ({clip.seconds:.1f} s); the first {self.limit} "
            f"({float(self.limit / clip.rate):.1f} s) are painted: the longest clip allowed is "
            f"{self.settings.max_seconds:g} s and {self.settings.max_frames} frames."
        )

    def _note(self, painted: int, seconds: float) -> str:
        steady = "steadied" if self.settings.steady else "each frame painted on its own"
        height, width = self.shape
        return f"{painted} frames, {width}×{height}, {seconds:.1f} s, {steady}."


def _damage_words(skipped: int, dropped: int) -> str:
    parts = []
    if skipped:
        parts.append(f"{skipped} damaged stretch{'es' if skipped > 1 else ''} could not be read")
    if dropped:
        parts.append(f"{dropped} frame{'s' if dropped > 1 else ''} out of time order left out")
    return "The clip is partly damaged: " + " and ".join(parts) + "; the rest is painted."
