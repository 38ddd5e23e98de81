"""Classic mode's traced optimisation step, built once per backbone and reused by every job.

All per-job state lives in variables whose height and width are unknown, so
one trace of :meth:`ImageOptimiser.step` serves every image size and a new job
only assigns new values: no ops or variables are created per job.
"""

from __future__ import annotations

import threading

import numpy as np
import tensorflow as tf

from nst.caching import LRUCache, image_digest
from nst.classic import costs
from nst.classic.backbone import BackboneSpec, load_backbone, preprocess
from nst.classic.costs import DEFAULT_OBJECTIVE, Objective
from nst.events import WeightedCosts
from nst.images import fit_longest_side

IMAGE_SPEC = tf.TensorSpec([1, None, None, 3], tf.float32)
ADAM_BETA_1 = 0.9
ADAM_BETA_2 = 0.999
ADAM_EPSILON = 1e-3
"""Adam settings for pixels in [0, 1]; epsilon damps steps where gradients vanish."""
STYLE_CACHE_SIZE = 24
"""Style targets kept per optimiser: the 8 gallery styles at 3 stage sizes, ~2.4 MB each."""


def _dynamic_variable(channels: int, name: str, trainable: bool = False) -> tf.Variable:
    shape = tf.TensorShape([1, None, None, channels])
    return tf.Variable(tf.zeros([1, 1, 1, channels]), shape=shape, trainable=trainable, name=name)


class ImageOptimiser:
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
        self.content_weight = tf.Variable(0.0, trainable=False, name="content_weight")
        self.style_weight = tf.Variable(0.0, trainable=False, name="style_weight")
        self.tv_weight = tf.Variable(0.0, trainable=False, name="tv_weight")
        self.learning_rate = tf.Variable(0.0, trainable=False, name="learning_rate")
        self.gram_cache: LRUCache[list[tf.Tensor]] = LRUCache(STYLE_CACHE_SIZE)

    def features(self, image: tf.Tensor) -> tuple[list[tf.Tensor], tf.Tensor]:
        """Gram matrices of the style layers and the content layer's features (float32)."""
        *style_features, content = self.model(preprocess(image), training=False)
        return [costs.gram_matrix(f) for f in style_features], tf.cast(content, tf.float32)

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

        return self.gram_cache.get((image_digest(style), longest), compute)

    def weighted_costs(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        """Content, style and TV costs, each times its weight, and their total."""
        grams, content = self.features(image)
        weighted = {
            "content": self.content_weight * costs.content_cost(content, self.content_target),
            "style": self.style_weight * costs.style_cost(grams, self.style_targets),
            "tv": self.tv_weight * self.objective.tv_cost(image),
        }
        return {**weighted, "total": tf.add_n(list(weighted.values()))}

    @tf.function(input_signature=[])
    def step(self) -> dict[str, tf.Tensor]:
        """One Adam step on the image; returns the weighted costs before the step."""
        with tf.GradientTape() as tape:
            weighted = self.weighted_costs(self.image)
        gradient = tape.gradient(weighted["total"], self.image)
        t = self.adam_t.assign_add(1.0)
        m = self.adam_m.assign(ADAM_BETA_1 * self.adam_m + (1 - ADAM_BETA_1) * gradient)
        v = self.adam_v.assign(ADAM_BETA_2 * self.adam_v + (1 - ADAM_BETA_2) * tf.square(gradient))
        m_hat = m / (1 - ADAM_BETA_1**t)
        v_hat = v / (1 - ADAM_BETA_2**t)
        update = self.learning_rate * m_hat / (tf.sqrt(v_hat) + ADAM_EPSILON)
        self.image.assign(tf.clip_by_value(self.image - update, 0.0, 1.0))
        return weighted

    def run_step(self) -> WeightedCosts:
        """One step, its costs as plain numbers."""
        weighted = self.step()
        return WeightedCosts(**{name: float(value) for name, value in weighted.items()})

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
        cost_weights: tuple[float, float, float],
    ) -> None:
        """Content features of ``content``, the (already blended) style Grams and the
        content, style and TV cost weights."""
        self.content_target.assign(self.content_features(tf.constant(content[None], tf.float32)))
        for variable, gram in zip(self.style_targets, style_grams, strict=True):
            variable.assign(gram)
        for variable, weight in zip(
            (self.content_weight, self.style_weight, self.tv_weight), cost_weights, strict=True
        ):
            variable.assign(weight)

    def current_image(self) -> np.ndarray:
        """The image being optimised, as uint8 H×W×3."""
        return np.asarray(tf.round(self.image[0] * 255.0), dtype=np.uint8)

    def traces(self) -> int:
        """How often the step has been traced (1 after any number of jobs and sizes)."""
        return self.step.experimental_get_tracing_count()


_optimisers: dict[tuple[BackboneSpec, Objective], ImageOptimiser] = {}
_lock = threading.Lock()


def get_optimiser(
    spec: BackboneSpec | None = None, objective: Objective = DEFAULT_OBJECTIVE
) -> ImageOptimiser:
    """The process-wide optimiser for a backbone and objective (built on first use)."""
    spec = spec or BackboneSpec.from_env()
    with _lock:
        if (spec, objective) not in _optimisers:
            _optimisers[spec, objective] = ImageOptimiser(spec, objective)
        return _optimisers[spec, objective]
