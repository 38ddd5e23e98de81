"""The page's components by what they are: what the layout makes and the wiring connects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Page:
    """Every component the events need; the layout fills in each part as it draws it."""

    content: Any
    style_1: Any
    style_2: Any
    shared: dict[str, Any]
    regions: Any
    painter: Any
    target: Any
    gallery: Any
    classic_tab: Any = None
    classic_settings: list[Any] | None = None
    classic_button: Any = None
    stop_button: Any = None
    fast_tab: Any = None
    fast_settings: list[Any] | None = None
    fast_button: Any = None
    video_tab: Any = None
    clip: Any = None
    video_settings: list[Any] | None = None
    video_button: Any = None
    frame: Any = None
    player: Any = None
    status: Any = None
    slider: Any = None
    download: Any = None
    mask_download: Any = None
    plot: Any = None
    result: Any = None
    mask: Any = None

    @property
    def images(self) -> list[Any]:
        return [self.content, self.style_1, self.style_2]
