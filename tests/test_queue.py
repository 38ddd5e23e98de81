"""The job queue on a real Redis, with real worker processes (random VGG, a tiny fast model).

The fast model is a SavedModel with the TF-Hub model's signature that paints a
dark photo at once and a white one only once a gate file exists: a test holds
workers busy for exactly as long as it needs, on any machine, without waiting on
classic mode's trace. Skipped, saying why, without ``redis-server``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from redis import Redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from nst.events import Done, Failed, Notice, Progress, Queued, Stopped, Working
from nst.jobs import make_request
from nst.queue import open_line
from nst.queue.runner import EVENTS_KEPT
from nst.queue.store import QUEUE_NAME
from nst.queue.wire import decode_event
from nst.scheduler import LINE, STOPPED_BEFORE_START
from nst.settings import ClassicSettings, FastSettings
from tests.conftest import REPO, wait_for

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server is not installed (Debian: apt-get install redis-server); "
    "the queue is tested against a real Redis only",
)

LIFETIME_S = 10
"""NST_DELETE_CACHE_SECONDS for the whole module: short, so expiry can be seen."""
WORKER_READY_S = 180
FRONT_END = """
import sys, threading
from nst.jobs import make_request
from nst.queue import open_line
from nst.queue.runner import EVENTS_KEPT
from nst.queue.store import QUEUE_NAME
from nst.queue.wire import decode_event
from nst.settings import FastSettings
line = open_line(sys.argv[1])
photo, style = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
cancel = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), cancel.set()), daemon=True).start()
request = make_request("fast", photo, [style], FastSettings(size=64))
for event in line.submit(request, cancel):
    print(type(event).__name__, getattr(event, "position", ""), event.words(), flush=True)
"""


def png(value: int, size: tuple[int, int] = (48, 64)) -> bytes:
    """A PNG of one grey level with a little texture."""
    rng = np.random.default_rng(value)
    pixels = np.clip(value + rng.integers(-3, 4, (*size, 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


STYLE = png(120)
QUICK = png(0)
WHITE = png(255)


def fast(photo: bytes = QUICK, **settings):
    return make_request("fast", photo, [STYLE], FastSettings(**{"size": 64, **settings}))


def classic(**settings):
    values = {"size": 64, "iterations": 300, "preview_every": 1, **settings}
    return make_request("classic", png(90), [STYLE], ClassicSettings(**values))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server on a free port of this machine, without persistence."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        options = {"port": self.port, "bind": "127.0.0.1", "save": "", "appendonly": "no"}
        arguments = [part for name, value in options.items() for part in (f"--{name}", str(value))]
        self.process = subprocess.Popen(
            [REDIS_SERVER, *arguments, "--dir", str(self.folder)], stdout=subprocess.DEVNULL
        )
        client = self.client()
        wait_for(lambda: _answers(client), timeout=30)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)

    def client(self, db: int = 0) -> Redis:
        return Redis(port=self.port, db=db, socket_connect_timeout=1)


def _answers(client) -> bool:
    try:
        return bool(client.ping())
    except OSError:
        return False
    except Exception as error:  # redis-py's ConnectionError while it starts
        return "connect" in str(error).lower()


class Workers:
    """Worker processes (``python -m nst worker``) serving one Redis database."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.folder / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "nst", "worker", "--queue", self.url],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def ready(self, *processes: subprocess.Popen) -> None:
        """Wait until each of ``processes`` is listening (registered in Redis)."""
        client = Redis.from_url(self.url)

        def listening() -> bool:
            pids = {worker.pid for worker in Worker.all(connection=client)}
            return all(process.pid in pids for process in processes)

        wait_for(listening, timeout=WORKER_READY_S)

    def busy_pid(self) -> int:
        """The process id of the worker running a job (exactly one must be)."""
        client = Redis.from_url(self.url)
        busy = []

        def found() -> bool:
            busy[:] = [
                worker.pid
                for worker in Worker.all(connection=client)
                if worker.get_current_job_id() and worker.pid in self.alive()
            ]
            return len(busy) == 1

        wait_for(found, timeout=30)
        return busy[0]

    def alive(self) -> set[int]:
        return {p.pid for p in self.processes if p.poll() is None}

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


