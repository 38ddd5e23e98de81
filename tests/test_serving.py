"""Serving under abuse: abandoned jobs, bounds per request, inline images, the memory of
waiting jobs, a waiting line of 0, and a Stop that overtakes the job it stops.

One server runs for the module (random VGG, small images) with a 2 s cache
lifetime and small request bounds, set through the app's variables.
"""

from __future__ import annotations

import base64
import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from gradio_client.utils import Status
from PIL import Image

from nst.errors import BusyError, ImageError
from nst.fast import load_fast_model
from nst.scheduler import SCHEDULER, Scheduler, Ticket
from tests.conftest import SHARED_MAGENTA, live_app, raw_png, reset_peak_rss, rss_mb, wait_for
from webui.limits import inline_image
from webui.stops import StopSwitches

LIFETIME_S = 2
MAX_REQUEST_MB = 2
MAX_FILES = 3
WAITING_JOB_MB = 10
"""Most memory one waiting job may hold, whatever its images' pixel counts."""
KILLED_CLIENT = """
import sys
from gradio_client import Client, handle_file

url, photo, style = sys.argv[1:]
job = Client(url, verbose=False).submit(
    content=handle_file(photo), style_1=handle_file(style),
    size=128, iterations=300, preview_every=300, api_name="/classic",
)
for _ in job:  # streams, as a page would, until killed
    pass
"""


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A photo, a style, and a 36-megapixel PNG of a few hundred kB."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(16)
    paths = {name: folder / f"{name}.png" for name in ("photo", "style", "huge")}
    Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(paths["photo"])
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(paths["style"])
    Image.new("RGB", (6000, 6000), (200, 120, 40)).save(paths["huge"])
    return paths


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app with small bounds and a private cache: (URL, cache folder)."""
    cache = tmp_path_factory.mktemp("gradio-cache")
    env = {
        "GRADIO_TEMP_DIR": cache,
        "NST_DELETE_CACHE_SECONDS": LIFETIME_S,
        "NST_MAX_REQUEST_MB": MAX_REQUEST_MB,
        "NST_MAX_FILES": MAX_FILES,
    }
    with live_app(4, env) as (url, _):
        yield url, cache


@pytest.fixture(scope="module")
def server(served: tuple[str, Path]) -> str:
    return served[0]


def client(url: str) -> Client:
    return Client(url, verbose=False)


def classic_job(api: Client, content: Path, style: Path, **options: Any) -> Any:
    """A classic job at 64 px; ``options`` override its settings."""
    settings = {"size": 64, "iterations": 2, **options}
    return api.submit(
        content=handle_file(content), style_1=handle_file(style), **settings, api_name="/classic"
    )


class Heard:
    """What the scheduler told its listeners: (event, output size, time) per start and end."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, float]] = []
        self.stop = SCHEDULER.add_listener(self._hear)

    def _hear(self, event: str, ticket: Ticket) -> None:
        self.events.append((event, ticket.job[1].size, time.monotonic()))

    def when(self, event: str, size: int) -> float | None:
        return next((t for e, s, t in self.events if (e, s) == (event, size)), None)


# ---------------------------------------------------------------- abandoned jobs


def test_a_killed_streaming_client_frees_the_slot_within_two_seconds(
    server: str, images: dict[str, Path]
) -> None:
    heard = Heard()
    try:
        abandoned = subprocess.Popen(
            [
                sys.executable,
                "-c",
                KILLED_CLIENT,
                server,
                str(images["photo"]),
                str(images["style"]),
            ],
            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
        )
        wait_for(lambda: heard.when("start", 128) is not None, timeout=120)
        waiting = classic_job(client(server), images["photo"], images["style"])
        wait_for(lambda: SCHEDULER.waiting == 1)
        abandoned.kill()  # its next preview would come after 300 steps, tens of seconds away
        killed = time.monotonic()
        abandoned.wait()
        _, status, _, _ = waiting.result(timeout=120)
    finally:
        heard.stop()
    ended, next_started = heard.when("end", 128), heard.when("start", 64)
    assert ended is not None and next_started is not None
    assert ended - killed < 2.0, f"the abandoned job kept the slot {ended - killed:.2f} s"
    assert next_started - killed < 2.0
    assert "Done" in status


def test_a_stop_right_after_an_api_submit_stops_the_job(
    server: str, images: dict[str, Path]
) -> None:
    sent = (Status.STARTING, Status.JOINING_QUEUE)
    for _ in range(3):  # the Stop reaches the job wherever it is: uploading, waiting, starting
        api = client(server)
        job = classic_job(api, images["photo"], images["style"], iterations=300, preview_every=300)
        wait_for(lambda job=job: job.status().code not in sent)  # the server holds the request
        api.predict(api_name="/stop")
        _, status, _, _ = job.result(timeout=120)
        assert "Stopped" in status


