"""A job's events as Redis stream entries, and back: plain JSON, pictures as encoded bytes.

Each entry has an ``event`` field (JSON: the kind and the event's plain
values), and, where the event has one, an ``image`` (a preview, JPEG) or a
``result`` (the result's own bytes: the PNG with its metadata). A finished
job's last progress report travels without its picture: it is the result's.
"""

from __future__ import annotations

import io
import json
from dataclasses import fields
from typing import Any

import numpy as np
from PIL import Image

from nst import errors
from nst.events import (
    Done,
    Failed,
    FrameProgress,
    Notice,
    Progress,
    Stopped,
    WeightedCosts,
    Working,
)
from nst.images import load_image
from nst.jobs import Result
from nst.queue.store import QueueUnavailableError

PREVIEW_QUALITY = 90
"""JPEG quality of a preview: a picture that will be replaced in seconds."""

KINDS: dict[str, type] = {
    "working": Working,
    "notice": Notice,
    "progress": Progress,
    "frame": FrameProgress,
    "done": Done,
    "stopped": Stopped,
    "failed": Failed,
}
_NAMES = {kind: name for name, kind in KINDS.items()}
ERRORS: dict[str, type[errors.NSTError]] = {
    kind.__name__: kind
    for kind in (
        errors.NSTError,
        errors.InputError,
        errors.ImageError,
        errors.ModelUnavailableError,
        errors.BusyError,
        errors.StoppedError,
        QueueUnavailableError,
    )
}
"""The errors a Failed event may name; any other is sent as its message alone."""
_APART = {"image", "result", "last", "error", "costs"}


def encode_event(event: Any) -> dict[str, bytes]:
    """The fields of one stream entry for ``event``."""
    values = {f.name: getattr(event, f.name) for f in fields(event) if f.name not in _APART}
    values["kind"] = _NAMES[type(event)]
    entry: dict[str, bytes] = {}
    if isinstance(event, Progress):
        values["costs"] = list(event.costs)
    if isinstance(event, Progress | FrameProgress) and event.image is not None:
        entry["image"] = _jpeg(event.image)
    if isinstance(event, Done | Stopped):
        values["last"] = None if event.last is None else _progress_values(event.last)
        if event.result is not None:
            values["suffix"] = event.result.suffix
            values["metadata"] = event.result.metadata
            entry["result"] = event.result.data
    if isinstance(event, Failed):
        values["error"] = type(event.error).__name__ if event.error is not None else None
    entry["event"] = json.dumps(values, default=_plain).encode()
    return entry


def decode_event(entry: dict[bytes, bytes]) -> Any:
    """The event one stream entry holds, its pictures decoded (and checked) here."""
    values = json.loads(entry[b"event"])
    kind = KINDS[values.pop("kind")]
    if kind is Failed:
        error = ERRORS.get(values.pop("error") or "", errors.NSTError)
        return Failed(values["message"], error(values["message"]))
    image = load_image(entry[b"image"]) if b"image" in entry else None
    if kind is Progress:
        return _progress(values, image)
    if kind is FrameProgress:
        return FrameProgress(image=image, **values)
    if kind in (Done, Stopped):
        result = None
        if b"result" in entry:
            data = entry[b"result"]
            suffix = values.pop("suffix")
            picture = load_image(data) if suffix == ".png" else None
            result = Result(data, suffix, picture, values.pop("metadata"))
        last = values.pop("last")
        if last is not None:
            last = _progress(last, None if result is None else result.image)
        return kind(result=result, last=last, **values)
    return kind(**values)


def _progress_values(progress: Progress) -> dict[str, Any]:
    values = {f.name: getattr(progress, f.name) for f in fields(progress) if f.name != "image"}
    values["costs"] = list(progress.costs)
    return values


def _progress(values: dict[str, Any], image: np.ndarray | None) -> Progress:
    costs = WeightedCosts(*values.pop("costs"))
    return Progress(image=image, costs=costs, **values)


def _jpeg(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, "JPEG", quality=PREVIEW_QUALITY)
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    """numpy numbers (costs, metadata) as plain ones."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    return str(value)
