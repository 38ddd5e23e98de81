"""The kinds of job, by name: each mode's settings and the job that runs them.

A front end finds a mode here by the name in a request; the job's module is
imported only when a job is made, so choosing a mode (the CLI's ``--help``,
the page's controls) loads no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from nst.errors import InputError
from nst.parameters import Settings
from nst.settings import ClassicSettings, FastSettings, VideoSettings

if TYPE_CHECKING:
    from nst.jobs import Job, JobRequest


@dataclass(frozen=True)
class Mode:
    """A way of painting: ``settings`` declares its parameters, ``job`` names its job class."""

    name: str
    settings: type[Settings]
    job: str
    """``module:Class`` of the job; the class is made with the request alone."""

    def make(self, request: JobRequest, **collaborators: Any) -> Job:
        """The job, its inputs checked; ``collaborators`` are its class's own (a fast model)."""
        module, name = self.job.split(":")
        return getattr(import_module(module), name)(request, **collaborators)


MODES = {
    mode.name: mode
    for mode in (
        Mode("classic", ClassicSettings, "nst.classic.transfer:ClassicJob"),
        Mode("fast", FastSettings, "nst.fast.transfer:FastJob"),
        Mode("video", VideoSettings, "nst.video.job:VideoJob"),
    )
}


def make_job(request: JobRequest) -> Job:
    """The job a request asks for, its inputs checked (an InputError if one is bad)."""
    if request.mode not in MODES:
        raise InputError(f"Unknown mode {request.mode!r}; one of {', '.join(MODES)}.")
    return MODES[request.mode].make(request)
