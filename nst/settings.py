"""The parameters of a transfer: each declared once, with its default, bounds and words.

The field order is the order of the app's API parameters (after the images):
new parameters go at the end, so clients that pass values by position keep
working. See :mod:`nst.parameters` for what is derived from a declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nst.errors import InputError
from nst.parameters import Settings, parameter

INIT_CHOICES = ("content", "palette", "noise", "fast")
"""Named starting images for classic mode; any other value is an image path."""
OPTIMISERS = ("adam", "lbfgs")
STRENGTH_MIDDLE = 5.0
"""The style strength at which the style weight applies as given."""
STRENGTH_PER_DECADE = 2.0
"""Style strength steps that multiply the style's pull by 10."""


def _style_mix() -> Any:
    return parameter(
        0.5,
        low=0.0,
        high=1.0,
        step=0.05,
        label="Style mix",
        help="Share of style 1 when two styles are given; style 2 gets the rest.",
    )


def _mask_feather() -> Any:
    return parameter(
        0.02,
        low=0.0,
        high=0.2,
        step=0.01,
        group="regions",
        label="Soft edges",
        help="How softly one style's region fades into the other's, as a share of the picture.",
    )


def _preserve_colors() -> Any:
    return parameter(
        False,
        label="Keep the photo's colours",
        help="Take the brushwork from the style and the colours from the photo.",
    )


class StyleMix:
    """Turning the one "style mix" number into a share per style image."""

    style_mix: float

    def style_shares(self, style_count: int) -> tuple[float, ...]:
        """Each style's share of the look: ``(1,)`` for one style, else the mix and the rest."""
        if style_count == 1:
            return (1.0,)
        if style_count == 2:
            return (self.style_mix, 1.0 - self.style_mix)
        raise InputError(f"Give one or two style images, not {style_count}.")


@dataclass(frozen=True)
class ClassicSettings(Settings, StyleMix):
    """Parameters of an optimisation-based (Gatys) transfer."""

    style_mix: float = _style_mix()
    iterations: int = parameter(
        100,
        low=1,
        high=10_000,
        step=1,
        label="Iterations",
        help="Optimisation steps: more steps, more style.",
    )
    content_weight: float = parameter(
        1.0,
        low=0.0,
        high=1e9,
        typed=True,
        group="advanced",
        label="Content weight",
        help="How much of the photo's shapes to keep (costs are relative: any network).",
    )
    style_weight: float = parameter(
        10.0,
        low=0.0,
        high=1e9,
        typed=True,
        group="advanced",
        label="Style weight",
        help="How strongly to imitate the paintings, at the middle style strength.",
    )
    tv_weight: float = parameter(
        3.0,
        low=0.0,
        high=1e9,
        typed=True,
        group="advanced",
        label="Smoothness (TV weight)",
        help="Against coloured speckle, relative to the style's pull: higher is softer.",
    )
    size: int = parameter(
        512,
        low=16,
        high=4096,
        step=16,
        label="Output size",
        help="Longest side of the result in pixels; the aspect ratio is kept.",
    )
    style_scale: float = parameter(
        1.0,
        low=0.1,
        high=4.0,
        step=0.05,
        group="advanced",
        label="Style scale",
        help="Size of the style images relative to the output: the size of the brush strokes.",
    )
    init: str = parameter(
        "content",
        choices=INIT_CHOICES,
        open_choices=True,
        group="advanced",
        label="Start from",
        help="The photo, the photo in the paintings' colours (palette), seeded noise, the "
        "fast-mode result, or an image path.",
    )
    preserve_colors: bool = _preserve_colors()
    seed: int = parameter(
        0,
        low=0,
        high=2**31 - 1,
        typed=True,
        group="advanced",
        label="Seed",
        help="Seed of the noise start.",
    )
    preview_every: int = parameter(
        10,
        low=1,
        high=1000,
        step=1,
        group="advanced",
        label="Preview every",
        help="Steps between two previews.",
    )
    learning_rate: float = parameter(
        0.02,
        low=1e-6,
        high=1.0,
        typed=True,
        group="advanced",
        label="Learning rate",
        help="Adam's step, or L-BFGS's first one: the RMS change of the pixels, in [0, 1].",
    )
    multires: bool = parameter(
        False,
        group="advanced",
        label="Coarse to fine",
        help="Optimise at smaller sizes first: faster steps, but bigger strokes, softer shapes.",
    )
    style_strength: float = parameter(
        STRENGTH_MIDDLE,
        low=0.0,
        high=10.0,
        step=0.5,
        label="Style strength",
        help="How far from the photo toward the painting: 0 keeps the photo, 10 paints over it.",
    )
    optimiser: str = parameter(
        "adam",
        choices=OPTIMISERS,
        group="advanced",
        label="Optimiser",
        help="Adam, or L-BFGS: about as much style in a third of the steps; can blot a face.",
    )
    mask_feather: float = _mask_feather()

    def cost_weights(self) -> tuple[float, float, float]:
        """The content, style and TV weights: the style's pull scaled by the style strength.

        The TV weight is relative to the style's pull, since the speckle it
        removes comes from the style's gradient: the same share at any strength.
        """
        decades = (self.style_strength - STRENGTH_MIDDLE) / STRENGTH_PER_DECADE
        style = self.style_weight * 10.0**decades
        return self.content_weight, style, self.tv_weight * style


