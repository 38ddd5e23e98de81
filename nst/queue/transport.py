"""A job request as bytes that can travel through Redis, and back, checked again on arrival.

The front end sends the images as their encoded bytes, the settings as their
values, the regions as their share map; nothing is pickled. The worker
trusts none of it: :func:`decode_request` rebuilds the settings through
their declarations within the worker's own caps, re-reads every image from
its header, and refuses regions that do not fit the photo.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from nst.errors import InputError
from nst.images import ImageSource, check_image
from nst.jobs import JobRequest, result_shape, source_name
from nst.modes import MODES
from nst.regions import Regions
from nst.settings import INIT_CHOICES

MAX_NAME_CHARS = 200
"""Longest input name a request may carry (names only label the result's metadata)."""
_DIGEST = re.compile(r"[0-9a-f]{8,64}")


def portable(request: JobRequest) -> JobRequest:
    """``request`` with every image as its encoded bytes and every input named.

    A path, a file object, a PIL image or an array becomes bytes here, once,
    so the request can be checked, stored and sent as it is. A start image
    given as a path (classic ``init``) is a file on this machine alone: refused.
    """
    init = getattr(request.settings, "init", None)
    if init is not None and init not in INIT_CHOICES:
        raise InputError(
            "A start image given as a path works only where the app runs its own jobs; "
            "with a job queue, start from content, noise or fast."
        )
    sources = (request.content, *request.styles)
    names = request.names or tuple(source_name(source) for source in sources)
    content = _clip(request.content) if request.mode == "video" else _encoded(request.content)
    styles = [_encoded(source) for source in request.styles]
    return JobRequest(
        request.mode, content, tuple(styles), request.settings, request.regions, names
    )


def _clip(source: Any) -> bytes:
    """A clip's bytes as sent (checked by the job when it is made, and by the worker)."""
    return Path(source).read_bytes() if isinstance(source, str | Path) else bytes(source)


def _encoded(source: ImageSource) -> bytes:
    checked = check_image(source)
    if isinstance(checked.source, bytes):
        return checked.source
    if isinstance(checked.source, Path):
        return checked.source.read_bytes()
    buffer = io.BytesIO()
    Image.fromarray(checked.load()).save(buffer, format="PNG")
    return buffer.getvalue()


def encode_request(request: JobRequest) -> dict[str, bytes]:
    """The fields of a Redis hash holding a :func:`portable` request."""
    regions = request.regions
    spec = {
        "mode": request.mode,
        "settings": request.settings.values(),
        "names": list(request.names),
        "styles": len(request.styles),
        "regions": None
        if regions is None
        else {"shape": list(regions.share.shape), "digest": regions.digest},
    }
    fields = {"spec": json.dumps(spec).encode(), "content": bytes(request.content)}
    for index, style in enumerate(request.styles):
        fields[f"style:{index}"] = bytes(style)
    if regions is not None:
        share = np.ascontiguousarray(regions.share, dtype=np.float32)
        fields["regions"] = zlib.compress(share.tobytes(), 1)
    return fields


def decode_request(
    fields: Mapping[bytes, bytes], caps: Mapping[str, Mapping[str, float]]
) -> JobRequest:
    """The request a worker runs, from a hash's fields, after its own checks.

    ``caps`` are this worker's limits per mode (a CPU worker allows less than
    a GPU one). Anything malformed is an :class:`InputError` the user reads.
    """
    try:
        spec = json.loads(fields[b"spec"])
        mode = MODES[spec["mode"]]
        count = int(spec["styles"])
        if count not in (1, 2):
            raise InputError(f"Give one or two style images, not {count}.")
        styles = tuple(fields[f"style:{index}".encode()] for index in range(count))
        content = fields[b"content"]
        settings = mode.settings.from_values(spec["settings"], caps.get(mode.name))
        names = tuple(_name(name) for name in spec["names"])
    except InputError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"The job reached the worker incomplete ({error!r}).") from None
    if len(names) != count + 1:
        raise InputError("The job reached the worker with its inputs misnamed.")
    if getattr(settings, "init", None) not in (None, *INIT_CHOICES):
        raise InputError("A worker starts from content, noise or fast, not from a path.")
    for image in styles:
        check_image(image)
    shape = result_shape(mode.name, content, settings)  # the photo or clip checked, too
    regions = _regions(spec.get("regions"), fields.get(b"regions"), shape)
    return JobRequest(mode.name, content, styles, settings, regions, names)


def _name(name: Any) -> str:
    if not isinstance(name, str) or len(name) > MAX_NAME_CHARS:
        raise InputError("An input's name is not a short text.")
    return name


def _regions(
    spec: Mapping[str, Any] | None, data: bytes | None, expected: tuple[int, int]
) -> Regions | None:
    """The regions of a request, refused unless they are the share map of the result's
    ``expected`` (height, width)."""
    if spec is None:
        return None
    shape = tuple(spec.get("shape", ()))
    digest = spec.get("digest")
    if shape != expected or not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise InputError("The job's regions do not fit its photo.")
    if data is None:
        raise InputError("The job reached the worker without its regions.")
    length = expected[0] * expected[1] * 4
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, length)  # never more than the map's own size
    except zlib.error:
        raise InputError("The job's regions are damaged.") from None
    if len(raw) != length or inflater.unconsumed_tail or not inflater.eof:
        raise InputError("The job's regions do not fit its photo.")
    share = np.frombuffer(raw, np.float32).reshape(expected)
    if not (np.isfinite(share).all() and share.min() >= 0.0 and share.max() <= 1.0):
        raise InputError("The job's regions hold values outside 0 to 1.")
    return Regions(share.copy(), digest)
