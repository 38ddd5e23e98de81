"""bench/quality.py: its figures measure what they claim, and its smoke run works end to end."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from bench import quality
from tests.conftest import SHARED_IMAGES, SHARED_VGG19, need, run_bench
from tests.test_classic import pattern


def test_a_picture_scores_as_its_own_photo():
    photo = pattern(96, 128, 3)
    smooth = quality.smooth_areas(photo)
    assert quality.content_kept(photo, photo) == pytest.approx(1.0)
    assert quality.edge_excess(photo, photo) == dict.fromkeys(quality.SIDES, 0.0)
    assert quality.speckle(photo, smooth) == quality.speckle(photo.copy(), smooth)


def test_a_lighter_border_band_shows_on_its_side_only():
    photo = np.full((64, 80, 3), 100, np.uint8)
    output = photo.copy()
    output[:, : quality.EDGE_BAND] += 20
    edges = quality.edge_excess(output, photo)
    assert edges["left"] == pytest.approx(20.0)
    assert edges["right"] == edges["top"] == edges["bottom"] == 0.0


def test_a_band_counts_only_beyond_what_the_photo_has():
    photo = np.full((64, 80, 3), 100, np.uint8)
    photo[:, : quality.EDGE_BAND] -= 10  # the photo's own darker left border
    flattened = np.full_like(photo, 100)  # painted over: no band at all
    kept = photo.copy()
    darker = photo.copy()
    darker[:, : quality.EDGE_BAND] -= 5  # 5 levels darker than the photo's border
    lighter = np.full_like(photo, 100)
    lighter[:, : quality.EDGE_BAND] += 4  # a light band where the photo had a dark one
    assert quality.edge_excess(flattened, photo)["left"] == 0.0
    assert quality.edge_excess(kept, photo)["left"] == 0.0
    assert quality.edge_excess(darker, photo)["left"] == pytest.approx(-5.0)
    assert quality.edge_excess(lighter, photo)["left"] == pytest.approx(4.0)


def test_colour_counts_the_way_from_the_photos_mean_to_the_paintings():
    photo = np.full((8, 8, 3), (100, 100, 100), np.uint8)
    paintings = [np.full((4, 4, 3), (200, 100, 0), np.uint8), np.full((4, 4, 3), 100, np.uint8)]
    target = quality.paintings_mean(paintings, (0.5, 0.5))
    np.testing.assert_allclose(target, (150, 100, 50))
    halfway = np.full_like(photo, (125, 100, 75))
    sideways = np.full_like(photo, (100, 150, 100))  # off the line: no progress along it
    assert quality.colour_moved(photo, photo, target) == 0.0
    assert quality.colour_moved(halfway, photo, target) == pytest.approx(0.5)
    assert quality.colour_moved(sideways, photo, target) == pytest.approx(0.0)


def test_colour_by_halves_counts_each_side_toward_its_own_painting():
    photo = np.full((6, 9, 3), 100, np.uint8)
    red, blue = np.full((2, 2, 3), (200, 0, 0), np.uint8), np.full((2, 2, 3), (0, 0, 200), np.uint8)
    right_way = photo.copy()
    right_way[:, :3], right_way[:, -3:] = red[0, 0], blue[0, 0]
    wrong_way = right_way[:, ::-1]
    assert quality.colour_by_halves(right_way, photo, [red, blue]) == pytest.approx(1.0)
    assert quality.colour_by_halves(wrong_way, photo, [red, blue]) < 0.5
    assert (
        quality.halves_mask(photo)[:, :4].min() == 255
        and quality.halves_mask(photo)[:, 5:].max() == 0
    )


def test_coloured_noise_raises_speckle_and_lowers_nothing_else_much():
    photo = np.full((64, 64, 3), 128, np.uint8)
    rng = np.random.default_rng(0)
    noisy = np.clip(photo + rng.normal(0, 8, photo.shape), 0, 255).astype(np.uint8)
    smooth = quality.smooth_areas(photo)
    assert quality.speckle(photo, smooth) == 0.0
    assert quality.speckle(noisy, smooth) > 3.0
    assert quality.content_kept(noisy, photo) > 0.9


@pytest.mark.slow
def test_quality_quick_mode_runs(tmp_path):
    """Two tiny transfers on the shared VGG19, their table and their sheet (about 25 s)."""
    need(SHARED_VGG19)
    need(SHARED_IMAGES / "content" / "astronaut.png")
    sheet = tmp_path / "sheet.png"
    result = run_bench("quality.py", "--quick", "--sheet", str(sheet))
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.endswith(tuple("0123456789"))]
    runs = [line for line in rows if " adam " in line or " lbfgs " in line]
    assert len(runs) == len(quality.QUICK["pairs"])
    for line in runs:
        content, style, colour = (float(v) for v in line.split()[-10:-7])
        assert 0.0 < content <= 1.0 and -1.0 < style <= 1.0 and -1.0 < colour < 1.0
    assert "largest edge band difference" in result.stdout
    with Image.open(sheet) as image:
        assert image.width >= 3 * quality.TILE


def test_quality_says_what_is_missing(tmp_path):
    missing = tmp_path / "absent.weights.h5"
    result = run_bench("quality.py", "--weights", str(missing), timeout=120)
    assert result.returncode == 2
    assert str(missing) in result.stderr and "--weights" in result.stderr
