"""A worker: one process that takes jobs from the shared line and runs them one at a time.

It is RQ's :class:`~rq.SimpleWorker`, which runs each job in its own
process rather than a fork, so the models it loads stay loaded for its whole
life. On top of it: a job is refused unless it is :func:`run_job` (whoever
can write to Redis cannot make a worker call anything else), a running job
beats its heart from a thread (a worker killed mid-job is noticed within
:data:`LOST_AFTER_S` and its job given once to another worker, by RQ's
retry), and :func:`serve` starts again whenever Redis comes back.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from rq import Queue, SimpleWorker, worker_registration
from rq.exceptions import StopRequested
from rq.job import Job
from rq.serializers import JSONSerializer

from nst.errors import InputError, NSTError
from nst.queue.runner import run_job, worker_caps
from nst.queue.store import QUEUE_NAME, UNREACHABLE, connect

RUN_JOB = f"{run_job.__module__}.{run_job.__qualname__}"
LOST_AFTER_S = 10
"""A running job whose worker has not beaten its heart for this long counts as lost."""
HEARTBEAT_S = 2.0
WORKER_TTL_S = 20
"""An idle worker wakes this often less 15 s (RQ's rule) to tidy the queue's registries."""
MAINTENANCE_S = 5
"""How often an idle worker looks for lost jobs (at most one worker at a time does)."""
RECONNECT_S = (1.0, 10.0)
"""First and longest wait before a worker tries Redis again."""

LOG = logging.getLogger(__name__)


class TransferJob(Job):
    """A job as a worker sees it: it runs :func:`run_job` and nothing else, without callbacks."""

    def perform(self) -> Any:
        """Run the job if it is a transfer; anything else fails without being imported."""
        if self.func_name != RUN_JOB:
            raise InputError(f"Refused a job that is not a transfer: {self.func_name!r}.")
        return super().perform()

    @property
    def success_callback(self) -> None:
        return None

    @property
    def failure_callback(self) -> None:
        return None

    @property
    def stopped_callback(self) -> None:
        return None


class TransferWorker(SimpleWorker):
    """RQ's in-process worker, with a heartbeat while a job runs and a short time to be lost."""

    job_class = TransferJob
    max_connection_wait_time = RECONNECT_S[1]

    def __init__(self, queues: list[Queue], **options: Any) -> None:
        super().__init__(
            queues,
            serializer=JSONSerializer,
            worker_ttl=WORKER_TTL_S,
            maintenance_interval=MAINTENANCE_S,
            **options,
        )
        self.stopping = False

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return LOST_AFTER_S

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's heartbeat; after a Redis restart, which forgot the worker, it registers again."""
        super().heartbeat(timeout, pipeline)
        if pipeline is None and not self.connection.hexists(self.key, "birth"):
            with self.connection.pipeline() as again:
                again.hset(self.key, mapping=self.serialize())
                again.expire(self.key, timeout or self.worker_ttl + 60)
                worker_registration.register(self, again)
                again.execute()

    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        """RQ's own, with a heartbeat from a thread: the job runs in this very thread, so
        without it a long job would look lost."""
        beating = threading.Event()

        def beat() -> None:
            while not beating.wait(HEARTBEAT_S):
                try:
                    self.maintain_heartbeats(job, execution)
                except UNREACHABLE:
                    continue

        heart = threading.Thread(target=beat, name="heartbeat", daemon=True)
        heart.start()
        try:
            return super().perform_job(job, queue, execution)
        finally:
            beating.set()
            heart.join()

    def request_stop(self, signum: int, frame: Any) -> None:
        """RQ's warm stop (the job under way finishes first), remembered for :func:`serve`."""
        self.stopping = True
        super().request_stop(signum, frame)


def warm_up() -> None:
    """Load what jobs need once, before the first one: the device, the fast model, the
    classic network. A model that cannot load now fails its jobs with the reason."""
    from nst.classic.evaluator import get_evaluator
    from nst.fast.sources import load_fast_model

    worker_caps()
    for load in (load_fast_model, get_evaluator):
        try:
            load()
        except NSTError as error:
            LOG.warning("%s", error)


def serve(url: str, burst: bool = False) -> None:
    """Run jobs from the line at ``url`` until stopped (SIGINT, SIGTERM), or, with ``burst``,
    until the line is empty. Redis going away only pauses it: the worker starts again."""
    warm_up()
    connection = connect(url)
    queue = Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer)
    wait = RECONNECT_S[0]
    try:
        while True:
            worker = TransferWorker([queue], connection=connection)
            began = time.monotonic()
            try:
                worker.work(burst=burst, logging_level="WARNING")
            except UNREACHABLE as error:
                LOG.warning("Redis is unreachable (%s); trying again in %.0f s", error, wait)
            if burst or worker.stopping:
                return
            if time.monotonic() - began > RECONNECT_S[1]:
                wait = RECONNECT_S[0]
            time.sleep(wait)
            wait = min(wait * 2, RECONNECT_S[1])
    except StopRequested:  # a signal between two lives of the worker
        return
