"""Hostile and odd inputs through the library, the CLI and the app's HTTP API.

A corpus of broken, disguised, huge, tiny and unusual images is written once
per module; each case says what must come out of it: a result, or our own
:class:`~nst.errors.ImageError` / :class:`~nst.errors.InputError` with a
message a person can act on. Never a traceback, a hang or a memory spike, and
the app must still answer a normal request afterwards.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from nst.classic import stylize
from nst.errors import ImageError, InputError
from nst.events import Progress
from nst.fast import stylize_fast
from nst.images import load_image
from nst.settings import ClassicSettings, FastSettings
from tests.conftest import (
    REPO,
    SHARED_MAGENTA,
    live_app,
    png_chunk,
    raw_png,
    reset_peak_rss,
    rss_mb,
)

OK = "ok"
CASE_TIMEOUT_S = 60.0
"""No single hostile request may take longer than this: a hang fails the test."""
CLI_TIMEOUT_S = 420.0
"""For all CLI cases together: each starts TensorFlow, in parallel on a few shared cores."""
MEMORY_LIMIT_MB = 150
"""Peak RSS growth allowed while refusing a bomb or a 60 MP image (decoding one needs more)."""
TINY = ClassicSettings(size=32, iterations=2, preview_every=1, multires=False)


@dataclass(frozen=True)
class Case:
    """One corpus file and what must come of it: ``OK``, ImageError or InputError."""

    name: str
    file: str
    expect: str | type[Exception]
    words: str = ""
    """Part of the refusal message, so the test knows the error says the right thing."""
    shape: tuple[int, int] | None = None
    """(height, width) an accepted image must load as."""
    size: int | None = None
    """Output size for its transfers, where the tests' tiny one would leave under 16 px."""


def _encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _noise(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def _quadrants(width: int, height: int) -> np.ndarray:
    """Four flat colours, red top-left, so a wrong rotation or flip is obvious."""
    image = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    image[:h, :w] = (255, 0, 0)
    image[:h, w:] = (0, 255, 0)
    image[h:, :w] = (0, 0, 255)
    image[h:, w:] = (255, 255, 0)
    return image


# How each EXIF orientation stores an upright picture: the viewer undoes it.
STORED_AS: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, 1),
    7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
    8: lambda a: np.rot90(a, -1),
}
UPRIGHT = _quadrants(48, 32)


def _exif_jpeg(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = Image.fromarray(np.ascontiguousarray(STORED_AS[orientation](UPRIGHT)))
    return _encoded(stored, "JPEG", quality=95, exif=exif)


def _patched(data: bytes, marker: bytes, offset: int, value: bytes) -> bytes:
    """``data`` with ``value`` written ``offset`` bytes after the first ``marker``."""
    at = data.index(marker) + offset
    return data[:at] + value + data[at + len(value) :]


def _animated_gif() -> bytes:
    frames = [Image.new("RGB", (48, 40), colour) for colour in ("red", "green", "blue")]
    return _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)


def _palette_with_transparency() -> bytes:
    image = Image.new("P", (40, 40), 1)
    image.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    image.paste(0, (0, 0, 20, 20))
    return _encoded(image, "PNG", transparency=0)


def _sixteen_bit_grey() -> bytes:
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (48, 1))
    return _encoded(Image.fromarray(ramp), "PNG")


def _sixteen_bit_rgb() -> bytes:
    pixels = np.full((32, 32, 3), 40000, ">u2").tobytes()
    rows = b"".join(b"\x00" + pixels[i * 32 * 6 : (i + 1) * 32 * 6] for i in range(32))
    return raw_png(32, 32, 16, 2, rows)


def _text_bomb() -> bytes:
    """A valid PNG whose compressed text chunk inflates to 64 MB."""
    text = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * 64_000_000, 9))
    return raw_png(32, 32, 8, 0, b"".join(b"\x00" + b"\x80" * 32 for _ in range(32)), text)


