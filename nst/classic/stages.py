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


class StageClock:
    """Seconds left in a job, from the work left and the step times measured so far.

    A step's time grows with the pixels it optimises, so a stage not yet run
    is estimated from the latest measured stage, scaled by its pixel count.
    """

    def __init__(self, stages: list[Stage], pixels: list[int]) -> None:
        self.stages = stages
        self.pixels = pixels
        self.measured: dict[int, tuple[float, int]] = {}
        """Stage index → (seconds, steps) measured in it."""

    def record(self, stage: int, seconds: float) -> None:
        """One step of ``stage`` took ``seconds``."""
        total, steps = self.measured.get(stage, (0.0, 0))
        self.measured[stage] = (total + seconds, steps + 1)

    def seconds_left(self, stage: int, steps_done: int) -> float:
        """Seconds left with ``steps_done`` steps of ``stage`` behind; inf before any step."""
        if not self.measured:
            return float("inf")
        latest = max(self.measured)
        total, steps = self.measured[latest]
        per_pixel_step = total / steps / self.pixels[latest]
        left = (self.stages[stage].iterations - steps_done) * self.pixels[stage]
        later = zip(self.stages[stage + 1 :], self.pixels[stage + 1 :], strict=True)
        left += sum(s.iterations * p for s, p in later)
        return left * per_pixel_step
