"""Video: clips made here with PyAV, painted by a tiny numpy model (the real Magenta pair
where ../shared has it): what comes back, hostile clips, steadiness, Stop, the CLI."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from nst.errors import InputError, VideoError
from nst.events import Done, Failed, FrameProgress, Notice, Stopped
from nst.fast import FastModel
from nst.jobs import make_request
from nst.modes import make_job
from nst.scheduler import LINE, LocalLine, Scheduler
from nst.settings import VideoSettings
from nst.video import probe_clip
from nst.video.job import FINISHING_AHEAD, PREVIEW_EVERY, VideoJob
from nst.video.steady import Steadier, warp
from tests.conftest import REPO, SlotWatch

RATE = 12


class Flicker(FastModel):
    """Half the photo, half the style's mean colour, plus fresh blotches at every call: a
    network's flicker, exaggerated. Counts the looks it was asked to work out."""

    mixes_embeddings = True
    blend_note = ""

    def __init__(self, noise: float = 0.08) -> None:
        self.noise = noise
        self.rng = np.random.default_rng(0)
        self.looks = 0
        self.passes = 0

    def paint(self, content, styles, shares, strength):
        self.passes += 1
        colour = (
            sum(s * style.reshape(-1, 3).mean(0) for s, style in zip(shares, styles, strict=True))
            / 255
        )
        base = 0.5 * content / 255.0 + 0.5 * colour
        height, width = content.shape[:2]
        blobs = self.rng.normal(0.0, self.noise, (height // 16 + 2, width // 16 + 2, 3))
        texture = cv2.resize(blobs.astype(np.float32), (width, height))
        return np.clip(base + texture, 0.0, 1.0).astype(np.float32)

    def painter(self, styles, shares, strength, photo):
        self.looks += 1
        return super().painter(styles, shares, strength, photo)

    def painted_weight(self, strength: float) -> float:
        return strength


def texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth random picture with detail the optical flow can follow."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((height // 6 + 2, width // 6 + 2, 3)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(smooth * 255, 0, 255).astype(np.uint8)


def pan(count: int = 24, shape: tuple[int, int] = (64, 96), step: int = 2) -> list[np.ndarray]:
    """Frames of a camera panning right by ``step`` px a frame over a textured scene."""
    height, width = shape
    scene = texture(height, width + step * count)
    return [np.ascontiguousarray(scene[:, i * step : i * step + width]) for i in range(count)]


def write_clip(
    path: Path,
    frames: Sequence[np.ndarray],
    *,
    rate: int = RATE,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    pts: Sequence[int] | None = None,
    time_base: Fraction | None = None,
    audio_seconds: float = 0.0,
    rotation: int | None = None,
) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = pix_fmt
        if time_base is not None:
            stream.codec_context.time_base = time_base
        if rotation is not None:
            stream.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=8000) if audio_seconds else None
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            if pts is not None:
                frame.pts, frame.time_base = pts[index], time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
        if sound is not None:
            samples = 1024
            for start in range(0, int(audio_seconds * 8000), samples):
                tone = np.sin(np.arange(start, start + samples) / 3.0) * 0.2
                chunk = av.AudioFrame.from_ndarray(
                    tone[None].astype(np.float32), format="fltp", layout="mono"
                )
                chunk.sample_rate, chunk.pts = 8000, start
                out.mux(sound.encode(chunk))
            out.mux(sound.encode())
    return path


@pytest.fixture
def style(tmp_path: Path) -> Path:
    path = tmp_path / "style.png"
    cv2.imwrite(str(path), np.full((32, 32, 3), (40, 160, 220), np.uint8))
    return path


def run(request_or_job, cancel: threading.Event | None = None, model=None) -> list:
    job = (
        VideoJob(request_or_job, model or Flicker())
        if not hasattr(request_or_job, "run")
        else request_or_job
    )
    return list(LocalLine(Scheduler()).submit(job, cancel))


def paint(clip: Path, style: Path, model=None, **settings) -> list:
    request = make_request("video", clip, [style], VideoSettings(**settings))
    return run(request, model=model)


def decoded(data: bytes, tmp_path: Path) -> tuple[list[np.ndarray], list[float], dict]:
    """Frames (RGB), their times in seconds, and facts of an MP4 result."""
    path = tmp_path / "result.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        facts = {
            "format": container.format.name,
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "rate": stream.average_rate,
            "audio": [s.codec_context.name for s in container.streams.audio],
            "metadata": dict(container.metadata),
        }
        frames, times = [], []
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24"))
            times.append(float(frame.pts * frame.time_base))
    return frames, times, facts


