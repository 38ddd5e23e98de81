"""Loading every format we promise, refusing what we cannot use, resizing and saving."""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

from nst.errors import ImageError, InputError
from nst.images import (
    MAX_ASPECT_RATIO,
    MIN_SIDE,
    check_image,
    fit_longest_side,
    load_image,
    max_pixels,
    png_bytes,
    read_png_params,
    resize_to,
    save_png,
)
from tests.conftest import raw_png

RED = (220, 30, 40)


def solid(mode: str, color, size=(40, 30)) -> Image.Image:
    """A one-colour Pillow image of ``size`` (width, height)."""
    return Image.new(mode, size, color)


def saved(tmp_path: Path, image: Image.Image, name: str, **options) -> Path:
    path = tmp_path / name
    image.save(path, **options)
    return path


def assert_color(image: np.ndarray, color, shape=(30, 40), tolerance=6) -> None:
    assert image.dtype == np.uint8
    assert image.shape == (*shape, 3)
    mean = image.reshape(-1, 3).mean(axis=0)
    assert np.abs(mean - np.array(color)).max() <= tolerance, mean


# Formats -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("a.jpg", {"quality": 95}),
        ("a.png", {}),
        ("a.bmp", {}),
        ("a.tif", {}),
        ("a.gif", {}),
        pytest.param(
            "a.webp",
            {"quality": 95},
            marks=pytest.mark.skipif(not features.check("webp"), reason="no WebP support"),
        ),
    ],
)
def test_rgb_formats_load_as_uint8_rgb(tmp_path, name, options):
    path = saved(tmp_path, solid("RGB", RED), name, **options)
    assert_color(load_image(path), RED, tolerance=12)


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = saved(tmp_path, solid("CMYK", (0, 255, 255, 0)), "cmyk.jpg", quality=95)
    assert_color(load_image(path), (255, 0, 0))


def test_greyscale_and_one_bit(tmp_path):
    assert_color(load_image(saved(tmp_path, solid("L", 90), "grey.png")), (90, 90, 90), tolerance=0)
    assert_color(load_image(saved(tmp_path, solid("1", 1), "bits.png")), (255,) * 3, tolerance=0)


def test_sixteen_bit_grey_png_is_scaled_not_clipped_or_wrapped(tmp_path):
    array = np.full((30, 40), 0x4000, dtype=np.uint16)  # a quarter of full scale
    path = saved(tmp_path, Image.fromarray(array), "grey16.png")
    with Image.open(path) as image:
        assert image.mode.startswith("I")
    assert_color(load_image(path), (64, 64, 64), tolerance=1)


def test_sixteen_bit_rgb_png(tmp_path):
    row = b"\x00" + struct.pack(">HHH", 0x8080, 0x2020, 0xFFFF) * 40
    path = tmp_path / "rgb16.png"
    path.write_bytes(raw_png(40, 30, 16, 2, row * 30))
    assert_color(load_image(path), (128, 32, 255), tolerance=1)


def test_rgba_png_is_composited_on_white(tmp_path):
    image = solid("RGBA", (*RED, 255))
    image.paste((0, 0, 0, 0), (0, 0, 20, 30))  # left half fully transparent
    loaded = load_image(saved(tmp_path, image, "alpha.png"))
    assert_color(loaded[:, :20], (255, 255, 255), shape=(30, 20), tolerance=0)
    assert_color(loaded[:, 20:], RED, shape=(30, 20), tolerance=0)


def test_half_transparent_black_is_mid_grey(tmp_path):
    loaded = load_image(saved(tmp_path, solid("RGBA", (0, 0, 0, 128)), "half.png"))
    assert_color(loaded, (127, 127, 127), tolerance=1)


def test_greyscale_with_alpha(tmp_path):
    loaded = load_image(saved(tmp_path, solid("LA", (0, 0)), "la.png"))
    assert_color(loaded, (255, 255, 255), tolerance=0)


