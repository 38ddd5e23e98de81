"""Reading, resizing and saving images, with refusals a person can act on.

Every image enters the library through :func:`load_image`, which returns the
one layout the models use (uint8 H×W×3 RGB) and turns anything it cannot use
into an :class:`~nst.errors.ImageError` whose message says what would work.
Sizes are checked from the file header before any pixel is decoded, so an
upload that declares huge dimensions costs neither time nor memory;
:func:`check_image` runs those checks alone, for a job that decodes later.
"""

from __future__ import annotations

import io
import json
import math
import struct
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo

from nst import config
from nst.errors import ImageError, InputError

MIN_SIDE = 16
"""Smallest side accepted: below it the networks see no structure at all."""

MAX_ASPECT_RATIO = 10.0
"""Longest over shortest side; beyond it a resized image is a strip a few pixels thin."""

PARAMS_KEY = "dual-nst"
"""Key of the PNG text chunk that stores the settings a result was made with."""

ImageSource = str | Path | bytes | bytearray | memoryview | IO[bytes] | Image.Image | np.ndarray

ORIENTATION_TAG = 0x0112
QUARTER_TURNS = frozenset({5, 6, 7, 8})
"""EXIF orientations that turn the picture a quarter, swapping its height and width."""
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)
_UNREADABLE_HINT = "use a JPEG, PNG or WebP"


def max_pixels() -> int:
    """Pixel limit per image (``NST_MAX_PIXELS``), so one upload cannot exhaust memory."""
    return config.MAX_PIXELS.integer()


def load_image(source: ImageSource, *, keep_alpha: bool = False) -> np.ndarray:
    """Any image a user may hand us as uint8 H×W×3 RGB, upright, checked for size.

    ``source`` is a path, encoded bytes, a binary file object, a PIL image or a
    numpy array (H×W, H×W×3 or H×W×4; uint8, or float in [0, 1]). Transparent
    pixels are composited on white, as they would look on a page; with
    ``keep_alpha`` the result is H×W×4 RGBA instead (opaque images get 255).
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, keep_alpha)
    if isinstance(source, Image.Image):
        check_size(*source.size)
        return _decoded(source, "The image", keep_alpha)
    return _from_file(*_encoded(source), keep_alpha)


@dataclass(frozen=True)
class CheckedImage:
    """An image that passed every check its header allows, not decoded yet.

    A job waiting for the device holds this, not pixels: ``source`` is a path
    or the encoded bytes (or an array the caller had decoded already), and
    ``shape`` is (height, width) as stored, before any EXIF rotation, which
    the size checks do not depend on.
    """

    source: Path | bytes | np.ndarray | Image.Image
    shape: tuple[int, int]
    upright: tuple[int, int]
    """(height, width) once the EXIF orientation is applied, as :meth:`load` returns it."""

    def load(self, *, keep_alpha: bool = False) -> np.ndarray:
        """The pixels, as :func:`load_image` returns them; a damaged file is refused now."""
        return load_image(self.source, keep_alpha=keep_alpha)


def check_image(source: ImageSource) -> CheckedImage:
    """Refuse now what :func:`load_image` would refuse from the header alone.

    No pixel is decoded from a path, bytes or a file object (a PIL image or
    an array is converted, as the caller holds its pixels already), so this
    costs little whatever the image's size; only a damaged or truncated file
    waits for :meth:`CheckedImage.load` to be refused.
    """
    if isinstance(source, np.ndarray | Image.Image):
        image = load_image(source)
        return CheckedImage(source, image.shape[:2], image.shape[:2])
    encoded, label = _encoded(source)
    with _open(_readable(encoded), label) as image:
        check_size(*image.size)
        shape = (image.height, image.width)
        turned = _orientation(image) in QUARTER_TURNS
        return CheckedImage(encoded, shape, shape[::-1] if turned else shape)


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation the header carries (1 when none).

    Read from the metadata the header gave, never through ``getexif()``, which
    decodes a whole PNG to look for EXIF after its pixels.
    """
    exif = image.info.get("exif")
    if not exif:
        return 1
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        return int(parsed.get(ORIENTATION_TAG, 1))
    except (*_DECODE_ERRORS, struct.error, TypeError):
        return 1


def check_size(width: int, height: int) -> None:
    """Refuse sizes that would exhaust memory or that the networks cannot use."""
    limit = max_pixels()
    size = f"{width}×{height} pixels"
    if width * height > limit:
        raise ImageError(
            f"The image is {size} ({width * height / 1e6:.1f} megapixels), over the limit of "
            f"{limit / 1e6:g} megapixels (set NST_MAX_PIXELS to raise it); "
            "use a smaller image."
        )
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"The image is {size}; each side must be at least {MIN_SIDE} pixels, "
            "so use a larger image."
        )
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise ImageError(
            f"The image is {size}; its sides differ by more than {MAX_ASPECT_RATIO:g}:1, "
            "so the networks would see a strip a few pixels thin. Crop it closer to square."
        )