def audio_packets(path: Path) -> list[tuple[float, bytes]]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return [(float(p.pts * p.time_base), bytes(p)) for p in container.demux(stream) if p.size]


# --- what comes back ---------------------------------------------------------------------


def test_a_clip_comes_back_as_a_browser_mp4_with_its_rate_length_and_sound(tmp_path, style):
    clip = write_clip(tmp_path / "in.mp4", pan(24), audio_seconds=2.0)
    events = paint(clip, style, size=96)
    done = events[-1]
    assert isinstance(done, Done), events[-1]
    frames, times, facts = decoded(done.result.data, tmp_path)
    assert done.result.suffix == ".mp4" and done.result.name == "dual-nst-video.mp4"
    assert facts["codec"] == "h264" and facts["pix_fmt"] == "yuv420p" and "mp4" in facts["format"]
    assert len(frames) == 24 and frames[0].shape == (64, 96, 3)
    assert facts["rate"] == RATE
    assert times == pytest.approx([i / RATE for i in range(24)], abs=1e-3)
    saved = json.loads(facts["metadata"]["comment"])  # every parameter, in the file
    assert saved["mode"] == "video" and saved["steady"] is True and saved["size"] == 96
    assert done.result.metadata == {**saved, **done.result.metadata}
    assert done.result.metadata["frames"] == 24 and done.result.metadata["frame_rate"] == RATE
    # The sound is the input's, packet for packet: copied, not encoded again.
    result = tmp_path / "result.mp4"
    assert facts["audio"] == ["aac"]
    assert audio_packets(result) == audio_packets(clip)


def test_progress_counts_frames_with_a_picture_every_few(tmp_path, style):
    clip = write_clip(tmp_path / "in.mp4", pan(24))
    events = paint(clip, style, size=96)
    frames = [e for e in events if isinstance(e, FrameProgress)]
    assert [e.frame for e in frames] == list(range(1, 25))
    assert all(e.frames == 24 for e in frames)
    with_picture = [e.frame for e in frames if e.image is not None]
    assert with_picture == [1, *range(PREVIEW_EVERY, 25, PREVIEW_EVERY)]
    assert frames[5].words().startswith("Frame 6 of 24")


def test_the_look_is_worked_out_once_per_clip_and_the_job_takes_the_one_slot(tmp_path, style):
    clip = write_clip(tmp_path / "in.mp4", pan(12))
    model = Flicker()
    scheduler = Scheduler()
    watch = SlotWatch(scheduler)
    request = make_request("video", clip, [style, style], VideoSettings(size=96))
    events = list(LocalLine(scheduler).submit(VideoJob(request, model)))
    assert isinstance(events[-1], Done)
    assert model.looks == 1
    assert watch.peak == 1 and [mode for mode, _ in watch.started] == ["video"]


def test_a_request_with_a_mask_gets_regions_at_the_upright_frame_size(tmp_path, style):
    clip = write_clip(tmp_path / "in.mp4", pan(4, (64, 96)), rotation=-90)
    mask = np.zeros((32, 32, 3), np.uint8)
    mask[:, :16] = 255
    request = make_request("video", clip, [style, style], VideoSettings(size=90), mask)
    assert request.regions.share.shape == (90, 60)  # upright, even sides
    model = Flicker()
    events = run(VideoJob(request, model))
    assert isinstance(events[-1], Done) and events[-1].image.shape == (90, 60, 3)
    assert model.looks == 3  # style 1, style 2 and their mix, once each


def test_the_job_is_made_from_the_request_through_the_modes(tmp_path, style):
    clip = write_clip(tmp_path / "in.mp4", pan(4))
    job = make_job(make_request("video", clip, [style], VideoSettings(size=96)))
    assert isinstance(job, VideoJob) and job.shape == (64, 96)


# --- hostile clips -----------------------------------------------------------------------


def failure(events: list) -> str:
    assert isinstance(events[-1], Failed), events[-1]
    assert isinstance(events[-1].error, VideoError)
    return events[-1].message


