"""Fast-mode transfers from images to a finished picture, through the shared queue."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nst.colors import keep_content_colors
from nst.config import env_int
from nst.fast.model import FastModel
from nst.fast.sources import load_fast_model
from nst.images import (
    ImageSource,
    check_longest_side,
    fit_longest_side,
    load_image,
    resize_to,
)
from nst.scheduler import SCHEDULER
from nst.settings import FastSettings


def max_working_size() -> int:
    """Largest side the network runs at by default (``NST_FAST_MAX_WORKING``).

    Larger outputs are scaled up from it, bounding time and memory per job.
    """
    return env_int("NST_FAST_MAX_WORKING", 1024)


def stylize_fast(
    content: ImageSource,
    styles: Sequence[ImageSource],
    settings: FastSettings = FastSettings(),
    *,
    model: str | None = None,
) -> np.ndarray:
    """``content`` in the blended style of ``styles``, as uint8 H×W×3.

    The result keeps the content's aspect ratio at longest side ``settings.size``.
    ``model`` overrides ``NST_FAST_MODEL`` (``lite``, ``hub`` or a folder). The
    job waits for the process-wide scheduler slot.
    """
    settings = settings.validated(len(styles))
    content_image = load_image(content)
    style_images = [load_image(style) for style in styles]
    fast_model = load_fast_model(model)
    with SCHEDULER.slot():
        return _stylize(fast_model, content_image, style_images, settings)


def render_fast(
    content: np.ndarray,
    styles: Sequence[np.ndarray],
    weights: Sequence[float],
    size: int,
    *,
    model: str | None = None,
) -> np.ndarray:
    """Full-strength fast result at longest side ``size``, without queueing.

    For a job that already holds the scheduler slot, such as a classic
    transfer starting from the fast result.
    """
    settings = FastSettings(size=size, style_weights=tuple(weights)).validated(len(styles))
    style_images = [load_image(style) for style in styles]
    return _stylize(load_fast_model(model), load_image(content), style_images, settings)


def _stylize(
    model: FastModel, content: np.ndarray, styles: list[np.ndarray], settings: FastSettings
) -> np.ndarray:
    working = settings.working_size or min(settings.size, max_working_size())
    check_longest_side(content, settings.size)
    check_longest_side(content, working, "working size")
    target = fit_longest_side(content, settings.size)
    result = model.render(target, styles, settings.style_weights, settings.strength, working)
    result = resize_to(result, *target.shape[:2])
    if settings.preserve_colors:
        result = keep_content_colors(result, target)
    return result
