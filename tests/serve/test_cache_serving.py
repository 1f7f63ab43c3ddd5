"""The server with an embedding cache: the same bits as without it for every option that changes
a vector, one computation for concurrent requests of one new text, real token counts for cached
answers, and the cache's figures in ``/metrics``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from serve.live_server import live_server
from serve.test_lifecycle import _metric

from static_embed_runner.serve import ModelSpec, ServeSettings

TEXTS = ["The quick brown fox.", "東京は日本の首都です。", "word " * 200, "The quick brown fox."]
CASES = [
    ("/v1/embeddings", {"model": "st-prompts"}, {}),
    ("/v1/embeddings", {"model": "st-prompts", "dimensions": 4}, {"truncate_dim": 4}),
    ("/v1/embeddings", {"model": "st-prompts", "prompt_name": "query"}, {"prompt_name": "query"}),
    ("/v1/embeddings", {"model": "st-prompts", "prompt": "q: "}, {"prompt": "q: "}),
    ("/embed", {"model": "m2v", "normalize": False}, {"normalize": False}),
    ("/embed", {"model": "st-trunc"}, {}),
    ("/embed", {"model": "default", "dimensions": 9}, {"truncate_dim": 9}),
]


@pytest.fixture(scope="module")
def cached_server(model_dirs):
    specs = [ModelSpec(n, None if p is None else str(p)) for n, p in model_dirs.items()]
    with live_server(ServeSettings(models=specs, cache_bytes=2**20, batch_wait_ms=50)) as running:
        yield running


def _vectors(route: str, answer: dict | list) -> np.ndarray:
    rows = [d["embedding"] for d in answer["data"]] if route.startswith("/v1") else answer
    return np.asarray(rows, dtype=np.float32)


@pytest.mark.parametrize(("route", "extra", "options"), CASES)
def test_cached_answers_equal_encode_for_every_option(
    cached_server, runners, route, extra, options
):
    field = "input" if route.startswith("/v1") else "inputs"
    runner = runners[extra["model"]]
    with httpx.Client(base_url=cached_server.url) as http:
        first = http.post(route, json={field: TEXTS, **extra}).json()
        again = http.post(route, json={field: TEXTS, **extra}).json()
        one = http.post(route, json={field: TEXTS[2], **extra}).json()

    expected = runner.encode(TEXTS, **options)
    assert np.array_equal(_vectors(route, first), expected)
    assert np.array_equal(_vectors(route, again), expected)
    assert np.array_equal(_vectors(route, one), expected[2:3])


def test_cached_answers_count_the_real_tokens(cached_server, runners):
    body = {"model": "st-trunc", "input": TEXTS}
    with httpx.Client(base_url=cached_server.url) as http:
        first = http.post("/v1/embeddings", json=body).json()
        second = http.post("/v1/embeddings", json=body).json()

    tokens = sum(len(ids) for ids in runners["st-trunc"].token_ids(TEXTS))
    assert first["usage"]["prompt_tokens"] == second["usage"]["prompt_tokens"] == tokens


def test_concurrent_requests_for_one_new_text_are_computed_once(model_dirs, runners):
    settings = ServeSettings(
        models=[ModelSpec("m2v", str(model_dirs["m2v"]))], cache_bytes=2**20, batch_wait_ms=100
    )
    with live_server(settings) as running, httpx.Client(base_url=running.url) as http:
        with ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(lambda _: http.post("/embed", json={"inputs": ["brand new"]}), range(8))
            )
        later = http.post("/embed", json={"inputs": ["brand new"]})
        metrics = http.get("/metrics").text

    expected = runners["m2v"].encode(["brand new"])
    for answer in [*answers, later]:
        assert np.array_equal(np.asarray(answer.json(), np.float32), expected)
    assert _metric(metrics, "ser_batch_texts_sum") == 1  # one text pooled for nine requests
    # the eight others shared its computation in the batch, or found it cached afterwards
    shared, hits = (
        _metric(metrics, "ser_cache_shared_total"),
        _metric(metrics, "ser_cache_hits_total"),
    )
    assert shared + hits == 8 and shared >= 1
    assert _metric(metrics, "ser_cache_in_flight") == 0
    assert _metric(metrics, "ser_cache_hits_total") >= 1
    assert _metric(metrics, "ser_cache_entries") == 1
    assert 0 < _metric(metrics, "ser_cache_bytes") <= 2**20


def test_a_cached_input_is_still_refused_when_over_the_limit_without_truncation(cached_server):
    long_text = " ".join(f"w{i}" for i in range(300))
    with httpx.Client(base_url=cached_server.url) as http:
        cut = http.post("/embed", json={"model": "st-trunc", "inputs": [long_text]})
        refused = http.post(
            "/embed", json={"model": "st-trunc", "inputs": [long_text], "truncate": False}
        )

    assert cut.status_code == 200
    assert refused.status_code == 422
