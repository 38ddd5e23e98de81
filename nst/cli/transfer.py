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
from nst.events import Done, Failed, Notice, Progress, Queued, Stopped
from nst.jobs import Job, JobRequest, Result, make_request
from nst.parameters import Parameter, Settings
from nst.quiet import import_tensorflow
from nst.settings import ClassicSettings, FastSettings

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
MODES: dict[str, type[Settings]] = {"classic": ClassicSettings, "fast": FastSettings}


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
        f"Also: '{prog} download [--check]' fetches or lists the models; "
        f"'{prog} worker --queue URL' runs jobs from a shared queue.",
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
        "--queue",
        default=config.QUEUE_URL.text() or None,
        help="a shared job queue's Redis URL: its workers run the job "
        f"(default: ${config.QUEUE_URL.name}; unset, the job runs here)",
    )
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
    for mode, settings in MODES.items():
        for declared in settings.parameters():
            found.setdefault(declared.name, {})[mode] = declared
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
    settings = MODES[mode]
    values = {p.name: getattr(args, p.name) for p in settings.parameters() if hasattr(args, p.name)}
    return settings(**values)


def _job(args: argparse.Namespace, request: JobRequest) -> Job | JobRequest:
    """The request, or a fast job on the model ``--fast-model`` names (a local run's choice)."""
    model = getattr(args, "fast_model", None)
    if request.mode != "fast" or model is None or args.queue:
        return request
    from nst.fast import load_fast_model
    from nst.fast.transfer import FastJob

    return FastJob(request, load_fast_model(model))


def _run(args: argparse.Namespace, request: JobRequest) -> Result:
    """Run the job through the line (here, or the shared queue), printing its progress.

    Ctrl-C stops a classic job between steps; the last image is still the result.
    """
    from nst.queue import open_line

    cancel = threading.Event()
    previous_handler = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        for event in open_line(args.queue).submit(_job(args, request), cancel):
            if isinstance(event, Queued):
                print(f"waiting for the device: {event.position} job(s) ahead", flush=True)
            elif isinstance(event, Notice):
                print(event.words(), flush=True)
            elif isinstance(event, Progress):
                print(event.summary(), flush=True)
            elif isinstance(event, Failed):
                raise event.error or NSTError(event.message)
            elif isinstance(event, Done | Stopped):
                if isinstance(event.last, Progress):
                    print(event.last.summary(), flush=True)
                if event.result is None:
                    raise InputError("Stopped before the first step: nothing to save.")
                if isinstance(event, Stopped):
                    print("stopped: saving the last image", file=sys.stderr)
                    args.interrupted = True
                return event.result
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    raise NSTError("The job ended without a result.")


def run_transfer(argv: Sequence[str]) -> int:
    """Run one transfer from command-line arguments; returns the exit status."""
    args = build_parser().parse_args(argv)
    args.interrupted = False
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
        request = make_request(mode, args.content, args.style, settings, args.mask)
        result = _run(args, request)
        result.save(output)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NSTError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    height, width = result.image.shape[:2]
    print(f"saved {output} ({width}×{height})")
    return EXIT_INTERRUPTED if args.interrupted else 0
