"""Dual NST web app: repaint a photo in the style of one or two paintings.

Only the user interface lives here: layout, events, queue settings and launch
flags. The transfers themselves, their defaults and their limits come from
:mod:`nst`, so the app, the CLI and the Python API behave alike.

Run ``python app.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from gradio.processing_utils import save_bytes_to_cache
from gradio.utils import get_upload_folder
from PIL import Image

from nst.config import env_int, env_str
from nst.errors import NSTError
from nst.events import Progress, Queued
from nst.gallery import GalleryItem, load_gallery, styles_dir
from nst.images import load_image, png_bytes
from nst.scheduler import SCHEDULER
from nst.settings import INIT_CHOICES, ClassicSettings, FastSettings

log = logging.getLogger("dual-nst.app")

TITLE = "Dual NST"
DESCRIPTION = (
    "Repaint a photo in the style of one or two paintings: "
    "**Classic** refines it step by step, **Fast** answers in one pass."
)
CPU_CAPS = (512, 300)
"""Classic (output size, iterations) caps on a host without a GPU."""
GPU_CAPS = (1536, 2000)
MIN_SIZE = 64
"""Smallest output size the sliders offer: a smaller result is too small to judge."""
FAST_MAX_SIZE = 2048
MAX_UPLOAD = "50mb"
STYLE_MIX = 0.5
"""Default share of style 1."""
COST_TERMS = ("total", "content", "style", "tv")
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
.caps-note { font-size: 0.85em; opacity: 0.8; }
#style-gallery .grid-wrap { min-height: 0; }
#style-gallery .caption-label { white-space: normal; font-size: 0.72em; line-height: 1.2; }
"""


@dataclass(frozen=True)
class Caps:
    """How far the classic sliders go on this host."""

    size: int
    iterations: int
    gpu: bool

    def note(self) -> str:
        device = "GPU" if self.gpu else "CPU"
        return (
            f"On this {device} host classic mode is capped at {self.size} px and "
            f"{self.iterations} steps; set `NST_MAX_CLASSIC_SIZE` and `NST_MAX_ITERATIONS` "
            "before starting the app to change that."
        )


def classic_caps() -> Caps:
    """Caps from the environment, defaulting by whether TensorFlow sees a GPU.

    Listing devices initialises the runtime but builds no model.
    """
    import tensorflow as tf

    gpu = bool(tf.config.list_physical_devices("GPU"))
    size, iterations = GPU_CAPS if gpu else CPU_CAPS
    size_high = ClassicSettings.LIMITS["size"][1]
    iter_low, iter_high = ClassicSettings.LIMITS["iterations"]
    return Caps(
        size=int(min(max(env_int("NST_MAX_CLASSIC_SIZE", size), MIN_SIZE), size_high)),
        iterations=int(min(max(env_int("NST_MAX_ITERATIONS", iterations), iter_low), iter_high)),
        gpu=gpu,
    )


def delete_cache_seconds() -> int:
    """How long uploads and results stay on the server (``NST_DELETE_CACHE_SECONDS``).

    Any value from 1 s up is honoured: a privacy-minded host may keep files
    only seconds, at the price of uploads expiring while their job waits.
    """
    return max(env_int("NST_DELETE_CACHE_SECONDS", 3600), 1)


def _upload_gone() -> gr.Error:
    """An upload the cache sweep removed before its job ran, named without its server path."""
    return gr.Error(
        "The uploaded image is no longer on the server (uploads are kept for "
        f"{delete_cache_seconds()} s); please upload it again."
    )


