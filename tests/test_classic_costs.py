"""Classic costs that don't depend on the network's scale, and regions that don't pull both ways."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from nst.classic import stylize
from nst.classic.backbone import BackboneSpec, load_backbone
from nst.classic.costs import (
    DEFAULT_OBJECTIVE,
    Objective,
    colour_cost,
    gram_matrix,
    guided_gram,
    raw_mse,
    relative_mse,
    with_one,
)
from nst.classic.evaluator import get_evaluator, region_weights
from nst.events import Progress
from nst.settings import ClassicSettings
from tests.test_classic import CONTENT, STYLE_A, STYLE_B, pattern

STEPS = 30
SETTINGS = ClassicSettings(size=64, iterations=STEPS, preview_every=STEPS)


def he_network(folder: Path, first_scaled: str, k: float) -> str:
    """A seeded He-normal VGG16 whose activations from ``first_scaled`` on are exactly k times.

    The layer's kernel and bias and every later bias are multiplied by k: ReLU
    and max pooling commute with a positive factor, so each later activation is
    k times the original's. The factor is applied to the float64 network once it
    is loaded, so no rounding to a float32 file blurs it. Returns the source of
    its :class:`BackboneSpec` (a file of its own, so the network is its own).
    """
    model = keras.applications.VGG16(include_top=False, weights=None)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel, bias = layer.get_weights()
            kernel = rng.normal(0, np.sqrt(2 / np.prod(kernel.shape[:-1])), kernel.shape)
            layer.set_weights([kernel, rng.normal(0, 0.1, bias.shape)])
    path = folder / f"vgg16_{first_scaled}_{k:g}.weights.h5"
    model.save_weights(path)
    network = load_backbone(BackboneSpec("vgg16", str(path), "float64"), DEFAULT_OBJECTIVE.layers)
    convs = [layer for layer in network.layers if isinstance(layer, keras.layers.Conv2D)]
    start = [layer.name for layer in convs].index(first_scaled)
    for index, layer in enumerate(convs[start:]):
        kernel, bias = layer.get_weights()
        layer.set_weights([kernel * (k if index == 0 else 1), bias * k])
    return str(path)


def result(weights: str, objective: Objective | None = None) -> np.ndarray:
    """The image after 30 steps, the network computing in float64.

    float64, because in float32 the rounding differences of any factor (even
    1 + 1e-6) grow through ReLU and pooling switches over 30 steps into a few
    levels: float32 cannot tell scale dependence from chaos.
    """
    spec = BackboneSpec("vgg16", weights, "float64")
    extra = {"objective": objective} if objective else {}
    events = stylize(CONTENT, [STYLE_A], SETTINGS, backbone=spec, **extra)
    return [e for e in events if isinstance(e, Progress)][-1].image.astype(np.float64)


SCALED = [("block1_conv1", 0.1), ("block3_conv1", 10.0)]
"""A smaller factor from the first layer on, a larger one from deep inside."""


@pytest.fixture(scope="module")
def networks(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, float], str]:
    folder = tmp_path_factory.mktemp("vgg")
    return {case: he_network(folder, *case) for case in [("block1_conv1", 1.0), *SCALED]}


@pytest.fixture(scope="module")
def reference(networks) -> np.ndarray:
    """The unscaled network's result, which every scaled one is compared with."""
    return result(networks["block1_conv1", 1.0])


@pytest.mark.parametrize(("first_scaled", "k"), SCALED)
def test_a_constant_factor_on_the_activations_changes_nothing(networks, reference, first_scaled, k):
    scaled = result(networks[first_scaled, k])
    assert np.abs(scaled - reference).mean() < 0.5


def test_raw_mean_squares_would_depend_on_the_scale(networks):
    raw = Objective(mse=raw_mse)
    unscaled = result(networks["block1_conv1", 1.0], raw)
    assert np.abs(result(networks["block1_conv1", 0.1], raw) - unscaled).mean() > 2.0


