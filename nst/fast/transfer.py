"""Fast-mode transfers from images to a finished picture, through the shared queue."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from nst.colors import keep_content_colors
from nst.fast import brush, memory
from nst.fast.network import FastModel
from nst.fast.sources import load_fast_model
from nst.images import ImageSource, check_image, check_longest_side, fit_longest_side
from nst.masks import fit_share, job_regions
from nst.scheduler import SCHEDULER, Scheduler
from nst.settings import FastSettings


def stylize_fast(
    content: ImageSource,
    styles: Sequence[ImageSource],
    settings: FastSettings = FastSettings(),
    *,
    mask: ImageSource | None = None,
    model: str | FastModel | None = None,
    scheduler: Scheduler = SCHEDULER,
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """``content`` in the blended style of ``styles``, as uint8 H×W×3.

    The result keeps the content's aspect ratio at longest side ``settings.size``.
    ``mask`` (optional, with two styles) says where each style goes (see
    :mod:`nst.masks`). ``model`` overrides ``NST_FAST_MODEL`` (``lite``, ``hub`` or
    a folder), or is a loaded model. The job waits for the process-wide scheduler
    slot holding its images undecoded (checked from their headers); once ``cancel``
    is set it leaves the line with :class:`~nst.errors.StoppedError`.
    """
    shares = settings.style_shares(len(styles))
    content_input = check_image(content)
    style_inputs = [check_image(style) for style in styles]
    mask_input = check_image(mask) if mask is not None and len(styles) == 2 else None
    fast_model = model if isinstance(model, FastModel) else load_fast_model(model)
    with scheduler.slot(("fast", settings), cancel):
        content_image = content_input.load()
        style_images = [style.load() for style in style_inputs]
        share = None
        if mask_input is not None:
            shape = fit_longest_side(content_image, settings.size).shape[:2]
            regions = job_regions(
                mask_input.load(keep_alpha=True), shape, settings.style_mix, settings.mask_feather
            )
            if isinstance(regions, float):
                shares = (regions, 1.0 - regions)
            else:
                share = regions
        return _render(fast_model, content_image, style_images, shares, settings, share)


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
    share: np.ndarray | None = None,
) -> np.ndarray:
    """Paint at the brush's working size, then take it to the output size (:mod:`.brush`).

    Strength 0 is the photo at the output size, and runs no network. With a
    region map (``share``: style 1's share per output pixel) each region is
    painted in its own style.
    """
    check_longest_side(content, settings.size)
    photo = fit_longest_side(content, settings.size)
    if settings.strength == 0:
        return photo
    memory.check_memory(
        brush.network_pixels(content.shape, settings.brush_size, settings.size),
        photo.shape[:2],
        settings.brush_size,
        memory.available_bytes(),
    )

    def paint(small: np.ndarray) -> np.ndarray:
        if share is None:
            return model.paint(small, styles, shares, settings.strength)
        return _paint_regions(model, small, styles, settings, fit_share(share, small.shape[:2]))

    weight = model.painted_weight(settings.strength)
    result = brush.render(paint, content, photo, settings.brush_size, weight)
    if settings.preserve_colors:
        result = keep_content_colors(result, photo)
    return result


def _paint_regions(
    model: FastModel,
    content: np.ndarray,
    styles: list[np.ndarray],
    settings: FastSettings,
    share: np.ndarray,
) -> np.ndarray:
    """Style 1 where ``share`` is 1, style 2 where it is 0, the plain mix where it is the mix.

    The models take one style for the whole picture (the TFLite network's style
    input is a single vector, and it sets each layer's normalisation for the
    whole image), so each region's look is painted whole and the paintings are
    blended per pixel: piecewise linearly in the share, through the three
    paintings. All three show the same photo, so a feathered seam has no halo,
    and unpainted areas look exactly as without a mask.
    """
    mix = settings.style_mix
    strength = settings.strength
    first = model.paint(content, styles[:1], (1.0,), strength)
    second = model.paint(content, styles[1:], (1.0,), strength)
    if mix in (0.0, 1.0):
        weight = share[..., None]
        return weight * first + (1.0 - weight) * second
    middle = model.paint(content, styles, (mix, 1.0 - mix), strength)
    above = np.clip((share - mix) / (1.0 - mix), 0.0, 1.0)[..., None]
    below = np.clip(share / mix, 0.0, 1.0)[..., None]
    upper = above * first + (1.0 - above) * middle
    lower = below * middle + (1.0 - below) * second
    return np.where(share[..., None] >= mix, upper, lower)
