"""The app's MCP server (``python app.py --mcp``): the transfers as tools an assistant can call.

One server per module with the real fast models; skips without them or
without the ``mcp`` package (``gradio[mcp]``).
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from nst.settings import FastSettings
from tests.conftest import SHARED_MAGENTA, live_app

pytest.importorskip("mcp", reason="the MCP client comes with gradio[mcp]")
pytestmark = pytest.mark.skipif(
    not SHARED_MAGENTA.is_dir(), reason=f"real fast models not present: {SHARED_MAGENTA}"
)


@pytest.fixture(scope="module")
def mcp_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_app(2, {"NST_FAST_MODEL": SHARED_MAGENTA}, mcp_server=True) as (url, _):
        yield f"{url.rstrip('/')}/gradio_api/mcp/"


def data_url(image: np.ndarray) -> str:
    """An image as MCP clients pass one: a ``data:`` URL."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


async def session_call(url: str, tool: str | None = None, **arguments: Any) -> Any:
    """The tool list, or one tool's answer and the progress it reported, from a fresh session.

    The call asks for progress, as MCP clients that show it do: Gradio 6.31
    then hands back each output (images as images); without it, it packs a
    tool's outputs into one text.
    """
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async with streamablehttp_client(url) as (read, write, _), ClientSession(read, write) as mcp:
        await mcp.initialize()
        if tool is None:
            return (await mcp.list_tools()).tools
        progress: list[str | None] = []

        async def heard(done: float, total: float | None, message: str | None) -> None:
            progress.append(message)

        return await mcp.call_tool(tool, arguments, progress_callback=heard), progress


def test_the_transfers_are_tools_described_by_their_docstrings(mcp_url: str) -> None:
    tools = {tool.name: tool for tool in asyncio.run(session_call(mcp_url))}
    assert {"classic", "fast", "video", "stop"} <= set(tools)
    assert not any("page" in name for name in tools)  # the page's own events stay private
    fast = tools["fast"]
    assert fast.description.startswith("Fast (one-pass Magenta) transfer")
    strength = fast.inputSchema["properties"]["strength"]
    assert strength["description"] == FastSettings.parameter("strength").help
    assert strength["default"] == FastSettings.parameter("strength").default


def test_a_fast_transfer_through_mcp_returns_an_image(mcp_url: str) -> None:
    y, x = np.mgrid[0:120, 0:180]
    photo = np.stack([x * 255 // 180, y * 255 // 120, 128 + 0 * x], axis=-1).astype(np.uint8)
    style = np.random.default_rng(0).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    answer, _ = asyncio.run(
        session_call(mcp_url, "fast", content=data_url(photo), style_1=data_url(style), size=96)
    )
    assert not answer.isError, answer.content
    images = [
        Image.open(io.BytesIO(base64.b64decode(c.data)))
        for c in answer.content
        if c.type == "image"
    ]
    assert images and all(image.size == (96, 64) for image in images)
    texts = [c.text for c in answer.content if c.type == "text"]
    assert any(text.startswith("Done in") for text in texts)


def test_a_classic_transfer_through_mcp_reports_its_steps(mcp_url: str) -> None:
    photo = np.full((48, 64, 3), 90, np.uint8)
    style = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    answer, progress = asyncio.run(
        session_call(
            mcp_url,
            "classic",
            content=data_url(photo),
            style_1=data_url(style),
            size=64,
            iterations=4,
            preview_every=2,
        )
    )
    assert not answer.isError, answer.content
    assert any(message and "Painting… step 2 of 4" in message for message in progress), progress
    assert any(c.type == "image" for c in answer.content)
    assert any(c.type == "text" and c.text.startswith("Done: 4 steps") for c in answer.content)
