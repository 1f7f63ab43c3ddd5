"""Serving benchmark: ``static-embed-runner serve`` against FastAPI + sentence-transformers and
infinity-emb, over HTTP on 127.0.0.1, loaded by wrk.

Contenders, each its own server process (fresh every round, stopped with SIGTERM):

- ``ours``: ``static-embed-runner serve`` with its defaults (1 worker);
- ``ours-2w``: the same with ``--workers 2``;
- ``ours-nomerge``: ``--max-batch-texts 1`` (no micro-batching: what merging requests buys);
- ``ours-wait2``: ``--batch-wait-ms 2`` (what a batching wait costs at concurrency 1);
- ``fastapi-st``: FastAPI + sentence-transformers (``bench/baselines/st_fastapi_server.py``);
- ``infinity``: infinity-emb serving all-MiniLM-L6-v2 (it cannot load a StaticEmbedding folder).

The first five serve the same sentence-transformers StaticEmbedding folder (``st-en-30k-1024``
from ``models.py``, bert-base-uncased vocab x 1024, synthetic weights). Per round the contenders
take turns (the first one rotates each round); each is started, timed to its first 200 on
``/health``, checked (one request per request kind: vector count and dimension), then loaded
by wrk (``-t1 -cC -dDs --latency``, a Lua script POSTing fixed JSON bodies in rotation) at each
concurrency after a short warm-up run of the same cell, its processes' memory read from
``/proc``, and stopped. Request kinds: 1-text requests, 64-text requests with float JSON answers
(no ``encoding_format``), and the same 64-text requests with ``"encoding_format": "base64"``
(the official ``openai`` client's default; not sent to FastAPI + sentence-transformers, which
ignores the field and answers floats). A cell with any non-2xx answer or socket error fails the
run. Figures are medians over rounds. A separate process measures in-process
``StaticEmbedRunner.load(model).encode(64 texts)`` throughput on the same texts once per round,
and how long the server's answer body for 64 vectors takes to serialise in each encoding.

    bench/setup_serve_baselines.sh          # once: bench/.venv-infinity and bench/.venv-st-serve
    python bench/bench_serve.py             # full run (3 rounds, 4 s cells), 23 minutes on 2 cores
    python bench/bench_serve.py --quick     # 1 round, 1 s cells, our 1-worker server at c=1, 8

Writes ``results/serve/serve_bench.json`` (every figure, machine, date, commit), the tables and
target lines to stdout and ``serve_bench.md``, and the plot ``serve_bench.png`` next to the JSON.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import json
import math
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import BENCH_DIR, ROOT, machine_info
from models import MODELS, build, default_cache_dir
from run_all import snapshot_source
from texts import SENTENCES

DEFAULT_MODEL = "st-en-30k-1024"
CONCURRENCIES = (1, 8, 32)
QUICK_CONCURRENCIES = (1, 8)
CONTENDER_KEYS = ("ours", "ours-2w", "ours-nomerge", "ours-wait2", "fastapi-st", "infinity")
WRK = "wrk"
WRK_TIMEOUT_S = 30  # per request: a queue of 64-text requests at c=32 must not count as errors
LUA_SCRIPT = BENCH_DIR / "lua" / "post_bodies.lua"
ST_SERVE_PYTHON = BENCH_DIR / ".venv-st-serve" / "bin" / "python"
INFINITY_SCRIPT = BENCH_DIR / "baselines" / "infinity_server.sh"
INFINITY_VENV = BENCH_DIR / ".venv-infinity"
INFINITY_MODEL = "all-MiniLM-L6-v2"
INFINITY_DIM = 384
SERVED_NAME = "bench"
READY_PATTERN = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
STARTUP_TIMEOUT_S = 240.0
STOP_TIMEOUT_S = 10.0
DRAIN_TIMEOUT_S = 120.0
IDLE_SAMPLE_S = 0.2
IDLE_CPU_SHARE = 0.1
TARGETS = {
    "vs_infinity_rps": 10.0,
    "vs_fastapi_rps": 2.0,
    "infinity_p99_over_ours": 10.0,
    "server_vs_inprocess": 0.70,
    "merge_gain": 1.0,
    "wait_cost_ms": 2.5,  # "about 2 ms": the 2 ms wait itself plus 0.5 ms of timer slack
}


# ---------------------------------------------------------------------------------------------
# request kinds and bodies: the same texts for every contender and for the in-process figure


@dataclass(frozen=True)
class Kind:
    """One kind of request: ``key`` names its cells in the JSON (``"1"``, ``"64"``,
    ``"64-base64"``); ``encoding`` is the ``encoding_format`` sent (None: not sent, float
    answers)."""

    key: str
    size: int
    encoding: str | None
    title: str


KINDS = (
    Kind("1", 1, None, "1-text requests"),
    Kind("64", 64, None, "64-text requests, float JSON answers"),
    Kind(
        "64-base64", 64, "base64", "64-text requests, base64 answers (the openai client's default)"
    ),
)


def one_text_inputs() -> list[list[str]]:
    """Eight 1-text requests, spread over the corpus (English, Japanese, mixed; short to long)."""
    return [[SENTENCES[i * 29]] for i in range(8)]


def batch_inputs() -> list[list[str]]:
    """Four 64-text requests: windows of 64 consecutive sentences at four offsets."""
    n = len(SENTENCES)
    return [[SENTENCES[(k * 59 + j) % n] for j in range(64)] for k in range(4)]


def inputs_for(size: int) -> list[list[str]]:
    return one_text_inputs() if size == 1 else batch_inputs()


# ---------------------------------------------------------------------------------------------
# contenders and their server processes


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    command: list[str]
    route: str
    model_name: str
    dim: int
    env: dict[str, str] = field(default_factory=dict)
    base64: bool = True  # honours encoding_format "base64" (little-endian float32)

    def kinds(self) -> list[Kind]:
        return [k for k in KINDS if self.base64 or k.encoding != "base64"]


def contenders(keys: list[str], model_dir: Path, dim: int, snapshot: Path) -> list[Contender]:
    ours_env = {"PYTHONPATH": str(snapshot)}
    ours = [sys.executable, "-m", "static_embed_runner.cli", "serve", f"{SERVED_NAME}={model_dir}"]
    ours += ["--host", "127.0.0.1", "--port", "0"]
    every = {
        "ours": Contender(
            "ours", "static-embed-runner serve", ours, "/v1/embeddings", SERVED_NAME, dim, ours_env
        ),
        "ours-2w": Contender(
            "ours-2w",
            "static-embed-runner serve --workers 2",
            [*ours, "--workers", "2"],
            "/v1/embeddings",
            SERVED_NAME,
            dim,
            ours_env,
        ),
        "ours-nomerge": Contender(
            "ours-nomerge",
            "static-embed-runner serve --max-batch-texts 1",
            [*ours, "--max-batch-texts", "1"],
            "/v1/embeddings",
            SERVED_NAME,
            dim,
            ours_env,
        ),
        "ours-wait2": Contender(
            "ours-wait2",
            "static-embed-runner serve --batch-wait-ms 2",
            [*ours, "--batch-wait-ms", "2"],
            "/v1/embeddings",
            SERVED_NAME,
            dim,
            ours_env,
        ),
        "fastapi-st": Contender(
            "fastapi-st",
            "FastAPI + sentence-transformers",
            [
                str(ST_SERVE_PYTHON),
                str(BENCH_DIR / "baselines" / "st_fastapi_server.py"),
                *("--model", str(model_dir), "--host", "127.0.0.1", "--port", "0"),
            ],
            "/v1/embeddings",
            SERVED_NAME,
            dim,
            base64=False,  # its request model has no encoding_format: it answers floats
        ),
        "infinity": Contender(
            "infinity",
            f"infinity-emb ({INFINITY_MODEL})",
            [str(INFINITY_SCRIPT), "0"],
            "/embeddings",
            INFINITY_MODEL,
            INFINITY_DIM,
        ),
    }
    return [every[key] for key in keys]


class Server:
    """One contender's server process (its own session, so that stopping reaches its workers)."""

    def __init__(self, contender: Contender, log_path: Path) -> None:
        self.contender = contender
        self.log_path = log_path
        self.port = 0
        self.startup_s = math.nan
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._start = time.perf_counter()
        self.process = subprocess.Popen(
            contender.command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **contender.env},
            start_new_session=True,
        )

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def wait_ready(self, timeout_s: float) -> None:
        """Wait for uvicorn's port line, then for the first 200 on /health; time the start-up."""
        deadline = self._start + timeout_s
        while not self.port:
            found = READY_PATTERN.search(self.log_path.read_text(errors="replace"))
            if found:
                self.port = int(found.group(1))
            else:
                self._check_alive(deadline)
                time.sleep(0.01)
        while True:
            try:
                with urllib.request.urlopen(self.url("/health"), timeout=5) as answer:
                    if answer.status == 200:
                        self.startup_s = time.perf_counter() - self._start
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            self._check_alive(deadline)
            time.sleep(0.01)

    def _check_alive(self, deadline: float) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.contender.label} exited with status {self.process.returncode} before "
                f"it was ready:\n{self.log_tail()}"
            )
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{self.contender.label} not ready in time:\n{self.log_tail()}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server process and its children (its workers)."""
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                with open(f"/proc/{pid}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def wait_idle(self) -> float:
        """Wait until the server stops working off requests that wrk left in flight (below
        IDLE_CPU_SHARE of a core over IDLE_SAMPLE_S), so that the next cell starts clean;
        returns the seconds waited."""
        start = time.perf_counter()
        before = self.cpu_seconds()
        while time.perf_counter() - start < DRAIN_TIMEOUT_S:
            time.sleep(IDLE_SAMPLE_S)
            now = self.cpu_seconds()
            if now - before <= IDLE_CPU_SHARE * IDLE_SAMPLE_S:
                break
            before = now
        return time.perf_counter() - start

    def stop(self) -> dict[str, Any]:
        """SIGTERM the server, wait, then SIGKILL whatever is left of its process group; returns
        how long the stop took and whether SIGKILL was needed."""
        start = time.perf_counter()
        killed = False
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                killed = True
                print(f"  {self.contender.label}: no exit after SIGTERM, killing", file=sys.stderr)
        with contextlib.suppress(ProcessLookupError):  # the whole group may be gone already
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()
        return {"seconds": time.perf_counter() - start, "sigkill": killed}


def post_json(url: str, payload: dict[str, Any], timeout_s: float = 60.0) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as answer:
        if answer.status != 200:
            raise RuntimeError(f"{url} answered {answer.status}")
        return json.loads(answer.read())


def request_body(contender: Contender, kind: Kind, texts: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"model": contender.model_name, "input": texts}
    if kind.encoding is not None:
        body["encoding_format"] = kind.encoding
    return body


def _vector(embedding: Any, encoding: str | None) -> list[float] | None:
    """An answer's embedding as floats: a JSON array, or with base64 a string of little-endian
    float32 values; None when it is not in the requested encoding."""
    if encoding != "base64":
        return embedding if isinstance(embedding, list) else None
    if not isinstance(embedding, str):
        return None
    try:
        raw = base64.b64decode(embedding, validate=True)
    except binascii.Error:
        return None
    if len(raw) % 4:
        return None
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def check_shape(server: Server, kind: Kind) -> dict[str, Any]:
    """One request of ``kind``: the answer must hold ``kind.size`` finite vectors of the
    contender's dimension, in order, in the requested encoding (base64: decoded as little-endian
    float32). Raises otherwise, so that a broken server posts nothing."""
    c = server.contender
    texts = inputs_for(kind.size)[0]
    answer = post_json(server.url(c.route), request_body(c, kind, texts))
    rows = answer.get("data", [])
    vectors = [_vector(row.get("embedding"), kind.encoding) for row in rows]
    decoded = all(v is not None for v in vectors)
    dims = sorted({len(v) for v in vectors if v is not None})
    ordered = [row.get("index") for row in rows] == list(range(len(rows)))
    finite = all(math.isfinite(x) for v in vectors if v is not None for x in v)
    ok = len(rows) == kind.size and decoded and dims == [c.dim] and ordered and finite
    check = {
        "texts": kind.size,
        "encoding": kind.encoding or "float",
        "vectors": len(rows),
        "dims": dims,
        "expected_dim": c.dim,
        "decoded": decoded,
        "ok": ok,
    }
    if not ok:
        raise RuntimeError(f"{c.label}: wrong answer for {kind.title}: {check}")
    return check


# ---------------------------------------------------------------------------------------------
# wrk


_UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/sec, the 50%/99% latency lines, the request count, non-2xx/3xx answers and
    socket errors from wrk's ``--latency`` report."""
    figures: dict[str, Any] = {"non_2xx": 0, "socket_errors": 0}
    for line in output.splitlines():
        text = line.strip()
        if text.startswith("Requests/sec:"):
            figures["rps"] = float(text.split()[1])
        elif found := re.fullmatch(r"(50|99)%\s+([\d.]+)(us|ms|s|m|h)", text):
            figures[f"p{found.group(1)}_ms"] = float(found.group(2)) * _UNIT_MS[found.group(3)]
        elif found := re.fullmatch(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h),.*", text):
            figures["requests"] = int(found.group(1))
        elif text.startswith("Non-2xx or 3xx responses:"):
            figures["non_2xx"] = int(text.split(":")[1])
        elif text.startswith("Socket errors:"):
            figures["socket_errors"] = sum(int(n) for n in re.findall(r"\d+", text))
    missing = {"rps", "p50_ms", "p99_ms", "requests"} - set(figures)
    if missing:
        raise RuntimeError(f"wrk output lacks {sorted(missing)}:\n{output}")
    return figures


