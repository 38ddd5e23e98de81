"""What every fast-mode model offers: content + a share of each style → stylised image.

How a model mixes styles and strength (style embeddings or output pixels)
differs, so each says so in ``mixes_embeddings`` and ``blend_note``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class FastModel(ABC):
    """A loaded fast-mode model."""

    mixes_embeddings: bool
    """True when styles and strength are mixed as style embeddings (one network pass)."""
    blend_note: str
    """One line for the UI saying how styles and strength are mixed."""

    @abstractmethod
    def render(
        self,
        content: np.ndarray,
        styles: Sequence[np.ndarray],
        shares: Sequence[float],
        strength: float,
        working_size: int,
    ) -> np.ndarray:
        """uint8 result with the content's aspect ratio and longest side ``working_size``.

        ``shares`` (one per style) sum to 1; ``strength`` 0 keeps the content's
        look, 1 is full style.
        """
