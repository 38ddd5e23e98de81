"""Classic mode on a random-weight VGG at 64 px: costs, blending, cancelling, tracing."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
import tensorflow as tf

from nst.classic import stylize
from nst.classic.backbone import BackboneSpec
from nst.classic.evaluator import get_evaluator
from nst.classic.optimisers import optimiser_for
from nst.classic.stages import Stage, StageClock, plan_stages
from nst.colors import in_palette
from nst.errors import InputError
from nst.events import Progress, Queued
from nst.scheduler import Scheduler
from nst.settings import ClassicSettings
from tests.conftest import SHARED_VGG16, SlotWatch, need

SMALL = ClassicSettings(size=64, iterations=20, preview_every=5)


def pattern(height: int, width: int, seed: int) -> np.ndarray:
    """A smooth random colour field: image-like, unlike white noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((4, 4, 3)).astype(np.float32)
    smooth = tf.image.resize(coarse[None], (height, width), method="bicubic")[0].numpy()
    detail = rng.random((height, width, 3)) * 0.2
    return np.clip((smooth * 0.8 + detail) * 255, 0, 255).astype(np.uint8)


CONTENT = pattern(60, 90, 0)
STYLE_A = pattern(64, 64, 1)
STYLE_B = pattern(80, 48, 2)


def run(content=CONTENT, styles=(STYLE_A,), settings=SMALL, **kwargs) -> list[Progress]:
    return [
        e for e in stylize(content, list(styles), settings, **kwargs) if isinstance(e, Progress)
    ]


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.float32) - b.astype(np.float32))))


def test_total_cost_falls_and_aspect_ratio_is_kept():
    events = run()
    assert events[0].costs.total > events[-1].costs.total
    assert [e.step for e in events] == [5, 10, 15, 20]
    assert events[-1].state == "done"
    assert events[-1].image.shape == (43, 64, 3) and events[-1].image.dtype == np.uint8
    assert events[-1].iterations_per_second > 0 and events[-1].elapsed > 0


def test_style_weight_zero_stays_near_content_and_content_weight_zero_drifts():
    resized = run(settings=ClassicSettings(size=90, iterations=1, learning_rate=1e-6))[-1].image
    no_style = run(
        settings=ClassicSettings(size=90, iterations=20, style_weight=0.0, tv_weight=0.0)
    )[-1].image
    no_content = run(
        settings=ClassicSettings(size=90, iterations=20, content_weight=0.0, tv_weight=0.0)
    )[-1]
    assert diff(no_style, resized) < 3.0
    assert diff(no_content.image, resized) > 3 * max(diff(no_style, resized), 1.0)


def test_blended_gram_target_has_the_gradient_of_two_style_terms():
    """The style layers' Grams and the colour statistics alike."""
    from nst.classic.costs import colour_cost, gram_matrix, relative_mse, with_one

    engine = get_evaluator(BackboneSpec("vgg19", "random", "float32"))  # no bfloat16 noise
    image = tf.Variable(CONTENT[None].astype(np.float32) / 255)
    style_grams = [
        engine.style_statistics(tf.constant(s[None] / 255, tf.float32)) for s in (STYLE_A, STYLE_B)
    ]
    weights = (0.7, 0.3)
    blended = [weights[0] * a + weights[1] * b for a, b in zip(*style_grams, strict=True)]

    def gradient(cost_of_grams) -> np.ndarray:
        with tf.GradientTape() as tape:
            maps, _ = engine.features(image)
            cost = cost_of_grams([gram_matrix(f) for f in (*maps, with_one(image))])
        return tape.gradient(cost, image).numpy()

    def style_cost(grams, targets):  # each relative to the blend, as the engine measures
        measures = [relative_mse] * (len(grams) - 1) + [colour_cost]
        pairs = zip(measures, grams, targets, blended, strict=True)
        return tf.add_n([measure(g, t, scale) for measure, g, t, scale in pairs])

    one_term = gradient(lambda g: style_cost(g, blended))
    two_terms = gradient(
        lambda g: (
            weights[0] * style_cost(g, style_grams[0]) + weights[1] * style_cost(g, style_grams[1])
        )
    )
    assert np.abs(one_term).max() > 0
    # Equal up to float32 rounding: compare whole gradients, not single pixels.
    assert np.linalg.norm(one_term - two_terms) < 1e-3 * np.linalg.norm(two_terms)


