"""Each visitor's Stop: it ends this visitor's jobs, running or waiting, and nobody else's.

A visitor is a browser tab or an API client (Gradio's session). Stop sets
the flags of the session's jobs that arrived before it, by the time their
requests reached the server (stamped by :class:`webui.limits.RequestLimits`):
a job whose request arrived before the Stop but claims its flag after it
(while its request is prepared) starts stopped; one that arrived after the
Stop is never touched by it.
"""

from __future__ import annotations

import threading
import time

import gradio as gr

STOP_MEMORY_SECONDS = 60.0
"""How long a Stop is remembered for jobs that arrived before it but start after it."""
NOTHING_RUNNING = "Nothing is running."
STOPPING = "Stopping after the current step…"


class StopSwitches:
    """Per-session stop flags, ordered by arrival.

    A front end may arm a flag before it submits a job (the page's Launch);
    arming means a new job was asked for, so it also forgets an earlier Stop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, threading.Event] = {}
        self._running: dict[str, set[threading.Event]] = {}
        self._stops: dict[str, float] = {}
        """Session → when it last asked to stop (``time.monotonic()``)."""

    def arm(self, session: str) -> None:
        """A flag for the session's next job (the page starts one job at a time)."""
        with self._lock:
            self._armed[session] = threading.Event()
            self._stops.pop(session, None)

    def claim(self, session: str, arrived: float | None = None) -> threading.Event:
        """The flag of a job that is starting now, whose request arrived at ``arrived``
        (:func:`time.monotonic` seconds; now, if not given)."""
        with self._lock:
            flag = self._armed.pop(session, None) or threading.Event()
            stopped = self._stops.get(session)
            if stopped is not None and (time.monotonic() if arrived is None else arrived) < stopped:
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
                other: when
                for other, when in self._stops.items()
                if now - when <= STOP_MEMORY_SECONDS
            }
            self._stops[session] = now
        for flag in flags:
            flag.set()
        return len(flags)


STOPS = StopSwitches()
"""The Stop switches of every session of this process's page and API."""


def session_of(request: gr.Request | None) -> str:
    """Whose stop flags: the browser tab or API client (one key for direct calls)."""
    return (request.session_hash if request else None) or ""


def arrived(request: gr.Request | None) -> float | None:
    """When the job's request reached the server (stamped by ``RequestLimits``), for Stop."""
    return getattr(getattr(request, "state", None), "arrived", None)


def client_gone(request: gr.Request) -> None:
    """The page was closed or the API client went away: its jobs stop, running or waiting.

    Gradio calls this when the session's heartbeat connection drops, at once,
    where it would otherwise close a job only at its next preview.
    """
    STOPS.stop(session_of(request))


def stop(request: gr.Request) -> str:
    """Stop this session's jobs, running or waiting (a classic one keeps its last image);
    say what happened."""
    message = STOPPING if STOPS.stop(session_of(request)) else NOTHING_RUNNING
    gr.Info(message)
    return message


def stop_on_page(request: gr.Request) -> str | gr.components.Component:
    """The page's Stop: the toast says what happened; the status line says so only when
    nothing ran, since a stopped job writes its own last words there ("Stopped at step …")
    and this answer, arriving after them, would cover them."""
    message = stop(request)
    return message if message == NOTHING_RUNNING else gr.skip()
