"""Classic mode's step on a GPU: seconds and peak memory at 512, 1024 and 1536 px.

    python bench/gpu.py [--sizes 512 1024 1536] [--steps 10] [--backbone vgg19]
    python bench/gpu.py --cpu --sizes 64 --steps 2     # smoke run of the same code on the CPU

Where TensorFlow sees a GPU, each size runs one Adam step of our engine (one
style, the default costs, square images) in float32, what ``NST_PRECISION=auto``
picks on a GPU (TensorFloat-32 convolutions on Ampere and newer), and in
bfloat16, the two taking turns step by step. Printed per size and precision:
the median step, the achieved TFLOP/s for the step's arithmetic counted from
the network's layers, the peak memory TensorFlow allocated on the GPU during
a step and, beside it, the activations the backward pass keeps by that count.
The weights are random (``--weights`` to change): the speed of a step does not
depend on them. Without a GPU it says so and exits 0 with nothing measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nst.classic.backbone import BACKBONES, BackboneSpec  # noqa: E402
from nst.classic.costs import MARGIN  # noqa: E402
from nst.classic.evaluator import CostEvaluator, get_evaluator  # noqa: E402
from nst.classic.optimisers import optimiser_for  # noqa: E402
from nst.settings import ClassicSettings  # noqa: E402

PRECISIONS = ("float32", "bfloat16")
BYTES = {"float32": 4, "bfloat16": 2}
DEFAULTS = ClassicSettings()


def step_flops(engine: CostEvaluator, size: int) -> tuple[float, float]:
    """Arithmetic of one step on a ``size``² image, and the activation values the backward keeps.

    Each convolution costs 2·H·W·k²·Cin·Cout forward and as much again for
    the gradient with respect to its input (no weight gradients are needed).
    Each style layer's Gram costs 2·H·W·C² forward and as much backward. The
    image carries the mirrored margin on every side, as in the engine.
    """
    side = size + 2 * MARGIN
    flops = kept = 0.0
    for layer in engine.model.layers:
        if isinstance(layer, keras.layers.MaxPooling2D):
            side //= 2
        elif isinstance(layer, keras.layers.Conv2D):
            height, width, cin, cout = *layer.kernel.shape[:2], *layer.kernel.shape[2:]
            flops += 2 * 2 * side * side * height * width * cin * cout
            if layer.name in engine.objective.style_layers:
                flops += 2 * 2 * side * side * cout * cout
        else:
            continue
        kept += side * side * layer.output.shape[-1]
    return flops, kept


def memory(device: str) -> dict[str, int]:
    return tf.config.experimental.get_memory_info(device) if device.startswith("GPU") else {}


def measure(size: int, steps: int, spec_of: dict[str, BackboneSpec], device: str) -> None:
    """Seconds per step and peak memory at ``size`` for each precision, taking turns."""
    rng = np.random.default_rng(size)
    photo = rng.random((size, size, 3), dtype=np.float32)
    style = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    engines: dict[str, CostEvaluator] = {}
    times: dict[str, list[float]] = {p: [] for p in spec_of}
    peaks: dict[str, int] = dict.fromkeys(spec_of, 0)
    for precision, spec in spec_of.items():
        engine = engines[precision] = get_evaluator(spec)
        engine.set_targets(photo, [engine.style_targets_for(style, size)], DEFAULTS.cost_weights())
        optimiser_for(engine, "adam").start(photo, DEFAULTS.learning_rate)
    for round_ in range(steps + 2):  # the first two trace and tune the kernels
        for precision, engine in engines.items():
            optimiser = optimiser_for(engine, "adam")
            if device.startswith("GPU"):
                tf.config.experimental.reset_memory_stats(device)
            start = time.perf_counter()
            optimiser.step()  # returns the costs as numbers: the device has finished
            if round_ >= 2:
                times[precision].append(time.perf_counter() - start)
                peaks[precision] = max(peaks[precision], memory(device).get("peak", 0))
    for precision, engine in engines.items():
        flops, kept = step_flops(engine, size)
        seconds = statistics.median(times[precision])
        peak = f"{peaks[precision] / 2**30:7.2f} GiB" if peaks[precision] else "    n/a    "
        print(
            f"  {size:5d}  {precision:8s}  {seconds * 1000:9.1f} ms  {flops / 1e12:6.3f} TFLOP  "
            f"{flops / seconds / 1e12:7.1f} TFLOP/s  peak {peak}  "
            f"activations {kept * BYTES[precision] / 2**30:5.2f} GiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", type=int, default=[512, 1024, 1536])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per precision")
    parser.add_argument("--backbone", choices=sorted(BACKBONES), default="vgg19")
    parser.add_argument("--weights", default="random", help="weights file, imagenet or random")
    parser.add_argument("--cpu", action="store_true", help="measure on the CPU (a smoke run)")
    args = parser.parse_args()
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus and not args.cpu:
        print("no GPU found: skipped (TensorFlow sees no GPU; --cpu runs the same on the CPU)")
        return
    device = "CPU:0" if args.cpu else "GPU:0"
    if gpus and not args.cpu:
        details = tf.config.experimental.get_device_details(gpus[0])
        tf32 = tf.config.experimental.tensor_float_32_execution_enabled()
        print(
            f"GPU: {details.get('device_name', gpus[0].name)}, compute capability "
            f"{details.get('compute_capability', '?')}; TensorFloat-32 "
            f"{'on' if tf32 else 'off'}; TensorFlow {tf.__version__}"
        )
    specs = {p: BackboneSpec(args.backbone, args.weights, p) for p in PRECISIONS}
    print(f"{args.backbone}, one style, Adam, {args.steps} steps each, taking turns; on {device}")
    print("   size  precision      step       arithmetic    achieved      memory")
    with tf.device(device):
        for size in args.sizes:
            try:
                measure(size, args.steps, specs, device)
            except tf.errors.ResourceExhaustedError:
                print(f"  {size:5d}  out of memory")


if __name__ == "__main__":
    main()
