"""What one HTTP request to the app may carry, checked before the web framework parses it.

Gradio bounds each uploaded file but not a request: one upload may carry
hundreds of files, and its parser writes every part to disk as it streams in,
keeping a partial file for good when a client gives up halfway. Images may
also come inline, as ``data:`` URLs inside a JSON call. This module knows
nothing of Gradio: :class:`RequestLimits` is plain ASGI middleware, and
:func:`inline_image` turns a ``data:`` URL into checked bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from nst.errors import ImageError
from nst.images import check_image

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

MB = 1 << 20
SPOOL_IN_MEMORY = MB
"""Bytes of a spooled upload kept in memory; the rest goes to an anonymous temporary file."""
REPLAY_CHUNK = 1 << 16


class RequestLimits:
    """ASGI middleware: stamps each request's arrival and bounds its body.

    Every HTTP request gets ``scope["state"]["arrived"]`` (``time.monotonic()``),
    which a handler reads as ``request.state.arrived``. A body declared over
    ``max_bytes`` is refused at once (413). A multipart body (an upload), or
    one of unknown length, is read to its end into a private spool, counting
    bytes and parts, and handed on only when complete and within ``max_bytes``
    and ``max_parts``: an upload that is refused or abandoned never reaches the
    parser that writes files, and the spool leaves nothing behind.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_parts: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_parts = max_parts

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["arrived"] = time.monotonic()
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await _refuse(send, 413, self._too_large())
            return
        content_type, options = parse_options_header(headers.get(b"content-type", b""))
        multipart = content_type == b"multipart/form-data"
        if multipart or b"transfer-encoding" in headers:
            boundary = options.get(b"boundary", b"") if multipart else None
            await self._spooled(scope, receive, send, boundary)
            return
        await self.app(scope, receive, send)

    def _too_large(self) -> str:
        return f"The request is larger than {self.max_bytes / MB:g} MB."

    async def _spooled(
        self, scope: MutableMapping[str, Any], receive: Receive, send: Send, boundary: bytes | None
    ) -> None:
        """Read the whole body within the bounds, then hand it on as if it came now.

        ``boundary`` is the multipart boundary, or None for another body.
        """
        if boundary == b"":
            await _refuse(send, 400, "A multipart request needs a boundary.")
            return
        parts = 0

        def count_part() -> None:
            nonlocal parts
            parts += 1

        parser = MultipartParser(boundary, {"on_part_begin": count_part}) if boundary else None
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client gave up: nothing was handed on, the spool goes
                chunk = message.get("body", b"")
                if spool.tell() + len(chunk) > self.max_bytes:
                    await _refuse(send, 413, self._too_large())
                    return
                if parser is not None:
                    try:
                        parser.write(chunk)
                    except FormParserError:
                        await _refuse(send, 400, "The multipart body is malformed.")
                        return
                    if parts > self.max_parts:
                        await _refuse(
                            send, 413, f"One request may carry at most {self.max_parts} files."
                        )
                        return
                spool.write(chunk)
                if not message.get("more_body", False):
                    break
            await self.app(scope, _replay(spool, receive), send)


def _replay(spool: Any, receive: Receive) -> Receive:
    """``receive`` for the app: the spooled body, then the client's own messages (disconnect)."""
    total = spool.tell()
    spool.seek(0)
    done = False

    async def replay() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunk = spool.read(REPLAY_CHUNK)
        done = spool.tell() >= total
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return replay


async def _refuse(send: Send, status: int, message: str) -> None:
    """Answer with ``{"detail": message}``, the shape of the web framework's own errors."""
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def inline_image(url: str) -> bytes:
    """The bytes of an image sent inline as a base64 ``data:`` URL, checked from its header.

    Refused (:class:`~nst.errors.ImageError`) as an uploaded file would be,
    and before a pixel is decoded: not base64, not an image, too many pixels.
    The request's own bound (:class:`RequestLimits`) caps its bytes.
    """
    header, _, payload = url.partition(",")
    if not header.endswith(";base64"):
        raise ImageError("An image sent inline must be a base64 data: URL.")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("The image sent inline is not valid base64.") from None
    check_image(data)
    return data
