"""Soak and load: memory and traces over many jobs, many clients at once, Stop latency.

    python bench/soak.py [--quick]

1. Soak: 50 rounds (``--quick``: 20), each one classic job (64 px, 10 steps,
   on the random VGG unless NST_VGG_WEIGHTS says otherwise) and one fast job
   (256 px, real Magenta models from NST_FAST_MODEL or ../shared/models/magenta;
   skipped when absent). The content's shape cycles so every size path is used.
   Prints RSS and peak RSS after round 10 (``--quick``: 5) and after the last
   round, their drift (must stay under 5 %) and the classic step's trace count
   (must not change).
2. Load: 20 gradio_client clients (``--quick``: 8), each its own session,
   submit at once to the app served in this process on 127.0.0.1 with a queue
   of 5 (``--quick``: 3), half classic and half fast. Every job must complete or
   be refused with the scheduler's "server is busy" message. Prints the counts
   and the most transfers ever running at once, from the scheduler's own
   counter and from a probe wrapped around the code that holds the device
   (both must be 1).
3. Stop: a long classic job runs while two wait; the first waiting one is
   cancelled, then the running one is stopped. Prints how long the cancelled
   job took to leave the queue, and how long after Stop the last job started.
   Then Stop again, this time with the queue full: it must still be accepted,
   and a job submitted then must be told the server is busy.
4. Hostile: the app in its own process (``python app.py``), so that its
   memory is measured alone, through 10 rounds (``--quick``: 3). In each, a
   streaming client starts a classic job (256 px, one preview every 300
   steps) and is killed once a small job and 4 (``--quick``: 3) jobs of three
   39-megapixel images each (classic at 64 px and fast at 2048 px in turn)
   wait behind it; meanwhile an 81-megapixel image is sent inline, an upload
   over the request's bytes, one over its files, and an upload abandoned
   halfway. Prints the app's RSS at the start, at its peak and at the end,
   the RSS each waiting job adds and how long the abandoned job kept the
   slot; checks the refusals, that nothing stays in the app's cache past
   ``NST_DELETE_CACHE_SECONDS``, and that the RSS after the last round is
   within 10 % of that after the first.

Exit status 1 when a check fails. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED_MAGENTA = Path(os.environ.get("NST_SHARED_DIR", REPO.parent / "shared")) / "models/magenta"
CACHE = Path(tempfile.mkdtemp(prefix="nst-soak-"))
os.environ.setdefault("NST_VGG_WEIGHTS", "random")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NST_MAX_ITERATIONS", "5000")  # room for the long job that gets stopped
os.environ["GRADIO_TEMP_DIR"] = str(CACHE / "gradio")
if SHARED_MAGENTA.is_dir():
    os.environ.setdefault("NST_FAST_MODEL", str(SHARED_MAGENTA))

import httpx  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.utils import Status  # noqa: E402
from PIL import Image  # noqa: E402

from nst.classic import stylize  # noqa: E402
from nst.classic.evaluator import get_evaluator  # noqa: E402
from nst.errors import ModelUnavailableError  # noqa: E402
from nst.events import Queued  # noqa: E402
from nst.fast import load_fast_model, stylize_fast  # noqa: E402
from nst.scheduler import SCHEDULER, Ticket  # noqa: E402
from nst.settings import ClassicSettings, FastSettings  # noqa: E402
from webui.layout import build_demo  # noqa: E402
from webui.server import launch  # noqa: E402

DRIFT_LIMIT = 0.05
CLASSIC = ClassicSettings(size=64, iterations=10, preview_every=5, multires=False)
FAST = FastSettings(size=256)
SHAPES = ((48, 64), (64, 48), (64, 64))
"""(height, width) of the contents, cycled: landscape, portrait, square."""
BUSY = "the server is busy"
"""How the scheduler refuses a job when the line is full (nst.errors.BusyError)."""
JOB_TIMEOUT_S = 300.0
HUGE = (6500, 6000)
"""(width, height) of the large images: 39 megapixels, a PNG of about 100 kB."""
APP_LIFETIME_S = 30
"""The hostile phase's NST_DELETE_CACHE_SECONDS: longer than any job waits there."""
ROUND_DRIFT_LIMIT = 0.10
WAITING_JOB_LIMIT_MB = 10.0
SLOT_LIMIT_S = 2.0
STREAMING_CLIENT = """
import sys
from gradio_client import Client, handle_file

url, content, style = sys.argv[1:]
job = Client(url, verbose=False).submit(
    content=handle_file(content), style_1=handle_file(style), size=256, iterations=300,
    preview_every=300, multires=False, api_name="/classic",
)
for _, status, *_ in job:
    print(status, flush=True)
"""
"""A page-like client: streams a long classic job, printing each status, until killed."""