def test_palette_png_with_transparent_index(tmp_path):
    image = Image.new("P", (40, 30), 1)
    image.putpalette([0, 0, 0, *RED] + [0] * 762)
    image.paste(0, (0, 0, 40, 10))  # top third uses index 0, declared transparent
    loaded = load_image(saved(tmp_path, image, "palette.png", transparency=0))
    assert_color(loaded[:10], (255, 255, 255), shape=(10, 40), tolerance=0)
    assert_color(loaded[10:], RED, shape=(20, 40), tolerance=0)


def test_gif_gives_first_frame(tmp_path):
    frames = [solid("RGB", RED), solid("RGB", (0, 200, 0)), solid("RGB", (0, 0, 200))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)
    with Image.open(path) as image:
        assert image.n_frames == 3
    assert_color(load_image(path), RED, tolerance=12)


@pytest.mark.parametrize("kind", ["bytes", "file", "pil", "str"])
def test_other_source_kinds(tmp_path, kind):
    path = saved(tmp_path, solid("RGB", RED), "a.png")
    sources = {
        "bytes": lambda: path.read_bytes(),
        "file": lambda: io.BytesIO(path.read_bytes()),
        "pil": lambda: Image.open(io.BytesIO(path.read_bytes())),
        "str": lambda: str(path),
    }
    assert_color(load_image(sources[kind]()), RED, tolerance=0)


def test_caller_file_object_is_left_open(tmp_path):
    path = saved(tmp_path, solid("RGB", RED), "a.png")
    with path.open("rb") as file:
        load_image(file)
        assert not file.closed


def test_numpy_arrays():
    assert_color(load_image(np.full((30, 40), 7, np.uint8)), (7, 7, 7), tolerance=0)
    assert_color(load_image(np.full((30, 40, 3), 0.5, np.float32)), (128,) * 3, tolerance=0)
    rgba = np.zeros((30, 40, 4), np.uint8)  # transparent black
    assert_color(load_image(rgba), (255, 255, 255), tolerance=0)
    original = np.full((30, 40, 3), 9, np.uint8)
    loaded = load_image(original)
    loaded[:] = 0
    assert original.min() == 9, "the caller's array must not be changed"


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.full((30, 40, 3), 1.5), "[0, 1]"),
        (np.full((30, 40, 3), np.nan), "finite"),
        (np.full((30, 40, 3), 3, np.int64), "int64"),
        (np.zeros((30, 40, 2), np.uint8), "shape"),
    ],
)
def test_numpy_arrays_refused(array, words):
    with pytest.raises(ImageError, match=words.replace("[", r"\[")):
        load_image(array)


# EXIF orientation ----------------------------------------------------------


def upright() -> np.ndarray:
    """An image that looks different under every flip and rotation."""
    image = np.zeros((48, 80, 3), np.uint8)
    image[:24, :40] = (255, 0, 0)
    image[:24, 40:] = (0, 255, 0)
    image[24:, :40] = (0, 0, 255)
    image[24:, 40:] = (255, 255, 255)
    image[:8, :8] = (255, 255, 0)
    return image


# How a camera stores the upright picture for each EXIF orientation (TIFF 6.0 spec).
STORED = {
    1: lambda u: u,
    2: np.fliplr,
    3: lambda u: np.rot90(u, 2),
    4: np.flipud,
    5: lambda u: u.transpose(1, 0, 2),
    6: lambda u: np.rot90(u, 1),
    7: lambda u: np.rot90(np.flipud(u)),
    8: lambda u: np.rot90(u, -1),
}


@pytest.mark.parametrize("orientation", sorted(STORED))
def test_exif_orientation_comes_out_upright(tmp_path, orientation):
    stored = Image.fromarray(np.ascontiguousarray(STORED[orientation](upright())))
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = saved(tmp_path, stored, f"o{orientation}.jpg", quality=95, exif=exif)
    loaded = load_image(path)
    assert loaded.shape == upright().shape
    assert np.abs(loaded.astype(int) - upright()).mean() < 4


# Refusals ------------------------------------------------------------------


def refuse(source, *words: str) -> str:
    with pytest.raises(ImageError) as caught:
        load_image(source)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