def submit(content, style: Path, **settings) -> list:
    request = make_request("video", content, [style], VideoSettings(**settings))
    return list(LocalLine(Scheduler()).submit(request))


def test_files_that_are_no_clip_are_refused_with_a_message(tmp_path, style):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all " * 50)
    assert "not a video" in failure(submit(text, style))
    assert "still image" in failure(submit(style, style))
    assert "empty" in failure(submit(b"", style))
    assert "No video file" in failure(submit(tmp_path / "missing.mp4", style))


def sound_packet(out) -> None:
    sound = out.add_stream("aac", rate=8000)
    chunk = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), "fltp", "mono")
    chunk.sample_rate, chunk.pts = 8000, 0
    out.mux(sound.encode(chunk))
    out.mux(sound.encode())


def test_a_clip_without_frames_is_refused(tmp_path, style):
    sound_only = tmp_path / "sound.mp4"
    with av.open(str(sound_only), "w") as out:
        sound_packet(out)
    assert "no video stream" in failure(submit(sound_only, style))
    silent_track = tmp_path / "track.mkv"
    with av.open(str(silent_track), "w") as out:
        stream = out.add_stream("libx264", rate=RATE)
        stream.width, stream.height = 64, 48
        sound_packet(out)
    assert "no frames" in failure(submit(silent_track, style))
    header_only = tmp_path / "header.mkv"
    with av.open(str(header_only), "w") as out:
        stream = out.add_stream("libx264", rate=RATE)
        stream.width, stream.height = 64, 48
        out.start_encoding()
    assert "ends before its first frame" in failure(submit(header_only, style))


def test_a_damaged_stream_paints_what_can_be_read_and_says_so(tmp_path, style):
    clip = write_clip(tmp_path / "in.ts", pan(24))  # MPEG-TS: every packet stands alone
    data = bytearray(clip.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 400] = bytes(range(200)) * 2
    events = paint(bytes(data), style, size=96)
    assert isinstance(events[-1], Done), events[-1]
    frames, _, _ = decoded(events[-1].result.data, tmp_path)
    assert 0 < len(frames) <= 24
    cut = clip.read_bytes()[: len(data) * 2 // 3]  # truncated: the end is missing
    events = paint(cut, style, size=96)
    assert isinstance(events[-1], Done), events[-1]
    assert 8 <= len(decoded(events[-1].result.data, tmp_path)[0]) < 24


def test_a_variable_frame_rate_keeps_every_frames_time(tmp_path, style):
    stamps = [0, 40, 80, 200, 230, 400, 600, 640, 900, 1000]
    clip = write_clip(tmp_path / "vfr.mkv", pan(10), pts=stamps, time_base=Fraction(1, 1000))
    events = paint(clip, style, size=96)
    assert isinstance(events[-1], Done)
    _, times, _ = decoded(events[-1].result.data, tmp_path)
    assert times == pytest.approx([s / 1000 for s in stamps], abs=2e-3)


def test_a_clip_that_starts_late_comes_back_starting_at_zero_with_its_sound(tmp_path, style):
    clip = write_clip(tmp_path / "in.ts", pan(24), audio_seconds=2.0)  # MPEG-TS starts at 1.4 s
    with av.open(str(clip)) as container:
        assert container.streams.video[0].start_time > 0
    events = paint(clip, style, size=96)
    _, times, _ = decoded(events[-1].result.data, tmp_path)
    assert times == pytest.approx([i / RATE for i in range(24)], abs=2e-3)
    sound = [data for _, data in audio_packets(tmp_path / "result.mp4")]
    adts = 7  # MPEG-TS frames each AAC packet with a header that MP4 keeps elsewhere
    assert sound == [data[adts:] for _, data in audio_packets(clip)]


def test_a_phone_clip_stored_sideways_is_painted_upright(tmp_path, style):
    frames = [np.zeros((64, 96, 3), np.uint8) for _ in range(4)]
    for frame in frames:
        frame[:16, :16] = 255  # the stored top-left corner
    clip = write_clip(tmp_path / "phone.mp4", frames, rotation=-90)  # 90° clockwise to view
    assert probe_clip(clip).upright == (96, 64)
    events = paint(clip, style, size=96, strength=0.0)  # strength 0: the photo itself
    image = decoded(events[-1].result.data, tmp_path)[0][-1]
    assert image.shape == (96, 64, 3)
    corners = {
        "top left": image[:12, :12],
        "top right": image[:12, -12:],
        "bottom left": image[-12:, :12],
    }
    bright = {name: float(corner.mean()) for name, corner in corners.items()}
    assert bright["top right"] > 200 and bright["top left"] < 50 and bright["bottom left"] < 50


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt", "shape", "painted"),
    [
        ("ten-bit.mp4", "libx264", "yuv420p10le", (64, 96), (64, 96)),
        ("odd.mkv", "ffv1", "yuv444p", (61, 97), (60, 96)),
    ],
)
def test_ten_bit_and_odd_sized_frames_come_back_right(
    tmp_path, style, name, codec, pix_fmt, shape, painted
):
    frames = [np.full((*shape, 3), (200, 120, 40), np.uint8) for _ in range(4)]
    clip = write_clip(tmp_path / name, frames, codec=codec, pix_fmt=pix_fmt)
    events = paint(clip, style, size=max(shape), strength=0.0)
    assert isinstance(events[-1], Done), events[-1]
    image = decoded(events[-1].result.data, tmp_path)[0][-1]
    assert image.shape == (*painted, 3)
    assert np.abs(image.reshape(-1, 3).mean(0) - (200, 120, 40)).max() < 6


