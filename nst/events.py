"""What a running transfer reports to its caller."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np


@dataclass(frozen=True)
class Queued:
    """The job waits for the device; ``position`` jobs are ahead of it."""

    position: int

    def words(self) -> str:
        """The wait in plain words for a status line."""
        jobs = "job" if self.position == 1 else "jobs"
        return f"Queued: {self.position} {jobs} ahead of you."


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

    def facts(self) -> dict[str, Any]:
        """What a result's metadata records of how far the job went."""
        facts: dict[str, Any] = {"steps_done": self.step}
        if self.state == "stopped":
            facts["stopped_at"] = {
                "step": self.step,
                "stage": self.stage,
                "stages": self.stage_count,
                "stage_size": self.stage_size,
            }
        return facts

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

    def words(self) -> str:
        """The state in plain words for a status line: "Painting… step 60 of 200, about 3 min left".

        Costs stay out of it: people read progress and time left; the costs
        are for a plot or :meth:`summary`.
        """
        if self.state == "done":
            return f"Done: {self.step} steps in {duration_words(self.elapsed)}."
        if self.state == "stopped":
            return (
                f"Stopped at step {self.step} of {self.total_steps} after "
                f"{duration_words(self.elapsed)}; the last image is kept."
            )
        left = time_left_words(self.eta)
        return f"Painting… step {self.step} of {self.total_steps}" + (f", {left}" if left else "")


def duration_words(seconds: float) -> str:
    """A time taken as people say it: "0.8 s", "42 s", "3 min 5 s", "1 h 20 min"."""
    if seconds < 9.95:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if not minutes:
        return f"{secs} s"
    if minutes >= 60:
        return _hours_minutes(minutes)
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


def time_left_words(seconds: float) -> str:
    """A rough estimate as people say it ("about 3 min left"); empty while unknown.

    Rounded more coarsely the longer it is: a precise-looking figure would
    promise more than an estimate from the speed so far can hold.
    """
    if not math.isfinite(seconds) or seconds < 0:
        return ""
    if seconds < 10:
        return "a few seconds left"
    tens = round(seconds / 10) * 10
    if tens < 60:
        return f"about {tens} s left"
    minutes = round(seconds / 60)
    return f"about {_hours_minutes(minutes) if minutes >= 60 else f'{minutes} min'} left"


def _hours_minutes(minutes: int) -> str:
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