def test_relative_mean_square_cancels_a_common_factor():
    value, target = tf.constant([1.0, 2.0, 4.0]), tf.constant([2.0, 2.0, 3.0])
    for k in (1e-3, 7.0, 1e4):
        assert float(relative_mse(k * value, k * target)) == pytest.approx(
            float(relative_mse(value, target)), rel=1e-5
        )
    assert float(relative_mse(value, target, scale=2 * target)) == pytest.approx(
        float(relative_mse(value, target)) / 4, rel=1e-6
    )


def test_a_guided_gram_over_everything_is_the_plain_gram():
    features = tf.random.stateless_normal([1, 5, 7, 4], seed=(1, 2))
    np.testing.assert_allclose(
        guided_gram(features, tf.ones([1, 5, 7, 1])), gram_matrix(features), rtol=1e-5
    )
    left = np.zeros((1, 5, 7, 1), np.float32)
    left[:, :, :3] = 1
    only_left = gram_matrix(features[:, :, :3])
    np.testing.assert_allclose(guided_gram(features, left), only_left, rtol=1e-5)


def test_regions_are_eroded_so_no_feature_pulls_both_ways():
    share = np.zeros((32, 32), np.float32)
    share[:, :16] = 1.0
    first, second = region_weights(share, 8, 8)
    assert first.shape == second.shape == (8, 8)
    assert first[:, :3].min() == 1 and second[:, 5:].min() == 1
    assert first[:, 4:].max() == 0 and second[:, :4].max() == 0  # the seam's column is in neither
    assert (first + second <= 1).all()


def test_a_uniform_mask_has_the_gradient_of_the_plain_blend():
    """A painter left empty, or one colour everywhere, must change nothing."""
    engine = get_evaluator(BackboneSpec("vgg19", "random", "float32"))
    content = CONTENT.astype(np.float32) / 255
    grams = [engine.style_targets_for(s, 64) for s in (STYLE_A, STYLE_B)]
    blend = [[0.7 * a + 0.3 * b for a, b in zip(*grams, strict=True)]]
    image = tf.constant(content[None] * 0.9 + 0.05)
    gradients = []
    for targets, share in ((blend, None), (grams, np.full((60, 90), 0.7, np.float32))):
        engine.set_targets(content, targets, (1.0, 1.0, 0.0), share)
        gradients.append(engine.costs_and_gradient(image)[1].numpy())
    plain, regional = gradients
    assert np.linalg.norm(plain - regional) < 1e-4 * np.linalg.norm(plain)  # float32 rounding


def test_the_colour_cost_is_zero_only_at_the_paintings_mean_and_spread():
    painting = tf.constant(pattern(40, 50, 3)[None] / 255, tf.float32)
    target = gram_matrix(with_one(painting))
    assert float(colour_cost(target, target)) == 0.0
    shifted, flattened = painting * 0.8 + 0.1, 0.5 + 0.5 * (painting - 0.5)
    for other in (shifted, flattened, tf.reverse(painting, axis=[-1])):
        assert float(colour_cost(gram_matrix(with_one(other)), target)) > 0.05


def test_the_colour_term_takes_the_paintings_mean_colour():
    """On a random network the style layers alone take a grey photo a third of the way to a
    red painting's mean colour; the colour term takes it all the way (red over the other
    channels measured 34 and 132 levels; the painting's 118)."""
    grey = np.full((48, 64, 3), 128, np.uint8)
    red = np.clip(pattern(64, 64, 4) * 0.3 + [150, 20, 30], 0, 255).astype(np.uint8)

    def redness(objective: Objective) -> float:
        events = stylize(grey, [red], SETTINGS, objective=objective)
        image = [e for e in events if isinstance(e, Progress)][-1].image
        mean = image.reshape(-1, 3).mean(axis=0)
        return float(mean[0] - mean[1:].mean())

    without = redness(Objective(colour_weight=0.0))
    assert redness(DEFAULT_OBJECTIVE) > without + 40, without
