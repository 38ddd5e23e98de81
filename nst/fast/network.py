"""What every fast-mode model offers: content + a share of each style → a painted image.

How a model mixes styles and strength (style embeddings or output pixels)
differs, so each says so in ``mixes_embeddings`` and ``blend_note``. Every
model paints at the size it is given; scaling to the output and blending with
the photo are the job's (:mod:`nst.fast.transfer`), so strength 0 is the photo
whatever the model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np


class FastModel(ABC):
    """A loaded fast-mode model."""

    mixes_embeddings: bool
    """True when styles and strength are mixed as style embeddings (one network pass)."""
    blend_note: str
    """One line for the UI saying how styles and strength are mixed."""

    @abstractmethod
    def paint(
        self,
        content: np.ndarray,
        styles: Sequence[np.ndarray],
        shares: Sequence[float],
        strength: float,
    ) -> np.ndarray:
        """``content`` (uint8) painted in the blended styles: float H×W×3 in [0, 1], same size.

        ``shares`` (one per style) sum to 1. A model that can mixes ``strength``
        into the style itself here; the rest is the photo blend of :meth:`painted_weight`.
        """

    def painter(
        self,
        styles: Sequence[np.ndarray],
        shares: Sequence[float],
        strength: float,
        photo: np.ndarray,
    ) -> Callable[[np.ndarray], np.ndarray]:
        """:meth:`paint` for many pictures in one look, such as a clip's frames.

        A model that can works out the look once (the style embeddings, and
        ``photo``'s own where ``strength`` mixes it in), so each picture costs one
        pass and every picture gets exactly the same look. By default each call
        paints from scratch.
        """
        return lambda content: self.paint(content, styles, shares, strength)

    @abstractmethod
    def painted_weight(self, strength: float) -> float:
        """Share of the painted image in the final pixels at ``strength``; the photo has the rest.

        0 at strength 0 (the photo itself), 1 at strength 1.
        """