def RedisServer_client(url: str):
    from redis import Redis

    return Redis.from_url(url)


class Run(threading.Thread):
    """One job's stream read in a thread, each event with the time it arrived."""

    def __init__(self, line, request, cancel: threading.Event | None = None) -> None:
        super().__init__(daemon=True)
        self.line, self.request = line, request
        self.cancel = cancel or threading.Event()
        self.events: list[tuple[float, object]] = []
        self.start()

    def run(self) -> None:
        for event in self.line.submit(self.request, self.cancel):
            self.events.append((time.monotonic(), event))

    def first(self, kind: type, timeout: float = 120) -> float:
        """When the first event of ``kind`` arrived (waiting for it)."""
        wait_for(lambda: any(isinstance(e, kind) for _, e in self.events), timeout=timeout)
        return next(t for t, e in self.events if isinstance(e, kind))

    def final(self, timeout: float = 120):
        self.join(timeout)
        assert not self.is_alive(), f"no final event; so far {self.kinds()}"
        return self.events[-1][1]

    def kinds(self) -> list[str]:
        return [type(e).__name__ for _, e in self.events]


class Gate:
    """A file the tiny model waits for before it paints a white photo."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self) -> None:
        self.path.touch()

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def gate(tmp_path_factory) -> Gate:
    opened = Gate(tmp_path_factory.mktemp("gate") / "open")
    opened.open()
    return opened


@pytest.fixture
def closed(gate: Gate) -> Iterator[Gate]:
    """The gate closed for one test: white photos wait until the test opens it."""
    gate.close()
    yield gate
    gate.open()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, gate: Gate) -> Path:
    import tensorflow as tf

    class GatedBlend(tf.Module):
        """Half the photo, half the style's mean colour; a white photo waits for the gate."""

        @tf.function(
            input_signature=[
                tf.TensorSpec([1, None, None, 3], tf.float32),
                tf.TensorSpec([1, None, None, 3], tf.float32),
            ]
        )
        def __call__(self, content, style):
            white = tf.reduce_mean(content) > 0.5

            def waiting(turn, product):
                # the path depends on the turn, so the look is not folded into a constant
                path = tf.strings.join(
                    [str(gate.path), tf.strings.substr(tf.strings.as_string(turn), 0, 0)]
                )
                shut = tf.equal(tf.size(tf.io.matching_files(path)), 0)
                return tf.logical_and(white, shut)

            _, product = tf.while_loop(
                waiting, lambda turn, m: (turn + 1, tf.matmul(m, m)), (0, tf.eye(256))
            )
            colour = tf.reduce_mean(style, axis=[1, 2], keepdims=True)
            return [0.5 * content + 0.5 * colour + 1e-30 * tf.reduce_sum(product)]

    folder = tmp_path_factory.mktemp("model") / "gated-blend"
    tf.saved_model.save(GatedBlend(), str(folder))
    return folder


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory, tiny_model: Path) -> Iterator[RedisServer]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NST_FAST_MODEL", str(tiny_model))
        env.setenv("NST_DELETE_CACHE_SECONDS", str(LIFETIME_S))
        server = RedisServer(tmp_path_factory.mktemp("redis"))
        server.start()
        yield server
        if server.process.poll() is None:
            server.stop()


@pytest.fixture(scope="module")
def workers(redis_server: RedisServer, tmp_path_factory) -> Iterator[Workers]:
    pool = Workers(redis_server.url(), tmp_path_factory.mktemp("workers"))
    started = [pool.start(), pool.start()]
    pool.ready(*started)
    yield pool
    pool.stop_all()


