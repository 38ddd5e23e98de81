"""The page's events: the API's endpoints, the page's own transfers, Stop, uploads, the
gallery and the painter.

Every transfer shares one concurrency group, which :func:`webui.server.launch`
sizes for the jobs allowed to wait; the line itself runs one at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import gradio as gr

from nst.host import HostCaps
from webui.api import endpoints
from webui.gallery import GalleryItem
from webui.handlers import after_failure, launching, page_handlers
from webui.page import Page
from webui.stops import client_gone, stop, stop_on_page
from webui.uploads import check_upload, show_painter

TRANSFER = "transfer"
"""Gradio concurrency group of every transfer event."""
PRIVATE: dict[str, Any] = {"queue": False, "api_visibility": "private"}


def connect(demo: gr.Blocks, page: Page, caps: HostCaps, items: list[GalleryItem]) -> None:
    """Wire every event of the page."""
    _api(page, caps)
    _transfers(page, caps)
    _stop(page)
    _inputs(demo, page, items)


def _api(page: Page, caps: HostCaps) -> None:
    """The API's events have no trigger on the page: clients (and MCP) call them by name."""
    classic, fast, video = endpoints(caps)
    for handler, content, settings, outputs in (
        (
            classic,
            page.content,
            page.classic_settings,
            [page.result, page.status, page.plot, page.download],
        ),
        (fast, page.content, page.fast_settings, [page.result, page.status, page.download]),
        (video, page.clip, page.video_settings, [page.result, page.status, page.download]),
    ):
        gr.on(
            [],
            handler,
            inputs=[content, page.style_1, page.style_2, *settings, page.mask],
            outputs=outputs,
            api_name=handler.__name__,
            concurrency_id=TRANSFER,
        )


def _transfers(page: Page, caps: HostCaps) -> None:
    """The page's Launch buttons; their progress shows in the status line, not an overlay."""
    classic, fast, video = page_handlers(caps)
    downloads = [page.download, page.mask_download]
    shown: dict[str, Any] = {
        "concurrency_id": TRANSFER,
        "show_progress": "hidden",
        "api_visibility": "private",
    }
    for button, handler, settings, outputs in (
        (
            page.classic_button,
            classic,
            page.classic_settings,
            [page.slider, page.status, page.plot],
        ),
        (page.fast_button, fast, page.fast_settings, [page.slider, page.status]),
    ):
        button.click(launching, outputs=page.status, **PRIVATE).then(
            handler,
            inputs=[*page.images, *settings, page.painter],
            outputs=[*outputs, *downloads],
            **shown,
        ).failure(after_failure, inputs=page.status, outputs=page.status, **PRIVATE)
    page.video_button.click(launching, outputs=page.status, **PRIVATE).then(
        video,
        inputs=[page.clip, page.style_1, page.style_2, *page.video_settings, page.mask],
        outputs=[page.frame, page.status, page.player, page.download],
        **shown,
    ).failure(after_failure, inputs=page.status, outputs=page.status, **PRIVATE)


def _stop(page: Page) -> None:
    """Stop, queued so that its toast reaches the page, in a group of its own that never waits."""
    gr.on([], stop, outputs=page.status, api_name="stop", concurrency_limit=None)
    page.stop_button.click(
        stop_on_page, outputs=page.status, concurrency_limit=None, api_visibility="private"
    )


def _inputs(demo: gr.Blocks, page: Page, items: list[GalleryItem]) -> None:
    """Uploads checked as they land, the painter following the photo, the gallery's clicks,
    the cost plot on the classic tab only, and a closed page stopping its jobs."""
    for slot in page.images:
        slot.upload(
            check_upload,
            inputs=slot,
            outputs=[slot, page.status],
            preprocess=False,
            concurrency_limit=None,
            api_visibility="private",
        )
    page.content.change(
        show_painter, inputs=page.content, outputs=[page.regions, page.painter], **PRIVATE
    )
    demo.unload(client_gone)
    for tab, shows_costs in (
        (page.classic_tab, True),
        (page.fast_tab, False),
        (page.video_tab, False),
    ):
        tab.select(partial(gr.update, visible=shows_costs), outputs=page.plot, **PRIVATE)
    page.gallery.select(
        gallery_picker(items), inputs=page.target, outputs=[page.style_1, page.style_2], **PRIVATE
    )


def gallery_picker(items: list[GalleryItem]) -> Callable[[str, gr.SelectData], tuple[Any, Any]]:
    """The gallery's click handler for these items."""

    def pick(target: str, evt: gr.SelectData) -> tuple[Any, Any]:
        """Put the clicked painting into the style slot chosen above the gallery."""
        path = str(items[evt.index].path)
        return (path, gr.skip()) if target == "Style 1" else (gr.skip(), path)

    return pick
