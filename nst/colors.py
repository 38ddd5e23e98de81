"""Colour between photo and painting: keep the photo's, or start from the painting's.

Style transfer repaints an image in the palette of the painting. Following
Gatys et al. (2016), "Preserving Color in Neural Artistic Style Transfer", we
keep only the luminance of the stylised image and take the chroma of the
content, in YCbCr (JPEG, full range), where the two are separable.

Matching the stylised luminance to the content's (their luminance-matched
variant) is optional and off by default: with a flat content, such as a clear
sky, it would also flatten the brushwork the user asked for.

The other way round, :func:`in_palette` gives classic mode a start in the
painting's colours (the same paper's colour transfer, applied to the photo):
the Gram targets match the painting's colour statistics layer by layer, not its
mean, so a photo whose largest areas keep their own colour (a red tower, an
orange suit) otherwise keeps much of its palette.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from nst.images import check_rgb, resize_to

_RGB_TO_YCBCR = np.array(
    [
        [0.299, 0.587, 0.114],
        [-0.168736, -0.331264, 0.5],
        [0.5, -0.418688, -0.081312],
    ]
)
_YCBCR_TO_RGB = np.linalg.inv(_RGB_TO_YCBCR)
_STATISTICS_PIXELS = 250_000
"""Pixels of a painting at most that its colour statistics are taken from."""
_FLAT = 1e-6
"""A luminance spread below this is flat: only its mean is matched."""


def keep_content_colors(
    stylized: np.ndarray, content: np.ndarray, match_luminance: bool = False
) -> np.ndarray:
    """``stylized`` recoloured with the chroma of ``content`` (resized to fit).

    With ``match_luminance`` the stylised luminance is shifted and scaled to the
    content's mean and spread, so the result keeps the photo's overall
    brightness and contrast rather than the painting's.
    """
    check_rgb(stylized)
    check_rgb(content)
    content = resize_to(content, *stylized.shape[:2])
    luma = _to_ycbcr(stylized)[..., 0]
    ycbcr = _to_ycbcr(content)
    if match_luminance:
        luma = _match_mean_std(luma, ycbcr[..., 0])
    ycbcr[..., 0] = luma
    return _to_rgb(ycbcr)


def in_palette(
    content: np.ndarray, paintings: Sequence[np.ndarray], shares: Sequence[float]
) -> np.ndarray:
    """``content`` with each YCbCr channel's mean and spread moved to the paintings'
    (their pixels mixed by ``shares``, which sum to 1): uint8, the content's size."""
    check_rgb(content)
    channels = [_to_ycbcr(_sample(painting)).reshape(-1, 3) for painting in paintings]
    mean = sum(w * c.mean(0) for w, c in zip(shares, channels, strict=True))
    square = sum(w * (c**2).mean(0) for w, c in zip(shares, channels, strict=True))
    spread = np.sqrt(np.maximum(square - mean**2, 0.0))
    ycbcr = _to_ycbcr(content)
    for channel in range(3):
        ycbcr[..., channel] = _match(ycbcr[..., channel], mean[channel], spread[channel])
    return _to_rgb(ycbcr)


def _sample(image: np.ndarray) -> np.ndarray:
    """Every few pixels of ``image``, up to :data:`_STATISTICS_PIXELS` in all: a painting's
    colour statistics do not need all of a large scan's pixels as float64."""
    step = max(1, math.isqrt(image.shape[0] * image.shape[1] // _STATISTICS_PIXELS))
    return image[::step, ::step]


def _to_ycbcr(image: np.ndarray) -> np.ndarray:
    """Float Y in [0, 255] and zero-centred Cb, Cr."""
    return image.astype(np.float64) @ _RGB_TO_YCBCR.T


def _to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    """uint8 RGB, clipped where the combined colour falls outside the gamut."""
    return np.rint(np.clip(ycbcr @ _YCBCR_TO_RGB.T, 0.0, 255.0)).astype(np.uint8)


def _match_mean_std(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``values`` shifted and scaled to the mean and standard deviation of ``reference``."""
    return _match(values, reference.mean(), reference.std())


def _match(values: np.ndarray, mean: float, spread: float) -> np.ndarray:
    """``values`` shifted and scaled to ``mean`` and standard deviation ``spread``."""
    own = values.std()
    scale = spread / own if own > _FLAT else 1.0
    return (values - values.mean()) * scale + mean
