"""A visitor's job: from what the page or an API client handed over to the job's stream.

The images arrive as paths (Gradio's uploads), the settings as raw values,
the regions as the painter's strokes or a mask file. They become one
:class:`~nst.jobs.JobRequest`, which goes to the line this app was started
with (its own process, or a shared queue), holding the visitor's stop flag
while it waits and runs. Whatever goes wrong ends the stream with
:class:`~nst.events.Failed` in words the visitor can act on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nst.errors import InputError, NSTError
from nst.events import Failed
from nst.host import HostCaps, upload_lifetime_seconds
from nst.jobs import JobRequest, make_request
from nst.modes import MODES
from nst.scheduler import LINE

log = logging.getLogger("dual-nst.app")

UNEXPECTED = "The transfer failed unexpectedly; the server log has the details."


_line: Any = LINE
"""The line this app hands its jobs to: its own process's, unless started with a queue."""


def use_line(line: Any) -> None:
    """Hand every later job to ``line`` (the server does, once, at start)."""
    global _line
    _line = line


def current_line() -> Any:
    """The line jobs go to now."""
    return _line


class Inputs(NamedTuple):
    """A job's images as a front end hands them over: paths (or None), and the mask.

    ``mask`` is a path (the API's mask file) or the painter's strokes as an
    RGBA array (the page), or None.
    """

    content: str | None
    style_1: str | None
    style_2: str | None
    mask: str | np.ndarray | None = None

    def checked(self) -> tuple[str, list[str]]:
        """The content photo and the chosen styles, or a message saying what is missing."""
        if not self.content:
            raise InputError("Upload a content photo first: it is the picture that gets repainted.")
        styles = [path for path in (self.style_1, self.style_2) if path]
        if not styles:
            raise InputError("Choose a style: upload a painting or click one in the gallery.")
        return self.content, styles

    @property
    def uploads(self) -> tuple[str | None, ...]:
        """The files a cache sweep may have removed."""
        mask = self.mask if isinstance(self.mask, str) else None
        return self.content, self.style_1, self.style_2, mask


def upload_gone_message() -> str:
    """An upload the cache sweep removed before its job ran, named without its server path."""
    return (
        "The uploaded image is no longer on the server (uploads are kept for "
        f"{upload_lifetime_seconds()} s); please upload it again."
    )


def job_request(mode: str, inputs: Inputs, values: dict[str, Any], caps: HostCaps) -> JobRequest:
    """The request for one job: settings within the host's caps, the mask made into regions."""
    content, styles = inputs.checked()
    settings = MODES[mode].settings.from_values(values, caps.of(mode))
    return make_request(mode, content, styles, settings, inputs.mask)


def job_events(
    mode: str, inputs: Inputs, values: dict[str, Any], caps: HostCaps, cancel: threading.Event
) -> Iterator[Any]:
    """One job's whole stream for a visitor, ending with Done, Stopped or Failed.

    ``cancel`` is the visitor's stop flag, held from before the request is
    made, so a Stop reaches the job wherever it is. Only a bug logs a
    traceback; a refusal logs one line.
    """
    try:
        events = _line.submit(job_request(mode, inputs, values, caps), cancel)
        for event in events:
            yield _named(event, inputs) if isinstance(event, Failed) else event
    except NSTError as error:
        yield _named(Failed(str(error), error), inputs)
    except Exception as error:
        log.exception("transfer failed")
        yield Failed(UNEXPECTED, error)


def _named(failed: Failed, inputs: Inputs) -> Failed:
    """A refusal as the visitor should read it, logged in one line.

    An upload the cache sweep removed after Gradio handed it over (while the
    job waited, say) is named as such, not by its server path.
    """
    if any(path and not Path(path).exists() for path in inputs.uploads):
        failed = Failed(upload_gone_message(), failed.error)
    log.warning("refused: %s", failed.message)
    return failed
