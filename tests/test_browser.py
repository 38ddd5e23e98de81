"""The page in a real Chromium, at a desktop's 1366×900 and a phone's 390×844.

One server and one browser for the module; each test opens the page afresh.
Fast-mode jobs use the real Magenta models and skip without them; classic
jobs use random VGG weights at 64 px. Jobs leave screenshots in ``artifacts/``
for a person to look at; ``artifacts/screenshot.webp`` is the README's
picture (``docs/screenshot.webp`` is a copy of it).
"""

from __future__ import annotations

import io
import socket
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, SHARED_MAGENTA, live_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
README_PICTURE = {"height": 1000, "width": 1000, "quality": 80}
"""The README's screenshot: the top of the desktop page, scaled to this width, as WebP."""
JOB_TIMEOUT_MS = 120_000
NEEDS_FAST = pytest.mark.skipif(
    not SHARED_MAGENTA.is_dir(), reason=f"real fast models not present: {SHARED_MAGENTA}"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium is not installed at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the real fast models (when present) and a small classic mode."""
    with live_app(5, {"NST_MAX_CLASSIC_SIZE": 64, "NST_MAX_ITERATIONS": 300}) as (local_url, _):
        yield local_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """Which of :data:`VIEWPORTS` the page is shown at."""
    return request.param


@pytest.fixture
def page(viewport: str, browser: Any, url: str) -> Iterator[Any]:
    """The page, loaded afresh at ``viewport``'s size."""
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.goto(url)
    page.locator("#status").wait_for()
    yield page
    context.close()


def status(page: Any) -> Any:
    return page.locator("#status")


def fill_from_example(page: Any, row: int) -> None:
    """Click an example: it fills the photo, the styles and the mix."""
    page.locator("#examples tbody tr").nth(row).locator("td").first.click()
    page.locator("#content img").wait_for()
    page.locator("#style-1 img").wait_for()


def launch(page: Any, mode: str) -> None:
    tab = "Fast: one pass" if mode == "fast" else "Classic: fine, step by step"
    page.get_by_role("tab", name=tab).click()
    page.locator(f"#{mode}-launch").click()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def save_readme_picture(full_page: Path) -> None:
    """The top of the page, small: what the README shows."""
    with Image.open(full_page) as image:
        top = image.crop((0, 0, image.width, min(image.height, README_PICTURE["height"])))
        scale = README_PICTURE["width"] / top.width
        small = top.resize((README_PICTURE["width"], round(top.height * scale)), Image.LANCZOS)
        small.save(ARTIFACTS / "screenshot.webp", quality=README_PICTURE["quality"])


def test_the_layout_fits_the_screen(page: Any, viewport: str) -> None:
    width = VIEWPORTS[viewport]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    for name in ("Classic: fine, step by step", "Fast: one pass"):  # no "•••" menu
        box = page.get_by_role("tab", name=name).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, name
    page.get_by_role("tab", name="Fast: one pass").click()
    assert page.locator("#fast-launch").is_visible()

    thumbnails = page.locator("#style-gallery .thumbnail-item")
    boxes = [thumbnails.nth(i).bounding_box() for i in range(thumbnails.count())]
    if viewport == "desktop":
        assert len({round(box["x"]) for box in boxes}) == 4
    else:  # one row that scrolls sideways inside the gallery, not the page
        assert len({round(box["y"]) for box in boxes}) == 1
    picture = thumbnails.first.locator("img").bounding_box()
    caption = thumbnails.first.locator(".caption-label").bounding_box()
    assert caption["y"] >= picture["y"] + picture["height"] - 1  # under, not over the painting

    examples = page.locator("#examples table")
    assert page.locator("#examples tbody tr").count() == 3
    box = examples.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width  # every column in sight


def test_a_phone_reads_photo_styles_gallery_launch_result_then_examples(page: Any) -> None:
    page.set_viewport_size(VIEWPORTS["phone"])
    order = ["#content", "#style-1", "#style-gallery", "#classic-launch", "#status", "#result"]
    tops = [page.locator(selector).bounding_box()["y"] for selector in [*order, "#examples"]]
    assert tops == sorted(tops), dict(zip([*order, "#examples"], tops, strict=True))
    gallery = page.locator("#style-gallery").bounding_box()
    assert gallery["height"] < 250  # one row, not a wall of paintings to scroll past
    style_1, style_2 = (page.locator(s).bounding_box() for s in ("#style-1", "#style-2"))
    assert style_1["y"] == style_2["y"]  # side by side
    screenshot(page, "phone-top")


def test_the_painters_tools_sit_beside_the_photo(page: Any, viewport: str) -> None:
    fill_from_example(page, 2)
    page.get_by_text("Where each style goes (optional)").click()
    canvas = page.locator("#painter canvas").first
    canvas.wait_for()
    tools = page.locator("#painter .toolbar-wrap").bounding_box()
    assert tools["x"] + tools["width"] <= canvas.bounding_box()["x"]  # a stroke starts on the photo
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#painter").screenshot(path=ARTIFACTS / f"painter-{viewport}.png")


def test_one_toast_at_a_time(page: Any, tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("shopping list: eggs, flour\n")
    for slot in ("#content", "#style-1"):
        page.locator(f"{slot} input[type=file]").set_input_files(fake)
        status(page).get_by_text("is not an image Pillow can read").wait_for()
    page.wait_for_timeout(500)
    visible = page.locator(".toast-body").evaluate_all(
        "toasts => toasts.filter(t => t.offsetParent !== null).length"
    )
    assert visible == 1


def test_download_is_disabled_until_there_is_a_result(page: Any) -> None:
    assert page.locator("#download").is_disabled()


def test_a_file_that_is_no_image_is_refused_when_dropped(page: Any, tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("shopping list: eggs, flour\n")
    page.locator("#content input[type=file]").set_input_files(fake)
    status(page).get_by_text("is not an image Pillow can read").wait_for()
    assert 'notes.png" is not an image' in status(page).inner_text()
    assert page.locator("#content img").count() == 0  # the slot is empty again


def test_stop_is_acknowledged_on_the_page(page: Any, viewport: str) -> None:
    page.get_by_role("button", name="Stop").click()
    status(page).get_by_text("Nothing is running.").wait_for()

    fill_from_example(page, 0)
    launch(page, "classic")
    status(page).get_by_text("Painting… step").wait_for(timeout=JOB_TIMEOUT_MS)
    assert status(page).locator("progress").count() == 1
    page.get_by_role("button", name="Stop").click()
    status(page).get_by_text("Stopped at step").wait_for(timeout=JOB_TIMEOUT_MS)
    assert "the last image is kept" in status(page).inner_text()
    assert page.locator("#download").is_enabled()
    screenshot(page, f"stopped-{viewport}")


def test_an_offline_failure_shows_its_whole_message(
    page: Any, viewport: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NST_FAST_MODEL", "lite")  # a model that must be downloaded...
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "empty-cache"))

    def offline(*args: object, **kwargs: object) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "create_connection", offline)  # ...with no way to get it
    monkeypatch.setattr(socket.socket, "connect", offline)
    fill_from_example(page, 1)  # one style; the gallery gives the second
    page.get_by_label("Style 2", exact=True).check()
    page.locator("#style-gallery .thumbnail-item").nth(7).click()
    page.locator("#style-2 img").wait_for()
    launch(page, "fast")
    status(page).get_by_text("Failed:").wait_for(timeout=JOB_TIMEOUT_MS)
    text = status(page).inner_text()
    assert "Could not download the fast-mode model from https://" in text
    assert "(<urlopen error no network in this test>)" in text  # not swallowed as HTML
    assert text.rstrip().endswith("*transfer*.tflite files.")  # nothing cut off
    toast = page.locator(".toast-body.error").last
    assert "fast-mode model" in toast.inner_text()  # short: the status line has the rest
    assert len(toast.inner_text()) < len(text)
    screenshot(page, f"offline-failure-{viewport}")


@NEEDS_FAST
def test_a_fast_job_shows_before_and_after_and_enables_the_download(
    page: Any, viewport: str
) -> None:
    fill_from_example(page, 2)  # two styles mixed
    launch(page, "fast")
    status(page).get_by_text("Done in").wait_for(timeout=JOB_TIMEOUT_MS)
    slider = page.locator("#result img")
    assert slider.count() == 2  # before and after
    assert all(slider.nth(i).get_attribute("src") for i in range(2))
    assert page.locator("#download").is_enabled()
    assert "Failed" not in status(page).inner_text()
    page.locator("#result").scroll_into_view_if_needed()
    full_page = screenshot(page, f"fast-job-{viewport}")
    if viewport == "desktop":
        save_readme_picture(full_page)


def result_pixels(page: Any) -> np.ndarray:
    """The "after" picture of the slider, fetched as the browser got it."""
    source = page.locator("#result img").nth(1).get_attribute("src")
    with urllib.request.urlopen(urllib.parse.urljoin(page.url, source)) as answer:
        return np.asarray(Image.open(io.BytesIO(answer.read())).convert("RGB"), np.int16)


def paint_a_stroke(page: Any) -> None:
    """Open the painter and drag the red brush across the left of the photo."""
    page.get_by_text("Where each style goes (optional)").click()
    canvas = page.locator("#painter canvas").first
    canvas.wait_for()
    page.locator("#painter").get_by_role("button", name="Brush").first.click()
    box = canvas.bounding_box()
    side = min(box["width"], box["height"])
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 0.3 * side, y)
    page.mouse.down()
    for step in range(1, 16):
        page.mouse.move(x - 0.3 * side + 0.25 * side * step / 15, y)
    page.mouse.up()


@NEEDS_FAST
def test_a_painted_stroke_changes_the_result_where_it_was_painted(page: Any) -> None:
    fill_from_example(page, 2)  # two styles mixed: unpainted areas keep the mix
    launch(page, "fast")
    status(page).get_by_text("Done in").wait_for(timeout=JOB_TIMEOUT_MS)
    plain = result_pixels(page)
    assert page.locator("#mask-download").is_disabled()

    paint_a_stroke(page)
    page.locator("#fast-launch").click()
    page.wait_for_function(
        "document.querySelector('#mask-download').disabled === false", timeout=JOB_TIMEOUT_MS
    )
    painted = result_pixels(page)
    changed = np.abs(painted - plain).max(axis=2)
    assert 0.005 < (changed > 10).mean() < 0.5  # the stroke's region, in style 1 alone
    assert (changed == 0).mean() > 0.3  # far from it, the picture is as it was
    screenshot(page, "painted-regions")