def check_rgb(image: np.ndarray) -> None:
    """Refuse arrays that are not the library's uint8 H×W×3 layout."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ImageError("Expected a uint8 numpy array; load the image with load_image first.")
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 1:
        raise ImageError(
            f"Expected an H×W×3 RGB array, not shape {image.shape}; "
            "load the image with load_image first."
        )


def _encoded(source: ImageSource) -> tuple[Path | bytes, str]:
    """A path or encoded bytes, and how messages name them; empty inputs are refused."""
    if isinstance(source, str | Path):
        path = Path(source)
        label = _file_label(path)
        if path.stat().st_size == 0:
            raise ImageError(f"{label} is empty (0 bytes); {_UNREADABLE_HINT}.")
        return path, label
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read()
    else:
        raise ImageError(
            f"Cannot read an image from a {type(source).__name__}; pass a path, bytes, "
            "a file object, a PIL image or a numpy array."
        )
    if not data:
        raise ImageError(f"The image data is empty (0 bytes); {_UNREADABLE_HINT}.")
    return data, "The file"


def _readable(encoded: Path | bytes) -> Path | IO[bytes]:
    return encoded if isinstance(encoded, Path) else io.BytesIO(encoded)


def _file_label(path: Path) -> str:
    """How messages name ``path``, after refusing a path with no file behind it."""
    if not path.is_file():
        raise ImageError(f"No image file was found at {path}; check the path.")
    return f'The file "{path.name}"'


def _from_file(encoded: Path | bytes, label: str, keep_alpha: bool = False) -> np.ndarray:
    """Check the header's size, then decode; the file is closed once read."""
    with _open(_readable(encoded), label) as image:
        check_size(*image.size)
        return _decoded(image, label, keep_alpha)


def _open(file: Path | IO[bytes], label: str) -> Image.Image:
    """Read only the header, turning Pillow's refusals (bombs included) into ours."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(file)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(
            f"{label} is too large to decode safely ({str(error).rstrip('.')}); "
            "use a smaller image."
        ) from None
    except UnidentifiedImageError:
        raise ImageError(f"{label} is not an image Pillow can read; {_UNREADABLE_HINT}.") from None
    except _DECODE_ERRORS as error:
        raise ImageError(f"{label} could not be opened ({error}); {_UNREADABLE_HINT}.") from None


def _decoded(image: Image.Image, label: str, keep_alpha: bool = False) -> np.ndarray:
    """Decode every pixel (so truncation shows now), turn upright, convert to RGB(A)."""
    try:
        image.load()
        return _to_rgb(ImageOps.exif_transpose(image), keep_alpha)
    except _DECODE_ERRORS as error:
        raise ImageError(
            f"{label} is damaged or truncated ({error}); use the complete file "
            "or save it again as JPEG or PNG."
        ) from None


def _to_rgb(image: Image.Image, keep_alpha: bool = False) -> np.ndarray:
    """RGB uint8 from any Pillow mode: high bit depths scaled, transparency on white
    (or kept as a fourth channel)."""
    if image.mode.startswith("I") or image.mode == "F":
        image = Image.fromarray(_high_depth_to_uint8(np.asarray(image), image.mode))
    if keep_alpha:
        return np.array(image.convert("RGBA"))
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        return _on_white(np.array(image.convert("RGBA")))
    return np.array(image.convert("RGB"))


def _high_depth_to_uint8(values: np.ndarray, mode: str) -> np.ndarray:
    """Scale 16-bit integer (or [0, 1] float) greyscale to 8 bits instead of clipping."""
    if mode == "F":
        scaled = np.clip(np.nan_to_num(values), 0.0, 1.0) * 255.0
    else:
        scaled = np.clip(values, 0, 65535) / 257.0
    return np.rint(scaled).astype(np.uint8)


def _on_white(rgba: np.ndarray) -> np.ndarray:
    """Composite RGBA on white, rounding to the nearest level."""
    alpha = rgba[..., 3:].astype(np.uint32)
    rgb = rgba[..., :3].astype(np.uint32)
    return ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)


def _from_array(array: np.ndarray, keep_alpha: bool = False) -> np.ndarray:
    """A numpy image (uint8, or float in [0, 1]) as uint8 RGB (or RGBA)."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError(f"An image array must be H×W, H×W×3 or H×W×4, not shape {array.shape}.")
    check_size(array.shape[1], array.shape[0])
    array = _array_to_uint8(array)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if keep_alpha:
        opaque = np.full((*array.shape[:2], 1), 255, np.uint8)
        return array.copy() if array.shape[2] == 4 else np.concatenate([array, opaque], axis=2)
    return _on_white(array) if array.shape[2] == 4 else array.copy()


