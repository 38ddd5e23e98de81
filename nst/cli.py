"""Command line: ``python -m nst CONTENT --style A.jpg [--style B.jpg] -o OUT.png``.

Defaults come from :mod:`nst.settings`, so the CLI, the app and the Python API
agree. Bad input ends with exit status 2 and one line saying what is wrong.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np

from nst.errors import InputError, NSTError
from nst.settings import ClassicSettings, FastSettings

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    classic, fast = ClassicSettings(), FastSettings()
    parser = _Parser(
        prog="python -m nst",
        description="Neural style transfer with one or two styles at once. "
        "Also: 'python -m nst download [--check]' fetches or lists the models.",
    )
    parser.add_argument("content", help="the photo to stylise")
    parser.add_argument(
        "--style", action="append", required=True, help="a style image (give it once or twice)"
    )
    parser.add_argument(
        "--style-weights",
        nargs="+",
        type=float,
        default=(),
        metavar="W",
        help="share of each style, e.g. 0.7 0.3 (default: equal)",
    )
    parser.add_argument("-o", "--output", required=True, help="where to save the PNG result")
    parser.add_argument("--fast", action="store_true", help="one-pass fast mode (Magenta model)")
    parser.add_argument(
        "--size",
        type=int,
        help=f"longest side in pixels (default {classic.size}; fast mode {fast.size})",
    )
    parser.add_argument("--preserve-colors", action="store_true", help="keep the photo's colours")

    group = parser.add_argument_group("classic mode")
    group.add_argument("--iterations", type=int, default=classic.iterations)
    group.add_argument("--content-weight", type=float, default=classic.content_weight)
    group.add_argument("--style-weight", type=float, default=classic.style_weight)
    group.add_argument("--tv-weight", type=float, default=classic.tv_weight)
    group.add_argument("--learning-rate", type=float, default=classic.learning_rate)
    group.add_argument(
        "--style-scale",
        type=float,
        default=classic.style_scale,
        help="style image size relative to the output",
    )
    group.add_argument(
        "--init", default=classic.init, help="start from: content, noise, fast, or an image path"
    )
    group.add_argument("--seed", type=int, default=classic.seed)
    group.add_argument("--preview-every", type=int, default=classic.preview_every)
    group.add_argument(
        "--no-multires",
        dest="multires",
        action="store_false",
        help="optimise at the final size only (slower)",
    )

    group = parser.add_argument_group("fast mode")
    group.add_argument("--strength", type=float, default=fast.strength, help="0: photo, 1: style")
    group.add_argument(
        "--working-size",
        type=int,
        default=fast.working_size,
        help="longest side the network runs at (default: the output size, capped)",
    )
    group.add_argument("--fast-model", help="lite, hub, or a folder (default: NST_FAST_MODEL)")
    return parser


def _classic(args: argparse.Namespace) -> np.ndarray:
    from nst.classic import stylize
    from nst.events import Queued

    settings = ClassicSettings(
        iterations=args.iterations,
        content_weight=args.content_weight,
        style_weight=args.style_weight,
        tv_weight=args.tv_weight,
        learning_rate=args.learning_rate,
        size=args.size or ClassicSettings.size,
        style_scale=args.style_scale,
        init=args.init,
        preserve_colors=args.preserve_colors,
        seed=args.seed,
        preview_every=args.preview_every,
        style_weights=tuple(args.style_weights),
        multires=args.multires,
    )
    args.settings = settings.validated(len(args.style))
    cancel = threading.Event()
    last = None
    previous_handler = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        for event in stylize(args.content, args.style, settings, cancel=cancel):
            if isinstance(event, Queued):
                print(f"waiting for the device: {event.position} job(s) ahead", flush=True)
                continue
            last = event
            print(event.summary(), flush=True)
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    if last is None:
        raise InputError("Stopped before the first step: nothing to save.")
    if last.state == "stopped":
        print("stopped: saving the last image", file=sys.stderr)
        args.interrupted = True
    return last.image


def _fast(args: argparse.Namespace) -> np.ndarray:
    from nst.fast import stylize_fast

    settings = FastSettings(
        size=args.size or FastSettings.size,
        strength=args.strength,
        working_size=args.working_size,
        preserve_colors=args.preserve_colors,
        style_weights=tuple(args.style_weights),
    )
    args.settings = settings.validated(len(args.style))
    return stylize_fast(args.content, args.style, settings, model=args.fast_model)


def run_transfer(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    args.interrupted = False
    output = Path(args.output)
    if output.suffix.lower() != ".png":
        print(f"error: the output must be a .png file, not {output.name}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not output.parent.is_dir():
        print(f"error: the folder {output.parent} does not exist", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        image = _fast(args) if args.fast else _classic(args)
        from nst.images import save_png

        params = {
            "mode": "fast" if args.fast else "classic",
            "content": Path(args.content).name,
            "styles": [Path(s).name for s in args.style],
            **args.settings.as_dict(),
        }
        save_png(image, output, params)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NSTError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"saved {output} ({image.shape[1]}×{image.shape[0]})")
    return EXIT_INTERRUPTED if args.interrupted else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m nst``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["download"]:
        from nst.download import main as download_main

        return download_main(argv[1:])
    return run_transfer(argv)
