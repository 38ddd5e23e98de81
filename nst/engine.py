"""The traced optimisation step, built once per backbone and reused by every job.

All per-job state lives in variables whose height and width are unknown, so
one trace of :meth:`Engine.step` serves every image size and a new job only
assigns new values: no ops or variables are created per job.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from nst import losses
from nst.backbone import BackboneSpec, load_backbone, preprocess
from nst.images import fit_longest_side
from nst.losses import DEFAULT_OBJECTIVE, Objective

IMAGE_SPEC = tf.TensorSpec([1, None, None, 3], tf.float32)
ADAM_BETA_1 = 0.9
ADAM_BETA_2 = 0.999
ADAM_EPSILON = 1e-3
"""Adam settings for pixels in [0, 1]; epsilon damps steps where gradients vanish."""
STYLE_CACHE_SIZE = 24
"""Style targets kept per engine: the 8 gallery styles at 3 stage sizes, ~2.4 MB each."""

GramKey = tuple[str, tuple[int, ...], int]


def _dynamic_variable(channels: int, name: str, trainable: bool = False) -> tf.Variable:
    shape = tf.TensorShape([1, None, None, channels])
    return tf.Variable(tf.zeros([1, 1, 1, channels]), shape=shape, trainable=trainable, name=name)


def image_digest(image: np.ndarray) -> str:
    """A short fingerprint of an image's pixels, for cache keys."""
    return hashlib.blake2b(np.ascontiguousarray(image).data, digest_size=16).hexdigest()


class GramCache:
    """The most recently used style targets, so a repeated style skips its VGG pass."""

    def __init__(self, capacity: int = STYLE_CACHE_SIZE) -> None:
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[GramKey, list[tf.Tensor]] = OrderedDict()

    def get(self, key: GramKey, compute: Callable[[], list[tf.Tensor]]) -> list[tf.Tensor]:
        if key in self._entries:
            self.hits += 1
            self._entries.move_to_end(key)
            return self._entries[key]
        self.misses += 1
        value = self._entries[key] = compute()
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class Engine:
    """A backbone plus the variables and traced functions of one transfer at a time."""

    def __init__(self, spec: BackboneSpec, objective: Objective = DEFAULT_OBJECTIVE) -> None:
        self.spec = spec
        self.objective = objective
        self.model = load_backbone(spec, objective.layers)
        *style_outputs, content_output = self.model.outputs
        self.image = _dynamic_variable(3, "image", trainable=True)
        self.adam_m = _dynamic_variable(3, "adam_m")
        self.adam_v = _dynamic_variable(3, "adam_v")
        self.adam_t = tf.Variable(0.0, trainable=False, name="adam_t")
        self.content_target = _dynamic_variable(content_output.shape[-1], "content_target")
        self.style_targets = [
            tf.Variable(tf.zeros([out.shape[-1]] * 2), trainable=False, name=f"gram_{name}")
            for name, out in zip(objective.style_layers, style_outputs, strict=True)
        ]
        self.weights = tf.Variable(tf.zeros([3]), trainable=False, name="cost_weights")
        self.learning_rate = tf.Variable(0.0, trainable=False, name="learning_rate")
        self.gram_cache = GramCache()

    def features(self, image: tf.Tensor) -> tuple[list[tf.Tensor], tf.Tensor]:
        """Gram matrices of the style layers and the content layer's features (float32)."""
        *style_features, content = self.model(preprocess(image), training=False)
        return [losses.gram_matrix(f) for f in style_features], tf.cast(content, tf.float32)

    @tf.function(input_signature=[IMAGE_SPEC])
    def style_grams(self, image: tf.Tensor) -> list[tf.Tensor]:
        return self.features(image)[0]

    @tf.function(input_signature=[IMAGE_SPEC])
    def content_features(self, image: tf.Tensor) -> tf.Tensor:
        return self.features(image)[1]

    def style_targets_for(self, style: np.ndarray, longest: int) -> list[tf.Tensor]:
        """Gram matrices of a uint8 style image scaled to ``longest`` px, cached."""

        def compute() -> list[tf.Tensor]:
            scaled = fit_longest_side(style, longest).astype(np.float32) / 255.0
            return self.style_grams(tf.constant(scaled[None]))

        return self.gram_cache.get((image_digest(style), style.shape, longest), compute)

    def costs(self, image: tf.Tensor) -> tf.Tensor:
        """Weighted content, style and TV costs, and their total."""
        grams, content = self.features(image)
        raw = tf.stack(
            [
                losses.content_cost(content, self.content_target),
                losses.style_cost(grams, self.style_targets),
                self.objective.tv_cost(image),
            ]
        )
        weighted = raw * self.weights
        return tf.concat([weighted, [tf.reduce_sum(weighted)]], axis=0)

    @tf.function(input_signature=[])
    def step(self) -> tf.Tensor:
        """One Adam step on the image; returns the costs before the step."""
        with tf.GradientTape() as tape:
            costs = self.costs(self.image)
            total = costs[3]
        gradient = tape.gradient(total, self.image)
        t = self.adam_t.assign_add(1.0)
        m = self.adam_m.assign(ADAM_BETA_1 * self.adam_m + (1 - ADAM_BETA_1) * gradient)
        v = self.adam_v.assign(ADAM_BETA_2 * self.adam_v + (1 - ADAM_BETA_2) * tf.square(gradient))
        m_hat = m / (1 - ADAM_BETA_1**t)
        v_hat = v / (1 - ADAM_BETA_2**t)
        update = self.learning_rate * m_hat / (tf.sqrt(v_hat) + ADAM_EPSILON)
        self.image.assign(tf.clip_by_value(self.image - update, 0.0, 1.0))
        return costs

    def start(self, image: np.ndarray, learning_rate: float) -> None:
        """Set the image to optimise (float [0, 1], H×W×3) and reset the optimiser."""
        batch = tf.constant(image[None], tf.float32)
        self.image.assign(batch)
        self.adam_m.assign(tf.zeros_like(batch))
        self.adam_v.assign(tf.zeros_like(batch))
        self.adam_t.assign(0.0)
        self.learning_rate.assign(learning_rate)

    def set_targets(
        self,
        content: np.ndarray,
        style_grams: list[tf.Tensor],
        weights: tuple[float, float, float],
    ) -> None:
        """Content features of ``content`` and the (already blended) style Grams."""
        self.content_target.assign(self.content_features(tf.constant(content[None], tf.float32)))
        for variable, gram in zip(self.style_targets, style_grams, strict=True):
            variable.assign(gram)
        self.weights.assign(weights)

    def current_image(self) -> np.ndarray:
        """The image being optimised, as uint8 H×W×3."""
        return np.asarray(tf.round(self.image[0] * 255.0), dtype=np.uint8)

    def traces(self) -> int:
        """How often the step has been traced (1 after any number of jobs and sizes)."""
        return self.step.experimental_get_tracing_count()


_engines: dict[tuple[BackboneSpec, Objective], Engine] = {}
_lock = threading.Lock()


def get_engine(
    spec: BackboneSpec | None = None, objective: Objective = DEFAULT_OBJECTIVE
) -> Engine:
    """The process-wide engine for a backbone and objective (built on first use)."""
    spec = spec or BackboneSpec.from_env()
    with _lock:
        if (spec, objective) not in _engines:
            _engines[spec, objective] = Engine(spec, objective)
        return _engines[spec, objective]
