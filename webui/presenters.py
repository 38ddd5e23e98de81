"""How the page shows one moment of a job: the status line, the before/after pair, the
cost curves, the downloads."""

from __future__ import annotations

import html
import math
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from gradio.processing_utils import save_bytes_to_cache
from gradio.utils import get_upload_folder

from nst.events import Progress
from nst.images import fit_longest_side, load_image, png_bytes, resize_to
from nst.jobs import Result
from nst.regions import share_image

MIN_PLOTTED_STEPS = 2
"""Reports before the cost plot appears: one point draws an empty grid."""


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


STARTING = page_status("Starting…", busy=True)


def save_result(result: Result) -> str:
    """A result's file, written straight into Gradio's cache.

    Gradio serves it from there as it is, and ``delete_cache`` removes it with
    the uploads, so no copy of a result outlives the configured lifetime.
    """
    return save_bytes_to_cache(result.data, result.name, get_upload_folder())


def save_mask(share: np.ndarray) -> str:
    """The page's painting as a grey mask PNG, to download beside the result (for ``--mask``)."""
    data = png_bytes(share_image(share), {"mode": "mask"})
    return save_bytes_to_cache(data, "dual-nst-mask.png", get_upload_folder())


def download(path: str | None) -> Any:
    """A download button: enabled with a file, disabled without one.

    Always an update, never a bare value: Gradio tracks an update's file for
    ``delete_cache`` whatever the session yielded before.
    """
    return gr.DownloadButton(value=path, interactive=path is not None)


class BeforeAfter:
    """The slider's pair: the photo at the size of each picture, then the picture."""

    def __init__(self, content: str | None, size: int) -> None:
        self._content = content
        self._size = size
        self._photo: Any = None

    def __call__(self, image: np.ndarray | None, png: str | None = None) -> tuple[Any, Any] | None:
        if image is None:
            return None
        if self._photo is None:  # decoded once per job, at the size asked for
            self._photo = fit_longest_side(load_image(self._content), self._size)
        height, width = image.shape[:2]
        return resize_to(self._photo, height, width), png or image  # the lossless PNG at the end


def _term(term: str, event: Progress) -> str:
    """A cost's line in the plot; coarse to fine draws one per stage, since a stage's
    costs are measured on a picture of another size and must not read as getting worse."""
    return term if event.stage_count == 1 else f"{term}, {event.stage_size} px"


def costs_frame(history: list[Progress]) -> pd.DataFrame | None:
    """Costs over steps in long form, on a log scale since the terms differ by decades;
    None until there are points enough to draw a line."""
    if len(history) < MIN_PLOTTED_STEPS:
        return None
    rows = [
        {"step": event.step, "term": _term(term, event), "log10 cost": math.log10(max(cost, 1e-12))}
        for event in history
        for term, cost in event.costs._asdict().items()
    ]
    return pd.DataFrame(rows, columns=["step", "term", "log10 cost"])
