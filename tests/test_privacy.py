"""Privacy and safety: what the app keeps, where jobs write, what the server exposes.

Uploads and results must leave the server after a configurable time; a job
must write nothing outside temp and cache folders; the gallery must not reach
outside its folder; the server listens on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from nst.classic import stylize
from nst.events import Progress
from nst.host import upload_lifetime_seconds
from nst.images import save_png
from nst.settings import ClassicSettings
from tests.conftest import REPO, SHARED_MAGENTA, live_app
from webui.gallery import load_gallery
from webui.layout import build_demo
from webui.server import parse_args

LIFETIME_S = 2
"""Cache lifetime for the server in this module, set through the app's variable."""
NEEDS_MAGENTA = pytest.mark.skipif(
    not SHARED_MAGENTA.exists(), reason=f"fast mode needs the real models in {SHARED_MAGENTA}"
)
TINY = ClassicSettings(size=32, iterations=2, preview_every=1, multires=False)
SECRET = "not for visitors"
NOT_OURS = {".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
"""Folders other tools write to (bytecode, test and lint caches)."""


def files_under(root: Path) -> set[Path]:
    """Every file below ``root``, skipping the tool caches in :data:`NOT_OURS`."""
    found = set()
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in NOT_OURS]
        found.update(Path(folder) / name for name in names)
    return found


def _image(path: Path, seed: int, size: tuple[int, int] = (64, 48)) -> Path:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def _bomb_png() -> bytes:
    """A PNG signature and header declaring 100000×100000 pixels, and nothing else."""
    header = b"IHDR" + struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(header) - 4) + header + struct.pack(">I", zlib.crc32(header))
    return b"\x89PNG\r\n\x1a\n" + chunk


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A photo and a style, unlike any other test's, so no cache holds them already."""
    folder = tmp_path_factory.mktemp("inputs")
    return {"photo": _image(folder / "photo.png", 101), "style": _image(folder / "style.png", 102)}


# ---------------------------------------------------------------- writes outside temp and cache


