"""Video: frames per second at 480p and 720p, and steadiness against painting each frame alone.

    python bench/video.py [--frames 40] [--runs 1] [--model FOLDER|lite] [--strip [PATH]]

The clips are made here from ../shared/images, with motion known to the pixel: a pan, a zoom,
a cut between two pans, and an object moving over a still background. Each is written as an
H.264 MP4 (30 frames per second), then painted by ``VideoJob`` as the app and the CLI run it:
decode, paint, steady, encode. Steady and per-frame runs take turns clip by clip, so a busy
machine slows both alike.

- ``video_fps_480p`` / ``video_fps_720p``: frames per second end to end, steady, the default
  settings at 854 and 1280 px (480p on every clip, 720p on the pan).
- Temporal warping error (Lai et al. 2018): the mean squared difference, over the pixels
  visible in both, between each output frame and the previous output frame moved by the
  input's motion, which is known exactly here, so the yardstick owes nothing to the flow
  the steadying uses. ``warp_error_ratio`` = steady / per-frame (all clips' pairs together).
- ``steady_time_ratio`` = steady / per-frame time per frame.
- How far each steady frame is from the frame painted alone (mean absolute difference, in
  levels of 255), beside how far painting alone moves from one frame to the next (the same
  measure between a frame and its predecessor warped), and, on the moving-object clip, where
  the object has just been: steadiness that came from ghosting or freezing would show there.
- ``--strip [PATH]``: the moving-object clip, five frames: the input, painted alone, steady,
  and their difference ×4 (default: in the temp folder).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.fast import cpu_name, default_source, load_text  # noqa: E402
from bench.sheets import contact_sheet  # noqa: E402
from nst.events import Done  # noqa: E402
from nst.fast import FastModel, load_fast_model  # noqa: E402
from nst.fast.tflite import TFLiteModel  # noqa: E402
from nst.images import load_image  # noqa: E402
from nst.jobs import make_request  # noqa: E402
from nst.scheduler import LocalLine, Scheduler  # noqa: E402
from nst.settings import VideoSettings  # noqa: E402

SHARED = Path(os.environ.get("NST_SHARED_DIR", REPO.parent / "shared")) / "images"
RATE = 30
SD = (480, 854)
HD = (720, 1280)
PAN_STEP = 4
"""Pixels the pan moves a frame (120 px a second at 30 frames per second)."""
ZOOM_STEP = 1.006
"""Magnification from one frame to the next (about 20% a second)."""
OBJECT_STEP = 8
OBJECT_RADIUS = 70
STYLES = ("styles/starry_night.jpg", "styles/great_wave.jpg")
STRIP_FRAMES = (20, 21, 22, 23, 24)
STRIP_TILE = (200, 300)
"""Height and width of each 1:1 crop in the strip."""


@dataclass
class Clip:
    """Frames and, for each frame after the first, where its pixels were in the one before
    (backward flow, x then y) and which of them were visible there (None after a cut)."""

    name: str
    frames: list[np.ndarray]
    flows: list[np.ndarray | None] = field(default_factory=list)
    visible: list[np.ndarray | None] = field(default_factory=list)
    objects: list[np.ndarray] = field(default_factory=list)
    """Where the moving object is in each frame (the moving-object clip only)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40, help="frames per clip")
    parser.add_argument("--runs", type=int, default=1, help="steady / per-frame turns per clip")
    parser.add_argument("--model", default=None, help="fast-mode source (default: ../shared)")
    parser.add_argument(
        "--paint-every",
        type=int,
        default=VideoSettings().paint_every,
        help="steady runs: the network paints every Nth frame (default: the setting's)",
    )
    parser.add_argument(
        "--strip",
        nargs="?",
        const=Path(tempfile.gettempdir()) / "dual-nst-video-strip.png",
        type=Path,
        help="write the moving-object strip to PATH",
    )
    args = parser.parse_args()
    model = load_fast_model(args.model or default_source())
    styles = [load_image(SHARED / name) for name in STYLES]
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, {load_text()}")
    every = args.paint_every
    print(
        f"model: {args.model or default_source()}; styles: two, mixed 50/50; steady runs paint "
        f"every {every} frame{'s' if every > 1 else ''}; defaults otherwise"
    )
    clips = [pan(SD, args.frames), zoom(SD, args.frames), cut(SD, args.frames)]
    clips.append(moving_object(SD, max(args.frames, STRIP_FRAMES[-1] + 1)))
    print(
        f"clips: {SD[1]}×{SD[0]}, {args.frames} frames at {RATE} per second (the object: "
        f"{len(clips[-1].frames)})"
    )
    print("\nclip     warping error ×1000              steady vs   alone's own   ms/frame")
    print("         input  per-frame  steady  ratio  alone       change        per-frame  steady")
    totals = {"alone": [0.0, 0], "steady": [0.0, 0]}
    errors: dict[str, list[float]] = {"alone": [], "steady": []}
    steady_frames = steady_seconds = 0.0
    strip = None
    with tempfile.TemporaryDirectory(prefix="dual-nst-bench-") as folder:
        for clip in clips:
            path = write(clip, Path(folder) / f"{clip.name}.mp4")
            out, times = {}, {"alone": [], "steady": []}
            for _ in range(args.runs):
                for key in ("steady", "alone"):
                    seconds, out[key] = paint(path, styles, model, SD[1], key == "steady", every)
                    times[key].append(seconds / len(out[key]))
                    if key == "steady":
                        steady_frames += len(out[key])
                        steady_seconds += seconds
            pairs = {key: warping_errors(clip, frames) for key, frames in out.items()}
            for key in errors:
                errors[key] += pairs[key]
                totals[key][0] += min(times[key]) * len(out[key])
                totals[key][1] += len(out[key])
            report(clip, out, pairs, {key: min(spans) for key, spans in times.items()})
            if clip.name == "object":
                strip = (clip, out)
        hd = pan(HD, args.frames)
        hd_path = write(hd, Path(folder) / "pan-720p.mp4")
        hd_seconds, hd_frames = paint(hd_path, styles, model, HD[1], True, every)
    ratio = np.mean(errors["steady"]) / np.mean(errors["alone"])
    per_frame = {key: seconds / frames for key, (seconds, frames) in totals.items()}
    print(f"\n720p: {len(hd_frames)} frames of the pan at {HD[1]}×{HD[0]} in {hd_seconds:.1f} s")
    print(f"after the runs: {load_text()} (figures are slower when other work shares the CPU)")
    print(f"video_fps_480p={steady_frames / steady_seconds:.2f}")
    print(f"video_fps_720p={len(hd_frames) / hd_seconds:.2f}")
    print(f"warp_error_ratio={ratio:.3f}")
    print(f"steady_time_ratio={per_frame['steady'] / per_frame['alone']:.3f}")
    if args.strip and strip is not None:
        write_strip(*strip, args.strip)


