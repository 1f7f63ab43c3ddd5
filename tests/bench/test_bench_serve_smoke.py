"""Smoke test of the serving benchmark: ``bench/bench_serve.py --quick`` runs end to end against
our 1-worker server with wrk and writes JSON with figures for both concurrencies and all three
request kinds (1 text; 64 texts with float answers; 64 texts with base64 answers).

Benchmarks are not tests, so no timing is compared with a bound; the test checks the plumbing
(server start and stop, the shape check, wrk's report parsed, the in-process figure, the files).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "bench_serve.py"


def test_quick_serving_benchmark_measures_our_server_at_both_concurrencies(
    tmp_path: Path,
) -> None:
    assert shutil.which("wrk"), "wrk is missing: .ci/run installs it (Debian package 'wrk')"
    out = tmp_path / "serve_bench.json"
    command = [
        sys.executable, str(SCRIPT), "--quick", "--json", str(out), "--no-plot",
        "--model", "tiny-st-30k-8", "--cache-dir", str(tmp_path / "models"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]

    summary = json.loads(out.read_text())
    ours = summary["contenders"]["ours"]
    assert ours["shape_check"]["ok"]
    checks = ours["shape_check"]["checks"]
    assert {kind: (c["vectors"], c["encoding"]) for kind, c in checks.items()} == {
        "1": (1, "float"),
        "64": (64, "float"),
        "64-base64": (64, "base64"),
    }
    assert checks["64-base64"]["decoded"] and checks["64-base64"]["dims"] == [8]
    assert [k["encoding_format"] for k in summary["settings"]["kinds"]] == [None, None, "base64"]
    for kind in ("1", "64", "64-base64"):
        for concurrency in ("1", "8"):
            cell = ours["cells"][kind][concurrency]["median"]
            assert cell["rps"] > 0, (kind, concurrency, cell)
            assert 0 < cell["p50_ms"] <= cell["p99_ms"], (kind, concurrency, cell)
    assert ours["startup_s"]["median"] > 0
    assert ours["memory"]["server"]["vm_rss_mb"] > 0
    in_process = summary["in_process"]
    assert in_process["batch64_texts_per_s"] > 0
    assert in_process["answer_ms"]["float"] > 0 and in_process["answer_ms"]["base64"] > 0
    targets = summary["targets"]
    assert [t["target"].split()[0] for t in targets] == ["(d-float)", "(d-base64)"]
    assert all(t["value"] is not None and t["value"] > 0 for t in targets), targets
    markdown = out.with_suffix(".md").read_text()
    assert markdown.startswith("# Serving benchmark")
    assert "## 64-text requests, base64 answers" in markdown
