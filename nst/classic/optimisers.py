"""How classic mode moves the pixels: Adam or L-BFGS, both bounded to [0, 1].

Both drive the evaluator's traced costs and gradient, so neither adds a trace
per image size. Each ``step()`` returns the weighted costs of the image it
started from, and ``image()`` the current picture.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

import numpy as np
import tensorflow as tf

from nst.classic.evaluator import CostEvaluator, as_costs
from nst.events import WeightedCosts

ADAM_BETA_1 = 0.9
ADAM_BETA_2 = 0.999
ADAM_EPSILON = 0.1
"""Adam's epsilon as a share of the image's RMS gradient: it damps steps where the gradient
vanishes, and being relative it does so alike at any image size and cost scale."""

TINY_GRADIENT = 1e-30
"""Keeps a step defined where every gradient is zero (nothing to do: no step)."""

LBFGS_HISTORY = 10
"""Curvature pairs L-BFGS keeps: jcjohnson's neural-style and torch.optim.LBFGS use 10-100."""
LBFGS_ARMIJO = 1e-4
LBFGS_BACKTRACKS = 5


class Optimiser(Protocol):
    """What the transfer loop needs from an optimiser."""

    def start(self, image: np.ndarray, learning_rate: float) -> None:
        """Begin at ``image`` (float H×W×3 in [0, 1]) with a fresh optimiser state."""

    def step(self) -> WeightedCosts:
        """One iteration; the costs of the image it started from."""

    def image(self) -> np.ndarray:
        """The current picture as uint8 H×W×3."""


def _dynamic_variable(dtype: tf.DType, name: str) -> tf.Variable:
    shape = tf.TensorShape([1, None, None, 3])
    return tf.Variable(tf.zeros([1, 1, 1, 3], dtype), shape=shape, trainable=False, name=name)


def _as_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


class Adam:
    """Adam on the pixels, then clipping to [0, 1]; the update is traced with the gradient."""

    def __init__(self, evaluator: CostEvaluator) -> None:
        self.evaluator = evaluator
        dtype = evaluator.dtype
        self.pixels = _dynamic_variable(dtype, "image")
        self.m = _dynamic_variable(dtype, "adam_m")
        self.v = _dynamic_variable(dtype, "adam_v")
        self.t = tf.Variable(tf.zeros([], dtype), trainable=False, name="adam_t")
        self.learning_rate = tf.Variable(tf.zeros([], dtype), trainable=False)
        self._step = tf.function(self._traced_step, input_signature=[])

    def start(self, image: np.ndarray, learning_rate: float) -> None:
        batch = tf.constant(image[None], self.evaluator.dtype)
        self.pixels.assign(batch)
        self.m.assign(tf.zeros_like(batch))
        self.v.assign(tf.zeros_like(batch))
        self.t.assign(0.0)
        self.learning_rate.assign(learning_rate)

    def _traced_step(self) -> dict[str, tf.Tensor]:
        weighted, gradient = self.evaluator.costs_and_gradient(self.pixels)
        t = self.t.assign_add(1.0)
        m = self.m.assign(ADAM_BETA_1 * self.m + (1 - ADAM_BETA_1) * gradient)
        v = self.v.assign(ADAM_BETA_2 * self.v + (1 - ADAM_BETA_2) * tf.square(gradient))
        m_hat = m / (1 - ADAM_BETA_1**t)
        v_hat = v / (1 - ADAM_BETA_2**t)
        epsilon = ADAM_EPSILON * tf.sqrt(tf.reduce_mean(v_hat)) + TINY_GRADIENT
        update = self.learning_rate * m_hat / (tf.sqrt(v_hat) + epsilon)
        self.pixels.assign(tf.clip_by_value(self.pixels - update, 0.0, 1.0))
        return weighted

    def step(self) -> WeightedCosts:
        return as_costs(self._step())

    def image(self) -> np.ndarray:
        return _as_uint8(self.pixels[0].numpy())

    def traces(self) -> int:
        """How often the step was traced (1 after any number of jobs and sizes)."""
        return self._step.experimental_get_tracing_count()


class LBFGS:
    """Projected L-BFGS with an Armijo backtracking line search (Nocedal & Wright, 7.2 and 3.1).

    The two-loop recursion runs on the free pixels (a pixel at 0 pushed lower,
    or at 1 pushed higher, is held for the step) and each trial point is
    clipped to [0, 1]. The first step, and any step after the curvature
    history is found useless, moves the pixels by ``learning_rate`` in RMS
    along the steepest descent. The history lives in NumPy, in float32 (for a
    float32 network): its dot products then cost about 2 % of one pass through
    the network at 512 px, against 20-50 % in float64.
    """

    def __init__(self, evaluator: CostEvaluator) -> None:
        self.evaluator = evaluator

    def start(self, image: np.ndarray, learning_rate: float) -> None:
        self.shape = image.shape
        self.dtype = np.float64 if self.evaluator.dtype == tf.float64 else np.float32
        self.x = image.astype(self.dtype).ravel()
        self.first_step = learning_rate
        self.pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=LBFGS_HISTORY)
        self.current: tuple[WeightedCosts, np.ndarray] | None = None

    def _evaluate(self, x: np.ndarray) -> tuple[WeightedCosts, np.ndarray]:
        batch = tf.constant(x.reshape(1, *self.shape), self.evaluator.dtype)
        weighted, gradient = self.evaluator.costs_and_gradient(batch)
        return as_costs(weighted), gradient.numpy().astype(self.dtype).ravel()

    def _direction(self, gradient: np.ndarray) -> np.ndarray:
        q = gradient.copy()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * s.dot(q)
            alphas.append(alpha)
            q -= alpha * y
        s, y, _ = self.pairs[-1]
        q *= s.dot(y) / y.dot(y)
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas), strict=True):
            q += (alpha - rho * y.dot(q)) * s
        return -q

    def step(self) -> WeightedCosts:
        if self.current is None:
            self.current = self._evaluate(self.x)
        costs, gradient = self.current
        x = self.x
        free = ~(((x <= 0) & (gradient > 0)) | ((x >= 1) & (gradient < 0)))
        projected = gradient * free
        direction = self._direction(projected) * free if self.pairs else None
        if direction is None or direction.dot(projected) >= 0:
            self.pairs.clear()
            rms = np.sqrt(np.mean(projected**2)) or 1.0
            direction = -projected * self.first_step / rms
        t = 1.0
        for _ in range(LBFGS_BACKTRACKS + 1):
            trial = np.clip(x + t * direction, 0.0, 1.0)
            trial_costs, trial_gradient = self._evaluate(trial)
            if trial_costs.total <= costs.total + LBFGS_ARMIJO * gradient.dot(trial - x):
                break
            t *= 0.5
        s, y = trial - x, trial_gradient - gradient
        sy = s.dot(y)
        if sy > 1e-10 * y.dot(y):
            self.pairs.append((s, y, 1.0 / sy))
        self.x, self.current = trial, (trial_costs, trial_gradient)
        return costs

    def image(self) -> np.ndarray:
        return _as_uint8(self.x.reshape(self.shape))


_optimisers: dict[tuple[CostEvaluator, str], Optimiser] = {}


def optimiser_for(evaluator: CostEvaluator, name: str) -> Optimiser:
    """The optimiser ``name`` over ``evaluator``; Adam's variables are made once per evaluator.

    A job holds ``evaluator.in_use`` while it steps, so one instance per evaluator serves all.
    """
    key = (evaluator, name)
    if key not in _optimisers:
        _optimisers[key] = Adam(evaluator) if name == "adam" else LBFGS(evaluator)
    return _optimisers[key]
