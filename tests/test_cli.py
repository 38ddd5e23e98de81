"""``python -m nst`` end to end, in a subprocess as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.images import read_png_params
from tests.conftest import REPO


def nst(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NST_VGG_WEIGHTS": "random", "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "nst", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    paths = {}
    for name, shape in {"photo.jpg": (60, 90), "a.png": (64, 64), "b.png": (50, 70)}.items():
        paths[name] = tmp_path / name
        Image.fromarray(rng.integers(0, 256, (*shape, 3), dtype=np.uint8)).save(paths[name])
    (tmp_path / "notes.jpg").write_text("not a picture")
    return paths


def test_two_styles_make_a_png_with_its_parameters(tmp_path, images):
    out = tmp_path / "out.png"
    result = nst(
        str(images["photo.jpg"]),
        "--style",
        str(images["a.png"]),
        "--style",
        str(images["b.png"]),
        "--style-mix",
        "0.7",
        "--size",
        "48",
        "--iterations",
        "4",
        "--preview-every",
        "2",
        "-o",
        str(out),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stdout.splitlines() if line.startswith("step ")]
    assert len(progress) == 2 and "it/s" in progress[0] and "ETA" in progress[0]
    with Image.open(out) as saved:
        assert saved.format == "PNG" and saved.size == (48, 32)
    params = read_png_params(out)
    assert params["mode"] == "classic"
    assert params["styles"] == ["a.png", "b.png"]
    assert params["style_mix"] == pytest.approx(0.7)
    assert params["iterations"] == 4 and params["size"] == 48 and params["steps_done"] == 4


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["notes.jpg", "--style", "a.png"], "not an image"),
        (["photo.jpg", "--style", "a.png", "--iterations", "-3"], "iterations"),
        (["photo.jpg", "--style", "a.png", "--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, images, args, words):
    result = nst(*args, "-o", str(tmp_path / "x.png"), cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and words in lines[0].lower(), result.stderr
    assert "upload" not in lines[0]  # a command line is given files, not uploads
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_download_starts_quietly(tmp_path):
    """TensorFlow's native start-up lines (CUDA probes) stay out of ``download``'s output."""
    result = nst("download", "--check", cwd=tmp_path)
    assert "cuda" not in result.stderr.lower() and "E0000" not in result.stderr, result.stderr


@pytest.mark.parametrize("init", ["content", "palette", "noise", "fast", "an image"])
def test_every_start_image_runs(tmp_path, images, init, magenta_dir):
    """``--init`` takes each named start and an image path (once a crash on an array)."""
    start = str(images["b.png"]) if init == "an image" else init
    out = tmp_path / "out.png"
    env_models = {"NST_FAST_MODEL": str(magenta_dir)}
    result = nst(
        str(images["photo.jpg"]),
        "--style",
        str(images["a.png"]),
        "--size",
        "32",
        "--iterations",
        "2",
        "--init",
        start,
        "-o",
        str(out),
        cwd=tmp_path,
        env=env_models,
    )
    assert result.returncode == 0, result.stderr
    assert read_png_params(out)["init"] == start


def test_a_worker_needs_a_queue_and_names_its_device(tmp_path, monkeypatch):
    from nst.cli.worker import visible_devices

    monkeypatch.delenv("NST_QUEUE_URL", raising=False)
    result = nst("worker", cwd=tmp_path)
    assert result.returncode == 2 and "--queue" in result.stderr
    assert "Traceback" not in result.stderr
    assert visible_devices("GPU:1") == "1" and visible_devices("gpu:0") == "0"
    assert visible_devices("CPU") == "-1"
    with pytest.raises(ValueError, match="GPU:N"):
        visible_devices("cuda")
