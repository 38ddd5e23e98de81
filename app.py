"""Dual NST web app: repaint a photo in the style of one or two paintings.

Only the user interface lives here: layout, events, queue settings and launch
flags. What a job means, its parameters, their defaults and bounds, the host's
caps and the result's metadata come from :mod:`nst`; the controls and the API's
named parameters are generated from the parameter declarations.

Run ``python app.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import html
import inspect
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import gradio as gr
import numpy as np
import pandas as pd
from gradio.processing_utils import save_bytes_to_cache
from gradio.utils import get_upload_folder
from PIL import Image
from starlette.middleware import Middleware

from nst import config
from nst.errors import NSTError, StoppedError
from nst.events import Progress, Queued, duration_words
from nst.gallery import GalleryItem, load_gallery, styles_dir
from nst.host import HostCaps, host_caps, upload_lifetime_seconds
from nst.images import check_image, fit_longest_side, load_image, png_bytes, resize_to
from nst.masks import BRUSH_COLOURS, read_mask, share_image
from nst.metadata import result_metadata
from nst.parameters import Parameter, Settings
from nst.quiet import configure_logging, import_tensorflow
from nst.scheduler import SCHEDULER, STOPS
from nst.settings import ClassicSettings, FastSettings
from nst.web import MB, RequestLimits, inline_image

log = logging.getLogger("dual-nst.app")

TITLE = "Dual NST"
DESCRIPTION = (
    "Repaint a photo in the style of one or two paintings: "
    "**Classic** refines it step by step, **Fast** answers in one pass."
)
MAX_UPLOAD = "50mb"
TRANSFER = "transfer"
"""Gradio concurrency group of both transfer events."""
HANDLER_MARGIN = 2
"""Transfer handlers Gradio may run beyond the jobs allowed to wait: the running
one, and one more to answer "busy" at once while the line is full."""
THREAD_MARGIN = 10
"""Worker threads beyond the transfer handlers, for uploads, Stop and the gallery."""

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="rose")
CSS = """
#header h1 { margin-bottom: 0; }
#status { min-height: 3.2em; padding: 0.4em 0.8em; border-radius: 8px;
          background: var(--block-background-fill); border: 1px solid var(--border-color-primary); }
#status progress { appearance: none; display: block; width: 100%; height: 0.5em; border: none;
                   border-radius: 4px; overflow: hidden; background: var(--neutral-200); }
#status progress::-webkit-progress-bar { background: var(--neutral-200); }
#status progress::-webkit-progress-value { background: var(--primary-500); }
#status progress::-moz-progress-bar { background: var(--primary-500); }
#status progress:not([value])::-webkit-progress-bar {
  background: linear-gradient(90deg, var(--neutral-200) 35%, var(--primary-400) 50%,
                              var(--neutral-200) 65%) 0 0 / 300% 100%;
  animation: busy 1.5s linear infinite; }
@keyframes busy { from { background-position: 100% 0; } to { background-position: 0 0; } }
#status p { margin: 0.2em 0 0; overflow-wrap: anywhere; }
.caps-note { font-size: 0.85em; opacity: 0.8; }
#style-gallery .grid-wrap { min-height: 0; max-height: none; overflow: visible; }
#style-gallery .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)); }
@media (max-width: 640px) {
  #style-gallery .grid-container { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
#style-gallery .thumbnail-item { aspect-ratio: auto; display: flex; flex-direction: column;
                                 overflow: visible; }
#style-gallery .thumbnail-item > img { aspect-ratio: 1; height: auto; }
#style-gallery .caption-label { position: static; max-width: 100%; white-space: normal;
                                opacity: 1; border: none; background: none; padding: 0.2em 0;
                                font-size: 0.72em; line-height: 1.2; }
#examples table { table-layout: fixed; width: 100%; }
#examples th { white-space: normal; font-size: 0.8em; padding: 0.3em; }
#examples td { padding: 0.3em; }
#examples td .container { width: 100%; max-width: 5em; height: auto; aspect-ratio: 1;
                          margin: auto; }
#examples td .container img { width: 100%; height: 100%; object-fit: cover; }
"""
PHOTOS_DIR = Path(__file__).resolve().parent / "assets" / "photos"
"""Photos that may be redistributed, with their credits, for the examples."""
EXAMPLES = (
    # content photo, style 1, style 2, style mix (files in PHOTOS_DIR and the gallery)
    ("rocket.jpg", "swirling-night.jpg", None, 0.5),
    ("coffee.jpg", "warm-impasto.jpg", None, 0.5),
    ("cat.jpg", "blue-waves.jpg", "warm-impasto.jpg", 0.5),
)
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
IMAGE_DOCS = """    content: The photo to repaint (a file path or URL).
    style_1: The first style image.
    style_2: An optional second style image."""
MASK_DOCS = """    mask: Optional, with two styles: where each goes. White is style 1, black
        style 2, grey a mix; or the painter's red (style 1) and blue (style 2) strokes."""
