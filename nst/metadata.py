"""What a result PNG records about how it was made, so it can be reproduced."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nst.images import ImageSource

if TYPE_CHECKING:
    from nst.jobs import JobRequest


def source_name(source: ImageSource) -> str:
    """How the metadata names an input: its file name, or what kind of object it was."""
    if isinstance(source, str | Path):
        return Path(source).name
    return type(source).__name__


def result_metadata(request: JobRequest, **extra: Any) -> dict[str, Any]:
    """The mode, the inputs' names, every parameter's value, and ``extra`` facts of the run.

    Regions are recorded by a fingerprint of their map (``mask``), so a result
    says which regions it was painted with.
    """
    names = request.names or [source_name(s) for s in (request.content, *request.styles)]
    metadata = {
        "mode": request.mode,
        "content": names[0],
        "styles": list(names[1:]),
        **request.settings.values(),
        **extra,
    }
    if request.regions is not None:
        metadata["mask"] = request.regions.digest
    return metadata