def test_a_style_mix_of_one_equals_the_first_style_alone():
    alone = run(styles=[STYLE_A])[-1].image
    mixed = run(styles=[STYLE_A, STYLE_B], settings=replace(SMALL, style_mix=1.0))[-1].image
    blend = run(styles=[STYLE_A, STYLE_B])[-1].image
    np.testing.assert_array_equal(alone, mixed)
    assert diff(alone, blend) > 0.5


def test_cancel_stops_within_one_step_and_keeps_the_last_image():
    cancel = threading.Event()
    events = []
    for event in stylize(
        CONTENT, [STYLE_A], ClassicSettings(size=64, iterations=200, preview_every=5), cancel=cancel
    ):
        if isinstance(event, Progress):
            events.append(event)
            if event.step == 5:
                cancel.set()
    assert [e.state for e in events] == ["running", "stopped"]
    assert events[-1].step == 5
    assert events[-1].image.shape == (43, 64, 3)
    assert run()[-1].state == "done"


@pytest.mark.parametrize("optimiser", ["adam", "lbfgs"])
def test_one_trace_for_three_sizes_masks_or_not_and_no_growth_over_twenty_jobs(optimiser):
    engine = get_evaluator()
    half = np.zeros((60, 90), np.uint8)
    half[:, :45] = 255
    for size, mask in ((40, None), (64, half), (80, None), (72, half)):
        settings = ClassicSettings(size=size, iterations=2, preview_every=1, optimiser=optimiser)
        run(styles=[STYLE_A, STYLE_B], settings=settings, mask=mask)
    traces = engine.traces()
    variables = len(engine.model.variables) + len(vars(engine))
    assert traces == 1 and optimiser_for(engine, "adam").traces() <= 1
    for seed in range(20):
        run(
            content=pattern(48 + seed, 64, seed),
            settings=ClassicSettings(size=48 + seed, iterations=1, optimiser=optimiser),
        )
    assert engine.traces() == traces
    assert engine.style_statistics.experimental_get_tracing_count() == 1
    assert engine.content_features.experimental_get_tracing_count() == 1
    assert len(engine.model.variables) + len(vars(engine)) == variables


def test_two_threads_never_run_at_once_and_the_second_sees_its_position():
    scheduler = Scheduler()
    watch = SlotWatch(scheduler)
    first_started = threading.Event()
    release_first = threading.Event()
    seen: list[object] = []

    def first():
        for _event in stylize(
            CONTENT,
            [STYLE_A],
            ClassicSettings(size=48, iterations=6, preview_every=1),
            scheduler=scheduler,
        ):
            first_started.set()
            release_first.wait(30)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_started.wait(60)
    second = stylize(
        CONTENT, [STYLE_A], ClassicSettings(size=48, iterations=2), scheduler=scheduler
    )
    seen.append(next(second))
    release_first.set()
    seen.extend(second)
    thread.join(60)
    assert seen[0] == Queued(position=1)
    assert isinstance(seen[-1], Progress) and seen[-1].state == "done"
    assert watch.peak == 1 and len(watch.started) == 2


