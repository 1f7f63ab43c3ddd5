"""The server as it runs: micro-batching under concurrency, the in-flight cap (429), requests
whose client has gone, metrics, a bounded load, ``static-embed-runner serve`` in one and in
several processes, and the SIGTERM drain."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from serve.live_server import live_server

from static_embed_runner.serve import ServeSettings

SENTENCES = [
    f"sentence number {i} about {w}" for i, w in enumerate(["cats", "dogs", "tea", "rain"] * 16)
]


def _metric(text: str, name: str) -> float:
    """The sum of every sample of ``name`` in Prometheus text (0 if absent)."""
    pattern = re.compile(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", re.M)
    return sum(float(value) for value in pattern.findall(text))


def test_concurrent_requests_are_merged_into_fewer_batches_with_the_same_vectors(runners):
    settings = ServeSettings(batch_wait_ms=50)
    with live_server(settings) as running, httpx.Client(base_url=running.url) as http:
        texts = SENTENCES[:16]
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda t: http.post("/embed", json={"inputs": t}), texts))
        metrics = http.get("/metrics").text

    got = np.concatenate([np.asarray(a.json(), np.float32) for a in answers])
    assert np.array_equal(got, runners["default"].encode(texts))
    batches = _metric(metrics, "ser_batch_texts_count")
    assert _metric(metrics, "ser_batch_texts_sum") == 16
    assert batches < 16  # merged: fewer compute calls than requests


def test_requests_over_the_in_flight_cap_get_429_and_the_others_succeed():
    settings = ServeSettings(max_concurrent_requests=2, batch_wait_ms=400)
    with live_server(settings) as running, httpx.Client(base_url=running.url) as http:
        with ThreadPoolExecutor(6) as pool:
            answers = list(
                pool.map(lambda t: http.post("/v1/embeddings", json={"input": t}), SENTENCES[:6])
            )
        tei = [http.post("/embed", json={"inputs": "x"})]

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 200, 429, 429, 429, 429]
    refused = next(a for a in answers if a.status_code == 429).json()["error"]
    assert refused["type"] == "rate_limit_error" and "overloaded" in refused["message"]
    assert tei[0].status_code == 200  # the cap frees up once requests are answered


def test_a_request_whose_client_has_gone_is_dropped_before_it_is_computed():
    settings = ServeSettings(batch_wait_ms=300)
    with live_server(settings) as running, httpx.Client(base_url=running.url) as http:
        port = int(running.url.rsplit(":", 1)[1])
        body = b'{"inputs": ["never computed", "twice"]}'
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(
                b"POST /embed HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(body), body)
            )
            time.sleep(0.05)  # the request is queued; the client leaves while the batch waits
        time.sleep(0.6)
        assert http.post("/embed", json={"inputs": "after"}).status_code == 200
        metrics = http.get("/metrics").text

    assert _metric(metrics, "ser_requests_dropped_total") == 1
    assert _metric(metrics, "ser_texts_total") == 1  # only "after" was embedded


def test_metrics_report_requests_latency_parts_batches_tokens_and_models(server):
    with httpx.Client(base_url=server.url) as http:
        http.post("/embed", json={"inputs": ["a b c", "d e"]})
        http.post("/embed", json={"inputs": ""})
        text = http.get("/metrics").text

    assert 'ser_requests_total{route="/embed",status="200"}' in text
    assert 'ser_requests_total{route="/embed",status="400"}' in text
    for name in (
        "ser_request_duration_seconds_bucket",
        "ser_queue_duration_seconds_bucket",
        "ser_tokenize_duration_seconds_bucket",
        "ser_pool_duration_seconds_bucket",
        "ser_batch_texts_bucket",
        "ser_batch_tokens_bucket",
        "ser_tokens_total",
        "ser_texts_total",
        "ser_requests_in_flight",
    ):
        assert name in text, name
    assert _metric(text, "ser_models_loaded") == 4


def test_a_bounded_load_answers_every_request_once_with_its_own_vectors(server, runners):
    """8 concurrent clients, 200 requests of 1 to 64 texts over four models, loopback only."""
    rng = np.random.default_rng(7)
    plan = []
    for i in range(200):
        size = int(rng.choice([1, 1, 1, 4, 16, 64]))
        start = int(rng.integers(0, len(SENTENCES) - size + 1))
        model = ["default", "m2v", "st-prompts", "st-trunc"][i % 4]
        plan.append((model, SENTENCES[start : start + size]))

    def send(item):
        model, texts = item
        with httpx.Client(base_url=server.url, timeout=60) as http:
            return http.post("/v1/embeddings", json={"model": model, "input": texts}).json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, plan))

    assert len(answers) == len(plan)
    for (model, texts), answer in zip(plan, answers, strict=True):
        got = np.asarray([d["embedding"] for d in answer["data"]], dtype=np.float32)
        assert np.array_equal(got, runners[model].encode(texts))


# -- the command, in real processes ------------------------------------------------------------


def _start(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "static_embed_runner.cli", "serve", "--port", "0", *args],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line)
        if found:
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, found.group(1)
    process.kill()
    raise AssertionError("the server did not start:\n" + "".join(lines))


def _wait_ready(url: str, expected_workers: int = 1) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("the server never became healthy")


def test_sigterm_finishes_requests_in_flight_then_exits(runners):
    process, url = _start("--batch-wait-ms", "2000")
    try:
        _wait_ready(url)
        texts = SENTENCES[:5]
        with ThreadPoolExecutor(5) as pool:
            futures = [
                pool.submit(httpx.post, f"{url}/embed", json={"inputs": t}, timeout=30)
                for t in texts
            ]
            deadline = time.monotonic() + 1.5
            while _metric(httpx.get(f"{url}/metrics").text, "ser_requests_in_flight") < 5:
                assert time.monotonic() < deadline, "the five requests never arrived"
                time.sleep(0.01)
            # all five are queued, waiting for their batch
            process.send_signal(signal.SIGTERM)
            answers = [f.result() for f in futures]
        # uvicorn re-raises the signal once it has drained, so the exit is "killed by SIGTERM"
        assert process.wait(30) in (0, -signal.SIGTERM)
    finally:
        process.kill()

    assert [a.status_code for a in answers] == [200] * 5
    got = np.concatenate([np.asarray(a.json(), np.float32) for a in answers])
    assert np.array_equal(got, runners["default"].encode(texts))
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{url}/embed", json={"inputs": "late"})


def test_two_workers_serve_one_port_and_metrics_sum_over_both(model_dirs, runners):
    process, url = _start("--workers", "2", f"m2v={model_dirs['m2v']}")
    try:
        _wait_ready(url)
        with ThreadPoolExecutor(4) as pool:
            answers = list(
                pool.map(lambda t: httpx.post(f"{url}/embed", json={"inputs": t}), SENTENCES[:40])
            )
        time.sleep(0.2)
        metrics = httpx.get(f"{url}/metrics").text
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)

    got = np.concatenate([np.asarray(a.json(), np.float32) for a in answers])
    assert np.array_equal(got, runners["m2v"].encode(SENTENCES[:40]))
    assert _metric(metrics, "ser_texts_total") == 40


def test_a_model_that_cannot_load_stops_the_start_with_its_error():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "static_embed_runner.cli",
            "serve",
            "--port",
            "0",
            "./no/such-model",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "no such model folder" in result.stderr


def test_bad_serve_options_are_usage_errors():
    result = subprocess.run(
        [sys.executable, "-m", "static_embed_runner.cli", "serve", "--max-inputs", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "expected an integer >= 1" in result.stderr


def test_a_full_batch_starts_without_waiting_out_the_batch_wait(runners):
    settings = ServeSettings(batch_wait_ms=30_000, max_batch_texts=4)
    with live_server(settings) as running, httpx.Client(base_url=running.url, timeout=60) as http:
        started = time.monotonic()
        answer = http.post("/embed", json={"inputs": SENTENCES[:4]})
        waited = time.monotonic() - started

    assert np.array_equal(
        np.asarray(answer.json(), np.float32), runners["default"].encode(SENTENCES[:4])
    )
    assert waited < 15  # far below the 30 s wait: four texts fill the batch
