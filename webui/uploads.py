"""What arrives as an image: uploads checked from their headers, images sent inline, and
the painter's strokes.

``gr.Image`` opens each upload with Pillow before a handler runs, so a file
that is no image would fail there with Pillow's text and a server path; the
slots here pass uploads on as paths and refuse in the library's words.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio.processing_utils import save_bytes_to_cache
from gradio.utils import get_upload_folder
from PIL import Image

from nst.errors import NSTError
from nst.images import check_image, load_image
from webui.limits import inline_image
from webui.presenters import page_status
from webui.running import upload_gone_message

log = logging.getLogger("dual-nst.app")

UNREADABLE = "This file could not be read as an image; upload a JPEG, PNG or WebP."


def refuse(message: str) -> gr.Error:
    """An error for input we cannot use: one line in the log, no traceback, the message as is.

    Its toast stays until closed: a refusal before the job runs (an upload the
    cache swept) has no status line to repeat it.
    """
    log.warning("refused: %s", message)
    return gr.Error(message, duration=None, print_exception=False)


def image_input(label: str, height: int, elem_id: str, visible: bool = True) -> gr.Image:
    """An upload passed on untouched (as a path), refused in the library's words.

    The component's own ``preprocess`` is wrapped per instance (a subclass
    would make Gradio write a stub file next to this one).
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
                raise refuse(upload_gone_message()) from None
            try:
                load_image(payload.path)
            except NSTError as error:
                raise refuse(str(error)) from None
            raise refuse(UNREADABLE) from None

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
        raise refuse(str(error)) from None
    path = save_bytes_to_cache(data, "inline-image", get_upload_folder())
    component.temp_files.add(path)
    return path


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


def painted_strokes(editor: dict[str, Any] | None) -> np.ndarray | None:
    """The painter's layers flattened into one RGBA image of strokes; None when empty.

    An empty painter changes nothing, so it gives no mask at all.
    """
    layers = [layer for layer in (editor or {}).get("layers") or [] if layer is not None]
    if not layers or not any(layer[..., 3].any() for layer in layers):
        return None
    strokes = layers[0]
    for layer in layers[1:]:  # later layers lie on top
        strokes = np.where(layer[..., 3:] > 0, layer, strokes)
    return strokes


def show_painter(content: str | None) -> tuple[Any, Any]:
    """The painter appears with a content photo, as its background, with nothing painted."""
    return gr.Accordion(visible=content is not None), gr.ImageEditor(value=content)
