"""Classic mode's costs and their gradient, traced once per backbone and reused by every job.

All per-job state (the content and style targets, the regions of a mask, the
cost weights) lives in variables whose height and width may be unknown, so one
trace of :meth:`CostEvaluator.costs_and_gradient` serves every image size, with
or without a mask, and a new job only assigns new values.

The image is mirrored by the objective's margin before the network and the
features are cropped back to the image, so no feature near the border sees the
convolutions' zero padding: without it the border bands come out lighter or
darker than the picture inside them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf
from PIL import Image

from nst.caching import LRUCache, image_digest
from nst.classic import costs
from nst.classic.backbone import BackboneSpec, layer_stride, load_backbone, preprocess
from nst.classic.costs import DEFAULT_OBJECTIVE, Objective
from nst.events import WeightedCosts
from nst.images import fit_longest_side

STYLE_CACHE_SIZE = 24
"""Style targets kept per evaluator: the 8 gallery styles at 3 sizes, ~2.4 MB each."""
REGIONS = 2
"""A mask splits the picture between style 1 and style 2."""


def _dynamic_variable(channels: int, dtype: tf.DType, name: str) -> tf.Variable:
    shape = tf.TensorShape([1, None, None, channels])
    return tf.Variable(
        tf.zeros([1, 1, 1, channels], dtype), shape=shape, trainable=False, name=name
    )


def with_margin(image: tf.Tensor, margin: int) -> tf.Tensor:
    """``image`` with ``margin`` mirrored pixels around it, as context only.

    The mirrored copy passes no gradient: otherwise the pixels near a border,
    which appear twice, would be pulled twice as hard as the rest, and an
    optimiser that follows the gradient's size (L-BFGS) paints a band there.
    """
    padding = [[0, 0], [margin, margin], [margin, margin], [0, 0]]
    mirrored = tf.pad(image, padding, mode="SYMMETRIC")
    inside = tf.pad(image, padding)
    return inside + tf.stop_gradient(mirrored - inside)


def region_weights(share: np.ndarray, height: int, width: int) -> list[np.ndarray]:
    """Each region's weight per position of a ``height``×``width`` feature map.

    ``share`` is style 1's share per pixel. It is averaged down to the feature
    map, then each region is eroded by one position ("inside" propagation), so
    a feature whose window straddles both regions pulls toward neither.
    """
    image = Image.fromarray(share.astype(np.float32), mode="F")
    small = np.asarray(image.resize((width, height), Image.Resampling.BOX), np.float32)
    return [_erode(small), _erode(1.0 - small)]


def _erode(weights: np.ndarray) -> np.ndarray:
    """The minimum over each position's 3×3 neighbourhood."""
    padded = np.pad(weights, 1, mode="edge")
    height, width = weights.shape
    windows = [padded[y : y + height, x : x + width] for y in range(3) for x in range(3)]
    return np.minimum.reduce(windows)


