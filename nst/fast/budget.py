"""Will a fast job fit in memory? An estimate, checked before the network runs.

Measured with the TFLite transfer network: its interpreter holds about 1.35 KB per
pixel of its padded input (0.14 GB at the default brush, 1.1 GB at brush 0.5), and
the output needs about 18 bytes per pixel (the photo, the painting and the detail
layer at full size, the result). The runtime and the models are loaded already
and are not counted. A job that would not fit is refused with a message rather
than left to the kernel's out-of-memory killer.
"""

from __future__ import annotations

from pathlib import Path

from nst.errors import InputError

NETWORK_BYTES_PER_PIXEL = 1350
OUTPUT_BYTES_PER_PIXEL = 18
MEMINFO = Path("/proc/meminfo")
CGROUP = Path("/sys/fs/cgroup")


def bytes_needed(network_pixels: int, output: tuple[int, int]) -> int:
    """Estimated memory of a job whose network inputs have ``network_pixels`` pixels in all
    and whose output has this (height, width)."""
    return NETWORK_BYTES_PER_PIXEL * network_pixels + OUTPUT_BYTES_PER_PIXEL * output[0] * output[1]


def available_bytes(meminfo: Path = MEMINFO, cgroup: Path = CGROUP) -> int | None:
    """Memory this process can still take: the kernel's ``MemAvailable``, lowered to the
    headroom under a container's cgroup (v2) limit; None where neither can be read."""
    found = [
        amount
        for amount in (_meminfo_available(meminfo), _cgroup_headroom(cgroup))
        if amount is not None
    ]
    return min(found) if found else None


def check_memory(
    network_pixels: int, output: tuple[int, int], brush_size: float, available: int | None
) -> None:
    """Refuse a job that needs more than ``available`` bytes, saying what to change."""
    needed = bytes_needed(network_pixels, output)
    if available is not None and needed > available:
        height, width = output
        raise InputError(
            f"A {width}×{height} result at brush size {brush_size:g} needs about "
            f"{_amount(needed)} of memory; {_amount(available)} is free. "
            "Choose a smaller size or a larger brush size."
        )


def _meminfo_available(meminfo: Path) -> int | None:
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_headroom(cgroup: Path) -> int | None:
    """``memory.max`` minus what the group uses, counting reclaimable file cache as free."""
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        if limit == "max":
            return None
        used = int((cgroup / "memory.current").read_text())
        stat = dict(line.split() for line in (cgroup / "memory.stat").read_text().splitlines())
        return int(limit) - used + int(stat.get("inactive_file", 0))
    except (OSError, ValueError):
        return None


def _amount(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"
