"""The painting's border bands, kept to what the photo explains.

Reflected context (:mod:`nst.fast.pixels`) removes the network's own border lines, but where
a luminance gradient meets the border (a sky darkening towards the top of the frame, by a
level a row) the network draws it as a dark line a couple of pixels wide: Golden Gate's sky
under Starry Night had its top 5 rows at 1024 px 10 levels darker than the 7 inside them,
where the photo's are 2.5 darker. Each side's outer rows are shifted, as a whole, by what
their mean luminance departs from the rows inside them beyond the photo's own departure (a
painting may keep or soften a dark border the photo has, but not make or deepen one). The
strokes inside those rows are untouched.
"""

from __future__ import annotations

import numpy as np

BAND = 6
"""Rows, in working pixels, of the outer band checked on each side; the next ``BAND`` rows
are its reference. The line the network draws is 2 to 5 pixels wide; with 4 rows a wide one
reaches into the reference (Golden Gate × Great Wave: 3.3 levels off the photo's band at
1024 px, against 0.2 with 6)."""
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
"""Luminance weights (ITU-R 601) of RGB pixels."""


def keep_border_bands(painted: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """``painted`` (float H×W×3 in [0, 1]) with each side's outer band departing from the
    rows inside it no further than ``photo`` (uint8, the same size) does there."""
    out = np.array(painted, dtype=np.float32)
    for turn in range(4):  # top, left, bottom, right: each side brought to the top in turn
        side, guide = np.rot90(out, turn), np.rot90(photo, turn)[: 2 * BAND]
        if side.shape[0] >= 2 * BAND:
            lightness = guide.astype(np.float32) @ LUMA / 255
            side[:BAND] -= _excess(side[: 2 * BAND] @ LUMA, lightness)[:, None, None]
    return out


def _excess(painted: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """Per outer row: its mean's departure from the reference rows beyond the photo's."""
    own = painted[:BAND].mean(1) - painted[BAND : 2 * BAND].mean()
    allowed = photo[:BAND].mean(1) - photo[BAND : 2 * BAND].mean()
    return own - np.clip(own, np.minimum(allowed, 0), np.maximum(allowed, 0))
