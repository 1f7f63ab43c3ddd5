"""The embedding cache: the same bits as the runner for every option that changes a vector, one
computation for N concurrent callers of a new text, a byte bound that holds under a long random
workload, counters that say what happened, and errors that reach every waiting caller."""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from corpus import CORPUS, MODEL_FIXTURES
from runtime.reference_models import build_st

from static_embed_runner.cache import ENTRY_OVERHEAD, CachedRunner, EmbeddingCache
from static_embed_runner.runner import StaticEmbedRunner

OPTION_SETS = [
    {},
    {"truncate_dim": 5},
    {"normalize": False},
    {"normalize": None},
    {"max_length": 3},
    {"max_length": None},
    {"prompt_name": "query"},
    {"prompt": "search: "},
]


@pytest.fixture(scope="module")
def st_prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache") / "st-prompts"
    build_st(path, "prompts")
    return path


@pytest.fixture(scope="module")
def runner(st_prompts: Path) -> StaticEmbedRunner:
    return StaticEmbedRunner.load(st_prompts)


class CountingRunner:
    """A runner whose encode calls and texts are counted (and can be slowed down)."""

    def __init__(self, runner: StaticEmbedRunner, delay: float = 0.0) -> None:
        self._runner = runner
        self.fingerprint = runner.fingerprint
        self.truncate_dim = runner.truncate_dim
        self.calls: list[list[str]] = []
        self.delay = delay
        self._lock = threading.Lock()

    def encode(self, texts, **options):
        with self._lock:
            self.calls.append(list(texts))
        time.sleep(self.delay)
        return self._runner.encode(texts, **options)


@pytest.mark.parametrize("options", OPTION_SETS, ids=repr)
def test_cached_vectors_are_the_runners_bit_for_bit_for_every_option(runner, options):
    cached = CachedRunner(runner)
    texts = [*CORPUS, *CORPUS[:7]]  # repeats inside one call

    first = cached.encode(texts, **options)
    second = cached.encode(texts, **options)

    expected = runner.encode(texts, **options)
    assert np.array_equal(first, expected) and np.array_equal(second, expected)
    assert first.dtype == np.float32 and first.flags.c_contiguous
    single = cached.encode(CORPUS[3], **options)
    assert np.array_equal(single, runner.encode(CORPUS[3], **options))


def test_options_that_change_the_vector_never_share_an_entry(runner):
    cached = CachedRunner(runner)
    text = ["the same text"]

    results = [cached.encode(text, **options) for options in OPTION_SETS]

    assert cached.stats().misses == len(OPTION_SETS)
    for options, got in zip(OPTION_SETS, results, strict=True):
        assert np.array_equal(got, runner.encode(text, **options))


def test_encode_query_and_document_go_through_the_cache_with_their_prompts(runner):
    cached = CachedRunner(runner)

    query = cached.encode_query(["capital of Japan"])
    document = cached.encode_document(["Tokyo is the capital."])
    cached.encode_query(["capital of Japan"])

    assert np.array_equal(query, runner.encode_query(["capital of Japan"]))
    assert np.array_equal(document, runner.encode_document(["Tokyo is the capital."]))
    assert cached.stats().hits == 1


def test_returned_arrays_are_the_callers_to_change(runner):
    cached = CachedRunner(runner)
    first = cached.encode(["x y"])
    first[:] = 0

    assert np.array_equal(cached.encode(["x y"]), runner.encode(["x y"]))


def test_n_concurrent_callers_of_one_new_text_cause_one_computation(runner):
    counting = CountingRunner(runner, delay=0.2)
    cached = CachedRunner(counting)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: cached.encode(["a brand new text"]), range(8)))

    assert len(counting.calls) == 1
    for got in results:
        assert np.array_equal(got, runner.encode(["a brand new text"]))
    stats = cached.stats()
    assert (stats.misses, stats.shared + stats.hits, stats.in_flight) == (1, 7, 0)


