"""The web app, driven over HTTP with gradio_client as an API user would.

One server runs for the whole module (random VGG, tiny images); fast-mode
tests use the real Magenta models and skip when they are absent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.client import Job
from gradio_client.exceptions import AppError
from gradio_client.utils import Status
from PIL import Image

from nst.events import Queued
from nst.host import host_caps
from nst.images import read_png_params
from nst.scheduler import SCHEDULER
from nst.settings import ClassicSettings
from tests.conftest import REPO, SlotWatch, live_app, wait_for
from webui.api import endpoints
from webui.server import parse_args
from webui.stops import StopSwitches

MAX_QUEUE = 5


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app, served in this process on a free port; yields its URL."""
    with live_app(MAX_QUEUE) as (url, _):
        yield url


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 300×200 "photo", two styles and a file that only pretends to be a PNG."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:200, 0:300]
    photo = np.stack([x * 255 // 300, y * 255 // 200, (x + y) % 256], axis=-1).astype(np.uint8)
    paths = {
        "photo": folder / "photo.png",
        "style_a": folder / "style_a.png",
        "style_b": folder / "style_b.jpg",
        "not_an_image": folder / "notes.png",
    }
    Image.fromarray(photo).save(paths["photo"])
    Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)).save(paths["style_a"])
    Image.fromarray(rng.integers(0, 256, (80, 120, 3), dtype=np.uint8)).save(paths["style_b"])
    paths["not_an_image"].write_text("shopping list: eggs, flour\n")
    return paths


def client(url: str) -> Client:
    """A new API client: its own session, so its own queue place and Stop button."""
    return Client(url, verbose=False)


def classic_job(api: Client, images: dict[str, Path], **overrides: object) -> Job:
    """A small two-style classic job (6 steps at 64 px, previews every 2)."""
    inputs = {
        "content": handle_file(images["photo"]),
        "style_1": handle_file(images["style_a"]),
        "style_2": handle_file(images["style_b"]),
        "style_mix": 0.7,
        "size": 64,
        "iterations": 6,
        "preview_every": 2,
    }
    return api.submit(**{**inputs, **overrides}, api_name="/classic")


def queued(job: Job, ahead: int) -> bool:
    """Whether the job's status line last said ``ahead`` jobs are ahead of it."""
    outputs = job.outputs()
    return bool(outputs) and Queued(ahead).words() in outputs[-1][1]


def test_endpoints_name_their_parameters(server: str) -> None:
    endpoints = client(server).view_api(print_info=False, return_format="dict")
    named = endpoints["named_endpoints"]
    assert set(named) == {"/classic", "/fast", "/video", "/stop"}
    assert not endpoints["unnamed_endpoints"]
    assert [p["parameter_name"] for p in named["/classic"]["parameters"]] == [
        "content",
        "style_1",
        "style_2",
        "style_mix",
        "iterations",
        "content_weight",
        "style_weight",
        "tv_weight",
        "size",
        "style_scale",
        "init",
        "preserve_colors",
        "seed",
        "preview_every",
        "learning_rate",
        "multires",
        "style_strength",
        "optimiser",
        "mask_feather",
        "mask",
    ]
    assert [p["parameter_name"] for p in named["/fast"]["parameters"]] == [
        "content",
        "style_1",
        "style_2",
        "style_mix",
        "size",
        "strength",
        "preserve_colors",
        "brush_size",
        "mask_feather",
        "mask",
    ]
    style_2 = named["/classic"]["parameters"][2]
    assert style_2["parameter_has_default"] and style_2["parameter_default"] is None


def test_classic_streams_previews_then_a_png_with_its_settings(
    server: str, images: dict[str, Path]
) -> None:
    from nst.classic.evaluator import get_evaluator

    job = classic_job(client(server), images)
    updates = list(job)
    previews = [image for image, *_ in updates if isinstance(image, str)]
    assert len(previews) == 3  # steps 2, 4 and the final 6
    assert all(Image.open(p).size == (64, 43) for p in previews)
    assert any(status.startswith("Painting… step 2 of 6") for _, status, *_ in updates)
    _, status, costs, png = updates[-1]
    assert "Done" in status
    assert {row[1] for row in costs["data"]} == {"total", "content", "style", "tv"}
    params = read_png_params(png)
    assert params["mode"] == "classic"
    assert params["styles"] == ["style_a.png", "style_b.jpg"]
    assert params["style_mix"] == pytest.approx(0.7)
    assert params["steps_done"] == 6
    assert Image.open(png).size == (64, 43)
    list(classic_job(client(server), images, size=96))
    assert get_evaluator().traces() == 1  # one model and one trace for every job and size


