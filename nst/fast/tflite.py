"""Magenta's TFLite pair: a style predictor and a transfer network.

Styles are mixed as 100-number style embeddings, so any blend costs one
pass of the transfer network; strength mixes in the photo's own embedding.
Interpreters are not thread-safe: each model serialises its own calls.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nst import config
from nst.caching import LRUCache, image_digest
from nst.errors import ModelUnavailableError
from nst.fast.network import FastModel
from nst.fast.pixels import run_padded, square_style
from nst.fast.resizable import with_input_size

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # the older runtime bundled with TensorFlow
    import tensorflow as tf

    Interpreter = tf.lite.Interpreter


EMBEDDING_CACHE_SIZE = 32
"""Style embeddings kept (100 floats each): a repeated style costs no predictor pass."""
KEPT_PIXELS = 400_000
"""Input pixels the transfer interpreters kept between calls may have in all (about 0.5 GB of
activations): the default brush's and a bold brush's, which paints at both sizes, fit
together at any aspect ratio; an interpreter at 1024 px (845 k pixels at 4:3) is kept alone."""


class _Transfer(NamedTuple):
    """A transfer interpreter allocated for one input shape, and its tensor indices."""

    shape: tuple[int, int]
    interpreter: Any
    content: int
    bottleneck: int
    output: int


class TFLiteModel(FastModel):
    """Style predictor + transfer network, mixing styles as embeddings."""

    mixes_embeddings = True
    blend_note = (
        "Styles are mixed as style embeddings, in one pass of the network; strength mixes in "
        "the photo's own embedding, then the photo itself."
    )

    def __init__(self, predictor: Path, transfer: Path) -> None:
        self.files = (predictor, transfer)
        self.embeddings: LRUCache[np.ndarray] = LRUCache(EMBEDDING_CACHE_SIZE)
        self._lock = threading.Lock()
        self._predictor = _interpreter(_read(predictor), predictor)
        self._predictor.allocate_tensors()
        style_input = _only(self._predictor.get_input_details(), predictor, "input")
        self._style_side = int(style_input["shape"][1])
        self._style_index = style_input["index"]
        embedding = _only(self._predictor.get_output_details(), predictor, "output")
        self._embedding_index = embedding["index"]
        self._embedding_size = int(np.prod(embedding["shape"]))
        self._transfer_path = transfer
        self._transfer_model = _read(transfer)
        self._transfers: OrderedDict[tuple[int, int], _Transfer] = OrderedDict()
        declared = _interpreter(self._transfer_model, transfer).get_input_details()
        content = _image_input(declared, transfer)
        with self._lock:  # checked at its declared size, then freed: jobs choose their own
            self._transfer_for(int(content["shape"][1]), int(content["shape"][2]))
            self._transfers.clear()

    def style_embedding(self, image: np.ndarray) -> np.ndarray:
        """The style embedding (float32, flat) of a uint8 image; cached by its pixels."""
        return self.embeddings.get(image_digest(image), lambda: self._predict(image))

    def transfer(self, content: np.ndarray, embedding: np.ndarray) -> np.ndarray:
        """``content`` (uint8) restyled by ``embedding``: float H×W×3, the content's size."""
        return run_padded(lambda batch: self._run(batch, embedding), content)

    def paint(
        self,
        content: np.ndarray,
        styles: Sequence[np.ndarray],
        shares: Sequence[float],
        strength: float,
    ) -> np.ndarray:
        return self.painter(styles, shares, strength, content)(content)

    def painter(
        self,
        styles: Sequence[np.ndarray],
        shares: Sequence[float],
        strength: float,
        photo: np.ndarray,
    ) -> Callable[[np.ndarray], np.ndarray]:
        """One embedding for every picture: the styles' mix, and ``photo``'s own below
        full strength."""
        embedding = sum(
            share * self.style_embedding(style)
            for style, share in zip(styles, shares, strict=True)
            if share > 0
        )
        if strength < 1:
            embedding = strength * embedding + (1 - strength) * self.style_embedding(photo)
        return lambda content: self.transfer(content, embedding)

    def painted_weight(self, strength: float) -> float:
        """s(2 − s): with the embedding mix, the distance from the photo grows in roughly
        equal steps (the embedding alone never reaches the photo, and is not even monotonic)."""
        return strength * (2.0 - strength)

    def _predict(self, image: np.ndarray) -> np.ndarray:
        with self._lock:
            self._predictor.set_tensor(self._style_index, square_style(image, self._style_side))
            self._predictor.invoke()
            return self._predictor.get_tensor(self._embedding_index).reshape(-1).copy()

    def _run(self, batch: np.ndarray, embedding: np.ndarray) -> np.ndarray:
        with self._lock:
            run = self._transfer_for(*batch.shape[1:3])
            run.interpreter.set_tensor(run.content, batch)
            bottleneck = np.asarray(embedding, np.float32).reshape(1, 1, 1, -1)
            run.interpreter.set_tensor(run.bottleneck, bottleneck)
            run.interpreter.invoke()
            return run.interpreter.get_tensor(run.output).copy()

    def _transfer_for(self, height: int, width: int) -> _Transfer:
        """The transfer interpreter allocated for this input shape (caller holds the lock).

        The converted network's upsampling sizes are constants, so a new shape
        needs a rescaled copy of the model, built and allocated anew. The latest
        shapes are kept up to :data:`KEPT_PIXELS`: at 1024 px an interpreter
        holds over a gigabyte of activations.
        """
        if (height, width) in self._transfers:
            self._transfers.move_to_end((height, width))
            return self._transfers[(height, width)]
        # free the oldest activations that would not fit beside the new ones before allocating
        while self._transfers and _pixels(self._transfers) + height * width > KEPT_PIXELS:
            self._transfers.popitem(last=False)
        path = self._transfer_path
        interpreter = _interpreter(with_input_size(self._transfer_model, height, width), path)
        inputs = interpreter.get_input_details()
        content = _image_input(inputs, path)
        others = [d for d in inputs if d["index"] != content["index"]]
        bottleneck = _only(others, path, "embedding input")
        if int(np.prod(bottleneck["shape"])) != self._embedding_size:
            raise ModelUnavailableError(
                f"The transfer network {path} takes a style embedding of shape "
                f"{bottleneck['shape'].tolist()}, but the style predictor gives "
                f"{self._embedding_size} numbers: the two files do not belong together."
            )
        interpreter.resize_tensor_input(content["index"], [1, height, width, 3])
        interpreter.allocate_tensors()
        output = _only(interpreter.get_output_details(), path, "output")
        if tuple(output["shape"]) != (1, height, width, 3):
            raise ModelUnavailableError(
                f"The transfer network {path} gives {output['shape'].tolist()} for a "
                f"{width}×{height} input; it cannot run at that size."
            )
        run = _Transfer(
            (height, width), interpreter, content["index"], bottleneck["index"], output["index"]
        )
        self._transfers[(height, width)] = run
        return run