def test_a_stop_stops_the_jobs_that_arrived_before_it_and_never_a_later_one() -> None:
    switches = StopSwitches()
    submitted = time.monotonic()  # a job's request arrived...
    assert switches.stop("api") == 0  # ...and its Stop overtook it while it was prepared
    assert switches.claim("api", arrived=submitted).is_set()
    assert not switches.claim("api", arrived=time.monotonic()).is_set()  # sent after the Stop

    running = switches.claim("tab")
    queued_at = time.monotonic()  # a second job's request, not started when Stop comes
    assert switches.stop("tab") == 1
    assert running.is_set()
    assert switches.claim("tab", arrived=queued_at).is_set()
    assert not switches.claim("tab", arrived=time.monotonic() + 1).is_set()  # asked after Stop


# ---------------------------------------------------------------- bounds per request


def upload(url: str, parts: list[tuple[str, bytes]]) -> int:
    """POST ``parts`` as one multipart upload; the status, or 0 if the server cut it off."""
    files = [("files", (name, data, "image/png")) for name, data in parts]
    try:
        return httpx.post(f"{url}gradio_api/upload", files=files, timeout=60).status_code
    except httpx.TransportError:  # refused before the body was sent
        return 0


def abandon_upload(url: str, declared: int, sent: int) -> None:
    """Start a multipart upload declaring ``declared`` bytes, send ``sent``, hang up."""
    host, port = httpx.URL(url).host, httpx.URL(url).port
    head = (
        b"--B\r\nContent-Disposition: form-data; name=files; filename=a.png\r\n"
        b"Content-Type: image/png\r\n\r\n"
    )
    request = (
        f"POST /gradio_api/upload HTTP/1.1\r\nHost: {host}\r\nContent-Length: {declared}\r\n"
        "Content-Type: multipart/form-data; boundary=B\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port)) as connection:
        connection.sendall(request + head + b"\x00" * sent)
        time.sleep(0.3)


def test_an_upload_over_the_bounds_is_refused_and_leaves_no_file(
    served: tuple[str, Path],
) -> None:
    url, cache = served
    before = files_under(cache)
    megabyte = os.urandom(1 << 20)
    assert upload(url, [(f"{n}.png", megabyte) for n in range(3)]) in (413, 0)  # 3 MB in all
    status = upload(url, [(f"{n}.png", b"tiny") for n in range(MAX_FILES + 1)])
    assert status == 413
    malformed = httpx.post(
        f"{url}gradio_api/upload",
        content=b"no parts here",
        headers={"content-type": "multipart/form-data; boundary=B"},
    )
    assert malformed.status_code == 400
    abandon_upload(url, declared=3 << 19, sent=1 << 20)
    time.sleep(0.5)
    assert not files_under(cache) - before
    assert upload(url, [("one.png", megabyte)]) == 200  # within the bounds: stored as ever


def call(url: str, endpoint: str, images: list[Any], **values: Any) -> tuple[int, str]:
    """A raw API call with ``images`` as given (e.g. inline): (HTTP status, its event stream)."""
    base = f"{url}gradio_api"
    with httpx.Client(timeout=120) as http:
        parameters = http.get(f"{base}/info").json()["named_endpoints"][f"/{endpoint}"]
        data = [
            values.get(p["parameter_name"], p.get("parameter_default"))
            for p in parameters["parameters"][len(images) :]
        ]
        answer = http.post(f"{base}/call/{endpoint}", json={"data": images + data})
        if answer.status_code != 200:
            return answer.status_code, answer.text
        return 200, http.get(f"{base}/call/{endpoint}/{answer.json()['event_id']}").text


def inline(data: bytes) -> dict[str, Any]:
    """An image as a JSON API client may send it: a data: URL instead of an upload."""
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    return {"url": url, "path": None, "meta": {"_type": "gradio.FileData"}}


@pytest.mark.parametrize("endpoint", ["classic", "fast"])
def test_an_inline_image_over_the_limits_is_refused_before_decoding(
    served: tuple[str, Path], images: dict[str, Path], endpoint: str
) -> None:
    url, cache = served
    before = files_under(cache)
    declared_81mp = raw_png(9000, 9000, 8, 0, b"\x00" * 64)  # a few bytes, 81 megapixels
    reset_peak_rss()
    baseline, _ = rss_mb()
    started = time.monotonic()
    status, stream = call(
        url, endpoint, [inline(declared_81mp), inline(images["style"].read_bytes())]
    )
    took = time.monotonic() - started
    growth = rss_mb()[1] - baseline
    assert status == 200 and "event: error" in stream
    assert "81.0 megapixels" in stream
    assert took < 5.0, f"refused after {took:.1f} s"
    assert growth < 50, f"peak memory grew by {growth:.0f} MB"

    noise = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (1000, 1000, 3), np.uint8)).save(
        noise, format="PNG"
    )  # about 3 MB, over the request bound once inline
    status, _ = call(
        url, "classic", [inline(noise.getvalue()), inline(images["style"].read_bytes())]
    )
    assert status == 413
    assert not files_under(cache) - before