def test_closing_the_generator_frees_the_slot():
    scheduler = Scheduler()
    job = stylize(
        CONTENT,
        [STYLE_A],
        ClassicSettings(size=48, iterations=50, preview_every=1),
        scheduler=scheduler,
    )
    next(job)
    job.close()
    with scheduler.ticket() as ticket:
        assert ticket.position == 0 and ticket.wait(1)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"iterations": 0}, "iterations"),
        ({"content_weight": float("nan")}, "finite"),
        ({"style_weight": -1.0}, "style weight"),
        ({"size": float("inf")}, "finite"),
        ({"learning_rate": 5.0}, "learning rate"),
        ({"style_mix": 1.5}, "style mix"),
        ({"multires": "yes"}, "multires must be true or false"),
        ({"init": "/no/such/file.png"}, "No image file"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(change, words):
    with pytest.raises(InputError, match=words):
        stylize(CONTENT, [STYLE_A, STYLE_B], replace(SMALL, **change))


def test_three_styles_are_refused():
    with pytest.raises(InputError, match="one or two style images"):
        stylize(CONTENT, [STYLE_A, STYLE_B, STYLE_A], SMALL)


def test_noise_init_is_seeded():
    settings = ClassicSettings(size=48, iterations=2, init="noise", seed=3)
    first, again = run(settings=settings)[-1].image, run(settings=settings)[-1].image
    other = run(settings=ClassicSettings(size=48, iterations=2, init="noise", seed=4))[-1].image
    np.testing.assert_array_equal(first, again)
    assert diff(first, other) > 10


def test_a_palette_start_is_the_photo_in_the_paintings_colours():
    settings = ClassicSettings(size=90, iterations=1, learning_rate=1e-6, init="palette")
    start = run(settings=settings)[-1].image
    expected = in_palette(CONTENT, [STYLE_A], [1.0])
    assert diff(start, expected) < 1.0 < diff(start, CONTENT)


def test_coarse_to_fine_plan_spends_most_steps_small():
    stages = plan_stages(512, 300, multires=True)
    assert [s.size for s in stages] == [128, 256, 512]
    assert sum(s.iterations for s in stages) == 300
    assert stages[-1].iterations >= 100
    assert plan_stages(512, 300, multires=False) == [Stage(512, 300)]
    assert plan_stages(64, 300, multires=True) == [Stage(64, 300)]


def test_real_vgg16_weights_move_the_image_toward_the_style(shared_image):
    weights = need(SHARED_VGG16)
    content = shared_image("content/tubingen.jpg")
    style = shared_image("styles/starry_night.jpg")
    spec = BackboneSpec("vgg16", str(weights))
    events = run(
        content, [style], ClassicSettings(size=96, iterations=30, preview_every=10), backbone=spec
    )
    assert events[-1].costs.style < 0.5 * events[0].costs.style
    from nst.images import fit_longest_side, load_image

    photo = fit_longest_side(load_image(content), 96).astype(np.float32)
    painting = load_image(style).astype(np.float32)
    result = events[-1].image.astype(np.float32)

    # Starry Night is blue: the result's colour balance moves from the photo's toward it.
    def blueness(image):
        return image[..., 2].mean() - image[..., 0].mean()

    assert blueness(painting) > blueness(photo)
    assert blueness(result) > blueness(photo) + 3


def test_coarse_stages_keep_a_thin_image_above_the_smallest_size():
    assert [s.size for s in plan_stages(512, 300, multires=True, smallest=160)] == [256, 512]
    assert [s.size for s in plan_stages(256, 300, multires=True, smallest=160)] == [256]


def test_a_job_stopped_in_a_coarse_stage_delivers_the_size_asked_for():
    cancel = threading.Event()
    settings = ClassicSettings(size=256, iterations=20, preview_every=1, multires=True)
    events = []
    for event in stylize(CONTENT, [STYLE_A], settings, cancel=cancel):
        if isinstance(event, Progress):
            events.append(event)
            cancel.set()
    running, stopped = events
    assert (running.stage, running.stage_count, running.stage_size) == (1, 2, 128)
    assert running.image.shape == (85, 128, 3)  # previews come at the stage's size
    assert stopped.state == "stopped" and stopped.image.shape == (171, 256, 3)
    assert stopped.facts()["stopped_at"] == {"step": 1, "stage": 1, "stages": 2, "stage_size": 128}


def test_the_time_left_comes_from_the_work_left():
    stages = [Stage(128, 10), Stage(256, 10)]
    clock = StageClock(stages, [128 * 96, 256 * 192])
    assert clock.seconds_left(0, 0) == float("inf")
    for _ in range(3):
        clock.record(0, 0.1)
    # 7 more small steps, then 10 steps of four times the pixels.
    assert clock.seconds_left(0, 3) == pytest.approx(0.7 + 10 * 0.4)
    clock.record(1, 0.5)
    assert clock.seconds_left(1, 1) == pytest.approx(9 * 0.5)


def test_the_estimate_holds_once_a_tenth_of_the_job_is_done():
    """Each estimate after a tenth of the steps, against when the job really ended."""
    settings = ClassicSettings(size=96, iterations=60, preview_every=3)
    events = run(settings=settings)
    finish = events[-1].elapsed
    errors = [abs(e.elapsed + e.eta - finish) / finish for e in events[:-1] if e.step >= 6]
    assert np.median(errors) < 0.25