@dataclass(frozen=True)
class Plan:
    rounds: int
    checkpoint: int
    clients: int
    max_queue: int
    hostile_rounds: int
    waiting: int


FULL = Plan(rounds=50, checkpoint=10, clients=20, max_queue=5, hostile_rounds=10, waiting=4)
QUICK = Plan(rounds=20, checkpoint=5, clients=8, max_queue=3, hostile_rounds=3, waiting=3)


def memory_mb(pid: int | str = "self") -> tuple[float, float]:
    """(RSS, peak RSS) of a process (this one by default) in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            name, value = line.split(":")
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def noise(shape: tuple[int, int], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


class Checks:
    """Named pass/fail results, printed as they come and summed up at the end."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def check(self, name: str, ok: bool, detail: str) -> None:
        print(f"  [{'ok' if ok else 'FAIL'}] {name}: {detail}")
        if not ok:
            self.failed.append(name)


def fast_available() -> bool:
    """Fast mode only from a model NST_FAST_MODEL names (../shared sets it): never a download."""
    if not os.environ.get("NST_FAST_MODEL"):
        print("fast mode skipped: set NST_FAST_MODEL to a folder holding the Magenta models")
        return False
    try:
        load_fast_model()
    except ModelUnavailableError as error:
        print(f"fast mode skipped: {error}")
        return False
    return True


def soak(plan: Plan, fast: bool, checks: Checks) -> None:
    """Sequential rounds; memory and traces at the checkpoint and at the end."""
    print(
        f"\n== soak: {plan.rounds} rounds of classic {CLASSIC.size} px × {CLASSIC.iterations} steps"
    )
    print(f"   (weights: NST_VGG_WEIGHTS={os.environ['NST_VGG_WEIGHTS']})", end="")
    print(f" + fast {FAST.size} px" if fast else " (no fast mode)")
    styles = [noise((64, 64), 1), noise((80, 60), 2)]
    marks: dict[int, tuple[float, float, int]] = {}
    started = time.perf_counter()
    for job in range(1, plan.rounds + 1):
        content = noise(SHAPES[job % len(SHAPES)], job)
        events = list(stylize(content, styles, CLASSIC))
        assert events[-1].state == "done"
        if fast:
            stylize_fast(content, styles, FAST)
        if job in (plan.checkpoint, plan.rounds):
            marks[job] = (*memory_mb(), get_evaluator().traces())
    elapsed = time.perf_counter() - started
    print(f"   {plan.rounds} rounds in {elapsed:.1f} s ({elapsed / plan.rounds:.2f} s a round)")
    (rss_a, peak_a, traces_a), (rss_b, peak_b, traces_b) = (
        marks[plan.checkpoint],
        marks[plan.rounds],
    )
    for job, (rss, peak, traces) in marks.items():
        print(
            f"   after round {job:2d}: RSS {rss:7.1f} MB, peak RSS {peak:7.1f} MB, traces {traces}"
        )
    rss_drift, peak_drift = (rss_b - rss_a) / rss_a, (peak_b - peak_a) / peak_a
    checks.check(
        "peak RSS drift",
        peak_drift < DRIFT_LIMIT,
        f"{peak_drift:+.2%} from round {plan.checkpoint} to {plan.rounds} (RSS {rss_drift:+.2%})",
    )
    checks.check("traced step count", traces_a == traces_b == 1, f"{traces_a} then {traces_b}")


class TransferProbe:
    """Counts transfers holding the device at once, from the scheduler's start and end news."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.log: list[list[Any]] = []
        """[mode, size, start, end] per transfer, times from time.perf_counter()."""

    def hear(self, event: str, ticket: Ticket) -> None:
        """A scheduler listener: log each job's mode, size, start and end."""
        mode, settings = ticket.job
        with self._lock:
            if event == "start":
                self.active += 1
                self.peak = max(self.peak, self.active)
                self.log.append([mode, settings.size, time.perf_counter(), None])
                return
            self.active -= 1
            entry = next(e for e in reversed(self.log) if e[:2] == [mode, settings.size])
            entry[3] = time.perf_counter()

    def install(self) -> None:
        SCHEDULER.add_listener(self.hear)

    def started(self, mode: str, size: int) -> float | None:
        """When the first transfer of this mode and size started, if one has."""
        with self._lock:
            return next((e[2] for e in self.log if e[:2] == [mode, size]), None)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not reach the expected state in time")
        time.sleep(0.02)


