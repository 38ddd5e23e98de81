"""Classic (Gatys et al.) transfer with one or two styles, as a generator of progress.

``stylize`` checks its inputs at once and returns an iterator; the work
happens while the caller iterates, inside the process-wide scheduler slot, so
a UI can stream previews and a Stop button can end the job between steps.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from nst.backbone import BackboneSpec
from nst.colors import keep_content_colors
from nst.engine import Engine, get_engine
from nst.errors import InputError
from nst.events import Progress, Queued
from nst.images import (
    check_longest_side,
    fit_longest_side,
    load_image,
    smallest_longest_side,
)
from nst.losses import DEFAULT_OBJECTIVE, Objective
from nst.scheduler import SCHEDULER, Scheduler
from nst.settings import INIT_CHOICES, ClassicSettings

MIN_STAGE_SIZE = 128
"""Coarse-to-fine never optimises below this size: features vanish on tiny images."""
MAX_STAGES = 3
QUEUE_POLL_SECONDS = 0.5


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


def _as_float(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) / 255.0


def _initial_image(init: str | np.ndarray, content: np.ndarray, seed: int) -> np.ndarray:
    """The first stage's starting point (an image, the content, or seeded noise), uint8."""
    if isinstance(init, np.ndarray):
        return init
    if init == "content":
        return content
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, content.shape, dtype=np.uint8)


def _resize_exact(image: np.ndarray, like: np.ndarray) -> np.ndarray:
    resized = tf.image.resize(image[None].astype(np.float32), like.shape[:2], method="bicubic")
    return np.clip(resized[0].numpy(), 0, 255).astype(np.uint8)


class ClassicJob:
    """One transfer: prepared inputs, and the loop that yields its progress."""

    def __init__(
        self,
        content: Any,
        styles: Sequence[Any],
        settings: ClassicSettings,
        cancel: threading.Event | None,
        scheduler: Scheduler,
        backbone: BackboneSpec | None,
        objective: Objective,
    ) -> None:
        if not 1 <= len(styles) <= 2:
            raise InputError(f"Give one or two style images, not {len(styles)}.")
        self.settings = settings.validated(len(styles))
        self.content = load_image(content)
        self.styles = [load_image(s) for s in styles]
        self.smallest_size = self._check_sizes()
        init = self.settings.init
        self.init: str | np.ndarray = init
        if init not in INIT_CHOICES:
            self.init = load_image(init)
        self.cancel = cancel or threading.Event()
        self.scheduler = scheduler
        self.backbone = backbone or BackboneSpec.from_env()
        self.objective = objective

    def _check_sizes(self) -> int:
        """Refuse sizes that would shrink an image below VGG's pooling; the least usable size."""
        s = self.settings
        check_longest_side(self.content, s.size)
        style_size = round(s.size * s.style_scale)
        for style in self.styles:
            check_longest_side(style, style_size, "style size (output size × style scale)")
        return max(
            smallest_longest_side(self.content),
            *(math.ceil(smallest_longest_side(style) / s.style_scale) for style in self.styles),
        )

    def run(self) -> Iterator[Queued | Progress]:
        with self.scheduler.ticket() as ticket:
            while not ticket.wait(QUEUE_POLL_SECONDS):
                if self.cancel.is_set():
                    return
                yield Queued(ticket.position)
            yield from self._optimise(get_engine(self.backbone, self.objective))

    def _stage_targets(self, engine: Engine, stage_content: np.ndarray, size: int) -> None:
        """Content features and the blended style Grams at one stage's size."""
        s = self.settings
        style_size = max(round(size * s.style_scale), 16)
        grams = [
            [weight * g for g in engine.style_targets_for(style, style_size)]
            for style, weight in zip(self.styles, s.style_weights, strict=True)
            if weight != 0
        ]
        blended = [tf.add_n(layer) for layer in zip(*grams, strict=True)]
        engine.set_targets(
            _as_float(stage_content), blended, (s.content_weight, s.style_weight, s.tv_weight)
        )

    def _optimise(self, engine: Engine) -> Iterator[Progress]:
        s = self.settings
        stages = plan_stages(s.size, s.iterations, s.multires, self.smallest_size)
        if self.init == "fast":
            from nst.fast import render_fast

            start_image = render_fast(self.content, self.styles, s.style_weights, stages[0].size)
        else:
            start_image = _initial_image(self.init, self.content, s.seed)
        started = time.perf_counter()
        step = 0
        costs = np.zeros(4)
        image = start_image
        for stage in stages:
            stage_content = fit_longest_side(self.content, stage.size)
            self._stage_targets(engine, stage_content, stage.size)
            engine.start(_as_float(_resize_exact(image, stage_content)), s.learning_rate)
            for _ in range(stage.iterations):
                if self.cancel.is_set():
                    yield self._event(engine, step, costs, started, "stopped")
                    return
                costs = engine.step().numpy()
                step += 1
                if step % s.preview_every == 0 and step < s.iterations:
                    yield self._event(engine, step, costs, started, "running")
            image = engine.current_image()
        yield self._event(engine, step, costs, started, "done")

    def _event(
        self, engine: Engine, step: int, costs: np.ndarray, started: float, state: str
    ) -> Progress:
        image = engine.current_image()
        if self.settings.preserve_colors:
            image = keep_content_colors(image, self.content)
        elapsed = time.perf_counter() - started
        return Progress(
            step=step,
            total_steps=self.settings.iterations,
            image=image,
            content_cost=float(costs[0]),
            style_cost=float(costs[1]),
            tv_cost=float(costs[2]),
            total_cost=float(costs[3]),
            elapsed=elapsed,
            iterations_per_second=step / elapsed if elapsed > 0 else 0.0,
            state=state,
        )


def stylize(
    content: Any,
    styles: Sequence[Any],
    settings: ClassicSettings = ClassicSettings(),
    *,
    cancel: threading.Event | None = None,
    scheduler: Scheduler = SCHEDULER,
    backbone: BackboneSpec | None = None,
    objective: Objective = DEFAULT_OBJECTIVE,
) -> Iterator[Queued | Progress]:
    """Check the inputs now; return an iterator that runs the transfer as it is consumed.

    ``content`` and each of the one or two ``styles`` may be anything
    :func:`nst.images.load_image` reads. While the job waits for the device the
    iterator yields :class:`Queued`; then :class:`Progress` every
    ``settings.preview_every`` steps and always a last one (state ``"done"``,
    or ``"stopped"`` once ``cancel`` is set). Closing the iterator early frees
    the device. ``objective`` picks the layers and TV cost (the project's by
    default).
    """
    return ClassicJob(content, styles, settings, cancel, scheduler, backbone, objective).run()