def test_an_inline_image_must_be_a_base64_image() -> None:
    with pytest.raises(ImageError, match="must be a base64 data: URL"):
        inline_image("data:image/png,%89PNG")
    with pytest.raises(ImageError, match="not valid base64"):
        inline_image("data:image/png;base64,not base64!")
    with pytest.raises(ImageError, match="not an image"):
        inline_image("data:image/png;base64," + base64.b64encode(b"hello").decode())


def test_an_inline_image_runs_and_leaves_the_cache_with_the_uploads(
    served: tuple[str, Path], images: dict[str, Path]
) -> None:
    url, cache = served
    before = files_under(cache)
    sent = [inline(images["photo"].read_bytes()), inline(images["style"].read_bytes())]
    status, stream = call(url, "classic", sent, size=64, iterations=1)
    assert status == 200 and "Done" in stream
    finished = time.monotonic()
    assert files_under(cache) - before  # the inline images, previews and PNG were there...
    wait_for(lambda: not files_under(cache) - before, timeout=8 * LIFETIME_S)  # ...then swept
    assert time.monotonic() - finished < 4 * LIFETIME_S + 2


# ---------------------------------------------------------------- waiting jobs and the line


def test_waiting_jobs_hold_no_pixels(server: str, images: dict[str, Path]) -> None:
    if SHARED_MAGENTA.exists():
        load_fast_model()  # the model's own memory is not the waiting jobs'
    holder, *waiters = (client(server) for _ in range(4))
    steady = {"iterations": 300, "preview_every": 20, "multires": False}  # no new stage
    running = classic_job(holder, images["photo"], images["style"], **steady)
    wait_for(lambda: "Painting" in (running.outputs() or [("", "")])[-1][1])
    huge = images["huge"]
    reset_peak_rss()
    baseline, _ = rss_mb()
    jobs = []
    for index, api in enumerate(waiters):  # 3 × 3 images of 36 megapixels: 1 GB decoded
        if SHARED_MAGENTA.exists() and index % 2:
            options = {"style_2": handle_file(huge), "size": 256}
            jobs.append(
                api.submit(
                    content=handle_file(huge),
                    style_1=handle_file(huge),
                    **options,
                    api_name="/fast",
                )
            )
        else:
            jobs.append(classic_job(api, huge, huge, style_2=handle_file(huge)))
    wait_for(lambda: SCHEDULER.waiting == len(waiters))
    now, peak = rss_mb()
    for api in (*waiters, holder):
        api.predict(api_name="/stop")
    for job in (*jobs, running):
        try:
            job.result(timeout=60)
        except AppError as error:  # a fast job stopped in line, or its upload swept meanwhile
            assert "Stopped before it started" in str(error) or "no longer" in str(error)
    print(f"waiting jobs: {now - baseline:+.0f} MB, peak {peak - baseline:+.0f} MB")
    limit = WAITING_JOB_MB * len(waiters)
    assert now - baseline < limit, f"waiting jobs hold {now - baseline:.0f} MB"
    assert peak - baseline < limit + 40, f"peak grew by {peak - baseline:.0f} MB"


def test_a_line_of_zero_runs_a_job_on_an_idle_server_and_refuses_a_second(
    images: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SCHEDULER, "max_waiting", SCHEDULER.max_waiting)  # restored after
    with live_app(0) as (url, _):
        photo, style = images["photo"], images["style"]
        _, status, _, _ = classic_job(client(url), photo, style).result(timeout=120)
        assert "Done" in status
        holder = client(url)
        running = classic_job(holder, photo, style, iterations=300)
        wait_for(lambda: running.status().code == Status.ITERATING)
        with pytest.raises(AppError, match="server is busy: another job is running"):
            classic_job(client(url), photo, style).result(timeout=60)
        holder.predict(api_name="/stop")
        assert "Stopped" in running.result(timeout=60)[1]


def test_a_scheduler_without_a_line_runs_one_job_and_refuses_the_next() -> None:
    scheduler = Scheduler(max_waiting=0)
    with scheduler.ticket() as first:
        assert first.wait(timeout=1)
        with pytest.raises(BusyError, match="another job is running"), scheduler.ticket():
            pass
    with scheduler.ticket() as again:
        assert again.wait(timeout=1)
    assert scheduler.waiting == 0


def test_listeners_hear_a_jobs_end_before_the_next_start() -> None:
    scheduler = Scheduler()
    heard: list[str] = []

    def slow(event: str, ticket: Ticket) -> None:  # slow to hear an end, as releasing memory is
        if event == "end":
            time.sleep(0.2)
        heard.append(event)

    def job() -> None:
        with scheduler.slot():
            time.sleep(0.05)

    scheduler.add_listener(slow)
    jobs = [threading.Thread(target=job) for _ in range(2)]
    for thread in jobs:
        thread.start()
    for thread in jobs:
        thread.join(timeout=30)
    assert heard == ["start", "end", "start", "end"]