def run_wrk(url: str, bodies: Path, concurrency: int, seconds: int) -> dict[str, Any]:
    """One wrk run; raises on any failed request. A server slower than the cell may finish no
    request in it: then req/s is 0 and the latencies are None (above the cell's length)."""
    command = [WRK, "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency"]
    command += [f"--timeout={WRK_TIMEOUT_S}s", "-s", str(LUA_SCRIPT), url, "--", str(bodies)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures = parse_wrk(done.stdout)
    if figures["non_2xx"] or figures["socket_errors"]:
        raise RuntimeError(f"wrk cell against {url} had failed requests:\n{done.stdout}")
    if figures["requests"] == 0:
        figures["p50_ms"] = figures["p99_ms"] = None
    return figures


def write_bodies(directory: Path, contender: Contender, kind: Kind) -> Path:
    path = directory / f"{contender.key}-{kind.key}.jsonl"
    lines = [json.dumps(request_body(contender, kind, t)) for t in inputs_for(kind.size)]
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------------------------------------
# memory of a running server: the uvicorn parent and its children


def _status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _smaps_rollup_kib(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                values[parts[0].rstrip(":")] = int(parts[1])
    return values


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return sorted(found)


def _role(pid: int, is_parent: bool, has_workers: bool) -> str:
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    if is_parent:
        return "parent" if has_workers else "server"
    if "resource_tracker" in cmdline:
        return "resource_tracker"
    return "worker" if "spawn_main" in cmdline else "child"


def process_memory(root_pid: int) -> list[dict[str, Any]]:
    """VmRSS, Pss and shared/private pages (MB) of the server process and its children."""
    children = _children(root_pid)
    has_workers = any("spawn_main" in Path(f"/proc/{c}/cmdline").read_text() for c in children)
    rows: list[dict[str, Any]] = []
    for pid in [root_pid, *children]:
        smaps = _smaps_rollup_kib(pid)
        role = _role(pid, pid == root_pid, has_workers)
        if role in ("worker", "child"):
            role = f"{role} {1 + sum(r['name'].startswith(role) for r in rows)}"
        rows.append(
            {
                "name": role,
                "pid": pid,
                "vm_rss_mb": _status_kib(pid, "VmRSS") / 1024,
                "pss_mb": smaps["Pss"] / 1024,
                "pss_file_mb": smaps.get("Pss_File", 0) / 1024,
                "pss_anon_mb": smaps.get("Pss_Anon", 0) / 1024,
                "shared_mb": (smaps["Shared_Clean"] + smaps["Shared_Dirty"]) / 1024,
                "private_mb": (smaps["Private_Clean"] + smaps["Private_Dirty"]) / 1024,
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# in-process encode, in its own process


def inprocess_child(model_dir: Path, repeats: int) -> int:
    """Print the in-process encode figures of the server's default load options as JSON."""
    from types import SimpleNamespace

    from static_embed_runner import StaticEmbedRunner
    from static_embed_runner.serve.app import _json, _openai_body
    from static_embed_runner.serve.settings import ServeSettings

    defaults = ServeSettings()
    runner = StaticEmbedRunner.load(
        model_dir, table=defaults.table, tokenizer_backend=defaults.tokenizer_backend
    )
    batches, singles = batch_inputs(), one_text_inputs()
    for _ in range(5):
        for texts in batches + singles:
            runner.encode(texts)
    batch_rates, single_ms = [], []
    answer_ms: dict[str, list[float]] = {"float": [], "base64": []}
    answer_bytes: dict[str, int] = {}
    served = SimpleNamespace(name=SERVED_NAME)
    for _ in range(repeats):
        start = time.perf_counter()
        vectors = [runner.encode(texts) for texts in batches]
        batch_rates.append(64 * len(batches) / (time.perf_counter() - start))
        # The answer body as the OpenAI route builds and writes it, per encoding (private
        # helpers of the server: a change there shows up here).
        for encoding, times in answer_ms.items():
            for v in vectors:
                result = SimpleNamespace(vectors=v, tokens=0)
                start = time.perf_counter()
                body = _json(_openai_body(served, result, encoding)).body  # type: ignore[arg-type]
                times.append(1000 * (time.perf_counter() - start))
                answer_bytes[encoding] = len(body)
        for texts in singles:
            start = time.perf_counter()
            runner.encode(texts)
            single_ms.append(1000 * (time.perf_counter() - start))
    figures = {
        "load": {"table": defaults.table, "tokenizer_backend": defaults.tokenizer_backend},
        "batch64_texts_per_s": statistics.median(batch_rates),
        "single_ms_p50": statistics.median(single_ms),
        "answer_ms": {encoding: statistics.median(t) for encoding, t in answer_ms.items()},
        "answer_bytes": answer_bytes,
        "repeats": repeats,
    }
    print(json.dumps(figures))
    return 0


def measure_inprocess(model_dir: Path, snapshot: Path, repeats: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child-inprocess", str(model_dir)]
    command += ["--repeats", str(repeats)]
    env = {**os.environ, "PYTHONPATH": str(snapshot)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"in-process encode failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


# ---------------------------------------------------------------------------------------------
# one round of one contender


def measure_contender(
    contender: Contender, args: argparse.Namespace, work: Path, round_index: int
) -> dict[str, Any]:
    log = work / f"{contender.key}-round{round_index}.log"
    server = Server(contender, log)
    try:
        server.wait_ready(STARTUP_TIMEOUT_S)
        print(f"  {contender.label}: ready in {server.startup_s:.2f} s (port {server.port})")
        shapes = {kind.key: check_shape(server, kind) for kind in contender.kinds()}
        url = server.url(contender.route)
        cells: dict[str, dict[str, Any]] = {}
        for kind in contender.kinds():
            bodies = write_bodies(work, contender, kind)
            for concurrency in args.concurrencies:
                # Requests wrk leaves in flight are worked off before the next measurement (the
                # baselines do not cancel them): the drain after the warm-up also covers the
                # previous cell's leftovers; the last cell's are left to the stop.
                run_wrk(url, bodies, concurrency, args.warmup)
                drain_s = server.wait_idle()
                cell = run_wrk(url, bodies, concurrency, args.duration) | {"drain_s": drain_s}
                cells.setdefault(kind.key, {})[str(concurrency)] = cell
                print(
                    f"    {kind.key:>9} c={concurrency:<2} {cell['rps']:>9.1f} req/s  "
                    f"p50 {_fmt_ms(cell['p50_ms']):>7} ms  p99 {_fmt_ms(cell['p99_ms']):>7} ms"
                )
        memory = process_memory(server.process.pid)
    finally:
        stop = server.stop()
    return {
        "startup_s": server.startup_s,
        "shape_check": shapes,
        "cells": cells,
        "memory": memory,
        "stop": stop,
    }


# ---------------------------------------------------------------------------------------------
# medians, targets, report


def _median_or_none(values: Iterable[float | None]) -> float | None:
    """Median where a missing latency (no request finished in the cell) counts as infinite."""
    middle = statistics.median(math.inf if v is None else v for v in values)
    return None if math.isinf(middle) else middle


def summarise(key: str, label: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    cells: dict[str, dict[str, Any]] = {}
    for kind, by_c in rounds[0]["cells"].items():
        for concurrency in by_c:
            samples = [r["cells"][kind][concurrency] for r in rounds]
            cells.setdefault(kind, {})[concurrency] = {
                "median": {
                    name: _median_or_none(s[name] for s in samples)
                    for name in ("rps", "p50_ms", "p99_ms")
                },
                "rounds": samples,
            }
    memory: dict[str, dict[str, float]] = {}
    for process in rounds[0]["memory"]:
        name = process["name"]
        per_round = [p for r in rounds for p in r["memory"] if p["name"] == name]
        memory[name] = {
            figure: statistics.median(p[figure] for p in per_round)
            for figure in process
            if figure.endswith("_mb")
        }
    return {
        "key": key,
        "label": label,
        "command": rounds[0]["command"],
        "startup_s": {
            "median": statistics.median(r["startup_s"] for r in rounds),
            "rounds": [r["startup_s"] for r in rounds],
        },
        "shape_check": {"ok": all(c["ok"] for r in rounds for c in r["shape_check"].values())}
        | {"checks": rounds[0]["shape_check"]},
        "cells": cells,
        "memory": memory,
        "memory_rounds": [r["memory"] for r in rounds],
    }


def _cell(summary: dict[str, Any], key: str, kind: str, concurrency: int) -> dict[str, Any]:
    """The medians of one cell (``kind``: a :data:`KINDS` key); all None when the contender did
    not run that kind of request."""
    cell = summary["contenders"][key]["cells"].get(kind, {}).get(str(concurrency))
    return cell["median"] if cell else {"rps": None, "p50_ms": None, "p99_ms": None}


def _compare(ours: float | None, other: float | None, how: str) -> float | None:
    """``ours/other``, ``other/ours`` or ``ours-other``; None where a figure is missing."""
    if ours is None or other is None:
        return None
    if how == "ours-other":
        return ours - other
    numerator, denominator = (ours, other) if how == "ours/other" else (other, ours)
    return numerator / denominator if denominator else None


def evaluate_targets(summary: dict[str, Any], top_c: int) -> list[dict[str, Any]]:
    """The serving targets, from this run's medians (a target whose contenders did not run is
    left out; one whose figure is missing is missed)."""
    present = summary["contenders"]
    targets = []

    def add(target: str, who: str, ours: float | None, other: float | None, how: str,
            bound: float, detail: str) -> None:  # fmt: skip
        value = _compare(ours, other, how)
        at_least = how != "ours-other"
        met = value is not None and (value >= bound if at_least else value <= bound)
        targets.append(
            {"target": target, "contender": who, "ours": ours, "other": other, "value": value,
             "bound": bound, "at_least": at_least, "met": met, "detail": detail}
        )  # fmt: skip

    for who in ("ours", "ours-2w"):
        if who not in present:
            continue
        mine = _cell(summary, who, "1", top_c)
        if "infinity" in present:
            theirs = _cell(summary, "infinity", "1", top_c)
            add(
                "(a) 1-text req/s vs infinity-emb", who, mine["rps"], theirs["rps"],
                "ours/other", TARGETS["vs_infinity_rps"], f"c={top_c}, req/s ours vs infinity",
            )  # fmt: skip
        if "fastapi-st" in present:
            theirs = _cell(summary, "fastapi-st", "1", top_c)
            add(
                "(b) 1-text req/s vs FastAPI + sentence-transformers", who, mine["rps"],
                theirs["rps"], "ours/other", TARGETS["vs_fastapi_rps"],
                f"c={top_c}, req/s ours vs FastAPI",
            )  # fmt: skip
        if "infinity" in present:
            theirs = _cell(summary, "infinity", "1", top_c)
            add(
                "(c) 1-text p99 below infinity-emb's p99 / 10", who, mine["p99_ms"],
                theirs["p99_ms"], "other/ours", TARGETS["infinity_p99_over_ours"],
                f"c={top_c}, p99 ms ours vs infinity; value = infinity / ours",
            )  # fmt: skip
        for kind, tag in (("64", "float"), ("64-base64", "base64")):
            rps = _cell(summary, who, kind, top_c)["rps"]
            add(
                f"(d-{tag}) 64-text server throughput vs in-process encode, {tag} answers"
                + (" (the openai client's default)" if tag == "base64" else " (JSON arrays)"),
                who, None if rps is None else rps * 64,
                summary["in_process"]["batch64_texts_per_s"], "ours/other",
                TARGETS["server_vs_inprocess"],
                f"c={top_c}, encoding_format {tag}, texts/s: req/s x 64 vs in-process",
            )  # fmt: skip
    if "ours" in present and "ours-nomerge" in present:
        for kind in ("1", "64"):
            mine = _cell(summary, "ours", kind, top_c)
            off = _cell(summary, "ours-nomerge", kind, top_c)
            add(
                f"(e) micro-batching raises {kind}-text req/s vs merging off", "ours",
                mine["rps"], off["rps"], "ours/other", TARGETS["merge_gain"],
                f"c={top_c}, req/s default vs --max-batch-texts 1; above 1 = batching helps",
            )  # fmt: skip
    if "ours" in present and "ours-wait2" in present:
        add(
            "(f) a 2 ms batch wait costs at most ~2 ms p50 at c=1", "ours-wait2",
            _cell(summary, "ours-wait2", "1", 1)["p50_ms"],
            _cell(summary, "ours", "1", 1)["p50_ms"],
            "ours-other", TARGETS["wait_cost_ms"],
            "1-text, p50 ms --batch-wait-ms 2 vs default; value = the difference",
        )  # fmt: skip
    return targets


def _fmt_rps(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value == 0:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if value < 10 else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def render_markdown(summary: dict[str, Any]) -> str:
    settings = summary["settings"]
    concurrencies = settings["concurrencies"]
    lines = [
        "# Serving benchmark",
        "",
        f"{summary['machine']['date']}, commit {summary['source']['commit'][:12]}"
        + (" (src has uncommitted changes)" if summary["source"]["uncommitted_src_changes"] else "")
        + f"; {summary['machine']['cpu_model']}, {summary['machine']['cpu_count']} CPUs; "
        f"model `{settings['model']}` (dim {settings['dim']}; infinity-emb: {INFINITY_MODEL}, "
        f"dim {INFINITY_DIM}); wrk -t1, {settings['duration_s']} s cells after "
        f"{settings['warmup_s']} s warm-up, median of {settings['rounds']} round(s). "
        "—: no request finished within the cell.",
    ]
    for kind in KINDS:
        header = ["contender"]
        for c in concurrencies:
            header += [f"c={c} req/s", f"c={c} p50 ms", f"c={c} p99 ms"]
        lines += ["", f"## {kind.title}", ""]
        if kind.encoding == "base64":
            lines += [
                'The same four 64-text bodies with `"encoding_format": "base64"`: each vector '
                "comes back as a base64 string of little-endian float32 values (the shape check "
                "decodes them).",
                "",
            ]
        lines += ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
        skipped = []
        for key, contender in summary["contenders"].items():
            row = [contender["label"]]
            if kind.key not in contender["cells"]:
                skipped.append(contender["label"])
                row += ["n/a"] * (len(header) - 1)
            for c in concurrencies if kind.key in contender["cells"] else ():
                m = _cell(summary, key, kind.key, c)
                row += [_fmt_rps(m["rps"]), _fmt_ms(m["p50_ms"]), _fmt_ms(m["p99_ms"])]
            lines.append("| " + " | ".join(row) + " |")
        if skipped:
            lines += [
                "",
                f"n/a: not run for {', '.join(skipped)}: the baseline server "
                "(`bench/baselines/st_fastapi_server.py`) has no `encoding_format` field, "
                "ignores it and answers float JSON, so it has no base64 figure.",
            ]
    lines += ["", "## Targets", ""]
    for t in summary["targets"]:
        sign = ">=" if t["at_least"] else "<="
        label = summary["contenders"][t["contender"]]["label"]
        figures = " vs ".join("—" if v is None else f"{v:,.2f}" for v in (t["ours"], t["other"]))
        value = "—" if t["value"] is None else f"{t['value']:.2f}"
        lines.append(
            f"- {t['target']} [{label}]: **{value}** ({t['detail']}: {figures}); target "
            f"{sign} {t['bound']:g}: **{'met' if t['met'] else 'missed'}**"
        )
    inproc = summary["in_process"]
    lines += [
        "",
        "## In-process encode (same texts, its own process)",
        "",
        f"`StaticEmbedRunner.load(model, table={inproc['load']['table']!r}, "
        f"tokenizer_backend={inproc['load']['tokenizer_backend']!r})`: 64-text encode "
        f"{inproc['batch64_texts_per_s']:,.0f} texts/s, 1-text encode p50 "
        f"{inproc['single_ms_p50'] * 1000:.0f} us (medians over rounds).",
        "",
        f"The server's answer body for one 64-text request ({settings['dim']}-d vectors; its "
        "`_openai_body` + orjson, as the OpenAI route writes it), serialised in the same "
        f"process: float JSON {inproc['answer_ms']['float']:.2f} ms "
        f"({inproc['answer_bytes']['float'] / 1024:,.0f} KiB), base64 "
        f"{inproc['answer_ms']['base64']:.2f} ms "
        f"({inproc['answer_bytes']['base64'] / 1024:,.0f} KiB), against "
        f"{64_000 / inproc['batch64_texts_per_s']:.2f} ms to encode the 64 texts.",
        "",
        "## Start-up (process start to first 200 on /health, median)",
        "",
        "| contender | seconds |",
        "|---|---:|",
    ]
    for contender in summary["contenders"].values():
        lines.append(f"| {contender['label']} | {contender['startup_s']['median']:.2f} |")
    lines += [
        "",
        "## Memory after the load cells (MB, median over rounds)",
        "",
        "| contender | process | VmRSS | Pss | Pss file | Pss anon | shared | private |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for contender in summary["contenders"].values():
        for name, m in contender["memory"].items():
            lines.append(
                f"| {contender['label']} | {name} | {m['vm_rss_mb']:.1f} | {m['pss_mb']:.1f} | "
                f"{m['pss_file_mb']:.1f} | {m['pss_anon_mb']:.1f} | {m['shared_mb']:.1f} | "
                f"{m['private_mb']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def plot(summary: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    concurrencies = summary["settings"]["concurrencies"]
    figure, axes = plt.subplots(1, len(KINDS), figsize=(17, 5), sharey=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for axis, kind in zip(axes, KINDS, strict=True):
        for n, (key, contender) in enumerate(summary["contenders"].items()):
            if kind.key not in contender["cells"]:
                axis.plot([], [], color=colours[n % len(colours)], label=contender["label"])
                continue
            values = [_cell(summary, key, kind.key, c)["rps"] or math.nan for c in concurrencies]
            style = "-" if key.startswith("ours") else "--"
            axis.plot(concurrencies, values, style, marker="o", color=colours[n % len(colours)],
                      label=contender["label"])  # fmt: skip
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.10g}"))
        axis.yaxis.set_minor_formatter(NullFormatter())
        axis.set_xticks(concurrencies, [str(c) for c in concurrencies])
        axis.set_xlabel("concurrent connections (wrk -t1)")
        axis.set_ylabel("requests/s (log)")
        axis.set_title(kind.title.replace(", ", ",\n", 1), fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=9, frameon=False)
    rounds = summary["settings"]["rounds"]
    figure.suptitle(
        f"Embedding servers on {summary['machine']['cpu_count']} CPUs, 127.0.0.1, wrk "
        f"(median of {rounds} round{'s' if rounds > 1 else ''}; infinity-emb serves "
        f"{INFINITY_MODEL}; a missing point: no request finished within the cell; "
        "FastAPI + sentence-transformers has no base64 answers)",
        fontsize=10,
    )
    figure.tight_layout(rect=(0, 0.12, 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)


# ---------------------------------------------------------------------------------------------
# driver


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round, 1 s cells, ours")
    parser.add_argument("--rounds", type=int, help="rounds (default 3; --quick: 1)")
    parser.add_argument("--duration", type=int, help="seconds per measured cell (default 4)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per cell")
    parser.add_argument("--concurrencies", type=int, nargs="+")
    parser.add_argument("--contenders", nargs="+", choices=CONTENDER_KEYS)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="a sentence-transformers model")
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    parser.add_argument("--json", type=Path, help="results file (.md and .png written beside)")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG (no matplotlib)")
    parser.add_argument("--child-inprocess", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=40, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_inprocess:
        return args
    if MODELS[args.model].model_format != "sentence-transformers":
        parser.error("--model must be a sentence-transformers StaticEmbedding bench model")
    quick = args.quick
    args.rounds = args.rounds or (1 if quick else 3)
    args.duration = args.duration or (1 if quick else 4)
    args.concurrencies = args.concurrencies or list(QUICK_CONCURRENCIES if quick else CONCURRENCIES)
    args.contenders = args.contenders or (["ours"] if quick else list(CONTENDER_KEYS))
    args.repeats = 10 if quick else args.repeats
    args.json = args.json or ROOT / "results" / "serve" / ("quick" if quick else "") / (
        "serve_bench.json"
    )
    return args


def check_tools(keys: list[str]) -> None:
    if shutil.which(WRK) is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (.ci/run installs it)")
    if "fastapi-st" in keys and not ST_SERVE_PYTHON.exists():
        raise SystemExit(f"{ST_SERVE_PYTHON} is missing: run bench/setup_serve_baselines.sh")
    if "infinity" in keys and not (INFINITY_VENV / "bin" / "infinity_emb").exists():
        raise SystemExit(f"{INFINITY_VENV} is missing: run bench/setup_serve_baselines.sh")


def wrk_version() -> str:
    done = subprocess.run([WRK, "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).splitlines()[0].strip()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_inprocess:
        return inprocess_child(args.child_inprocess, args.repeats)
    check_tools(args.contenders)
    began = time.perf_counter()
    load_before = os.getloadavg()
    model = MODELS[args.model]
    model_dir = build(model, args.cache_dir)
    top_c = max(args.concurrencies)
    with tempfile.TemporaryDirectory(prefix="ser-bench-serve-") as tmp:
        work = Path(tmp)
        source = snapshot_source(work / "src")
        chosen = contenders(args.contenders, model_dir, model.dim, work / "src")
        rounds: dict[str, list[dict[str, Any]]] = {c.key: [] for c in chosen}
        inprocess_rounds = []
        for r in range(args.rounds):
            print(f"round {r + 1}/{args.rounds}")
            inprocess_rounds.append(measure_inprocess(model_dir, work / "src", args.repeats))
            print(
                f"  in-process encode: {inprocess_rounds[-1]['batch64_texts_per_s']:,.0f} "
                "texts/s (64-text batches); 64-vector answer body: float JSON "
                f"{inprocess_rounds[-1]['answer_ms']['float']:.2f} ms, base64 "
                f"{inprocess_rounds[-1]['answer_ms']['base64']:.2f} ms"
            )
            shift = r % len(chosen)
            for contender in chosen[shift:] + chosen[:shift]:
                result = measure_contender(contender, args, work, r)
                result["command"] = contender.command
                rounds[contender.key].append(result)
    summary: dict[str, Any] = {
        "benchmark": "serve",
        "machine": machine_info(),
        "source": source,
        "load_average_before_after": [load_before, os.getloadavg()],
        "settings": {
            "model": args.model,
            "model_dir": str(model_dir),
            "dim": model.dim,
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrencies": args.concurrencies,
            "kinds": [
                {"key": k.key, "texts": k.size, "encoding_format": k.encoding, "title": k.title}
                for k in KINDS
            ],
            "wrk": wrk_version(),
            "wrk_threads": 1,
            "wrk_timeout_s": WRK_TIMEOUT_S,
            "one_text_bodies": one_text_inputs(),
            "batch_bodies_first_texts": [b[0] for b in batch_inputs()],
        },
        "contenders": {c.key: summarise(c.key, c.label, rounds[c.key]) for c in chosen},
        "in_process": {
            "load": inprocess_rounds[0]["load"],
            "batch64_texts_per_s": statistics.median(
                r["batch64_texts_per_s"] for r in inprocess_rounds
            ),
            "single_ms_p50": statistics.median(r["single_ms_p50"] for r in inprocess_rounds),
            "answer_ms": {
                encoding: statistics.median(r["answer_ms"][encoding] for r in inprocess_rounds)
                for encoding in ("float", "base64")
            },
            "answer_bytes": inprocess_rounds[0]["answer_bytes"],
            "rounds": inprocess_rounds,
        },
    }
    summary["targets"] = evaluate_targets(summary, top_c)
    summary["duration_s"] = time.perf_counter() - began
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=2) + "\n")
    markdown = render_markdown(summary)
    args.json.with_suffix(".md").write_text(markdown)
    print()
    print(markdown)
    if not args.no_plot:
        plot(summary, args.json.with_suffix(".png"))
    print(f"wrote {args.json} (+ .md{'' if args.no_plot else ', .png'}) in "
          f"{summary['duration_s'] / 60:.1f} min")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
