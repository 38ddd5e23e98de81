"""Exception types whose messages are meant for the person using the app.

Every error the library raises on purpose derives from :class:`NSTError`, so
the UI, the CLI and the HTTP API can show ``str(error)`` as it is and treat
anything else as a bug.
"""


class NSTError(Exception):
    """Base class: the message says what went wrong and how to fix it."""


class InputError(NSTError, ValueError):
    """A parameter or an image the caller gave cannot be used."""


class ImageError(InputError):
    """An image cannot be read, or is too small, too large or too thin."""


class VideoError(InputError):
    """A clip cannot be read, has no frames, or its frames are too small or too large."""


class ModelUnavailableError(NSTError, RuntimeError):
    """Model weights could not be found, downloaded or read."""


class BusyError(NSTError, RuntimeError):
    """Too many jobs are waiting; try again later."""


class StoppedError(NSTError, RuntimeError):
    """The job was stopped before it started: Stop, or its client went away."""
