"""Classic mode does no wasted work: truncated VGG, cached style targets, previews only when due."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import tensorflow as tf

from nst.caching import LRUCache
from nst.classic import stylize
from nst.classic.backbone import BackboneSpec, load_backbone
from nst.classic.costs import Objective
from nst.classic.evaluator import CostEvaluator, get_evaluator
from nst.classic.optimisers import LBFGS, Adam
from nst.classic.precision import (
    bfloat16_gain,
    choose_precision,
    cpu_description,
    default_precision,
)
from nst.errors import ModelUnavailableError
from nst.events import Progress
from nst.settings import ClassicSettings
from tests.conftest import run_bench
from tests.test_classic import CONTENT, STYLE_A, STYLE_B, pattern


def run(styles, settings, **kwargs) -> list[Progress]:
    return [e for e in stylize(CONTENT, styles, settings, **kwargs) if isinstance(e, Progress)]


def op_counts(function) -> Counter:
    graph = function.get_concrete_function().graph
    return Counter(op.type for op in graph.get_operations())


def test_backbone_stops_at_the_deepest_layer_in_use():
    engine = get_evaluator()
    names = [layer.name for layer in engine.model.layers]
    assert names[-1] == "block5_conv1" and "block5_conv2" not in names
    # VGG19 up to block5_conv1: 2 + 2 + 4 + 4 + 1 convolutions of its 16.
    assert op_counts(engine.style_statistics)["Conv2D"] == 13
    assert op_counts(engine.costs_and_gradient)["Conv2D"] == 13
    deeper = load_backbone(engine.spec, Objective(content_layer="block5_conv2").layers)
    assert [layer.name for layer in deeper.layers][-1] == "block5_conv2"


def test_style_targets_are_computed_once_per_image_and_size():
    engine = get_evaluator()
    engine.gram_cache.clear()
    misses = engine.gram_cache.misses
    settings = ClassicSettings(size=64, iterations=2, multires=False)
    run([STYLE_A, STYLE_B], settings)
    assert (engine.gram_cache.misses - misses, len(engine.gram_cache)) == (2, 2)
    hits, misses = engine.gram_cache.hits, engine.gram_cache.misses
    run([STYLE_B], settings)
    run([STYLE_A], ClassicSettings(size=48, iterations=2, multires=False))
    assert engine.gram_cache.hits == hits + 1
    assert engine.gram_cache.misses == misses + 1


def test_cached_targets_give_the_same_image():
    engine = get_evaluator()
    settings = ClassicSettings(size=64, iterations=3, multires=False)
    engine.gram_cache.clear()
    cold = run([STYLE_A], settings)[-1].image
    warm = run([STYLE_A], settings)[-1].image
    assert engine.gram_cache.hits >= 1
    np.testing.assert_array_equal(cold, warm)


def test_the_cache_forgets_the_least_recently_used():
    cache: LRUCache[str] = LRUCache(capacity=2)
    for key in ("a", "b", "a", "c"):
        cache.get(key, lambda: "first")
    assert cache.get("a", lambda: "second") == "first"
    assert (cache.hits, cache.misses, len(cache)) == (2, 3, 2)
    assert cache.get("b", lambda: "again") == "again"
    assert cache.misses == 4


@pytest.mark.parametrize("optimiser", [Adam, LBFGS])
def test_previews_are_made_only_at_preview_steps(monkeypatch, optimiser):
    made = []
    original = optimiser.image

    def counting(self):
        made.append(1)
        return original(self)

    monkeypatch.setattr(optimiser, "image", counting)
    name = "adam" if optimiser is Adam else "lbfgs"
    events = run(
        [STYLE_A], ClassicSettings(size=64, iterations=20, preview_every=5, optimiser=name)
    )
    assert [e.step for e in events] == [5, 10, 15, 20]
    # One image per event, plus one per coarse-to-fine stage change.
    assert len(made) == len(events) + 1


def test_precision_follows_the_environment(monkeypatch):
    monkeypatch.setenv("NST_PRECISION", "float32")
    assert default_precision() == "float32"
    assert BackboneSpec("vgg19", "random").precision == "float32"
    monkeypatch.setenv("NST_PRECISION", "bfloat16")
    assert BackboneSpec.from_env().precision == "bfloat16"
    monkeypatch.setenv("NST_PRECISION", "auto")
    has_gpu = bool(tf.config.list_physical_devices("GPU"))
    assert default_precision() == choose_precision(has_gpu, cpu_description()[1])[0]
    monkeypatch.setenv("NST_PRECISION", "half")
    with pytest.raises(ModelUnavailableError, match="NST_PRECISION"):
        default_precision()


def test_auto_precision_is_bfloat16_where_the_cpu_has_it():
    assert choose_precision(False, frozenset({"avx512_bf16"}))[0] == "bfloat16"
    assert choose_precision(False, frozenset({"amx_bf16", "avx512_bf16"}))[0] == "bfloat16"
    # Arm: its flag alone does not tell whether TensorFlow's build uses it; a timing does.
    assert choose_precision(False, frozenset({"bf16"}))[0] == "float32"
    assert choose_precision(False, frozenset({"bf16"}), lambda: 1.6)[0] == "bfloat16"
    assert choose_precision(False, frozenset({"bf16"}), lambda: 0.9)[0] == "float32"
    assert choose_precision(False, frozenset())[0] == "float32"
    assert choose_precision(True, frozenset({"amx_bf16"}))[0] == "float32"
    model, flags = cpu_description()
    assert model and flags <= {"amx_bf16", "avx512_bf16", "bf16"}


def test_the_timing_compares_one_convolution_in_each_precision():
    gain = bfloat16_gain(repeats=2)
    assert 0.05 < gain < 20


def test_bfloat16_gradients_point_like_float32():
    image = tf.constant(pattern(48, 64, 5)[None] / 255, tf.float32)
    gradients = []
    for precision in ("float32", "bfloat16"):
        engine = CostEvaluator(BackboneSpec("vgg19", "random", precision))
        engine.model.set_weights(get_evaluator().model.get_weights())
        with tf.GradientTape() as tape:
            tape.watch(image)
            maps, content = engine.features(image)
            cost = tf.add_n([tf.reduce_mean(m) for m in maps]) + tf.reduce_mean(content)
        gradients.append(tape.gradient(cost, image).numpy().ravel())
    full, half = gradients
    assert full @ half / (np.linalg.norm(full) * np.linalg.norm(half)) > 0.98


@pytest.mark.slow
def test_benchmark_quick_mode_runs():
    """The side-by-side benchmark's smoke run (about 30 s of CPU on 2 cores)."""
    result = run_bench("classic.py", "--quick")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    flags = cpu_description()[1]
    auto = choose_precision(bool(tf.config.list_physical_devices("GPU")), flags)[0]
    assert f"NST_PRECISION=auto: {auto} " in result.stdout
    defaults = ClassicSettings()
    schedule = "coarse to fine" if defaults.multires else "1-res"
    ours = f"  {defaults.optimiser}, {schedule}, {default_precision()} "
    assert any(line.startswith(ours) for line in lines), result.stdout
    assert any(line.startswith("two_styles_step_cost_ratio=") for line in lines)
    assert lines[-1].startswith("classic_time_to_quality_ratio=")
    assert float(lines[-1].split("=")[1]) >= 0


@pytest.mark.slow
def test_gpu_benchmark_measures_or_says_it_skips():
    """bench/gpu.py skips in words without a GPU; --cpu runs the same measurement (about 20 s)."""

    def gpu_bench(*args: str) -> str:
        result = run_bench("gpu.py", "--sizes", "32", "--steps", "1", *args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    if not tf.config.list_physical_devices("GPU"):
        assert "no GPU found: skipped" in gpu_bench()
    rows = [line.split() for line in gpu_bench("--cpu").splitlines() if line.startswith("     32")]
    assert [row[1] for row in rows] == ["float32", "bfloat16"]
    assert all(float(row[2]) > 0 for row in rows)


def test_gpu_reference_measures_or_says_it_skips():
    """bench/gpu_reference.py (PyTorch) prints a table on a GPU, else one line saying why not."""
    result = run_bench("gpu_reference.py", "--sizes", "32", "--steps", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    if lines[-1].endswith("skipped"):
        assert len(lines) == 1
    else:
        assert [line.split()[1] for line in lines[2:]] == ["fp32", "tf32", "bf16"]
