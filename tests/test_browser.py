"""The page in a real Chromium: upload, pick a gallery style, Launch, see the result.

Runs fast mode with the real Magenta models when ../shared has them, else
classic mode with random VGG weights at a tiny size. Leaves a screenshot in
``artifacts/browser.png`` for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, SHARED_IMAGES, SHARED_MAGENTA

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = REPO / "artifacts" / "browser.png"
REAL_PHOTO = SHARED_IMAGES / "content" / "tubingen.jpg"
FAST = SHARED_MAGENTA.is_dir()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium is not installed at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """The app with models that run here: the real fast ones, or a tiny classic job."""
    import app

    settings = (
        {"NST_FAST_MODEL": str(SHARED_MAGENTA)}
        if FAST
        else {"NST_MAX_CLASSIC_SIZE": "64", "NST_MAX_ITERATIONS": "10"}
    )
    with pytest.MonkeyPatch.context() as env:
        for name, value in settings.items():
            env.setenv(name, value)
        demo = app.build_demo()
        _, local_url, _ = app.launch(
            demo, max_queue=5, server_name="127.0.0.1", prevent_thread_lock=True, quiet=True
        )
        yield local_url
        demo.close()


@pytest.fixture
def page(url: str):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        yield page
        browser.close()


def content_photo(folder: Path) -> Path:
    """A real photo when ../shared has one (a better screenshot), else a painted gradient."""
    if REAL_PHOTO.is_file():
        return REAL_PHOTO
    y, x = np.mgrid[0:400, 0:600]
    gradient = np.stack([x * 255 // 600, y * 255 // 400, 255 - x * 255 // 600], axis=-1)
    Image.fromarray(gradient.astype(np.uint8)).save(folder / "photo.png")
    return folder / "photo.png"


def test_upload_pick_a_style_and_launch(page, tmp_path: Path) -> None:
    page.locator("#content input[type=file]").set_input_files(content_photo(tmp_path))
    page.locator("#content img").wait_for()
    page.locator("#style-gallery button.thumbnail-item").nth(7).click()
    page.locator("#style-1 img").wait_for()

    if FAST:
        page.get_by_role("tab", name="Fast: one pass").click()
        page.get_by_role("spinbutton", name="number input for Output size").last.fill("512")
    page.get_by_role("button", name="Launch").click()
    status = page.locator("#status")
    status.get_by_text("Done").wait_for(timeout=90_000)
    page.locator("#result img").wait_for()

    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert page.locator("#result img").get_attribute("src")
    assert "Failed" not in status.inner_text()
    assert os.path.getsize(SCREENSHOT) > 0
