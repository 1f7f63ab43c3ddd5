"""Fixtures of the SQL tests: the embedded default model, a real corpus, SQLite connections
with the real sqlite-vec extension loaded (one fixture per SQLite module)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from corpus import REAL_SENTENCES
from sql.helpers import SQLITE_MODULES

from static_embed_runner import StaticEmbedRunner

BENCH_TEXTS = Path(__file__).resolve().parents[2] / "bench" / "texts.py"


def _bench_sentences() -> list[str]:
    spec = importlib.util.spec_from_file_location("bench_texts_for_sql_tests", BENCH_TEXTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.SENTENCES)


@pytest.fixture(scope="session")
def runner() -> StaticEmbedRunner:
    return StaticEmbedRunner.load()


@pytest.fixture(scope="session")
def corpus(runner: StaticEmbedRunner) -> list[str]:
    """The benchmark's English and Japanese sentences and the shared test sentences: distinct
    texts whose vectors are distinct and non-zero (so every distance is defined), none with a NUL
    (pysqlite3 hands a Python function the text up to it; a test of its own covers that)."""
    texts = [t for t in dict.fromkeys(_bench_sentences() + REAL_SENTENCES) if "\0" not in t]
    vectors = runner.encode(texts)
    keep, seen = [], set()
    for text, vector in zip(texts, vectors, strict=True):
        if np.any(vector) and vector.tobytes() not in seen:
            seen.add(vector.tobytes())
            keep.append(text)
    return keep


@pytest.fixture(params=sorted(SQLITE_MODULES))
def connect(request: pytest.FixtureRequest) -> Callable[[], object]:
    """A function returning a new in-memory SQLite connection with sqlite-vec loaded."""
    return SQLITE_MODULES[request.param]
