"""Coarse to fine: the resolutions a classic transfer passes through, and their steps."""

from __future__ import annotations

from dataclasses import dataclass

MIN_STAGE_SIZE = 128
"""Coarse-to-fine never optimises below this size: features vanish on tiny images."""
MAX_STAGES = 3


@dataclass(frozen=True)
class Stage:
    """A resolution of a coarse-to-fine run and how many steps it gets."""

    size: int
    iterations: int


def plan_stages(size: int, iterations: int, multires: bool, smallest: int = 0) -> list[Stage]:
    """Sizes doubling up to ``size``; coarse stages get most steps since they cost less.

    The final stage always gets at least a third of the steps, so the result's
    fine detail is optimised at the size the user asked for. No stage is
    smaller than ``smallest`` (a thin image needs a larger size to keep its
    short side).
    """
    sizes = [size]
    floor = max(MIN_STAGE_SIZE, smallest)
    while multires and len(sizes) < MAX_STAGES and sizes[0] // 2 >= floor:
        sizes.insert(0, sizes[0] // 2)
    if len(sizes) == 1 or iterations < 2 * len(sizes):
        return [Stage(size, iterations)]
    final = max(iterations // 3, 1)
    coarse = iterations - final
    per_stage = [coarse // (len(sizes) - 1)] * (len(sizes) - 1)
    per_stage[0] += coarse - sum(per_stage)
    return [Stage(s, n) for s, n in zip(sizes, [*per_stage, final], strict=True)]
