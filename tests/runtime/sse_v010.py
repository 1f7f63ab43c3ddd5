"""A second reader of the SSE 4-bit layout: static-embed-runner 0.1.0 from PyPI, in its own venv.

Version 0.1.0 (a separate code base published under the same name) reads ``embedding.q4_k_m.bin``
and ``model_rest.safetensors`` with its own code. It shares the import name with this package, so
it lives in a venv of its own, created once and cached under ``~/.cache`` (``$XDG_CACHE_HOME``)
and run in a subprocess. The venv sees this interpreter's site-packages (numpy and tokenizers, the
same versions as the test run), and its own site-packages come first, so ``static_embed_runner``
there is 0.1.0; the subprocess checks that before encoding.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

PIP_SPEC = "static-embed-runner==0.1.0"

CHECK = """
import importlib.metadata, sys
import static_embed_runner
version = importlib.metadata.version("static-embed-runner")
assert version == "0.1.0" and static_embed_runner.__file__.startswith(sys.prefix), (
    version, static_embed_runner.__file__)
"""
ENCODE = (
    CHECK
    + """
import json
import numpy as np
from static_embed_runner import StaticEmbedRunner
model, texts_file, out = sys.argv[1:4]
texts = json.load(open(texts_file, encoding="utf-8"))
runner = StaticEmbedRunner.load(model, tokenizer_backend="rust")
np.save(out, np.asarray(runner.encode(texts, normalize=False), dtype=np.float32))
"""
)


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "static-embed-runner-tests"


def venv_python() -> Path:
    """The 0.1.0 venv's interpreter, creating the venv first if needed (fails loudly)."""
    key = hashlib.sha256(f"{sys.prefix}|{sys.version}|{PIP_SPEC}".encode()).hexdigest()[:12]
    venv = _cache_root() / f"sse-v0.1.0-{key}"
    python = venv / "bin" / "python"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (python.is_file() and _runs_0_1_0(python)):
            _run(
                [
                    sys.executable,
                    "-m",
                    "venv",
                    "--clear",
                    "--without-pip",
                    "--system-site-packages",
                    str(venv),
                ]
            )
            # --ignore-installed: this interpreter's site-packages hold this project (also 0.1.0)
            pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
            _run([*pip, "--no-deps", "--ignore-installed", PIP_SPEC])
            if not _runs_0_1_0(python):
                raise RuntimeError(f"{venv} does not import {PIP_SPEC} from its own site-packages")
    return python


def _runs_0_1_0(python: Path) -> bool:
    check = [str(python), "-c", CHECK]
    return subprocess.run(check, capture_output=True, env=_clean_env()).returncode == 0


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=_clean_env())
    if done.returncode != 0:
        raise RuntimeError(
            f"could not build the {PIP_SPEC} venv ({' '.join(command)}):\n"
            f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )


def _clean_env() -> dict[str, str]:
    """This environment without PYTHONPATH (which would put this package's source first)."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}


def encode(python: Path, model: Path, texts: list[str], scratch: Path) -> np.ndarray:
    """``StaticEmbedRunner.load(model, tokenizer_backend="rust").encode(texts, normalize=False)``
    as version 0.1.0 computes it."""
    texts_file, out = scratch / "texts.json", scratch / "vectors.npy"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    command = [str(python), "-c", ENCODE, str(model), str(texts_file), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env=_clean_env())
    assert done.returncode == 0, done.stderr[-3000:]
    return np.load(out)
