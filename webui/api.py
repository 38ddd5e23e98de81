"""The API's endpoints (``/classic``, ``/fast``; also the MCP tools): their named parameters,
generated from the declarations, and a job's stream as plain values.

Gradio reads an endpoint's parameter names, defaults and types from the
handler's signature, so the API (and its docs) follow the declarations.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any

import gradio as gr

from nst.events import FINAL, Failed, Progress
from nst.host import HostCaps
from nst.modes import MODES
from webui.presenters import costs_frame, save_result
from webui.running import Inputs, job_events
from webui.streaming import streamed

IMAGE_PARAMETERS = [
    inspect.Parameter("content", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str | None),
    inspect.Parameter("style_1", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str | None),
    inspect.Parameter(
        "style_2", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=str | None
    ),
]
MASK_PARAMETER = inspect.Parameter(
    "mask", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=str | None
)
"""The last named parameter: added after the settings, so positional clients keep working."""
REQUEST_PARAMETER = inspect.Parameter(
    "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=gr.Request
)
PROGRESS_PARAMETER = inspect.Parameter(
    "progress",
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    default=gr.Progress(),
    annotation=gr.Progress,
)
CONTENT_DOCS = {
    "classic": "The photo to repaint (a file path or URL).",
    "fast": "The photo to repaint (a file path or URL).",
    "video": "The clip to repaint (MP4, MOV, WebM…; a file path or URL).",
}
STYLE_DOCS = """    style_1: The first style image.
    style_2: An optional second style image."""
MASK_DOCS = """    mask: Optional, with two styles: where each goes. White is style 1, black
        style 2, grey a mix; or the painter's red (style 1) and blue (style 2) strokes."""
SUMMARIES = {
    "classic": "Classic (Gatys) transfer, streaming (image, status, cost curves, PNG file).\n\n"
    "The PNG, with every setting in its metadata, comes with the last update, "
    "when the job is done or stopped.",
    "fast": "Fast (one-pass Magenta) transfer, streaming (image, status, PNG file): its place "
    "in line while it waits, then the result.",
    "video": "A clip repainted in fast mode, streaming (the last frame painted, status, MP4 "
    "file): its place in line, each frame, then the clip with its rate and sound kept.",
}
MODES_SERVED = ("classic", "fast", "video")
"""The endpoints, in the order ``endpoints`` returns them."""


def endpoint(
    name: str, mode: str, summary: str, run: Callable[..., Iterator[Any]]
) -> Callable[..., AsyncIterator[Any]]:
    """A handler whose named parameters are the images, every parameter of ``mode``, the mask.

    ``run(inputs, values, progress, cancel)`` does the work and yields the outputs, in a
    thread of its own (:func:`webui.streaming.streamed`) holding the visitor's stop flag.
    """
    declared = MODES[mode].settings.signature(IMAGE_PARAMETERS)
    trailing = [MASK_PARAMETER, REQUEST_PARAMETER, PROGRESS_PARAMETER]
    signature = declared.replace(parameters=[*declared.parameters.values(), *trailing])

    async def handler(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        request, progress = values.pop("request"), values.pop("progress")
        inputs = Inputs(*(values.pop(field) for field in Inputs._fields))
        outputs = partial(run, inputs, values, progress)
        async for item in streamed(request, outputs):
            yield item

    handler.__name__ = handler.__qualname__ = name
    handler.__signature__ = signature  # type: ignore[attr-defined]
    handler.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    docs = MODES[mode].settings.docs()
    content = f"    content: {CONTENT_DOCS[mode]}"
    handler.__doc__ = f"{summary}\n\nArgs:\n{content}\n{STYLE_DOCS}\n{docs}\n{MASK_DOCS}\n"
    return handler


def api_values(
    events: Iterator[Any], costs: bool, progress: gr.Progress | None = None
) -> Iterator[tuple[Any, ...]]:
    """A job's stream as the API's outputs: (image, status, [costs,] file).

    Steps go to Gradio's progress tracker, which API and MCP clients see; a
    failure is raised with the visitor's message, as Gradio reports errors.
    """
    history: list[Progress] = []
    for event in events:
        if isinstance(event, Failed):
            raise gr.Error(event.message, print_exception=False)
        if isinstance(event, Progress):
            history.append(event)
        steps = getattr(event, "steps", None)
        if progress is not None and steps and not isinstance(event, FINAL):
            progress(steps, desc=event.words())
        result = getattr(event, "result", None)
        path = save_result(result) if result is not None else None
        plot = (costs_frame(history),) if costs else ()
        yield getattr(event, "image", None), event.words(), *plot, path
        if isinstance(event, FINAL):
            return


def endpoints(caps: HostCaps) -> tuple[Callable[..., Any], ...]:
    """The ``/classic``, ``/fast`` and ``/video`` handlers, within this host's caps."""

    def runner(mode: str) -> Callable[..., Iterator[Any]]:
        def run(inputs: Inputs, values: dict[str, Any], progress: Any, cancel: Any) -> Any:
            events = job_events(mode, inputs, values, caps, cancel)
            return api_values(events, costs=mode == "classic", progress=progress)

        return run

    return tuple(endpoint(mode, mode, SUMMARIES[mode], runner(mode)) for mode in MODES_SERVED)
