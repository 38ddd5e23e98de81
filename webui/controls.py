"""A control for each declared parameter, placed where its declaration's group says.

Labels, help, defaults, bounds and steps all come from the declaration; a
host's cap lowers the top. A value over the bounds is refused in the
declaration's own words, naming the parameter, before Gradio's generic
range check would answer without a name.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from nst.errors import InputError
from nst.parameters import Parameter, Settings
from nst.settings import ClassicSettings, FastSettings


def control(declared: Parameter, cap: float | None = None) -> gr.components.Component:
    """The control for one parameter, its words from the declaration, its top lowered to ``cap``."""
    words = {"label": declared.label, "info": declared.help}
    if declared.kind is bool:
        return gr.Checkbox(declared.default, **words)
    if declared.kind is str:
        dropdown = gr.Dropdown(list(declared.choices), value=declared.default, **words)
        return _named_range_check(dropdown, declared, cap)
    low, high = declared.bounds(cap)
    value = min(declared.default, high)
    precision = 0 if declared.kind is int else None
    if declared.typed:
        component = gr.Number(value, minimum=low, maximum=high, precision=precision, **words)
    else:
        component = gr.Slider(
            low, high, value=value, step=declared.step, precision=precision, **words
        )
    return _named_range_check(component, declared, cap)


def _named_range_check(
    component: gr.components.Component, declared: Parameter, cap: float | None
) -> gr.components.Component:
    """Check a value against the declaration first, so a refusal names the parameter.

    The component's own ``preprocess`` is wrapped per instance (a subclass
    would make Gradio write a stub file next to this one).
    """
    gradio_preprocess = component.preprocess

    def preprocess(payload: Any) -> Any:
        if payload is not None:
            try:
                declared.check(payload, cap)
            except InputError as error:
                raise gr.Error(str(error), print_exception=False) from None
            if declared.open_choices and payload not in declared.choices:
                raise gr.Error(_no_paths(declared), print_exception=False)
        return gradio_preprocess(payload)

    component.preprocess = preprocess
    return component


def _no_paths(declared: Parameter) -> str:
    """Why the app takes a parameter's named choices alone: a path would name a file on the
    server, which no visitor may read."""
    return (
        f"{declared.words} must be one of {', '.join(declared.choices)} here; a start image "
        "from a file works on the command line and in Python."
    )


def shared_parameters() -> list[Parameter]:
    """Parameters both modes declare alike: one control serves both tabs."""
    fast = set(FastSettings.parameters())
    return [p for p in ClassicSettings.parameters() if p in fast]


def shared_controls(group: str) -> dict[str, gr.components.Component]:
    """Controls of the parameters both modes share, of one group, by name."""
    return {p.name: control(p) for p in shared_parameters() if p.group == group}


def mode_controls(
    settings: type[Settings], caps: dict[str, int], made: dict[str, gr.components.Component]
) -> list[gr.components.Component]:
    """Controls for one mode in declaration order; those in ``made`` are reused.

    The main group is laid out first, then the advanced one in an accordion.
    """
    controls = dict(made)
    fresh = [p for p in settings.parameters() if p.name not in made]
    with gr.Row():
        for declared in fresh:
            if declared.group == "main":
                controls[declared.name] = control(declared, caps.get(declared.name))
    advanced = [p for p in fresh if p.group == "advanced"]
    if advanced:
        with gr.Accordion("Advanced", open=False):
            for declared in advanced:
                controls[declared.name] = control(declared, caps.get(declared.name))
    return [controls[p.name] for p in settings.parameters()]