def test_a_clip_over_the_caps_is_painted_up_to_them_and_says_so(tmp_path, style):
    clip = write_clip(tmp_path / "in.mp4", pan(24), audio_seconds=2.0)
    events = paint(clip, style, size=96, max_seconds=1.0)
    notes = [e.words() for e in events if isinstance(e, Notice)]
    assert any("first 12" in note and "1 s" in note for note in notes), notes
    frames = decoded(events[-1].result.data, tmp_path)[0]
    assert len(frames) == 12
    sound = audio_packets(tmp_path / "result.mp4")
    assert sound and sound[-1][0] < 1.0
    events = paint(clip, style, size=96, max_frames=5)
    assert len(decoded(events[-1].result.data, tmp_path)[0]) == 5


def test_caps_and_frame_sizes_are_refused_in_words(tmp_path, style, monkeypatch):
    with pytest.raises(InputError, match="max seconds must be between"):
        VideoSettings.from_values({"max_seconds": 30}, {"max_seconds": 20})
    tiny = write_clip(tmp_path / "tiny.mp4", [np.zeros((8, 12, 3), np.uint8)] * 2)
    assert "at least 16 pixels" in failure(submit(tiny, style))
    monkeypatch.setenv("NST_MAX_PIXELS", "1000")
    big = write_clip(tmp_path / "big.mp4", pan(2))
    assert "megapixels" in failure(submit(big, style))


# --- steadiness --------------------------------------------------------------------------


def warping_error(frames: list[np.ndarray], step: int) -> float:
    """Mean squared difference between each frame and the previous one moved by the known
    pan (the columns that stay in view), as Lai et al. (2018) measure it with flow."""
    errors = []
    flow = np.zeros((*frames[0].shape[:2], 2), np.float32)
    flow[..., 0] = step
    for before, after in itertools.pairwise(frames):
        moved = warp(before.astype(np.float32), flow)
        inside = slice(0, after.shape[1] - step)
        errors.append(np.mean((after[:, inside] - moved[:, inside]) ** 2))
    return float(np.mean(errors))


@pytest.mark.parametrize("every", [1, 3])
def test_steady_frames_follow_the_motion_instead_of_flickering(tmp_path, style, every):
    clip = write_clip(tmp_path / "in.mp4", pan(24, step=2))
    runs = {}
    for steady in (True, False):
        events = paint(clip, style, size=96, steady=steady, paint_every=every)
        runs[steady] = [f.astype(np.float32) for f in decoded(events[-1].result.data, tmp_path)[0]]
    steady, alone = warping_error(runs[True], 2), warping_error(runs[False], 2)
    assert steady < 0.5 * alone, (steady, alone)
    # Not frozen: each steady frame is nearer its own painting than paintings of neighbouring
    # frames are to each other, the motion taken out.
    gap = np.mean([np.abs(s - a).mean() for s, a in zip(runs[True], runs[False], strict=True)])
    flicker = np.mean(
        [
            np.abs(after[:, :-2] - before[:, 2:]).mean()
            for before, after in itertools.pairwise(runs[False])
        ]
    )
    assert gap < flicker, (gap, flicker)


