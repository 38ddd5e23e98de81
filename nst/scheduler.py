"""One process-wide slot for transfers, and the line that runs jobs through it.

Gradio has its own queue, but the CLI, the Python API and tests call the
library directly, so the library guards the device itself. Waiting is first
in, first out, and a waiting caller can read its position at any time.
Listeners hear when a job takes the slot and when it leaves it.

The scheduler orders jobs; it is not what keeps them apart on the device.
What a job leaves on the device between steps (classic mode's traced state)
is guarded by its owner (:func:`nst.classic.evaluator.get_evaluator`), so a
second scheduler, as tests make, cannot interleave two jobs' steps.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from nst.allocator import release_after_job
from nst.errors import BusyError, NSTError, StoppedError
from nst.events import Done, Failed, Queued, Stopped
from nst.jobs import Job, JobRequest
from nst.modes import make_job

POLL_SECONDS = 0.5
"""How often a waiting job looks at its cancel flag and reports its place in line."""
STOPPED_BEFORE_START = "Stopped before it started."

Listener = Callable[[str, "Ticket"], None]
"""Called as ``listener("start" | "end", ticket)`` when a job takes or leaves the slot;
a job's end is always heard before the next job's start."""


def busy_error(waiting: int) -> BusyError:
    """The refusal of a full line, with ``waiting`` jobs waiting behind those running."""
    jobs = "1 job is" if waiting == 1 else f"{waiting} jobs are"
    state = f"{jobs} already waiting" if waiting else "another job is running"
    return BusyError(f"Sorry, the server is busy: {state}. Please try again in a minute.")


class Ticket:
    """A place in the queue; ``position`` is 0 once the ticket holds the slot.

    ``job`` is whatever the caller said the job is (e.g. its mode and
    settings), for listeners.
    """

    def __init__(self, scheduler: Scheduler, job: Any) -> None:
        self._scheduler = scheduler
        self.job = job

    @property
    def position(self) -> int:
        """How many jobs are ahead of this one (0: this job is running)."""
        return self._scheduler._position(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until this ticket holds the slot; False if ``timeout`` ran out."""
        return self._scheduler._wait(self, timeout)


class Scheduler:
    """A fair (FIFO) single slot shared by every thread of the process."""

    def __init__(self, max_waiting: int | None = None) -> None:
        self._cond = threading.Condition()
        self._queue: deque[Ticket] = deque()
        self._running: Ticket | None = None
        self._listeners: list[Listener] = []
        self.max_waiting = max_waiting

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` at every start and end of a job; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @contextmanager
    def ticket(self, job: Any = None) -> Iterator[Ticket]:
        """Join the queue; leaving the ``with`` block frees the place or the slot.

        With ``max_waiting`` jobs already waiting (0: a job running) the line is
        full: BusyError, before the caller has spent anything on the job.
        """
        with self._cond:
            if self.max_waiting is not None and len(self._queue) > self.max_waiting:
                raise busy_error(len(self._queue) - 1)
            ticket = Ticket(self, job)
            self._queue.append(ticket)
        try:
            yield ticket
        finally:
            with self._cond:
                ended = self._running is ticket
            try:
                if ended:  # told while the slot is still held: before the next job's start
                    self._tell("end", ticket)
            finally:
                with self._cond:
                    if ended:
                        self._running = None
                    self._queue.remove(ticket)
                    self._cond.notify_all()

    @contextmanager
    def slot(self, job: Any = None, cancel: threading.Event | None = None) -> Iterator[None]:
        """Wait for and hold the slot (for callers that need no queue position).

        Once ``cancel`` is set a waiting job leaves the line: StoppedError.
        """
        with self.ticket(job) as ticket:
            while not ticket.wait(POLL_SECONDS):
                if cancel is not None and cancel.is_set():
                    raise StoppedError(STOPPED_BEFORE_START)
            yield

    @property
    def waiting(self) -> int:
        """Jobs queued behind the running one."""
        with self._cond:
            return max(len(self._queue) - 1, 0)

    def _position(self, ticket: Ticket) -> int:
        with self._cond:
            return self._queue.index(ticket)

    def _wait(self, ticket: Ticket, timeout: float | None) -> bool:
        with self._cond:
            granted = self._cond.wait_for(lambda: self._queue[0] is ticket, timeout)
            started = granted and self._running is not ticket
            if started:
                self._running = ticket
        if started:
            self._tell("start", ticket)
        return granted

    def _tell(self, event: str, ticket: Ticket) -> None:
        for listener in list(self._listeners):
            listener(event, ticket)


class LocalLine:
    """The line of one process: its jobs run here, one at a time, first come first served.

    This is the default line of the app, the CLI and the Python API; a line
    on Redis (:mod:`nst.queue`) offers the same :meth:`submit` across machines.
    """

    def __init__(self, scheduler: Scheduler | None = None) -> None:
        self.scheduler = scheduler or SCHEDULER

    @property
    def max_waiting(self) -> int | None:
        return self.scheduler.max_waiting

    @max_waiting.setter
    def max_waiting(self, value: int | None) -> None:
        self.scheduler.max_waiting = value

    def submit(self, job: Job | JobRequest, cancel: threading.Event | None = None) -> Iterator[Any]:
        """The job's whole stream: Queued while it waits, its own events, one final event.

        A request is made into its job here (its inputs checked from their
        headers); a refusal, a full line or an error meant for the user ends
        the stream with Failed. Once ``cancel`` is set a waiting job leaves the
        line: "Stopped before it started.". Closing the stream frees the place.
        """
        cancel = cancel or threading.Event()
        try:
            job = make_job(job) if isinstance(job, JobRequest) else job
            with self.scheduler.ticket((job.request.mode, job.request.settings)) as ticket:
                asked = time.perf_counter()
                while not ticket.wait(POLL_SECONDS):
                    if cancel.is_set():
                        yield Stopped(STOPPED_BEFORE_START)
                        return
                    yield Queued(ticket.position)
                waited = time.perf_counter() - asked
                for event in job.run(cancel):
                    yield replace(event, waited=waited) if isinstance(event, Done) else event
        except NSTError as error:
            yield Failed(str(error), error)


SCHEDULER = Scheduler()
"""The scheduler every transfer in this process goes through; after each job it returns the
memory the job freed to the system."""
SCHEDULER.add_listener(release_after_job)

LINE = LocalLine(SCHEDULER)
"""The line of this process, unless a front end was given another (a Redis URL)."""
