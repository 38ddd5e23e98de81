"""Writes PyTorch legacy-format files opcode by opcode, so tests need no PyTorch.

The layout ``torch.save(..., _use_new_zipfile_serialization=False)`` writes:
magic number, protocol, system information, the object (storages as
persistent ids), the storage keys, then each storage's element count and bytes.
"""

from __future__ import annotations

import pickle
import struct

import numpy as np

MAGIC = 0x1950A86A20F9469CFC6C
STORAGES = {np.dtype(np.float32): "FloatStorage", np.dtype(np.uint8): "ByteStorage"}
INFO = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4}}


def _text(value: str) -> bytes:
    data = value.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def _ints(values: tuple[int, ...]) -> bytes:
    return b"(" + b"".join(b"J" + struct.pack("<i", v) for v in values) + b"t"


def _global(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def _tensor(key: str, array: np.ndarray) -> bytes:
    storage = (
        b"("
        + _text("storage")
        + _global("torch", STORAGES[array.dtype])
        + _text(key)
        + _text("cpu")
        + b"J"
        + struct.pack("<i", array.size)
        + b"NtQ"
    )
    strides = tuple(s // array.itemsize for s in array.strides)
    hooks = _global("collections", "OrderedDict") + b")R"
    arguments = storage + b"J\0\0\0\0" + _ints(array.shape) + _ints(strides) + b"\x89" + hooks
    return _global("torch._utils", "_rebuild_tensor_v2") + b"(" + arguments + b"tR"


def legacy_file(tensors: dict[str, np.ndarray], main: bytes | None = None) -> bytes:
    """``tensors`` as torch.save writes them; ``main`` replaces the pickled object.

    Each array must be C- or Fortran-contiguous: its storage is its memory.
    """
    keys = [str(i) for i in range(len(tensors))]
    items = b"".join(
        _text(name) + _tensor(key, array)
        for key, (name, array) in zip(keys, tensors.items(), strict=True)
    )
    main = main or b"\x80\x02}(" + items + b"u."
    key_list = b"\x80\x02](" + b"".join(_text(k) for k in keys) + b"e."
    header = b"".join(pickle.dumps(value, protocol=2) for value in (MAGIC, 1001, INFO))
    data = b"".join(struct.pack("<q", a.size) + a.tobytes(order="A") for a in tensors.values())
    return header + main + key_list + data
