"""Real servers for the server tests: the app on uvicorn in a background thread, bound to
127.0.0.1 port 0 (or a Unix socket in a temp dir), serving models built with the reference
libraries once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import MODEL_FIXTURES
from runtime.reference_models import build_st
from serve.live_server import LiveServer, live_server

from static_embed_runner.runner import StaticEmbedRunner
from static_embed_runner.serve import ModelSpec, ServeSettings

M2V = MODEL_FIXTURES / "model2vec-rs-test-model-float32"


@pytest.fixture(scope="session")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | None]:
    """Served models by name: the default model (SSE 4-bit), a Model2Vec model, and two
    sentence-transformers models (one with prompts, one truncating at 100 tokens)."""
    root = tmp_path_factory.mktemp("serve-models")
    build_st(root / "st-prompts", "prompts")
    build_st(root / "st-trunc", "bert-truncation-100")
    return {
        "default": None,
        "m2v": M2V,
        "st-prompts": root / "st-prompts",
        "st-trunc": root / "st-trunc",
    }


@pytest.fixture(scope="session")
def runners(model_dirs: dict[str, Path | None]) -> dict[str, StaticEmbedRunner]:
    """The same models loaded in-process: what every served vector must equal."""
    return {name: StaticEmbedRunner.load(path) for name, path in model_dirs.items()}


@pytest.fixture(scope="session")
def served_settings(model_dirs: dict[str, Path | None]) -> ServeSettings:
    specs = [
        ModelSpec(name, None if path is None else str(path)) for name, path in model_dirs.items()
    ]
    return ServeSettings(models=specs, max_inputs=64, max_input_chars=2000, max_body_bytes=200_000)


@pytest.fixture(scope="session")
def server(served_settings: ServeSettings) -> Iterator[LiveServer]:
    with live_server(served_settings) as running:
        yield running
