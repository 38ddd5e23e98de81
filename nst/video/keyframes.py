"""A clip's frames painted in order: every frame alone, or every Nth by the network.

The network's pass is most of a frame's cost (about two thirds at 480p on two cores), and
neighbouring frames show mostly the same things, moved. So with steadying on the network
paints every ``paint_every``-th frame (a key), each steadied against the key before it, and
each frame between two keys is made from their paintings carried onto it along the optical
flow (:meth:`Steadier.between`). Every frame's detail is its own: each painting at the
working size is upsampled guided by its own frame (:meth:`Renderer.finish`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nst.fast.transfer import Renderer
from nst.video.reader import Frame
from nst.video.steady import Steadier

Pending = tuple[Frame, Callable[[], np.ndarray]]
"""A painted frame and what finishes it (the upsampling to a uint8 output frame), which a clip
runs beside the next frame's painting."""


class ClipPainter:
    """Takes a clip's frames in order and gives back painted ones, in order, each with what
    finishes it.

    Frames between keys wait until the next key is painted, so :meth:`add` returns none,
    one or several; :meth:`finish` paints the last waiting frame as a key and returns the
    rest. Frames still waiting when a job stops are not painted.
    """

    def __init__(self, renderer: Renderer, steadier: Steadier | None, every: int) -> None:
        self.renderer = renderer
        self.steadier = steadier
        self.every = every if steadier is not None and renderer.settings.strength > 0 else 1
        self._waiting: list[Frame] = []

    def add(self, frame: Frame) -> list[Pending]:
        """``frame`` taken in: the frames painted by it (none while it waits for a key)."""
        first = self.steadier is None or self.steadier.last is None
        if not first and len(self._waiting) + 1 < self.every:
            self._waiting.append(frame)
            return []
        return self._key(frame)

    def finish(self) -> list[Pending]:
        """The frames still waiting, the last one painted as a key: at the clip's end."""
        if not self._waiting:
            return []
        return self._key(self._waiting.pop())

    def _key(self, frame: Frame) -> list[Pending]:
        """Paint ``frame`` with the network, then make the frames waiting before it."""
        renderer = self.renderer
        if renderer.settings.strength == 0:
            return [(frame, lambda: renderer(frame.image))]
        small = renderer.small(frame.image)
        painted = renderer.paint(small)
        if self.steadier is None:
            return [(frame, _finishing(renderer, painted, small, frame))]
        earlier = self.steadier.last
        painted = self.steadier(painted, small)
        later = self.steadier.last
        done: list[Pending] = []
        if earlier is not None and later is not None:
            count = len(self._waiting) + 1
            for index, waiting in enumerate(self._waiting, 1):
                small_between = renderer.small(waiting.image)
                between = self.steadier.between(
                    earlier,
                    later,
                    small_between,
                    index / count,
                    lambda image=small_between: renderer.paint(image),
                )
                done.append((waiting, _finishing(renderer, between, small_between, waiting)))
        self._waiting = []
        done.append((frame, _finishing(renderer, painted, small, frame)))
        return done


def _finishing(
    renderer: Renderer, painted: np.ndarray, small: np.ndarray, frame: Frame
) -> Callable[[], np.ndarray]:
    return lambda: renderer.finish(painted, small, frame.image)