class StopSwitches:
    """Per-session stop flags, so Stop ends this visitor's jobs and nobody else's.

    The page arms a flag when Launch is clicked, before Gradio starts the
    job, so a Stop in between is not lost; API callers get a flag when their
    job starts. Stop sets the armed flag and every running one, and a job
    still queued in the scheduler leaves the line without running.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, threading.Event] = {}
        self._running: dict[str, set[threading.Event]] = {}

    def arm(self, session: str) -> None:
        """A flag for the session's next job (the page starts one job at a time)."""
        with self._lock:
            self._armed[session] = threading.Event()

    def claim(self, session: str) -> threading.Event:
        """The flag of a job that is starting now."""
        with self._lock:
            flag = self._armed.pop(session, None) or threading.Event()
            self._running.setdefault(session, set()).add(flag)
            return flag

    def release(self, session: str, flag: threading.Event) -> None:
        with self._lock:
            running = self._running.get(session, set())
            running.discard(flag)
            if not running:
                self._running.pop(session, None)

    def stop(self, session: str) -> int:
        """Set the session's flags; returns how many jobs were asked to stop."""
        with self._lock:
            flags = [*self._running.get(session, ())]
            if session in self._armed:
                flags.append(self._armed[session])
        for flag in flags:
            flag.set()
        return len(flags)


STOPS = StopSwitches()


def _image_input(label: str, height: int, elem_id: str) -> gr.Image:
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
    )
    gradio_preprocess = component.preprocess

    def preprocess(payload: Any) -> Any:
        try:
            return gradio_preprocess(payload)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            if payload.path and not Path(payload.path).exists():
                raise _upload_gone() from None
            try:
                load_image(payload.path)
            except NSTError as error:
                raise gr.Error(str(error)) from None
            raise gr.Error(
                "This file could not be read as an image; upload a JPEG, PNG or WebP."
            ) from None

    component.preprocess = preprocess
    return component


def _styles(
    style_1: str | None, style_2: str | None, style_mix: float
) -> tuple[list[str], tuple[float, ...]]:
    """The chosen styles and their weights (style 1 gets ``style_mix``, style 2 the rest)."""
    chosen = [(path, w) for path, w in ((style_1, style_mix), (style_2, 1.0 - style_mix)) if path]
    if not chosen:
        raise gr.Error("Choose a style: upload a painting or click one in the gallery.")
    if len(chosen) == 1:
        return [chosen[0][0]], (1.0,)
    return [path for path, _ in chosen], tuple(float(w) for _, w in chosen)


def _need_content(content: str | None) -> str:
    if not content:
        raise gr.Error("Upload a content photo first: it is the picture that gets repainted.")
    return content


def _save_result(image: Any, mode: str, params: dict[str, Any]) -> str:
    """The full-size PNG with its parameters, written straight into Gradio's cache.

    Gradio serves it from there as it is, and ``delete_cache`` removes it with
    the uploads, so no copy of a result outlives the configured lifetime.
    """
    data = png_bytes(image, {"mode": mode, **params})
    return save_bytes_to_cache(data, f"dual-nst-{mode}.png", get_upload_folder())


def _params(
    content: str, styles: Sequence[str], settings: ClassicSettings | FastSettings
) -> dict[str, Any]:
    """What goes into the PNG's metadata: input names and the settings used."""
    return {
        "content": Path(content).name,
        "styles": [Path(style).name for style in styles],
        **settings.validated(len(styles)).as_dict(),
    }


def _status(event: Progress) -> str:
    if event.state == "done":
        return f"**Done**: {event.step} steps in {event.elapsed:.1f} s."
    if event.state == "stopped":
        return (
            f"**Stopped** at step {event.step}/{event.total_steps} after "
            f"{event.elapsed:.1f} s; the last image is kept."
        )
    return f"**Running**: {event.summary()}"


def _queued(position: int) -> str:
    """The status of a job waiting for the device behind ``position`` others."""
    return f"**Queued**: {position} job(s) ahead of you."


def _costs_frame(history: list[Progress]) -> pd.DataFrame:
    """Costs over steps in long form, on a log scale since the terms differ by decades."""
    rows = [
        {"step": event.step, "term": term, "log10 cost": math.log10(max(cost, 1e-12))}
        for event in history
        for term, cost in zip(
            COST_TERMS,
            (event.total_cost, event.content_cost, event.style_cost, event.tv_cost),
            strict=True,
        )
    ]
    return pd.DataFrame(rows, columns=["step", "term", "log10 cost"])


