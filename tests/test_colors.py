"""Keeping the content's colours while taking the stylised image's brushwork, and the
photo in the paintings' colours as a start."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from nst.colors import in_palette, keep_content_colors
from nst.errors import ImageError


def luminance(image: np.ndarray) -> np.ndarray:
    return image.astype(float) @ np.array([0.299, 0.587, 0.114])


def hue_distance_from_red(image: np.ndarray) -> np.ndarray:
    """Per-pixel hue distance from pure red, in degrees."""
    hue = np.asarray(Image.fromarray(image).convert("HSV"))[..., 0] * (360 / 256)
    return np.minimum(hue, 360 - hue)


def blue_texture(shape=(40, 60)) -> np.ndarray:
    """Blue-ish brushwork with a clear luminance structure (stripes plus noise)."""
    rng = np.random.default_rng(3)
    stripes = 60 + 80 * (np.arange(shape[1]) // 6 % 2)
    level = np.clip(stripes[None, :] + rng.normal(0, 10, shape), 0, 200)
    return np.stack([level * 0.3, level * 0.6, level + 55], axis=-1).astype(np.uint8)


def red_content(shape=(40, 60)) -> np.ndarray:
    """Red shades from dark to light, top to bottom."""
    shade = np.linspace(90, 230, shape[0])[:, None] * np.ones(shape)
    return np.stack([shade, shade * 0.15, shade * 0.15], axis=-1).astype(np.uint8)


@pytest.mark.parametrize("match_luminance", [False, True])
def test_content_hue_with_stylised_luminance(match_luminance):
    stylized, content = blue_texture(), red_content()
    result = keep_content_colors(stylized, content, match_luminance=match_luminance)
    assert result.dtype == np.uint8 and result.shape == stylized.shape
    assert np.median(hue_distance_from_red(result)) < 15
    assert np.median(hue_distance_from_red(stylized)) > 100  # the input really was blue
    correlation = np.corrcoef(luminance(result).ravel(), luminance(stylized).ravel())[0, 1]
    assert correlation > 0.9


def test_plain_mode_keeps_stylised_luminance_exactly_where_in_gamut():
    stylized = blue_texture()
    content = np.full_like(stylized, (150, 120, 110))  # muted: little clipping
    result = keep_content_colors(stylized, content)
    assert np.abs(luminance(result) - luminance(stylized)).mean() < 1.5


def test_luminance_matching_takes_the_contents_brightness():
    stylized = (blue_texture() // 3).astype(np.uint8)  # a dark painting
    content = red_content()
    result = keep_content_colors(stylized, content, match_luminance=True)
    assert abs(luminance(result).mean() - luminance(content).mean()) < 8
    assert luminance(keep_content_colors(stylized, content)).mean() < luminance(result).mean()


def test_flat_stylised_image_does_not_divide_by_zero():
    stylized = np.full((20, 30, 3), 100, np.uint8)
    result = keep_content_colors(stylized, red_content((20, 30)), match_luminance=True)
    assert np.isfinite(result).all() and result.dtype == np.uint8


def test_same_image_is_unchanged():
    image = np.random.default_rng(4).integers(0, 256, (25, 35, 3), dtype=np.uint8)
    assert np.abs(keep_content_colors(image, image).astype(int) - image).max() <= 1


def test_grey_content_gives_grey_result():
    result = keep_content_colors(blue_texture(), np.full((40, 60, 3), 128, np.uint8))
    assert (result.max(axis=2).astype(int) - result.min(axis=2)).max() <= 1


def test_content_of_another_size_is_resized():
    stylized = blue_texture((40, 60))
    result = keep_content_colors(stylized, red_content((200, 300)))
    assert result.shape == stylized.shape
    assert np.median(hue_distance_from_red(result)) < 15


def test_refuses_non_rgb_arrays():
    with pytest.raises(ImageError):
        keep_content_colors(np.zeros((10, 10), np.uint8), np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ImageError):
        keep_content_colors(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 10, 3), np.float32))


def test_a_photo_in_the_palette_takes_the_paintings_colours_and_keeps_its_structure():
    rng = np.random.default_rng(0)
    red = np.zeros((40, 60, 3), np.uint8)
    red[..., 0] = np.clip(150 + 60 * np.sin(np.arange(60) / 4)[None, :], 0, 255)
    red[..., 1:] = rng.integers(20, 40, (40, 60, 2))
    blue = blue_texture((50, 50))
    recoloured = in_palette(red, [blue], [1.0])
    assert recoloured.shape == red.shape and recoloured.dtype == np.uint8
    # the painting's mean colour, within the rounding and the gamut's clipping
    assert np.abs(recoloured.reshape(-1, 3).mean(0) - blue.reshape(-1, 3).mean(0)).max() < 6
    assert np.median(hue_distance_from_red(recoloured)) > 120
    # the photo's pattern is still there: its luminance moves with the original's
    assert np.corrcoef(luminance(recoloured).ravel(), luminance(red).ravel())[0, 1] > 0.95


def test_two_paintings_mix_their_palettes_by_their_shares():
    dark = np.full((8, 8, 3), 40, np.uint8)
    light = np.full((8, 8, 3), 220, np.uint8)
    photo = blue_texture((20, 30))
    means = [in_palette(photo, [dark, light], [w, 1 - w]).mean() for w in (1.0, 0.5, 0.0)]
    assert means[0] < means[1] < means[2]
    assert abs(means[1] - 130) < 8  # halfway between the two paintings' levels
