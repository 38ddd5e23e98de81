"""The shared job queue: throughput with one and two workers, and what the queue itself costs.

    python bench/scale.py [--jobs 12] [--size 512] [--model FOLDER|lite] [--stop-size 256]

Starts its own ``redis-server`` (Debian's package) on a free port, without
persistence, and its workers (``python -m nst worker``), each pinned to one
core with one interpreter thread, so two workers on two cores do not share one.
Fast jobs at ``--size`` (brush size 1: the network at 512 px) on the
gallery's photos and styles.

- A burst of ``--jobs`` fast jobs submitted at once through Redis, with one
  worker, then two: prints ``scale_out_throughput_ratio`` (jobs per second
  with two workers / with one).
- The queue's own cost per job, jobs sent one at a time to idle workers:
  from submit to the worker's first event at the page, and from the end of
  the worker's work (``Done.painted``) to the result at the page (medians),
  with the Redis commands and bytes per job (``INFO`` before and after).
- The same burst on the embedded line (in this process, every core) beside them.
- Stop on a remote worker: one classic job at ``--stop-size`` (the backbone
  ``NST_VGG_WEIGHTS`` names; ``random`` by default here), stopped after its
  third preview: the time from Stop to the last image at the page, beside one step.

Before all that, a probe of what the machine gives: the CPU time per second one busy process
pinned to core 0 gets, then two pinned to cores 0 and 1 together (``cores_free_ratio``, the
most a second worker can add on this machine now). The machine's load average is printed at
the start and the end.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from redis import Redis  # noqa: E402
from rq import Worker  # noqa: E402

from nst.events import Done, Progress, Stopped, Working  # noqa: E402
from nst.jobs import JobRequest, make_request  # noqa: E402
from nst.queue import open_line  # noqa: E402
from nst.scheduler import LINE  # noqa: E402
from nst.settings import ClassicSettings, FastSettings  # noqa: E402

PHOTOS = sorted((REPO / "assets" / "photos").glob("*.jpg"))
STYLES = sorted((REPO / "assets" / "styles").glob("*.jpg"))
SEQUENTIAL_JOBS = 10
WORKER_READY_S = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SPIN = """
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
began, cpu = time.perf_counter(), time.process_time()
while time.perf_counter() - began < float(sys.argv[2]):
    pass
print(time.process_time() - cpu)
"""
PROBE_S = 3.0


def cores_free() -> tuple[float, float]:
    """CPU seconds per second one busy process pinned to core 0 gets, and two pinned to cores
    0 and 1 get together: what the machine gives these workers, whatever else it runs."""

    def spin(cores: list[int]) -> float:
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", SPIN, str(core), str(PROBE_S)], stdout=subprocess.PIPE
            )
            for core in cores
        ]
        return sum(float(run.communicate()[0]) for run in runs) / PROBE_S

    return spin([0]), spin([0, 1])


def start_redis(folder: Path) -> tuple[subprocess.Popen, int]:
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    client = Redis(port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            return process, port
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def start_worker(url: str, core: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """A worker pinned to ``core``, its interpreter on one thread."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "nst", "worker", "--queue", url],
            cwd=REPO,
            env={**env, "NST_FAST_THREADS": "1", "PYTHONPATH": str(REPO)},
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: os.sched_setaffinity(0, {core}),
        )


