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

A frame the network does not paint (between two keys, :mod:`nst.video.keyframes`) is
made by the same checks from the paintings on either side (:meth:`Steadier.between`).

All of it runs at the network's working size, before the photo's detail is
added, so that detail always comes from the frame itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import cv2
import numpy as np

FLOW_PRESET = cv2.DISOPTICAL_FLOW_PRESET_FAST
"""OpenCV's DIS preset: "fast" (8 ms a flow at 512×288 on one core) follows 90% of a pan's
pixels over three frames where "ultrafast" (2 ms) follows 80%."""
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
FOLLOWED_SHARE = 0.8
"""A frame between two keys is made from their paintings alone when this share of its pixels
can be followed to one of them; otherwise the network paints it as well, for the rest."""

Key = tuple[np.ndarray, np.ndarray]
"""A painted frame as the steadying keeps it: the float painting and its input's grey."""


class Match(NamedTuple):
    """How a frame's pixels are followed back to an earlier (or later) one."""

    reliable: np.ndarray
    """1 where the flow can be trusted, 0 where not, soft in between."""
    flow: np.ndarray
    """Where each pixel was in the other frame (x then y, in pixels)."""
    difference: np.ndarray
    """Grey levels between the frame and the other one carried onto it (locally averaged)."""

    def score(self) -> np.ndarray:
        """Reliability, less the photo's difference: which of two matches to take."""
        return self.reliable - self.difference / 255.0


class Steadier:
    """Keeps the last steadied painting and its input frame; call it with each new pair."""

    def __init__(self, carry: float = CARRY) -> None:
        self.carry = carry
        self.cuts = 0
        """Frames taken as a new scene after the first."""
        self._flow = cv2.DISOpticalFlow_create(FLOW_PRESET)
        self._grey: np.ndarray | None = None
        self._painted: np.ndarray | None = None

    def __call__(self, painted: np.ndarray, frame: np.ndarray) -> np.ndarray:
        """``painted`` (float H×W×3, the network's) steadied; ``frame`` its uint8 input."""
        grey = _grey(frame)
        if self._grey is None or self._grey.shape != grey.shape:
            return self._keep(painted, grey)
        match = self.match(self._grey, grey)
        if match.reliable.mean() < CUT_SHARE:
            self.cuts += 1
            return self._keep(painted, grey)
        carried = warp(self._painted, match.flow)
        steadied = painted + (self.carry * match.reliable)[..., None] * (carried - painted)
        return self._keep(steadied.astype(np.float32), grey)

    @property
    def last(self) -> Key | None:
        """The last steadied painting and its input's grey, None before the first."""
        if self._painted is None or self._grey is None:
            return None
        return self._painted, self._grey

    def between(
        self, earlier: Key, later: Key, frame: np.ndarray, t: float, paint: Callable[[], np.ndarray]
    ) -> np.ndarray:
        """The painting of ``frame`` (uint8), shown a share ``t`` of the way from the key
        ``earlier`` to ``later``: both keys' paintings carried onto it along the flow, each
        where it can be followed and by how near it is in time. What was hidden in one key
        comes from the other, so a moving object leaves no trail; where neither can be
        followed the painting is ``paint()``'s, called only when too much of it is so."""
        grey = _grey(frame)
        before, after = self.match(earlier[1], grey), self.match(later[1], grey)
        carried_earlier, carried_later = warp(earlier[0], before.flow), warp(later[0], after.flow)
        followed = np.maximum(before.reliable, after.reliable)
        if followed.mean() >= FOLLOWED_SHARE:
            # Where neither can be followed, the key whose photo, carried, looks more like
            # this frame there: a blend of two paintings that disagree would show both.
            later_better = after.score() > before.score()
            fresh = np.where(later_better[..., None], carried_later, carried_earlier)
        else:
            fresh = paint()
        share_earlier, share_later = (1 - t) * before.reliable, t * after.reliable
        total = np.maximum(share_earlier + share_later, 1e-6)
        carried = (
            share_earlier[..., None] * carried_earlier + share_later[..., None] * carried_later
        ) / total[..., None]
        return (fresh + followed[..., None] * (carried - fresh)).astype(np.float32)

    def match(self, before: np.ndarray, after: np.ndarray) -> Match:
        """Where each pixel of ``after`` (grey uint8) was in ``before``, and how far that
        can be trusted."""
        backward = self._flow.calc(after, before, None)
        forward = self._flow.calc(before, after, None)
        back_x, back_y = cv2.split(backward)
        again_x, again_y = cv2.split(warp(forward, backward))
        miss = (back_x + again_x) ** 2 + (back_y + again_y) ** 2
        size = back_x**2 + back_y**2 + again_x**2 + again_y**2
        consistent = miss <= CONSISTENCY[0] * size + CONSISTENCY[1]
        difference = cv2.absdiff(warp(before, backward), after)
        seen = difference <= PHOTO_TOLERANCE
        reliable = (consistent & seen & _inside(backward)).astype(np.uint8)
        kernel = np.ones((2 * EDGE + 1, 2 * EDGE + 1), np.uint8)
        reliable = cv2.erode(reliable, kernel).astype(np.float32)
        window = (2 * EDGE + 1, 2 * EDGE + 1)
        return Match(
            cv2.blur(reliable, window), backward, cv2.blur(difference.astype(np.float32), window)
        )

    def _keep(self, painted: np.ndarray, grey: np.ndarray) -> np.ndarray:
        self._painted, self._grey = painted, grey
        return painted


def _grey(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


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
