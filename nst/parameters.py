"""How a user-facing parameter is declared, checked and described.

A parameter is declared once, as a field of a settings dataclass
(:mod:`nst.settings`) made with :func:`parameter`. Everything else is derived
from that declaration: validation (here), the command-line options
(:mod:`nst.cli`), the app's controls and its API's named parameters
(``app.py``), and the metadata stored in result PNGs.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nst.errors import InputError


@dataclass(frozen=True)
class Parameter:
    """One setting as every front end shows it."""

    name: str
    kind: type
    """``int``, ``float``, ``bool`` or ``str``."""
    default: Any
    label: str
    help: str
    """One line for a tooltip, ``--help`` and the API's docs."""
    low: float | None = None
    high: float | None = None
    step: float | None = None
    """Granularity of a slider."""
    choices: tuple[str, ...] = ()
    """For ``str``: the values offered."""
    open_choices: bool = False
    """``str`` values other than ``choices`` are accepted too (an image path)."""
    group: str = "main"
    """Where the app shows it: ``main``, ``advanced`` (under "Advanced") or ``regions``
    (beside the painter that says where each style goes)."""
    typed: bool = False
    """Entered as a number rather than slid: the range is too wide for a slider."""

    @property
    def flag(self) -> str:
        """The command-line option: ``--content-weight`` for ``content_weight``."""
        return "--" + self.name.replace("_", "-")

    @property
    def words(self) -> str:
        """How messages name it: ``content weight``."""
        return self.name.replace("_", " ")

    def bounds(self, cap: float | None = None) -> tuple[float, float]:
        """``(low, high)``, with ``high`` lowered to ``cap`` (a host's limit) when given."""
        if self.low is None or self.high is None:
            raise TypeError(f"{self.name} has no bounds")
        high = self.high if cap is None else max(self.low, min(self.high, cap))
        return self.low, high

    def check(self, value: Any, cap: float | None = None) -> Any:
        """``value`` converted to the parameter's type, or an :class:`InputError` saying why."""
        if self.kind is bool:
            return _check_bool(self.words, value)
        if self.kind is str:
            return self._check_text(value)
        low, high = self.bounds(cap)
        number = _check_number(self.words, value, low, high)
        if self.kind is int:
            if number != int(number):
                raise InputError(f"{self.words} must be a whole number, not {value!r}.")
            return int(number)
        return number

    def _check_text(self, value: Any) -> str:
        if isinstance(value, str) and (value in self.choices or (self.open_choices and value)):
            return value
        other = " or an image path" if self.open_choices else ""
        raise InputError(f"{self.words} must be one of {', '.join(self.choices)}{other}.")


def parameter(
    default: Any,
    *,
    label: str,
    help: str,
    low: float | None = None,
    high: float | None = None,
    step: float | None = None,
    choices: tuple[str, ...] = (),
    open_choices: bool = False,
    group: str = "main",
    typed: bool = False,
) -> Any:
    """A settings field carrying its declaration (see :class:`Parameter`)."""
    details = {
        "label": label,
        "help": help,
        "low": low,
        "high": high,
        "step": step,
        "choices": choices,
        "open_choices": open_choices,
        "group": group,
        "typed": typed,
    }
    return dataclasses.field(default=default, metadata={"parameter": details})


class Settings:
    """Base of the settings dataclasses: checked when made, so a settings object is valid.

    Making one checks and converts every value (``size=300.0`` becomes 300), so
    a job is validated once, wherever it comes from, and the settings a job
    reports are the ones it ran with.
    """

    def __post_init__(self) -> None:
        for declared in self.parameters():
            object.__setattr__(self, declared.name, declared.check(getattr(self, declared.name)))

    @classmethod
    def parameters(cls) -> tuple[Parameter, ...]:
        """Every declared parameter, in declaration order (the API's order)."""
        return _declared(cls)

    @classmethod
    def parameter(cls, name: str) -> Parameter:
        """The declaration of one parameter, by name."""
        for declared in cls.parameters():
            if declared.name == name:
                return declared
        raise KeyError(name)

    @classmethod
    def from_values(cls, values: Mapping[str, Any], caps: Mapping[str, float] | None = None) -> Any:
        """Settings from raw values (defaults for the missing ones), within a host's ``caps``.

        ``caps`` lower the upper bound of some parameters (a shared host's
        limits); a value over a cap is refused with the capped range.
        """
        unknown = set(values) - {p.name for p in cls.parameters()}
        if unknown:
            raise InputError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        for name, cap in (caps or {}).items():
            if name in values:
                cls.parameter(name).check(values[name], cap)
        return cls(**values)

    def values(self) -> dict[str, Any]:
        """Each parameter's value, by name: JSON-friendly, as stored in a result's metadata."""
        return {p.name: getattr(self, p.name) for p in self.parameters()}

    @classmethod
    def signature(cls, leading: list[inspect.Parameter]) -> inspect.Signature:
        """A call signature: ``leading`` (the images), then every parameter with its default."""
        declared = [
            inspect.Parameter(
                p.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=p.default,
                annotation=p.kind,
            )
            for p in cls.parameters()
        ]
        return inspect.Signature([*leading, *declared])

    @classmethod
    def docs(cls) -> str:
        """One ``name: help`` line per parameter (for docstrings and tool schemas)."""
        return "\n".join(f"    {p.name}: {p.help}" for p in cls.parameters())


@functools.cache
def _declared(cls: type) -> tuple[Parameter, ...]:
    hints = typing.get_type_hints(cls)
    return tuple(
        Parameter(name=f.name, kind=hints[f.name], default=f.default, **f.metadata["parameter"])
        for f in dataclasses.fields(cls)
        if "parameter" in f.metadata
    )


def _check_number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool):
        raise InputError(f"{name} must be a number, not {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, not {value!r}.") from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number, not {value!r}.")
    if not low <= number <= high:
        raise InputError(f"{name} must be between {low:g} and {high:g}, not {number:g}.")
    return number


def _check_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool | int) and value in (0, 1):
        return bool(value)
    raise InputError(f"{name} must be true or false, not {value!r}.")
