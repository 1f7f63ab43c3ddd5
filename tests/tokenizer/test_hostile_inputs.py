"""Hostile tokenizer files and texts, each in a child process under a memory and CPU-time cap
(``resource.setrlimit``): each ends in this package's typed error or in a bounded result, never
in a hang, a crash of the process or an untyped exception.

Caps: 1.5 GB of address space and 60 s of CPU per case. Before the window and the checks, the
100 MB text took 1.6 GB and 46-51 s in pure Python and 10 GB and 390-550 s in ``tokenizers``; the
``(a+)+$`` file hung ``re`` for minutes; the invalid charsmap raised a Rust panic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tokenizer.reference_tokenizers import fixture_tokenizers

MEMORY_CAP = 1536 << 20
CPU_SECONDS = 60
# Peak RSS any case may reach (MB): the 100 MB text itself, the package and its tables.
PEAK_RSS_MB = 700

_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu}))
from static_embed_runner.errors import StaticEmbedRunnerError
from static_embed_runner.tokenizer.backend import load_tokenizer
from static_embed_runner.tokenizer.truncation import Truncation
path, backend = sys.argv[1], sys.argv[2]
outcome = {{}}
try:
{body}
except StaticEmbedRunnerError as exc:
    outcome = {{"error": type(exc).__name__, "message": str(exc)}}
# VmHWM, not ru_maxrss: ru_maxrss survives fork and exec, so it would report the test process's
# own peak; VmHWM belongs to this process's memory alone.
with open("/proc/self/status", encoding="ascii") as status:
    hwm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
outcome["peak_rss_mb"] = hwm_kb // 1024
print(json.dumps(outcome))
"""

HUGE = "    text = 'word ' * 20_000_000  # 100 MB\n"
CASES = {
    "catastrophic-regex-lite": (
        "split",
        "lite",
        "    load_tokenizer(path, backend)\n",
        "UnsupportedTokenizerError",
    ),
    "catastrophic-regex-text-auto": (
        "split",
        "auto",
        "    tok = load_tokenizer(path, backend)\n    tok.encode('a' * 5000 + 'b')\n",
        "TokenizerInputError",
    ),
    "invalid-charsmap-tokenizers": (
        "charsmap",
        "tokenizers",
        "    load_tokenizer(path, backend)\n",
        "TokenizerFormatError",
    ),
    "invalid-charsmap-lite": (
        "charsmap",
        "lite",
        "    load_tokenizer(path, backend)\n",
        "TokenizerFormatError",
    ),
    "lone-surrogate-tokenizers": (
        "bert",
        "tokenizers",
        "    load_tokenizer(path, backend).encode('ok \\udc80')\n",
        "TokenizerInputError",
    ),
    "lone-surrogate-lite": (
        "bert",
        "lite",
        "    load_tokenizer(path, backend).encode('ok \\udc80')\n",
        "TokenizerInputError",
    ),
    "surrogate-after-100MB": (
        "bert",
        "tokenizers",
        HUGE + "    tok = load_tokenizer(path, backend).with_truncation(Truncation(512))\n"
        "    tok.encode(text + '\\ud800')\n",
        "TokenizerInputError",
    ),
}
for _backend in ("lite", "tokenizers"):
    for _direction in ("right", "left"):
        CASES[f"100MB-text-{_backend}-{_direction}"] = (
            "bert",
            _backend,
            HUGE + f"    tok = load_tokenizer(path, backend).with_truncation("
            f"Truncation(512, {_direction!r}))\n"
            "    outcome = {'ids': len(tok.encode(text))}\n",
            512,
        )


def _files(tmp_path: Path) -> dict[str, Path]:
    gpt2 = json.loads(fixture_tokenizers()["gpt2"].read_text(encoding="utf-8"))
    gpt2["pre_tokenizer"] = {
        "type": "Split",
        "pattern": {"Regex": "(a+)+$"},
        "behavior": "Isolated",
        "invert": False,
    }
    t5 = json.loads(fixture_tokenizers()["t5-small"].read_text(encoding="utf-8"))
    t5["normalizer"] = {"type": "Precompiled", "precompiled_charsmap": "/////w=="}
    files = {"split": gpt2, "charsmap": t5}
    paths = {"bert": fixture_tokenizers()["bert-base-uncased"]}
    for name, config in files.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(config), encoding="utf-8")
    return paths


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_case_ends_typed_or_bounded_under_memory_and_time_caps(tmp_path, case):
    file, backend, body, expected = CASES[case]
    script = _CHILD.format(cap=MEMORY_CAP, cpu=CPU_SECONDS, body=body)
    done = subprocess.run(
        [sys.executable, "-c", script, str(_files(tmp_path)[file]), backend],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "RUST_BACKTRACE": "0"},
    )

    assert done.returncode == 0, done.stderr[-2000:]
    outcome = json.loads(done.stdout)
    if isinstance(expected, int):
        assert outcome["ids"] == expected
    else:
        assert outcome["error"] == expected, outcome
        assert "Traceback" not in done.stderr
    assert outcome["peak_rss_mb"] <= PEAK_RSS_MB