def test_fast_returns_the_requested_size(
    server: str, images: dict[str, Path], magenta_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NST_FAST_MODEL", str(magenta_dir))
    image, status, png = client(server).predict(
        content=handle_file(images["photo"]),
        style_1=handle_file(images["style_a"]),
        size=256,
        strength=0.8,
        api_name="/fast",
    )
    assert Image.open(image).size == (256, 171)
    assert "Done" in status
    params = read_png_params(png)
    assert params["mode"] == "fast"
    assert params["strength"] == 0.8
    assert Image.open(png).size == (256, 171)


def fast_job(api: Client, images: dict[str, Path], **overrides: object) -> Job:
    """A small fast job (128 px)."""
    inputs = {"content": handle_file(images["photo"]), "style_1": handle_file(images["style_a"])}
    return api.submit(**{**inputs, "size": 128, **overrides}, api_name="/fast")


def test_a_fast_job_says_what_it_does_and_a_waiting_one_its_place_and_its_own_time(
    server: str, images: dict[str, Path], magenta_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NST_FAST_MODEL", str(magenta_dir))
    idle = [status for _, status, _ in fast_job(client(server), images)]
    assert not any("Waiting" in status or "Queued" in status for status in idle)
    assert "Reading the images…" in idle and re.fullmatch(r"Done in [\d.]+ s\.", idle[-1])

    watch = SlotWatch(SCHEDULER)
    holder = client(server)
    running = classic_job(holder, images, iterations=300, preview_every=300)
    wait_for(lambda: len(watch.started) == 1)
    waiting = fast_job(client(server), images)
    wait_for(lambda: queued(waiting, 1))
    time.sleep(1.0)
    holder.predict(api_name="/stop")
    _, status, png = waiting.result(timeout=120)
    watch.stop()
    running.result(timeout=60)
    assert re.fullmatch(r"Done in [\d.]+ s \(waited [\d.]+ s\)\.", status), status
    waited = float(re.findall(r"([\d.]+) s", status)[-1])
    assert waited >= 1.0 and png


@pytest.mark.parametrize("init", ["content", "palette", "noise", "an image"])
def test_every_start_image_runs_through_the_api_and_a_server_path_is_refused(
    server: str, images: dict[str, Path], init: str
) -> None:
    if init == "an image":  # a path names a file on the server, which no visitor may read
        with pytest.raises(
            AppError, match="init must be one of content, palette, noise, fast here"
        ):
            classic_job(client(server), images, init=str(images["style_b"])).result(timeout=60)
        return
    _, status, _, png = classic_job(client(server), images, init=init).result(timeout=120)
    assert "Done" in status and read_png_params(png)["init"] == init


def test_a_clip_with_two_styles_comes_back_from_the_api(
    server: str,
    images: dict[str, Path],
    magenta_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from tests.test_video import pan, write_clip

    monkeypatch.setenv("NST_FAST_MODEL", str(magenta_dir))
    clip = write_clip(tmp_path / "clip.mp4", pan(12), audio_seconds=0.5)
    job = client(server).submit(
        content=handle_file(clip),
        style_1=handle_file(images["style_a"]),
        style_2=handle_file(images["style_b"]),
        size=96,
        api_name="/video",
    )
    updates = list(job)
    statuses = [status for _, status, _ in updates]
    assert any(status.startswith("Frame ") for status in statuses)
    _, status, mp4 = updates[-1]
    assert status.startswith("Done") and Path(mp4).suffix == ".mp4"
    with av.open(mp4) as played:
        assert played.streams.video[0].codec_context.name == "h264"
        assert len(played.streams.audio) == 1
        assert sum(1 for _ in played.decode(video=0)) == 12


def test_a_waiting_fast_job_that_is_stopped_says_so_and_nothing_failed(
    server: str, images: dict[str, Path]
) -> None:
    watch = SlotWatch(SCHEDULER)
    holder = client(server)
    running = classic_job(holder, images, iterations=300, preview_every=300)
    wait_for(lambda: len(watch.started) == 1)
    api = client(server)
    waiting = fast_job(api, images)
    wait_for(lambda: queued(waiting, 1))
    api.predict(api_name="/stop")
    _, status, png = waiting.result(timeout=60)  # an answer, not an error
    holder.predict(api_name="/stop")
    running.result(timeout=60)
    watch.stop()
    assert status == "Stopped before it started." and png is None
    assert len(watch.started) == 1  # it never ran


def test_cancel_from_the_client_answers_at_once_and_stops_the_job(
    server: str, images: dict[str, Path]
) -> None:
    watch = SlotWatch(SCHEDULER)
    running = classic_job(client(server), images, size=256, iterations=300, preview_every=10)
    wait_for(lambda: running.status().code == Status.ITERATING, timeout=120)
    asked = time.monotonic()
    running.cancel()  # gradio_client gives the server 5 s to answer, then raises
    answered = time.monotonic() - asked
    nxt = classic_job(client(server), images)
    nxt.result(timeout=120)
    watch.stop()
    assert answered < 5.0
    assert len(watch.started) == 2


def test_the_api_page_names_every_output_and_types_whole_numbers(server: str) -> None:
    named = client(server).view_api(print_info=False, return_format="dict")["named_endpoints"]
    for endpoint in ("/classic", "/fast"):
        labels = [output["label"] for output in named[endpoint]["returns"]]
        assert all(label and not label.startswith("value_") for label in labels), labels
        types = {
            p["parameter_name"]: p["python_type"]["type"] for p in named[endpoint]["parameters"]
        }
        assert types["size"] == "int"
    classic = {p["parameter_name"]: p for p in named["/classic"]["parameters"]}
    assert classic["iterations"]["python_type"]["type"] == "int"


def test_a_second_job_waits_its_turn_and_stop_ends_the_first_early(
    server: str, images: dict[str, Path]
) -> None:
    first_client, second_client = client(server), client(server)
    first = classic_job(first_client, images, iterations=300, preview_every=1, style_2=None)
    wait_for(lambda: first.status().code == Status.ITERATING)
    second = classic_job(second_client, images)
    wait_for(lambda: queued(second, ahead=1))  # it waits in the scheduler, told its place
    assert not first.done()

    started = time.monotonic()
    client(server).predict(api_name="/stop")  # another session's Stop leaves it running
    time.sleep(1)
    assert not first.done()
    first_client.predict(api_name="/stop")
    first.result(timeout=30)
    assert time.monotonic() - started < 30
    _, status, _, png = first.outputs()[-1]
    assert "Stopped" in status
    steps = read_png_params(png)["steps_done"]
    assert 0 < steps < 300
    assert f"step {steps} of 300" in status
    assert Image.open(png).size == (64, 43)  # the last image, kept

    _, status, _, _ = second.result(timeout=60)
    assert "Done" in status


def test_a_full_queue_says_busy_and_stop_or_cancel_take_a_job_out_of_it(
    server: str, images: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = SlotWatch(SCHEDULER)
    monkeypatch.setattr(SCHEDULER, "max_waiting", 1)  # one running, one waiting: full
    first_client, waiting_client = client(server), client(server)
    first = classic_job(first_client, images, iterations=300, preview_every=1, style_2=None)
    wait_for(lambda: first.status().code == Status.ITERATING)
    waiting = classic_job(waiting_client, images, size=80)
    wait_for(lambda: queued(waiting, ahead=1))

    with pytest.raises(AppError, match="server is busy: 1 job is already waiting"):
        classic_job(client(server), images).result(timeout=30)
    waiting_client.predict(api_name="/stop")  # accepted although the line is full
    _, status, _, _ = waiting.result(timeout=10)
    assert "Stopped" in status and "before it started" in status

    cancelled = classic_job(client(server), images, size=96)
    wait_for(lambda: queued(cancelled, ahead=1))
    cancelled.cancel()
    wait_for(lambda: SCHEDULER.waiting == 0, timeout=10)  # it left the line

    assert not first.done()
    first_client.predict(api_name="/stop")
    _, status, _, _ = first.result(timeout=30)
    assert "Stopped" in status
    time.sleep(1)  # room for a job wrongly left in line to start
    watch.stop()
    assert [settings.size for _, settings in watch.started] == [64]  # the others never ran


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"content": "not_an_image", "style_1": "style_a"}, "is not an image Pillow can read"),
        ({"content": "photo", "style_1": None}, "Choose a style"),
        ({"content": None, "style_1": "style_a"}, "Upload a content photo"),
    ],
)
def test_bad_input_gets_a_readable_message(
    server: str, images: dict[str, Path], inputs: dict[str, str | None], message: str
) -> None:
    files = {name: handle_file(images[key]) if key else None for name, key in inputs.items()}
    with pytest.raises(AppError) as error:
        client(server).predict(**files, size=64, iterations=1, api_name="/classic")
    assert message in str(error.value)
    assert "Traceback" not in str(error.value)
    assert "/tmp" not in str(error.value)


