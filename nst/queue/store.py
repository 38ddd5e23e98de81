"""The one Redis a line and its workers share: how to reach it, and what a job keeps there.

Every key a job writes is named here, under its job's id, and expires after
``NST_DELETE_CACHE_SECONDS`` whatever happens to the job, so a Redis that
outlives its app and workers keeps nothing for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from nst.errors import NSTError
from nst.host import upload_lifetime_seconds

QUEUE_NAME = "dual-nst"
"""The RQ queue every front end and worker of one Redis database shares."""
KEY_PREFIX = "dual-nst:job:"
CONNECT_TIMEOUT_S = 2.0
"""Seconds to reach Redis before the queue counts as unavailable."""
READ_TIMEOUT_S = 10.0
"""Seconds an answer may take; longer than any blocking read the line makes."""

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
"""What a lost connection to Redis raises."""


class QueueUnavailableError(NSTError, RuntimeError):
    """Redis cannot be reached: new jobs are refused with this reason until it is back."""


def connect(url: str) -> Redis:
    """A client for ``url`` (``redis://[user:password@]host:port/db``, or ``rediss://``).

    Nothing is sent yet; the pool reconnects by itself once Redis is back.
    """
    return Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=READ_TIMEOUT_S,
        health_check_interval=30,
    )


def unavailable(url: str, error: BaseException) -> QueueUnavailableError:
    """The user's message for a Redis that cannot be reached; the URL's password stays out."""
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path or ''}"
    return QueueUnavailableError(
        f"The job queue is unavailable (Redis at {where} does not answer: "
        f"{type(error).__name__}); please try again in a minute."
    )


def lifetime() -> int:
    """Seconds any key of a job lives (``NST_DELETE_CACHE_SECONDS``)."""
    return upload_lifetime_seconds()


@dataclass(frozen=True)
class JobKeys:
    """The keys of one job, besides RQ's own.

    ``request`` holds the inputs until the job ends; ``events`` is the stream
    the worker writes and the front end reads; ``stop`` is set by Stop;
    ``watch`` lives while a front end follows the job; ``attempts`` counts the
    workers that took it.
    """

    job_id: str

    def _key(self, name: str) -> str:
        return f"{KEY_PREFIX}{self.job_id}:{name}"

    @property
    def request(self) -> str:
        return self._key("request")

    @property
    def events(self) -> str:
        return self._key("events")

    @property
    def stop(self) -> str:
        return self._key("stop")

    @property
    def watch(self) -> str:
        return self._key("watch")

    @property
    def attempts(self) -> str:
        return self._key("attempts")

    def all(self) -> tuple[str, ...]:
        return (self.request, self.events, self.stop, self.watch, self.attempts)
