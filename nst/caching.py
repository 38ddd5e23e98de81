"""A small least-recently-used cache, keyed by image content where images are the inputs.

Style targets (classic) and style embeddings (fast) are pure functions of a
style image, and users repeat styles: both keep their recent results here.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np

Value = TypeVar("Value")


def image_digest(image: np.ndarray) -> str:
    """A short fingerprint of an image's shape and pixels."""
    digest = hashlib.blake2b(str(image.shape).encode(), digest_size=16)
    digest.update(np.ascontiguousarray(image).data)
    return digest.hexdigest()


class LRUCache(Generic[Value]):
    """The ``capacity`` most recently used values; safe to share between threads.

    A value is computed outside the lock, so a slow computation does not block
    readers of other keys (two threads missing the same key both compute it).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Value]) -> Value:
        """The cached value of ``key``, computing and storing it on a miss."""
        with self._lock:
            if key in self._items:
                self.hits += 1
                self._items.move_to_end(key)
                return self._items[key]
            self.misses += 1
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every value and reset the counters."""
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)