@pytest.fixture
def line(redis_server: RedisServer, workers: Workers):
    return open_line(redis_server.url())


def job_keys(client) -> list[bytes]:
    """Every key a job leaves in Redis: the line's own and RQ's."""
    return [
        key
        for pattern in ("dual-nst:job:*", "rq:job:*", "rq:results:*")
        for key in client.scan_iter(pattern)
    ]


# --- the same stream as the embedded line -----------------------------------------------


def test_a_fast_job_paints_the_same_through_redis_as_on_the_embedded_line(line):
    remote = Run(line, fast()).final()
    local = list(LINE.submit(fast()))[-1]
    assert isinstance(remote, Done) and isinstance(local, Done), remote.words()
    assert np.array_equal(remote.image, local.image)
    assert remote.result.metadata == local.result.metadata
    assert remote.result.suffix == ".png"


def test_two_workers_paint_at_once_while_a_third_waits(line, closed: Gate):
    first, second = Run(line, fast(WHITE)), Run(line, fast(WHITE))
    first.first(Working), second.first(Working)
    third = Run(line, fast(QUICK))
    waiting = third.first(Queued)
    assert next(e for _, e in third.events if isinstance(e, Queued)).position == 2
    assert not any(isinstance(e, Working) for _, e in third.events)
    closed.open()
    ends = [run.final() for run in (first, second)]
    assert all(isinstance(end, Done) for end in ends)
    assert isinstance(third.final(), Done)
    # both were painting when the third was told it waits, and painted until the gate opened
    assert max(first.first(Working), second.first(Working)) < waiting


class FrontEnd:
    """An app process of its own submitting one fast job; a line on stdin sets its Stop."""

    def __init__(self, url: str, photo: Path, style: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", FRONT_END, url, str(photo), str(style)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()

    def position(self) -> int:
        """The last position its page was told (waiting for the first)."""
        wait_for(lambda: any(x.startswith("Queued") for x in self.lines), timeout=60)
        return int([x for x in self.lines if x.startswith("Queued")][-1].split()[1])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("stop\n")
            self.process.stdin.flush()
        self.process.wait(timeout=30)


@pytest.fixture
def pictures(tmp_path: Path) -> tuple[Path, Path]:
    photo, style = tmp_path / "photo.png", tmp_path / "style.png"
    photo.write_bytes(QUICK)
    style.write_bytes(STYLE)
    return photo, style


def test_positions_across_two_front_ends_a_bounded_line_and_leaving_it(
    redis_server: RedisServer, pictures: tuple[Path, Path]
):
    url = redis_server.url(db=1)  # no worker serves this database: every job waits
    fronts: list[FrontEnd] = []
    try:
        for expected in range(3):  # one after another, from two app processes and a third
            fronts.append(FrontEnd(url, *pictures))
            assert fronts[-1].position() == expected
        assert any(x.startswith("Notice") and "No worker" in x for x in fronts[0].lines)
        client = redis_server.client(db=1)
        stored = len(job_keys(client))
        bounded = open_line(url)
        bounded.max_waiting = 3
        [refused] = list(bounded.submit(fast()))
        assert isinstance(refused, Failed) and "busy" in refused.message
        assert len(job_keys(client)) == stored  # refused before anything was stored
        fronts[0].stop()
        assert fronts[0].lines[-1].startswith("Stopped")
        assert STOPPED_BEFORE_START in fronts[0].lines[-1]
        wait_for(lambda: fronts[1].position() == 0 and fronts[2].position() == 1, timeout=30)
    finally:
        for front in fronts:
            front.stop()
    assert job_keys(redis_server.client(db=1)) == []


class AppProcess:
    """``python app.py --queue URL`` on a free port: a page of its own, as behind a balancer."""

    def __init__(self, url: str, cache: Path) -> None:
        port = free_port()
        env = {**os.environ, "GRADIO_TEMP_DIR": str(cache), "GRADIO_ANALYTICS_ENABLED": "False"}
        command = [sys.executable, "app.py", "--queue", url, "--port", str(port)]
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}/"
        wait_for(self._answers, timeout=WORKER_READY_S)

    def _answers(self) -> bool:
        assert self.process.poll() is None, "the app did not start"
        try:
            with urllib.request.urlopen(self.url, timeout=2):
                return True
        except OSError:
            return False

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def place(job) -> int | None:
    """The place in line a page's job was last told, if it was told one."""
    outputs = job.outputs()
    status = outputs[-1][1] if outputs else ""
    found = re.match(r"Queued: (\d+) jobs? ahead", status)
    return int(found.group(1)) if found else None


