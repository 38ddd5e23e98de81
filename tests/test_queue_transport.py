"""What travels through the job queue, without Redis: a request as bytes and back with the
worker's own checks, and every kind of event as a stream entry and back."""

from __future__ import annotations

import io
import json
import zlib

import numpy as np
import pytest
from PIL import Image

from nst.errors import BusyError, InputError
from nst.events import (
    Done,
    Failed,
    FrameProgress,
    Notice,
    Progress,
    Stopped,
    WeightedCosts,
    Working,
)
from nst.jobs import image_result, make_request
from nst.queue import open_line
from nst.queue.store import unavailable
from nst.queue.transport import decode_request, encode_request, portable
from nst.queue.wire import decode_event, encode_event
from nst.scheduler import LINE
from nst.settings import ClassicSettings, FastSettings

CAPS = {"classic": {"size": 512, "iterations": 300}, "fast": {}}


def png(shape: tuple[int, int, int], seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def mask(shape: tuple[int, int]) -> np.ndarray:
    """White on the left half (style 1), black on the right (style 2)."""
    grey = np.zeros((*shape, 3), np.uint8)
    grey[:, : shape[1] // 2] = 255
    return grey


PHOTO = png((60, 90, 3))
STYLES = (png((40, 40, 3), 1), png((50, 30, 3), 2))


def stored(request) -> dict[bytes, bytes]:
    """The hash fields as Redis hands them back (names as bytes)."""
    return {name.encode(): value for name, value in encode_request(portable(request)).items()}


def through(event):
    """``event`` written as a stream entry and read back (Redis hands names back as bytes)."""
    return decode_event({name.encode(): value for name, value in encode_event(event).items()})


def test_a_request_with_regions_arrives_as_it_was_sent(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(PHOTO)
    settings = ClassicSettings(size=48, iterations=5, style_mix=0.3)
    request = make_request("classic", path, STYLES, settings, mask=mask((60, 90)))
    arrived = decode_request(stored(request), CAPS)
    assert arrived.settings == settings and arrived.mode == "classic"
    assert arrived.content == PHOTO and arrived.styles == STYLES
    assert arrived.names == ("photo.png", "bytes", "bytes")
    assert np.array_equal(arrived.regions.share, request.regions.share)
    assert arrived.regions.digest == request.regions.digest


def test_a_worker_applies_its_own_caps_and_checks():
    request = make_request("classic", PHOTO, STYLES[:1], ClassicSettings(size=48, iterations=400))
    with pytest.raises(InputError, match="iterations must be between 1 and 300"):
        decode_request(stored(request), CAPS)
    fields = stored(make_request("fast", PHOTO, STYLES[:1], FastSettings(size=64)))
    with pytest.raises(InputError, match="not an image"):
        decode_request({**fields, b"content": b"no picture"}, CAPS)
    spec = json.loads(fields[b"spec"])
    with pytest.raises(InputError, match="incomplete"):
        decode_request({**fields, b"spec": json.dumps({**spec, "mode": "sketch"}).encode()}, CAPS)
    with pytest.raises(InputError, match="misnamed"):
        decode_request({**fields, b"spec": json.dumps({**spec, "names": ["a"]}).encode()}, CAPS)
    fields = stored(make_request("classic", PHOTO, STYLES[:1], ClassicSettings(size=48)))
    spec = json.loads(fields[b"spec"])
    spec["settings"]["init"] = "/etc/passwd"  # a worker never reads a file the queue names
    with pytest.raises(InputError, match="not from a path"):
        decode_request({**fields, b"spec": json.dumps(spec).encode()}, CAPS)


def test_regions_that_do_not_fit_the_photo_or_inflate_are_refused():
    settings = FastSettings(size=64)
    request = make_request("fast", PHOTO, STYLES, settings, mask=mask((60, 90)))
    fields = stored(request)
    spec = json.loads(fields[b"spec"])
    wrong = {**spec, "regions": {**spec["regions"], "shape": [10, 10]}}
    with pytest.raises(InputError, match="do not fit"):
        decode_request({**fields, b"spec": json.dumps(wrong).encode()}, CAPS)
    bomb = zlib.compress(bytes(64 * 1024 * 1024))  # 64 MB of zeros in a few kB
    with pytest.raises(InputError, match="do not fit"):
        decode_request({**fields, b"regions": bomb}, CAPS)
    outside = np.full(request.regions.share.shape, 2.0, np.float32)
    with pytest.raises(InputError, match="outside 0 to 1"):
        decode_request({**fields, b"regions": zlib.compress(outside.tobytes())}, CAPS)


def test_a_start_image_path_does_not_travel(tmp_path):
    start = tmp_path / "start.png"
    start.write_bytes(PHOTO)
    request = make_request("classic", PHOTO, STYLES[:1], ClassicSettings(init=str(start)))
    with pytest.raises(InputError, match="start image"):
        portable(request)


def test_every_event_arrives_as_it_was_sent():
    ramp = np.linspace(0, 255, 48, dtype=np.float32)
    image = np.stack([np.tile(ramp, (32, 1))] * 3, axis=-1).astype(np.uint8)
    costs = WeightedCosts(1.0, 2.0, 0.5, 3.5)
    progress = Progress(5, 10, image, costs, 1.5, 3.3, eta=float("inf"))
    request = make_request("classic", PHOTO, STYLES[:1], ClassicSettings(size=48))
    last = Progress(10, 10, image, costs, 3.0, 3.3, state="done", eta=0.0)
    result = image_result(request, image, **last.facts())
    for event in (Working("Reading the images…"), Notice("Note"), Failed("No.", BusyError("No."))):
        assert through(event).words() == event.words()
    assert isinstance(through(Failed("No.", BusyError("No."))).error, BusyError)
    preview = through(progress)
    assert preview.costs == costs and preview.step == 5 and preview.eta == float("inf")
    assert preview.image.shape == image.shape  # a JPEG: close, not equal
    assert np.abs(preview.image.astype(int) - image).mean() < 2
    done = through(Done(result, 3.2, steps=10, last=last))
    assert done.result.data == result.data and done.result.metadata == result.metadata
    assert np.array_equal(done.image, image) and np.array_equal(done.last.image, image)
    assert done.words() == Done(result, 3.2, steps=10, last=last).words()
    stopped = through(Stopped("Stopped before it started."))
    assert stopped.result is None and stopped.words() == "Stopped before it started."
    frame = through(FrameProgress(3, 9, None, 1.0))
    assert frame.words() == FrameProgress(3, 9, None, 1.0).words()


def test_no_url_is_the_embedded_line_and_a_password_stays_out_of_messages():
    assert open_line(None) is LINE and open_line("") is LINE
    error = unavailable("redis://painter:s3cret@queue.example:6380/2", ConnectionRefusedError())
    assert str(error).startswith("The job queue is unavailable")
    assert "queue.example:6380/2" in str(error) and "s3cret" not in str(error)
