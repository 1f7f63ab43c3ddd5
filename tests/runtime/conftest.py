"""Session fixtures: reference models built once WITH the reference libraries, and their outputs.

The builders live in ``runtime.reference_models``; the bounds the comparisons assert, in
``verification`` (and how to re-measure them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from corpus import MODEL_FIXTURES
from runtime.reference_models import (
    BACKENDS,
    BERT,
    M2V_CASES,
    M2V_FIXTURES,
    ST_CASES,
    Reference,
    SseModel,
    build_float16_copy,
    build_m2v,
    build_st,
    distilled_model_dir,
    m2v_reference,
    rust_tokenizer,
    st_reference,
    write_sse_model,
)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runtime-models")


@pytest.fixture(scope="session")
def st_references(models_root: Path) -> dict[str, Reference]:
    references = {}
    for case in ST_CASES:
        path = models_root / f"st-{case}"
        build_st(path, case)
        references[case] = st_reference(path)
    return references


@pytest.fixture(scope="session")
def m2v_references(models_root: Path) -> dict[str, Reference]:
    references = {}
    for case in M2V_CASES:
        path = models_root / f"m2v-{case}"
        build_m2v(path, case)
        references[case] = m2v_reference(path)
    for name in M2V_FIXTURES:
        references[f"fixture-{name}"] = m2v_reference(
            MODEL_FIXTURES / f"model2vec-rs-test-model-{name}"
        )
    return references


@pytest.fixture(scope="session")
def distilled_references(models_root: Path) -> dict[str, Reference]:
    """all-MiniLM-L6-v2 distilled by model2vec (float32), and model2vec's float16 copy of it."""
    float32 = distilled_model_dir()
    build_float16_copy(float32, models_root / "distilled-float16")
    return {
        "float32": m2v_reference(float32),
        "float16": m2v_reference(models_root / "distilled-float16"),
    }


@pytest.fixture(scope="session")
def sse_models(models_root: Path) -> dict[str, SseModel]:
    vocab = rust_tokenizer(BERT).get_vocab_size()
    return {
        "head": write_sse_model(models_root / "sse-head", vocab, 32, seed=1, head=True),
        "no-head": write_sse_model(models_root / "sse-no-head", vocab, 16, seed=2, head=False),
        "truncation-64": write_sse_model(
            models_root / "sse-trunc", vocab, 16, seed=3, head=True, truncation=64
        ),
    }


@pytest.fixture(scope="session")
def default_runner():
    """The embedded default model (all-MiniLM-L6-v2 distilled to 256 dimensions, 4-bit)."""
    from static_embed_runner import StaticEmbedRunner

    return StaticEmbedRunner.load()


@pytest.fixture(scope="session")
def docs_vectors(default_runner) -> tuple[np.ndarray, np.ndarray]:
    """(queries, corpus) of ``retrieval_corpus`` embedded by the default model, L2-normalised."""
    from retrieval_corpus import queries_and_corpus

    queries, corpus = queries_and_corpus()
    return default_runner.encode(queries), default_runner.encode(corpus)
