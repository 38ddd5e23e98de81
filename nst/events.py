"""What a job reports to whoever asked for it: one stream for every kind of job.

A job's stream is some of :class:`Queued` (waiting, with its place in line),
:class:`Working` (holding the device, doing something it cannot count yet),
:class:`Progress` or :class:`FrameProgress` (counted work, with a picture
when there is one) and :class:`Notice` (something the user should know), then
exactly one final event: :class:`Done` (the result), :class:`Stopped` (the
last good result, if any) or :class:`Failed` (the user's message). Every
event says itself in plain words with ``words()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from nst.jobs import Result

WAIT_WORTH_SAYING = 1.0
"""Seconds in line from which a finished job says how long it waited, apart from its work."""


@dataclass(frozen=True)
class Queued:
    """The job waits for the device; ``position`` jobs are ahead of it."""

    position: int

    def words(self) -> str:
        """The wait in plain words for a status line."""
        jobs = "job" if self.position == 1 else "jobs"
        return f"Queued: {self.position} {jobs} ahead of you."


@dataclass(frozen=True)
class Working:
    """The job holds the device and does something it cannot count (reading the images)."""

    doing: str

    def words(self) -> str:
        return self.doing


@dataclass(frozen=True)
class Notice:
    """Something the user should know that changes nothing they must do."""

    text: str

    def words(self) -> str:
        return self.text


@dataclass(frozen=True)
class FrameProgress:
    """A clip's job after each frame: ``frame`` of ``frames`` painted, ``image`` the last one."""

    frame: int
    frames: int
    image: np.ndarray | None
    elapsed: float

    @property
    def steps(self) -> tuple[int, int]:
        return self.frame, self.frames

    def words(self) -> str:
        """ "Frame 120 of 300, about 20 s left", the time left from the pace so far."""
        eta = self.elapsed / self.frame * (self.frames - self.frame) if self.frame else math.inf
        left = time_left_words(eta)
        return f"Frame {self.frame} of {self.frames}" + (f", {left}" if left else "") + "."


@dataclass(frozen=True)
class Done:
    """The job's result. ``painted`` counts from the moment the job held the device to the
    result's bytes (encoding included); ``waited`` is the time in line before that.

    ``steps`` is how many steps a stepped job ran; ``last`` its last progress report.
    """

    result: Result
    painted: float
    waited: float = 0.0
    steps: int | None = None
    note: str = ""
    last: Any = None

    @property
    def image(self) -> np.ndarray | None:
        return self.result.image

    def words(self) -> str:
        """ "Done in 2.1 s.", with a wait worth saying apart: "Done in 2.1 s (waited 58 s).".

        The time is the job's own, from holding the device to the result's bytes.
        """
        work = f"in {duration_words(self.painted)}"
        text = f"Done: {self.steps} steps {work}" if self.steps is not None else f"Done {work}"
        if self.waited >= WAIT_WORTH_SAYING:
            text += f" (waited {duration_words(self.waited)})"
        return f"{text}. {self.note}".strip()


@dataclass(frozen=True)
class Stopped:
    """The job stopped (Stop, or its client went away); ``result`` is the last good one."""

    text: str
    result: Result | None = None
    last: Any = None

    @property
    def image(self) -> np.ndarray | None:
        return None if self.result is None else self.result.image

    def words(self) -> str:
        return self.text


@dataclass(frozen=True)
class Failed:
    """The job could not run or ended early: ``message`` is for the user as it is.

    ``error`` is the exception, for callers that raise it again (the Python API).
    """

    message: str
    error: BaseException | None = None

    def words(self) -> str:
        return f"Failed: {self.message}"


FINAL = (Done, Stopped, Failed)
"""The events that end a job's stream."""


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

    @property
    def steps(self) -> tuple[int, int]:
        return self.step, self.total_steps

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
