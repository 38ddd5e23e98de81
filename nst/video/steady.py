"""Against flicker: the last painting carried along the clip's motion, where it can be followed.

A one-pass network paints each frame on its own, and small changes in the
photo move its strokes about: the clip shimmers. Here each new painting is
blended with the previous (steadied) one, warped by the optical flow between
the two input frames (OpenCV's DIS flow, fast on a CPU), but only where that
flow is reliable:

- forward and backward flow agree (Sundaram et al. 2010, as Ruder et al. 2016
  use for video style transfer): a pixel that is covered or uncovered has no
  consistent match, so it is painted fresh and leaves no ghost;
- the warped previous frame looks like the new one (a check on the flow itself);
- enough of the frame is reliable: otherwise it is a scene cut, and the new
  painting is taken whole.

All of it runs at the network's working size, before the photo's detail is
added, so that detail always comes from the frame itself.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

CARRY = 0.6
"""Share of the carried painting where the flow is reliable; the new painting has the rest."""
CONSISTENCY = (0.01, 0.5)
"""Forward–backward check: the round trip may miss by 1% of the motion's squared length plus
half a pixel squared (Sundaram et al. 2010)."""
PHOTO_TOLERANCE = 24
"""Largest grey-level difference between a frame and the previous one warped onto it."""
CUT_SHARE = 0.4
"""A frame with less than this share of reliable pixels starts a new scene."""
EDGE = 2
"""Pixels by which the reliable area is shrunk, and its edge softened: flow is least sure at
motion boundaries, and a hard seam would show."""


class Steadier:
    """Keeps the last steadied painting and its input frame; call it with each new pair."""

    def __init__(self, carry: float = CARRY) -> None:
        self.carry = carry
        self.cuts = 0
        """Frames taken as a new scene after the first."""
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._grey: np.ndarray | None = None
        self._painted: np.ndarray | None = None

    def __call__(self, painted: np.ndarray, frame: np.ndarray) -> np.ndarray:
        """``painted`` (float H×W×3, the network's) steadied; ``frame`` its uint8 input."""
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if self._grey is None or self._grey.shape != grey.shape:
            return self._keep(painted, grey)
        weight, backward = self.match(self._grey, grey)
        if weight.mean() < CUT_SHARE:
            self.cuts += 1
            return self._keep(painted, grey)
        carried = warp(self._painted, backward)
        steadied = painted + (self.carry * weight)[..., None] * (carried - painted)
        return self._keep(steadied.astype(np.float32), grey)

    def match(self, before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each pixel of ``after`` (grey uint8) was in ``before`` (the backward flow),
        and how far that can be trusted: 1 reliable, 0 not, soft in between."""
        backward = self._flow.calc(after, before, None)
        forward = self._flow.calc(before, after, None)
        back_x, back_y = cv2.split(backward)
        again_x, again_y = cv2.split(warp(forward, backward))
        miss = (back_x + again_x) ** 2 + (back_y + again_y) ** 2
        size = back_x**2 + back_y**2 + again_x**2 + again_y**2
        consistent = miss <= CONSISTENCY[0] * size + CONSISTENCY[1]
        seen = cv2.absdiff(warp(before, backward), after) <= PHOTO_TOLERANCE
        reliable = (consistent & seen & _inside(backward)).astype(np.uint8)
        kernel = np.ones((2 * EDGE + 1, 2 * EDGE + 1), np.uint8)
        reliable = cv2.erode(reliable, kernel).astype(np.float32)
        return cv2.blur(reliable, (2 * EDGE + 1, 2 * EDGE + 1)), backward

    def _keep(self, painted: np.ndarray, grey: np.ndarray) -> np.ndarray:
        self._painted, self._grey = painted, grey
        return painted


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` pulled along ``flow``: pixel x of the result is ``image`` at x + flow(x)."""
    grid_x, grid_y = _grid(*flow.shape[:2])
    return cv2.remap(
        image,
        grid_x + flow[..., 0],
        grid_y + flow[..., 1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


@functools.cache
def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's x and y (a clip has one working size: made once)."""
    return np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))


def _inside(flow: np.ndarray) -> np.ndarray:
    """Where x + flow(x) falls inside the frame."""
    height, width = flow.shape[:2]
    grid_x, grid_y = _grid(height, width)
    x, y = grid_x + flow[..., 0], grid_y + flow[..., 1]
    return (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