def _corpus_files() -> dict[str, bytes | Callable[[Path], None]]:
    """File name → its bytes, or a writer for files too big to hold as bytes."""
    jpeg = _encoded(_noise(64, 48), "JPEG")
    png = _encoded(_noise(64, 48), "PNG")
    gif = _encoded(Image.new("P", (40, 40)), "GIF")
    files: dict[str, bytes | Callable[[Path], None]] = {
        "empty.jpg": b"",
        "notes.jpg": b"shopping list: eggs, flour, milk\n" * 20,
        "page.jpg": b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>",
        "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        b'<rect width="64" height="64" fill="red"/></svg>',
        "noise.png": np.random.default_rng(1).bytes(4096),
        "signature-only.png": b"\x89PNG\r\n\x1a\n",
        "cut.jpg": jpeg[: len(jpeg) // 2],
        "cut.png": png[: len(png) * 2 // 3],
        "dot.png": _encoded(Image.new("RGB", (1, 1), "red"), "PNG"),
        "thin.png": _encoded(Image.new("RGB", (15, 40), "red"), "PNG"),
        "strip.png": _encoded(Image.new("RGB", (20000, 20), "red"), "PNG"),
        "bomb.png": raw_png(100_000, 100_000, 8, 2, b"\x00" * 64),
        "bomb.jpg": _patched(jpeg, b"\xff\xc0", 5, struct.pack(">HH", 65500, 65500)),
        "bomb.gif": gif[:6] + struct.pack("<HH", 65535, 65535) + gif[10:],
        "header-81mp.png": raw_png(9000, 9000, 8, 0, b"\x00" * 64),
        "text-bomb.png": _text_bomb(),
        "60mp.png": lambda path: Image.new("L", (10_000, 6_000), 128).save(path),
        "animated.gif": _animated_gif(),
        "cmyk.jpg": _encoded(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG"),
        "grey16.png": _sixteen_bit_grey(),
        "rgb16.png": _sixteen_bit_rgb(),
        "palette-alpha.png": _palette_with_transparency(),
        "grey.jpg": _encoded(Image.new("L", (40, 30), 90), "JPEG"),
        "grey-alpha.png": _encoded(Image.new("LA", (40, 30), (90, 128)), "PNG"),
        "bilevel.png": _encoded(Image.new("1", (40, 30), 1), "PNG"),
        "float.tif": _encoded(Image.new("F", (40, 30), 0.5), "TIFF"),
        "photo.webp": _encoded(_noise(40, 30), "WEBP"),
        "photo.bmp": _encoded(_noise(40, 30), "BMP"),
        "smallest.png": _encoded(Image.new("RGB", (16, 16), "blue"), "PNG"),
        "widest.png": _encoded(Image.new("RGB", (160, 16), "blue"), "PNG"),
        "png-named.JPG": png,
        "été photo (1).jpg": jpeg,
    }
    for orientation in STORED_AS:
        files[f"exif-{orientation}.jpg"] = _exif_jpeg(orientation)
    return files


IMAGE_CASES = [
    Case("zero bytes", "empty.jpg", ImageError, "empty (0 bytes)"),
    Case("text renamed .jpg", "notes.jpg", ImageError, "not an image"),
    Case("HTML renamed .jpg", "page.jpg", ImageError, "not an image"),
    Case("SVG", "drawing.svg", ImageError, "not an image"),
    Case("random bytes", "noise.png", ImageError, "not an image"),
    Case("PNG signature only", "signature-only.png", ImageError, "JPEG, PNG or WebP"),
    Case("truncated JPEG", "cut.jpg", ImageError, "truncated"),
    Case("truncated PNG", "cut.png", ImageError, "truncated"),
    Case("1×1 image", "dot.png", ImageError, "at least 16 pixels"),
    Case("15 px wide", "thin.png", ImageError, "at least 16 pixels"),
    Case("20000×20 strip", "strip.png", ImageError, "10:1"),
    Case("PNG declaring 10 gigapixels", "bomb.png", ImageError, "too large"),
    Case("JPEG declaring 4 gigapixels", "bomb.jpg", ImageError, "too large"),
    Case("GIF declaring 4 gigapixels", "bomb.gif", ImageError, "too large"),
    Case("PNG declaring 81 megapixels", "header-81mp.png", ImageError, "megapixels"),
    Case("PNG with a 64 MB text chunk", "text-bomb.png", ImageError, "JPEG, PNG or WebP"),
    Case("60-megapixel image", "60mp.png", ImageError, "60.0 megapixels"),
    Case("animated GIF", "animated.gif", OK, shape=(40, 48)),
    Case("CMYK JPEG", "cmyk.jpg", OK, shape=(30, 40)),
    Case("16-bit grey PNG", "grey16.png", OK, shape=(48, 64)),
    Case("16-bit RGB PNG", "rgb16.png", OK, shape=(32, 32)),
    Case("palette PNG with transparency", "palette-alpha.png", OK, shape=(40, 40)),
    Case("greyscale JPEG", "grey.jpg", OK, shape=(30, 40)),
    Case("greyscale PNG with alpha", "grey-alpha.png", OK, shape=(30, 40)),
    Case("1-bit PNG", "bilevel.png", OK, shape=(30, 40)),
    Case("32-bit float TIFF", "float.tif", OK, shape=(30, 40)),
    Case("WebP", "photo.webp", OK, shape=(30, 40)),
    Case("BMP", "photo.bmp", OK, shape=(30, 40)),
    Case("16×16, the smallest allowed", "smallest.png", OK, shape=(16, 16)),
    Case("160×16, the thinnest allowed", "widest.png", OK, shape=(16, 160), size=160),
    Case("PNG named .JPG", "png-named.JPG", OK, shape=(48, 64)),
    Case("accents and spaces in the name", "été photo (1).jpg", OK, shape=(48, 64)),
    *(
        Case(f"EXIF orientation {n}", f"exif-{n}.jpg", OK, shape=UPRIGHT.shape[:2])
        for n in STORED_AS
    ),
]
BAD_IMAGES = [case for case in IMAGE_CASES if case.expect is not OK]
DAMAGED = {"cut.jpg", "cut.png"}
"""Sound headers, damaged pixels: refused when decoded, once a job holds the device."""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every corpus file, plus a good style image, written once into one folder."""
    folder = tmp_path_factory.mktemp("hostile")
    for name, content in _corpus_files().items():
        if callable(content):
            content(folder / name)
        else:
            (folder / name).write_bytes(content)
    _noise(48, 48, seed=7).save(folder / "style.png")
    _noise(64, 48, seed=8).save(folder / "photo.png")
    return folder


def _id(case: Case) -> str:
    return case.name


OK_IMAGES = [case for case in IMAGE_CASES if case.expect is OK]
BOMBS = ["bomb.png", "bomb.jpg", "bomb.gif", "header-81mp.png", "text-bomb.png", "60mp.png"]


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``'s result or exception; a failure if it has not returned after ``seconds``."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(call).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False)


def assert_readable(message: str, words: str) -> None:
    """The refusal names the problem in our words and leaks no internals."""
    assert words in message, message
    assert "Traceback" not in message and 'File "' not in message, message
    assert "/tmp" not in message, f"a server path leaked: {message}"


def assert_shape(image: np.ndarray, upright: tuple[int, int] | None, longest: int) -> None:
    """Longest side as asked, and the same orientation as the upright source."""
    assert upright is not None
    height, width = image.shape[:2]
    assert max(height, width) == longest
    assert np.sign(height - width) == np.sign(upright[0] - upright[1]), (image.shape, upright)


# ---------------------------------------------------------------- the library


@pytest.mark.parametrize("case", OK_IMAGES, ids=_id)
def test_library_classic_transfers_odd_images(corpus: Path, case: Case) -> None:
    settings = replace(TINY, size=case.size or TINY.size)
    events = within(
        CASE_TIMEOUT_S, lambda: list(stylize(corpus / case.file, [corpus / "style.png"], settings))
    )
    final = events[-1]
    assert isinstance(final, Progress) and final.state == "done"
    assert_shape(final.image, case.shape, settings.size)
    loaded = load_image(corpus / case.file)
    assert loaded.shape[:2] == case.shape and loaded.dtype == np.uint8


@pytest.mark.parametrize("case", OK_IMAGES, ids=_id)
def test_library_fast_transfers_odd_images(corpus: Path, case: Case, magenta_dir: Path) -> None:
    settings = FastSettings(size=case.size or 48)
    result = within(
        CASE_TIMEOUT_S,
        lambda: stylize_fast(
            corpus / case.file, [corpus / "style.png"], settings, model=str(magenta_dir)
        ),
    )
    assert_shape(result, case.shape, settings.size)


def result_or_input_error(call: Callable[[], Any]) -> None:
    """``call`` must finish or refuse with our InputError; anything else is a bug."""
    try:
        within(CASE_TIMEOUT_S, call)
    except InputError as error:
        assert_readable(str(error), "")


@pytest.mark.parametrize("role", ["content", "style"])
def test_library_classic_thin_image_at_a_small_size(corpus: Path, role: str) -> None:
    thin, good = corpus / "widest.png", corpus / "style.png"
    content, style = (thin, good) if role == "content" else (good, thin)
    with pytest.raises(InputError) as error:
        stylize(content, [style], TINY)  # 160×16 → 32×3
    assert_readable(str(error.value), "at least 160 px")


def test_library_classic_thin_image_at_default_coarse_to_fine(corpus: Path) -> None:
    # 160×16 at size 256 would start at a 128 px stage (a 13 px short side): it must not.
    settings = ClassicSettings(size=256, iterations=4, preview_every=2)
    result_or_input_error(
        lambda: list(stylize(corpus / "widest.png", [corpus / "style.png"], settings))
    )


def test_library_fast_refuses_a_thin_image_at_a_small_size(corpus: Path, magenta_dir: Path) -> None:
    settings = FastSettings(size=32)  # the size is checked once the model is loaded
    with pytest.raises(InputError) as error:
        stylize_fast(
            corpus / "widest.png", [corpus / "style.png"], settings, model=str(magenta_dir)
        )
    assert_readable(str(error.value), "choose a size of at least 160 px")


@pytest.mark.parametrize("case", BAD_IMAGES, ids=_id)
@pytest.mark.parametrize("role", ["content", "second style"])
def test_library_refuses_bad_images_in_its_own_words(corpus: Path, case: Case, role: str) -> None:
    bad, good = corpus / case.file, corpus / "style.png"
    content, styles = (bad, [good]) if role == "content" else (good, [good, bad])

    def classic() -> Any:
        job = stylize(content, styles, TINY)  # refuses at once what the header shows
        return list(job) if case.file in DAMAGED else job

    model = str(SHARED_MAGENTA) if SHARED_MAGENTA.exists() else None
    calls = {"classic": classic}
    if model or case.file not in DAMAGED:  # fast mode decodes once its model is loaded
        calls["fast"] = lambda: stylize_fast(content, styles, FastSettings(size=32), model=model)
    for mode, call in calls.items():
        with pytest.raises(case.expect) as error:
            within(CASE_TIMEOUT_S, call)
        message = str(error.value)
        assert_readable(message, case.words)
        assert case.file in message or "pixels" in message, f"{mode}: which image? {message}"


def test_refusing_bombs_and_huge_images_costs_little_memory(corpus: Path) -> None:
    style = corpus / "style.png"
    for name in BOMBS:
        reset_peak_rss()
        before, _ = rss_mb()
        started = time.perf_counter()
        with pytest.raises(ImageError):
            stylize(corpus / name, [style], TINY)
        with pytest.raises(ImageError):
            stylize_fast(style, [corpus / name], FastSettings(size=32))
        assert time.perf_counter() - started < 2.0, name
        growth = rss_mb()[1] - before
        assert growth < MEMORY_LIMIT_MB, f"{name}: peak memory grew by {growth:.0f} MB"


NAN, INF = math.nan, math.inf
CLASSIC_PARAMETERS = [
    ("negative iterations", {"iterations": -3}, 1, "iterations must be between"),
    ("zero iterations", {"iterations": 0}, 1, "iterations must be between"),
    ("NaN iterations", {"iterations": NAN}, 1, "iterations must be a finite number"),
    ("huge iterations", {"iterations": 10**12}, 1, "iterations must be between"),
    ("fractional iterations", {"iterations": 2.5}, 1, "iterations must be a whole number"),
    ("infinite content weight", {"content_weight": INF}, 1, "content weight must be a finite"),
    ("negative style weight", {"style_weight": -1.0}, 1, "style weight must be between"),
    ("NaN learning rate", {"learning_rate": NAN}, 1, "learning rate must be a finite"),
    ("zero learning rate", {"learning_rate": 0.0}, 1, "learning rate must be between"),
    ("zero size", {"size": 0}, 1, "size must be between"),
    ("negative size", {"size": -64}, 1, "size must be between"),
    ("huge size", {"size": 10**9}, 1, "size must be between"),
    ("size as text", {"size": "big"}, 1, "size must be a number"),
    ("NaN style scale", {"style_scale": NAN}, 1, "style scale must be a finite"),
    ("negative seed", {"seed": -1}, 1, "seed must be between"),
    ("infinite preview interval", {"preview_every": INF}, 1, "preview every must be a finite"),
    ("negative style mix", {"style_mix": -1.0}, 2, "style mix must be between"),
    ("NaN style mix", {"style_mix": NAN}, 2, "style mix must be a finite"),
    ("style mix as a list", {"style_mix": [0.5, 0.5]}, 2, "style mix must be a number"),
    ("coarse to fine as text", {"multires": "no"}, 1, "multires must be true or false"),
    ("unknown start image", {"init": "nowhere.png"}, 1, "No image file was found"),
    ("empty start image", {"init": ""}, 1, "init must be one of"),
    ("no style", {}, 0, "one or two style images"),
    ("three styles", {}, 3, "one or two style images"),
]
FAST_PARAMETERS = [
    ("NaN strength", {"strength": NAN}, 1, "strength must be a finite number"),
    ("negative strength", {"strength": -0.5}, 1, "strength must be between"),
    ("strength above 1", {"strength": 2.0}, 1, "strength must be between"),
    ("zero size", {"size": 0}, 1, "size must be between"),
    ("infinite size", {"size": INF}, 1, "size must be a finite number"),
    ("style mix above 1", {"style_mix": 1.5}, 2, "style mix must be between"),
    ("no style", {}, 0, "one or two style images"),
]


@pytest.mark.parametrize(
    ("label", "options", "styles", "words"),
    CLASSIC_PARAMETERS,
    ids=[c[0] for c in CLASSIC_PARAMETERS],
)
def test_library_classic_refuses_bad_parameters(
    corpus: Path, label: str, options: dict[str, Any], styles: int, words: str
) -> None:
    with pytest.raises(InputError) as error:
        settings = replace(TINY, **options)
        stylize(corpus / "photo.png", [corpus / "style.png"] * styles, settings)
    assert_readable(str(error.value), words)


@pytest.mark.parametrize(
    ("label", "options", "styles", "words"), FAST_PARAMETERS, ids=[c[0] for c in FAST_PARAMETERS]
)
def test_library_fast_refuses_bad_parameters(
    corpus: Path, label: str, options: dict[str, Any], styles: int, words: str
) -> None:
    with pytest.raises(InputError) as error:
        stylize_fast(corpus / "photo.png", [corpus / "style.png"] * styles, FastSettings(**options))
    assert_readable(str(error.value), words)


def test_library_unknown_options_are_refused_by_name(corpus: Path) -> None:
    with pytest.raises(TypeError, match="bogus"):
        ClassicSettings(bogus=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="bogus"):
        stylize(corpus / "photo.png", [corpus / "style.png"], bogus=1)  # type: ignore[call-arg]


# ---------------------------------------------------------------- the command line

STYLE = ("--style", "style.png")
CLI_CASES: dict[str, tuple[list[str], str]] = {
    "zero bytes": (["empty.jpg", *STYLE], "is empty (0 bytes)"),
    "HTML as a style": (["photo.png", "--style", "page.jpg"], "not an image Pillow can read"),
    "decompression bomb": (["bomb.png", *STYLE], "too large to decode safely"),
    "20000×20 strip": (["strip.png", *STYLE], "differ by more than 10:1"),
    "NaN learning rate": (["photo.png", *STYLE, "--learning-rate", "nan"], "finite number"),
    "NaN iterations": (["photo.png", *STYLE, "--iterations", "nan"], "invalid int value"),
    "style mix above 1": (
        ["photo.png", *STYLE, *STYLE, "--style-mix", "2"],
        "style mix must be between",
    ),
    "unknown option": (["photo.png", *STYLE, "--colour-boost", "3"], "unrecognized arguments"),
}


@pytest.fixture(scope="module")
def cli_runs(
    corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[int, str, str]]:
    """Every CLI case at once, in parallel (each pays TensorFlow's start-up): code, out, err."""
    logs = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "NST_VGG_WEIGHTS": "random", "PYTHONPATH": str(REPO)}
    cases = {**CLI_CASES, "EXIF-rotated photo": (["exif-6.jpg", *STYLE], "")}
    running = {}
    for index, (label, (args, _)) in enumerate(cases.items()):
        out, err = logs / f"{index}.out", logs / f"{index}.err"
        command = [sys.executable, "-m", "nst", *args, "--size", "32", "--iterations", "2"]
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(
                [*command, "-o", str(logs / f"{index}.png")],
                cwd=corpus,
                env=env,
                stdout=stdout,
                stderr=stderr,
            )
        running[label] = (process, out, err)
    deadline = time.monotonic() + CLI_TIMEOUT_S
    results = {}
    for label, (process, out, err) in running.items():
        try:
            code = process.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
            err.write_text(err.read_text() + "\nkilled: no answer within the time limit")
        results[label] = (code, out.read_text(), err.read_text())
    return results


@pytest.mark.parametrize("label", CLI_CASES)
def test_cli_refuses_with_one_error_line(
    cli_runs: dict[str, tuple[int, str, str]], label: str
) -> None:
    code, _, stderr = cli_runs[label]
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert code == 2, stderr
    assert len(errors) == 1, stderr
    assert CLI_CASES[label][1] in errors[0]
    assert "Traceback" not in stderr


def test_cli_turns_an_exif_rotated_photo_upright(
    cli_runs: dict[str, tuple[int, str, str]],
) -> None:
    code, stdout, stderr = cli_runs["EXIF-rotated photo"]
    assert code == 0, stderr
    assert "saved" in stdout and "(32×21)" in stdout  # stored 32 wide × 48 high, shown 48 × 32


# ---------------------------------------------------------------- the app's HTTP API

ENDPOINT = "fast" if SHARED_MAGENTA.exists() else "classic"
"""Fast mode with the real models when present; else classic on the random backbone."""
NEEDS_MAGENTA = pytest.mark.skipif(
    not SHARED_MAGENTA.exists(), reason=f"fast mode needs the real models in {SHARED_MAGENTA}"
)
APP_OPTIONS: dict[str, Any] = {"size": 64} if ENDPOINT == "fast" else {"size": 64, "iterations": 1}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app, served in this process on a free port of 127.0.0.1; yields its URL.

    Its cache is private: Gradio names cached files by content, so two servers
    sharing /tmp/gradio delete each other's copies of the same corpus file.
    """
    with live_app(8) as (url, _):
        yield url


@pytest.fixture(scope="module")
def api(server: str) -> Client:
    return Client(server, verbose=False)


def run_app(api: Client, **inputs: Any) -> tuple[Any, ...]:
    """One job on :data:`ENDPOINT` at a tiny size; its final outputs, or AppError."""
    job = api.submit(**{**APP_OPTIONS, **inputs}, api_name=f"/{ENDPOINT}")
    return job.result(timeout=CASE_TIMEOUT_S)


@pytest.mark.parametrize("case", IMAGE_CASES, ids=_id)
def test_app_answers_every_image(api: Client, corpus: Path, case: Case) -> None:
    upload, style = handle_file(corpus / case.file), handle_file(corpus / "style.png")
    if case.expect is OK:
        size = case.size or APP_OPTIONS["size"]
        outputs = run_app(api, content=upload, style_1=style, size=size)
        status, png = outputs[1], outputs[-1]
        assert "Done" in status
        assert_shape(np.asarray(Image.open(png)), case.shape, size)
        return
    photo = handle_file(corpus / "photo.png")
    for inputs in ({"content": upload, "style_1": style}, {"content": photo, "style_1": upload}):
        with pytest.raises(AppError) as error:
            run_app(api, **inputs)
        assert_readable(str(error.value), case.words)


@pytest.mark.parametrize(
    "endpoint",
    [
        pytest.param("fast", marks=NEEDS_MAGENTA),
        "classic",
    ],
)
def test_app_refuses_a_thin_image_at_a_small_size(api: Client, corpus: Path, endpoint: str) -> None:
    with pytest.raises(AppError) as error:
        api.submit(
            content=handle_file(corpus / "widest.png"),
            style_1=handle_file(corpus / "style.png"),
            size=64,
            **({"iterations": 1} if endpoint == "classic" else {}),
            api_name=f"/{endpoint}",
        ).result(timeout=CASE_TIMEOUT_S)
    assert_readable(str(error.value), "choose a size of at least 160 px")


def test_app_refuses_bombs_with_bounded_memory(api: Client, corpus: Path) -> None:
    style = handle_file(corpus / "style.png")
    run_app(api, content=handle_file(corpus / "photo.png"), style_1=style)  # models loaded
    for name in BOMBS:
        reset_peak_rss()
        before, _ = rss_mb()
        with pytest.raises(AppError, match=r"pixels|too large|JPEG, PNG or WebP"):
            run_app(api, content=handle_file(corpus / name), style_1=style)
        growth = rss_mb()[1] - before
        assert growth < MEMORY_LIMIT_MB, f"{name}: peak memory grew by {growth:.0f} MB"


def raw_call(server: str, endpoint: str, values: dict[str, Any]) -> tuple[str, Any]:
    """Call ``endpoint`` as any HTTP client may, NaN and all: (last event, its data).

    gradio_client refuses to send NaN or infinity itself, but the server's
    JSON parser accepts them, so they are sent by hand here.
    """
    base = server.rstrip("/") + "/gradio_api"
    with httpx.Client(timeout=CASE_TIMEOUT_S) as http:
        info = http.get(f"{base}/info").json()["named_endpoints"][f"/{endpoint}"]
        data = []
        for parameter in info["parameters"]:
            value = values.get(parameter["parameter_name"], parameter.get("parameter_default"))
            if isinstance(value, Path):
                uploaded = http.post(f"{base}/upload", files=[("files", value.read_bytes())])
                meta = {"_type": "gradio.FileData"}
                value = {"path": uploaded.json()[0], "orig_name": value.name, "meta": meta}
            data.append(value)
        data += values.get("extra", [])
        call = http.post(
            f"{base}/call/{endpoint}",
            content=json.dumps({"data": data}),
            headers={"Content-Type": "application/json"},
        )
        answer = http.get(f"{base}/call/{endpoint}/{call.json()['event_id']}").text
    last = [block for block in answer.split("\n\n") if block.strip()][-1]
    fields = dict(line.split(": ", 1) for line in last.splitlines())
    return fields["event"], json.loads(fields["data"])


RAW_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("fast NaN strength", "fast", {"strength": NAN}, "strength must be a finite number"),
    ("fast -inf strength", "fast", {"strength": -INF}, "strength must be a finite number"),
    ("fast NaN size", "fast", {"size": NAN}, "size must be a finite number"),
    ("fast infinite size", "fast", {"size": INF}, "size must be a finite number"),
    ("fast negative size", "fast", {"size": -64}, "size must be between 16 and"),
    ("fast huge size", "fast", {"size": 1e12}, "size must be between 16 and"),
    (
        "fast NaN mix",
        "fast",
        {"style_2": Path("style.png"), "style_mix": NAN},
        "style mix must be a finite number",
    ),
    ("classic NaN iterations", "classic", {"iterations": NAN}, "iterations must be a finite"),
    ("classic zero iterations", "classic", {"iterations": 0}, "iterations must be between 1"),
    ("classic NaN size", "classic", {"size": NAN}, "size must be a finite number"),
    ("classic inf weight", "classic", {"content_weight": INF}, "content weight must be a finite"),
    ("classic NaN scale", "classic", {"style_scale": NAN}, "style scale must be a finite"),
    ("classic NaN preview", "classic", {"preview_every": NAN}, "preview every must be a finite"),
    ("classic huge seed", "classic", {"seed": 1e300}, "seed must be between 0 and"),
    ("classic init path", "classic", {"init": "/etc/passwd"}, "init must be one of content"),
]


@pytest.mark.parametrize(
    ("endpoint", "values", "words"),
    [
        pytest.param(*case[1:], id=case[0], marks=NEEDS_MAGENTA if case[1] == "fast" else ())
        for case in RAW_CASES
    ],
)
def test_app_refuses_bad_numbers_sent_over_http(
    server: str, corpus: Path, endpoint: str, values: dict[str, Any], words: str
) -> None:
    values = {
        "content": corpus / "photo.png",
        "style_1": corpus / "style.png",
        "size": 64,
        "iterations": 1,
        **{k: corpus / v if isinstance(v, Path) else v for k, v in values.items()},
    }
    event, data = raw_call(server, endpoint, values)
    assert event == "error"
    assert isinstance(data["error"], str), f"no message at all: {data}"
    assert_readable(data["error"], words)


MALFORMED_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("size as text", "fast", {"size": "big"}),
    ("size null", "fast", {"size": None}),
    ("NaN seed", "classic", {"seed": NAN, "size": 64, "iterations": 1}),
    ("content as a server path", "fast", {"content": "/etc/passwd"}),
    ("style as a server file", "fast", {"style_1": {"path": "/etc/passwd"}}),
]


@pytest.mark.parametrize(
    ("endpoint", "values"), [c[1:] for c in MALFORMED_CASES], ids=[c[0] for c in MALFORMED_CASES]
)
def test_app_refuses_malformed_values_without_leaking(
    server: str, corpus: Path, endpoint: str, values: dict[str, Any]
) -> None:
    # Gradio's own input checks refuse these before the app runs: no message, but nothing leaks.
    files = {"content": corpus / "photo.png", "style_1": corpus / "style.png"}
    event, data = raw_call(server, endpoint, {**files, **values})
    assert event == "error"
    text = json.dumps(data)
    assert "Traceback" not in text and "root:x:" not in text


def test_app_ignores_extra_values_and_names_unknown_options(
    server: str, api: Client, corpus: Path
) -> None:
    files = {"content": corpus / "photo.png", "style_1": corpus / "style.png"}
    event, _ = raw_call(server, ENDPOINT, {**files, **APP_OPTIONS, "extra": ["bogus", 3]})
    assert event == "complete"
    with pytest.raises(TypeError, match="`colour_boost` is not a valid"):
        run_app(
            api,
            content=handle_file(files["content"]),
            style_1=handle_file(files["style_1"]),
            colour_boost=3,
        )


def test_app_uses_style_1_alone_when_style_2_is_missing(api: Client, corpus: Path) -> None:
    # style_mix 0 asks for style 2 only; with no style 2 the single style gets all the weight.
    _, status, *_ = run_app(
        api,
        content=handle_file(corpus / "photo.png"),
        style_1=handle_file(corpus / "style.png"),
        style_mix=0.0,
    )
    assert "Done" in status


def test_app_still_answers_a_normal_request_after_the_corpus(api: Client, corpus: Path) -> None:
    started = time.perf_counter()
    outputs = run_app(
        api, content=handle_file(corpus / "photo.png"), style_1=handle_file(corpus / "style.png")
    )
    status, png = outputs[1], outputs[-1]
    assert "Done" in status
    assert Image.open(png).size == (64, 48)
    assert time.perf_counter() - started < CASE_TIMEOUT_S
