"""Which precision classic mode computes in: bfloat16 where the CPU has bfloat16 instructions.

On a CPU with native bfloat16 dot products (Intel AMX, AVX-512 BF16 on Intel
and AMD, Arm's BF16 extension) oneDNN runs the VGG convolutions in bfloat16
about 2-3x faster than in float32, with a gradient that points the same way
(cosine > 0.98, tested). Without them bfloat16 is emulated and slower, so
float32 is kept. GPUs keep float32 (TensorFloat-32 on recent ones).
"""

from __future__ import annotations

import functools
import logging
import platform
from pathlib import Path

from nst import config
from nst.errors import ModelUnavailableError

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "float32", "bfloat16", "float64")
"""``float64`` is for exactness checks (tests), never fast."""
BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16", "bf16"})
"""/proc/cpuinfo flags of native bfloat16 arithmetic: x86 (AMX, AVX-512) and Arm (BF16)."""


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


def choose_precision(has_gpu: bool, bf16_flags: frozenset[str]) -> tuple[str, str]:
    """What ``auto`` means on a machine, and why."""
    if has_gpu:
        return "float32", "a GPU is present"
    if bf16_flags:
        return "bfloat16", f"the CPU has {', '.join(sorted(bf16_flags))}"
    return "float32", "the CPU has no bfloat16 instructions"


@functools.cache
def _auto(has_gpu: bool) -> str:
    model, flags = cpu_description()
    choice, why = choose_precision(has_gpu, flags)
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
