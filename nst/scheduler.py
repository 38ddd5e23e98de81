"""One process-wide slot for transfers, and the Stop switches of each session.

Gradio has its own queue, but the CLI, the Python API and tests call the
library directly, so the library guards the device itself. Waiting is first
in, first out, and a waiting caller can read its position at any time.
Listeners hear when a job takes the slot and when it leaves it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nst.errors import BusyError, StoppedError
from nst.memory import release_after_job

CANCEL_POLL_SECONDS = 0.25
"""How often a job waiting in :meth:`Scheduler.slot` looks at its cancel flag."""
STOP_GRACE_SECONDS = 5.0
"""How long a Stop that found no job of its session still stops the next ones to arrive:
an API client's Stop can overtake the job it submitted just before, while its files upload."""
STOP_MEMORY_SECONDS = 60.0
"""How long a Stop is remembered for jobs that arrived before it but start after it."""

Listener = Callable[[str, "Ticket"], None]
"""Called as ``listener("start" | "end", ticket)`` when a job takes or leaves the slot;
a job's end is always heard before the next job's start."""


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
                waiting = len(self._queue) - 1
                jobs = "1 job is" if waiting == 1 else f"{waiting} jobs are"
                state = f"{jobs} already waiting" if waiting else "another job is running"
                raise BusyError(
                    f"Sorry, the server is busy: {state}. Please try again in a minute."
                )
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
            while not ticket.wait(CANCEL_POLL_SECONDS):
                if cancel is not None and cancel.is_set():
                    raise StoppedError("Stopped before it started.")
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


class StopSwitches:
    """Per-session stop flags, so Stop ends this visitor's jobs and nobody else's.

    Stop sets the flags of the session's running jobs, and a job still queued
    in the scheduler leaves the line without running. It is also remembered
    for a while, because a job's request may arrive before a Stop yet claim
    its flag after it (while the request is prepared): such a job starts
    stopped. A Stop that found nothing to stop also stops the jobs arriving in
    the next :data:`STOP_GRACE_SECONDS`, whose requests it may have overtaken.
    A front end may arm a flag before it submits a job; arming means a new job
    was asked for, so it also forgets an earlier Stop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, threading.Event] = {}
        self._running: dict[str, set[threading.Event]] = {}
        self._stops: dict[str, tuple[float, bool]] = {}
        """Session → (when it last asked to stop, whether that Stop found no job)."""

    def arm(self, session: str) -> None:
        """A flag for the session's next job (the page starts one job at a time)."""
        with self._lock:
            self._armed[session] = threading.Event()
            self._stops.pop(session, None)

    def claim(self, session: str, arrived: float | None = None) -> threading.Event:
        """The flag of a job that is starting now.

        ``arrived`` is when the job's request reached the server, in
        :func:`time.monotonic` seconds (now, if not given).
        """
        with self._lock:
            flag = self._armed.pop(session, None) or threading.Event()
            if self._stopped_after(session, time.monotonic() if arrived is None else arrived):
                flag.set()
            self._running.setdefault(session, set()).add(flag)
            return flag

    def release(self, session: str, flag: threading.Event) -> None:
        """The job holding ``flag`` has ended."""
        with self._lock:
            running = self._running.get(session, set())
            running.discard(flag)
            if not running:
                self._running.pop(session, None)

    def stop(self, session: str) -> int:
        """Set the session's flags; returns how many jobs were asked to stop."""
        now = time.monotonic()
        with self._lock:
            flags = [*self._running.get(session, ())]
            if session in self._armed:
                flags.append(self._armed[session])
            self._stops = {
                other: (when, idle)
                for other, (when, idle) in self._stops.items()
                if now - when <= STOP_MEMORY_SECONDS
            }
            self._stops[session] = (now, not flags)
        for flag in flags:
            flag.set()
        return len(flags)

    def _stopped_after(self, session: str, arrived: float) -> bool:
        """Whether a Stop of ``session`` applies to a job that arrived at ``arrived``."""
        if session not in self._stops:
            return False
        when, found_nothing = self._stops[session]
        return arrived <= when + (STOP_GRACE_SECONDS if found_nothing else 0.0)


SCHEDULER = Scheduler()
"""The scheduler every transfer in this process goes through; after each job it returns the
memory the job freed to the system."""
SCHEDULER.add_listener(release_after_job)

STOPS = StopSwitches()
"""The Stop switches of every session of this process's front ends."""