def _fail(error: Exception, *uploads: str | None) -> gr.Error:
    """A user-facing error: the library's own words, or a plain note for a bug.

    An upload the cache sweep removed after Gradio handed it over (while the
    job loaded a model, say) is named as such, not by its server path.
    """
    if isinstance(error, gr.Error):
        return error
    if isinstance(error, NSTError):
        if any(path and not Path(path).exists() for path in uploads):
            return _upload_gone()
        return gr.Error(str(error))
    log.exception("transfer failed")
    return gr.Error("The transfer failed unexpectedly; the server log has the details.")


def classic(
    content: str | None,
    style_1: str | None,
    style_2: str | None = None,
    style_mix: float = STYLE_MIX,
    iterations: int = ClassicSettings.iterations,
    content_weight: float = ClassicSettings.content_weight,
    style_weight: float = ClassicSettings.style_weight,
    tv_weight: float = ClassicSettings.tv_weight,
    size: int = ClassicSettings.size,
    style_scale: float = ClassicSettings.style_scale,
    init: str = ClassicSettings.init,
    preserve_colors: bool = ClassicSettings.preserve_colors,
    seed: int = ClassicSettings.seed,
    preview_every: int = ClassicSettings.preview_every,
    request: gr.Request | None = None,
) -> Iterator[tuple[Any, str, Any, Any]]:
    """Classic (Gatys) transfer, streaming (image, status, cost curves, PNG file).

    Images are file paths; `style_2` is optional and `style_mix` is the share
    of style 1. The PNG (with its parameters in the metadata) comes with the
    last update, when the job is done or stopped.
    """
    session = _session(request)
    cancel = STOPS.claim(session)
    try:
        settings = ClassicSettings(
            iterations=iterations,
            content_weight=content_weight,
            style_weight=style_weight,
            tv_weight=tv_weight,
            size=size,
            style_scale=style_scale,
            init=init,
            preserve_colors=preserve_colors,
            seed=seed,
            preview_every=preview_every,
        )
        yield from _classic_updates(content, style_1, style_2, style_mix, settings, cancel)
    except Exception as error:
        failure = _fail(error, content, style_1, style_2)
        yield gr.skip(), f"**Failed**: {failure.message}", gr.skip(), gr.skip()
        raise failure from None
    finally:
        STOPS.release(session, cancel)


def _classic_updates(
    content: str | None,
    style_1: str | None,
    style_2: str | None,
    style_mix: float,
    settings: ClassicSettings,
    cancel: threading.Event,
) -> Iterator[tuple[Any, str, Any, Any]]:
    """The outputs of one classic job: every preview, then the result and its PNG.

    Until the last file, the image and PNG outputs get ``None``, never
    ``gr.skip()``: Gradio 6.31 stops tracking an output's later files for
    ``delete_cache`` once a generator skips it, so they would stay forever.
    Closing the job's iterator (a cancel from the client) leaves the queue.
    """
    from nst.classic import stylize

    content = _need_content(content)
    styles, weights = _styles(style_1, style_2, style_mix)
    settings = replace(settings, style_weights=weights)
    history: list[Progress] = []
    with closing(stylize(content, styles, settings, cancel=cancel)) as events:  # checks inputs
        if not cancel.is_set():
            yield None, "**Starting**…", None, None
            for event in events:
                if isinstance(event, Queued):
                    yield None, _queued(event.position), None, None
                    continue
                history.append(event)
                download = None
                if event.state != "running":
                    params = {**_params(content, styles, settings), "steps_done": event.step}
                    download = _save_result(event.image, "classic", params)
                yield event.image, _status(event), _costs_frame(history), download
    if not history and cancel.is_set():
        yield gr.skip(), "**Stopped** before it started.", gr.skip(), gr.skip()


