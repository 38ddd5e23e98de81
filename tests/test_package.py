"""The project installs as a package: ``nst`` and the ``dual-nst`` command, usable anywhere.

Built offline from a copy of the checkout (a build writes into its source
folder), with the environment's own setuptools and no dependencies fetched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import REPO

LEFT_OUT = shutil.ignore_patterns(
    ".git", "artifacts", "build", "*.egg-info", "__pycache__", ".*_cache", ".benchmarks"
)


def test_pip_install_gives_the_package_and_the_dual_nst_command(tmp_path: Path) -> None:
    source, target, elsewhere = tmp_path / "checkout", tmp_path / "site", tmp_path / "elsewhere"
    shutil.copytree(REPO, source, ignore=LEFT_OUT)
    elsewhere.mkdir()
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    install += ["--no-build-isolation", "--target", str(target), str(source)]
    built = subprocess.run(install, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr

    env = {**os.environ, "PYTHONPATH": str(target)}
    where = [sys.executable, "-c", "import nst; print(nst.__file__)"]
    found = subprocess.run(where, cwd=elsewhere, env=env, capture_output=True, text=True)
    assert Path(found.stdout.strip()).is_relative_to(target), found  # the installed copy

    command = [str(target / "bin" / "dual-nst"), "--help"]
    result = subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: dual-nst ")
    assert "--style-mix" in result.stdout and "NST_FAST_MODEL" in result.stdout


def test_requirements_are_the_library_and_the_app_extra() -> None:
    """Spaces installs requirements.txt: the library's dependencies and the app's, pinned alike;
    the library alone pulls in no web framework and no test tool."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = (REPO / "requirements.txt").read_text().splitlines()
    pinned = {line for line in lines if line and not line.startswith("#")}
    assert pinned == {*project["dependencies"], *project["optional-dependencies"]["app"]}
    assert not any(name in " ".join(project["dependencies"]) for name in ("gradio", "pytest"))
