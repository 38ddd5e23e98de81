"""Brush size: how large the painted strokes are, and how a bold brush stays crisp.

The network paints strokes of a fixed size in its own pixels, so their size relative to the
picture is set by the size it paints at, the working size: 512 px / brush size. A fine or the
default brush is one painting, taken to the output size guided by the photo
(:mod:`nst.fast.upsample`).

A bold brush paints at a smaller size, and enlarging that painting 3 or 4 times leaves it
blurred, with the network's one-pixel colour dots grown into confetti. So a bold brush paints
twice: its bold painting gives the strokes and the colours (their colour calmed over a pixel,
which removes the dots), and the default brush's painting gives the crisp edges, as the
luminance it has above the bold working size, added where the photo has edges and only in
part where it is flat, so the default brush's small strokes stay out of the bold ones. At the
photo's edges a fifth of the finest detail comes from the photo itself: the bold painting
follows its edges less closely than the default one, and without it brush 2 was a little
softer than brush 1 (sharpness 1250 against 1283 at 1024 px; 1559 with it).

Showing the network a zoomed-in crop of the painting instead (its strokes larger in the
style image) does not make the painted strokes reliably larger: at 2× the strokes' frequency
fell for one of four paintings and rose for two, while brush 2 lowers it 1.7 to 1.8 times for
all four (``python bench/fast.py --strokes``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from nst.fast.borders import LUMA
from nst.fast.pixels import padded_shape, to_uint8
from nst.fast.upsample import STRIPE_ROWS, box_mean, detail_amount, luma, upsample
from nst.images import fit_longest_side, fitted_shape, resize_to

BRUSH_WORKING = 512
"""Longest side the network paints at for brush size 1: the result reads as a painting, as
this network's results do in apps that run it at 384 px. At 1024 px it reads as a photo
under a painted texture."""
EDGE_CONTRAST = 0.03
"""The photo's local contrast (standard deviation of its luminance in [0, 1] over 5×5 working
pixels) from which the default painting's edges come back whole."""
FLAT_SHARE = 0.3
"""Share of the default painting's detail kept where the photo is flat: its texture on the
bold strokes, without its small strokes' pattern."""
PHOTO_DETAIL = 0.2
"""Share of the finest detail (above the default working size) taken from the photo itself at
its edges, instead of from the default painting, which follows them less closely."""
CHROMA_RADIUS = 1
"""Half-side, in bold working pixels, of the window the bold painting's colour is averaged
over: the network's isolated colour dots go, its strokes' colours stay."""

Paint = Callable[[np.ndarray], np.ndarray]
"""Paints a uint8 photo at its own size: float H×W×3 in [0, 1]."""


def working_size(brush_size: float) -> int:
    """Longest side the network paints at for ``brush_size``, whatever the output size.

    The network paints strokes of a fixed size in its own pixels, so their size
    relative to the picture is inversely proportional to the working size: brush
    size 2 paints at 256 px (strokes twice as large), 0.5 at 1024 px (half as large).
    """
    return round(BRUSH_WORKING / brush_size)


def paints_twice(working: int, output: int, photo: int) -> bool:
    """Whether a brush painting at ``working`` px also paints at the default size: a bold
    brush whose painting is enlarged (an output and a photo larger than its working size)."""
    return working < BRUSH_WORKING and detail_amount(working, output, photo) > 0


def network_pixels(content: tuple[int, ...], brush_size: float, output: int) -> int:
    """Pixels of the network inputs a job at ``output`` px holds (a bold brush's two
    interpreters stay allocated together), for the memory estimate."""
    working = working_size(brush_size)
    sides = [working]
    if paints_twice(working, output, max(content[:2])):
        sides.append(BRUSH_WORKING)
    return sum(math.prod(padded_shape(*fitted_shape(content, side))) for side in sides)