def test_two_pages_on_two_app_processes_share_one_line_and_stop_leaves_it(
    redis_server: RedisServer, pictures: tuple[Path, Path], tmp_path: Path
):
    from gradio_client import Client, handle_file

    url = redis_server.url(db=2)  # no worker serves this database: every job waits
    apps = [AppProcess(url, tmp_path / f"cache-{index}") for index in range(2)]
    clients = [Client(app.url, verbose=False) for app in (*apps, apps[0])]
    photo, style = (handle_file(picture) for picture in pictures)
    try:
        jobs = []
        for expected, client in enumerate(clients):  # app 1, app 2, app 1 again
            jobs.append(client.submit(content=photo, style_1=style, size=64, api_name="/fast"))
            wait_for(lambda job=jobs[-1], ahead=expected: place(job) == ahead, timeout=60)
        clients[0].predict(api_name="/stop")  # the first job leaves the line...
        assert "Stopped before it started" in jobs[0].result(timeout=60)[1]
        wait_for(lambda: place(jobs[1]) == 0 and place(jobs[2]) == 1, timeout=30)  # ...both move
        for client, job in zip(clients[1:], jobs[1:], strict=True):
            client.predict(api_name="/stop")
            assert "Stopped before it started" in job.result(timeout=60)[1]
        assert job_keys(redis_server.client(db=2)) == []  # stopped jobs leave nothing behind
    finally:
        for app in apps:
            app.close()


def test_a_job_whose_front_end_vanished_is_dropped_by_its_worker(
    line, redis_server: RedisServer, pictures: tuple[Path, Path], closed: Gate
):
    from nst.queue.line import WATCH_S

    busy = [Run(line, fast(WHITE)), Run(line, fast(WHITE))]
    for run in busy:
        run.first(Working)
    orphan = FrontEnd(redis_server.url(), *pictures)
    assert orphan.position() == 2
    orphan.process.kill()  # no Stop, no closed stream: the process is gone
    orphan.process.wait(timeout=30)
    time.sleep(WATCH_S + 1)  # nobody renews its watch
    closed.open()
    assert all(isinstance(run.final(), Done) for run in busy)
    client = redis_server.client()
    queue = Queue(QUEUE_NAME, connection=client)
    wait_for(lambda: queue.count == 0, timeout=60)
    wait_for(lambda: queue.started_job_registry.get_job_count(cleanup=False) == 0, timeout=60)
    assert list(client.scan_iter("dual-nst:job:*:request")) == []  # its inputs are deleted
    [stream] = client.scan_iter("dual-nst:job:*:events")  # what only the orphan's worker wrote
    [(_, entry)] = client.xrange(stream)
    assert decode_event(entry).words() == STOPPED_BEFORE_START  # dropped, not painted


def test_stop_and_a_closed_stream_end_jobs_on_their_workers(line, redis_server: RedisServer):
    stopped = Run(line, classic())
    closed = line.submit(classic())
    while not isinstance(next(closed), Progress):
        pass
    stopped.first(Progress, timeout=180)
    client = redis_server.client()
    streams = list(client.scan_iter("dual-nst:job:*:events"))  # these two, and any expiring
    assert len(streams) >= 2 and all(client.xlen(key) <= EVENTS_KEPT for key in streams)
    asked = time.monotonic()
    stopped.cancel.set()
    end = stopped.final(timeout=60)
    assert isinstance(end, Stopped), end.words()
    assert stopped.events[-1][0] - asked < 15
    assert end.result is not None and end.image.shape == (48, 64, 3)
    assert 0 < end.last.step < 300 and end.result.metadata["stopped_at"]["step"] == end.last.step
    closed.close()
    queue = Queue(QUEUE_NAME, connection=client)
    wait_for(lambda: queue.started_job_registry.get_job_count(cleanup=False) == 0, timeout=30)


