"""The three costs of a classic transfer, as small pure functions.

The network terms are scale-free: each layer's mean squared difference is
divided by the mean square of its own target, so multiplying a network's
activations by a constant (from any layer on) changes no cost at all, and the
default weights strike the same balance on VGG19, VGG16 or a fine-tuned
network. Every cost is a mean, so it does not depend on the image size either.
The style cost also holds a colour term on the pixels themselves (the palette's
mean and spread, :func:`colour_cost`), measured against the painting's own
spread of colour, which no network's scale reaches.
Features may arrive in bfloat16; costs are computed in float32 (float64 for a
float64 network).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

from nst.classic.backbone import CONTENT_LAYER, STYLE_LAYERS

MARGIN = 16
"""One block5 position: enough context that the border bands match the picture's."""
TINY = 1e-12
"""Guards divisions by a target or an area that is zero."""


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """Channel correlations of a [1, H, W, C] feature map, averaged over positions."""
    channels = tf.shape(features)[-1]
    flat = tf.reshape(features, [-1, channels])
    positions = tf.cast(tf.shape(flat)[0], flat.dtype)
    return tf.matmul(flat, flat, transpose_a=True) / positions


def guided_gram(features: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """Channel correlations over one region: positions weighted by ``weights`` [1, H, W, 1].

    Normalised by the region's area, so a small region's Gram is comparable to
    a whole painting's (Gatys et al. 2017, "Controlling Perceptual Factors").
    """
    channels = tf.shape(features)[-1]
    flat = tf.reshape(features, [-1, channels])
    mask = tf.reshape(tf.cast(weights, flat.dtype), [-1, 1])
    area = tf.maximum(tf.reduce_sum(mask), TINY)
    return tf.matmul(flat * mask, flat, transpose_a=True) / area


def relative_mse(value: tf.Tensor, target: tf.Tensor, scale: tf.Tensor | None = None) -> tf.Tensor:
    """Mean squared difference over the mean square of ``scale`` (default: the target).

    A common factor k on value and target cancels exactly.
    """
    reference = target if scale is None else scale
    return tf.reduce_mean(tf.square(value - target)) / tf.maximum(
        tf.reduce_mean(tf.square(reference)), TINY
    )


def raw_mse(value: tf.Tensor, target: tf.Tensor, scale: tf.Tensor | None = None) -> tf.Tensor:
    """Plain mean squared difference (published recipes; depends on the network's scale)."""
    del scale
    return tf.reduce_mean(tf.square(value - target))


def with_one(image: tf.Tensor) -> tf.Tensor:
    """The pixels of a [1, H, W, 3] image with a constant fourth channel of ones.

    Their Gram (plain or guided) holds the colours' mean (its last row) beside
    their second moments, so colour statistics blend between two paintings and
    split between two regions exactly as the style layers' Grams do.
    """
    return tf.concat([image, tf.ones_like(image[..., :1])], axis=-1)


def colour_cost(
    statistics: tf.Tensor, target: tf.Tensor, scale: tf.Tensor | None = None
) -> tf.Tensor:
    """How far the colours' mean and second moments are from the painting's (Grams of
    :func:`with_one`), relative to the spread of colour of ``scale`` (default: the target).

    The style layers match the painting's colour correlations only through
    features that mix them with texture, so a photo's large areas (a red tower,
    an orange suit) keep their colour; this term moves the palette itself. It is
    a squared difference of linear statistics, as the layers' costs are, so two
    regions' costs against a common ``scale`` add up as a blend's would.
    """
    reference = target if scale is None else scale
    mean = reference[3, :3]
    spread = reference[:3, :3] - mean[:, None] * mean[None, :]
    variance = tf.maximum(tf.reduce_mean(tf.linalg.diag_part(spread)), TINY)
    difference = statistics - target
    mean_cost = tf.reduce_sum(tf.square(difference[3, :3])) / variance
    moments_cost = tf.reduce_sum(tf.square(difference[:3, :3])) / tf.maximum(
        tf.reduce_sum(tf.square(spread)), TINY
    )
    return mean_cost + moments_cost


def total_variation_cost(image: tf.Tensor) -> tf.Tensor:
    """Mean squared difference of neighbouring pixels: penalises high-frequency noise."""
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return tf.reduce_mean(tf.square(dx)) + tf.reduce_mean(tf.square(dy))


@dataclass(frozen=True)
class Objective:
    """Which layers the costs read, how differences are measured, and how smoothness is.

    The default is this project's (scale-free, with a mirrored margin);
    another objective (say, a published recipe's layers, raw mean squares, TV
    term and no margin) lets a benchmark optimise exactly the loss it is
    judged by.
    """

    style_layers: tuple[str, ...] = STYLE_LAYERS
    content_layer: str = CONTENT_LAYER
    tv_cost: Callable[[tf.Tensor], tf.Tensor] = total_variation_cost
    mse: Callable[..., tf.Tensor] = relative_mse
    margin: int = MARGIN
    """Pixels mirrored around the image as context (a multiple of the deepest stride, 16);
    0 lets the network see its zero padding, as published recipes do."""
    colour_weight: float = 0.3
    """The colour term (:func:`colour_cost`) beside the style layers' average, inside the
    style cost; 0 leaves colour to the layers alone, as published recipes do."""

    @property
    def layers(self) -> tuple[str, ...]:
        """The backbone outputs the costs need: style layers, then the content layer."""
        return (*self.style_layers, self.content_layer)


DEFAULT_OBJECTIVE = Objective()