PAINTER_COLOURS = ["#{:02x}{:02x}{:02x}".format(*colour) for colour in BRUSH_COLOURS]


def _refuse(message: str) -> gr.Error:
    """An error for input we cannot use: one line in the log, no traceback, the message as is.

    Its toast stays until closed: a refusal before the job runs (an upload the
    cache swept) has no status line to repeat it.
    """
    log.warning("refused: %s", message)
    return gr.Error(message, duration=None, print_exception=False)


def _upload_gone() -> gr.Error:
    """An upload the cache sweep removed before its job ran, named without its server path."""
    return _refuse(
        "The uploaded image is no longer on the server (uploads are kept for "
        f"{upload_lifetime_seconds()} s); please upload it again."
    )


def _image_input(label: str, height: int, elem_id: str, visible: bool = True) -> gr.Image:
    """An upload passed on untouched (as a path), refused in the library's words.

    ``gr.Image`` opens each upload with Pillow before the handler runs, so a
    file that is no image would fail there with Pillow's text and a server
    path. The component's own ``preprocess`` is wrapped per instance (a
    subclass would make Gradio write a stub file next to this one).
    """
    component = gr.Image(
        label=label,
        type="filepath",
        image_mode=None,
        sources=["upload", "clipboard"],
        height=height,
        elem_id=elem_id,
        visible=visible,
    )
    gradio_preprocess = component.preprocess

    def preprocess(payload: Any) -> Any:
        if payload is not None and (payload.url or "").startswith("data:"):
            return _inline_upload(component, payload.url)
        try:
            return gradio_preprocess(payload)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            if payload.path and not Path(payload.path).exists():
                raise _upload_gone() from None
            try:
                load_image(payload.path)
            except NSTError as error:
                raise _refuse(str(error)) from None
            raise _refuse(
                "This file could not be read as an image; upload a JPEG, PNG or WebP."
            ) from None

    component.preprocess = preprocess
    return component


def _inline_upload(component: gr.Image, url: str) -> str:
    """An image sent inline (a ``data:`` URL) kept as an upload is: checked, stored, swept.

    Gradio would decode and re-encode it before any check, into a file its
    cache sweep never removes; here its header is checked first, its bytes
    are stored as sent, and the file joins those ``delete_cache`` removes.
    """
    try:
        data = inline_image(url)
    except NSTError as error:
        raise gr.Error(str(error)) from None
    path = save_bytes_to_cache(data, "inline-image", get_upload_folder())
    component.temp_files.add(path)
    return path


class Inputs(NamedTuple):
    """A job's images as a front end hands them over: paths (or None), and the mask.

    ``mask`` is a path from the API, or the page's painting as a grey image.
    """

    content: str | None
    style_1: str | None
    style_2: str | None
    mask: Any = None

    def checked(self) -> tuple[str, list[str]]:
        """The content photo and the chosen styles, or a message saying what is missing."""
        if not self.content:
            raise _refuse("Upload a content photo first: it is the picture that gets repainted.")
        styles = [path for path in (self.style_1, self.style_2) if path]
        if not styles:
            raise _refuse("Choose a style: upload a painting or click one in the gallery.")
        return self.content, styles

    @property
    def uploads(self) -> tuple[str | None, ...]:
        """The files a cache sweep may have removed."""
        mask = self.mask if isinstance(self.mask, str) else None
        return self.content, self.style_1, self.style_2, mask


def _save_mask(mask: np.ndarray) -> str:
    """The page's painting as a grey mask PNG, to download beside the result (for ``--mask``)."""
    return save_bytes_to_cache(
        png_bytes(mask, {"mode": "mask"}), "dual-nst-mask.png", get_upload_folder()
    )


def _save_result(image: Any, metadata: dict[str, Any]) -> str:
    """The full-size PNG with its metadata, written straight into Gradio's cache.

    Gradio serves it from there as it is, and ``delete_cache`` removes it with
    the uploads, so no copy of a result outlives the configured lifetime.
    """
    data = png_bytes(image, metadata)
    return save_bytes_to_cache(data, f"dual-nst-{metadata['mode']}.png", get_upload_folder())


class Update(NamedTuple):
    """One moment of a job, as the library reports it, before a front end shows it.

    What a moment lacks is ``None``, which front ends pass on as ``None``, never
    as ``gr.skip()``: once a session's generator skips an output, Gradio 6.31
    stops tracking that output's later files for ``delete_cache`` in the
    session, so they would stay forever.
    """

    image: Any
    """The picture so far (uint8 H×W×3), or None before the first one."""
    words: str
    """The status in plain words."""
    steps: tuple[int, int] | None = None
    """``(step, total)`` for a progress bar, when the job counts steps."""
    busy: bool = False
    """Work is under way but cannot be counted: the page shows a moving bar."""
    costs: pd.DataFrame | None = None
    png: str | None = None
    """The full-size result, written once the job is done or stopped."""


