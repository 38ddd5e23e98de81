"""Which precision classic mode computes in: bfloat16 where the CPU has bfloat16 instructions.

On a CPU with native bfloat16 dot products (Intel AMX, AVX-512 BF16 on Intel
and AMD) oneDNN runs the VGG convolutions in bfloat16 1.6-3x faster than in
float32, with a gradient that points the same way (cosine > 0.98, tested).
Without them bfloat16 is emulated and slower, so float32 is kept. Arm's BF16
extension is used only if a one-off timing at start shows a gain, since it
depends on how TensorFlow was built. GPUs keep float32 (TensorFloat-32 on
recent ones).
"""

from __future__ import annotations

import functools
import logging
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from nst import config
from nst.errors import ModelUnavailableError

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "float32", "bfloat16", "float64")
"""``float64`` is for exactness checks (tests), never fast."""
X86_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
"""/proc/cpuinfo flags of native bfloat16 arithmetic that oneDNN uses on x86."""
ARM_BF16_FLAG = "bf16"
"""Arm's flag: whether TensorFlow's Arm build uses it depends on the build, so it is timed."""
BF16_FLAGS = X86_BF16_FLAGS | {ARM_BF16_FLAG}
PROBE_GAIN = 1.2
"""bfloat16 is chosen on a timed CPU when one convolution runs at least this much faster."""


@functools.cache
def cpu_description() -> tuple[str, frozenset[str]]:
    """This CPU's model name and its bfloat16 flags (Linux; elsewhere what Python knows)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine(), frozenset()
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in text.splitlines()
            if line.lower().startswith(("model name", "cpu model", "hardware"))
        ),
        platform.machine(),
    )
    return model, frozenset(text.split()) & BF16_FLAGS


def choose_precision(
    has_gpu: bool, bf16_flags: frozenset[str], probe: Callable[[], float] | None = None
) -> tuple[str, str]:
    """What ``auto`` means on a machine, and why.

    ``probe`` times bfloat16 against float32 (a speed-up factor); it is only
    called where the flags alone cannot tell (Arm).
    """
    if has_gpu:
        return "float32", "a GPU is present"
    if bf16_flags & X86_BF16_FLAGS:
        return "bfloat16", f"the CPU has {', '.join(sorted(bf16_flags))}"
    if bf16_flags and probe is not None:
        gain = probe()
        choice = "bfloat16" if gain >= PROBE_GAIN else "float32"
        return choice, f"the CPU has {ARM_BF16_FLAG} and bfloat16 ran {gain:.2f}x as fast"
    return "float32", "the CPU has no bfloat16 instructions"


def bfloat16_gain(repeats: int = 5) -> float:
    """How many times faster one VGG-sized convolution runs in bfloat16 than in float32.

    About a second, tracing included: cheap once per process, and only run where
    the CPU's flags cannot tell.
    """
    import tensorflow as tf

    def median_seconds(dtype: tf.DType) -> float:
        image = tf.random.stateless_normal([1, 64, 64, 256], seed=(1, 2), dtype=dtype)
        kernel = tf.random.stateless_normal([3, 3, 256, 256], seed=(3, 4), dtype=dtype)
        convolve = tf.function(lambda: tf.nn.conv2d(image, kernel, 1, "SAME"))
        convolve()  # traces
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            convolve().numpy()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    return median_seconds(tf.float32) / median_seconds(tf.bfloat16)


@functools.cache
def _auto(has_gpu: bool) -> str:
    model, flags = cpu_description()
    choice, why = choose_precision(has_gpu, flags, bfloat16_gain)
    log.info("classic mode computes in %s: %s (%s)", choice, why, model)
    return choice


def default_precision() -> str:
    """``NST_PRECISION`` (auto, float32, bfloat16 or float64), with auto resolved here.

    The choice for ``auto`` is logged once per process.
    """
    precision = config.PRECISION.text().lower()
    if precision not in PRECISIONS:
        raise ModelUnavailableError(
            f"Unknown precision {precision!r}: set NST_PRECISION to one of {', '.join(PRECISIONS)}."
        )
    if precision != "auto":
        return precision
    import tensorflow as tf

    return _auto(bool(tf.config.list_physical_devices("GPU")))