def fast(
    content: str | None,
    style_1: str | None,
    style_2: str | None = None,
    style_mix: float = STYLE_MIX,
    size: int = FastSettings.size,
    strength: float = FastSettings.strength,
    preserve_colors: bool = FastSettings.preserve_colors,
) -> tuple[Any, str, Any]:
    """Fast (one-pass Magenta) transfer: returns (image, status, PNG file).

    Images are file paths; `style_2` is optional, `style_mix` is the share of
    style 1 and `strength` runs from 0 (the photo) to 1 (full style).
    """
    from nst.fast import load_fast_model, stylize_fast

    content = _need_content(content)
    styles, weights = _styles(style_1, style_2, style_mix)
    settings = FastSettings(
        size=size,
        strength=strength,
        preserve_colors=preserve_colors,
        style_weights=weights,
    )
    started = time.perf_counter()
    try:
        model = load_fast_model()
        image = stylize_fast(content, styles, settings)
    except Exception as error:
        raise _fail(error, content, *styles) from None
    status = f"**Done** in {time.perf_counter() - started:.1f} s."
    if not model.mixes_embeddings and (len(styles) > 1 or strength < 1):
        status += f" {model.blend_note}"
    return image, status, _save_result(image, "fast", _params(content, styles, settings))


WAITING = "**Waiting** for the device…"


def _session(request: gr.Request | None) -> str:
    """Whose stop flags: the browser tab or API client (one key for direct calls)."""
    return (request.session_hash if request else None) or ""


def after_failure(status: str) -> Any:
    """A job refused before it ran (e.g. an upload that is no image) leaves no stale "Waiting"."""
    if status == WAITING:
        return "**Failed**: nothing ran; the message at the top right says why."
    return gr.skip()


def arm_stop(request: gr.Request) -> str:
    """Before a classic job queues: give it a stop flag and say it is waiting."""
    STOPS.arm(_session(request))
    return WAITING


def stop(request: gr.Request) -> None:
    """Stop this session's classic jobs; a running one keeps its last image."""
    if STOPS.stop(_session(request)):
        gr.Info("Stopping after the current step…")
    else:
        gr.Info("Nothing is running.")


def _gallery_picker(
    items: list[GalleryItem],
) -> Callable[[str, gr.SelectData], tuple[Any, Any]]:
    def pick(target: str, evt: gr.SelectData) -> tuple[Any, Any]:
        """Put the clicked painting into the style slot chosen above the gallery."""
        path = str(items[evt.index].path)
        return (path, gr.skip()) if target == "Style 1" else (gr.skip(), path)

    return pick


def _weight_slider(name: str, label: str, info: str) -> gr.Slider:
    """A cost weight from 0 to ten times its default, which it starts at."""
    default = getattr(ClassicSettings, name)
    top = 10 * default or 10
    return gr.Slider(0, top, value=default, step=top / 200, label=label, info=info)