@pytest.fixture(scope="module")
def cli_job(
    inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, set[Path]]:
    """One classic CLI job from a read-only folder; the files each place gained."""
    root = tmp_path_factory.mktemp("cli-job")
    places = {name: root / name for name in ("cwd", "home", "tmp", "out")}
    for folder in places.values():
        folder.mkdir()
    places["inputs"] = inputs["photo"].parent
    places["repo"] = REPO
    places["cwd"].chmod(0o555)  # root ignores this, hence the snapshots
    before = {name: files_under(folder) for name, folder in places.items()}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "KERAS_"))},
        "HOME": str(places["home"]),
        "TMPDIR": str(places["tmp"]),
        "NST_VGG_WEIGHTS": "random",
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-m", "nst", str(inputs["photo"]), "--style", str(inputs["style"])]
    options = ["--size", "32", "--iterations", "2", "-o", str(places["out"] / "result.png")]
    result = subprocess.run(
        command + options,
        cwd=places["cwd"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    gained = {name: files_under(folder) - before[name] for name, folder in places.items()}
    gained["allowed home"] = {path for path in gained["home"] if ".cache" in path.parts}
    return gained


def test_cli_job_writes_its_result_and_nothing_in_cwd_inputs_or_repo(
    cli_job: dict[str, set[Path]],
) -> None:
    assert [path.name for path in cli_job["out"]] == ["result.png"]
    assert not cli_job["cwd"]
    assert not cli_job["inputs"]
    assert not cli_job["repo"], sorted(cli_job["repo"])


def test_cli_job_writes_only_to_the_cache_in_home(cli_job: dict[str, set[Path]]) -> None:
    assert cli_job["home"] == cli_job["allowed home"], sorted(cli_job["home"])


def test_library_job_writes_nothing_in_cwd_or_repo(
    inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd, out = tmp_path / "cwd", tmp_path / "out"
    cwd.mkdir(mode=0o555)
    out.mkdir()
    monkeypatch.chdir(cwd)
    before = files_under(REPO)
    final = list(stylize(inputs["photo"], [inputs["style"]], TINY))[-1]
    assert isinstance(final, Progress) and final.state == "done"
    save_png(final.image, out / "result.png", TINY.values())
    assert not files_under(cwd)
    assert files_under(out) == {out / "result.png"}
    assert not files_under(REPO) - before


# ---------------------------------------------------------------- the app's cache and its server


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A style folder with one image, stray files, and links that lead out of it."""
    root = tmp_path_factory.mktemp("gallery")
    folder = root / "styles"
    folder.mkdir()
    (root / "secret.txt").write_text(SECRET)
    _image(root / "outside.png", 103)
    _image(folder / "inside.png", 104, (64, 64))
    (folder / "leak.png").symlink_to(root / "outside.png")
    (folder / "secret.png").symlink_to(root / "secret.txt")
    (folder / "parent").symlink_to(root)
    (folder / "gone.png").symlink_to(root / "deleted.png")
    (folder / "loop.png").symlink_to(folder / "loop.png")
    (folder / "empty.png").write_bytes(b"")
    (folder / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (folder / "bomb.png").write_bytes(_bomb_png())
    return folder


@pytest.fixture(scope="module")
def server(
    gallery: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, gr.Blocks]]:
    """The app with a :data:`LIFETIME_S` cache, a private cache folder and the default host."""
    cache = tmp_path_factory.mktemp("gradio-cache")
    env = {
        "NST_DELETE_CACHE_SECONDS": LIFETIME_S,
        "GRADIO_TEMP_DIR": cache,
        "NST_STYLES_DIR": gallery,
        "GRADIO_SERVER_NAME": None,
    }
    with live_app(4, env, server_name=parse_args([]).host) as (url, demo):
        yield url, cache, demo


def test_cache_lifetime_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for seconds in (1, 5, 90, 7200):
        monkeypatch.setenv("NST_DELETE_CACHE_SECONDS", str(seconds))
        assert build_demo().delete_cache == (seconds, seconds)
    monkeypatch.setenv("NST_DELETE_CACHE_SECONDS", "0")
    assert upload_lifetime_seconds() == 1  # the floor: one sweep a second


@pytest.fixture(
    scope="module",
    params=[pytest.param("fast", marks=NEEDS_MAGENTA), "classic"],
)
def finished_job(
    request: pytest.FixtureRequest,
    server: tuple[str, Path, gr.Blocks],
    inputs: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """One job through the API, watched until its files leave the cache (or should have)."""
    url, cache, _ = server
    mode = request.param
    cache_before, repo_before = files_under(cache), files_under(REPO)
    client = Client(url, verbose=False, download_files=tmp_path_factory.mktemp("downloads"))
    job = client.submit(
        content=handle_file(inputs["photo"]),
        style_1=handle_file(inputs["style"]),
        **({"size": 64} if mode == "fast" else {"size": 64, "iterations": 1}),
        api_name=f"/{mode}",
    )
    seen: set[str] = set()
    started, finished = time.monotonic(), None
    while time.monotonic() - started < 120:
        left = files_under(cache) - cache_before
        seen |= {path.name for path in left}
        if job.done():
            finished = finished or time.monotonic()
            # a sweep every LIFETIME_S removes files older than LIFETIME_S
            if not left or time.monotonic() - finished > 4 * LIFETIME_S + 2:
                break
        time.sleep(0.05)
    return {
        "mode": mode,
        "status": job.result(timeout=0)[1],
        "seen": seen,
        "left": files_under(cache) - cache_before,
        "repo": files_under(REPO) - repo_before,
    }


def test_uploads_and_results_leave_the_cache_after_the_configured_time(
    finished_job: dict[str, Any],
) -> None:
    assert "Done" in finished_job["status"]
    assert {"photo.png", "style.png"} <= finished_job["seen"]  # the uploads were there...
    assert any(name.startswith("dual-nst-") for name in finished_job["seen"])  # ...the PNG too
    assert not finished_job["left"], sorted(finished_job["left"])


def test_app_job_writes_nothing_in_the_repo(finished_job: dict[str, Any]) -> None:
    assert not finished_job["repo"], sorted(finished_job["repo"])


@pytest.mark.parametrize("mode", [pytest.param("fast", marks=NEEDS_MAGENTA), "classic"])
def test_an_upload_swept_before_its_job_runs_is_named_without_its_server_path(
    server: tuple[str, Path, gr.Blocks], inputs: dict[str, Path], mode: str
) -> None:
    url, cache, _ = server
    base = url.rstrip("/") + "/gradio_api"
    with httpx.Client(timeout=60) as http:
        paths = []
        for name in ("photo", "style"):
            files = [("files", (f"swept-{name}.png", inputs[name].read_bytes(), "image/png"))]
            paths.append(http.post(f"{base}/upload", files=files).json()[0])
        started = time.monotonic()
        while any(Path(path).exists() for path in paths):  # the cache sweep takes them
            assert time.monotonic() - started < 8 * LIFETIME_S, "uploads were never swept"
            time.sleep(0.1)
        meta = {"_type": "gradio.FileData"}
        uploads = [{"path": path, "orig_name": Path(path).name, "meta": meta} for path in paths]
        parameters = http.get(f"{base}/info").json()["named_endpoints"][f"/{mode}"]["parameters"]
        defaults = [parameter.get("parameter_default") for parameter in parameters]
        call = http.post(f"{base}/call/{mode}", json={"data": uploads + defaults[2:]})
        answer = http.get(f"{base}/call/{mode}/{call.json()['event_id']}").text
    assert "event: error" in answer
    assert f"no longer on the server (uploads are kept for {LIFETIME_S} s)" in answer
    assert "please upload it again" in answer
    assert str(cache) not in answer and "/tmp" not in answer


# ---------------------------------------------------------------- the gallery and the server


def test_gallery_lists_only_the_image_inside_its_folder(gallery: Path) -> None:
    assert [item.path.name for item in load_gallery(gallery)] == ["inside.png"]


def test_gallery_files_are_served_but_nothing_their_links_reach(
    server: tuple[str, Path, gr.Blocks], gallery: Path
) -> None:
    url = server[0].rstrip("/")
    with httpx.Client(timeout=30) as http:
        served = http.get(f"{url}/gradio_api/file={gallery / 'inside.png'}")
        assert served.status_code == 200 and served.content.startswith(b"\x89PNG")
        for path in (
            gallery / "leak.png",
            gallery / "secret.png",
            gallery / "parent" / "secret.txt",
            f"{gallery}/../secret.txt",
            "/etc/passwd",
            REPO / "app.py",
        ):
            answer = http.get(f"{url}/gradio_api/file={path}")
            assert answer.status_code in (403, 404), path
            assert SECRET not in answer.text and "root:x:" not in answer.text


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as the kernel lists them) with a socket listening on ``port``."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                addresses.add(address)
    return addresses


def test_server_listens_on_loopback_only(server: tuple[str, Path, gr.Blocks]) -> None:
    port = int(server[0].rstrip("/").rsplit(":", 1)[1])
    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1


def test_default_host_is_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    assert parse_args([]).host == "127.0.0.1"
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_SERVER_NAME"}
    result = subprocess.run(
        [sys.executable, "app.py", "--help"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "127.0.0.1" in result.stdout and "--host" in result.stdout


def test_app_sends_no_telemetry_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)
    assert build_demo().analytics_enabled is False
