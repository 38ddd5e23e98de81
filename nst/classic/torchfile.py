"""Tensors from a PyTorch legacy-format file (``torch.save`` before 1.6), without PyTorch.

A PyTorch file is a pickle, and unpickling runs whatever callables the file
names. This reader resolves only the few names a file of tensors needs (the
tensor rebuild function, the storage types, ``OrderedDict``) to harmless
stand-ins of its own, and refuses every other name before anything is called,
so a crafted file cannot run code. Tensors come back as NumPy arrays.

The layout: five pickles in a row (magic number, protocol version, system
information, the object whose storages are persistent ids, the storage keys
in file order), then each storage's raw bytes preceded by its element count.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001
STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
PLAIN = (str, int, float, bool, type(None))


class UnsafeFileError(ValueError):
    """The file is not a plain PyTorch file of tensors: it names something else, or is damaged."""


class _Sealed:
    """A stand-in the pickle may not alter (its BUILD opcode would set attributes)."""

    def __setstate__(self, state: Any) -> None:
        raise UnsafeFileError("the file tries to set attributes of a tensor or storage")


@dataclass(frozen=True)
class _StorageType(_Sealed):
    dtype: np.dtype


@dataclass
class _Storage(_Sealed):
    key: str
    dtype: np.dtype
    count: int
    data: np.ndarray | None = None


@dataclass(frozen=True)
class _Tensor(_Sealed):
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]


class _RebuildTensor(_Sealed):
    """Stands in for ``torch._utils._rebuild_tensor_v2``: records where the tensor lies."""

    def __call__(self, storage: Any, offset: Any, shape: Any, strides: Any, *_: Any) -> _Tensor:
        if not isinstance(storage, _Storage):
            raise UnsafeFileError("a tensor whose storage is not one of the file's storages")
        if not (isinstance(shape, tuple) and isinstance(strides, tuple)):
            raise UnsafeFileError("a tensor with a malformed shape or stride")
        numbers = [offset, *shape, *strides]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
            raise UnsafeFileError("a tensor with a malformed offset, shape or stride")
        if len(shape) != len(strides):
            raise UnsafeFileError("a tensor whose shape and strides differ in length")
        return _Tensor(storage, offset, shape, strides)


def _allowed(module: str, name: str) -> Any:
    """A fresh stand-in for one of the few names a file of tensors uses; None for the rest."""
    if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
        return _RebuildTensor()
    if (module, name) == ("collections", "OrderedDict"):
        return collections.OrderedDict
    if module == "torch" and name in STORAGE_DTYPES:
        return _StorageType(np.dtype(STORAGE_DTYPES[name]))
    return None


class _Unpickler(pickle.Unpickler):
    """An unpickler that knows only the names in :func:`_allowed` and the file's own storages."""

    def __init__(self, file: io.BufferedIOBase, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        stand_in = _allowed(module, name)
        if stand_in is None:
            raise UnsafeFileError(
                f"the file names {module}.{name}, which a file of tensors does not need; "
                "nothing in it was run"
            )
        return stand_in

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise UnsafeFileError(f"an unexpected persistent id {str(pid)[:80]!r}")
        _, kind, key, _location, count, view = pid
        if not isinstance(kind, _StorageType) or not isinstance(key, str) or view is not None:
            raise UnsafeFileError("a storage of an unknown type, or a storage view")
        if not isinstance(count, int) or count < 0:
            raise UnsafeFileError("a storage with a malformed size")
        storage = self.storages.setdefault(key, _Storage(key, kind.dtype, count))
        if storage.count != count or storage.dtype != kind.dtype:
            raise UnsafeFileError(f"storage {key!r} declared twice, differently")
        return storage


def _plain(value: Any) -> Any:
    """The loaded object with each tensor as a NumPy array; only plain containers allowed."""
    if isinstance(value, _Tensor):
        return _array(value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, PLAIN):
        return value
    raise UnsafeFileError(f"an object of type {type(value).__name__} where tensors were expected")


def _array(tensor: _Tensor) -> np.ndarray:
    storage = tensor.storage
    if storage.data is None:
        raise UnsafeFileError(f"storage {storage.key!r} has no data in the file")
    if any(n == 0 for n in tensor.shape):
        return np.zeros(tensor.shape, storage.dtype)
    reach = zip(tensor.shape, tensor.strides, strict=True)
    last = tensor.offset + sum((n - 1) * s for n, s in reach)
    if last >= storage.count:
        raise UnsafeFileError(f"a tensor reaches past the end of storage {storage.key!r}")
    size = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage.data[tensor.offset :],
        tensor.shape,
        tuple(s * size for s in tensor.strides),
        writeable=False,
    )
    return view.copy()


def read_tensors(data: bytes) -> Any:
    """The object a legacy PyTorch file holds, its tensors as NumPy arrays.

    Raises :class:`UnsafeFileError` for anything but tensors in plain
    containers (dicts, lists, tuples, strings, numbers), and for a damaged file.
    """
    stream = io.BytesIO(data)
    storages: dict[str, _Storage] = {}
    try:
        magic, protocol, info = (_Unpickler(stream, storages).load() for _ in range(3))
        if magic != MAGIC or protocol != PROTOCOL:
            raise UnsafeFileError("not a PyTorch legacy-format file (its magic number differs)")
        if not isinstance(info, dict) or info.get("little_endian") is not True:
            raise UnsafeFileError("a big-endian or malformed file header")
        loaded = _Unpickler(stream, storages).load()
        keys = _Unpickler(stream, storages).load()
    except UnsafeFileError:
        raise
    except Exception as error:
        raise UnsafeFileError(f"a damaged file ({error.__class__.__name__}: {error})") from error
    if not isinstance(keys, list) or sorted(keys) != sorted(storages):
        raise UnsafeFileError("the storage list does not match the storages the tensors use")
    for key in keys:
        _read_storage(stream, storages[key])
    return _plain(loaded)


def _read_storage(stream: io.BytesIO, storage: _Storage) -> None:
    header = stream.read(8)
    if len(header) != 8 or struct.unpack("<q", header)[0] != storage.count:
        raise UnsafeFileError(f"storage {storage.key!r} has a wrong or missing size")
    raw = stream.read(storage.count * storage.dtype.itemsize)
    if len(raw) != storage.count * storage.dtype.itemsize:
        raise UnsafeFileError(f"storage {storage.key!r} is truncated")
    storage.data = np.frombuffer(raw, storage.dtype.newbyteorder("<"))