def report(
    clip: Clip,
    out: dict[str, list[np.ndarray]],
    pairs: dict[str, list[float]],
    times: dict[str, float],
) -> None:
    """One clip's line: warping errors, steady against alone, and the time per frame."""
    base = np.mean(warping_errors(clip, clip.frames)) * 1000
    alone, steady = (np.mean(pairs[key]) * 1000 for key in ("alone", "steady"))
    gap = np.mean([mean_abs(s, a) for s, a in zip(out["steady"], out["alone"], strict=True)])
    flicker = np.mean(changes(clip, out["alone"]))
    print(
        f"{clip.name:8s} {base:5.2f}  {alone:9.2f}  {steady:6.2f}  {steady / alone:5.2f}  "
        f"{gap:5.1f}       {flicker:5.1f}        {times['alone'] * 1000:9.0f}  "
        f"{times['steady'] * 1000:6.0f}"
    )
    if clip.objects:
        trail = np.mean(trail_gaps(clip, out["steady"], out["alone"]))
        print(f"         where the object just was: steady vs alone {trail:.1f} levels")


def paint(
    path: Path, styles: list[np.ndarray], model: FastModel, size: int, steady: bool, every: int
) -> tuple[float, list[np.ndarray]]:
    """Seconds from the request to the MP4's bytes, and the painted frames as decoded."""
    if isinstance(model, TFLiteModel):
        model.embeddings.clear()  # each clip works out its look
    started = time.perf_counter()
    request = make_request(
        "video", path, styles, VideoSettings(size=size, steady=steady, paint_every=every)
    )
    from nst.video.job import VideoJob

    events = list(LocalLine(Scheduler()).submit(VideoJob(request, model)))
    seconds = time.perf_counter() - started
    done = events[-1]
    if not isinstance(done, Done):
        raise SystemExit(f"the job ended with {done}")
    return seconds, decode(done.result.data)


