"""The page's layout: the photo and styles, the modes and their controls, the result.

On a phone the columns stack in reading order: photo, styles (the gallery a
single scrolling row), mode and Launch, then the result. Nothing here runs a
job; :mod:`webui.wiring` connects the events.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from nst import config
from nst.host import HostCaps, host_caps, upload_lifetime_seconds
from nst.regions import BRUSH_COLOURS
from nst.settings import ClassicSettings, FastSettings, VideoSettings
from webui import DESCRIPTION, TITLE
from webui.controls import mode_controls, shared_controls
from webui.gallery import PHOTOS_DIR, GalleryItem, example_rows, load_gallery, styles_dir
from webui.page import Page
from webui.uploads import image_input
from webui.wiring import connect

PAINTER_COLOURS = ["#{:02x}{:02x}{:02x}".format(*colour) for colour in BRUSH_COLOURS]
WELCOME = "<p>Upload a photo, pick one or two styles, then press <b>Launch</b>.</p>"


def build_demo() -> gr.Blocks:
    """The whole page; nothing runs until a button is clicked."""
    caps = host_caps()
    items = load_gallery()
    gr.set_static_paths([styles_dir(), PHOTOS_DIR])
    age = upload_lifetime_seconds()
    telemetry = config.ANALYTICS.text().lower() == "true"  # opt-in only
    with gr.Blocks(title=TITLE, delete_cache=(age, age), analytics_enabled=telemetry) as demo:
        gr.Markdown(f"# {TITLE}\n{DESCRIPTION}", elem_id="header")
        with gr.Row(equal_height=False, elem_id="main"):
            with gr.Column(scale=5, elem_id="inputs"):
                page = _inputs(items)
            with gr.Column(scale=6, elem_id="modes"):
                _modes(page, caps)
                _outputs(page)
        connect(demo, page, caps, items)
    return demo


def _inputs(items: list[GalleryItem]) -> Page:
    """The photo, the two style slots with the gallery under them, the shared controls,
    the painter and the examples."""
    content = image_input("Content photo", 300, "content")
    with gr.Row(elem_id="style-row"):
        style_1 = image_input("Style 1", 200, "style-1")
        style_2 = image_input("Style 2 (optional)", 200, "style-2")
    target = gr.Radio(
        ["Style 1", "Style 2"], value="Style 1", label="A click on a painting below fills"
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
    shared = shared_controls("main")
    regions, painter = _painter(shared)
    page = Page(content, style_1, style_2, shared, regions, painter, target, gallery)
    rows = example_rows(items)
    if rows:
        _examples(rows, [content, style_1, style_2, shared["style_mix"]])
    return page


def _examples(rows: list[list[Any]], inputs: list[Any]) -> None:
    """Real photos with gallery styles, one with two mixed; they fill the inputs, run nothing."""
    with gr.Column(elem_id="examples-block"):
        gr.Examples(
            rows,
            inputs=inputs,
            label="Examples: photo, style 1, style 2, mix",
            cache_examples=False,
            run_on_click=False,
            elem_id="examples",
        )


def _painter(shared: dict[str, Any]) -> tuple[Any, Any]:
    """The painter, hidden until there is a photo, with the controls of its group."""
    with gr.Accordion("Where each style goes (optional)", open=False, visible=False) as regions:
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
        shared.update(shared_controls("regions"))
    return regions, painter


def _modes(page: Page, caps: HostCaps) -> None:
    """A tab per mode with its controls and Launch (and Stop)."""
    with gr.Tabs(overflow_behavior="wrap"):  # both modes in sight on a phone
        with gr.Tab("Classic: fine, step by step") as page.classic_tab:
            page.classic_settings = mode_controls(ClassicSettings, caps.of("classic"), page.shared)
            gr.Markdown(caps.note(), elem_classes="caps-note")
            with gr.Row():
                page.classic_button = gr.Button(
                    "Launch", variant="primary", elem_id="classic-launch"
                )
                page.stop_button = gr.Button("Stop", variant="stop", elem_id="stop")
        with gr.Tab("Fast: one pass") as page.fast_tab:
            page.fast_settings = mode_controls(FastSettings, caps.of("fast"), page.shared)
            page.fast_button = gr.Button("Launch", variant="primary", elem_id="fast-launch")
        with gr.Tab("Video: a clip in one pass", elem_id="video-tab") as page.video_tab:
            _video(page, caps)


def _video(page: Page, caps: HostCaps) -> None:
    """A clip in, its controls and Launch; the frame being painted, then the clip to play."""
    page.clip = gr.Video(
        label="Clip (MP4, MOV, WebM…)",
        sources=["upload"],
        format=None,  # kept as sent: the job reads any container PyAV reads
        height=240,
        elem_id="clip",
    )
    page.video_settings = mode_controls(VideoSettings, caps.of("video"), page.shared)
    gr.Markdown(caps.video_note(), elem_classes="caps-note")
    page.video_button = gr.Button("Launch", variant="primary", elem_id="video-launch")
    page.frame = gr.Image(
        label="Frame being painted", type="numpy", format="jpeg", interactive=False, height=240
    )
    page.player = gr.Video(
        label="Painted clip", format=None, interactive=False, height=320, elem_id="player"
    )


def _outputs(page: Page) -> None:
    """The status line, the before/after slider, the downloads and the cost plot; and the
    API's own image output and mask input, which the page does not show."""
    page.status = gr.HTML(WELCOME, label="Status", elem_id="status")
    page.slider = gr.ImageSlider(
        label="Before / after",
        type="numpy",
        format="jpeg",  # ~100× cheaper to encode per preview than PNG
        interactive=False,
        max_height=420,  # the box follows the picture's shape, up to this height
        buttons=["fullscreen"],
        elem_id="result",
    )
    page.download = gr.DownloadButton(
        "Download the result: full size, its settings in its metadata",
        interactive=False,
        elem_id="download",
    )
    page.mask_download = gr.DownloadButton(
        "Download the painted regions (a mask for --mask)",
        interactive=False,
        size="sm",
        elem_id="mask-download",
    )
    page.plot = gr.LinePlot(  # no fixed height: the legend would be cut off
        x="step",
        y="log10 cost",
        color="term",
        color_title="Cost term",
        label="Costs (classic, log10)",
    )
    page.result = gr.Image(label="Result", type="numpy", format="jpeg", visible=False)
    page.mask = image_input("Mask", 100, "mask", visible=False)
