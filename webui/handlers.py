"""The page's own handlers: a job's stream shown as the page's outputs.

Each moment becomes (before/after, status, [costs,] download, mask download).
A failure ends with its whole message in the status line and a short toast.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from nst.events import FINAL, Failed, Progress, Working
from nst.host import HostCaps
from nst.regions import read_mask
from webui.api import MODES_SERVED, endpoint
from webui.presenters import (
    STARTING,
    BeforeAfter,
    costs_frame,
    download,
    page_status,
    save_mask,
    save_result,
)
from webui.running import Inputs, job_events
from webui.stops import STOPS, session_of
from webui.uploads import painted_strokes

TOAST_SECONDS = 8
"""How long a failure's toast stays: the status line keeps the whole message."""


def page_view(
    events: Iterator[Any], inputs: Inputs, values: dict[str, Any], costs: bool
) -> Iterator[tuple[Any, ...]]:
    """A job's events as the page's outputs, the last one with the result's downloads."""
    pair = BeforeAfter(inputs.content, values["size"])
    history: list[Progress] = []
    for event in events:
        plot = ()
        if isinstance(event, Progress):
            history.append(event)
        if costs:
            plot = (costs_frame(history) if not isinstance(event, Failed) else None,)
        if isinstance(event, Failed):
            yield None, page_status(event.words()), *plot, download(None), download(None)
            raise gr.Error(html.escape(_headline(event.message)), duration=TOAST_SECONDS)
        result = getattr(event, "result", None)
        png = save_result(result) if result is not None else None
        steps = None if isinstance(event, FINAL) else getattr(event, "steps", None)
        busy = isinstance(event, Working)
        status = page_status(event.words(), steps, busy)
        yield (
            pair(getattr(event, "image", None), png),
            status,
            *plot,
            download(png),
            _mask(png, inputs, values),
        )


def clip_view(events: Iterator[Any]) -> Iterator[tuple[Any, ...]]:
    """A clip's events as the Video tab's outputs: (frame, status, clip, download)."""
    frame = None
    for event in events:
        if isinstance(event, Failed):
            yield frame, page_status(event.words()), None, download(None)
            raise gr.Error(html.escape(_headline(event.message)), duration=TOAST_SECONDS)
        image = getattr(event, "image", None)
        if image is not None:  # a picture comes every few frames: the last one stays
            frame = image
        result = getattr(event, "result", None)
        clip = save_result(result) if result is not None else None
        steps = None if isinstance(event, FINAL) else getattr(event, "steps", None)
        status = page_status(event.words(), steps, isinstance(event, Working))
        yield frame, status, clip, download(clip)


def _mask(png: str | None, inputs: Inputs, values: dict[str, Any]) -> Any:
    """The painted regions as a mask file, offered beside a result painted with them."""
    if png is None or inputs.mask is None:
        return download(None)
    strokes = inputs.mask
    return download(save_mask(read_mask(strokes, strokes.shape[:2], values["style_mix"])))


def _headline(message: str) -> str:
    """A message's first sentence, for a toast that must not cover the page."""
    first, dot, rest = message.partition(". ")
    return f"{first}." if dot and rest else message


def page_handlers(caps: HostCaps) -> tuple[Callable[..., Any], ...]:
    """The page's own classic, fast and video handlers (not in the API), within the caps."""

    def runner(mode: str) -> Callable[..., Iterator[Any]]:
        def run(inputs: Inputs, values: dict[str, Any], _progress: Any, cancel: Any) -> Any:
            if mode == "video":  # a clip has no painter: its regions come from a mask file
                return clip_view(job_events(mode, inputs, values, caps, cancel))
            inputs = inputs._replace(mask=painted_strokes(inputs.mask))
            events = job_events(mode, inputs, values, caps, cancel)
            return page_view(events, inputs, values, costs=mode == "classic")

        return run

    return tuple(
        endpoint(f"{mode}_page", mode, f"{mode.title()} transfer on the page.", runner(mode))
        for mode in MODES_SERVED
    )


def launching(request: gr.Request) -> str:
    """Before a job queues: give it a stop flag and say it is starting."""
    STOPS.arm(session_of(request))
    return STARTING


def after_failure(status: str) -> Any:
    """A job refused before it ran (an upload swept from the cache) leaves no stale "Starting"."""
    if status == STARTING:
        return page_status("Failed: nothing ran; the message at the top right says why.")
    return gr.skip()
