"""Where jobs wait and run: this process's own line, or one shared line on Redis.

:func:`open_line` is the one seam a front end needs: without a URL it gets the
process's :class:`~nst.scheduler.LocalLine` (jobs run here, one at a time);
with ``redis://…`` a :class:`~nst.queue.line.RedisLine`, whose jobs run on
workers (``dual-nst worker``) on this machine or others. Both take a request
and a cancel flag and give the same stream of events (:mod:`nst.events`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nst.scheduler import LINE, LocalLine

if TYPE_CHECKING:
    from nst.queue.line import RedisLine


def open_line(url: str | None) -> LocalLine | RedisLine:
    """The line jobs go through: the local one for None (or ""), else the Redis line at ``url``.

    Nothing is sent to Redis here: an unreachable queue fails each job with its
    reason, and jobs go through again once it is back.
    """
    if not url:
        return LINE
    from nst.queue.line import RedisLine

    return RedisLine(url)


__all__ = ["open_line"]
