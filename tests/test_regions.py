"""Regional styles: a mask says where each style goes, in both modes."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.classic import stylize
from nst.classic.backbone import BackboneSpec
from nst.errors import ImageError
from nst.events import Progress
from nst.fast import stylize_fast
from nst.regions import BRUSH_COLOURS, feathered, job_regions, read_mask
from nst.settings import ClassicSettings, FastSettings
from tests.conftest import SHARED_VGG16, need

SHAPE = (48, 64)


def flat(colour: tuple[int, int, int], shape: tuple[int, int] = (64, 64), seed: int = 0):
    """A colour with a little texture, so the networks have something to match."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 12, (*shape, 3))
    return np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)


RED, BLUE = flat((200, 40, 40), seed=1), flat((40, 60, 200), seed=2)
GREY = flat((128, 128, 128), SHAPE, seed=3)


def halves(shape: tuple[int, int] = SHAPE) -> np.ndarray:
    """White on the left (style 1), black on the right (style 2)."""
    mask = np.zeros(shape, np.uint8)
    mask[:, : shape[1] // 2] = 255
    return mask


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def colour_distance(region: np.ndarray, style: np.ndarray) -> float:
    return float(np.linalg.norm(region.reshape(-1, 3).mean(0) - style.reshape(-1, 3).mean(0)))


# -- reading masks ---------------------------------------------------------------------------


def test_grey_levels_are_shares_and_any_size_is_fitted():
    mask = np.tile(np.linspace(0, 255, 32).astype(np.uint8), (16, 1))
    share = read_mask(png(mask), SHAPE, style_mix=0.5)
    assert share.shape == SHAPE
    assert share[:, 0].max() < 0.05 and share[:, -1].min() > 0.95
    assert np.all(np.diff(share[0]) >= -1e-6)


def test_brush_colours_are_regions_and_the_rest_keeps_the_mix():
    painted = np.full((*SHAPE, 3), 255, np.uint8)  # white paper: not a brush colour
    painted[:, :10] = BRUSH_COLOURS[0]
    painted[:, -10:] = BRUSH_COLOURS[1]
    share = read_mask(png(painted), SHAPE, style_mix=0.3)
    assert share[:, :10].min() == 1.0 and share[:, -10:].max() == 0.0
    np.testing.assert_allclose(share[:, 20:40], 0.3)


def test_transparent_strokes_leave_the_rest_to_the_mix():
    strokes = np.zeros((*SHAPE, 4), np.uint8)
    strokes[:5, :, :3] = BRUSH_COLOURS[1]
    strokes[:5, :, 3] = 255
    share = read_mask(png(strokes), SHAPE, style_mix=0.6)
    assert share[:5].max() == 0.0
    np.testing.assert_allclose(share[10:], 0.6)


def test_a_mask_that_is_no_image_is_refused():
    with pytest.raises(ImageError, match="not an image"):
        read_mask(b"my regions, in words", SHAPE, 0.5)


def test_feathering_is_smooth_and_uniform_masks_are_just_a_mix():
    share = read_mask(png(halves((200, 200))), (200, 200), 0.5)
    soft = feathered(share, 0.05)  # a Gaussian 10 px wide: its steepest slope is 0.04 per pixel
    assert np.abs(np.diff(share[100])).max() == 1.0
    assert np.abs(np.diff(soft[100])).max() <= 0.045
    assert soft[100, 0] == 1.0 and soft[100, -1] == 0.0
    empty = np.zeros((*SHAPE, 4), np.uint8)  # a painting with nothing painted
    assert job_regions(empty, SHAPE, 0.3, 0.02).uniform() == pytest.approx(0.3)
    assert job_regions(np.full(SHAPE, 255, np.uint8), SHAPE, 0.3, 0.02).uniform() == 1.0
    regions = job_regions(halves(), SHAPE, 0.3, 0.0)
    assert regions.uniform() is None and regions.share.shape == SHAPE


# -- classic mode ----------------------------------------------------------------------------

CLASSIC = ClassicSettings(
    size=64, iterations=40, preview_every=40, mask_feather=0.0, style_strength=7.0
)


def classic(mask=None, styles=(RED, BLUE), backbone=None, settings=CLASSIC) -> np.ndarray:
    events = stylize(GREY, list(styles), settings, mask=mask, backbone=backbone)
    return [e for e in events if isinstance(e, Progress)][-1].image


def test_classic_all_white_is_style_1_and_all_black_style_2():
    """Exact equality: a few steps show it as well as forty."""
    white, black = np.full(SHAPE, 255, np.uint8), np.zeros(SHAPE, np.uint8)
    short = replace(CLASSIC, iterations=6, preview_every=6)
    for mask, style in ((white, RED), (black, BLUE)):
        alone = classic(styles=(style,), settings=short)
        np.testing.assert_array_equal(classic(mask, settings=short), alone)


def test_classic_halves_take_their_own_styles_colours():
    """On the VGG16 stand-in: a random network's features hardly carry colour."""
    image = classic(halves(), backbone=BackboneSpec("vgg16", str(need(SHARED_VGG16))))
    left, right = image[:, :24], image[:, -24:]
    assert colour_distance(left, RED) < 0.7 * colour_distance(left, BLUE)
    assert colour_distance(right, BLUE) < 0.7 * colour_distance(right, RED)
    assert colour_distance(left, RED) < 0.7 * colour_distance(right, RED)
    assert colour_distance(right, BLUE) < 0.7 * colour_distance(left, BLUE)


# -- fast mode (the real models) -------------------------------------------------------------


def fast(magenta_dir: Path, mask=None, styles=(RED, BLUE), feather=0.0) -> np.ndarray:
    settings = FastSettings(size=128, mask_feather=feather)
    return stylize_fast(GREY, list(styles), settings, mask=mask, model=str(magenta_dir))


def test_fast_all_white_is_style_1_and_all_black_style_2(magenta_dir: Path):
    white, black = np.full(SHAPE, 255, np.uint8), np.zeros(SHAPE, np.uint8)
    np.testing.assert_array_equal(fast(magenta_dir, white), fast(magenta_dir, styles=(RED,)))
    np.testing.assert_array_equal(fast(magenta_dir, black), fast(magenta_dir, styles=(BLUE,)))


def test_fast_halves_take_their_own_styles_colours(magenta_dir: Path):
    image = fast(magenta_dir, halves())
    left, right = image[:, :48], image[:, -48:]
    assert colour_distance(left, RED) < 0.6 * colour_distance(left, BLUE)
    assert colour_distance(right, BLUE) < 0.6 * colour_distance(right, RED)


def test_fast_feathered_seam_has_no_step(magenta_dir: Path):
    """A flat photo: across the middle the seam adds no step to the paintings' own texture."""

    def largest_step(image: np.ndarray) -> float:
        columns = image.astype(np.float32).mean(axis=0)  # per channel, down each column
        middle = columns[len(columns) // 2 - 20 : len(columns) // 2 + 20]
        return float(np.abs(np.diff(middle, axis=0)).max())

    texture = max(largest_step(fast(magenta_dir, styles=(style,))) for style in (RED, BLUE))
    assert largest_step(fast(magenta_dir, halves())) > texture + 50  # a hard seam
    # The feathered blend itself climbs about 3 levels per column here; measured 10.3 against
    # a texture of 6.3 (int8 network), against over 56 for the hard seam.
    assert largest_step(fast(magenta_dir, halves(), feather=0.2)) <= texture + 5
