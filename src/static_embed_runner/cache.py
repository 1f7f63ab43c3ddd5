"""An embedding cache: a bounded, thread-safe LRU of vectors with in-flight de-duplication, and
:class:`CachedRunner`, which puts it in front of any runner with the same ``encode`` signature.

Entries are content-addressed: a key is a 16-byte BLAKE2b digest of the model's identity (its
:attr:`~static_embed_runner.StaticEmbedRunner.fingerprint`), every option that changes a vector,
and the text. While one caller computes a key, other callers asking for it wait for that result
instead of computing it again. The cache is bounded in bytes: each entry counts its vector, its
key and a fixed per-entry overhead (:data:`ENTRY_OVERHEAD`), and the least recently used entries
go first.

>>> from static_embed_runner import StaticEmbedRunner
>>> from static_embed_runner.cache import CachedRunner
>>> runner = CachedRunner(StaticEmbedRunner.load(), max_bytes=32 * 2**20)  # doctest: +SKIP
>>> runner.encode(["a question asked again and again"]).shape  # doctest: +SKIP
(1, 256)
>>> runner.stats().misses  # doctest: +SKIP
1
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from .runner import (
    DEFAULT_BATCH_SIZE,
    MaxLength,
    StaticEmbedRunner,
    _check_texts,
    _for_role,
)

# What one entry costs besides its vector's data and its key's 16 bytes: the ndarray, bytes and
# tuple objects and the OrderedDict's share, measured with tracemalloc at 225-290 bytes (64- to
# 1024-d vectors, 150 and 2,000 entries), rounded up.
ENTRY_OVERHEAD = 320
DEFAULT_MAX_BYTES = 64 * 2**20


@dataclass(frozen=True)
class CacheStats:
    """A snapshot of a cache's counters: ``hits`` (served from the cache), ``shared`` (served by
    another caller's computation that was in flight), ``misses`` (computed), ``evictions``, and
    its current ``entries``, ``bytes`` (of ``max_bytes``) and keys ``in_flight``."""

    hits: int
    shared: int
    misses: int
    evictions: int
    entries: int
    bytes: int
    max_bytes: int
    in_flight: int


class EmbeddingCache:
    """Vectors by key, at most ``max_bytes`` of them; safe to share between threads and between
    runners (keys carry the model's identity)."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"max_bytes must be an integer >= 0, got {max_bytes!r}")
        self.max_bytes = max_bytes
        # key -> (vector, how many tokens it averages, if the caller said)
        self._entries: OrderedDict[bytes, tuple[np.ndarray, int | None]] = OrderedDict()
        self._in_flight: dict[bytes, Future] = {}
        self._lock = threading.Lock()
        self._bytes = 0
        self._hits = self._shared = self._misses = self._evictions = 0

    def get_or_compute(
        self, keys: Sequence[bytes], compute: Callable[[list[int]], np.ndarray]
    ) -> list[np.ndarray]:
        """The vector of every key: from the cache, from another caller's computation in
        flight, or from ``compute(indices)``, called once with the indices of the keys nobody
        has (it returns their vectors as rows, in that order). A key repeated within ``keys``
        is computed once. If ``compute`` raises, callers waiting on its keys get the error."""
        found: list[np.ndarray | None] = [None] * len(keys)
        mine: dict[bytes, list[int]] = {}
        waiting: list[tuple[int, Future]] = []
        with self._lock:
            for index, key in enumerate(keys):
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                    self._hits += 1
                    found[index] = entry[0]
                elif key in mine:
                    mine[key].append(index)
                    self._hits += 1
                elif key in self._in_flight:
                    waiting.append((index, self._in_flight[key]))
                    self._shared += 1
                else:
                    mine[key] = [index]
                    self._in_flight[key] = Future()
                    self._misses += 1
        if mine:
            self._compute_owned(mine, compute, found)
        for index, future in waiting:
            found[index] = future.result()
        return found  # type: ignore[return-value]

    def _compute_owned(
        self,
        mine: dict[bytes, list[int]],
        compute: Callable[[list[int]], np.ndarray],
        found: list[np.ndarray | None],
    ) -> None:
        try:
            rows = compute([indices[0] for indices in mine.values()])
        except BaseException as exc:
            with self._lock:
                for key in mine:
                    self._in_flight.pop(key).set_exception(exc)
            raise
        with self._lock:
            for (key, indices), row in zip(mine.items(), rows, strict=True):
                vector = self._store(key, row, None)
                for index in indices:
                    found[index] = vector
                self._in_flight.pop(key).set_result(vector)

    def lookup(
        self, keys: Sequence[bytes], *, all_or_nothing: bool = False
    ) -> list[tuple[np.ndarray, int | None] | None] | None:
        """``(vector, tokens)`` for each key the cache holds, None for the others (counted as
        hits and misses); for a caller that computes misses itself and :meth:`put` s them.
        With ``all_or_nothing``, None (and nothing counted) unless every key is held."""
        with self._lock:
            found = [self._entries.get(key) for key in keys]
            misses = found.count(None)
            if all_or_nothing and misses:
                return None
            for key, entry in zip(keys, found, strict=True):
                if entry is not None:
                    self._entries.move_to_end(key)
            self._hits += len(found) - misses
            self._misses += misses
        return found

    def put(self, key: bytes, vector: np.ndarray, tokens: int | None = None) -> np.ndarray:
        """Store a copy of ``vector`` (and the number of tokens it averages) under ``key``;
        returns the read-only copy."""
        with self._lock:
            return self._store(key, vector, tokens)

    def _store(self, key: bytes, row: np.ndarray, tokens: int | None) -> np.ndarray:
        vector = np.array(row, dtype=np.float32)  # a copy no caller can change
        vector.setflags(write=False)
        cost = vector.nbytes + len(key) + ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return vector
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._bytes -= previous[0].nbytes + len(key) + ENTRY_OVERHEAD
        self._entries[key] = (vector, tokens)
        self._bytes += cost
        while self._bytes > self.max_bytes:
            old_key, (old, _) = self._entries.popitem(last=False)
            self._bytes -= old.nbytes + len(old_key) + ENTRY_OVERHEAD
            self._evictions += 1
        return vector

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                hits=self._hits,
                shared=self._shared,
                misses=self._misses,
                evictions=self._evictions,
                entries=len(self._entries),
                bytes=self._bytes,
                max_bytes=self.max_bytes,
                in_flight=len(self._in_flight),
            )

    def clear(self) -> None:
        """Drop every entry (counters and computations in flight stay)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def cache_keys(fingerprint: str, options: tuple, texts: Iterable[str]) -> list[bytes]:
    """One key per text: BLAKE2b-128 of the model's identity, the options and the text."""
    prefix = hashlib.blake2b(
        repr((fingerprint, options)).encode("utf-8", "surrogatepass"), digest_size=16
    ).digest()
    return [
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16, key=prefix).digest()
        for text in texts
    ]


