"""Make the README's regional-styles picture: a photo, its two regions and the fast result.

    python docs/regions.py [--out docs/regions.webp]

Uses the example cat (assets/photos), two gallery paintings and fast mode's
model (``NST_FAST_MODEL``; the published one is downloaded on first use).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nst.fast import stylize_fast  # noqa: E402
from nst.images import fit_longest_side, load_image  # noqa: E402
from nst.regions import BRUSH_COLOURS  # noqa: E402
from nst.settings import FastSettings  # noqa: E402

PHOTO = REPO / "assets" / "photos" / "cat.jpg"
STYLES = [REPO / "assets" / "styles" / name for name in ("blue-waves.jpg", "warm-impasto.jpg")]
SIZE = 480
PANEL = 320


def strokes(height: int, width: int) -> np.ndarray:
    """Red (style 1) over the left third, blue (style 2) over the right third, as a painter's
    strokes on transparency: the middle keeps the mix."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 3, height), fill=(*BRUSH_COLOURS[0], 255))
    draw.rectangle((2 * width // 3, 0, width, height), fill=(*BRUSH_COLOURS[1], 255))
    return np.asarray(image)


def panel(image: np.ndarray, label: str) -> Image.Image:
    """One labelled picture of the strip."""
    picture = Image.fromarray(fit_longest_side(image, PANEL))
    framed = Image.new("RGB", (picture.width, picture.height + 24), "white")
    framed.paste(picture, (0, 24))
    ImageDraw.Draw(framed).text((4, 5), label, fill="black")
    return framed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "regions.webp"))
    args = parser.parse_args()
    photo = fit_longest_side(load_image(PHOTO), SIZE)
    mask = strokes(*photo.shape[:2])
    settings = FastSettings(size=SIZE, mask_feather=0.04)
    result = stylize_fast(photo, STYLES, settings, mask=mask)
    painted = np.where(mask[..., 3:] > 0, mask[..., :3], photo // 2 + 64).astype(np.uint8)
    panels = [
        panel(photo, "photo"),
        panel(painted, "painted regions: red style 1, blue style 2"),
        panel(result, "fast mode"),
    ]
    strip = Image.new("RGB", (sum(p.width for p in panels) + 16, panels[0].height), "white")
    x = 0
    for picture in panels:
        strip.paste(picture, (x, 0))
        x += picture.width + 8
    strip.save(args.out, quality=80)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
