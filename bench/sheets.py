"""Contact sheets for the benchmarks: labelled pictures in rows, and 1:1 crops to put in them."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LINE_HEIGHT = 19
"""Pixels per label line at the sheet's font size (15)."""
GAP = 6


def crop(image: np.ndarray, centre: tuple[float, float], shape: tuple[int, ...]) -> np.ndarray:
    """A ``shape`` (height, width) window around ``centre`` (fractions of height and width)."""
    height, width = image.shape[:2]
    top = int(np.clip(centre[0] * height - shape[0] / 2, 0, height - shape[0]))
    left = int(np.clip(centre[1] * width - shape[1] / 2, 0, width - shape[1]))
    return image[top : top + shape[0], left : left + shape[1]]


def contact_sheet(rows: list[list[tuple[str, np.ndarray]]]) -> Image.Image:
    """A white grid of images, one list per row, each under its label (lines split on \\n)."""
    font = ImageFont.load_default(size=15)
    lines = max(label.count("\n") + 1 for row in rows for label, _ in row)
    label_height = lines * LINE_HEIGHT + 3
    column = max(image.shape[1] for row in rows for _, image in row)
    heights = [max(image.shape[0] for _, image in row) for row in rows]
    columns = max(len(row) for row in rows)
    sheet = Image.new(
        "RGB",
        (GAP + columns * (column + GAP), GAP + sum(h + label_height + GAP for h in heights)),
        "white",
    )
    draw = ImageDraw.Draw(sheet)
    top = GAP
    for row, height in zip(rows, heights, strict=True):
        for index, (label, image) in enumerate(row):
            left = GAP + index * (column + GAP)
            draw.multiline_text((left, top + 3), label, fill="black", font=font, spacing=4)
            sheet.paste(Image.fromarray(image), (left, top + label_height))
        top += height + label_height + GAP
    return sheet
