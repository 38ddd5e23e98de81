"""``python -m nst worker --queue redis://HOST:PORT/DB [--device GPU:1]``: run queued jobs.

One worker runs one job at a time on one device, with its models loaded once
for its whole life; start one per device. The device is chosen before
TensorFlow starts, by which GPUs the process may see (``CUDA_VISIBLE_DEVICES``,
which works as well when set by hand).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from nst import config

EXIT_BAD_INPUT = 2
_GPU = re.compile(r"GPU:(\d+)", re.IGNORECASE)


def visible_devices(device: str) -> str:
    """``CUDA_VISIBLE_DEVICES`` for ``device``: ``GPU:N`` shows GPU N alone, ``CPU`` none.

    Raises ValueError for anything else.
    """
    if device.upper() == "CPU":
        return "-1"
    match = _GPU.fullmatch(device.strip())
    if match is None:
        raise ValueError(f"--device must be CPU or GPU:N (such as GPU:1), not {device!r}")
    return match.group(1)


def build_parser() -> argparse.ArgumentParser:
    """The worker command's options: the queue, the device, burst mode."""
    parser = argparse.ArgumentParser(
        prog="dual-nst worker",
        description="Run transfers from the shared job queue, one at a time, until stopped.",
    )
    parser.add_argument(
        "--queue",
        default=config.QUEUE_URL.text() or None,
        help=f"the queue's Redis URL, redis://[user:password@]host:port/db "
        f"(default: ${config.QUEUE_URL.name})",
    )
    parser.add_argument(
        "--device",
        help="CPU, or GPU:N to run on GPU N alone (default: what TensorFlow picks; "
        "CUDA_VISIBLE_DEVICES is honoured)",
    )
    parser.add_argument(
        "--burst", action="store_true", help="stop once the queue is empty (for batch runs)"
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """Serve the queue; returns the exit status once stopped."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.queue:
        parser.print_usage(sys.stderr)
        print(f"error: give --queue or set {config.QUEUE_URL.name}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.device:
        try:
            os.environ["CUDA_VISIBLE_DEVICES"] = visible_devices(args.device)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
    from nst.queue.worker import serve

    serve(args.queue, burst=args.burst)
    return 0