def test_in_flight_keys_are_counted_while_they_compute(runner):
    counting = CountingRunner(runner, delay=0.3)
    cached = CachedRunner(counting)
    worker = threading.Thread(target=cached.encode, args=(["one", "two", "three"],))
    worker.start()
    time.sleep(0.1)

    during = cached.stats().in_flight
    worker.join()

    assert (during, cached.stats().in_flight) == (3, 0)


def test_an_error_reaches_every_waiting_caller_and_leaves_nothing_in_flight():
    cache = EmbeddingCache()
    started = threading.Event()

    def failing(indices):
        started.set()
        time.sleep(0.2)
        raise ValueError("broken model")

    owner = ThreadPoolExecutor(1).submit(cache.get_or_compute, [b"k" * 16], failing)
    started.wait()
    with pytest.raises(ValueError, match="broken model"):
        cache.get_or_compute([b"k" * 16], failing)
    with pytest.raises(ValueError, match="broken model"):
        owner.result()
    assert cache.stats().in_flight == 0
    assert cache.get_or_compute([b"k" * 16], lambda idx: np.ones((1, 4)))[0].tolist() == [1] * 4


def test_the_byte_bound_holds_under_a_long_random_workload():
    rng = np.random.default_rng(5)
    dim = 64
    max_bytes = 150 * (dim * 4 + 16 + ENTRY_OVERHEAD)
    cache = EmbeddingCache(max_bytes)
    table = rng.standard_normal((5000, dim)).astype(np.float32)
    keys = [i.to_bytes(16, "little") for i in range(5000)]

    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    peak_stats = 0
    for _ in range(3000):
        chosen = rng.integers(0, 5000, size=int(rng.integers(1, 20)))
        got = cache.get_or_compute([keys[i] for i in chosen], lambda idx, c=chosen: table[c[idx]])
        assert all(np.array_equal(v, table[i]) for v, i in zip(got, chosen, strict=True))
        peak_stats = max(peak_stats, cache.stats().bytes)
    del got, chosen
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()

    stats = cache.stats()
    assert peak_stats <= max_bytes
    assert stats.evictions > 1000 and stats.entries <= 150
    assert held <= max_bytes  # what the cache really holds, measured, stays within the bound


def test_a_cache_shared_by_two_models_keeps_them_apart(runner):
    other = StaticEmbedRunner.load(MODEL_FIXTURES / "model2vec-rs-test-model-float32")
    cache = EmbeddingCache()

    a = CachedRunner(runner, cache).encode(["shared text"])
    b = CachedRunner(other, cache).encode(["shared text"])

    assert np.array_equal(a, runner.encode(["shared text"]))
    assert np.array_equal(b, other.encode(["shared text"]))
    assert cache.stats().misses == 2


def test_the_same_files_give_the_same_fingerprint_and_other_files_another(st_prompts, runner):
    again = StaticEmbedRunner.load(st_prompts)

    assert again.fingerprint == runner.fingerprint
    assert StaticEmbedRunner.load().fingerprint != runner.fingerprint


def test_a_zero_byte_cache_computes_everything_and_stores_nothing(runner):
    cached = CachedRunner(runner, max_bytes=0)

    cached.encode(["a", "b"])
    cached.encode(["a", "b"])

    stats = cached.stats()
    assert (stats.misses, stats.entries, stats.bytes) == (4, 0, 0)


def test_clear_drops_every_entry_and_keeps_the_counters(runner):
    cached = CachedRunner(runner)
    cached.encode(["a", "b"])

    cached.cache.clear()
    cached.encode(["a"])

    stats = cached.stats()
    assert (stats.misses, stats.entries) == (3, 1)
    assert stats.bytes == cached.cache.stats().bytes > 0


def test_bad_arguments_are_the_runners_errors(runner):
    cached = CachedRunner(runner)

    with pytest.raises(TypeError, match=r"texts\[1\] must be a str"):
        cached.encode(["a", 3])
    with pytest.raises(ValueError, match="truncate_dim must be between 1"):
        cached.encode(["a"], truncate_dim=10_000)
    with pytest.raises(ValueError, match="max_bytes must be an integer >= 0"):
        EmbeddingCache(-1)
    assert cached.stats().in_flight == 0
    assert cached.encode([]).shape == (0, runner.dim)
