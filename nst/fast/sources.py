"""Where fast-mode models come from: sources, cached files, downloads, loaded models.

A source is ``lite`` (the published TFLite pair, downloaded once into the
cache), ``hub`` (the full TF-Hub SavedModel) or a folder holding either the
two TFLite files or a SavedModel. ``NST_FAST_MODEL`` picks the default.
Loaded models are kept for the life of the process.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nst import config
from nst.errors import ModelUnavailableError
from nst.fast.network import FastModel

LITE = "lite"
HUB = "hub"
HUB_HANDLE = "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"
_LITE_URL = "https://tfhub.dev/google/lite-model/magenta/arbitrary-image-stylization-v1-256"
LITE_FILES = {
    "style predictor": (
        "magenta_arbitrary-image-stylization-v1-256_int8_prediction_1.tflite",
        f"{_LITE_URL}/int8/prediction/1?lite-format=tflite",
    ),
    "transfer network": (
        "magenta_arbitrary-image-stylization-v1-256_int8_transfer_1.tflite",
        f"{_LITE_URL}/int8/transfer/1?lite-format=tflite",
    ),
}
"""Role → (cache file name, download URL) of the ``lite`` source.

The int8 transfer network, as TensorFlow Lite's own style-transfer example uses:
about 1.4 times as fast as the fp16 one on a CPU, and hard to tell from it by eye.
"""
QUANTIZED_NAMES = ("int8", "quantized")
"""Parts of a file name that mark a quantized (int8) network, preferred in a folder."""

DOWNLOAD_TIMEOUT_S = 60.0
"""Seconds without an answer from the server before a download gives up."""

DownloadProgress = Callable[[str, int, int], None]
"""Called as ``progress(file_name, bytes_done, bytes_total)``; total is 0 when unknown."""

_FOLDER_HELP = (
    "A folder source needs one *predict*.tflite and one *transfer*.tflite file "
    "(the Magenta style predictor and transfer network), or a SavedModel (saved_model.pb)."
)


@dataclass(frozen=True)
class ModelFile:
    """One file (or SavedModel folder) a source needs, and where it comes from."""

    role: str
    path: Path
    url: str | None = None

    @property
    def present(self) -> bool:
        if self.role == "SavedModel":
            return (self.path / "saved_model.pb").is_file()
        return self.path.is_file()


@dataclass(frozen=True)
class Source:
    """A resolved source: ``tflite`` files, or a ``savedmodel`` loaded by handle."""

    name: str
    kind: str
    files: tuple[ModelFile, ...]
    handle: str = ""


def resolve(source: str | None = None) -> Source:
    """The source ``source`` (default ``NST_FAST_MODEL``, else ``lite``) names."""
    name = (source or "").strip() or config.FAST_MODEL.text()
    if name.lower() == LITE:
        folder = config.cache_dir() / "magenta"
        files = tuple(
            ModelFile(role, folder / file_name, url)
            for role, (file_name, url) in LITE_FILES.items()
        )
        return Source(LITE, "tflite", files)
    if name.lower() == HUB:
        return Source(
            HUB, "savedmodel", (ModelFile("SavedModel", _hub_cache(), HUB_HANDLE),), HUB_HANDLE
        )
    folder = Path(name).expanduser().resolve()
    if not folder.is_dir():
        raise ModelUnavailableError(
            f"The fast-mode model source {name!r} is neither 'lite', 'hub' nor an existing "
            f"folder (set by the model option or NST_FAST_MODEL). {_FOLDER_HELP}"
        )
    if (folder / "saved_model.pb").is_file():
        return Source(str(folder), "savedmodel", (ModelFile("SavedModel", folder),), str(folder))
    predictor = _pick(folder, "predict", "")
    transfer = _pick(folder, "transfer", config.FAST_TRANSFER.text())
    return Source(
        str(folder),
        "tflite",
        (ModelFile("style predictor", predictor), ModelFile("transfer network", transfer)),
    )


def fast_model_files(source: str | None = None) -> list[tuple[str, Path, bool]]:
    """``(role, path, present)`` for each file a source needs (for ``download --check``)."""
    return [(f.role, f.path, f.present) for f in resolve(source).files]


def fetch_fast_model(
    source: str | None = None, progress: DownloadProgress | None = None
) -> list[Path]:
    """Download whatever the source lacks; the paths of its files once all are present."""
    return _fetch(resolve(source), progress)


def _fetch(spec: Source, progress: DownloadProgress | None) -> list[Path]:
    if spec.kind == "savedmodel" and spec.handle.startswith(("http://", "https://")):
        import tensorflow_hub as hub

        try:
            return [Path(hub.resolve(spec.handle))]
        except Exception as error:  # network and archive errors alike
            raise ModelUnavailableError(
                f"Could not download the TF-Hub model {spec.handle} into {spec.files[0].path} "
                f"({error}). Without internet, use NST_FAST_MODEL=lite or a local folder."
            ) from None
    missing = [file for file in spec.files if not file.present]
    if any(file.url is None for file in missing):
        raise ModelUnavailableError(f"{_missing_text(missing)} {_FOLDER_HELP}")
    for index, file in enumerate(missing):
        try:
            _download(str(file.url), file.path, progress)
        except _DownloadFailed as failed:
            raise ModelUnavailableError(
                f"Could not download the fast-mode model from {file.url} ({failed}). "
                f"{_missing_text(missing[index:])} Without internet, download them elsewhere "
                "and save them at those paths, or set NST_FAST_MODEL to a folder holding the "
                "Magenta *predict*.tflite and *transfer*.tflite files."
            ) from None
    return [file.path for file in spec.files]


def _missing_text(missing: list[ModelFile]) -> str:
    """One sentence naming every missing file, its download address if any, and its path."""
    named = "; ".join(
        f"the {file.role} {file.url}, to be saved as {file.path}"
        if file.url
        else f"the {file.role} {file.path}"
        for file in missing
    )
    return f"Missing: {named}."


class _DownloadFailed(Exception):
    """Why one download failed, for the message that names every missing file."""


def _download(url: str, path: Path, progress: DownloadProgress | None) -> None:
    """Fetch ``url`` into ``path`` through a temporary file, so ``path`` is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with (
            os.fdopen(handle, "wb") as out,
            urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as answer,
        ):
            total = int(answer.headers.get("Content-Length") or 0)
            done = 0
            while chunk := answer.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(path.name, done, total)
        with open(partial, "rb") as written:
            if written.read(8)[4:] != b"TFL3":
                raise _DownloadFailed("the answer is not a TFLite file")
        os.replace(partial, path)
    except (OSError, ValueError, http.client.HTTPException) as error:  # URLError is an OSError
        raise _DownloadFailed(error) from None
    finally:
        if os.path.exists(partial):
            os.remove(partial)


