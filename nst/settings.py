"""The parameters of a transfer, with their defaults and their limits.

The CLI, the app and the Python API all read defaults and bounds from these
dataclasses, so a default is changed in one place only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from nst.errors import InputError

INIT_CHOICES = ("content", "noise", "fast")
"""Named starting images for classic mode; any other value is an image path."""


def check_number(name: str, value: float, low: float, high: float) -> float:
    """``value`` as a float, or an :class:`InputError` naming the parameter."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, not {value!r}.") from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number, not {value!r}.")
    if not low <= number <= high:
        raise InputError(f"{name} must be between {low:g} and {high:g}, not {number:g}.")
    return number


def check_int(name: str, value: int, low: int, high: int) -> int:
    """``value`` as an int within bounds, or an :class:`InputError`."""
    number = check_number(name, value, low, high)
    if number != int(number):
        raise InputError(f"{name} must be a whole number, not {value!r}.")
    return int(number)


def normalise_style_weights(
    weights: tuple[float, ...] | list[float], count: int
) -> tuple[float, ...]:
    """Weights for ``count`` styles, scaled to sum to 1.

    Missing weights mean "equal share"; a non-zero weight for a style that was
    not given, or weights that sum to zero, are refused.
    """
    if count < 1:
        raise InputError("At least one style image is needed.")
    if not weights:
        return tuple(1.0 / count for _ in range(count))
    values = [check_number(f"style weight {i + 1}", w, 0.0, 1e6) for i, w in enumerate(weights)]
    if len(values) > count and any(values[count:]):
        raise InputError(
            f"{len(values)} style weights were given for {count} style image(s): "
            "add the missing style or set its weight to 0."
        )
    values = (values + [0.0] * count)[:count] if len(values) < count else values[:count]
    total = sum(values)
    if total <= 0:
        raise InputError("The style weights add up to 0: give at least one style a weight above 0.")
    return tuple(v / total for v in values)


@dataclass(frozen=True)
class Settings:
    """Shared behaviour: validation bounds and a plain-dict form for metadata."""

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-friendly values (stored in result PNGs)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class ClassicSettings(Settings):
    """Parameters of an optimisation-based (Gatys) transfer."""

    iterations: int = 200
    content_weight: float = 20.0
    style_weight: float = 1.0
    tv_weight: float = 300.0
    learning_rate: float = 0.02
    size: int = 512
    style_scale: float = 1.0
    init: str = "content"
    preserve_colors: bool = False
    seed: int = 0
    preview_every: int = 10
    style_weights: tuple[float, ...] = field(default=())
    multires: bool = True

    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {
        "iterations": (1, 10_000),
        "content_weight": (0.0, 1e9),
        "style_weight": (0.0, 1e9),
        "tv_weight": (0.0, 1e9),
        "learning_rate": (1e-6, 1.0),
        "size": (16, 4096),
        "style_scale": (0.1, 4.0),
        "seed": (0, 2**31 - 1),
        "preview_every": (1, 10_000),
    }

    def validated(self, style_count: int) -> ClassicSettings:
        """A copy with every number checked and the style weights normalised."""
        checked: dict[str, Any] = {}
        for name, (low, high) in self.LIMITS.items():
            value = getattr(self, name)
            check = check_int if isinstance(low, int) and isinstance(high, int) else check_number
            checked[name] = check(name.replace("_", " "), value, low, high)
        if not isinstance(self.init, str) or not self.init:
            raise InputError(f"init must be one of {', '.join(INIT_CHOICES)} or an image path.")
        checked["style_weights"] = normalise_style_weights(self.style_weights, style_count)
        return ClassicSettings(
            **{**asdict(self), **checked, "preserve_colors": bool(self.preserve_colors)}
        )


@dataclass(frozen=True)
class FastSettings(Settings):
    """Parameters of a one-pass (Magenta) transfer."""

    size: int = 1024
    strength: float = 1.0
    working_size: int | None = None
    """Longest side the network runs at; None: the output size, up to a cap."""
    preserve_colors: bool = False
    style_weights: tuple[float, ...] = field(default=())

    def validated(self, style_count: int) -> FastSettings:
        """A copy with every number checked and the style weights normalised."""
        working = self.working_size
        if working is not None:
            working = check_int("working size", working, 16, 4096)
        return FastSettings(
            size=check_int("size", self.size, 16, 4096),
            strength=check_number("strength", self.strength, 0.0, 1.0),
            working_size=working,
            preserve_colors=bool(self.preserve_colors),
            style_weights=normalise_style_weights(self.style_weights, style_count),
        )