def _term(term: str, event: Progress) -> str:
    """A cost's line in the plot; coarse to fine draws one per stage, since a stage's
    costs are measured on a picture of another size and must not read as getting worse."""
    return term if event.stage_count == 1 else f"{term}, {event.stage_size} px"


def _costs_frame(history: list[Progress]) -> pd.DataFrame:
    """Costs over steps in long form, on a log scale since the terms differ by decades."""
    rows = [
        {"step": event.step, "term": _term(term, event), "log10 cost": math.log10(max(cost, 1e-12))}
        for event in history
        for term, cost in event.costs._asdict().items()
    ]
    return pd.DataFrame(rows, columns=["step", "term", "log10 cost"])


def _fail(error: Exception, *uploads: str | None) -> gr.Error:
    """A user-facing error: the library's own words, or a plain note for a bug.

    An upload the cache sweep removed after Gradio handed it over (while the
    job loaded a model, say) is named as such, not by its server path. Only
    a bug logs its traceback; a refusal is one line.
    """
    if isinstance(error, gr.Error):
        return error
    if isinstance(error, NSTError):
        if any(path and not Path(path).exists() for path in uploads):
            return _upload_gone()
        return _refuse(str(error))
    log.exception("transfer failed")
    return gr.Error(
        "The transfer failed unexpectedly; the server log has the details.",
        print_exception=False,
    )


def _session(request: gr.Request | None) -> str:
    """Whose stop flags: the browser tab or API client (one key for direct calls)."""
    return (request.session_hash if request else None) or ""


def _arrived(request: gr.Request | None) -> float | None:
    """When the job's request reached the server (stamped by ``RequestLimits``), for Stop."""
    return getattr(getattr(request, "state", None), "arrived", None)