@pytest.mark.parametrize("every", [1, 4])
def test_the_network_paints_every_nth_frame_and_those_between_follow(tmp_path, style, every):
    clip = write_clip(tmp_path / "in.mp4", pan(14))
    model = Flicker(noise=0.02)
    events = paint(clip, style, model=model, size=96, paint_every=every)
    frames = decoded(events[-1].result.data, tmp_path)[0]
    assert len(frames) == 14
    assert model.passes == (14 if every == 1 else 5)  # frames 0, 4, 8, 12 and the last


def test_a_frame_between_keys_that_cannot_be_followed_is_painted_too(tmp_path, style):
    # a new scene at every frame: no frame between two keys can be made from them
    frames = [texture(64, 96, seed=i) for i in range(9)]
    model = Flicker(noise=0.02)
    events = paint(write_clip(tmp_path / "in.mp4", frames), style, model=model, size=96)
    assert len(decoded(events[-1].result.data, tmp_path)[0]) == 9
    assert model.passes == 9


def test_a_scene_cut_is_painted_fresh():
    steadier = Steadier()
    rng = np.random.default_rng(1)
    frames = pan(8, (64, 96)) + [255 - f[::-1] for f in pan(4, (64, 96), step=1)]
    outputs, paintings = [], []
    for frame in frames:
        paintings.append(rng.random(frame.shape).astype(np.float32))
        outputs.append(steadier(paintings[-1], frame))
    assert steadier.cuts == 1
    assert np.array_equal(outputs[0], paintings[0]) and np.array_equal(outputs[8], paintings[8])
    assert all(not np.array_equal(outputs[i], paintings[i]) for i in (1, 7, 9))


@pytest.mark.parametrize("every", [1, 4])
def test_a_moving_object_leaves_no_ghost(tmp_path, style, every):
    """Where the box just was, the steady frame is background, as the frame painted alone
    is: a trail of the white box there differs from it by 26 to 39 levels."""
    background = texture(64, 96, seed=3)
    frames, boxes = [], []
    for i in range(12):
        frame = background.copy()
        left = 10 + 5 * i
        frame[20:44, left : left + 20] = (250, 250, 250)
        frames.append(frame)
        boxes.append(left)
    clip = write_clip(tmp_path / "object.mp4", frames)
    runs = {}
    for steady in (True, False):
        model = Flicker(noise=0.02)
        events = paint(clip, style, model=model, size=96, steady=steady, paint_every=every)
        runs[steady] = decoded(events[-1].result.data, tmp_path)[0]
    for i in range(1, 12):
        uncovered = (slice(22, 42), slice(boxes[i - 1], boxes[i]))  # where the box just was
        ghost = np.abs(runs[True][i][uncovered].astype(float) - runs[False][i][uncovered])
        assert ghost.mean() < (12 if every == 1 else 18), (i, ghost.mean())


# --- Stop ----------------------------------------------------------------------------------


def test_stop_delivers_the_frames_painted_so_far_as_a_shorter_clip(tmp_path, style):
    clip = write_clip(tmp_path / "in.mp4", pan(24), audio_seconds=2.0)
    cancel = threading.Event()
    request = make_request("video", clip, [style], VideoSettings(size=96))
    events = []
    for event in LocalLine(Scheduler()).submit(VideoJob(request, Flicker()), cancel):
        events.append(event)
        if isinstance(event, FrameProgress) and event.frame == 6:
            cancel.set()
    stopped = events[-1]
    assert isinstance(stopped, Stopped) and stopped.result is not None
    # the frames already painted when Stop came (those between two keys come together, and a
    # few may wait to be encoded) are kept
    kept = stopped.result.metadata["frames"]
    assert 6 <= kept <= 6 + VideoSettings().paint_every + FINISHING_AHEAD < 24
    assert f"frame {kept} of 24" in stopped.words()
    frames, _, facts = decoded(stopped.result.data, tmp_path)
    assert len(frames) == kept and facts["rate"] == RATE
    assert stopped.result.metadata["stopped_at"] == {"frame": kept}
    sound = audio_packets(tmp_path / "result.mp4")
    assert sound and sound[-1][0] < kept / RATE


