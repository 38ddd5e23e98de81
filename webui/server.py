"""Serving the page: the launch flags, the web server's limits, the line's bound, launch.

The flags are read before anything heavy is imported, so ``python app.py
--help`` answers at once; TensorFlow and Gradio load only to serve.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nst import config
from webui import DESCRIPTION, TITLE

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger("dual-nst.app")

MAX_UPLOAD = "50mb"
HANDLER_MARGIN = 2
"""Transfer handlers Gradio may run beyond the jobs allowed to wait: the running
one, and one more to answer "busy" at once while the line is full."""
THREAD_MARGIN = 10
"""Worker threads beyond the transfer handlers, for uploads, Stop and the gallery."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The app's flags, each defaulting to its environment variable."""
    parser = argparse.ArgumentParser(
        description=f"Serve the {TITLE} web app. {DESCRIPTION.replace('**', '')}",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default=config.SERVER_NAME.text(),
        help=f"address to listen on; 0.0.0.0 for every interface (${config.SERVER_NAME.name})",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=config.SERVER_PORT.integer(),
        help=f"port to listen on (${config.SERVER_PORT.name})",
    )
    parser.add_argument(
        "--share", action="store_true", help="also serve on a temporary public gradio.live link"
    )
    parser.add_argument(
        "--preload", action="store_true", help="load the models at start, not at first use"
    )
    parser.add_argument(
        "--max-queue",
        type=int,
        default=config.MAX_QUEUE.integer(),
        help="jobs that may wait (0: none); more are told the app is busy "
        f"(${config.MAX_QUEUE.name})",
    )
    parser.add_argument(
        "--queue",
        default=config.QUEUE_URL.text() or None,
        help="a shared job queue's Redis URL (redis://HOST:PORT/DB): the app only takes jobs "
        "and shows their progress, and workers ('dual-nst worker') run them; unset, the app "
        f"runs them itself (${config.QUEUE_URL.name})",
    )
    parser.add_argument(
        "--mcp",
        action="store_true",
        default=config.MCP_SERVER.text().lower() == "true",
        help="also serve the transfers as MCP tools, at /gradio_api/mcp/ "
        f"(${config.MCP_SERVER.name})",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show TensorFlow's start-up log and the app's notes",
    )
    return parser.parse_args(argv)


def preload() -> None:
    """Load both modes' models now, so the first visitor does not wait for them."""
    from nst.classic.evaluator import get_evaluator
    from nst.errors import NSTError
    from nst.fast import load_fast_model

    for name, load in (("classic", get_evaluator), ("fast", load_fast_model)):
        try:
            load()
        except NSTError as error:
            log.warning("%s mode is unavailable until this is fixed: %s", name, error)


def request_limits() -> list[Any]:
    """The web server's checks in front of Gradio: bounds per request, arrival stamps for Stop."""
    from starlette.middleware import Middleware

    from webui.limits import MB, RequestLimits

    return [
        Middleware(
            RequestLimits,
            max_bytes=config.MAX_REQUEST_MB.integer() * MB,
            max_parts=config.MAX_FILES.integer(),
        )
    ]


def launch(demo: gr.Blocks, *, max_queue: int, **kwargs: Any) -> Any:
    """Queue and serve ``demo`` with the app's look; ``kwargs`` go to ``launch()``.

    The waiting line is the library's, bounded at ``max_queue`` jobs:
    Gradio's own ``max_size`` would refuse every event once full, Stop
    included. Transfer handlers start at once and wait in the line, which
    runs one at a time, shows each job its place and tells the rest the
    server is busy; Gradio gets threads enough for all of them. Every
    request passes :func:`request_limits` before Gradio sees it.
    """
    from webui.running import current_line
    from webui.theme import CSS, THEME
    from webui.wiring import TRANSFER

    current_line().max_waiting = max_queue
    for fn in demo.fns.values():
        if fn.concurrency_id == TRANSFER:
            fn.concurrency_limit = max_queue + HANDLER_MARGIN
    demo.queue(max_size=None)
    threads = max(kwargs.pop("max_threads", 40), max_queue + HANDLER_MARGIN + THREAD_MARGIN)
    return demo.launch(
        theme=THEME,
        css=CSS,
        max_file_size=MAX_UPLOAD,
        max_threads=threads,
        app_kwargs={"middleware": request_limits()},
        **kwargs,
    )


def served_at(demo: gr.Blocks) -> str:
    """The line that tells where the running app is."""
    line = f"{TITLE} is served at {demo.local_url}"
    if demo.share_url:
        line += f" and at {demo.share_url}"
    return line + " (Ctrl+C to stop)"


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the app until Ctrl+C; the terminal gets one line saying where."""
    args = parse_args(argv)
    from nst.quiet import configure_logging, import_tensorflow

    configure_logging(args.verbose)
    import_tensorflow(args.verbose)
    from nst.queue import open_line
    from webui.layout import build_demo
    from webui.running import use_line

    use_line(open_line(args.queue))
    if args.preload:
        preload()
    demo = build_demo()
    launch(
        demo,
        max_queue=args.max_queue,
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        mcp_server=args.mcp,
        quiet=True,
        prevent_thread_lock=True,
    )
    if args.mcp and demo.mcp_error:
        log.error("the MCP server did not start: %s", demo.mcp_error)
    print(served_at(demo), flush=True)
    demo.block_thread()
