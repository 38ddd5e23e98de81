"""The three costs of a classic transfer, as small pure functions.

Each default cost is a mean, so its size does not depend on the image size:
the same weights give the same balance at 64 px and at 1024 px. Features may
arrive in bfloat16; every cost is computed in float32.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

from nst.classic.backbone import CONTENT_LAYER, STYLE_LAYERS


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """Channel correlations of a [1, H, W, C] feature map, averaged over positions."""
    features = tf.cast(features, tf.float32)
    channels = tf.shape(features)[-1]
    flat = tf.reshape(features, [-1, channels])
    positions = tf.cast(tf.shape(flat)[0], tf.float32)
    return tf.matmul(flat, flat, transpose_a=True) / positions


def content_cost(features: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Mean squared difference of feature maps."""
    return tf.reduce_mean(tf.square(tf.cast(features, tf.float32) - target))


def style_cost(grams: list[tf.Tensor], targets: list[tf.Tensor]) -> tf.Tensor:
    """Mean squared Gram difference, averaged over layers."""
    costs = [tf.reduce_mean(tf.square(g - t)) for g, t in zip(grams, targets, strict=True)]
    return tf.add_n(costs) / len(costs)


def total_variation_cost(image: tf.Tensor) -> tf.Tensor:
    """Mean squared difference of neighbouring pixels: penalises high-frequency noise."""
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return tf.reduce_mean(tf.square(dx)) + tf.reduce_mean(tf.square(dy))


@dataclass(frozen=True)
class Objective:
    """Which layers the costs read and how smoothness is measured.

    The default is this project's; another objective (say, a published
    recipe's layers and TV term) lets a benchmark optimise exactly the loss it
    is judged by.
    """

    style_layers: tuple[str, ...] = STYLE_LAYERS
    content_layer: str = CONTENT_LAYER
    tv_cost: Callable[[tf.Tensor], tf.Tensor] = total_variation_cost

    @property
    def layers(self) -> tuple[str, ...]:
        """The backbone outputs the costs need: style layers, then the content layer."""
        return (*self.style_layers, self.content_layer)


DEFAULT_OBJECTIVE = Objective()
