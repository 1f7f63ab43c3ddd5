"""Mutation check of the reference comparisons: do they notice a perturbation below 1e-6?

Runs the tests that compare ``encode`` against the reference libraries once per mutation, each in
a fresh pytest process with this module loaded as a plugin (``-p mutation_check``) that patches
the package in memory (nothing is edited on disk), and prints which tests fail under each:

- ``none``: no change (every test must pass);
- ``ulp``: every float of ``encode``'s output moved up by one float32 ulp (``np.nextafter``);
- ``5e-8`` / ``5e-7``: that much added to every float of the output (in float32);
- ``sum-order``: pooling sums each text's rows in reverse token order.

Usage::

    python scripts/mutation_check.py                     # all mutations, a table on stdout
    python scripts/mutation_check.py --mutations ulp     # one; extra args go to pytest after --
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MUTATIONS = ("none", "ulp", "5e-8", "5e-7", "sum-order")
# Only the comparisons of vectors (token id checks cannot notice a change of the output).
SELECTION = "not token_ids and not unknown and not truncation_applies"
TESTS = (
    "tests/runtime/test_runner_vs_sentence_transformers.py",
    "tests/runtime/test_runner_vs_model2vec.py",
    "tests/runtime/test_max_length.py",
    "tests/runtime/test_sse.py",
    "tests/runtime/test_sse_second_reference.py",
    "tests/default_model/test_default_model.py::"
    "test_default_model_encodes_exactly_like_model2vec_on_its_decoded_table",
    "tests/default_model/test_default_model.py::"
    "test_default_model_stays_close_to_the_float32_model2vec_model",
)
ENV = "SER_MUTATION"


def _perturb(vectors: np.ndarray, mutation: str) -> np.ndarray:
    if mutation == "ulp":
        return np.nextafter(vectors, np.float32(np.inf)).astype(np.float32)
    return (vectors + np.float32(float(mutation))).astype(np.float32)


def _reverse_sum(block: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Pooling's ``_sum_tokens`` summing the tokens last to first."""
    if block.size == block.shape[0]:
        return np.add(np.cumsum(block[::-1], axis=0)[-1], 0, out=out)
    return np.add.reduce(block[::-1], axis=0, out=out)


def pytest_configure(config) -> None:
    """Plugin hook: apply ``$SER_MUTATION`` to the imported package."""
    mutation = os.environ.get(ENV, "none")
    if mutation == "none":
        return
    from static_embed_runner import pooling
    from static_embed_runner.runner import StaticEmbedRunner

    if mutation == "sum-order":
        pooling._sum_tokens = _reverse_sum
        return
    pool, one = StaticEmbedRunner._pool, StaticEmbedRunner._embed_one
    StaticEmbedRunner._pool = lambda self, *a, **k: _perturb(pool(self, *a, **k), mutation)
    StaticEmbedRunner._embed_one = lambda self, *a, **k: _perturb(one(self, *a, **k), mutation)


def run(mutation: str, extra: list[str]) -> tuple[int, int, list[str]]:
    """(failed, passed, failed test ids) of the tests under ``mutation``."""
    env = {**os.environ, ENV: mutation, "PYTHONPATH": os.pathsep.join(_paths())}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p"]
    command += ["mutation_check", "-rf", "-k", SELECTION, *TESTS, *extra]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env)
    failed_ids = re.findall(r"^FAILED (\S+)", done.stdout, re.MULTILINE)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    failed = int(m.group(1)) if (m := re.search(r"(\d+) failed", summary)) else 0
    passed = int(m.group(1)) if (m := re.search(r"(\d+) passed", summary)) else 0
    if not failed and not passed:
        raise RuntimeError(f"pytest ran nothing under {mutation}:\n{done.stdout}\n{done.stderr}")
    return failed, passed, failed_ids


def _paths() -> list[str]:
    inherited = os.environ.get("PYTHONPATH", "")
    return [str(REPO / "scripts"), str(REPO / "src"), *filter(None, inherited.split(os.pathsep))]


def _group(test_ids: list[str]) -> dict[str, int]:
    """Failed test ids counted per test function."""
    counts: dict[str, int] = {}
    for test_id in test_ids:
        name = test_id.split("::")[-1].split("[")[0]
        counts[name] = counts.get(name, 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", nargs="+", default=list(MUTATIONS), choices=MUTATIONS)
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    print("| mutation | failed / run | failing tests (count of cases) |")
    print("|---|---|---|")
    for mutation in args.mutations:
        failed, passed, ids = run(mutation, args.pytest_args)
        grouped = ", ".join(f"`{name}` ({n})" for name, n in sorted(_group(ids).items()))
        print(f"| {mutation} | {failed} / {failed + passed} | {grouped or '-'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
