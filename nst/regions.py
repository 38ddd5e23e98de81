"""Where each style goes: one region value, read once from a painting or an image file.

A mask is a float H×W map of style 1's share at each pixel: 1 is style 1, 0 is
style 2, values in between mix them. It comes from

- a greyscale (or any colour) image: white is style 1, black style 2, grey a mix;
- an image painted with the app's two brush colours, such as the app's painter
  saves (RGBA strokes on transparency): those pixels are style 1 or style 2,
  every other pixel keeps the job's style mix, so an empty painting changes
  nothing.

Edges are feathered with a Gaussian blur whose width is a share of the
picture's longest side, so a transition looks the same at any size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from nst.caching import image_digest
from nst.errors import InputError
from nst.images import ImageSource, load_image

BRUSH_COLOURS = ((229, 57, 53), (30, 136, 229))
"""The painter's colours for style 1 (red) and style 2 (blue), as RGB."""
COLOUR_TOLERANCE = 60.0
"""Largest RGB distance at which a pixel counts as painted in a brush colour."""
OPAQUE = 128
"""Alpha from which a stroke pixel counts as painted."""


def read_mask(source: ImageSource, shape: tuple[int, int], style_mix: float) -> np.ndarray:
    """Style 1's share per pixel of a ``shape`` (height, width) picture, from a mask image.

    Any size is accepted (the mask is stretched to ``shape``). Unpainted pixels
    of a brush-coloured or transparent mask get ``style_mix``.
    """
    rgba = load_image(source, keep_alpha=True)
    rgb, alpha = rgba[..., :3].astype(np.float32), rgba[..., 3]
    painted = _brush_regions(rgb, alpha)
    if painted is not None:
        share = np.where(painted[1], 0.0, style_mix)
        share = np.where(painted[0], 1.0, share)
    else:
        grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32) / 255.0
        share = np.where(alpha >= OPAQUE, grey, style_mix)
    return fit_share(share.astype(np.float32), shape)


def feathered(share: np.ndarray, feather: float) -> np.ndarray:
    """``share`` with its edges softened over ``feather`` × the longest side (0: hard edges).

    Blurred in 8 bits, so a transition moves in steps of one grey level at most.
    """
    if feather <= 0:
        return share
    radius = feather * max(share.shape)
    grey = Image.fromarray(np.rint(np.clip(share, 0.0, 1.0) * 255).astype(np.uint8))
    return np.asarray(grey.filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255.0


@dataclass(frozen=True)
class Regions:
    """Style 1's share at each pixel of the result, feathered: the one value both modes take.

    Made once, where a front end hands the mask over (the painter's strokes, a
    mask file, a grey image), at the result's size, so a job carries it as it
    is and never reads the mask again. ``digest`` names it in a result's metadata.
    """

    share: np.ndarray
    digest: str

    def uniform(self) -> float | None:
        """Style 1's share when it is the same everywhere (an empty painting), else None.

        Such regions are just a style mix: the job takes the plain path and gives
        exactly what that mix gives.
        """
        low, high = float(self.share.min()), float(self.share.max())
        return low if high - low < 1e-6 else None

    def shares(self, default: tuple[float, ...]) -> tuple[float, ...]:
        """Each style's share of a one-target job: the uniform share, or ``default``."""
        share = self.uniform()
        return default if share is None else (share, 1.0 - share)

    def at(self, shape: tuple[int, int]) -> np.ndarray:
        """The share map stretched to ``shape`` (height, width)."""
        return fit_share(self.share, shape)


def job_regions(
    source: ImageSource, shape: tuple[int, int], style_mix: float, feather: float
) -> Regions:
    """The regions a mask (a painting, a file, a grey image) gives a ``shape`` result."""
    share = read_mask(source, shape, style_mix)
    digest = image_digest(share_image(share))
    regions = Regions(share, digest)
    if regions.uniform() is None:
        regions = Regions(feathered(share, feather), digest)
    return regions


def _brush_regions(rgb: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Pixels painted in each brush colour, or None when the image is not a painting."""
    opaque = alpha >= OPAQUE
    regions = tuple(
        (np.linalg.norm(rgb - np.array(colour, np.float32), axis=-1) <= COLOUR_TOLERANCE) & opaque
        for colour in BRUSH_COLOURS
    )
    transparent = not opaque.all()
    if any(region.any() for region in regions) or transparent:
        return regions[0], regions[1]
    return None


def share_image(share: np.ndarray) -> np.ndarray:
    """A share map as a grey uint8 RGB image (white style 1, black style 2): a mask file."""
    grey = np.rint(np.clip(share, 0.0, 1.0) * 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def fit_share(share: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``share`` stretched to ``shape`` (height, width)."""
    height, width = shape
    if height < 1 or width < 1:
        raise InputError(f"Cannot fit a mask to {width}×{height} pixels.")
    if share.shape == (height, width):
        return share
    image = Image.fromarray(share, mode="F").resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.float32)