def test_a_refused_input_logs_one_line_and_no_traceback(
    server: str,
    images: dict[str, Path],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    cases = [
        ({"content": "photo", "style_1": None}, "Choose a style"),
        ({"content": "not_an_image", "style_1": "style_a"}, "is not an image Pillow can read"),
    ]
    for inputs, words in cases:
        files = {name: handle_file(images[key]) if key else None for name, key in inputs.items()}
        caplog.clear()
        with caplog.at_level(logging.WARNING), pytest.raises(AppError):
            client(server).predict(**files, size=64, iterations=1, api_name="/classic")
        lines = [record.getMessage() for record in caplog.records]
        assert len(lines) == 1 and lines[0].startswith("refused: ") and words in lines[0], lines
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


def test_an_upload_swept_while_its_job_starts_is_named_without_its_path(
    images: dict[str, Path], tmp_path: Path
) -> None:
    gone = str(tmp_path / "photo.png")  # handed over by Gradio, then removed by the sweep
    classic, *_ = endpoints(host_caps())

    async def outputs() -> list:
        return [item async for item in classic(gone, str(images["style_a"]), size=64, iterations=1)]

    with pytest.raises(gr.Error) as error:
        asyncio.run(outputs())
    assert "no longer on the server" in error.value.message
    assert str(tmp_path) not in error.value.message


def test_sliders_refuse_more_than_the_host_caps_naming_the_parameter(
    server: str, images: dict[str, Path]
) -> None:
    cap = host_caps().classic["size"]
    with pytest.raises(AppError, match=f"size must be between 16 and {cap}, not {cap + 16}"):
        classic_job(client(server), images, size=cap + 16).result(timeout=30)


def test_caps_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NST_MAX_CLASSIC_SIZE", "256")
    monkeypatch.setenv("NST_MAX_ITERATIONS", "50")
    caps = host_caps()
    assert caps.classic == {"size": 256, "iterations": 50}
    assert "NST_MAX_CLASSIC_SIZE" in caps.note() and "256 px" in caps.note()
    monkeypatch.setenv("NST_MAX_CLASSIC_SIZE", "99999")
    assert host_caps().classic["size"] == ClassicSettings.parameter("size").high


def test_stop_reaches_a_job_still_waiting_and_only_this_session() -> None:
    switches = StopSwitches()
    running = switches.claim("tab-1")  # an API job: no flag armed beforehand
    switches.arm("tab-1")  # the page's next job, waiting in the queue
    assert switches.stop("tab-2") == 0
    assert switches.stop("tab-1") == 2
    assert running.is_set()
    waiting = switches.claim("tab-1")
    assert waiting.is_set()  # it stops as soon as it starts
    switches.release("tab-1", running)
    switches.release("tab-1", waiting)
    assert switches.stop("tab-1") == 0
    switches.arm("tab-1")  # the page asks for a new job: the earlier Stop is forgotten
    assert not switches.claim("tab-1").is_set()


def test_command_line_defaults_follow_gradio_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7999")
    monkeypatch.setenv("NST_MAX_QUEUE", "3")
    args = parse_args([])
    assert (args.host, args.port, args.max_queue, args.share) == ("0.0.0.0", 7999, 3, False)
    args = parse_args(["--host", "127.0.0.1", "--port", "8000", "--share", "--preload"])
    assert (args.host, args.port, args.share, args.preload) == ("127.0.0.1", 8000, True, True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_app_starts_quietly_with_one_line_saying_where(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "GRADIO_TEMP_DIR": str(tmp_path)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the app must quieten TensorFlow by itself
    command = [sys.executable, "app.py", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while not any("served at" in line for line in lines):
            assert process.poll() is None and time.monotonic() < deadline, lines
            if select.select([process.stdout], [], [], 1)[0]:
                lines.append(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert lines == [f"Dual NST is served at http://127.0.0.1:{port}/ (Ctrl+C to stop)\n"]


def test_the_flags_are_read_before_anything_heavy_is_imported() -> None:
    """``python app.py --help`` answers at once: TensorFlow and Gradio load only to serve."""
    probe = "import sys, webui.server as s; s.parse_args([]); print(sorted(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert "'tensorflow'" not in loaded and "'gradio'" not in loaded