def serve(max_queue: int) -> tuple[Any, str]:
    """The app in this process on a free port of 127.0.0.1: (demo, URL)."""
    demo = build_demo()
    _, url, _ = launch(
        demo, max_queue=max_queue, server_name="127.0.0.1", prevent_thread_lock=True, quiet=True
    )
    return demo, url


def files(folder: Path) -> dict[str, Any]:
    """Inputs for the API: a photo and a style, written once."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"photo": folder / "photo.png", "style": folder / "style.png"}
    Image.fromarray(noise((48, 64), 10)).save(paths["photo"])
    Image.fromarray(noise((64, 64), 11)).save(paths["style"])
    return {"content": handle_file(paths["photo"]), "style_1": handle_file(paths["style"])}


def client(url: str) -> Client:
    """A new API client: its own session, so its own place in the queue and its own Stop."""
    return Client(url, verbose=False, download_files=False)


def load(plan: Plan, url: str, inputs: dict[str, Any], fast: bool, checks: Checks) -> None:
    """Every client submits at once; count what completed, was refused or failed."""
    print(f"\n== load: {plan.clients} clients at once, queue max {plan.max_queue}")
    clients = [client(url) for _ in range(plan.clients)]
    jobs = []
    started = time.perf_counter()
    for index, api in enumerate(clients):
        if fast and index % 2:
            jobs.append(("fast", api.submit(**inputs, size=128, api_name="/fast")))
        else:
            options = {"size": 64, "iterations": 30, "preview_every": 10}
            jobs.append(("classic", api.submit(**inputs, **options, api_name="/classic")))
    counts = {"completed": 0, "refused": 0, "failed": 0}
    deadline = time.monotonic() + JOB_TIMEOUT_S
    for mode, job in jobs:
        try:
            outputs = job.result(timeout=max(deadline - time.monotonic(), 1))
            counts["completed" if "Done" in outputs[1] else "failed"] += 1
        except Exception as error:  # the client raises several types; sort them by message
            message = str(error)
            refused = BUSY in message.lower()
            counts["refused" if refused else "failed"] += 1
            if not refused:
                print(f"   {mode} job failed: {type(error).__name__}: {message}")
    elapsed = time.perf_counter() - started
    print(
        f"   completed {counts['completed']}, refused {counts['refused']}, "
        f"failed {counts['failed']} in {elapsed:.1f} s"
    )
    checks.check("no job failed", counts["failed"] == 0, f"{counts['failed']} failed")
    checks.check(
        "the full queue refused some", counts["refused"] > 0, f"{counts['refused']} refused"
    )


def queued(job: Any, ahead: int) -> bool:
    """Whether the job's status line last said ``ahead`` jobs are ahead of it."""
    outputs = job.outputs()
    return bool(outputs) and Queued(ahead).words() in outputs[-1][1]


def stop_latency(url: str, inputs: dict[str, Any], probe: TransferProbe, checks: Checks) -> None:
    """Cancel a waiting job, then Stop the running one; time until the next one starts."""
    print("\n== stop: cancel a waiting job, then stop the running one")
    running, cancelled, last = client(url), client(url), client(url)
    long_job = running.submit(**inputs, size=64, iterations=5000, api_name="/classic")
    wait_until(lambda: probe.started("classic", 64) is not None and probe.active == 1)
    doomed = cancelled.submit(**inputs, size=96, iterations=10, api_name="/classic")
    wait_until(lambda: queued(doomed, ahead=1))
    final = last.submit(**inputs, size=80, iterations=10, api_name="/classic")
    wait_until(lambda: queued(final, ahead=2))

    asked = time.perf_counter()
    doomed.cancel()
    wait_until(lambda: SCHEDULER.waiting == 1)
    left_queue = time.perf_counter() - asked
    time.sleep(0.5)  # the long job keeps running meanwhile

    asked = time.perf_counter()
    running.predict(api_name="/stop")
    stopped_status = long_job.result(timeout=JOB_TIMEOUT_S)[1]
    final_status = final.result(timeout=JOB_TIMEOUT_S)[1]
    next_start = probe.started("classic", 80)
    assert next_start is not None
    stop_to_start = next_start - asked
    print(f"   cancel while queued: the job left the queue after {left_queue * 1000:.0f} ms")
    print(f"   stop while running: the next job started {stop_to_start * 1000:.0f} ms after Stop")
    checks.check("stopped job kept its image", "Stopped" in stopped_status, stopped_status)
    checks.check("cancelled job never ran", probe.started("classic", 96) is None, "not started")
    checks.check("next job completed", "Done" in final_status, final_status)
    checks.check("Stop frees the slot within 2 s", stop_to_start < 2.0, f"{stop_to_start:.2f} s")


