"""A bounded memo table shared by threads: pre-token string -> token ids.

Tokenization of one pre-token is a pure function of that string, so a memo can never change an
output; it only has to stay bounded and safe under concurrent use. Reads are lock-free
(``dict.get`` is atomic). Writes are lock-free too while the cache is at most seven-eighths full:
a ``dict`` store is atomic, and between its size check and its store each racing thread can add
only the one entry it is storing, so the lock-free stretch cannot overshoot the cap unless more
than ``capacity / 8`` threads race at once. Beyond it, writes take a lock, so the size never
exceeds ``capacity``. When full, the oldest quarter of the entries (insertion order) is dropped,
which keeps frequent words that are re-inserted after eviction without the bookkeeping cost of a
true LRU.
"""

from __future__ import annotations

import threading
from itertools import islice
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_CAPACITY = 50_000
MAX_KEY_LENGTH = 256


class BoundedCache(Generic[K, V]):
    """A dict with a hard size cap; ``get`` is the bound ``dict.get`` for speed."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, max_key_length: int = MAX_KEY_LENGTH):
        if capacity < 0:
            raise ValueError(f"cache capacity must be >= 0, got {capacity}")
        self.capacity = capacity
        self.max_key_length = max_key_length
        self._data: dict[K, V] = {}
        self._lock = threading.Lock()
        self._lock_free_below = capacity - capacity // 8
        self.get = self._data.get

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key`` unless the key is too long or the cache is disabled."""
        if len(key) > self.max_key_length:  # type: ignore[arg-type]
            return
        data = self._data
        if len(data) < self._lock_free_below:  # a first-sight word costs 0.1 us instead of 0.5
            data[key] = value
            return
        if self.capacity == 0:
            return
        with self._lock:
            if len(data) >= self.capacity:
                drop = max(1, self.capacity // 4)
                for old in list(islice(data, drop)):
                    del data[old]
            data[key] = value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
