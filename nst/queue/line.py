"""The line on Redis: any number of front ends submit, any number of workers paint.

:class:`RedisLine` offers what :class:`~nst.scheduler.LocalLine` offers, the
same stream of events for a request, across processes and machines: the job
waits in one RQ queue (first in, first out, for every front end), its
position counts every job ahead of it (waiting or running), its inputs wait
in Redis as bytes, and its events come back through its stream. Stop and a
closed stream take a waiting job out of the line, or tell its worker to stop.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from rq import Queue, Retry, Worker
from rq.exceptions import InvalidJobOperation
from rq.job import Job as RQJob
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from nst.errors import NSTError
from nst.events import FINAL, Done, Failed, Notice, Queued, Stopped
from nst.jobs import Job, JobRequest
from nst.modes import make_job
from nst.queue.runner import EVENTS_KEPT, run_job
from nst.queue.store import QUEUE_NAME, UNREACHABLE, JobKeys, connect, lifetime, unavailable
from nst.queue.transport import encode_request, portable
from nst.queue.wire import decode_event
from nst.scheduler import POLL_SECONDS, STOPPED_BEFORE_START, busy_error

WATCH_S = 20
"""A job nobody has followed for this long is stopped by its worker (its front end is gone)."""
WATCH_REFRESH_S = 5.0
"""How often a front end says it still follows its job, and keeps the job's keys alive."""
STATUS_EVERY_S = 2.0
"""How often a job with nothing to say is asked whether it still exists in RQ."""
STOP_GRACE_S = 30.0
"""How long a stopped job's worker has to answer with the last image before the stream ends."""
LOST = "The job was lost: the workers running it stopped answering twice. Please start it again."
NO_WORKER = "No worker is running: the job waits for one to start."
STOPPED = "Stopped. Its worker did not answer in time, so there is no last image."


class RedisLine:
    """One shared line on the Redis at ``url``; ``max_waiting`` bounds the jobs that wait.

    With ``max_waiting`` set, a job is refused while the jobs ahead of it
    (waiting or running) already fill every worker and ``max_waiting`` places.
    """

    def __init__(self, url: str, max_waiting: int | None = None) -> None:
        self.url = url
        self.max_waiting = max_waiting
        self.connection = connect(url)
        self.queue = Queue(QUEUE_NAME, connection=self.connection, serializer=JSONSerializer)

    def submit(self, job: Job | JobRequest, cancel: threading.Event | None = None) -> Iterator[Any]:
        """The job's whole stream: Queued while it waits, its worker's events, one final event.

        The request is checked here as the embedded line checks it (settings,
        images from their headers); a full line is refused before anything is
        stored. An unreachable Redis ends the stream with Failed at once.
        """
        cancel = cancel or threading.Event()
        try:
            request = portable(job.request if not isinstance(job, JobRequest) else job)
            make_job(request)
            self._check_room()
            yield from self._follow(request, cancel)
        except UNREACHABLE as error:
            failure = unavailable(self.url, error)
            yield Failed(str(failure), failure)
        except NSTError as error:
            yield Failed(str(error), error)

    def jobs_ahead(self, job_id: str | None = None) -> int | None:
        """Jobs ahead of ``job_id`` (waiting before it, or running), or of a new job for None;
        None once a worker has taken ``job_id``."""
        with self.connection.pipeline() as pipeline:
            if job_id is None:
                pipeline.llen(self.queue.key)
            else:
                pipeline.lpos(self.queue.key, job_id)
            pipeline.zcard(self.queue.started_job_registry.key)
            waiting, running = pipeline.execute()
        return None if waiting is None else waiting + running

    def _check_room(self, job_id: str | None = None) -> None:
        """Refuse the job (BusyError) if the jobs ahead of it fill every worker and
        ``max_waiting`` places; ``job_id`` None asks for a job not in line yet."""
        if self.max_waiting is None:
            return
        ahead = self.jobs_ahead(job_id)
        if ahead is None:
            return
        workers = Worker.count(connection=self.connection, queue=self.queue)
        if ahead >= self.max_waiting + workers:
            raise busy_error(self.queue.count)

    def _follow(self, request: JobRequest, cancel: threading.Event) -> Iterator[Any]:
        """Store, enqueue and follow one job; a stream that ends early leaves the line."""
        keys = JobKeys(uuid.uuid4().hex)
        queued = self._enqueue(request, keys)
        ended = False
        try:
            self._check_room(keys.job_id)  # two front ends at once
            for event in _Follower(self, keys, queued, cancel).events():
                ended = isinstance(event, FINAL)
                yield event
        finally:
            if ended:
                self._forget(keys)
            else:
                self._leave(keys, queued)

    def _enqueue(self, request: JobRequest, keys: JobKeys) -> RQJob:
        """Store the inputs (expiring) and put the job at the end of the line."""
        with self.connection.pipeline() as pipeline:  # one round trip, one transaction
            queued = self.queue.enqueue_call(  # first: RQ opens the transaction itself
                run_job,
                args=(keys.job_id,),
                job_id=keys.job_id,
                timeout=-1,
                result_ttl=0,
                failure_ttl=lifetime(),
                retry=Retry(max=1, enqueue_at_front=True),
                description=f"dual-nst {request.mode}",
                pipeline=pipeline,
            )
            pipeline.set(keys.watch, 1, ex=WATCH_S)
            pipeline.hset(keys.request, mapping=encode_request(request))
            pipeline.expire(keys.request, lifetime())
            pipeline.execute()
        return queued

    def _leave(self, keys: JobKeys, queued: RQJob) -> None:
        """A job whose stream ended early: out of the line, or its worker told to stop."""
        try:
            if self.queue.remove(keys.job_id):
                queued.delete()
                self._forget(keys)
                return
            with self.connection.pipeline() as pipeline:
                pipeline.set(keys.stop, 1, ex=lifetime())
                pipeline.delete(keys.watch)
                pipeline.execute()
        except UNREACHABLE:
            pass  # its worker stops it once the watch key has expired

    def _forget(self, keys: JobKeys) -> None:
        with contextlib.suppress(*UNREACHABLE):  # every key expires anyway
            self.connection.delete(*keys.all())