def stop_with_full_queue(
    plan: Plan, url: str, inputs: dict[str, Any], probe: TransferProbe, checks: Checks
) -> None:
    """Stop must reach a running job even when the queue has no room left."""
    print(f"\n== stop while the queue is full ({plan.max_queue} waiting)")
    running = client(url)
    long_job = running.submit(**inputs, size=72, iterations=5000, api_name="/classic")
    wait_until(lambda: probe.started("classic", 72) is not None)
    waiting = [
        client(url).submit(**inputs, size=64, iterations=10, api_name="/classic")
        for _ in range(plan.max_queue)
    ]
    wait_until(lambda: SCHEDULER.waiting == plan.max_queue)
    try:
        client(url).predict(**inputs, size=64, iterations=10, api_name="/classic")
        turned_away = "accepted"
    except Exception as error:  # the client raises several types; sort them by message
        turned_away = str(error)
    checks.check(
        "one more job is told the server is busy", BUSY in turned_away.lower(), turned_away
    )
    try:
        running.predict(api_name="/stop")
        refusal = ""
    except Exception as error:
        refusal = f"refused: {type(error).__name__}: {error}"
    checks.check("Stop accepted while the queue is full", not refusal, refusal or "accepted")
    for job in waiting:
        job.cancel()
    if refusal:
        running.predict(api_name="/stop")  # the cancels made room
    status = long_job.result(timeout=JOB_TIMEOUT_S)[1]
    checks.check("Stop reached the running job", "Stopped" in status, status)
    with suppress(TimeoutError):
        wait_until(lambda: SCHEDULER.waiting == 0, timeout=10)
    left = SCHEDULER.waiting
    checks.check("cancelled jobs left the queue within 10 s", left == 0, f"{left} still waiting")


