"""What a job's status line says: plain words, time left rounded as people say it."""

from __future__ import annotations

import numpy as np
import pytest

from nst.events import Progress, Queued, WeightedCosts, duration_words, time_left_words


def progress(step: int, state: str = "running", speed: float = 0.5) -> Progress:
    return Progress(
        step=step,
        total_steps=200,
        image=np.zeros((4, 4, 3), np.uint8),
        costs=WeightedCosts(content=821.5, style=1297.0, tv=5.151, total=2123.0),
        elapsed=125.0,
        iterations_per_second=speed,
        state=state,
        eta=(200 - step) / speed if speed else float("inf"),  # as the job's clock would say
    )


def test_a_running_job_says_its_step_and_time_left_without_costs() -> None:
    words = progress(60).words()
    assert words == "Painting… step 60 of 200, about 5 min left"  # 140 steps at 0.5 it/s
    assert "2123" not in words and "it/s" not in words
    assert progress(1, speed=0.0).words() == "Painting… step 1 of 200"  # no speed yet


def test_a_finished_or_stopped_job_says_so() -> None:
    assert progress(200, "done").words() == "Done: 200 steps in 2 min 5 s."
    assert progress(60, "stopped").words() == (
        "Stopped at step 60 of 200 after 2 min 5 s; the last image is kept."
    )


def test_a_queued_job_counts_the_jobs_ahead() -> None:
    assert Queued(1).words() == "Queued: 1 job ahead of you."
    assert Queued(3).words() == "Queued: 3 jobs ahead of you."


@pytest.mark.parametrize(
    ("seconds", "taken", "left"),
    [
        (0.84, "0.8 s", "a few seconds left"),
        (42, "42 s", "about 40 s left"),
        (58, "58 s", "about 1 min left"),
        (185, "3 min 5 s", "about 3 min left"),
        (3590, "59 min 50 s", "about 1 h left"),
        (4850, "1 h 20 min", "about 1 h 21 min left"),
        (float("inf"), None, ""),
    ],
)
def test_durations_read_as_people_say_them(seconds: float, taken: str | None, left: str) -> None:
    if taken is not None:
        assert duration_words(seconds) == taken
    assert time_left_words(seconds) == left