class _Follower:
    """Reads one job's stream for its front end, and says when it waits, stops or is lost."""

    def __init__(
        self, line: RedisLine, keys: JobKeys, queued: RQJob, cancel: threading.Event
    ) -> None:
        self.line = line
        self.connection = line.connection
        self.keys = keys
        self.queued = queued
        self.cancel = cancel
        self.last_id = b"0"
        self.started: float | None = None
        self.asked = time.perf_counter()

    def events(self) -> Iterator[Any]:
        stop_by: float | None = None
        refreshed = checked = time.monotonic()
        told_no_worker = False
        while True:
            now = time.monotonic()
            if self.cancel.is_set() and stop_by is None:
                if self.line.queue.remove(self.keys.job_id):
                    self.queued.delete()
                    yield Stopped(STOPPED_BEFORE_START)
                    return
                self.connection.set(self.keys.stop, 1, ex=lifetime())
                stop_by = now + STOP_GRACE_S
            if stop_by is not None and now > stop_by:
                yield Stopped(STOPPED)
                return
            if now - refreshed > WATCH_REFRESH_S:
                self._refresh()
                refreshed = now
            said = False
            for event in self._read():
                said = True
                yield event
                if isinstance(event, FINAL):
                    return
            if said:
                checked = now
                continue
            position = None if self.started else self.line.jobs_ahead(self.keys.job_id)
            if position is not None:
                if not told_no_worker and not Worker.count(
                    connection=self.connection, queue=self.line.queue
                ):
                    told_no_worker = True
                    yield Notice(NO_WORKER)
                yield Queued(position)
            if now - checked > STATUS_EVERY_S:
                checked = now
                if self._lost():
                    yield Failed(LOST)
                    return

    def _read(self) -> Iterator[Any]:
        """The stream's next entries, waiting up to one poll for the first."""
        answer = self.connection.xread(
            {self.keys.events: self.last_id}, count=EVENTS_KEPT, block=int(POLL_SECONDS * 1000)
        )
        for _stream, entries in answer or ():
            for entry_id, fields in entries:
                self.last_id = entry_id
                event = decode_event(fields)
                if self.started is None:
                    self.started = time.perf_counter()
                if isinstance(event, Done):
                    event = replace(event, waited=self.started - self.asked)
                yield event

    def _refresh(self) -> None:
        with self.connection.pipeline() as pipeline:
            pipeline.set(self.keys.watch, 1, ex=WATCH_S)
            for key in (self.keys.request, self.keys.events, self.keys.attempts):
                pipeline.expire(key, lifetime())
            pipeline.execute()

    def _lost(self) -> bool:
        """True once RQ gave up on the job (its worker lost twice), or no longer knows it
        and its stream has nothing more to say."""
        try:
            status = self.queued.get_status(refresh=True)
        except InvalidJobOperation:  # the job's hash is gone: finished, or Redis was emptied
            return not self.connection.xread({self.keys.events: self.last_id}, count=1)
        return status == JobStatus.FAILED
