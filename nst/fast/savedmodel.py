"""The full TF-Hub Magenta model (or any SavedModel with its call signature).

Its signature is ``model(content, style)[0] -> image``: it does not expose the
style embedding. Two styles and strength are therefore mixed in pixel space
(one network pass per style), and the model says so in ``blend_note``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf
import tensorflow_hub as hub

from nst.errors import ModelUnavailableError
from nst.fast.network import FastModel
from nst.fast.pixels import run_padded, square_style


class HubModel(FastModel):
    """A model called as ``model(content, style)``, mixing styles by output."""

    mixes_embeddings = False
    blend_note = (
        "This model does not expose style embeddings: two styles are blended as a weighted "
        "average of one result per style, and strength blends the result with the photo."
    )

    def __init__(self, handle: str) -> None:
        try:
            self._model = hub.load(handle)
        except Exception as error:  # network, file system and format errors alike
            raise ModelUnavailableError(
                f"The fast-mode SavedModel {handle} could not be loaded ({error}). A TF-Hub "
                "model is downloaded on first use into TFHUB_CACHE_DIR; without internet use "
                "NST_FAST_MODEL=lite with its files in place, or a folder holding the model."
            ) from None

    def paint(
        self,
        content: np.ndarray,
        styles: Sequence[np.ndarray],
        shares: Sequence[float],
        strength: float,
    ) -> np.ndarray:
        squares = [
            (share, tf.constant(square_style(style)))
            for style, share in zip(styles, shares, strict=True)
            if share > 0
        ]

        def blend(batch: np.ndarray) -> np.ndarray:
            pixels = tf.constant(batch)
            return sum(share * self._model(pixels, square)[0].numpy() for share, square in squares)

        return run_padded(blend, content)

    def painted_weight(self, strength: float) -> float:
        """Strength is a plain blend with the photo: the distance from it grows linearly."""
        return strength
