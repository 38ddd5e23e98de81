"""Each parameter is declared once: the CLI, the app, the API and validation agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import gradio as gr
import pytest

from nst import config
from nst.cli import main
from nst.cli.transfer import build_parser
from nst.errors import InputError
from nst.host import HostCaps
from nst.parameters import Parameter
from nst.settings import ClassicSettings, FastSettings
from tests.conftest import REPO
from webui.api import endpoints
from webui.controls import control
from webui.layout import build_demo

MODES = {"classic": ClassicSettings, "fast": FastSettings}
EVERY = [(mode, p) for mode, settings in MODES.items() for p in settings.parameters()]
IDS = [f"{mode}-{p.name}" for mode, p in EVERY]
CAPS = HostCaps(classic={"size": 256, "iterations": 40}, gpu=False)


def cli_values(*extra: str) -> dict[str, object]:
    args = build_parser().parse_args(["photo.jpg", "--style", "a.jpg", "-o", "o.png", *extra])
    return vars(args)


@pytest.mark.parametrize(("mode", "declared"), EVERY, ids=IDS)
def test_the_cli_default_is_the_declared_default(mode: str, declared: Parameter) -> None:
    values = cli_values(*(["--fast"] if mode == "fast" else []))
    other = [p for m, p in EVERY if m != mode and p.name == declared.name]
    if other and other[0].default != declared.default:
        assert declared.name not in values  # the mode's own default applies
    else:
        assert values[declared.name] == declared.default
    assert MODES[mode]().values()[declared.name] == declared.default


def option_help(flag: str) -> str:
    """The help block of one option in ``--help``, on one line."""
    text = build_parser().format_help()
    found = re.search(rf"^  {re.escape(flag)}\b.*?(?=^  -|^\n|\Z)", text, re.MULTILINE | re.DOTALL)
    assert found, flag
    return " ".join(found.group(0).split())


@pytest.mark.parametrize(("mode", "declared"), EVERY, ids=IDS)
def test_the_cli_help_states_bounds_and_default(mode: str, declared: Parameter) -> None:
    entry = option_help(declared.flag)
    assert declared.help.rstrip(".") in entry
    if declared.low is not None:
        low, high = declared.bounds()
        if declared.kind is int:
            assert f"{int(low)} to {int(high)}" in entry
        else:
            assert f"{low:g} to {high:g}" in entry
    assert re.search(r"\(default: [^)]+\)", entry)
    assert str(declared.default) in entry


def test_every_cli_option_with_a_default_shows_it() -> None:
    for flag in re.findall(r"^  (--[a-z-]+)", build_parser().format_help(), re.MULTILINE):
        if flag not in ("--help", "--style", "--output"):
            assert "(default:" in option_help(flag), flag


@pytest.mark.parametrize(("mode", "declared"), EVERY, ids=IDS)
def test_the_app_control_follows_the_declaration_and_the_caps(
    mode: str, declared: Parameter
) -> None:
    with gr.Blocks():
        cap = CAPS.of(mode).get(declared.name)
        component = control(declared, cap)
    assert component.label == declared.label
    assert component.info == declared.help
    if declared.kind is bool:
        assert isinstance(component, gr.Checkbox) and component.value is declared.default
    elif declared.kind is str:
        assert isinstance(component, gr.Dropdown)
        assert [value for value, _ in component.choices] == list(declared.choices)
        assert component.value == declared.default
    else:
        low, high = declared.bounds(cap)
        assert (component.minimum, component.maximum) == (low, high)
        assert component.value == min(declared.default, high)
        assert isinstance(component, gr.Number if declared.typed else gr.Slider)


def test_the_page_has_one_control_per_parameter_in_api_order() -> None:
    demo = build_demo()
    endpoints = {fn.api_name: fn for fn in demo.fns.values() if fn.api_name in MODES}
    for mode, settings in MODES.items():
        inputs = endpoints[mode].inputs  # the images, every parameter, then the mask
        assert len(inputs) == 3 + len(settings.parameters()) + 1
        for component, declared in zip(inputs[3:-1], settings.parameters(), strict=True):
            assert component.label == declared.label


def test_the_api_signature_follows_the_declarations() -> None:
    classic, fast, *_ = endpoints(CAPS)
    for handler, settings in ((classic, ClassicSettings), (fast, FastSettings)):
        signature = handler.__signature__
        names = [name for name in signature.parameters if name not in ("request", "progress")]
        declared_names = [p.name for p in settings.parameters()]
        assert names == ["content", "style_1", "style_2", *declared_names, "mask"]
        for declared in settings.parameters():
            assert signature.parameters[declared.name].default == declared.default
            assert declared.help in handler.__doc__


@pytest.mark.parametrize(("mode", "declared"), EVERY, ids=IDS)
def test_one_check_with_the_same_words_everywhere(
    mode: str, declared: Parameter, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = MODES[mode]
    wrong = "many" if declared.kind is not str else ""
    with pytest.raises(InputError, match=declared.words):
        settings(**{declared.name: wrong})
    if declared.high is None:
        return
    over = declared.high * 2
    with pytest.raises(InputError, match=f"{declared.words} must be between") as error:
        settings(**{declared.name: over})
    with pytest.raises(InputError, match="must be between"):
        settings.from_values({declared.name: declared.high}, {declared.name: declared.low})
    mode_flag = ["--fast"] if mode == "fast" else []
    argv = ["photo.jpg", "--style", "a.jpg", "-o", "out.png", *mode_flag, declared.flag, str(over)]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"error: {error.value}"


def test_settings_are_converted_and_frozen() -> None:
    settings = ClassicSettings(size=300.0, multires=0)
    assert settings.size == 300 and isinstance(settings.size, int)
    assert settings.multires is False
    with pytest.raises(AttributeError):
        settings.size = 10  # type: ignore[misc]
    with pytest.raises(InputError, match="Unknown setting"):
        ClassicSettings.from_values({"colour_boost": 3})


def test_style_mix_becomes_a_share_per_style() -> None:
    assert ClassicSettings(style_mix=0.7).style_shares(1) == (1.0,)
    assert ClassicSettings(style_mix=0.7).style_shares(2) == pytest.approx((0.7, 0.3))
    with pytest.raises(InputError, match="one or two"):
        FastSettings().style_shares(3)


# -- environment variables --------------------------------------------------------------


def test_the_readme_documents_every_variable_and_nothing_else() -> None:
    readme = (REPO / "README.md").read_text()
    rows = set(re.findall(r"^\| `?([A-Z_]+)`?[ |,]", readme, re.MULTILINE))
    rows |= set(re.findall(r"^\| `[A-Z_]+`, `([A-Z_]+)`", readme, re.MULTILINE))
    declared = {v.name for v in config.VARIABLES}
    assert declared <= rows, f"not in the README's tables: {sorted(declared - rows)}"
    documented = {name for name in rows if name.startswith(("NST_", "GRADIO_", "KERAS", "TFHUB"))}
    assert documented <= declared, f"documented but not declared: {documented - declared}"


def test_code_reads_variables_only_through_their_declarations() -> None:
    sources = [REPO / "app.py", *Path(REPO / "nst").rglob("*.py")]
    declared = {v.name for v in config.VARIABLES}
    for path in sources:
        text = path.read_text()
        used = set(re.findall(r"[\"'](NST_[A-Z_]+|GRADIO_[A-Z_]+)[\"']", text))
        if path.name != "config.py":
            assert not used, f"{path.name} names {used} directly; use nst.config"
        else:
            assert used <= declared
        assert "os.environ.get(" not in text or path.name == "config.py", path


def test_a_malformed_number_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NST_MAX_PIXELS", "lots")
    assert config.MAX_PIXELS.integer() == 40_000_000
    monkeypatch.setenv("NST_MAX_PIXELS", " 1000 ")
    assert config.MAX_PIXELS.integer() == 1000