def test_a_job_stopped_before_its_first_frame_has_no_result(tmp_path, style):
    clip = write_clip(tmp_path / "in.mp4", pan(4))
    cancel = threading.Event()
    cancel.set()
    events = run(make_request("video", clip, [style], VideoSettings(size=96)), cancel)
    assert isinstance(events[-1], Stopped) and events[-1].result is None


def test_temp_files_are_removed_when_the_job_ends(tmp_path, style, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    clip = write_clip(tmp_path / "in.mp4", pan(6))
    events = paint(clip, style, size=96)
    assert isinstance(events[-1], Done)
    assert list((tmp_path / "tmp").iterdir()) == []


# --- the real model and the CLI -------------------------------------------------------------


def nst(*args: str, cwd: Path, magenta: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NST_FAST_MODEL": str(magenta)}
    return subprocess.Popen(
        [sys.executable, "-m", "nst", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_styles_through_the_processs_line_with_the_real_model(
    tmp_path, magenta_dir, shared_image, monkeypatch
):
    monkeypatch.setenv("NST_FAST_MODEL", str(magenta_dir))
    clip = write_clip(tmp_path / "in.mp4", pan(6, (72, 128)))
    styles = [shared_image("styles/starry_night.jpg"), shared_image("styles/great_wave.jpg")]
    request = make_request("video", clip, styles, VideoSettings(size=128, brush_size=2.0))
    events = list(LINE.submit(request))
    assert isinstance(events[-1], Done), events[-1]
    frames, _, _ = decoded(events[-1].result.data, tmp_path)
    assert len(frames) == 6 and frames[0].shape == (72, 128, 3)
    assert np.abs(frames[3].astype(float) - pan(6, (72, 128))[3]).mean() > 10


def test_the_cli_paints_a_clip_found_by_reading_it(tmp_path, magenta_dir, style):
    clip = write_clip(tmp_path / "holiday.mp4", pan(6), audio_seconds=0.5)
    clip = clip.rename(tmp_path / "holiday.jpg")  # a misleading name: the file is read
    out = tmp_path / "out.mp4"
    args = [str(clip), "--fast", "--style", str(style), "--size", "96", "--brush-size", "2"]
    done = nst(*args, "--no-steady", "-o", str(out), cwd=tmp_path, magenta=magenta_dir)
    stdout, stderr = done.communicate(timeout=300)
    assert done.returncode == 0, stderr
    assert "Frame 6 of 6" in stdout and f"saved {out}" in stdout
    frames, _, facts = decoded(out.read_bytes(), tmp_path)
    assert len(frames) == 6 and facts["audio"] == ["aac"]
    assert json.loads(facts["metadata"]["comment"])["steady"] is False  # --no-steady
    refused = nst(*args, "-o", str(tmp_path / "out.png"), cwd=tmp_path, magenta=magenta_dir)
    assert refused.wait(timeout=120) == 2 and ".mp4" in refused.stderr.read()
    no_fast = nst(
        str(clip), "--style", str(style), "-o", str(out), cwd=tmp_path, magenta=magenta_dir
    )
    assert no_fast.wait(timeout=120) == 2 and "--fast" in no_fast.stderr.read()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\0" * 2000)
    damaged = nst(str(broken), *args[1:], "-o", str(out), cwd=tmp_path, magenta=magenta_dir)
    _, stderr = damaged.communicate(timeout=120)
    assert damaged.returncode == 2 and "not a video" in stderr and "Traceback" not in stderr


def test_ctrl_c_in_the_cli_saves_the_shorter_clip(tmp_path, magenta_dir, style):
    clip = write_clip(tmp_path / "in.mp4", pan(60))
    out = tmp_path / "out.mp4"
    args = [str(clip), "--fast", "--style", str(style), "--size", "96", "--brush-size", "2"]
    args += ["-o", str(out)]
    job = nst(*args, cwd=tmp_path, magenta=magenta_dir)
    for line in job.stdout:
        if line.startswith("Frame "):
            job.send_signal(signal.SIGINT)
            break
    _, stderr = job.communicate(timeout=300)
    assert job.returncode == 130, stderr
    assert "stopped" in stderr and "Traceback" not in stderr
    frames, _, _ = decoded(out.read_bytes(), tmp_path)
    assert 1 <= len(frames) < 60