def test_a_worker_refuses_what_fails_its_own_checks(line, redis_server: RedisServer):
    from nst.queue.runner import run_job
    from nst.queue.store import JobKeys
    from nst.queue.transport import encode_request

    client = redis_server.client()
    queue = Queue(QUEUE_NAME, connection=client, serializer=JSONSerializer)
    keys = JobKeys("f" * 32)
    fields = encode_request(fast())
    spec = json.loads(fields["spec"])
    spec["settings"]["size"] = 100_000
    fields["spec"] = json.dumps(spec).encode()
    client.set(keys.watch, 1, ex=60)
    client.hset(keys.request, mapping=fields)
    queue.enqueue_call(run_job, args=(keys.job_id,), job_id=keys.job_id, result_ttl=0)
    wait_for(lambda: client.xlen(keys.events) > 0, timeout=60)
    [(_, [(_, entry)])] = client.xread({keys.events: 0})
    refused = decode_event(entry)
    assert isinstance(refused, Failed) and "size must be between" in refused.message
    assert not client.exists(keys.request)  # the worker keeps no inputs
    client.delete(*keys.all())

    foreign = queue.enqueue_call("os.getcwd", job_id="e" * 32)
    wait_for(lambda: foreign.get_status(refresh=True) == "failed", timeout=60)
    assert "not a transfer" in foreign.latest_result().exc_string
    foreign.delete()


def test_the_queue_unavailable_then_back(line, redis_server: RedisServer, workers: Workers):
    redis_server.stop()
    began = time.monotonic()
    [failed] = list(line.submit(fast()))
    assert isinstance(failed, Failed) and failed.message.startswith("The job queue is unavailable")
    assert "Traceback" not in failed.message and time.monotonic() - began < 15
    redis_server.start()
    workers.ready(*[p for p in workers.processes if p.poll() is None])
    ends = []

    def painted() -> bool:
        ends.append(Run(line, fast()).final(timeout=60))
        return isinstance(ends[-1], Done)

    wait_for(painted, timeout=120)


def test_a_job_whose_worker_is_killed_finishes_on_another_and_a_second_loss_fails_it(
    line, workers: Workers, closed: Gate
):
    from nst.queue.line import LOST
    from nst.queue.runner import LOST_NOTICE

    run = Run(line, fast(WHITE))
    run.first(Working)
    os.kill(workers.busy_pid(), signal.SIGKILL)
    run.first(Notice, timeout=120)
    closed.open()
    end = run.final(timeout=120)
    assert isinstance(end, Done), end.words()
    assert [e.text for _, e in run.events if isinstance(e, Notice)] == [LOST_NOTICE]

    closed.close()
    twice = Run(line, fast(WHITE))
    twice.first(Working)
    os.kill(workers.busy_pid(), signal.SIGKILL)  # the last worker alive
    workers.ready(workers.start())
    wait_for(lambda: any(isinstance(e, Notice) for _, e in twice.events), timeout=120)
    os.kill(workers.busy_pid(), signal.SIGKILL)
    workers.start()  # tidies the line when it starts: the job is lost a second time
    end = twice.final(timeout=180)
    assert isinstance(end, Failed) and end.message == LOST


def test_no_key_of_a_finished_job_is_left_after_its_lifetime(redis_server: RedisServer):
    client = redis_server.client()
    time.sleep(LIFETIME_S + 2)
    assert job_keys(client) == []