def _strength() -> Any:
    return parameter(
        1.0,
        low=0.0,
        high=1.0,
        step=0.05,
        label="Strength",
        help="0: the photo as it is, 1: full style.",
    )


def _brush_size() -> Any:
    return parameter(
        1.0,
        low=0.5,
        high=2.0,
        step=0.05,
        label="Brush size",
        help="Size of the painted strokes, the same at any output size: 0.5 fine, 2 bold.",
    )


@dataclass(frozen=True)
class FastSettings(Settings, StyleMix):
    """Parameters of a one-pass (Magenta) transfer."""

    style_mix: float = _style_mix()
    size: int = parameter(
        1024,
        low=16,
        high=4096,
        step=16,
        label="Output size",
        help="Longest side of the result in pixels; the aspect ratio is kept.",
    )
    strength: float = _strength()
    preserve_colors: bool = _preserve_colors()
    brush_size: float = _brush_size()
    mask_feather: float = _mask_feather()


@dataclass(frozen=True)
class VideoSettings(Settings, StyleMix):
    """Parameters of a clip painted in fast mode, frame by frame: the fast ones that apply
    to a clip, steadying, and the longest clip a job takes (a shared host lowers it)."""

    style_mix: float = _style_mix()
    size: int = parameter(
        854,
        low=16,
        high=1920,
        step=2,
        label="Output size",
        help="Longest side of the clip in pixels (854: 480p); the aspect ratio is kept.",
    )
    strength: float = _strength()
    preserve_colors: bool = _preserve_colors()
    brush_size: float = _brush_size()
    mask_feather: float = _mask_feather()
    steady: bool = parameter(
        True,
        label="Steady",
        help="Carry the painting along with the motion where it can be followed, against flicker.",
    )
    paint_every: int = parameter(
        4,
        low=1,
        high=8,
        step=1,
        group="advanced",
        label="Paint every Nth frame",
        help="With Steady on, the network paints every Nth frame and the frames between are "
        "made from the paintings on either side, moved along the motion: 4 is about 2.4 times "
        "as fast as 1, which paints every frame.",
    )
    max_seconds: float = parameter(
        60.0,
        low=1.0,
        high=600.0,
        step=1.0,
        group="advanced",
        label="Longest clip (s)",
        help="Seconds painted at most: a longer clip is painted from its start up to here.",
    )
    max_frames: int = parameter(
        1800,
        low=1,
        high=36_000,
        step=1,
        group="advanced",
        label="Most frames",
        help="Frames painted at most: a clip with more is painted from its start up to here.",
    )
