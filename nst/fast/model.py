"""What every fast-mode model offers, and the pixel plumbing they share.

A model renders one content image with a weighted mix of styles at a given
working size. How it mixes (style embeddings or output pixels) differs by
model, so each says so in ``mixes_embeddings`` and ``blend_note``.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from nst.errors import ModelUnavailableError
from nst.images import fit_longest_side, resize_to

STYLE_SIDE = 256
"""Side of the square style image the Magenta style predictor expects."""

STRIDE = 4
"""The transfer network halves the image twice, so its input sides must be multiples of 4."""


class FastModel(ABC):
    """A loaded fast-mode model: content + weighted styles → stylised image."""

    source: str
    """Where the model came from: ``lite``, ``hub`` or a folder."""
    mixes_embeddings: bool
    """True when styles and strength are mixed as style embeddings (one network pass)."""
    blend_note: str
    """One line for the UI saying how styles and strength are mixed."""

    @abstractmethod
    def render(
        self,
        content: np.ndarray,
        styles: Sequence[np.ndarray],
        weights: Sequence[float],
        strength: float,
        working_size: int,
    ) -> np.ndarray:
        """uint8 result with the content's aspect ratio and longest side ``working_size``.

        ``weights`` sum to 1; ``strength`` 0 keeps the content's look, 1 is full style.
        """


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


def run_padded(
    network: Callable[[np.ndarray], np.ndarray], content: np.ndarray, working_size: int
) -> np.ndarray:
    """Run an image-to-image network at ``working_size``, returning float H×W×3.

    The content is scaled to the working size, reflect-padded to a multiple of
    :data:`STRIDE` (so no side is lost to the network's downsampling), and the
    result cropped back.
    """
    image = to_float(fit_longest_side(content, working_size))
    height, width = image.shape[:2]
    padded = np.pad(image, ((0, -height % STRIDE), (0, -width % STRIDE), (0, 0)), mode="reflect")
    output = np.asarray(network(padded[None]))
    if output.shape != (1, *padded.shape):
        raise ModelUnavailableError(
            f"The fast-mode model returned an image of shape {output.shape} for an input of "
            f"shape {(1, *padded.shape)}; it is not a Magenta-style transfer network."
        )
    return output[0, :height, :width]


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    size: int


class EmbeddingCache:
    """Style embeddings keyed by the image's pixels: a repeated style costs nothing.

    A small least-recently-used store; safe to share between threads.
    """

    def __init__(self, capacity: int = 32) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, image: np.ndarray, compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """The cached embedding of ``image``, computing and storing it on a miss."""
        digest = hashlib.blake2b(str(image.shape).encode(), digest_size=16)
        digest.update(np.ascontiguousarray(image).data)
        key = digest.hexdigest()
        with self._lock:
            if key in self._items:
                self._hits += 1
                self._items.move_to_end(key)
                return self._items[key]
            self._misses += 1
        value = compute(image)
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return value

    def info(self) -> CacheInfo:
        """Hits, misses and current size, like ``functools.lru_cache``'s."""
        with self._lock:
            return CacheInfo(self._hits, self._misses, len(self._items))

    def clear(self) -> None:
        """Forget every embedding and reset the counters."""
        with self._lock:
            self._items.clear()
            self._hits = self._misses = 0
