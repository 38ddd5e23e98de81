"""Pixel plumbing shared by the fast-mode models: value ranges, style squares, padding."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nst.errors import ModelUnavailableError
from nst.fast.borders import keep_border_bands
from nst.images import resize_to

STYLE_SIDE = 256
"""Side of the square style image the Magenta style predictor expects."""

STRIDE = 4
"""The transfer network halves the image twice, so its input sides must be multiples of 4."""


def square_style(image: np.ndarray, side: int = STYLE_SIDE) -> np.ndarray:
    """Centre square of a style image, ``side`` pixels wide, as a float batch of one.

    Cropping (rather than squashing) keeps the painting's brush strokes in proportion.
    """
    height, width = image.shape[:2]
    crop = min(height, width)
    top, left = (height - crop) // 2, (width - crop) // 2
    square = resize_to(image[top : top + crop, left : left + crop], side, side)
    return to_float(square)[None]


def to_float(image: np.ndarray) -> np.ndarray:
    """uint8 pixels as float32 in [0, 1], the networks' input range."""
    return np.asarray(image, dtype=np.float32) / 255.0


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float pixels in [0, 1] (clipped) as uint8."""
    return np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


CONTEXT = 16
"""Pixels reflected onto every side before the network and cropped after. Without them the
network's own border effect paints a lighter top row and a darker bottom row; 16 px brings the
outer bands within a level or two of what real context gives, and more buys nothing."""


def padded_shape(height: int, width: int) -> tuple[int, int]:
    """The network's input size for a ``height``×``width`` image: the context on every side,
    then up to a multiple of :data:`STRIDE`."""
    return _padded(height), _padded(width)


def run_padded(network: Callable[[np.ndarray], np.ndarray], content: np.ndarray) -> np.ndarray:
    """Run an image-to-image network on uint8 ``content`` at its own size; float H×W×3.

    The content is reflect-padded by :data:`CONTEXT` on every side and up to a
    multiple of :data:`STRIDE` (so no side is lost to the network's downsampling),
    and the result cropped back, its border bands kept to the photo's
    (:mod:`nst.fast.borders`).
    """
    height, width = content.shape[:2]
    padded_height, padded_width = padded_shape(height, width)
    margins = (
        (CONTEXT, padded_height - height - CONTEXT),
        (CONTEXT, padded_width - width - CONTEXT),
        (0, 0),
    )
    padded = np.pad(to_float(content), margins, mode="reflect")
    output = np.asarray(network(padded[None]))
    if output.shape != (1, *padded.shape):
        raise ModelUnavailableError(
            f"The fast-mode model returned an image of shape {output.shape} for an input of "
            f"shape {(1, *padded.shape)}; it is not a Magenta-style transfer network."
        )
    return keep_border_bands(
        output[0, CONTEXT : CONTEXT + height, CONTEXT : CONTEXT + width], content
    )


def _padded(side: int) -> int:
    return side + 2 * CONTEXT + (-(side + 2 * CONTEXT) % STRIDE)