def _classic_controls(caps: Caps) -> list[gr.components.Component]:
    """Classic settings, in the order of :func:`classic`'s parameters after the images."""
    defaults, limits = ClassicSettings(), ClassicSettings.LIMITS
    iterations = gr.Slider(
        1,
        caps.iterations,
        value=min(defaults.iterations, caps.iterations),
        step=1,
        label="Iterations",
        info="More steps, more style; the preview updates as it goes.",
    )
    with gr.Row():
        content_weight = _weight_slider(
            "content_weight", "Content weight", "How much of the photo's shapes to keep."
        )
        style_weight = _weight_slider(
            "style_weight", "Style weight", "How strongly to imitate the paintings."
        )
    with gr.Accordion("Advanced", open=False):
        with gr.Row():
            tv_weight = _weight_slider(
                "tv_weight", "Smoothness (TV weight)", "Higher: fewer speckles, softer detail."
            )
            size = gr.Slider(
                MIN_SIZE,
                caps.size,
                value=min(defaults.size, caps.size),
                step=16,
                label="Output size",
                info="Longest side in pixels.",
            )
        with gr.Row():
            style_scale = gr.Slider(
                *limits["style_scale"],
                value=defaults.style_scale,
                step=0.05,
                label="Style scale",
                info="Size of the brush strokes, relative to the output.",
            )
            preview_every = gr.Slider(
                1,
                50,
                value=defaults.preview_every,
                step=1,
                label="Preview every",
                info="Steps between two previews.",
            )
        with gr.Row():
            init = gr.Dropdown(
                list(INIT_CHOICES),
                value=defaults.init,
                label="Start from",
                info="The photo, random noise, or the fast-mode result.",
            )
            seed = gr.Number(
                defaults.seed,
                precision=0,
                minimum=limits["seed"][0],
                maximum=limits["seed"][1],
                label="Seed",
                info="For the noise start.",
            )
        preserve_colors = gr.Checkbox(defaults.preserve_colors, label="Keep the photo's colours")
    gr.Markdown(caps.note(), elem_classes="caps-note")
    return [
        iterations,
        content_weight,
        style_weight,
        tv_weight,
        size,
        style_scale,
        init,
        preserve_colors,
        seed,
        preview_every,
    ]


def _fast_controls() -> list[gr.components.Component]:
    """Fast settings, in the order of :func:`fast`'s parameters after the images."""
    defaults = FastSettings()
    with gr.Row():
        size = gr.Slider(
            MIN_SIZE,
            FAST_MAX_SIZE,
            value=defaults.size,
            step=16,
            label="Output size",
            info="Longest side in pixels.",
        )
        strength = gr.Slider(
            0,
            1,
            value=defaults.strength,
            step=0.05,
            label="Strength",
            info="0: the photo as it is, 1: full style.",
        )
    preserve_colors = gr.Checkbox(defaults.preserve_colors, label="Keep the photo's colours")
    return [size, strength, preserve_colors]


def _examples(items: list[GalleryItem], inputs: list[gr.components.Component]) -> None:
    """Two clickable examples from the gallery; they fill the inputs and run nothing."""
    if len(items) < 3:
        return
    first, last = items[:3], items[-3:][::-1]
    gr.Examples(
        [[*(str(item.path) for item in picks), mix] for picks, mix in ((first, 0.5), (last, 0.7))],
        inputs=inputs,
        label="Examples: photo, style 1, style 2, mix",
        cache_examples=False,
        run_on_click=False,
    )


