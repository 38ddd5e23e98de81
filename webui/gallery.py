"""The style gallery (the images in ``assets/styles`` and who made them) and the examples.

The folder is read each time :func:`load_gallery` is called, so an image a user
drops into it shows up on the next start even without a credits entry. Only
plain image files inside the folder are listed: anything Pillow cannot identify,
and any link or credits entry that leads out of the folder, is skipped, so a
stray file can neither break the app nor expose a file elsewhere on the disk.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from nst import config

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DEFAULT_DIR = ASSETS / "styles"
PHOTOS_DIR = ASSETS / "photos"
"""Photos that may be redistributed, with their credits, for the examples."""
EXAMPLES = (
    # content photo, style 1, style 2, style mix (files in PHOTOS_DIR and the gallery)
    ("rocket.jpg", "swirling-night.jpg", None, 0.5),
    ("coffee.jpg", "warm-impasto.jpg", None, 0.5),
    ("cat.jpg", "blue-waves.jpg", "warm-impasto.jpg", 0.5),
)
CREDITS_FILE = "credits.json"
# Formats every browser can show; the gallery is displayed as it is.
WEB_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP"})
CREDIT_FIELDS = ("title", "artist", "year", "licence", "source")


@dataclass(frozen=True)
class GalleryItem:
    """One style image with its credits (empty strings where none were given)."""

    path: Path
    title: str
    artist: str
    year: str
    licence: str
    source: str

    @property
    def caption(self) -> str:
        """What the gallery shows under the image: "Title — Artist", or the title alone."""
        return f"{self.title} — {self.artist}" if self.artist else self.title


def styles_dir() -> Path:
    """The gallery folder: ``NST_STYLES_DIR`` when set, else ``assets/styles`` in the repo."""
    return config.STYLES_DIR.path() if config.STYLES_DIR.is_set() else DEFAULT_DIR


def load_gallery(folder: Path | None = None) -> list[GalleryItem]:
    """List the images in ``folder`` (default :func:`styles_dir`) with credits, by title."""
    folder = (folder or styles_dir()).resolve()
    if not folder.is_dir():
        log.warning("style gallery folder %s does not exist; the gallery is empty", folder)
        return []
    credits = _read_credits(folder / CREDITS_FILE)
    items = []
    for path in folder.iterdir():
        if path.name == CREDITS_FILE or path.name.startswith(".") or not _is_image(path, folder):
            continue
        entry = credits.get(path.name, {})
        fields = {key: entry.get(key, "") for key in CREDIT_FIELDS}
        fields["title"] = fields["title"] or title_from_name(path.name)
        items.append(GalleryItem(path=path, **fields))
    return sorted(items, key=lambda item: (item.title.casefold(), item.path.name))


def title_from_name(name: str) -> str:
    """A readable title from a file name: ``my_cool-style.jpg`` gives "My cool style"."""
    words = re.sub(r"[\s_\-]+", " ", Path(name).stem).strip() or name
    return words[:1].upper() + words[1:]


def _is_image(path: Path, folder: Path) -> bool:
    """True for a file inside ``folder`` (after links) whose header is a web image format."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        log.debug("skipping %s: broken or looping link", path)
        return False
    if real.parent != folder or not real.is_file():
        log.debug("skipping %s: not a file directly inside %s", path, folder)
        return False
    try:
        with Image.open(real) as img:
            fmt = img.format
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        log.debug("skipping %s: not an image Pillow can read (%s)", path, err)
        return False
    if fmt not in WEB_FORMATS:
        log.debug("skipping %s: %s is not a format browsers show", path, fmt)
        return False
    return True


def _read_credits(path: Path) -> dict[str, dict[str, str]]:
    """Credits by file name; a missing file gives none, a malformed one is logged and ignored."""
    if not path.is_file():
        return {}
    try:
        data: Any = json.loads(path.read_text("utf-8"))
        if not isinstance(data, list):
            raise ValueError("expected a list of objects")
    except (OSError, UnicodeDecodeError, ValueError) as err:
        log.warning("ignoring malformed style credits %s: %s", path, err)
        return {}
    credits = {}
    for entry in data:
        name = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not _is_plain_name(name):
            log.warning("ignoring style credits entry %r in %s: bad file name", entry, path)
            continue
        credits[name] = {
            key: str(entry[key]).strip()
            for key in CREDIT_FIELDS
            if isinstance(entry.get(key), str | int)
        }
    return credits


def _is_plain_name(name: str) -> bool:
    """A bare file name: no folder part, no ``..``, nothing hidden."""
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


def example_rows(items: list[GalleryItem]) -> list[list[Any]]:
    """The examples' rows (photo, style 1, style 2, mix) whose styles are in the gallery.

    An example whose style is not there (another ``NST_STYLES_DIR``) is left out.
    """
    styles = {item.path.name: str(item.path) for item in items}
    return [
        [str(PHOTOS_DIR / photo), styles[first], styles[second] if second else None, mix]
        for photo, first, second, mix in EXAMPLES
        if first in styles and (second is None or second in styles)
    ]
