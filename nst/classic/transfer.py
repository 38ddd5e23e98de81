"""Classic (Gatys et al.) transfer with one or two styles, as a generator of progress.

:class:`ClassicJob` is the job a line runs (:mod:`nst.jobs`); ``stylize``
checks its inputs at once and returns an iterator; the work happens while the
caller iterates, inside the process-wide scheduler slot, so a UI can stream
previews and a Stop button can end the job between steps.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import closing
from typing import Any

import numpy as np
import tensorflow as tf

from nst.classic.backbone import BackboneSpec
from nst.classic.costs import DEFAULT_OBJECTIVE, Objective
from nst.classic.evaluator import CostEvaluator, get_evaluator
from nst.classic.optimisers import Optimiser, optimiser_for
from nst.classic.stages import StageClock, plan_stages
from nst.colors import in_palette, keep_content_colors
from nst.errors import NSTError
from nst.events import Done, Failed, Progress, Queued, Stopped, WeightedCosts, Working
from nst.images import (
    ImageSource,
    check_image,
    check_longest_side,
    fit_longest_side,
    smallest_longest_side,
)
from nst.jobs import JobRequest, image_result, make_request
from nst.scheduler import LocalLine, Scheduler
from nst.settings import INIT_CHOICES, ClassicSettings

NO_COSTS = WeightedCosts(0.0, 0.0, 0.0, 0.0)


def _as_float(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) / 255.0


def _initial_image(
    init: str | np.ndarray,
    content: np.ndarray,
    seed: int,
    styles: Sequence[np.ndarray],
    shares: Sequence[float],
) -> np.ndarray:
    """The first stage's starting point (an image, the content, the content in the styles'
    colours, or seeded noise), uint8."""
    if isinstance(init, np.ndarray):
        return init
    if init == "content":
        return content
    if init == "palette":
        return in_palette(content, styles, shares)
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, content.shape, dtype=np.uint8)


def _resize_exact(image: np.ndarray, like: np.ndarray) -> np.ndarray:
    if image.shape == like.shape:
        return image
    resized = tf.image.resize(image[None].astype(np.float32), like.shape[:2], method="bicubic")
    return np.clip(np.rint(resized[0].numpy()), 0, 255).astype(np.uint8)


class ClassicJob:
    """One transfer: checked inputs, and the loop that decodes them and yields its progress.

    The images are checked from their headers when the job is made and
    decoded only once it holds the device, so a job waiting in line holds no
    pixels.
    """

    def __init__(
        self,
        request: JobRequest,
        backbone: BackboneSpec | None = None,
        objective: Objective = DEFAULT_OBJECTIVE,
    ) -> None:
        self.request = request
        self.settings = settings = request.settings
        count = len(request.styles)
        self.style_shares = settings.style_shares(count)
        self.regions = request.regions if count == 2 else None
        if self.regions is not None:
            self.style_shares = self.regions.shares(self.style_shares)
            if self.regions.uniform() is not None:
                self.regions = None  # a uniform map is a style mix: one blended target
        self.content_input = check_image(request.content)
        self.style_inputs = [check_image(s) for s in request.styles]
        self.smallest_size = self._check_sizes()
        init = settings.init
        self.init_input = None if init in INIT_CHOICES else check_image(init)
        self.backbone = backbone or BackboneSpec.from_env()
        self.objective = objective

    def _check_sizes(self) -> int:
        """Refuse sizes that would shrink an image below VGG's pooling; the least usable size."""
        s = self.settings
        check_longest_side(self.content_input, s.size)
        style_size = round(s.size * s.style_scale)
        for style in self.style_inputs:
            check_longest_side(style, style_size, "style size (output size × style scale)")
        return max(
            smallest_longest_side(self.content_input),
            *(
                math.ceil(smallest_longest_side(style) / s.style_scale)
                for style in self.style_inputs
            ),
        )

    def run(self, cancel: threading.Event) -> Iterator[Working | Progress | Done | Stopped]:
        """Decode, optimise (previews as Progress), then the result: Done, or Stopped."""
        started = time.perf_counter()
        yield Working("Reading the images…")
        self._decode()
        evaluator = get_evaluator(self.backbone, self.objective)
        with evaluator.in_use:
            for event in self._optimise(evaluator, cancel):
                if event.state == "running":
                    yield event
        result = image_result(self.request, event.image, **event.facts())
        if event.state == "done":
            yield Done(result, time.perf_counter() - started, steps=event.step, last=event)
        else:
            yield Stopped(event.words(), result, last=event)

    def _decode(self) -> None:
        """Decode the inputs, now that the job holds the device.

        The photo is never needed above the output size, so a larger one is
        scaled down at once: what every stage handles, TensorFlow's allocator
        included (it keeps what it has grown to), is bounded by the size. A
        start from the fast result keeps it whole: fast mode paints at its own
        working size, whatever the output's.
        """
        content = self.content_input.load()
        if max(content.shape[:2]) > self.settings.size and self.settings.init != "fast":
            content = fit_longest_side(content, self.settings.size)
        self.content = content
        self.target = fit_longest_side(content, self.settings.size)
        self.styles = [style.load() for style in self.style_inputs]
        self.init = self.settings.init if self.init_input is None else self.init_input.load()

    def _stage_targets(
        self, evaluator: CostEvaluator, stage_content: np.ndarray, size: int
    ) -> None:
        """Content features and style Grams at one stage's size: blended, or one per region."""
        s = self.settings
        style_size = max(round(size * s.style_scale), 16)
        grams = [evaluator.style_targets_for(style, style_size) for style in self.styles]
        share = None
        if self.regions is not None:
            share = self.regions.at(stage_content.shape[:2])
        else:
            weighted = [
                [w * g for g in layers]
                for layers, w in zip(grams, self.style_shares, strict=True)
                if w != 0
            ]
            grams = [[tf.add_n(layer) for layer in zip(*weighted, strict=True)]]
        evaluator.set_targets(_as_float(stage_content), grams, s.cost_weights(), share)

    def _optimise(self, evaluator: CostEvaluator, cancel: threading.Event) -> Iterator[Progress]:
        s = self.settings
        stages = plan_stages(s.size, s.iterations, s.multires, self.smallest_size)
        contents = [fit_longest_side(self.content, stage.size) for stage in stages]
        clock = StageClock(stages, [c.shape[0] * c.shape[1] for c in contents])
        optimiser = optimiser_for(evaluator, s.optimiser)
        if isinstance(self.init, str) and self.init == "fast":
            from nst.fast import render_fast

            start_image = render_fast(self.content, self.styles, self.style_shares, stages[0].size)
        else:
            start_image = _initial_image(
                self.init, self.content, s.seed, self.styles, self.style_shares
            )
        started = time.perf_counter()
        step = 0
        costs = NO_COSTS
        image = start_image
        for index, (stage, stage_content) in enumerate(zip(stages, contents, strict=True)):
            self._stage_targets(evaluator, stage_content, stage.size)
            optimiser.start(_as_float(_resize_exact(image, stage_content)), s.learning_rate)
            for done in range(stage.iterations):
                if cancel.is_set():
                    yield self._event(optimiser, step, costs, started, "stopped", index, stages)
                    return
                began = time.perf_counter()
                costs = optimiser.step()
                if done:  # a stage's first step also sets up its shape
                    clock.record(index, time.perf_counter() - began)
                step += 1
                if step % s.preview_every == 0 and step < s.iterations:
                    eta = clock.seconds_left(index, done + 1)
                    yield self._event(
                        optimiser, step, costs, started, "running", index, stages, eta
                    )
            image = optimiser.image()
        yield self._event(optimiser, step, costs, started, "done", len(stages) - 1, stages, 0.0)

    def _event(
        self,
        optimiser: Optimiser,
        step: int,
        costs: WeightedCosts,
        started: float,
        state: str,
        stage: int,
        stages: list,
        eta: float = float("inf"),
    ) -> Progress:
        image = optimiser.image()
        if state != "running":
            image = _resize_exact(image, self.target)
        if self.settings.preserve_colors:
            image = keep_content_colors(image, self.content)
        elapsed = time.perf_counter() - started
        return Progress(
            step=step,
            total_steps=self.settings.iterations,
            image=image,
            costs=costs,
            elapsed=elapsed,
            iterations_per_second=step / elapsed if elapsed > 0 else 0.0,
            state=state,
            stage=stage + 1,
            stage_count=len(stages),
            stage_size=stages[stage].size,
            eta=eta,
        )