_MODELS: dict[Source, FastModel] = {}
_MODELS_LOCK = threading.Lock()


def load_fast_model(source: str | None = None) -> FastModel:
    """The model for ``source``, loaded (and downloaded if needed) once per process."""
    spec = resolve(source)
    with _MODELS_LOCK:
        if spec not in _MODELS:
            _MODELS[spec] = _load(spec)
        return _MODELS[spec]


def _load(spec: Source) -> FastModel:
    if spec.kind == "savedmodel":
        from nst.fast.savedmodel import HubModel

        return HubModel(spec.handle)
    from nst.fast.tflite import TFLiteModel

    predictor, transfer = _fetch(spec, None)
    return TFLiteModel(predictor, transfer)


def _pick(folder: Path, role: str, wanted: str) -> Path:
    """The ``*role*.tflite`` file in ``folder``: the one ``wanted`` names, else int8 first."""
    found = sorted(p for p in folder.glob("*.tflite") if role in p.name.lower())
    if wanted:
        chosen = [p for p in found if wanted.lower() in p.name.lower()]
        if not chosen:
            names = ", ".join(p.name for p in found) or "none"
            raise ModelUnavailableError(
                f"NST_FAST_TRANSFER={wanted!r} matches no *{role}*.tflite in {folder} "
                f"(found: {names})."
            )
        found = chosen
    found.sort(key=lambda p: not any(mark in p.name.lower() for mark in QUANTIZED_NAMES))
    return found[0] if found else folder / f"*{role}*.tflite"


def _hub_cache() -> Path:
    """Where ``tensorflow_hub`` keeps the downloaded TF-Hub model."""
    from tensorflow_hub import resolver

    digest = hashlib.sha1(HUB_HANDLE.encode("utf8")).hexdigest()
    return Path(resolver.tfhub_cache_dir(use_temp=True)) / digest
