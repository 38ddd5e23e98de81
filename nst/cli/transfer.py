"""``python -m nst CONTENT --style A.jpg [--style B.jpg] -o OUT.png``: one transfer.

Every option after the inputs is generated from the parameter declarations in
:mod:`nst.settings`, so the CLI, the app and the Python API agree on names,
defaults and bounds. Bad input ends with exit status 2 and one line saying
what is wrong.
"""

from __future__ import annotations

import argparse
import signal
import sys
import textwrap
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from nst import config
from nst.errors import InputError, NSTError
from nst.events import Failed, Stopped
from nst.modes import MODES
from nst.parameters import Parameter, Settings
from nst.quiet import import_tensorflow

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults after each option's help; the epilog's table kept as written."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see --help)\n")


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The transfer command's parser: the inputs, then every declared parameter.

    ``prog`` defaults to the name it was called by: ``dual-nst`` or ``python -m nst``.
    """
    prog = prog or ("dual-nst" if Path(sys.argv[0]).name == "dual-nst" else "python -m nst")
    parser = _Parser(
        prog=prog,
        description="Neural style transfer with one or two styles at once. "
        f"Also: '{prog} download [--check]' fetches or lists the models.",
        epilog=_environment_help(),
        formatter_class=_Formatter,
    )
    parser.add_argument("content", help="the photo to stylise")
    parser.add_argument(
        "--style",
        action="append",
        required=True,
        default=argparse.SUPPRESS,
        help="a style image (give it once or twice)",
    )
    parser.add_argument(
        "-o", "--output", required=True, default=argparse.SUPPRESS, help="the PNG to write"
    )
    parser.add_argument(
        "--mask",
        help="with two styles, where each goes: an image of any size, white for style 1, "
        "black for style 2, grey a mix (or red and blue strokes, as the app's painter saves)",
    )
    parser.add_argument("--fast", action="store_true", help="one-pass fast mode (Magenta model)")
    parser.add_argument(
        "--fast-model",
        default=argparse.SUPPRESS,
        help=f"fast mode's model: lite, hub, or a folder (default: ${config.FAST_MODEL.name})",
    )
    shared = parser.add_argument_group("both modes")
    groups = {mode: parser.add_argument_group(f"{mode} mode") for mode in MODES}
    for declared in _declarations().values():
        _add_option(shared if len(declared) > 1 else groups[next(iter(declared))], declared)
    return parser


def _declarations() -> dict[str, dict[str, Parameter]]:
    """Each parameter name, with its declaration in every mode that has it."""
    found: dict[str, dict[str, Parameter]] = {}
    for mode in MODES.values():
        for declared in mode.settings.parameters():
            found.setdefault(declared.name, {})[mode.name] = declared
    return found


def _add_option(group: argparse._ArgumentGroup, declared: dict[str, Parameter]) -> None:
    """One option; where the modes' defaults differ, the default is each mode's own."""
    first = next(iter(declared.values()))
    defaults = {mode: p.default for mode, p in declared.items()}
    same_default = len(set(defaults.values())) == 1
    default = first.default if same_default else None
    help_text = first.help.rstrip(".")
    if first.low is not None and first.high is not None:
        help_text += f"; {_number(first.low, first.kind)} to {_number(first.high, first.kind)}"
    if first.choices:
        more = ", or an image path" if first.open_choices else ""
        help_text += f"; one of {', '.join(first.choices)}{more}"
    if not same_default:
        help_text += " (default: " + ", ".join(f"{m} {d}" for m, d in defaults.items()) + ")"
        default = argparse.SUPPRESS
    options: dict[str, Any] = {"dest": first.name, "default": default, "help": help_text}
    if first.kind is bool:
        group.add_argument(first.flag, action=argparse.BooleanOptionalAction, **options)
        return
    choices = first.choices if first.choices and not first.open_choices else None
    metavar = first.name.upper() if not choices else None
    group.add_argument(first.flag, type=first.kind, choices=choices, metavar=metavar, **options)


def _number(value: float, kind: type) -> str:
    return str(int(value)) if kind is int else f"{value:g}"


def _meaning(variable: config.Variable) -> str:
    meaning = variable.meaning.replace("`", "")
    if variable.default and "default" not in meaning:
        meaning += f" (default: {variable.default})"
    return meaning


def _environment_help() -> str:
    rows = (
        textwrap.fill(
            f"{v.name:24} {_meaning(v)}",
            width=100,
            initial_indent="  ",
            subsequent_indent=" " * 27,
        )
        for v in config.VARIABLES
    )
    return "environment variables:\n" + "\n".join(rows)


def _settings(args: argparse.Namespace, mode: str) -> Settings:
    """The chosen mode's settings from the options given (an InputError if one is bad)."""
    settings = MODES[mode].settings
    values = {p.name: getattr(args, p.name) for p in settings.parameters() if hasattr(args, p.name)}
    return settings(**values)


def _job(args: argparse.Namespace, mode: str, settings: Settings) -> Any:
    """The job the arguments ask for; fast mode takes ``--fast-model`` when given."""
    from nst.jobs import make_request
    from nst.modes import make_job

    request = make_request(mode, args.content, args.style, settings, args.mask)
    if mode == "fast" and hasattr(args, "fast_model"):
        from nst.fast.transfer import FastJob

        return FastJob(request, args.fast_model)
    return make_job(request)


def _final_event(job: Any) -> Any:
    """Run the job through the process's line, printing its progress; its final event.

    Ctrl+C stops the job at its next step, and the last image is still saved.
    """
    from nst.events import FINAL, Progress, Queued
    from nst.scheduler import LINE

    cancel = threading.Event()
    previous_handler = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        for event in LINE.submit(job, cancel):
            if isinstance(event, FINAL):
                return event
            if isinstance(event, Queued):
                print(f"waiting for the device: {event.position} job(s) ahead", flush=True)
            else:
                print(event.summary() if isinstance(event, Progress) else event.words(), flush=True)
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    raise NSTError("The job ended without a result.")


def run_transfer(argv: Sequence[str]) -> int:
    """Run one transfer from command-line arguments; returns the exit status."""
    args = build_parser().parse_args(argv)
    output = Path(args.output)
    if output.suffix.lower() != ".png":
        print(f"error: the output must be a .png file, not {output.name}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not output.parent.is_dir():
        print(f"error: the folder {output.parent} does not exist", file=sys.stderr)
        return EXIT_BAD_INPUT
    mode = "fast" if args.fast else "classic"
    try:
        settings = _settings(args, mode)
        import_tensorflow()  # now that the arguments are good, and quietly
        final = _final_event(_job(args, mode, settings))
    except NSTError as error:
        final = Failed(str(error), error)
    return _finish(final, output)


def _finish(final: Any, output: Path) -> int:
    """Save what the job made, say so, and the exit status: 0 done, 130 stopped, 2 or 1 failed."""
    if isinstance(final, Failed):
        print(f"error: {final.message}", file=sys.stderr)
        return EXIT_BAD_INPUT if isinstance(final.error, InputError) else EXIT_FAILED
    if final.last is not None:
        print(final.last.summary(), flush=True)
    if final.result is None:
        print("error: stopped before the first step: nothing to save.", file=sys.stderr)
        return EXIT_INTERRUPTED
    if isinstance(final, Stopped):
        print("stopped: saving the last image", file=sys.stderr)
    final.result.save(output)
    height, width = final.result.image.shape[:2]
    print(f"saved {output} ({width}×{height})")
    return EXIT_INTERRUPTED if isinstance(final, Stopped) else 0