def wait_ready(client: Redis, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + WORKER_READY_S
    while {p.pid for p in processes} - {w.pid for w in Worker.all(connection=client)}:
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            sys.exit("a worker did not start; see its log")
        time.sleep(0.2)


def fast_requests(count: int, size: int) -> list[JobRequest]:
    settings = FastSettings(size=size)
    return [
        make_request("fast", PHOTOS[i % len(PHOTOS)], [STYLES[i % len(STYLES)]], settings)
        for i in range(count)
    ]


def final(line, request) -> object:
    events = list(line.submit(request))
    return events[-1]


def burst(line, requests: list[JobRequest]) -> tuple[float, float]:
    """Seconds from the first submit to the last result, every job submitted at once, and the
    median work of one job on its worker (``Done.painted``)."""
    ends: list[object] = []
    threads = [threading.Thread(target=lambda r=r: ends.append(final(line, r))) for r in requests]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    failed = [end for end in ends if not isinstance(end, Done)]
    if failed:
        sys.exit(f"a job did not finish: {failed[0].words()}")
    return took, statistics.median(end.painted for end in ends)


def overhead(line, requests: list[JobRequest]) -> tuple[float, float]:
    """Medians, in seconds, of submit → first event and end of work → result at the page."""
    to_start, to_page = [], []
    for request in requests:
        asked = time.perf_counter()
        first = None
        for event in line.submit(request):
            now = time.perf_counter()
            if first is None and isinstance(event, Working):
                first = now
            if isinstance(event, Done):
                to_start.append(first - asked)
                to_page.append(now - first - event.painted)
    return statistics.median(to_start), statistics.median(to_page)


def stop_latency(line, size: int) -> tuple[float, float]:
    """Seconds from Stop to the last image at the page, and the median step before it."""
    settings = ClassicSettings(size=size, iterations=300, preview_every=1)
    request = make_request("classic", PHOTOS[0], [STYLES[0]], settings)
    cancel = threading.Event()
    times: list[float] = []
    asked = 0.0
    for event in line.submit(request, cancel):
        if isinstance(event, Progress):
            times.append(time.perf_counter())
            if len(times) == 3:
                asked = time.perf_counter()
                cancel.set()
        if isinstance(event, Stopped):
            step = statistics.median(b - a for a, b in itertools.pairwise(times))
            return time.perf_counter() - asked, step
    sys.exit("the classic job was not stopped")


def redis_totals(client: Redis) -> tuple[int, int]:
    """Commands run and bytes in and out so far."""
    commands = sum(stat["calls"] for stat in client.info("commandstats").values())
    stats = client.info("stats")
    return commands, stats["total_net_input_bytes"] + stats["total_net_output_bytes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--model", default=os.environ.get("NST_FAST_MODEL", "lite"))
    parser.add_argument("--stop-size", type=int, default=256)
    args = parser.parse_args()
    env = {**os.environ, "NST_FAST_MODEL": args.model}
    env.setdefault("NST_VGG_WEIGHTS", "random")
    os.environ.update({"NST_FAST_MODEL": args.model, "NST_VGG_WEIGHTS": env["NST_VGG_WEIGHTS"]})
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"cores: {os.cpu_count()}, jobs per burst: {args.jobs}, fast size: {args.size} px")
    alone, both = cores_free()
    print(f"CPU one busy process gets: {alone:.2f} s/s; two on two cores: {both:.2f} s/s")
    print(f"cores_free_ratio: {both / alone:.2f} (the most a second worker can add)")

    folder = Path(tempfile.mkdtemp(prefix="nst-scale-"))
    redis, port = start_redis(folder)
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis(port=port)
    workers: list[subprocess.Popen] = []
    try:
        line = open_line(url)
        requests = fast_requests(args.jobs, args.size)
        workers.append(start_worker(url, 0, env, folder / "worker-0.log"))
        wait_ready(client, workers)
        final(line, requests[0])  # the first job of a worker pays for its warm-up
        one, one_work = burst(line, requests)
        workers.append(start_worker(url, 1, env, folder / "worker-1.log"))
        wait_ready(client, workers)
        final(line, requests[1])
        two, two_work = burst(line, requests)
        for count, took, work in ((1, one, one_work), (2, two, two_work)):
            rate = f"{args.jobs / took:.2f} jobs/s, a job's work {work:.2f} s"
            print(f"burst through Redis, {count} worker(s): {took:.2f} s ({rate})")
        print(f"scale_out_throughput_ratio: {one / two:.2f}")

        before = redis_totals(client)
        to_start, to_page = overhead(line, requests[:SEQUENTIAL_JOBS])
        after = redis_totals(client)
        commands, volume = ((b - a) / SEQUENTIAL_JOBS for a, b in zip(before, after, strict=True))
        print(f"queue overhead per job: submit → worker {to_start * 1000:.0f} ms, ", end="")
        print(f"worker's last byte → page {to_page * 1000:.0f} ms, ", end="")
        print(f"total {(to_start + to_page) * 1000:.0f} ms")
        print(f"redis per fast job: {commands:.0f} commands, {volume / 1e6:.2f} MB in and out")

        latency, step = stop_latency(line, args.stop_size)
        where = f"stop on a remote worker at {args.stop_size} px"
        print(f"{where}: {latency:.2f} s (a step: {step:.2f} s)")
    finally:
        for worker in workers:
            worker.terminate()  # a warm stop: an idle worker leaves at once
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        redis.terminate()
        redis.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)

    final(LINE, requests[0])  # the embedded line's warm-up
    embedded, work = burst(LINE, requests)
    here = f"{embedded:.2f} s (a job's work {work:.2f} s)"
    print(f"burst on the embedded line (this process, every core): {here}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
