"""The three costs of a classic transfer, as small pure functions.

Each cost is a mean, so its size does not depend on the image size: the same
weights give the same balance at 64 px and at 1024 px.
"""

from __future__ import annotations

import tensorflow as tf


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """Channel correlations of a [1, H, W, C] feature map, averaged over positions."""
    channels = tf.shape(features)[-1]
    flat = tf.reshape(features, [-1, channels])
    positions = tf.cast(tf.shape(flat)[0], features.dtype)
    return tf.matmul(flat, flat, transpose_a=True) / positions


def content_cost(features: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Mean squared difference of feature maps."""
    return tf.reduce_mean(tf.square(features - target))


def style_cost(grams: list[tf.Tensor], targets: list[tf.Tensor]) -> tf.Tensor:
    """Mean squared Gram difference, averaged over layers."""
    costs = [tf.reduce_mean(tf.square(g - t)) for g, t in zip(grams, targets, strict=True)]
    return tf.add_n(costs) / len(costs)


def total_variation_cost(image: tf.Tensor) -> tf.Tensor:
    """Mean squared difference of neighbouring pixels: penalises high-frequency noise."""
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return tf.reduce_mean(tf.square(dx)) + tf.reduce_mean(tf.square(dy))
