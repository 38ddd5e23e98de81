"""Fast-mode transfers from images to a finished picture, through the shared queue."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Sequence

import cv2
import numpy as np

from nst.colors import keep_content_colors
from nst.errors import NSTError, StoppedError
from nst.events import Done, Failed, Stopped, Working
from nst.fast import brush, budget
from nst.fast.network import FastModel
from nst.fast.pixels import padded_shape
from nst.fast.sources import load_fast_model
from nst.fast.upsample import detail_amount, upsample
from nst.images import (
    ImageSource,
    check_image,
    check_longest_side,
    fit_longest_side,
    fitted_shape,
    resize_to,
)
from nst.jobs import JobRequest, image_result, make_request
from nst.regions import fit_share
from nst.scheduler import STOPPED_BEFORE_START, LocalLine, Scheduler
from nst.settings import FastSettings


class FastJob:
    """One fast transfer: inputs checked from their headers now, decoded once it runs.

    The model is loaded when the job runs, not when it is made: a front end
    that only passes jobs on (to a Redis line) never loads one.
    """

    def __init__(self, request: JobRequest, model: str | FastModel | None = None) -> None:
        self.request = request
        self.settings = request.settings
        count = len(request.styles)
        self.shares = self.settings.style_shares(count)
        self.regions = request.regions if count == 2 else None
        if self.regions is not None:
            self.shares = self.regions.shares(self.shares)
            if self.regions.uniform() is not None:
                self.regions = None  # a uniform map is a style mix
        self.content_input = check_image(request.content)
        self.style_inputs = [check_image(style) for style in request.styles]
        self.model = model

    def run(self, cancel: threading.Event) -> Iterator[Working | Done | Stopped]:
        """Read the images, paint in one pass, encode the result: Done (or Stopped at once)."""
        started = time.perf_counter()
        if cancel.is_set():
            yield Stopped(STOPPED_BEFORE_START)
            return
        model = self.model if isinstance(self.model, FastModel) else load_fast_model(self.model)
        yield Working("Reading the images…")
        content = self.content_input.load()
        styles = [style.load() for style in self.style_inputs]
        yield Working("Painting in one pass…")
        share = None if self.regions is None else self.regions.share
        image = _render(model, content, styles, self.shares, self.settings, share)
        result = image_result(self.request, image)
        note = ""
        if not model.mixes_embeddings and (len(styles) > 1 or self.settings.strength < 1):
            note = model.blend_note
        yield Done(result, time.perf_counter() - started, note=note)


def stylize_fast(
    content: ImageSource,
    styles: Sequence[ImageSource],
    settings: FastSettings = FastSettings(),
    *,
    mask: ImageSource | None = None,
    model: str | FastModel | None = None,
    scheduler: Scheduler | None = None,
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """``content`` in the blended style of ``styles``, as uint8 H×W×3.

    The Python API's view of a fast job: the result keeps the content's aspect
    ratio at longest side ``settings.size``. ``mask`` (optional, with two styles)
    says where each style goes (see :mod:`nst.regions`). ``model`` overrides
    ``NST_FAST_MODEL`` (``lite``, ``hub`` or a folder), or is a loaded model. The
    job waits in ``scheduler``'s line (the process's by default) holding its
    images undecoded (checked from their headers); once ``cancel`` is set it
    leaves the line with :class:`~nst.errors.StoppedError`.
    """
    request = make_request("fast", content, styles, settings, mask)
    job = FastJob(request, model)  # its inputs checked now; the model loaded once it runs
    for event in LocalLine(scheduler).submit(job, cancel):
        if isinstance(event, Done):
            return event.image
        if isinstance(event, Stopped):
            raise StoppedError(event.words())
        if isinstance(event, Failed):
            raise event.error or NSTError(event.message)
    raise NSTError("The fast job ended without a result.")


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
    """One picture, painted at the brush's working size (a bold brush twice: :mod:`.brush`)
    and taken to the output size guided by the photo.

    Strength 0 is the photo at the output size, and runs no network. With a
    region map (``share``: style 1's share per output pixel) each region is
    painted in its own style.
    """
    check_longest_side(content, settings.size)
    photo = fit_longest_side(content, settings.size)
    if settings.strength == 0:
        return photo
    budget.check_memory(
        brush.network_pixels(content.shape, settings.brush_size, settings.size),
        photo.shape[:2],
        settings.brush_size,
        budget.available_bytes(),
    )
    looks = _looks(styles, shares, settings.style_mix, share is not None)

    def paint(small: np.ndarray) -> np.ndarray:
        paintings = [model.paint(small, *look, settings.strength) for look in looks]
        if share is None:
            return paintings[0]
        return _blend_regions(paintings, fit_share(share, small.shape[:2]), settings.style_mix)

    weight = model.painted_weight(settings.strength)
    result = brush.render(paint, content, photo, settings.brush_size, weight)
    if settings.preserve_colors:
        result = keep_content_colors(result, photo)
    return result


Look = tuple[list[np.ndarray], Sequence[float]]
"""Styles and their shares: one look the network paints a whole picture in."""


def _looks(
    styles: list[np.ndarray], shares: Sequence[float], mix: float, regional: bool
) -> list[Look]:
    """The looks a picture is painted in: the blend, or for regions style 1, style 2 and the
    mix (unless the mix is one of them), blended per pixel by :func:`_blend_regions`."""
    if not regional:
        return [(styles, shares)]
    looks: list[Look] = [(styles[:1], (1.0,)), (styles[1:], (1.0,))]
    if mix not in (0.0, 1.0):
        looks.append((styles, (mix, 1.0 - mix)))
    return looks


class Renderer:
    """Renders pictures of one size in one look, the look worked out once.

    A clip is many pictures of one size, so the style embeddings, the region
    map at the working size and the memory check are done once, from the first
    frame, and each frame costs one network pass (three with regions) and the
    upsampling: painted at the brush's working size (once, even for a bold
    brush, which paints a still twice), then upsampled guided by the photo to
    the output size. Strength 0 is the photo at the output size, and runs no network.
    With a region map (``share``: style 1's share per output pixel) each region
    is painted in its own style.

    The three stages are public, so a clip can change a painting between them
    (:mod:`nst.video`): :meth:`small` (the network's input), :meth:`paint` (the network's
    float painting of it) and :meth:`finish` (the output); calling the renderer runs all three.
    """

    def __init__(
        self,
        model: FastModel,
        styles: list[np.ndarray],
        shares: Sequence[float],
        settings: FastSettings,
        first: np.ndarray,
        share: np.ndarray | None = None,
        shape: tuple[int, int] | None = None,
    ) -> None:
        """``shape`` is the output's (height, width): by default ``first``'s at longest side
        ``settings.size`` (a clip's is even on both sides, as H.264 needs)."""
        check_longest_side(first, settings.size)
        self.model = model
        self.settings = settings
        self.shape = shape or fitted_shape(first.shape[:2], settings.size)
        self.working = brush.working_size(settings.brush_size)
        self.small_shape = fitted_shape(first.shape[:2], self.working)
        self.amount = detail_amount(self.working, max(self.shape), max(first.shape[:2]))
        self.weight = model.painted_weight(settings.strength)
        if settings.strength == 0:
            return
        budget.check_memory(
            math.prod(padded_shape(*self.small_shape)),
            self.shape,
            settings.brush_size,
            budget.available_bytes(),
        )
        small = self.small(first)
        self.share = None if share is None else fit_share(share, self.small_shape)
        looks = _looks(styles, shares, settings.style_mix, share is not None)
        self.painters = [model.painter(*look, settings.strength, small) for look in looks]

    def __call__(self, content: np.ndarray) -> np.ndarray:
        """``content`` (the first picture's size and aspect) rendered: uint8 at :attr:`shape`."""
        if self.settings.strength == 0:
            return resize_to(content, *self.shape)
        small = self.small(content)
        return self.finish(self.paint(small), small, content)

    def small(self, content: np.ndarray) -> np.ndarray:
        """``content`` at the working size: the network's uint8 input.

        Shrunk by OpenCV's pixel-area average, three times quicker than Pillow's Lanczos
        (a still's) and a little softer, which the network's strokes hide: a clip pays
        it every frame.
        """
        height, width = self.small_shape
        if content.shape[:2] == (height, width):
            return content
        return cv2.resize(content, (width, height), interpolation=cv2.INTER_AREA)

    def paint(self, small: np.ndarray) -> np.ndarray:
        """The network's float painting of ``small`` in the look (each region in its own)."""
        paintings = [paint(small) for paint in self.painters]
        if self.share is None:
            return paintings[0]
        return _blend_regions(paintings, self.share, self.settings.style_mix)

    def finish(self, painted: np.ndarray, small: np.ndarray, content: np.ndarray) -> np.ndarray:
        """The output for ``content``: ``painted`` (a float painting of ``small``, its
        :meth:`small`) upsampled guided by the photo, uint8 at :attr:`shape`."""
        photo = resize_to(content, *self.shape)
        result = upsample(painted, small, photo, self.amount, self.weight)
        if self.settings.preserve_colors:
            result = keep_content_colors(result, photo)
        return result


def _blend_regions(paintings: list[np.ndarray], share: np.ndarray, mix: float) -> np.ndarray:
    """Style 1 where ``share`` is 1, style 2 where it is 0, the plain mix where it is the mix.

    The models take one style for the whole picture (the TFLite network's style
    input is a single vector, and it sets each layer's normalisation for the
    whole image), so each region's look is painted whole (``paintings``: style 1,
    style 2, then the mix unless it is one of them) and blended per pixel:
    piecewise linearly in the share, through the three paintings. All three show
    the same photo, so a feathered seam has no halo, and unpainted areas look
    exactly as without a mask.
    """
    first, second = paintings[:2]
    if mix in (0.0, 1.0):
        weight = share[..., None]
        return weight * first + (1.0 - weight) * second
    middle = paintings[2]
    above = np.clip((share - mix) / (1.0 - mix), 0.0, 1.0)[..., None]
    below = np.clip(share / mix, 0.0, 1.0)[..., None]
    upper = above * first + (1.0 - above) * middle
    lower = below * middle + (1.0 - below) * second
    return np.where(share[..., None] >= mix, upper, lower)
