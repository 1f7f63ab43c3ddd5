"""What the cache, the sidecar client and run-time model management cost and buy, side by side
in one run on 127.0.0.1 (servers in their own processes, loaded by wrk or by this process).

1. Cache on a repeated-query workload: 1-text OpenAI requests drawn from a pool of 100 phrases
   (Zipf-weighted, as chat and search traffic repeats itself), against the same server with and
   without ``--cache-mb 64``, at concurrency 1 and 8 (wrk, ``bench/lua/post_bodies.lua``).
   Also the library class in-process: ``CachedRunner.encode`` on a hit against ``encode``.
2. The sidecar client: ``RemoteRunner.encode`` over a Unix socket and over TCP against in-process
   ``encode``, for 1 and 64 texts (sequential calls, median).
3. Model management: time for ``POST /admin/models`` (load) and ``DELETE`` (unload), and for the
   first request after a keep-alive unload (reload on demand), for the embedded default model and
   the 1,024-d ``st-en-30k-1024`` bench model.

Rounds alternate the contenders; figures are medians. Usage: python bench/bench_serve_many.py
[--rounds 3] [--seconds 4] [--json results/serve/serve_many.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
from harness import BENCH_DIR, ROOT, machine_info
from models import MODELS, build, default_cache_dir
from texts import SENTENCES

from static_embed_runner import StaticEmbedRunner
from static_embed_runner.cache import CachedRunner
from static_embed_runner.client import RemoteRunner

LUA = BENCH_DIR / "lua" / "post_bodies.lua"
ADMIN = "bench-admin"


def _start(args: list[str]) -> tuple[subprocess.Popen, str]:
    """``static-embed-runner serve --port 0 ARGS``; the process and its URL (``http://...`` or,
    with ``--uds``, ``unix://...``) once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "static_embed_runner.cli", "serve", "--port", "0", *args],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "STATIC_EMBED_RUNNER_ADMIN_KEY": ADMIN},
    )
    for line in process.stderr:
        found = re.search(r"running on (http://127\.0\.0\.1:\d+|unix socket (\S+))", line)
        if found:
            subprocess_drain = threading.Thread(target=process.stderr.read, daemon=True)
            subprocess_drain.start()
            return process, found.group(1) if found.group(2) is None else f"unix://{found.group(2)}"
    raise RuntimeError("the server did not start")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


def _post(url: str, body: dict, method: str = "POST") -> float:
    """Seconds for one JSON request (checked to be a 200)."""
    data = None if method == "DELETE" else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"content-type": "application/json", "authorization": f"Bearer {ADMIN}"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as answer:
        answer.read()
        assert answer.status == 200
    return time.perf_counter() - started


def _wrk(url: str, bodies: Path, concurrency: int, seconds: float) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(LUA),
            f"{url}/v1/embeddings",
            "--",
            str(bodies),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failed requests:\n{out}")

    def millis(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": millis("50"),
        "p99_ms": millis("99"),
    }


def _repeated_bodies(path: Path, phrases: list[str], count: int = 2000) -> None:
    rng = np.random.default_rng(0)
    weights = 1.0 / np.arange(1, len(phrases) + 1)
    picks = rng.choice(len(phrases), size=count, p=weights / weights.sum())
    lines = [json.dumps({"input": phrases[i]}) for i in picks]
    path.write_text("\n".join(lines) + "\n")


def _median_seconds(call, repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cache_workload(rounds: int, seconds: float, work: Path) -> dict:
    bodies = work / "repeated.txt"
    _repeated_bodies(bodies, SENTENCES[:100])
    samples: dict[str, list[dict]] = {}
    for round_index in range(rounds):
        order = [("no cache", []), ("cache 64 MiB", ["--cache-mb", "64"])]
        for label, extra in order[round_index % 2 :] + order[: round_index % 2]:
            process, url = _start(extra)
            try:
                for concurrency in (1, 8):
                    _wrk(url, bodies, concurrency, 1)  # warm-up: fills the cache too
                    cell = _wrk(url, bodies, concurrency, seconds)
                    samples.setdefault(f"{label}, c={concurrency}", []).append(cell)
            finally:
                _stop(process)
    return {
        key: {field: statistics.median(c[field] for c in cells) for field in cells[0]}
        for key, cells in samples.items()
    }


def library_cache() -> dict:
    runner = StaticEmbedRunner.load()
    cached = CachedRunner(runner)
    texts = SENTENCES[:100]
    cached.encode(texts)
    one = texts[7]
    return {
        "encode 1 text us": _median_seconds(lambda: runner.encode([one]), 2000) * 1e6,
        "cached hit 1 text us": _median_seconds(lambda: cached.encode([one]), 2000) * 1e6,
        "encode 64 texts us": _median_seconds(lambda: runner.encode(texts[:64]), 300) * 1e6,
        "cached hit 64 texts us": _median_seconds(lambda: cached.encode(texts[:64]), 300) * 1e6,
    }


def client_overhead(work: Path) -> dict:
    runner = StaticEmbedRunner.load()
    tcp_process, tcp_url = _start([])
    uds_process, uds_url = _start(["--uds", str(work / "embed.sock")])
    try:
        remotes = {"unix socket": RemoteRunner(uds_url), "tcp": RemoteRunner(tcp_url)}
        figures = {}
        for size, repeats in ((1, 2000), (64, 300)):
            texts = SENTENCES[:size]
            expected = runner.encode(texts)
            figures[f"in-process, {size} text(s) us"] = (
                _median_seconds(lambda t=texts: runner.encode(t), repeats) * 1e6
            )
            for name, remote in remotes.items():
                assert np.array_equal(remote.encode(texts), expected)
                figures[f"{name}, {size} text(s) us"] = (
                    _median_seconds(lambda r=remote, t=texts: r.encode(t), repeats) * 1e6
                )
        return figures
    finally:
        _stop(tcp_process)
        _stop(uds_process)


def model_management(rounds: int) -> dict:
    big = build(MODELS["st-en-30k-1024"], default_cache_dir())
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        process, url = _start(["--keep-alive", "1"])
        try:
            for name, source in (("default", None), ("st-en-30k-1024", str(big))):
                key = f"new-{name}"
                samples.setdefault(f"{name}: admin load s", []).append(
                    _post(f"{url}/admin/models", {"name": key, "source": source})
                )
                time.sleep(2.0)  # idle past the keep-alive: unloaded
                samples.setdefault(f"{name}: first request after keep-alive unload s", []).append(
                    _post(f"{url}/v1/embeddings", {"model": key, "input": "hello"})
                )
                samples.setdefault(f"{name}: admin remove s", []).append(
                    _post(f"{url}/admin/models/{key}", {}, method="DELETE")
                )
        finally:
            _stop(process)
    return {key: statistics.median(values) for key, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "serve" / "serve_many.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        report = {
            "machine": machine_info(),
            "date": time.strftime("%Y-%m-%d"),
            "cache_workload": cache_workload(args.rounds, args.seconds, Path(work)),
            "library_cache": library_cache(),
            "client_overhead": client_overhead(Path(work)),
            "model_management": model_management(args.rounds),
        }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1) + "\n")
    for section in ("cache_workload", "library_cache", "client_overhead", "model_management"):
        print(f"\n{section}")
        for key, value in report[section].items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