def decode(data: bytes) -> list[np.ndarray]:
    with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
        file.write(data)
        file.flush()
        with av.open(file.name) as container:
            return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def write(clip: Clip, path: Path) -> Path:
    """The clip as a near-lossless H.264 MP4, as a camera or a phone would hand it over."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=RATE)
        stream.height, stream.width = clip.frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "12", "preset": "veryfast"}
        for image in clip.frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode())
    return path


# --- clips with known motion ------------------------------------------------------------


def photo(name: str, shape: tuple[int, int], margin: int = 0) -> np.ndarray:
    """A shared photo scaled to cover ``shape`` plus ``margin`` pixels of width."""
    image = load_image(SHARED / "content" / name)
    height, width = shape
    scale = max(height / image.shape[0], (width + margin) / image.shape[1])
    size = (round(image.shape[1] * scale) + 1, round(image.shape[0] * scale) + 1)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def pan(shape: tuple[int, int], count: int, name: str = "tubingen.jpg") -> Clip:
    """The camera pans right: pixel x of frame t was at x + step in frame t - 1."""
    height, width = shape
    scene = photo(name, shape, PAN_STEP * count)
    frames = [
        np.ascontiguousarray(scene[:height, i * PAN_STEP : i * PAN_STEP + width])
        for i in range(count)
    ]
    clip = Clip("pan", frames)
    for _ in frames[1:]:
        flow = np.zeros((height, width, 2), np.float32)
        flow[..., 0] = PAN_STEP
        clip.flows.append(flow)
        clip.visible.append(np.arange(width)[None, :].repeat(height, 0) + PAN_STEP < width)
    return clip


def zoom(shape: tuple[int, int], count: int) -> Clip:
    """The camera zooms in on the middle: frame t is the photo magnified ZOOM_STEP**t."""
    height, width = shape
    scene = photo("golden_gate.jpg", shape)
    centre = np.array([scene.shape[1] / 2, scene.shape[0] / 2])
    middle = np.array([width / 2, height / 2])
    frames = []
    for i in range(count):
        scale = ZOOM_STEP**i
        shift = middle - scale * centre
        matrix = np.array([[scale, 0, shift[0]], [0, scale, shift[1]]], np.float32)
        frames.append(cv2.warpAffine(scene, matrix, (width, height), flags=cv2.INTER_CUBIC))
    clip = Clip("zoom", frames)
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    for _ in frames[1:]:
        before_x = middle[0] + (grid_x - middle[0]) / ZOOM_STEP
        before_y = middle[1] + (grid_y - middle[1]) / ZOOM_STEP
        clip.flows.append(np.stack([before_x - grid_x, before_y - grid_y], -1).astype(np.float32))
        clip.visible.append(np.ones((height, width), bool))
    return clip


def cut(shape: tuple[int, int], count: int) -> Clip:
    """A pan over one photo, then a cut to a pan over another."""
    first, second = pan(shape, count // 2), pan(shape, count - count // 2, "dog.jpg")
    return Clip(
        "cut",
        first.frames + second.frames,
        [*first.flows, None, *second.flows],
        [*first.visible, None, *second.visible],
    )


def moving_object(shape: tuple[int, int], count: int) -> Clip:
    """A disc cut from a photo crosses a still background, OBJECT_STEP px a frame to the
    right: its pixels were OBJECT_STEP to the left; the background it uncovers was hidden."""
    height, width = shape
    background = photo("golden_gate.jpg", shape)[:height, :width]
    sprite = photo("dog.jpg", (2 * OBJECT_RADIUS, 2 * OBJECT_RADIUS))
    sprite = sprite[: 2 * OBJECT_RADIUS, : 2 * OBJECT_RADIUS]
    yy, xx = np.mgrid[: 2 * OBJECT_RADIUS, : 2 * OBJECT_RADIUS] - OBJECT_RADIUS + 0.5
    disc = xx**2 + yy**2 <= OBJECT_RADIUS**2
    top = height // 2 - OBJECT_RADIUS
    frames, masks = [], []
    for i in range(count):
        left = 40 + OBJECT_STEP * i
        frame = background.copy()
        mask = np.zeros((height, width), bool)
        window = (slice(top, top + 2 * OBJECT_RADIUS), slice(left, left + 2 * OBJECT_RADIUS))
        frame[window][disc] = sprite[disc]
        mask[window] = disc
        frames.append(frame)
        masks.append(mask)
    clip = Clip("object", frames, objects=masks)
    for before, after in itertools.pairwise(masks):
        flow = np.zeros((height, width, 2), np.float32)
        flow[after, 0] = -OBJECT_STEP
        clip.flows.append(flow)
        clip.visible.append(after | ~before)  # the object, and the background never hidden
    return clip


# --- measures ----------------------------------------------------------------------------


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    return cv2.remap(image, grid_x + flow[..., 0], grid_y + flow[..., 1], cv2.INTER_LINEAR)


def warping_errors(clip: Clip, frames: list[np.ndarray]) -> list[float]:
    """Per pair of frames (cuts left out): the mean over visible pixels of the squared
    difference, summed over channels in [0, 1], between a frame and its predecessor warped."""
    errors = []
    for index, (flow, visible) in enumerate(zip(clip.flows, clip.visible, strict=True), 1):
        if flow is None:
            continue
        before = frames[index - 1].astype(np.float32) / 255
        after = frames[index].astype(np.float32) / 255
        squared = ((after - warp(before, flow)) ** 2).sum(-1)
        errors.append(float(squared[visible].mean()))
    return errors


def changes(clip: Clip, frames: list[np.ndarray]) -> list[float]:
    """Per pair of frames: the mean absolute difference, in levels, over visible pixels,
    between a frame and its predecessor warped: how much painting alone moves each frame."""
    gaps = []
    for index, (flow, visible) in enumerate(zip(clip.flows, clip.visible, strict=True), 1):
        if flow is not None:
            moved = warp(frames[index - 1].astype(np.float32), flow)
            gaps.append(float(np.abs(frames[index] - moved)[visible].mean()))
    return gaps


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def trail_gaps(clip: Clip, steady: list[np.ndarray], alone: list[np.ndarray]) -> list[float]:
    """Steady against alone where the object was in the frame before and is no longer."""
    masks = clip.objects
    gaps = []
    for index in range(1, len(masks)):
        left = masks[index - 1] & ~masks[index]
        gaps.append(
            float(np.abs(steady[index][left].astype(np.float32) - alone[index][left]).mean())
        )
    return gaps


def write_strip(clip: Clip, out: dict[str, list[np.ndarray]], path: Path) -> None:
    """Five frames of the moving-object clip at 1:1, around the object and the ground it has
    just left: input, alone, steady, and their difference ×4."""

    def tile(image: np.ndarray, index: int) -> np.ndarray:
        rows, columns = np.nonzero(clip.objects[index])
        top = max(0, rows.min() - 30)
        left = max(0, columns.min() - 4 * OBJECT_STEP - 60)
        return np.ascontiguousarray(image[top : top + STRIP_TILE[0], left : left + STRIP_TILE[1]])

    def difference(index: int) -> np.ndarray:
        gap = np.abs(out["steady"][index].astype(np.int16) - out["alone"][index]) * 4
        return np.clip(gap, 0, 255).astype(np.uint8)

    rows = [
        [(f"input, frame {i}", tile(clip.frames[i], i)) for i in STRIP_FRAMES],
        [(f"painted alone, frame {i}", tile(out["alone"][i], i)) for i in STRIP_FRAMES],
        [(f"steady, frame {i}", tile(out["steady"][i], i)) for i in STRIP_FRAMES],
        [(f"|steady - alone| x4, frame {i}", tile(difference(i), i)) for i in STRIP_FRAMES],
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(rows).save(path)
    print(f"strip: {path}")


if __name__ == "__main__":
    main()
