"""The shipped style gallery, its generator, and the loader's handling of stray files."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from webui.gallery import CREDIT_FIELDS, GalleryItem, load_gallery, title_from_name

REPO = Path(__file__).resolve().parents[1]
STYLES = REPO / "assets" / "styles"
GENERATOR = REPO / "assets" / "make_styles.py"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_styles", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_styles() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def fresh(make_styles: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole gallery, painted anew into a temporary folder."""
    out = tmp_path_factory.mktemp("styles")
    make_styles.generate(out)
    return out


def _png(path: Path, colour: str = "red") -> Path:
    Image.new("RGB", (8, 8), colour).save(path)
    return path


# ---------------------------------------------------------------- the shipped gallery


def test_shipped_gallery_has_credited_images() -> None:
    items = load_gallery(STYLES)
    assert len(items) >= 6
    assert [i.title.casefold() for i in items] == sorted(i.title.casefold() for i in items)
    for item in items:
        with Image.open(item.path) as img:
            img.load()
            assert max(img.size) >= 256
        assert item.artist and item.licence and item.source, item.path.name
        assert item.caption == f"{item.title} — {item.artist}"


def test_shipped_gallery_is_small() -> None:
    size = sum(p.stat().st_size for p in STYLES.rglob("*") if p.is_file())
    assert size < 3 * 1024 * 1024, f"assets/styles is {size / 1e6:.1f} MB; keep it under 3 MB"


def test_every_credits_entry_names_a_file_and_has_all_fields() -> None:
    credits = json.loads((STYLES / "credits.json").read_text("utf-8"))
    assert isinstance(credits, list) and credits
    for entry in credits:
        assert (STYLES / entry["file"]).is_file(), entry["file"]
        for field in CREDIT_FIELDS:
            assert str(entry.get(field, "")).strip(), f"{entry['file']}: missing {field}"


def test_default_folder_follows_environment(tmp_path: Path, monkeypatch) -> None:
    _png(tmp_path / "only-one.png")
    monkeypatch.setenv("NST_STYLES_DIR", str(tmp_path))
    assert [i.title for i in load_gallery()] == ["Only one"]
    monkeypatch.delenv("NST_STYLES_DIR")
    assert {i.path.parent for i in load_gallery()} == {STYLES.resolve()}


# ---------------------------------------------------------------- the generator


def test_committed_images_match_the_generator(fresh: Path) -> None:
    shipped = {p.name for p in STYLES.iterdir()}
    made = {p.name for p in fresh.iterdir()}
    assert made <= shipped, f"run `python {GENERATOR.relative_to(REPO)}` and commit the result"
    assert (fresh / "credits.json").read_bytes() == (STYLES / "credits.json").read_bytes()
    for name in sorted(made - {"credits.json"}):
        a = np.asarray(Image.open(fresh / name), np.float32)
        b = np.asarray(Image.open(STYLES / name), np.float32)
        assert a.shape == b.shape, name
        # bytes may differ across JPEG libraries; the pictures must not
        assert np.abs(a - b).mean() < 1.5, f"{name} differs from what the generator paints"


def test_generator_is_deterministic(make_styles: ModuleType, fresh: Path, tmp_path: Path) -> None:
    cheap = ["misty-peaks.jpg", "neon-loops.jpg"]
    make_styles.generate(tmp_path, cheap)
    for name in cheap:
        assert (tmp_path / name).read_bytes() == (fresh / name).read_bytes(), name


# ---------------------------------------------------------------- the loader


def test_user_image_without_credits_gets_title_from_name(tmp_path: Path) -> None:
    (tmp_path / "credits.json").write_text(
        json.dumps([{"file": "credited.png", "title": "A Credited One", "artist": "Ann"}])
    )
    _png(tmp_path / "credited.png")
    _png(tmp_path / "my_own-style.png", "blue")
    items = {i.path.name: i for i in load_gallery(tmp_path)}
    assert items["my_own-style.png"].title == "My own style"
    assert items["my_own-style.png"].caption == "My own style"
    assert items["credited.png"].caption == "A Credited One — Ann"
    assert items["credited.png"].licence == ""


def test_non_images_are_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _png(tmp_path / "real.png")
    (tmp_path / "notes.txt").write_text("not a picture")
    (tmp_path / "fake.jpg").write_text("text pretending to be a JPEG")
    (tmp_path / "sub").mkdir()
    _png(tmp_path / "sub" / "nested.png")
    with caplog.at_level(logging.DEBUG, logger="webui.gallery"):
        items = load_gallery(tmp_path)
    assert [i.path.name for i in items] == ["real.png"]
    assert "fake.jpg" in caplog.text


def test_symlink_out_of_folder_is_ignored(tmp_path: Path) -> None:
    folder, outside = tmp_path / "styles", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    secret = _png(outside / "secret.png")
    _png(folder / "inside.png")
    (folder / "leak.png").symlink_to(secret)
    (folder / "alias.png").symlink_to(folder / "inside.png")
    names = sorted(i.path.name for i in load_gallery(folder))
    assert names == ["alias.png", "inside.png"]


def test_credits_entry_leading_out_of_folder_is_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "styles"
    folder.mkdir()
    _png(tmp_path / "x.jpg")
    _png(folder / "x.jpg")
    entries = [
        {"file": "../x.jpg", "title": "Escaped"},
        {"file": "sub/x.jpg", "title": "Nested"},
        {"file": "x.jpg", "title": "Kept"},
    ]
    (folder / "credits.json").write_text(json.dumps(entries))
    items = load_gallery(folder)
    assert [(i.title, i.path.parent) for i in items] == [("Kept", folder.resolve())]


@pytest.mark.parametrize("text", ["{not json", '{"file": "a.png"}', "[1, null, []]"])
def test_malformed_credits_are_logged_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    _png(tmp_path / "a.png")
    (tmp_path / "credits.json").write_text(text)
    with caplog.at_level(logging.WARNING, logger="webui.gallery"):
        items = load_gallery(tmp_path)
    assert items == [GalleryItem(tmp_path.resolve() / "a.png", "A", "", "", "", "")]
    assert "credits" in caplog.text


def test_missing_folder_gives_empty_gallery(tmp_path: Path) -> None:
    assert load_gallery(tmp_path / "nowhere") == []


@pytest.mark.parametrize(
    ("name", "title"),
    [("starry_night.jpg", "Starry night"), ("a--b  c.png", "A b c"), ("x.png", "X")],
)
def test_title_from_name(name: str, title: str) -> None:
    assert title_from_name(name) == title
