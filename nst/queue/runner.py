"""What a worker does with one job from the queue: check it, run it, stream its events back.

:func:`run_job` is the one function a worker accepts from the queue. It
rebuilds the request from Redis with the worker's own checks, runs it through
the worker's local line (the same path as the embedded app), and writes each
event to the job's stream, which keeps the last :data:`EVENTS_KEPT` entries.
A thread watches the job's ``stop`` key and its front end's ``watch`` key and
sets the job's cancel flag when Stop was pressed or nobody follows the job.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import closing
from typing import Any

from redis import Redis
from rq import get_current_job

from nst.errors import NSTError
from nst.events import Failed, Notice, Stopped
from nst.modes import MODES
from nst.queue.store import UNREACHABLE, JobKeys, lifetime
from nst.queue.transport import decode_request
from nst.queue.wire import encode_event
from nst.scheduler import LINE, STOPPED_BEFORE_START

EVENTS_KEPT = 8
"""Entries a job's stream keeps (previews included): a reader more behind skips previews."""
STOP_POLL_S = 0.2
"""How often a running job looks for Stop: well within one classic step."""
LOST_NOTICE = "The worker running this job was lost; another one is taking it over."
EXPIRED = "The job's images expired before a worker took it; please start it again."

LOG = logging.getLogger(__name__)


def run_job(job_id: str) -> None:
    """Run the queued job ``job_id`` on this worker; its events go to the job's stream.

    Errors meant for the user end the stream with Failed; so does a bug, whose
    traceback stays in the worker's log. A lost Redis connection is raised.
    """
    connection = get_current_job().connection
    keys = JobKeys(job_id)
    try:
        for event in _events(connection, keys):
            with connection.pipeline() as pipeline:
                pipeline.xadd(keys.events, encode_event(event), maxlen=EVENTS_KEPT)
                pipeline.expire(keys.events, lifetime())
                pipeline.execute()
    finally:
        connection.delete(keys.request)


def _events(connection: Redis, keys: JobKeys) -> Iterator[Any]:
    with connection.pipeline() as pipeline:
        pipeline.incr(keys.attempts)
        pipeline.expire(keys.attempts, lifetime())
        pipeline.hgetall(keys.request)
        attempts, _, fields = pipeline.execute()
    if attempts > 1:
        yield Notice(LOST_NOTICE)
    cancel = threading.Event()
    with StopWatch(connection, keys, cancel):
        if cancel.is_set():
            yield Stopped(STOPPED_BEFORE_START)
            return
        if not fields:
            yield Failed(EXPIRED)
            return
        yield from _guarded(fields, cancel)


def _guarded(fields: Mapping[bytes, bytes], cancel: threading.Event) -> Iterator[Any]:
    """The job's stream through this worker's line; a bug ends it with Failed, logged."""
    try:
        request = decode_request(fields, worker_caps())
        with closing(LINE.submit(request, cancel)) as events:
            yield from events
    except NSTError as error:  # the request failed this worker's checks
        yield Failed(str(error), error)
    except Exception as error:
        LOG.exception("job failed on this worker")
        yield Failed(f"The worker failed unexpectedly ({type(error).__name__}); please try again.")


@functools.cache
def worker_caps() -> dict[str, dict[str, float]]:
    """This worker's caps per mode: what its own device allows (:mod:`nst.host`)."""
    from nst.host import host_caps

    caps = host_caps()
    return {mode: caps.of(mode) for mode in MODES}


class StopWatch:
    """While the job runs, sets ``cancel`` once its Stop key is set or nobody follows it.

    Looked at once on entry, then every :data:`STOP_POLL_S` from a thread.
    While Redis is unreachable nothing changes: the job's next event fails.
    """

    def __init__(self, connection: Redis, keys: JobKeys, cancel: threading.Event) -> None:
        self.connection = connection
        self.keys = keys
        self.cancel = cancel
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="stop-watch", daemon=True)

    def __enter__(self) -> StopWatch:
        self._look()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._done.wait(STOP_POLL_S) and not self.cancel.is_set():
            try:
                self._look()
            except UNREACHABLE:
                continue

    def _look(self) -> None:
        with self.connection.pipeline() as pipeline:
            pipeline.exists(self.keys.stop)
            pipeline.exists(self.keys.watch)
            stopped, watched = pipeline.execute()
        if stopped or not watched:
            self.cancel.set()