def render(
    paint: Paint, content: np.ndarray, photo: np.ndarray, brush_size: float, painted_weight: float
) -> np.ndarray:
    """The painting of ``content`` at the size of ``photo`` (the content at the output size),
    blended with it by ``painted_weight``: uint8."""
    working = working_size(brush_size)
    output, largest = max(photo.shape[:2]), max(content.shape[:2])
    small = fit_longest_side(content, working)
    if not paints_twice(working, output, largest):
        amount = detail_amount(working, output, largest)
        return upsample(paint(small), small, photo, amount, painted_weight)
    default = fit_longest_side(content, BRUSH_WORKING)
    amount = detail_amount(BRUSH_WORKING, output, largest)
    fine = upsample(paint(default), default, photo, amount, 1.0)
    bold = _calm_chroma(paint(small))
    return _Bold(bold, small, fine, default.shape[:2], photo).blend(photo, painted_weight)


def _calm_chroma(painted: np.ndarray) -> np.ndarray:
    """``painted`` with its colour (each channel minus the luminance) averaged over
    :data:`CHROMA_RADIUS`; the luminance is unchanged, as its weights sum to 1."""
    lightness = painted @ LUMA
    colour = box_mean(painted - lightness[..., None], CHROMA_RADIUS)
    return lightness[..., None] + colour


class _Bold:
    """The bold painting enlarged, plus the default painting's and the photo's detail gated by
    the photo's edges; full-size planes are uint8 and the sum is formed in stripes of rows."""

    def __init__(
        self,
        bold: np.ndarray,
        small: np.ndarray,
        fine: np.ndarray,
        default_shape: tuple[int, ...],
        photo: np.ndarray,
    ) -> None:
        height, width = photo.shape[:2]
        self._base = resize_to(to_uint8(bold), height, width)
        self._gain = _edge_gain(small, (width, height))
        self._fine = luma(fine)
        self._fine_default = _through(self._fine, default_shape)
        self._fine_bold = _through(self._fine, small.shape[:2])
        self._photo = luma(photo)
        self._photo_default = _through(self._photo, default_shape)

    def blend(self, photo: np.ndarray, painted_weight: float) -> np.ndarray:
        """The bold result, ``painted_weight`` of it over the photo: uint8."""
        weight = np.float32(painted_weight)
        out = np.empty_like(self._base)
        for top in range(0, out.shape[0], STRIPE_ROWS):
            rows = slice(top, top + STRIPE_ROWS)
            mix = self._base[rows].astype(np.float32)
            mix += self._detail(rows)[..., None]
            if weight < 1:
                mix *= weight
                mix += (1 - weight) * photo[rows].astype(np.float32)
            mix += 0.5  # the cast below truncates: this rounds
            np.clip(mix, 0, 255, out=mix)
            out[rows] = mix
        return out

    def _detail(self, rows: slice) -> np.ndarray:
        """Luminance detail of these rows: the default painting's between the bold and the
        default working sizes, then the finest, shared with the photo's at its edges."""
        gain = self._gain[rows].astype(np.float32) / 255
        fine, default = self._fine[rows].astype(np.float32), self._fine_default[rows]
        photo, photo_default = self._photo[rows].astype(np.float32), self._photo_default[rows]
        detail = gain * (default - self._fine_bold[rows].astype(np.float32))
        detail += (1 - PHOTO_DETAIL) * (fine - default)
        detail += PHOTO_DETAIL * gain * (photo - photo_default)
        return detail


def _edge_gain(small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Per output pixel (uint8, 255 = 1): 1 at the photo's edges, :data:`FLAT_SHARE` where
    it is flat, from its local contrast at the bold working size."""
    lightness = luma(small).astype(np.float32)[..., None] / 255
    mean, square = np.moveaxis(box_mean(np.concatenate([lightness, lightness**2], -1), 2), -1, 0)
    contrast = np.sqrt(np.maximum(square - mean * mean, 0))
    gain = FLAT_SHARE + (1 - FLAT_SHARE) * np.minimum(contrast / EDGE_CONTRAST, 1)
    return np.asarray(Image.fromarray(to_uint8(gain)).resize(size, Image.Resampling.BILINEAR))


def _through(plane: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A uint8 plane taken down to ``shape`` and back up: what it holds below that size."""
    size = plane.shape[1], plane.shape[0]
    image = Image.fromarray(plane).resize((shape[1], shape[0]), Image.Resampling.LANCZOS)
    return np.asarray(image.resize(size, Image.Resampling.BICUBIC))