class CachedRunner:
    """``runner`` with an :class:`EmbeddingCache` in front: ``encode``, ``encode_query`` and
    ``encode_document`` take the arguments that shape the float32 vectors (prompt, ``max_length``,
    ``normalize``, ``truncate_dim``, ``batch_size``; not the sentence-transformers output options)
    and return the same arrays; texts already seen with the same options come from the cache.
    Other attributes are the runner's."""

    def __init__(
        self,
        runner: StaticEmbedRunner,
        cache: EmbeddingCache | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.runner = runner
        self.cache = EmbeddingCache(max_bytes) if cache is None else cache

    def __getattr__(self, name: str):
        return getattr(self.runner, name)

    def stats(self) -> CacheStats:
        return self.cache.stats()

    def encode(
        self,
        texts: str | Iterable[str],
        *,
        prompt_name: str | None = None,
        prompt: str | None = None,
        max_length: MaxLength = "model",
        normalize: bool | None = True,
        truncate_dim: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> np.ndarray:
        """:meth:`StaticEmbedRunner.encode`, through the cache."""
        options = {
            "prompt_name": prompt_name,
            "prompt": prompt,
            "max_length": max_length,
            "normalize": normalize,
            # the runner's own truncate_dim when the call gives none: it changes the vectors
            "truncate_dim": self.runner.truncate_dim if truncate_dim is None else truncate_dim,
        }
        batch = _check_texts(texts)
        if not batch:
            return self.runner.encode(batch, batch_size=batch_size, **options)
        keys = cache_keys(self.runner.fingerprint, tuple(options.items()), batch)

        def compute(indices: list[int]) -> np.ndarray:
            chunk = [batch[i] for i in indices]
            return self.runner.encode(chunk, batch_size=batch_size, **options)

        vectors = np.stack(self.cache.get_or_compute(keys, compute))
        return vectors[0].copy() if isinstance(texts, str) else vectors

    def encode_query(self, texts: str | Iterable[str], **options) -> np.ndarray:
        """:meth:`StaticEmbedRunner.encode_query`, through the cache."""
        return self.encode(texts, **_for_role("query", options, self.runner.prompts))

    def encode_document(self, texts: str | Iterable[str], **options) -> np.ndarray:
        """:meth:`StaticEmbedRunner.encode_document`, through the cache."""
        return self.encode(texts, **_for_role("document", options, self.runner.prompts))
