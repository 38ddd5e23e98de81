"""Keeping the content's colours while taking the stylised image's brushwork."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from nst.colors import keep_content_colors
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