def _array_to_uint8(array: np.ndarray) -> np.ndarray:
    """uint8 values from uint8 or [0, 1] float arrays; other types are refused."""
    if array.dtype == np.uint8:
        return array
    if not np.issubdtype(array.dtype, np.floating):
        raise ImageError(f"An image array must be uint8 or float in [0, 1], not {array.dtype}.")
    if not (np.isfinite(array).all() and array.min() >= 0.0 and array.max() <= 1.0):
        raise ImageError("A float image array must hold finite values in [0, 1].")
    return np.rint(array * 255.0).astype(np.uint8)


def fit_longest_side(image: np.ndarray, longest: int) -> np.ndarray:
    """Scale so the longest side is ``longest`` pixels, keeping the aspect ratio."""
    check_rgb(image)
    return resize_to(image, *fitted_shape(image.shape[:2], longest))


def fitted_shape(shape: tuple[int, ...], longest: int) -> tuple[int, int]:
    """(height, width) of an image of ``shape`` scaled to longest side ``longest``."""
    if longest < 1:
        raise InputError(f"The longest side must be at least 1 pixel, not {longest}.")
    height, width = shape[:2]
    scale = longest / max(height, width)
    return _scaled(height, scale), _scaled(width, scale)


def smallest_longest_side(image: np.ndarray | CheckedImage) -> int:
    """The least longest side at which ``image``'s short side keeps :data:`MIN_SIDE` pixels."""
    height, width = image.shape[:2]
    return math.ceil(MIN_SIDE * max(height, width) / min(height, width))


def check_longest_side(image: np.ndarray | CheckedImage, longest: int, what: str = "size") -> None:
    """Refuse a size at which the networks would see a strip under :data:`MIN_SIDE` pixels."""
    needed = smallest_longest_side(image)
    if longest < needed:
        height, width = image.shape[:2]
        raise InputError(
            f"At a {what} of {longest} px this {width}×{height} image would be under "
            f"{MIN_SIDE} px on its short side; choose a {what} of at least {needed} px."
        )


def _scaled(side: int, scale: float) -> int:
    """A side times ``scale``, rounded half up, never below 1 pixel."""
    return max(1, math.floor(side * scale + 0.5))


def resize_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Exactly ``height``×``width``, e.g. to match another image; unchanged if already so."""
    check_rgb(image)
    if height < 1 or width < 1:
        raise InputError(f"Cannot resize to {width}×{height} pixels; both sides must be ≥ 1.")
    if image.shape[:2] == (height, width):
        return image
    shrinking = height * width < image.shape[0] * image.shape[1]
    resample = Image.Resampling.LANCZOS if shrinking else Image.Resampling.BICUBIC
    resized = Image.fromarray(np.ascontiguousarray(image)).resize((width, height), resample)
    return np.array(resized)


def save_png(image: np.ndarray, path: str | Path, params: Mapping[str, Any]) -> Path:
    """Write a PNG that carries ``params``, so the result can be reproduced later.

    The parent folder must exist: the caller decides where results go.
    """
    path = Path(path)
    _write_png(image, path, params)
    return path


def png_bytes(image: np.ndarray, params: Mapping[str, Any]) -> bytes:
    """The same PNG as :func:`save_png`, in memory (for a download button)."""
    buffer = io.BytesIO()
    _write_png(image, buffer, params)
    return buffer.getvalue()


def read_png_params(path: str | Path) -> dict[str, Any]:
    """The settings stored by :func:`save_png`; empty when the PNG has none."""
    path = Path(path)
    label = _file_label(path)
    with _open(path, label) as image:
        text = image.info.get(PARAMS_KEY)  # written before the pixels: no decoding needed
    if text is None:
        return {}
    try:
        params = json.loads(text)
    except json.JSONDecodeError:
        raise ImageError(f"{label} holds settings that are not valid JSON.") from None
    return params if isinstance(params, dict) else {}


def _write_png(image: np.ndarray, target: Path | IO[bytes], params: Mapping[str, Any]) -> None:
    """Encode ``image`` as PNG with ``params`` as JSON in a text chunk."""
    check_rgb(image)
    info = PngInfo()
    info.add_text(PARAMS_KEY, json.dumps(dict(params), default=_json_default, sort_keys=True))
    Image.fromarray(np.ascontiguousarray(image)).save(target, format="PNG", pnginfo=info)


def _json_default(value: Any) -> Any:
    """numpy values as plain numbers or lists; anything else as its text."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    return str(value)
