"""The runner's public surface: attributes, accepted inputs, sharing between threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from corpus import CORPUS
from runtime.reference_models import SseModel

from static_embed_runner.runner import StaticEmbedRunner


def test_attributes_describe_the_loaded_model(
    backend: str, sse_models: dict[str, SseModel]
) -> None:
    runner = StaticEmbedRunner.load(sse_models["head"].path, tokenizer_backend=backend)
    assert runner.dim == 32 and runner.model_format == "sse-q4"
    assert runner.tokenizer.backend == backend
    assert "format='sse-q4', dim=32" in repr(runner)


def test_any_iterable_of_strings_is_a_batch(sse_models: dict[str, SseModel]) -> None:
    runner = StaticEmbedRunner.load(sse_models["head"].path, tokenizer_backend="tokenizers")
    expected = runner.encode(CORPUS[:5])
    assert np.array_equal(runner.encode(text for text in CORPUS[:5]), expected)
    assert np.array_equal(runner.encode(np.array(CORPUS[:5])), expected)


def test_one_runner_shared_by_threads_gives_the_serial_results(
    backend: str, sse_models: dict[str, SseModel]
) -> None:
    runner = StaticEmbedRunner.load(sse_models["head"].path, tokenizer_backend=backend)
    serial = [runner.encode(CORPUS[i::4]) for i in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda i: runner.encode(CORPUS[i::4]), list(range(4)) * 5))
    for ours, expected in zip(parallel, serial * 5, strict=True):
        assert np.array_equal(ours, expected)


def test_numpy_integers_are_accepted_for_sizes(sse_models: dict[str, SseModel]) -> None:
    runner = StaticEmbedRunner.load(sse_models["head"].path, tokenizer_backend="tokenizers")
    expected = runner.encode(CORPUS, truncate_dim=8)
    assert np.array_equal(
        runner.encode(CORPUS, truncate_dim=np.int64(8), batch_size=np.int32(5)), expected
    )


def test_results_are_independent_arrays_whether_one_chunk_or_many(
    sse_models: dict[str, SseModel],
) -> None:
    runner = StaticEmbedRunner.load(sse_models["head"].path, tokenizer_backend="lite")
    whole = runner.encode(CORPUS)
    chunked = runner.encode(CORPUS, batch_size=3)
    assert np.array_equal(whole, chunked)
    for options in ({}, {"normalize": False}, {"truncate_dim": 8}):
        first, second = runner.encode(CORPUS, **options), runner.encode(CORPUS, **options)
        assert first.flags.c_contiguous and first.flags.owndata and first.flags.writeable
        first[:] = 0.0  # the caller owns the result: nothing the runner keeps is changed
        assert not np.shares_memory(first, second)
        assert np.array_equal(runner.encode(CORPUS, **options), second)
