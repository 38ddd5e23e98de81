"""The classic step in PyTorch on a GPU: a yardstick for what ``bench/gpu.py`` should see.

    python bench/gpu_reference.py [--sizes 512 1024 1536] [--steps 20]

Not this project's code path: the same arithmetic as one classic step (VGG19
up to ``block5_conv1`` with random weights, the 16 px margin, five Gram
matrices and a content layer under relative costs, the input's gradient,
Adam, pixels clipped to [0, 1]) written in PyTorch, for machines where a GPU
has PyTorch but not TensorFlow. Prints the median step in float32 (no
TensorFloat-32), TF32 and bfloat16 autocast, the rate for the step's
arithmetic, and the peak memory allocated. Says so and exits 0 without PyTorch
or a GPU.
"""

from __future__ import annotations

import argparse
import statistics
import time

STYLE = (1, 6, 11, 20, 29)
"""Indices of relu1_1 … relu5_1 in torchvision's VGG19 ``features``."""
CONTENT = 22
"""relu4_2."""
MARGIN = 32
"""Both sides of the 16 px mirrored margin."""
TFLOP_AT_544 = 0.448
"""One step's arithmetic at 512 px plus the margin (see bench/README.md), scaled by area."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[512, 1024, 1536])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    try:
        import torch
        import torchvision
    except ImportError:
        print("PyTorch or torchvision is not installed: skipped")
        return
    if not torch.cuda.is_available():
        print("no GPU found: skipped")
        return
    net = torchvision.models.vgg19().features[:30].cuda().eval().requires_grad_(False)

    def features(x: torch.Tensor) -> dict[int, torch.Tensor]:
        kept = {}
        for index, layer in enumerate(net):
            x = layer(x)
            if index in STYLE or index == CONTENT:
                kept[index] = x
        return kept

    def gram(f: torch.Tensor) -> torch.Tensor:
        flat = f.reshape(f.shape[1], -1)
        return flat @ flat.T / flat.shape[1]

    def relative(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return ((value.float() - target) ** 2).mean() / (target**2).mean()

    def step_ms(size: int, mode: str) -> tuple[float, float]:
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = mode == "tf32"
        side = size + MARGIN
        generator = torch.Generator(device="cuda").manual_seed(0)
        image = torch.rand(1, 3, side, side, device="cuda", generator=generator)
        style = torch.rand(1, 3, side, side, device="cuda", generator=generator)
        autocast = torch.autocast("cuda", torch.bfloat16, enabled=mode == "bf16")
        with autocast, torch.no_grad():
            targets = features(style)
            grams = {i: gram(targets[i]).float() for i in STYLE}
            content = targets[CONTENT].float()
        image.requires_grad_(True)
        adam = torch.optim.Adam([image], lr=0.02)
        torch.cuda.reset_peak_memory_stats()
        times = []
        for round_ in range(args.steps + 3):  # three warm-ups
            torch.cuda.synchronize()
            start = time.perf_counter()
            adam.zero_grad(set_to_none=True)
            with autocast:
                out = features(image)
                style_cost = sum(relative(gram(out[i]), grams[i]) for i in STYLE) / len(STYLE)
                cost = relative(out[CONTENT], content) + 10 * style_cost
            cost.backward()
            adam.step()
            with torch.no_grad():
                image.clamp_(0, 1)
            torch.cuda.synchronize()
            if round_ >= 3:
                times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000, torch.cuda.max_memory_allocated() / 2**30

    print(f"{torch.cuda.get_device_name()}, PyTorch {torch.__version__}")
    print("   size  mode     step        rate   peak memory")
    for size in args.sizes:
        tflop = TFLOP_AT_544 * ((size + MARGIN) / 544) ** 2
        for mode in ("fp32", "tf32", "bf16"):
            ms, peak = step_ms(size, mode)
            rate = tflop / (ms / 1000)
            print(f"  {size:5d}  {mode}  {ms:7.2f} ms  {rate:6.1f} TFLOP/s  {peak:6.2f} GiB")


if __name__ == "__main__":
    main()
