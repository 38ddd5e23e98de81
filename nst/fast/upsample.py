"""From the network's painting to the output: sharp upsampling guided by the photo.

The network paints at a working size set by the brush, usually below the output's, and a
plain resize of its result is soft. The photo at the output size holds the detail the network
never saw: its luminance minus the upsampled luminance of the network's own input. That detail
is added to the resized painting, scaled per pixel and per channel by how closely the painting
follows the photo there: the slope of a local linear fit of the painting on the photo's
luminance, as in the guided filter (He et al. 2013), fitted at the working size and applied at
full size (He & Sun 2015). Where the painting ignored the photo (stroke-filled areas) the slope
is small and the photo's texture stays out; along the edges the painting kept, they come back
sharp. The resized painting itself is kept whole, so the strokes are untouched (a textbook
guided filter, which replaces the painting by its fit, wipes them out).

Full-size images are only ever uint8 (resized by Pillow or OpenCV) and the sum is formed in
stripes of rows, so a 4096 px output costs about half a second and no full-size float image.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from nst.fast.pixels import to_uint8
from nst.images import resize_to

RADIUS = 4
"""Half-side, in working pixels, of the window of the local fit."""
EPSILON = 1e-3
"""Regularises the fit (intensities in [0, 1]): where the photo's local spread is under about
sqrt(EPSILON) = 0.03 the slope falls towards 0, so flat areas take no photo texture."""
MAX_GAIN = 2.0
"""Clamp on the slope, so a noisy fit cannot amplify the photo's detail wildly."""
STRIPE_ROWS = 128
"""Output rows combined at a time: the float temporaries stay small at 4096 px."""


def detail_amount(working: int, output: int, photo: int) -> float:
    """How much of the photo's missing detail to add, from the longest sides involved.

    None when the output is no larger than the working size (nothing is missing), and
    none beyond the photo's own size (an enlarged photo has no more detail to give).
    All of it up to a 2× enlargement, then falling as the square root of the factor:
    at 4× the photo's thin edges would sit on a soft painting as double lines.
    """
    detail_side = min(output, photo)
    if detail_side <= working:
        return 0.0
    return min(1.0, math.sqrt(2 * working / detail_side))


def upsample(
    painted: np.ndarray,
    photo_lo: np.ndarray,
    photo_hi: np.ndarray,
    amount: float,
    painted_weight: float,
) -> np.ndarray:
    """The painting at the size of ``photo_hi``, sharpened and blended with it: uint8.

    ``painted`` is the network's float result for ``photo_lo`` (its uint8 input);
    ``amount`` is the share of the photo's missing detail to add (:func:`detail_amount`)
    and ``painted_weight`` the painting's share of the final pixels (the photo has
    the rest: the lower range of strength).
    """
    height, width = photo_hi.shape[:2]
    base = resize_to(to_uint8(painted), height, width)
    if amount == 0 and painted_weight == 1:
        return base
    detail = _Detail(painted, photo_lo, photo_hi, amount) if amount > 0 else None
    weight = np.float32(painted_weight)
    out = np.empty_like(base)
    for top in range(0, height, STRIPE_ROWS):
        rows = slice(top, top + STRIPE_ROWS)
        mix = base[rows].astype(np.float32)
        if detail is not None:
            detail.add_to(mix, rows)
        if weight < 1:
            mix *= weight
            mix += (1 - weight) * photo_hi[rows].astype(np.float32)
        mix += 0.5  # the cast below truncates: this rounds
        np.clip(mix, 0, 255, out=mix)
        out[rows] = mix
    return out


class _Detail:
    """The photo's detail above the working size, gated by the painting's local slope."""

    def __init__(
        self, painted: np.ndarray, photo_lo: np.ndarray, photo_hi: np.ndarray, amount: float
    ) -> None:
        size = (photo_hi.shape[1], photo_hi.shape[0])
        gain = _slope(painted, luma(photo_lo).astype(np.float32) / 255.0)
        # Quantised over ±MAX_GAIN in steps of 0.016 (0.4/255 from float on average), so
        # it resizes as uint8; bilinear, as a cubic's overshoot would invent gain (OpenCV's:
        # Pillow's within a level, three times quicker, which a clip pays every frame).
        gain8 = to_uint8((gain + MAX_GAIN) / (2 * MAX_GAIN))
        self._gain = cv2.resize(gain8, size, interpolation=cv2.INTER_LINEAR)
        self._scale = np.float32(2 * MAX_GAIN / 255 * amount)
        self._offset = np.float32(MAX_GAIN * amount)
        self._luma_hi = luma(photo_hi)
        self._luma_up = np.asarray(
            Image.fromarray(luma(photo_lo)).resize(size, Image.Resampling.BICUBIC)
        )

    def add_to(self, mix: np.ndarray, rows: slice) -> None:
        """Add the detail of these output rows to ``mix`` (float levels, 0..255), in place."""
        detail = self._luma_hi[rows].astype(np.float32)
        detail -= self._luma_up[rows]
        gain = self._gain[rows].astype(np.float32)
        gain *= self._scale
        gain -= self._offset
        gain *= detail[..., None]
        mix += gain


def luma(image: np.ndarray) -> np.ndarray:
    """uint8 luminance (ITU-R 601, as Pillow's "L")."""
    return np.asarray(Image.fromarray(image).convert("L"))


def _slope(painted: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """Per pixel and channel, the slope of the painting against ``guide`` over a local window.

    The guided filter's ``a`` (He et al. 2013), clamped and smoothed as it does.
    """
    guide = guide[..., None]
    stats = box_mean(np.concatenate([guide, guide * guide, painted, painted * guide], -1))
    mean_g, mean_gg, mean_p, mean_pg = (
        stats[..., :1],
        stats[..., 1:2],
        stats[..., 2:5],
        stats[..., 5:],
    )
    slope = (mean_pg - mean_g * mean_p) / (mean_gg - mean_g * mean_g + EPSILON)
    return box_mean(np.clip(slope, -MAX_GAIN, MAX_GAIN))


def box_mean(image: np.ndarray, radius: int = RADIUS) -> np.ndarray:
    """Mean over a (2r+1)² window, reflected at the borders (float32): OpenCV's box filter,
    seven times quicker than a summed-area table in NumPy, for a clip's every frame."""
    width = 2 * radius + 1
    image = np.asarray(image, np.float32)
    mean = cv2.blur(image, (width, width), borderType=cv2.BORDER_REFLECT_101)
    return mean.reshape(image.shape)  # OpenCV drops a last axis of one channel
