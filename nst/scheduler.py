"""One process-wide slot for transfers: only one job uses the device at a time.

Gradio has its own queue, but the CLI, the Python API and tests call the
library directly, so the library guards the device itself. Waiting is first
in, first out, and a waiting caller can read its position at any time.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from nst.errors import BusyError


class Ticket:
    """A place in the queue; ``position`` is 0 once the ticket holds the slot."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler

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
        self.max_waiting = max_waiting
        self.peak_running_jobs = 0
        """Most jobs ever seen holding the slot at once: 1 unless the slot is broken."""
        self._overlap = 0

    @contextmanager
    def ticket(self) -> Iterator[Ticket]:
        """Join the queue; leaving the ``with`` block frees the place or the slot."""
        with self._cond:
            waiting = max(len(self._queue) - 1, 0)
            if self.max_waiting is not None and waiting >= self.max_waiting:
                jobs = "1 job is" if waiting == 1 else f"{waiting} jobs are"
                raise BusyError(
                    f"Sorry, the server is busy: {jobs} already waiting. "
                    "Please try again in a minute."
                )
            ticket = Ticket(self)
            self._queue.append(ticket)
        try:
            yield ticket
        finally:
            with self._cond:
                if self._running is ticket:
                    self._running = None
                    self._overlap -= 1
                self._queue.remove(ticket)
                self._cond.notify_all()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for and hold the slot (for callers that need no queue position)."""
        with self.ticket() as ticket:
            ticket.wait()
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
            if granted and self._running is not ticket:
                self._running = ticket
                self._overlap += 1
                self.peak_running_jobs = max(self.peak_running_jobs, self._overlap)
            return granted


SCHEDULER = Scheduler()
"""The scheduler every transfer in this process goes through."""