def test_zero_bytes(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    refuse(path, "empty", "empty.jpg")
    refuse(b"", "empty")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("notes.jpg", "just some text, renamed\n"),
        ("page.png", "<!DOCTYPE html><html><body>Not found</body></html>"),
        ("logo.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"></svg>'),
    ],
)
def test_non_images(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    refuse(path, "not an image", "JPEG, PNG or WebP", name)
    refuse(path.read_bytes(), "not an image")


@pytest.mark.parametrize("name", ["cut.jpg", "cut.png"])
def test_truncated_files(tmp_path, name):
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = saved(tmp_path, Image.fromarray(noise), name).read_bytes()
    path = tmp_path / f"half-{name}"
    path.write_bytes(data[: len(data) // 2])
    refuse(path, "truncated")


@pytest.mark.parametrize("name", ["cut.jpg", "cut.png"])
def test_a_job_checks_images_from_their_headers_and_decodes_them_later(tmp_path, name):
    noise = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    data = saved(tmp_path, Image.fromarray(noise), name).read_bytes()
    sound, cut = check_image(data), check_image(data[: len(data) // 2])
    assert sound.shape == cut.shape == (48, 64)
    assert sound.source == data  # encoded bytes, not pixels
    assert sound.load().shape == (48, 64, 3)
    with pytest.raises(ImageError, match="truncated"):
        cut.load()
    with pytest.raises(ImageError, match="megapixels"):
        check_image(raw_png(9000, 9000, 8, 0, b"\x00" * 16))  # refused from its header


@pytest.mark.parametrize(("width", "height"), [(1, 1), (MIN_SIDE - 1, 200), (300, 8)])
def test_too_small(tmp_path, width, height):
    path = saved(tmp_path, solid("RGB", RED, (width, height)), "small.png")
    refuse(path, f"{width}×{height}", f"at least {MIN_SIDE}")


def test_thin_strip_refused_but_limit_ratio_accepted(tmp_path):
    refuse(saved(tmp_path, solid("L", 0, (20000, 20)), "strip.png"), "20000×20", "10:1")
    refuse(np.zeros((20, 201), np.uint8), "10:1")
    limit = int(20 * MAX_ASPECT_RATIO)
    assert load_image(np.zeros((20, limit), np.uint8)).shape == (20, limit, 3)


def test_an_upload_is_checked_from_its_header_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("NST_MAX_PIXELS", raising=False)
    whole = saved(tmp_path, solid("RGB", RED, (64, 64)), "whole.png")
    check_image(whole)
    cut = tmp_path / "cut.png"  # the header is whole: only decoding (load_image) finds the rest
    cut.write_bytes(whole.read_bytes()[:60])
    check_image(cut)
    (tmp_path / "notes.png").write_text("shopping list: eggs, flour\n")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "bomb.png").write_bytes(bomb_png(8_000, 8_000))  # 64 MP declared in 70 bytes
    for name, words in (
        ("notes.png", 'notes.png" is not an image Pillow can read'),
        ("empty.png", 'empty.png" is empty'),
        ("bomb.png", "8000×8000 pixels"),
    ):
        with pytest.raises(ImageError, match=words):
            check_image(tmp_path / name)


def test_missing_path(tmp_path):
    refuse(tmp_path / "nowhere.jpg", "No image file", "nowhere.jpg")
    refuse(tmp_path, "No image file")


def test_unsupported_source_type():
    refuse(42, "int")


def bomb_png(width: int, height: int) -> bytes:
    """A few dozen bytes that declare a huge RGB image."""
    return raw_png(width, height, 8, 2, b"\x00" * 16)


@pytest.mark.parametrize("side", [100_000, 8_000])
def test_decompression_bomb_is_refused_fast(tmp_path, monkeypatch, side):
    # 100000² trips Pillow's own guard; 8000² passes it but not ours.
    monkeypatch.delenv("NST_MAX_PIXELS", raising=False)
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png(side, side))
    assert path.stat().st_size < 200
    start = time.perf_counter()
    refuse(path, "large" if side > 10_000 else "megapixels")
    refuse(io.BytesIO(path.read_bytes()))
    assert time.perf_counter() - start < 1.0


def test_pillow_bomb_warning_becomes_our_error(monkeypatch):
    monkeypatch.setenv("NST_MAX_PIXELS", str(10**9))
    refuse(bomb_png(10_000, 10_000), "too large to decode safely")  # 100 MP > Pillow's 89 MP


def test_pixel_limit_from_environment(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("1", (10_000, 6_000), 1).save(path)  # 60 megapixels, a small file
    monkeypatch.delenv("NST_MAX_PIXELS", raising=False)
    assert max_pixels() == 40_000_000
    refuse(path, "10000×6000", "60.0 megapixels", "40 megapixels", "NST_MAX_PIXELS")
    monkeypatch.setenv("NST_MAX_PIXELS", "70000000")
    loaded = load_image(path)
    assert loaded.shape == (6_000, 10_000, 3)
    assert loaded[::500, ::500].min() == 255


# Resizing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "longest", "expected"),
    [
        ((100, 300), 512, (171, 512)),
        ((300, 100), 512, (512, 171)),
        ((600, 800), 256, (192, 256)),
        ((1000, 1000), 64, (64, 64)),
        ((30, 299), 100, (10, 100)),
        ((10, 100), 5, (1, 5)),
    ],
)
def test_fit_longest_side_keeps_aspect(shape, longest, expected):
    image = np.random.default_rng(1).integers(0, 256, (*shape, 3), dtype=np.uint8)
    resized = fit_longest_side(image, longest)
    assert resized.shape == (*expected, 3)
    assert resized.dtype == np.uint8


def test_fit_longest_side_keeps_content():
    image = np.zeros((60, 120, 3), np.uint8)
    image[:, 60:] = 255
    resized = fit_longest_side(image, 240)
    assert resized[:, :110].max() <= 5 and resized[:, 130:].min() >= 250


def test_resizing_to_the_same_size_returns_the_input():
    image = np.zeros((20, 30, 3), np.uint8)
    assert fit_longest_side(image, 30) is image
    assert resize_to(image, 20, 30) is image


def test_resize_to_exact_size():
    image = np.full((20, 30, 3), 77, np.uint8)
    resized = resize_to(image, 45, 17)
    assert resized.shape == (45, 17, 3)
    assert np.abs(resized.astype(int) - 77).max() <= 1


def test_resize_refuses_bad_arguments():
    with pytest.raises(InputError):
        fit_longest_side(np.zeros((20, 30, 3), np.uint8), 0)
    with pytest.raises(InputError):
        resize_to(np.zeros((20, 30, 3), np.uint8), 0, 5)
    with pytest.raises(ImageError, match="H×W×3"):
        resize_to(np.zeros((20, 30), np.uint8), 5, 5)


# Saving --------------------------------------------------------------------


def test_png_params_round_trip(tmp_path):
    image = np.random.default_rng(2).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    params = {
        "mode": "fast",
        "shares": (0.25, 0.75),
        "seed": np.int64(7),
        "strength": np.float32(0.5),
        "style": Path("styles/starry.jpg"),
        "note": "Überzug ✓",
    }
    path = save_png(image, tmp_path / "result.png", params)
    assert path == tmp_path / "result.png"
    assert np.array_equal(load_image(path), image)
    assert read_png_params(path) == {
        "mode": "fast",
        "shares": [0.25, 0.75],
        "seed": 7,
        "strength": 0.5,
        "style": "styles/starry.jpg",
        "note": "Überzug ✓",
    }
    assert png_bytes(image, params) == path.read_bytes()


def test_save_png_does_not_create_folders(tmp_path):
    with pytest.raises(OSError):
        save_png(np.zeros((20, 30, 3), np.uint8), tmp_path / "missing" / "r.png", {})


def test_read_png_params_without_chunk(tmp_path):
    path = saved(tmp_path, solid("RGB", RED), "plain.png")
    assert read_png_params(path) == {}
    with pytest.raises(ImageError, match="No image file"):
        read_png_params(tmp_path / "absent.png")


# A real photo, when the shared assets are present --------------------------


def test_real_photo(shared_image):
    image = load_image(shared_image("content/tubingen.jpg"))
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert image.std() > 20
    small = fit_longest_side(image, 256)
    assert max(small.shape[:2]) == 256
    ratio = image.shape[1] / image.shape[0]
    assert abs(small.shape[1] / small.shape[0] - ratio) < 0.02
