"""What a running transfer reports to its caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class Queued:
    """The job waits for the device; ``position`` jobs are ahead of it."""

    position: int


class WeightedCosts(NamedTuple):
    """A classic transfer's costs, each already multiplied by its weight, and their sum."""

    content: float
    style: float
    tv: float
    total: float


@dataclass(frozen=True)
class Progress:
    """A snapshot of a classic transfer, yielded every few steps and at the end.

    ``image`` is the current result as uint8 H×W×3: at the current stage's size while
    coarse to fine runs its smaller stages, at the output size in the last one and
    in the last event (a job stopped early is scaled up to the size asked for).
    ``state`` is ``"running"`` while steps remain, then ``"done"`` or
    ``"stopped"`` (cancelled; ``image`` is the last good one). ``stage`` counts
    from 1 to ``stage_count``; ``eta`` is the seconds left, estimated from the
    work left (pixels × steps) and the step times measured so far (inf before
    the first step).
    """

    step: int
    total_steps: int
    image: np.ndarray
    costs: WeightedCosts
    elapsed: float
    iterations_per_second: float
    state: str = "running"
    stage: int = 1
    stage_count: int = 1
    stage_size: int = 0
    eta: float = float("inf")

    def summary(self) -> str:
        """One line for a log or a status bar."""
        known = self.state == "running" and self.eta != float("inf")
        eta = f", ETA {self.eta:.0f} s" if known else ""
        costs = self.costs
        return (
            f"step {self.step}/{self.total_steps}: total {costs.total:.4g} "
            f"(content {costs.content:.4g}, style {costs.style:.4g}, tv {costs.tv:.4g}), "
            f"{self.iterations_per_second:.2f} it/s{eta}"
        )