def build_demo() -> gr.Blocks:
    """The whole page; nothing runs until a button is clicked."""
    caps = classic_caps()
    items = load_gallery()
    gr.set_static_paths([styles_dir()])
    age = delete_cache_seconds()

    telemetry = env_str("GRADIO_ANALYTICS_ENABLED", "False").lower() == "true"  # opt-in only
    with gr.Blocks(title=TITLE, delete_cache=(age, age), analytics_enabled=telemetry) as demo:
        gr.Markdown(f"# {TITLE}\n{DESCRIPTION}", elem_id="header")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                content = _image_input("Content photo", 300, "content")
                with gr.Row():
                    style_1 = _image_input("Style 1", 200, "style-1")
                    style_2 = _image_input("Style 2 (optional)", 200, "style-2")
                style_mix = gr.Slider(
                    0,
                    1,
                    value=STYLE_MIX,
                    step=0.05,
                    label="Style mix",
                    info="Share of style 1; style 2 gets the rest (ignored with one style).",
                )
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
                with gr.Tabs():
                    with gr.Tab("Classic: fine, step by step") as classic_tab:
                        classic_settings = _classic_controls(caps)
                        with gr.Row():
                            classic_button = gr.Button("Launch", variant="primary")
                            stop_button = gr.Button("Stop", variant="stop")
                    with gr.Tab("Fast: one pass") as fast_tab:
                        fast_settings = _fast_controls()
                        fast_button = gr.Button("Launch", variant="primary")
                status = gr.Markdown(
                    "Upload a photo, pick one or two styles, then press **Launch**.",
                    label="Status",
                    elem_id="status",
                )
                result = gr.Image(
                    label="Result",
                    type="numpy",
                    format="jpeg",  # ~100× cheaper to encode per preview than PNG
                    interactive=False,
                    height=420,
                    buttons=["fullscreen"],
                    elem_id="result",
                )
                download = gr.DownloadButton("Download full-size PNG (settings in its metadata)")
                plot = gr.LinePlot(
                    x="step", y="log10 cost", color="term", label="Costs (classic)", height=280
                )
        images = [content, style_1, style_2, style_mix]
        _examples(items, images)

        # Both modes share one group; launch() sizes it for the jobs allowed to wait.
        transfer: dict[str, Any] = {
            "concurrency_id": TRANSFER,
            "show_progress": "minimal",
            "show_progress_on": [status],
        }
        private: dict[str, Any] = {"queue": False, "api_visibility": "private"}
        classic_button.click(arm_stop, outputs=status, **private).then(
            classic,
            inputs=images + classic_settings,
            outputs=[result, status, plot, download],
            api_name="classic",
            **transfer,
        ).failure(after_failure, inputs=status, outputs=status, **private)
        fast_button.click(lambda: WAITING, outputs=status, **private).then(
            fast,
            inputs=images + fast_settings,
            outputs=[result, status, download],
            api_name="fast",
            **transfer,
        ).failure(after_failure, inputs=status, outputs=status, **private)
        stop_button.click(stop, api_name="stop", queue=False)
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
    from nst.engine import get_engine
    from nst.fast import load_fast_model

    for name, load in (("classic", get_engine), ("fast", load_fast_model)):
        try:
            load()
        except NSTError as error:
            log.warning("%s mode is unavailable until this is fixed: %s", name, error)


def launch(demo: gr.Blocks, *, max_queue: int, **kwargs: Any) -> Any:
    """Queue and serve ``demo`` with the app's look; ``kwargs`` go to ``launch()``.

    The waiting line is the library's scheduler, bounded at ``max_queue``
    jobs: Gradio's own ``max_size`` would refuse every event once full, Stop
    included. Transfer handlers start at once and wait inside the scheduler,
    which runs one at a time, shows each job its place and tells the rest
    the server is busy; Gradio gets threads enough for all of them.
    """
    SCHEDULER.max_waiting = max_queue
    for fn in demo.fns.values():
        if fn.concurrency_id == TRANSFER:
            fn.concurrency_limit = max_queue + HANDLER_MARGIN
    demo.queue(max_size=None)
    threads = max(kwargs.pop("max_threads", 40), max_queue + HANDLER_MARGIN + THREAD_MARGIN)
    return demo.launch(
        theme=THEME, css=CSS, max_file_size=MAX_UPLOAD, max_threads=threads, **kwargs
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=f"Serve the {TITLE} web app. {DESCRIPTION.replace('**', '')}"
    )
    parser.add_argument(
        "--host",
        default=env_str("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="address to listen on; 0.0.0.0 for every interface "
        "(default: $GRADIO_SERVER_NAME or 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=env_int("GRADIO_SERVER_PORT", 7860),
        help="port to listen on (default: $GRADIO_SERVER_PORT or 7860)",
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
        default=env_int("NST_MAX_QUEUE", 20),
        help="jobs that may wait at once; more are told the app is busy "
        "(default: $NST_MAX_QUEUE or 20)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    if args.preload:
        preload()
    launch(
        build_demo(),
        max_queue=args.max_queue,
        server_name=args.host,
        server_port=args.port,
        share=args.share,
    )


if __name__ == "__main__":
    main()
