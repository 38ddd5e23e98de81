"""Fast-mode transfers from images to a finished picture, through the shared queue."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from nst import config
from nst.colors import keep_content_colors
from nst.fast.network import FastModel
from nst.fast.sources import load_fast_model
from nst.images import ImageSource, check_image, check_longest_side, fit_longest_side, resize_to
from nst.scheduler import SCHEDULER, Scheduler
from nst.settings import FastSettings


def max_working_size() -> int:
    """Largest side the network runs at (``NST_FAST_MAX_WORKING``).

    Larger outputs are scaled up from it, bounding time and memory per job.
    """
    return config.FAST_MAX_WORKING.integer()


def stylize_fast(
    content: ImageSource,
    styles: Sequence[ImageSource],
    settings: FastSettings = FastSettings(),
    *,
    model: str | None = None,
    scheduler: Scheduler = SCHEDULER,
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """``content`` in the blended style of ``styles``, as uint8 H×W×3.

    The result keeps the content's aspect ratio at longest side ``settings.size``.
    ``model`` overrides ``NST_FAST_MODEL`` (``lite``, ``hub`` or a folder). The
    job waits for the process-wide scheduler slot holding its images undecoded
    (checked from their headers); once ``cancel`` is set it leaves the line
    with :class:`~nst.errors.StoppedError`.
    """
    shares = settings.style_shares(len(styles))
    content_input = check_image(content)
    style_inputs = [check_image(style) for style in styles]
    fast_model = load_fast_model(model)
    with scheduler.slot(("fast", settings), cancel):
        content_image = content_input.load()
        style_images = [style.load() for style in style_inputs]
        return _render(fast_model, content_image, style_images, shares, settings)


def render_fast(
    content: np.ndarray,
    styles: Sequence[np.ndarray],
    shares: Sequence[float],
    size: int,
    *,
    model: str | None = None,
) -> np.ndarray:
    """Full-strength fast result at longest side ``size``, without queueing.

    For a job that already holds the scheduler slot, such as a classic
    transfer starting from the fast result.
    """
    settings = FastSettings(size=size)
    return _render(load_fast_model(model), content, list(styles), shares, settings)


def _render(
    model: FastModel,
    content: np.ndarray,
    styles: list[np.ndarray],
    shares: Sequence[float],
    settings: FastSettings,
) -> np.ndarray:
    working = min(settings.size, max_working_size())
    check_longest_side(content, settings.size)
    check_longest_side(content, working, "working size")
    target = fit_longest_side(content, settings.size)
    result = model.render(target, styles, shares, settings.strength, working)
    result = resize_to(result, *target.shape[:2])
    if settings.preserve_colors:
        result = keep_content_colors(result, target)
    return result
