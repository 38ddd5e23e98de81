"""What a result PNG records about how it was made, so it can be reproduced."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nst.caching import image_digest
from nst.images import ImageSource, load_image
from nst.parameters import Settings


def source_name(source: ImageSource) -> str:
    """How the metadata names an input: its file name, or what kind of object it was."""
    if isinstance(source, str | Path):
        return Path(source).name
    return type(source).__name__


def result_metadata(
    mode: str,
    content: ImageSource,
    styles: Sequence[ImageSource],
    settings: Settings,
    mask: ImageSource | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The mode, the inputs' names, every parameter's value, and ``extra`` facts of the run.

    A mask is recorded by a fingerprint of its pixels (``mask``), so a result
    says which regions it was painted with.
    """
    metadata = {
        "mode": mode,
        "content": source_name(content),
        "styles": [source_name(style) for style in styles],
        **settings.values(),
        **extra,
    }
    if mask is not None:
        metadata["mask"] = image_digest(load_image(mask, keep_alpha=True))
    return metadata