def _pixels(transfers: OrderedDict[tuple[int, int], _Transfer]) -> int:
    return sum(height * width for height, width in transfers)


def threads() -> int:
    """CPU threads per interpreter (``NST_FAST_THREADS``, default: every core)."""
    return max(1, config.FAST_THREADS.integer() or os.cpu_count() or 1)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ModelUnavailableError(
            f"The fast-mode model file {path} cannot be read ({error.strerror or error})."
        ) from None


def _interpreter(model: bytes, path: Path) -> Any:
    """An interpreter on ``model`` (the bytes of ``path``), or an error naming the file."""
    try:
        return Interpreter(model_content=model, num_threads=threads())
    except Exception as error:  # the runtime reports a damaged file with assorted types
        raise ModelUnavailableError(
            f"The fast-mode model file {path} is damaged or not a TFLite model ({error}). "
            "Delete it and download it again (python -m nst download), or replace it."
        ) from None


def _image_input(details: list[dict[str, Any]], path: Path) -> dict[str, Any]:
    images = [d for d in details if len(d["shape"]) == 4 and d["shape"][3] == 3]
    return _only(images, path, "RGB image input")


def _only(details: list[dict[str, Any]], path: Path, what: str) -> dict[str, Any]:
    if len(details) != 1:
        raise ModelUnavailableError(
            f"The fast-mode model file {path} has {len(details)} tensors where one {what} "
            "was expected: it is not a Magenta style predictor / transfer network."
        )
    return details[0]