class CostEvaluator:
    """A backbone, the current job's targets, and the traced costs and gradient of an image."""

    def __init__(self, spec: BackboneSpec, objective: Objective = DEFAULT_OBJECTIVE) -> None:
        self.spec = spec
        self.objective = objective
        self.in_use = threading.Lock()
        """Held by a job from setting its targets to its last step: the variables below, and
        the optimisers' state over them, belong to one job at a time, whatever line it came by."""
        self.model = load_backbone(spec, objective.layers)
        self.dtype = tf.float64 if spec.precision == "float64" else tf.float32
        *style_outputs, content_output = self.model.outputs
        self.strides = [layer_stride(name) for name in objective.layers]
        self.statistic_strides = [*self.strides[:-1], 1]
        """Where each style statistic is read: the style layers, then the pixels (colour)."""
        self.content_target = _dynamic_variable(content_output.shape[-1], self.dtype, "content")
        widths = [out.shape[-1] for out in style_outputs] + [4]
        self.style_targets = [
            [
                tf.Variable(tf.zeros([width] * 2, self.dtype), trainable=False)
                for _ in range(REGIONS)
            ]
            for width in widths
        ]
        """Per style statistic (:meth:`style_targets_for`): the (blended) target, then region
        2's when a mask is used."""
        self.region_masks = [
            [_dynamic_variable(1, self.dtype, f"region_{r}") for r in range(REGIONS)]
            for _ in widths
        ]
        self.region_shares = tf.Variable(tf.zeros([REGIONS], self.dtype), trainable=False)
        self.guided = tf.Variable(False, trainable=False, name="guided")
        self.content_weight = tf.Variable(0.0, dtype=self.dtype, trainable=False)
        self.style_weight = tf.Variable(0.0, dtype=self.dtype, trainable=False)
        self.tv_weight = tf.Variable(0.0, dtype=self.dtype, trainable=False)
        self.gram_cache: LRUCache[list[tf.Tensor]] = LRUCache(STYLE_CACHE_SIZE)
        image_spec = tf.TensorSpec([1, None, None, 3], self.dtype)
        self.costs_and_gradient = tf.function(self._costs_and_gradient, [image_spec])
        self.style_statistics = tf.function(self._style_statistics, [image_spec])
        self.content_features = tf.function(self._content_features, [image_spec])

    def features(self, image: tf.Tensor) -> tuple[list[tf.Tensor], tf.Tensor]:
        """Style layers' feature maps and the content layer's, cropped to the image."""
        margin = self.objective.margin
        outputs = self.model(preprocess(with_margin(image, margin)), training=False)
        cropped = []
        for features, stride in zip(outputs, self.strides, strict=True):
            edge = margin // stride
            height, width = tf.shape(features)[1], tf.shape(features)[2]
            inside = features[:, edge : height - edge, edge : width - edge, :]
            cropped.append(tf.cast(inside, self.dtype))
        *style, content = cropped
        return style, content

    def _style_statistics(self, image: tf.Tensor) -> list[tf.Tensor]:
        style = self.features(image)[0]
        return [costs.gram_matrix(f) for f in (*style, costs.with_one(image))]

    def _content_features(self, image: tf.Tensor) -> tf.Tensor:
        return self.features(image)[1]

    def style_targets_for(self, style: np.ndarray, longest: int) -> list[tf.Tensor]:
        """A uint8 style image's statistics at ``longest`` px, cached: each style layer's Gram
        matrix, then its colours' (:func:`costs.with_one`)."""

        def compute() -> list[tf.Tensor]:
            scaled = fit_longest_side(style, longest).astype(np.float32) / 255.0
            return self.style_statistics(tf.constant(scaled[None], self.dtype))

        return self.gram_cache.get((image_digest(style), longest), compute)

    def set_targets(
        self,
        content: np.ndarray,
        style_statistics: Sequence[Sequence[tf.Tensor]],
        cost_weights: tuple[float, float, float],
        share: np.ndarray | None = None,
    ) -> None:
        """The photo's content features, the style targets and the cost weights of a job.

        Without ``share`` (style 1's share per pixel), ``style_statistics`` holds one
        list of (already blended) statistics; with it, one list per style, each
        matched over its own region.
        """
        batch = tf.constant(content[None], self.dtype)
        self.content_target.assign(self.content_features(batch))
        for region, statistics in enumerate(style_statistics):
            for variable, target in zip(self.style_targets, statistics, strict=True):
                variable[region].assign(tf.cast(target, self.dtype))
        self.guided.assign(share is not None)
        if share is not None:
            self._set_regions(share)
        for variable, weight in zip(
            (self.content_weight, self.style_weight, self.tv_weight), cost_weights, strict=True
        ):
            variable.assign(weight)

    def _set_regions(self, share: np.ndarray) -> None:
        height, width = share.shape
        for variables, stride in zip(self.region_masks, self.statistic_strides, strict=True):
            weights = region_weights(share, height // stride, width // stride)
            for variable, region in zip(variables, weights, strict=True):
                variable.assign(tf.constant(region[None, ..., None], self.dtype))
        area = float(np.mean(share))
        self.region_shares.assign([area, 1.0 - area])

    def weighted_costs(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        """Content, style and TV costs, each times its weight, and their total."""
        features, content = self.features(image)
        style = [*features, costs.with_one(image)]
        # Variables are read outside the branches: a branch that reads a variable of
        # unknown shape breaks the gradient of tf.cond.
        targets = [[t.value() for t in layer] for layer in self.style_targets]
        masks = [[m.value() for m in layer] for layer in self.region_masks]
        shares = self.region_shares.value()
        style_cost = tf.cond(
            self.guided,
            lambda: self._regional_style_cost(style, targets, masks, shares),
            lambda: self._style_cost(style, targets),
        )
        weighted = {
            "content": self.content_weight * self.objective.mse(content, self.content_target),
            "style": self.style_weight * style_cost,
            "tv": self.tv_weight * tf.cast(self.objective.tv_cost(image), self.dtype),
        }
        return {**weighted, "total": tf.add_n(list(weighted.values()))}

    def _style_cost(self, style: list[tf.Tensor], targets: list[list[tf.Tensor]]) -> tf.Tensor:
        measures = self._measures()
        return self._combined(
            [
                measure(costs.gram_matrix(features), target[0])
                for measure, features, target in zip(measures, style, targets, strict=True)
            ]
        )

    def _regional_style_cost(
        self,
        style: list[tf.Tensor],
        targets: list[list[tf.Tensor]],
        masks: list[list[tf.Tensor]],
        shares: tf.Tensor,
    ) -> tf.Tensor:
        """Each region's statistics matched to its own style, weighted by the region's area.

        Every statistic is measured against the area-weighted blend of its two
        targets, so a mask that is the same everywhere gives exactly the
        gradient of the plain blend.
        """
        statistics = []
        for measure, features, pair, pair_masks in zip(
            self._measures(), style, targets, masks, strict=True
        ):
            scale = shares[0] * pair[0] + shares[1] * pair[1]
            terms = [
                shares[r] * measure(costs.guided_gram(features, pair_masks[r]), pair[r], scale)
                for r in range(REGIONS)
            ]
            statistics.append(tf.add_n(terms))
        return self._combined(statistics)

    def _measures(self) -> list[Callable[..., tf.Tensor]]:
        """How each style statistic is compared with its target: the layers, then colour."""
        return [self.objective.mse] * (len(self.region_masks) - 1) + [costs.colour_cost]

    def _combined(self, statistic_costs: list[tf.Tensor]) -> tf.Tensor:
        """The style layers' average cost, plus the colour term at its weight."""
        *layers, colour = statistic_costs
        cost = tf.add_n(layers) / len(layers)
        if not self.objective.colour_weight:
            return cost
        return cost + self.objective.colour_weight * colour

    def _costs_and_gradient(self, image: tf.Tensor) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(image)
            weighted = self.weighted_costs(image)
        return weighted, tape.gradient(weighted["total"], image)

    def traces(self) -> int:
        """How often the costs and gradient were traced (1 after any number of jobs and sizes)."""
        return self.costs_and_gradient.experimental_get_tracing_count()


def as_costs(weighted: dict[str, tf.Tensor]) -> WeightedCosts:
    """Traced costs as plain numbers."""
    return WeightedCosts(**{name: float(value) for name, value in weighted.items()})


_evaluators: dict[tuple[BackboneSpec, Objective], CostEvaluator] = {}
_lock = threading.Lock()


def get_evaluator(
    spec: BackboneSpec | None = None, objective: Objective = DEFAULT_OBJECTIVE
) -> CostEvaluator:
    """The process-wide evaluator for a backbone and objective (built on first use)."""
    spec = spec or BackboneSpec.from_env()
    with _lock:
        if (spec, objective) not in _evaluators:
            _evaluators[spec, objective] = CostEvaluator(spec, objective)
        return _evaluators[spec, objective]