def stylize(
    content: ImageSource,
    styles: Sequence[ImageSource],
    settings: ClassicSettings = ClassicSettings(),
    *,
    mask: ImageSource | None = None,
    cancel: threading.Event | None = None,
    scheduler: Scheduler | None = None,
    backbone: BackboneSpec | None = None,
    objective: Objective = DEFAULT_OBJECTIVE,
) -> Iterator[Queued | Progress]:
    """Check the inputs now; return an iterator that runs the transfer as it is consumed.

    The Python API's view of a classic job's stream (:mod:`nst.events`):
    ``content`` and each of the one or two ``styles`` may be anything
    :func:`nst.images.load_image` reads; ``mask`` (optional, with two styles)
    says where each style goes (see :mod:`nst.regions`). While the job waits
    for the device the iterator yields :class:`Queued`; then :class:`Progress`
    every ``settings.preview_every`` steps and always a last one (state
    ``"done"``, or ``"stopped"`` once ``cancel`` is set); an error is raised.
    Closing the iterator early frees the device. ``scheduler`` is the line to
    wait in (the process's by default); ``objective`` picks the layers and
    costs (the project's by default).
    """
    request = make_request("classic", content, styles, settings, mask)
    job = ClassicJob(request, backbone, objective)
    return progress_of(LocalLine(scheduler).submit(job, cancel))


def progress_of(events: Iterator[Any]) -> Iterator[Queued | Progress]:
    """A stream as Queued and Progress alone, the last Progress standing for the end."""
    with closing(events):
        for event in events:
            if isinstance(event, Queued | Progress):
                yield event
            elif isinstance(event, Done | Stopped) and event.last is not None:
                yield event.last
            elif isinstance(event, Failed):
                raise event.error or NSTError(event.message)
