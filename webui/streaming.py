"""A job's outputs handed to Gradio from a thread of their own, so a client's cancel is
answered at once.

Gradio runs a plain generator handler in a worker thread and can cancel it
only when it next yields: a client's cancel request waits, up to a preview's
worth of steps, and ``gradio_client`` gives up after five seconds. Here the
handler is an async generator that awaits the outputs a thread produces; a
cancel ends it at once and sets the job's stop flag, and the thread, whose
job stops within one step, runs on until the job has left the line.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from webui.stops import STOPS, arrived, session_of

END = object()
"""Put after the last output."""


class _Raised:
    """An exception the outputs ended with, to be raised where Gradio can see it."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


async def streamed(
    request: Any, outputs: Callable[[threading.Event], Iterator[Any]]
) -> AsyncIterator[Any]:
    """The outputs of ``outputs(cancel)``, made in a thread, with the visitor's stop flag.

    The flag is claimed before the job is made and set when this ends early
    (a cancel, a closed connection), so the job stops within one step.
    """
    session = session_of(request)
    cancel = STOPS.claim(session, arrived(request))
    loop = asyncio.get_running_loop()
    items: asyncio.Queue[Any] = asyncio.Queue()

    def hand_over(item: Any) -> None:
        # Once the loop has closed nobody listens any more: the job just ends.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(items.put_nowait, item)

    def produce() -> None:
        try:
            for item in outputs(cancel):
                hand_over(item)
        except BaseException as error:  # raised again in the handler, as Gradio expects
            hand_over(_Raised(error))
        finally:
            hand_over(END)
            STOPS.release(session, cancel)

    context = contextvars.copy_context()  # Gradio's progress and toasts find their event here
    threading.Thread(target=context.run, args=(produce,), daemon=True).start()
    try:
        while (item := await items.get()) is not END:
            if isinstance(item, _Raised):
                raise item.error
            yield item
    finally:
        cancel.set()  # a no-op once the job has ended; otherwise it stops within a step