def _endpoint(
    name: str,
    summary: str,
    settings: type[Settings],
    run: Callable[..., Any],
    *,
    reports_progress: bool = False,
) -> Callable[..., Any]:
    """A handler whose named parameters are the images, every declared parameter, the mask.

    Gradio reads an endpoint's parameter names, defaults and types from the
    handler's signature, so the API (and its docs) follow the declarations.
    ``run(request, inputs, values)`` does the work; with ``reports_progress``
    it also gets ``progress=``, Gradio's tracker, whose steps API and MCP
    clients see.
    """
    special = [
        inspect.Parameter(
            "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=gr.Request
        )
    ]
    if reports_progress:
        special.append(
            inspect.Parameter(
                "progress",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=gr.Progress(),
                annotation=gr.Progress,
            )
        )
    declared = settings.signature(IMAGE_PARAMETERS)
    trailing = [MASK_PARAMETER, *special]
    signature = declared.replace(parameters=[*declared.parameters.values(), *trailing])

    def call(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        request_value = values.pop("request")
        extra = {"progress": values.pop("progress")} if reports_progress else {}
        inputs = Inputs(*(values.pop(name) for name in Inputs._fields))
        return run(request_value, inputs, values, **extra)

    handler: Callable[..., Any]
    if inspect.isgeneratorfunction(run):

        def handler(*args: Any, **kwargs: Any) -> Any:
            yield from call(*args, **kwargs)

    else:

        def handler(*args: Any, **kwargs: Any) -> Any:
            return call(*args, **kwargs)

    handler.__name__ = handler.__qualname__ = name
    handler.__signature__ = signature  # type: ignore[attr-defined]
    handler.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    handler.__doc__ = f"{summary}\n\nArgs:\n{IMAGE_DOCS}\n{settings.docs()}\n{MASK_DOCS}\n"
    return handler


def _classic_job(
    request: gr.Request | None, inputs: Inputs, values: dict[str, Any], caps: HostCaps
) -> Iterator[Update]:
    """One classic job for either front end, holding this session's stop flag while it runs."""
    session = _session(request)
    cancel = STOPS.claim(session, _arrived(request))
    try:
        yield from _classic_updates(inputs, values, caps, cancel)
    except Exception as error:
        raise _fail(error, *inputs.uploads) from None
    finally:
        STOPS.release(session, cancel)


def _classic_updates(
    inputs: Inputs, values: dict[str, Any], caps: HostCaps, cancel: threading.Event
) -> Iterator[Update]:
    """The moments of one classic job: every preview, then the result and its PNG.

    Closing the job's iterator (a cancel from the client) leaves the queue.
    """
    from nst.classic import stylize

    content, styles = inputs.checked()
    settings = ClassicSettings.from_values(values, caps.classic)
    history: list[Progress] = []
    job = stylize(content, styles, settings, mask=inputs.mask, cancel=cancel)  # checks inputs
    with closing(job) as events:
        if not cancel.is_set():
            yield Update(None, "Starting…", busy=True)
            for event in events:
                if isinstance(event, Queued):
                    yield Update(None, event.words())
                    continue
                history.append(event)
                steps, png = (event.step, event.total_steps), None
                if event.state != "running":  # done or stopped: no bar, the PNG
                    metadata = result_metadata(
                        "classic", content, styles, settings, inputs.mask, **event.facts()
                    )
                    steps, png = None, _save_result(event.image, metadata)
                yield Update(
                    event.image, event.words(), steps, costs=_costs_frame(history), png=png
                )
    if not history and cancel.is_set():
        yield Update(None, "Stopped before it started.")


def _fast_job(
    request: gr.Request | None, inputs: Inputs, values: dict[str, Any], caps: HostCaps
) -> Update:
    """One fast job for either front end: the result, its status and its PNG.

    It holds this session's stop flag while it waits, so Stop takes it out of the line.
    """
    from nst.fast import load_fast_model, stylize_fast

    content, styles = inputs.checked()
    session = _session(request)
    cancel = STOPS.claim(session, _arrived(request))
    started = time.perf_counter()
    try:
        settings = FastSettings.from_values(values, caps.fast)
        model = load_fast_model()
        image = stylize_fast(content, styles, settings, mask=inputs.mask, cancel=cancel)
    except Exception as error:
        raise _fail(error, *inputs.uploads) from None
    finally:
        STOPS.release(session, cancel)
    words = f"Done in {duration_words(time.perf_counter() - started)}."
    if not model.mixes_embeddings and (len(styles) > 1 or settings.strength < 1):
        words += f" {model.blend_note}"
    metadata = result_metadata("fast", content, styles, settings, inputs.mask)
    return Update(image, words, png=_save_result(image, metadata))


# ---------------------------------------------------------------- the API: plain values


def run_classic(
    request: gr.Request | None,
    inputs: Inputs,
    values: dict[str, Any],
    caps: HostCaps,
    progress: gr.Progress | None = None,
) -> Iterator[tuple[Any, str, Any, Any]]:
    """One classic job for the API, streaming (image, status, costs, PNG)."""
    for update in _classic_job(request, inputs, values, caps):
        if progress is not None and update.steps:
            progress(update.steps, desc=update.words)
        yield update.image, update.words, update.costs, update.png


def run_fast(
    request: gr.Request | None, inputs: Inputs, values: dict[str, Any], caps: HostCaps
) -> tuple[Any, str, Any]:
    """One fast job for the API: (image, status, PNG)."""
    update = _fast_job(request, inputs, values, caps)
    return update.image, update.words, update.png


def endpoints(caps: HostCaps) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The ``/classic`` and ``/fast`` handlers, within this host's caps."""

    def classic_job(*args: Any, **kwargs: Any) -> Iterator[tuple[Any, str, Any, Any]]:
        yield from run_classic(*args, caps=caps, **kwargs)

    classic = _endpoint(
        "classic",
        "Classic (Gatys) transfer, streaming (image, status, cost curves, PNG file).\n\n"
        "The PNG, with every setting in its metadata, comes with the last update, "
        "when the job is done or stopped.",
        ClassicSettings,
        classic_job,
        reports_progress=True,
    )
    fast = _endpoint(
        "fast",
        "Fast (one-pass Magenta) transfer: returns (image, status, PNG file).",
        FastSettings,
        partial(run_fast, caps=caps),
    )
    return classic, fast


# ---------------------------------------------------------------- the page: widgets


def page_status(words: str, steps: tuple[int, int] | None = None, busy: bool = False) -> str:
    """The page's status line: a progress bar while the job runs, then the words.

    The words are escaped: an error may quote a URL or ``<urlopen error …>``,
    which HTML would otherwise swallow.
    """
    if steps:
        bar = f'<progress value="{steps[0]}" max="{steps[1]}"></progress>'
    else:
        bar = "<progress></progress>" if busy else ""
    return f"{bar}<p>{html.escape(words)}</p>"


WAITING = page_status("Waiting for the device…", busy=True)


def _download(png: str | None) -> Any:
    """The download button: enabled with a result, disabled without one.

    Always an update, never a bare value: Gradio tracks an update's file for
    ``delete_cache`` whatever the session yielded before.
    """
    return gr.DownloadButton(value=png, interactive=png is not None)


class _BeforeAfter:
    """The slider's pair: the photo at the size of each picture, then the picture."""

    def __init__(self, content: str | None, size: int) -> None:
        self._content = content
        self._size = size
        self._photo: Any = None

    def __call__(self, update: Update) -> tuple[Any, Any] | None:
        if update.image is None:
            return None
        if self._photo is None:  # decoded once per job, at the size asked for
            self._photo = fit_longest_side(load_image(self._content), self._size)
        height, width = update.image.shape[:2]
        after = update.png or update.image  # the lossless PNG once there is one
        return resize_to(self._photo, height, width), after


def _painting(editor: Any, style_mix: float) -> np.ndarray | None:
    """The painter's strokes as a grey mask (white style 1, black style 2, grey the mix).

    None when nothing is painted: an empty painter changes nothing.
    """
    layers = [layer for layer in (editor or {}).get("layers") or [] if layer is not None]
    if not layers or not any(layer[..., 3].any() for layer in layers):
        return None
    strokes = layers[0]
    for layer in layers[1:]:  # later layers lie on top
        strokes = np.where(layer[..., 3:] > 0, layer, strokes)
    return share_image(read_mask(strokes, strokes.shape[:2], style_mix))


def _on_page(
    updates: Iterator[Update], inputs: Inputs, values: dict[str, Any], costs: bool
) -> Iterator[tuple[Any, ...]]:
    """A job's updates as the page's (before/after, status, [costs,] download, mask download).

    A failure ends with its whole message in the status line and the toast,
    escaped so that nothing in it is read as HTML.
    """
    pair = _BeforeAfter(inputs.content, values["size"])
    with closing(updates):
        try:
            for update in updates:
                status = page_status(update.words, update.steps, update.busy)
                plot = (update.costs,) if costs else ()
                mask = _save_mask(inputs.mask) if update.png and inputs.mask is not None else None
                yield pair(update), status, *plot, _download(update.png), _download(mask)
        except StoppedError as error:  # Stop, while the job still waited
            plot = (None,) if costs else ()
            yield None, page_status(str(error)), *plot, _download(None), _download(None)
        except Exception as error:
            message = _fail(error, inputs.content).message
            plot = (None,) if costs else ()
            status = page_status(f"Failed: {message}")
            yield None, status, *plot, _download(None), _download(None)
            raise gr.Error(html.escape(message), print_exception=False) from None


def _painted(inputs: Inputs, values: dict[str, Any]) -> Inputs:
    """The page's inputs with the painter's value turned into a mask."""
    return inputs._replace(mask=_painting(inputs.mask, values["style_mix"]))


def page_classic(
    request: gr.Request | None, inputs: Inputs, values: dict[str, Any], caps: HostCaps
) -> Iterator[tuple[Any, ...]]:
    """One classic job for the page, streaming (before/after, status, costs, downloads)."""
    inputs = _painted(inputs, values)
    updates = _classic_job(request, inputs, values, caps)
    yield from _on_page(updates, inputs, values, costs=True)


def page_fast(
    request: gr.Request | None, inputs: Inputs, values: dict[str, Any], caps: HostCaps
) -> Iterator[tuple[Any, ...]]:
    """One fast job for the page: (before/after, status, downloads), saying it paints meanwhile."""
    inputs = _painted(inputs, values)

    def updates() -> Iterator[Update]:
        yield Update(None, "Painting in one pass…", busy=True)
        yield _fast_job(request, inputs, values, caps)

    yield from _on_page(updates(), inputs, values, costs=False)


def page_handlers(caps: HostCaps) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The page's own classic and fast handlers (not in the API), within this host's caps."""
    classic = _endpoint(
        "classic_page",
        "Classic transfer on the page.",
        ClassicSettings,
        partial(page_classic, caps=caps),
    )
    fast = _endpoint(
        "fast_page", "Fast transfer on the page.", FastSettings, partial(page_fast, caps=caps)
    )
    return classic, fast


def after_failure(status: str) -> Any:
    """A job refused before it ran (an upload swept from the cache) leaves no stale "Waiting"."""
    if status == WAITING:
        return page_status("Failed: nothing ran; the message at the top right says why.")
    return gr.skip()


def arm_stop(request: gr.Request) -> str:
    """Before a classic job queues: give it a stop flag and say it is waiting."""
    STOPS.arm(_session(request))
    return WAITING


def client_gone(request: gr.Request) -> None:
    """The page was closed or the API client went away: its jobs stop, running or waiting.

    Gradio calls this when the session's heartbeat connection drops, at once,
    where it would otherwise close a job only at its next preview.
    """
    STOPS.stop(_session(request))


NOTHING_RUNNING = "Nothing is running."


def stop(request: gr.Request) -> str:
    """Stop this session's jobs, running or waiting (a classic one keeps its last image);
    say what happened."""
    if STOPS.stop(_session(request)):
        message = "Stopping after the current step…"
    else:
        message = NOTHING_RUNNING
    gr.Info(message)
    return message


def stop_on_page(request: gr.Request) -> Any:
    """The page's Stop: the toast says what happened; the status line says so only when
    nothing ran, since a stopped job writes its own last words there ("Stopped at step …")
    and this answer, arriving after them, would cover them."""
    message = stop(request)
    return message if message == NOTHING_RUNNING else gr.skip()


def check_upload(upload: dict[str, Any] | None) -> tuple[Any, Any]:
    """Refuse a file that is no image as soon as it is dropped: empty the slot, say why.

    Runs on the raw upload (no preprocessing), reading only the file's header.
    """
    if upload is None:
        return gr.skip(), gr.skip()
    try:
        check_image(upload["path"])
    except NSTError as error:
        log.warning("refused upload: %s", error)
        gr.Warning(html.escape(str(error)))
        return None, page_status(str(error))
    return gr.skip(), gr.skip()


def show_painter(content: str | None) -> tuple[Any, Any]:
    """The painter appears with a content photo, as its background, with nothing painted."""
    return gr.Accordion(visible=content is not None), gr.ImageEditor(value=content)


def _gallery_picker(
    items: list[GalleryItem],
) -> Callable[[str, gr.SelectData], tuple[Any, Any]]:
    def pick(target: str, evt: gr.SelectData) -> tuple[Any, Any]:
        """Put the clicked painting into the style slot chosen above the gallery."""
        path = str(items[evt.index].path)
        return (path, gr.skip()) if target == "Style 1" else (gr.skip(), path)

    return pick


def control(declared: Parameter, cap: float | None = None) -> gr.components.Component:
    """The control for one parameter, its words from the declaration, its top lowered to ``cap``."""
    words = {"label": declared.label, "info": declared.help}
    if declared.kind is bool:
        return gr.Checkbox(declared.default, **words)
    if declared.kind is str:
        return gr.Dropdown(list(declared.choices), value=declared.default, **words)
    low, high = declared.bounds(cap)
    value = min(declared.default, high)
    if declared.typed:
        precision = 0 if declared.kind is int else None
        return gr.Number(value, minimum=low, maximum=high, precision=precision, **words)
    return gr.Slider(low, high, value=value, step=declared.step, **words)


def _controls(
    settings: type[Settings], caps: dict[str, int], made: dict[str, gr.components.Component]
) -> list[gr.components.Component]:
    """Controls for one mode in declaration order; those in ``made`` are reused.

    Main controls are laid out first, then the advanced ones in an accordion.
    """
    controls = dict(made)
    fresh = [p for p in settings.parameters() if p.name not in made]
    with gr.Row():
        for declared in fresh:
            if not declared.advanced:
                controls[declared.name] = control(declared, caps.get(declared.name))
    advanced = [p for p in fresh if p.advanced]
    if advanced:
        with gr.Accordion("Advanced", open=False):
            for declared in advanced:
                controls[declared.name] = control(declared, caps.get(declared.name))
    return [controls[p.name] for p in settings.parameters()]


def _shared_parameters() -> list[Parameter]:
    """Parameters both modes declare alike: one control serves both tabs."""
    fast = set(FastSettings.parameters())
    return [p for p in ClassicSettings.parameters() if p in fast]


def _examples(items: list[GalleryItem], inputs: list[gr.components.Component]) -> None:
    """Real photos with gallery styles, one with two mixed; they fill the inputs and run nothing.

    An example whose style is not in the gallery (another ``NST_STYLES_DIR``) is left out.
    """
    styles = {item.path.name: str(item.path) for item in items}
    rows = [
        [str(PHOTOS_DIR / photo), styles[first], styles[second] if second else None, mix]
        for photo, first, second, mix in EXAMPLES
        if first in styles and (second is None or second in styles)
    ]
    if rows:
        gr.Examples(
            rows,
            inputs=inputs,
            label="Examples: photo, style 1, style 2, mix",
            cache_examples=False,
            run_on_click=False,
            elem_id="examples",
        )


def build_demo() -> gr.Blocks:
    """The whole page; nothing runs until a button is clicked."""
    caps = host_caps()
    classic, fast = endpoints(caps)
    classic_page, fast_page = page_handlers(caps)
    items = load_gallery()
    gr.set_static_paths([styles_dir(), PHOTOS_DIR])
    age = upload_lifetime_seconds()

    telemetry = config.ANALYTICS.text().lower() == "true"  # opt-in only
    with gr.Blocks(title=TITLE, delete_cache=(age, age), analytics_enabled=telemetry) as demo:
        gr.Markdown(f"# {TITLE}\n{DESCRIPTION}", elem_id="header")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                content = _image_input("Content photo", 300, "content")
                with gr.Row():
                    style_1 = _image_input("Style 1", 200, "style-1")
                    style_2 = _image_input("Style 2 (optional)", 200, "style-2")
                shared = {
                    p.name: control(p) for p in _shared_parameters() if p.name != "mask_feather"
                }
                with gr.Accordion(
                    "Where each style goes (optional)", open=False, visible=False
                ) as regions:
                    gr.Markdown(
                        "Paint **red** where style 1 goes and **blue** where style 2 goes; "
                        "what you leave unpainted gets the style mix.",
                        elem_classes="caps-note",
                    )
                    painter = gr.ImageEditor(
                        type="numpy",
                        image_mode="RGBA",
                        sources=(),  # the background is the content photo
                        transforms=(),  # no crop: the strokes keep the photo's geometry
                        layers=False,
                        brush=gr.Brush(colors=PAINTER_COLOURS, color_mode="fixed", default_size=24),
                        eraser=gr.Eraser(default_size=24),
                        show_label=False,
                        height=360,
                        elem_id="painter",
                    )
                    feather = ClassicSettings.parameter("mask_feather")
                    shared[feather.name] = control(feather)
                _examples(items, [content, style_1, style_2, shared["style_mix"]])
                target = gr.Radio(
                    ["Style 1", "Style 2"],
                    value="Style 1",
                    label="Style gallery: a click on a painting below fills",
                )
                gallery = gr.Gallery(
                    [(str(item.path), item.caption) for item in items],
                    show_label=False,
                    columns=4,
                    allow_preview=False,
                    buttons=[],
                    object_fit="cover",
                    elem_id="style-gallery",
                )
            with gr.Column(scale=6):
                with gr.Tabs(overflow_behavior="wrap"):  # both modes in sight on a phone
                    with gr.Tab("Classic: fine, step by step") as classic_tab:
                        classic_settings = _controls(ClassicSettings, caps.classic, shared)
                        gr.Markdown(caps.note(), elem_classes="caps-note")
                        with gr.Row():
                            classic_button = gr.Button(
                                "Launch", variant="primary", elem_id="classic-launch"
                            )
                            stop_button = gr.Button("Stop", variant="stop")
                    with gr.Tab("Fast: one pass") as fast_tab:
                        fast_settings = _controls(FastSettings, caps.fast, shared)
                        fast_button = gr.Button("Launch", variant="primary", elem_id="fast-launch")
                status = gr.HTML(
                    "<p>Upload a photo, pick one or two styles, then press <b>Launch</b>.</p>",
                    elem_id="status",
                )
                slider = gr.ImageSlider(
                    label="Before / after",
                    type="numpy",
                    format="jpeg",  # ~100× cheaper to encode per preview than PNG
                    interactive=False,
                    height=420,
                    max_height=420,  # the picture's own limit: fitting in the box, not cut off
                    buttons=["fullscreen"],
                    elem_id="result",
                )
                download = gr.DownloadButton(
                    "Download full-size PNG (settings in its metadata)",
                    interactive=False,
                    elem_id="download",
                )
                mask_download = gr.DownloadButton(
                    "Download the painted regions (a mask for --mask)",
                    interactive=False,
                    size="sm",
                    elem_id="mask-download",
                )
                plot = gr.LinePlot(  # no fixed height: the legend would be cut off
                    x="step",
                    y="log10 cost",
                    color="term",
                    color_title="Cost term",
                    label="Costs (classic, log10)",
                )
                # The API's image output and mask input; the page has the slider and the painter.
                result = gr.Image(type="numpy", format="jpeg", visible=False)
                mask = _image_input("Mask", 100, "mask", visible=False)
        images = [content, style_1, style_2]

        # Every transfer shares one group; launch() sizes it for the jobs allowed to wait.
        # The API's events have no trigger on the page: clients (and MCP) call them by name.
        gr.on(
            [],
            classic,
            inputs=[*images, *classic_settings, mask],
            outputs=[result, status, plot, download],
            api_name="classic",
            concurrency_id=TRANSFER,
        )
        gr.on(
            [],
            fast,
            inputs=[*images, *fast_settings, mask],
            outputs=[result, status, download],
            api_name="fast",
            concurrency_id=TRANSFER,
        )
        # The page's own events show their progress in the status line.
        page: dict[str, Any] = {
            "concurrency_id": TRANSFER,
            "show_progress": "hidden",
            "api_visibility": "private",
        }
        private: dict[str, Any] = {"queue": False, "api_visibility": "private"}
        classic_button.click(arm_stop, outputs=status, **private).then(
            classic_page,
            inputs=[*images, *classic_settings, painter],
            outputs=[slider, status, plot, download, mask_download],
            **page,
        ).failure(after_failure, inputs=status, outputs=status, **private)
        fast_button.click(lambda: WAITING, outputs=status, **private).then(
            fast_page,
            inputs=[*images, *fast_settings, painter],
            outputs=[slider, status, download, mask_download],
            **page,
        ).failure(after_failure, inputs=status, outputs=status, **private)
        # Queued so that its toast reaches the page, in a group of its own that never waits.
        gr.on([], stop, outputs=status, api_name="stop", concurrency_limit=None)
        stop_button.click(
            stop_on_page, outputs=status, concurrency_limit=None, api_visibility="private"
        )
        for slot in images:
            slot.upload(
                check_upload,
                inputs=slot,
                outputs=[slot, status],
                preprocess=False,
                concurrency_limit=None,
                api_visibility="private",
            )
        content.change(show_painter, inputs=content, outputs=[regions, painter], **private)
        demo.unload(client_gone)
        for tab, shows_costs in ((classic_tab, True), (fast_tab, False)):
            tab.select(
                partial(gr.update, visible=shows_costs),
                outputs=plot,
                **private,
            )
        gallery.select(
            _gallery_picker(items),
            inputs=target,
            outputs=[style_1, style_2],
            **private,
        )
    return demo


def preload() -> None:
    """Load both modes' models now, so the first visitor does not wait for them."""
    from nst.classic.evaluator import get_evaluator
    from nst.fast import load_fast_model

    for name, load in (("classic", get_evaluator), ("fast", load_fast_model)):
        try:
            load()
        except NSTError as error:
            log.warning("%s mode is unavailable until this is fixed: %s", name, error)


def request_limits() -> list[Middleware]:
    """The web server's checks in front of Gradio: bounds per request, arrival stamps for Stop."""
    return [
        Middleware(
            RequestLimits,
            max_bytes=config.MAX_REQUEST_MB.integer() * MB,
            max_parts=config.MAX_FILES.integer(),
        )
    ]


def launch(demo: gr.Blocks, *, max_queue: int, **kwargs: Any) -> Any:
    """Queue and serve ``demo`` with the app's look; ``kwargs`` go to ``launch()``.

    The waiting line is the library's scheduler, bounded at ``max_queue``
    jobs: Gradio's own ``max_size`` would refuse every event once full, Stop
    included. Transfer handlers start at once and wait inside the scheduler,
    which runs one at a time, shows each job its place and tells the rest
    the server is busy; Gradio gets threads enough for all of them. Every
    request passes :func:`request_limits` before Gradio sees it.
    """
    SCHEDULER.max_waiting = max_queue
    for fn in demo.fns.values():
        if fn.concurrency_id == TRANSFER:
            fn.concurrency_limit = max_queue + HANDLER_MARGIN
    demo.queue(max_size=None)
    threads = max(kwargs.pop("max_threads", 40), max_queue + HANDLER_MARGIN + THREAD_MARGIN)
    return demo.launch(
        theme=THEME,
        css=CSS,
        max_file_size=MAX_UPLOAD,
        max_threads=threads,
        app_kwargs={"middleware": request_limits()},
        **kwargs,
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=f"Serve the {TITLE} web app. {DESCRIPTION.replace('**', '')}",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default=config.SERVER_NAME.text(),
        help=f"address to listen on; 0.0.0.0 for every interface (${config.SERVER_NAME.name})",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=config.SERVER_PORT.integer(),
        help=f"port to listen on (${config.SERVER_PORT.name})",
    )
    parser.add_argument(
        "--share", action="store_true", help="also serve on a temporary public gradio.live link"
    )
    parser.add_argument(
        "--preload", action="store_true", help="load the models at start, not at first use"
    )
    parser.add_argument(
        "--max-queue",
        type=int,
        default=config.MAX_QUEUE.integer(),
        help="jobs that may wait (0: none); more are told the app is busy "
        f"(${config.MAX_QUEUE.name})",
    )
    parser.add_argument(
        "--mcp",
        action="store_true",
        default=config.MCP_SERVER.text().lower() == "true",
        help="also serve the transfers as MCP tools, at /gradio_api/mcp/ "
        f"(${config.MCP_SERVER.name})",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show TensorFlow's start-up log and the app's notes",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the app until Ctrl+C; the terminal gets one line saying where."""
    args = parse_args(argv)
    configure_logging(args.verbose)
    import_tensorflow(args.verbose)
    if args.preload:
        preload()
    demo = build_demo()
    launch(
        demo,
        max_queue=args.max_queue,
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        mcp_server=args.mcp,
        quiet=True,
        prevent_thread_lock=True,
    )
    if args.mcp and demo.mcp_error:
        log.error("the MCP server did not start: %s", demo.mcp_error)
    print(served_at(demo), flush=True)
    demo.block_thread()


def served_at(demo: gr.Blocks) -> str:
    """The line that tells where the running app is."""
    line = f"{TITLE} is served at {demo.local_url}"
    if demo.share_url:
        line += f" and at {demo.share_url}"
    return line + " (Ctrl+C to stop)"


if __name__ == "__main__":
    main()
