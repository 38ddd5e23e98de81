"""What a job is, whoever runs it: a request as data, the job it makes, and its result.

A front end turns what it was handed into a :class:`JobRequest` (images as
paths or bytes, validated settings, the regions as one value) and gives it
to a line (:mod:`nst.scheduler`); the line makes the job (which checks its
inputs from their headers), waits for the device and runs it. A job yields
the events of :mod:`nst.events` and ends with its :class:`Result`, whose
bytes, written where the caller wants them, are the whole output: a PNG
with its metadata, or a clip.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from nst.images import ImageSource, check_image, fitted_shape, png_bytes
from nst.parameters import Settings
from nst.regions import Regions, job_regions


def source_name(source: ImageSource) -> str:
    """How a result's metadata names an input: its file name, or what kind of object it was."""
    if isinstance(source, str | Path):
        return Path(source).name
    return type(source).__name__


@dataclass(frozen=True)
class JobRequest:
    """Everything a job needs, as data: it can wait in a line or travel to a worker.

    ``mode`` names the kind of job (``classic``, ``fast``, ``video``);
    ``names`` are how the result's metadata names the inputs when they are
    bytes (a path names itself).
    """

    mode: str
    content: ImageSource
    styles: tuple[ImageSource, ...]
    settings: Settings
    regions: Regions | None = None
    names: tuple[str, ...] = field(default=())

    def metadata(self, **facts: Any) -> dict[str, Any]:
        """What a result records of how it was made, so it can be reproduced: the mode, the
        inputs' names, every parameter's value, and ``facts`` of the run.

        Regions are recorded by a fingerprint of their map (``mask``), so a result
        says which regions it was painted with.
        """
        names = self.names or [source_name(s) for s in (self.content, *self.styles)]
        metadata = {
            "mode": self.mode,
            "content": names[0],
            "styles": list(names[1:]),
            **self.settings.values(),
            **facts,
        }
        if self.regions is not None:
            metadata["mask"] = self.regions.digest
        return metadata


@dataclass(frozen=True)
class Result:
    """A finished job's output: the file's bytes (metadata inside) and a picture of it."""

    data: bytes
    suffix: str
    image: np.ndarray | None
    metadata: dict[str, Any]

    def save(self, path: str | Path) -> Path:
        """Write the bytes to ``path``; the one place a result becomes a file."""
        path = Path(path)
        path.write_bytes(self.data)
        return path

    @property
    def name(self) -> str:
        """A file name for downloads: ``dual-nst-<mode><suffix>``."""
        return f"dual-nst-{self.metadata['mode']}{self.suffix}"


def make_request(
    mode: str,
    content: ImageSource,
    styles: Sequence[ImageSource],
    settings: Settings,
    mask: ImageSource | None = None,
    names: Sequence[str] = (),
) -> JobRequest:
    """A request from what a front end was handed; a mask becomes regions here, once.

    The regions are made at the result's size (the photo, or a clip's frames,
    upright, at the output size), from the header alone for a photo; with one
    style a mask has nothing to split and is left out.
    """
    regions = None
    if mask is not None and len(styles) == 2:
        shape = result_shape(mode, content, settings)
        regions = job_regions(mask, shape, settings.style_mix, settings.mask_feather)
    return JobRequest(mode, content, tuple(styles), settings, regions, tuple(names))


def result_shape(mode: str, content: ImageSource, settings: Settings) -> tuple[int, int]:
    """(height, width) of the result: the photo's, or a clip's frames, upright at the output
    size; the content is checked on the way (from the header, and a clip's first frame)."""
    if mode == "video":
        from nst.video.probe import probe_clip  # PyAV is loaded for clips alone

        return probe_clip(content).output_shape(settings.size)
    return fitted_shape(check_image(content).upright, settings.size)


def image_result(request: JobRequest, image: np.ndarray, **facts: Any) -> Result:
    """A picture as a result: a PNG with every parameter in its metadata."""
    metadata = request.metadata(**facts)
    return Result(png_bytes(image, metadata), ".png", image, metadata)


class Job(Protocol):
    """A job whose inputs were checked when it was made; it runs while holding the device."""

    request: JobRequest

    def run(self, cancel: threading.Event) -> Iterator[Any]:
        """The job's events (:mod:`nst.events`), ending with Done or Stopped.

        Errors meant for the user are :class:`~nst.errors.NSTError`; the line
        turns them into :class:`~nst.events.Failed`.
        """
        ...
