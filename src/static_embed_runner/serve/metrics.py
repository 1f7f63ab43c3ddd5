"""Prometheus metrics of one server (served as text at ``/metrics``).

With several worker processes (``--workers N``) every worker writes its values to files in
``$PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` sums them over the workers, whichever answers.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from ..cache import CacheStats
from .batching import BatchObserver, Timings

# 10 us .. ~10 s, geometric: the span from a cached single text to a large batch.
_SECONDS = tuple(round(1e-5 * 2**k, 8) for k in range(21))
disable_created_metrics()  # the *_created series would double the exposition for no use here
_COUNTS = tuple(2**k for k in range(17))


class Metrics:
    """Every metric the server records; ``render()`` gives the exposition text."""

    def __init__(self) -> None:
        self._multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        registry = None if self._multiprocess else CollectorRegistry()
        self._registry = registry
        self.requests = Counter(
            "ser_requests",
            "HTTP requests answered, by route and status code.",
            ["route", "status"],
            registry=registry,
        )
        self.request_duration = Histogram(
            "ser_request_duration_seconds",
            "Time from a request's arrival to its response, by route.",
            ["route"],
            buckets=_SECONDS,
            registry=registry,
        )
        self.queue_duration = Histogram(
            "ser_queue_duration_seconds",
            "Time an embedding request waited for the compute thread.",
            ["model"],
            buckets=_SECONDS,
            registry=registry,
        )
        self.tokenize_duration = Histogram(
            "ser_tokenize_duration_seconds",
            "Time spent tokenizing one request's inputs.",
            ["model"],
            buckets=_SECONDS,
            registry=registry,
        )
        self.pool_duration = Histogram(
            "ser_pool_duration_seconds",
            "Time spent pooling the batch group a request was part of.",
            ["model"],
            buckets=_SECONDS,
            registry=registry,
        )
        self.batch_texts = Histogram(
            "ser_batch_texts",
            "Distinct inputs each batch of the compute thread pooled.",
            ["model"],
            buckets=_COUNTS,
            registry=registry,
        )
        self.batch_tokens = Histogram(
            "ser_batch_tokens",
            "Tokens each batch of the compute thread pooled.",
            ["model"],
            buckets=tuple(2**k for k in range(21)),
            registry=registry,
        )
        self.texts = Counter("ser_texts", "Inputs embedded.", ["model"], registry=registry)
        self.tokens = Counter(
            "ser_tokens", "Tokens embedded (after truncation).", ["model"], registry=registry
        )
        self.dropped = Counter(
            "ser_requests_dropped",
            "Requests dropped before computing because their client had gone.",
            ["model"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "ser_requests_in_flight",
            "Embedding requests admitted and not yet answered.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.models_loaded = Gauge(
            "ser_models_loaded",
            "Models loaded and ready.",
            registry=registry,
            multiprocess_mode="max",
        )

        self.cache_hits = Counter(
            "ser_cache_hits", "Inputs answered from the embedding cache.", registry=registry
        )
        self.cache_misses = Counter(
            "ser_cache_misses", "Inputs the embedding cache did not hold.", registry=registry
        )
        self.cache_evictions = Counter(
            "ser_cache_evictions", "Entries the cache dropped to stay in bounds.", registry=registry
        )
        self.cache_shared = Counter(
            "ser_cache_shared",
            "Inputs answered by another request's computation of the same text in one batch.",
            registry=registry,
        )
        self.cache_in_flight = Gauge(
            "ser_cache_in_flight",
            "Distinct inputs being computed for the cache now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.cache_bytes = Gauge(
            "ser_cache_bytes",
            "Bytes the cache holds.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.cache_entries = Gauge(
            "ser_cache_entries",
            "Vectors the cache holds.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.model_load_duration = Histogram(
            "ser_model_load_duration_seconds",
            "Time to load a model (at start, on demand or by the admin route).",
            buckets=_SECONDS,
            registry=registry,
        )
        self._cache_seen = CacheStats(0, 0, 0, 0, 0, 0, 0, 0)
        self._answered: dict[tuple[str, int], tuple] = {}

    def observe_cache(self, stats: CacheStats) -> None:
        """Bring the cache metrics up to ``stats`` (called on the event loop only)."""
        seen = self._cache_seen
        self.cache_hits.inc(stats.hits + stats.shared - seen.hits - seen.shared)
        self.cache_misses.inc(stats.misses - seen.misses)
        self.cache_evictions.inc(stats.evictions - seen.evictions)
        self.cache_bytes.set(stats.bytes)
        self.cache_entries.set(stats.entries)
        self._cache_seen = stats

    def answered(self, route: str, status: int, seconds: float) -> None:
        """Count one answered request (label lookups cached: they cost more than the count)."""
        children = self._answered.get((route, status))
        if children is None:
            children = (
                self.requests.labels(route, str(status)),
                self.request_duration.labels(route),
            )
            self._answered[(route, status)] = children
        children[0].inc()
        children[1].observe(seconds)

    def for_model(self, model: str) -> ModelMetrics:
        return ModelMetrics(self, model)

    def render(self) -> tuple[bytes, str]:
        if self._multiprocess:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self._registry), CONTENT_TYPE_LATEST


class ModelMetrics(BatchObserver):
    """One model's labelled metrics: what its batcher reports and what each answer adds."""

    def __init__(self, metrics: Metrics, model: str) -> None:
        self._cache_shared = metrics.cache_shared
        self._cache_in_flight = metrics.cache_in_flight
        self._batch_texts = metrics.batch_texts.labels(model)
        self._batch_tokens = metrics.batch_tokens.labels(model)
        self._dropped = metrics.dropped.labels(model)
        self._queue = metrics.queue_duration.labels(model)
        self._tokenize = metrics.tokenize_duration.labels(model)
        self._pool = metrics.pool_duration.labels(model)
        self._texts = metrics.texts.labels(model)
        self._tokens = metrics.tokens.labels(model)

    def batch(self, texts: int, tokens: int) -> None:
        self._batch_texts.observe(texts)
        self._batch_tokens.observe(tokens)

    def dropped(self) -> None:
        self._dropped.inc()

    def shared(self, inputs: int) -> None:
        self._cache_shared.inc(inputs)

    def computing(self, inputs: int) -> None:
        self._cache_in_flight.set(inputs)

    def answered(self, timings: Timings, texts: int, tokens: int) -> None:
        self._queue.observe(timings.queue)
        self._tokenize.observe(timings.tokenize)
        self._pool.observe(timings.pool)
        self._texts.inc(texts)
        self._tokens.inc(tokens)