class AppProcess:
    """``python app.py`` on a free port of 127.0.0.1, with its own cache folder."""

    def __init__(self, max_queue: int, cache: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.cache = cache
        self.url = f"http://127.0.0.1:{port}/"
        env = {
            **os.environ,
            "GRADIO_TEMP_DIR": str(cache),
            "NST_DELETE_CACHE_SECONDS": str(APP_LIFETIME_S),
        }
        command = [sys.executable, str(REPO / "app.py"), "--port", str(port), "--preload"]
        self.process = subprocess.Popen(
            [*command, "--max-queue", str(max_queue)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=JOB_TIMEOUT_S)

    def _answers(self) -> bool:
        try:
            return httpx.get(self.url, timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def memory_mb(self) -> tuple[float, float]:
        return memory_mb(self.process.pid)

    def files(self) -> set[Path]:
        return {path for path in self.cache.rglob("*") if path.is_file()}

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def write_hostile_inputs(folder: Path) -> dict[str, Path]:
    """Three 39-megapixel PNGs, an 81-megapixel one (1 bit), a small photo and style."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for index, colour in enumerate(((200, 120, 40), (40, 90, 200), (90, 160, 90))):
        paths[f"huge{index}"] = folder / f"huge{index}.png"
        Image.new("RGB", HUGE, colour).save(paths[f"huge{index}"])
    paths["81mp"] = folder / "81mp.png"
    Image.new("1", (9000, 9000), 1).save(paths["81mp"])
    paths["photo"], paths["style"] = folder / "photo.png", folder / "style.png"
    Image.fromarray(noise((48, 64), 20)).save(paths["photo"])
    Image.fromarray(noise((64, 64), 21)).save(paths["style"])
    return paths


def latest_status(job: Any) -> str:
    outputs = job.outputs()
    return outputs[-1][1] if outputs else ""


def refusals(
    url: str, inputs: dict[str, Path], app: AppProcess, figures: dict[str, list[float]]
) -> dict[str, bool]:
    """Requests over the bounds, each of which must be refused and leave no file."""
    base = url + "gradio_api"
    before = app.files()
    data_url = "data:image/png;base64," + base64.b64encode(inputs["81mp"].read_bytes()).decode()
    inline = {"url": data_url, "path": None, "meta": {"_type": "gradio.FileData"}}
    with httpx.Client(timeout=JOB_TIMEOUT_S) as http:
        started = time.perf_counter()
        parameters = http.get(f"{base}/info").json()["named_endpoints"]["/fast"]["parameters"]
        defaults = [parameter.get("parameter_default") for parameter in parameters[2:]]
        call = http.post(f"{base}/call/fast", json={"data": [inline, inline, *defaults]})
        answer = http.get(f"{base}/call/fast/{call.json()['event_id']}").text
        figures["inline refusal"].append(time.perf_counter() - started)
        oversized = _status(http, f"{base}/upload", [("a.png", b"\0" * (65 << 20))])
        many = _status(http, f"{base}/upload", [(f"{n}.png", b"x") for n in range(5)])
    abandon_upload(url, declared=40 << 20, sent=20 << 20)
    return {
        "inline 81 MP image refused": "81.0 megapixels" in answer,
        "upload over 64 MB refused": oversized in (413, 0),
        "upload of 5 files refused": many == 413,
        "nothing written for them": not app.files() - before,
    }


def _status(http: httpx.Client, url: str, parts: list[tuple[str, bytes]]) -> int:
    """An upload's HTTP status, or 0 when the server hung up before reading it all."""
    try:
        return http.post(url, files=[("files", part) for part in parts]).status_code
    except httpx.TransportError:
        return 0


def abandon_upload(url: str, declared: int, sent: int) -> None:
    """Begin an upload of ``declared`` bytes, send ``sent`` of them, and hang up."""
    address = httpx.URL(url)
    head = (
        f"POST /gradio_api/upload HTTP/1.1\r\nHost: {address.host}\r\n"
        f"Content-Length: {declared}\r\nContent-Type: multipart/form-data; boundary=B\r\n\r\n"
        "--B\r\nContent-Disposition: form-data; name=files; filename=a.png\r\n\r\n"
    ).encode()
    with socket.create_connection((address.host, address.port)) as connection:
        connection.sendall(head)
        for _ in range(sent >> 20):
            connection.sendall(b"\0" * (1 << 20))


def hostile_round(
    plan: Plan,
    app: AppProcess,
    inputs: dict[str, Path],
    fast: bool,
    figures: dict[str, list[float]],
) -> dict[str, bool]:
    """Large jobs waiting behind a job whose client is killed, and refusals meanwhile."""
    huge = [handle_file(inputs[f"huge{n}"]) for n in range(3)]
    large = {"content": huge[0], "style_1": huge[1], "style_2": huge[2]}
    small = {"content": handle_file(inputs["photo"]), "style_1": handle_file(inputs["style"])}
    abandoned = subprocess.Popen(
        [
            sys.executable,
            "-c",
            STREAMING_CLIENT,
            app.url,
            str(inputs["photo"]),
            str(inputs["style"]),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert abandoned.stdout is not None and "Starting" in abandoned.stdout.readline()
        first = client(app.url).submit(
            **small, size=64, iterations=5, preview_every=1, api_name="/classic"
        )
        wait_until(lambda: Queued(1).words() in latest_status(first), timeout=JOB_TIMEOUT_S)
        time.sleep(1)  # the running job's memory settles in its first steps
        before, _ = app.memory_mb()
        waiting = []
        for index in range(plan.waiting):
            if fast and index % 2:
                job = client(app.url).submit(**large, size=2048, api_name="/fast")
            else:
                job = client(app.url).submit(**large, size=64, iterations=2, api_name="/classic")
            waiting.append(job)
        wait_until(lambda: all(in_line(job) for job in waiting), timeout=JOB_TIMEOUT_S)
        time.sleep(0.5)  # a fast job in line has checked its images' headers by now
        figures["per waiting job"].append((app.memory_mb()[0] - before) / plan.waiting)
        checks = refusals(app.url, inputs, app, figures)
    finally:
        abandoned.kill()
    killed = time.perf_counter()
    abandoned.wait()
    wait_until(lambda: "Painting" in latest_status(first), timeout=JOB_TIMEOUT_S)
    figures["slot kept"].append(time.perf_counter() - killed)
    statuses = [job.result(timeout=JOB_TIMEOUT_S)[1] for job in (first, *waiting)]
    checks["every waiting job done"] = all("Done" in status for status in statuses)
    figures["RSS"].append(app.memory_mb()[0])
    return checks


def in_line(job: Any) -> bool:
    """Whether a job waits for the device: a classic job says so, a fast one is being handled."""
    if "Queued" in latest_status(job):
        return True
    return not job.outputs() and job.status().code == Status.PROCESSING and not job.done()


def hostile(plan: Plan, fast: bool, checks: Checks) -> None:
    """Rounds of abuse against the app in its own process; its memory and cache after them."""
    print(f"\n== hostile: {plan.hostile_rounds} rounds against python app.py", end="")
    print(f", {plan.waiting} large jobs waiting in each")
    inputs = write_hostile_inputs(CACHE / "hostile")
    app = AppProcess(max_queue=plan.waiting + 2, cache=CACHE / "gradio-app")
    try:
        kept_by_gradio = app.files()  # the page's own files (examples)
        small = {"content": handle_file(inputs["photo"]), "style_1": handle_file(inputs["style"])}
        client(app.url).predict(**small, size=64, iterations=2, api_name="/classic")
        start, _ = app.memory_mb()
        figures: dict[str, list[float]] = {
            "per waiting job": [],
            "slot kept": [],
            "inline refusal": [],
            "RSS": [],
        }
        failed: set[str] = set()
        for number in range(1, plan.hostile_rounds + 1):
            outcome = hostile_round(plan, app, inputs, fast, figures)
            failed |= {name for name, ok in outcome.items() if not ok}
            print(f"   round {number:2d}: RSS {figures['RSS'][-1]:7.1f} MB")
        time.sleep(2 * APP_LIFETIME_S + 5)  # a sweep every lifetime removes what is older
        left = app.files() - kept_by_gradio
        end, peak = app.memory_mb()
        if fast:
            client(app.url).predict(**small, size=256, api_name="/fast")
        client(app.url).predict(**small, size=64, iterations=2, api_name="/classic")
        after_small, _ = app.memory_mb()
    finally:
        app.close()
    per_job, kept = figures["per waiting job"], figures["slot kept"]
    print(f"   app RSS at start {start:.1f} MB, peak {peak:.1f} MB, end {end:.1f} MB", end="")
    print(f" ({after_small:.1f} MB after a small job of each mode)")
    print(f"   RSS added per waiting job: median {statistics.median(per_job):.1f} MB", end="")
    print(f", max {max(per_job):.1f} MB")
    print(f"   slot kept by an abandoned job: median {statistics.median(kept):.2f} s", end="")
    print(f", max {max(kept):.2f} s")
    inline = figures["inline refusal"]
    print(f"   inline 81-megapixel image refused in {statistics.median(inline):.2f} s (median)")
    for name in sorted(outcome):
        checks.check(name, name not in failed, "failed in a round" if name in failed else "always")
    worst = max(per_job)
    checks.check("RSS per waiting job", worst < WAITING_JOB_LIMIT_MB, f"at most {worst:.1f} MB")
    checks.check("abandoned job leaves", max(kept) < SLOT_LIMIT_S, f"at most {max(kept):.2f} s")
    drift = (end - figures["RSS"][0]) / figures["RSS"][0]
    checks.check("RSS drift", drift < ROUND_DRIFT_LIMIT, f"{drift:+.1%} from round 1 to the end")
    checks.check("cache swept", not left, f"{len(left)} files left after the lifetime")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and clients")
    plan = QUICK if parser.parse_args().quick else FULL
    checks = Checks()
    fast = fast_available()
    try:
        soak(plan, fast, checks)
        probe = TransferProbe()
        probe.install()
        demo, url = serve(plan.max_queue)
        try:
            inputs = files(CACHE / "inputs")
            load(plan, url, inputs, fast, checks)
            stop_latency(url, inputs, probe, checks)
            stop_with_full_queue(plan, url, inputs, probe, checks)
        finally:
            demo.close()
        print("\n== overlap")
        checks.check("transfers running at once", probe.peak == 1, f"at most {probe.peak}")
        print(f"   {len(probe.log)} transfers ran through the app")
        hostile(plan, fast, checks)
    finally:
        shutil.rmtree(CACHE, ignore_errors=True)
    print("\nall checks passed" if not checks.failed else f"\nFAILED: {', '.join(checks.failed)}")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
