"""``python -m nst CONTENT --style A.jpg [--style B.jpg] -o OUT.png``: one transfer.

A clip as CONTENT (found by reading it, whatever its name) with ``--fast``
is painted frame by frame into ``-o OUT.mp4``. Every option after the inputs
is generated from the parameter declarations in :mod:`nst.settings`, so the
CLI, the app and the Python API agree on names, defaults and bounds. The job
goes through the process's line (:mod:`nst.scheduler`) like the app's; Ctrl+C
stops it and keeps what it has (the last image, or the frames painted so far).
Bad input ends with exit status 2 and one line saying what is wrong.
"""

from __future__ import annotations

import argparse
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from nst import config
from nst.errors import ImageError, InputError, NSTError
from nst.events import Done, Failed, FrameProgress, Notice, Progress, Queued, Stopped
from nst.images import check_image
from nst.modes import MODES as JOB_MODES
from nst.parameters import Parameter, Settings
from nst.quiet import import_tensorflow

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
MODES: dict[str, type[Settings]] = {name: mode.settings for name, mode in JOB_MODES.items()}
CLIP_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi"})
FRAME_LINES_EVERY = 1.0
"""Seconds between two progress lines of a clip."""


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
    parser.add_argument("content", help="the photo to stylise, or a clip (with --fast)")
    parser.add_argument(
        "--style",
        action="append",
        required=True,
        default=argparse.SUPPRESS,
        help="a style image (give it once or twice)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        default=argparse.SUPPRESS,
        help="the PNG to write (an MP4 for a clip)",
    )
    parser.add_argument(
        "--mask",
        help="with two styles, where each goes: an image of any size, white for style 1, "
        "black for style 2, grey a mix (or red and blue strokes, as the app's painter saves)",
    )
    parser.add_argument(
        "--fast", action="store_true", help="one-pass fast mode (Magenta model); clips need it"
    )
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
    groups: dict[tuple[str, ...], argparse._ArgumentGroup] = {}
    for declared in _declarations().values():
        modes = tuple(declared)
        if modes not in groups:
            groups[modes] = parser.add_argument_group(_group_title(modes))
        _add_option(groups[modes], declared)
    return parser


def _group_title(modes: tuple[str, ...]) -> str:
    """``video mode``, ``fast and video modes``, ``every mode``."""
    if len(modes) == len(MODES):
        return "every mode"
    if len(modes) == 1:
        return f"{modes[0]} mode"
    return f"{', '.join(modes[:-1])} and {modes[-1]} modes"


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


def _mode(args: argparse.Namespace) -> str:
    """``video`` for a clip (read, not guessed from its name), else ``fast`` or ``classic``."""
    if not _is_clip(args.content):
        return "fast" if args.fast else "classic"
    if not args.fast:
        raise InputError("A clip is painted in fast mode: add --fast.")
    return "video"


def _is_clip(path: str) -> bool:
    """A file that is no image Pillow reads, but holds a video stream (or is named like a
    clip, so that a damaged one is told what is wrong with it as a clip)."""
    try:
        check_image(path)
        return False
    except ImageError:
        from nst.video import is_clip

        return is_clip(path) or Path(path).suffix.lower() in CLIP_SUFFIXES


def _job(args: argparse.Namespace, mode: str, settings: Settings) -> Any:
    """The job to run here (fast modes on ``--fast-model`` when given), or for a shared
    queue the request alone: its worker makes the job, on its own models."""
    from nst.jobs import make_request

    request = make_request(mode, args.content, args.style, settings, args.mask)
    if args.queue:
        return request
    model = {"model": args.fast_model} if mode != "classic" and "fast_model" in args else {}
    return JOB_MODES[mode].make(request, **model)


def _follow(events: Iterator[Any], output: Path) -> int:
    """Print the job's progress, save its result; the exit status."""
    said = 0.0
    for event in events:
        if isinstance(event, Queued):
            print(f"waiting for the device: {event.position} job(s) ahead", flush=True)
        elif isinstance(event, Progress):
            print(event.summary(), flush=True)
        elif isinstance(event, FrameProgress):
            if time.monotonic() - said >= FRAME_LINES_EVERY or event.frame == event.frames:
                said = time.monotonic()
                print(event.words(), flush=True)
        elif isinstance(event, Notice):
            print(f"note: {event.words()}", file=sys.stderr, flush=True)
        elif isinstance(event, Done | Stopped):
            if isinstance(event.last, Progress):
                print(event.last.summary(), flush=True)
            if isinstance(event, Stopped):
                print(f"stopped: {event.words()}", file=sys.stderr)
                if event.result is None:
                    return EXIT_INTERRUPTED
            event.result.save(output)
            print(f"saved {output} ({_described(event.result)})")
            return EXIT_INTERRUPTED if isinstance(event, Stopped) else 0
        elif isinstance(event, Failed):
            raise event.error or NSTError(event.message)
    raise NSTError("The job ended without a result.")


def _described(result: Any) -> str:
    """``640×480``, and for a clip its frames and length."""
    height, width = result.image.shape[:2]
    facts = result.metadata
    if "frames" in facts:
        return f"{width}×{height}, {facts['frames']} frames, {facts['seconds']:g} s"
    return f"{width}×{height}"


def run_transfer(argv: Sequence[str]) -> int:
    """Run one transfer from command-line arguments; returns the exit status."""
    args = build_parser().parse_args(argv)
    output = Path(args.output)
    try:
        mode = _mode(args)
        suffix = ".mp4" if mode == "video" else ".png"
        if output.suffix.lower() != suffix:
            raise InputError(f"the output must be a {suffix} file, not {output.name}")
        if not output.parent.is_dir():
            raise InputError(f"the folder {output.parent} does not exist")
        settings = _settings(args, mode)
        import_tensorflow()  # now that the arguments are good, and quietly
        from nst.queue import open_line

        cancel = threading.Event()
        previous_handler = signal.signal(signal.SIGINT, lambda *_: cancel.set())
        try:
            line = open_line(args.queue)  # this process's, unless a shared queue is named
            return _follow(line.submit(_job(args, mode, settings), cancel), output)
        finally:
            signal.signal(signal.SIGINT, previous_handler)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NSTError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
