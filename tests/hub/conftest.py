"""Hub test fixtures: a local fake Hub serving a real Model2Vec model at two revisions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import MODEL_FIXTURES
from hub.fake_hub import REPO, FakeHub, read_model_dir

UNNEEDED = {
    "onnx/model.onnx": b"\x08\x07" * 4096,  # LFS file the layout does not need
    ".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
}


@pytest.fixture(scope="session")
def main_files() -> dict[str, bytes]:
    """The real float32 Model2Vec test model plus files no layout needs."""
    files = read_model_dir(MODEL_FIXTURES / "model2vec-rs-test-model-float32")
    return {**files, **UNNEEDED}


@pytest.fixture(scope="session")
def v2_files() -> dict[str, bytes]:
    """A second revision: the int8 variant of the same model (same tokenizer.json)."""
    files = read_model_dir(MODEL_FIXTURES / "model2vec-rs-test-model-int8")
    return {**files, **UNNEEDED}


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "hf-cache"


@pytest.fixture
def hub_env(monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> Path:
    """A clean Hub environment: our cache dir, online, no token (not even a login token file)."""
    for name in (
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_TOKEN_PATH",
        "HUGGINGFACE_HUB_CACHE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(cache_dir.parent / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache_dir))
    return cache_dir


@pytest.fixture
def fake_hub(
    hub_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    main_files: dict[str, bytes],
    v2_files: dict[str, bytes],
) -> Iterator[FakeHub]:
    """A running fake Hub with ``REPO`` at ``main`` and ``v2``; ``HF_ENDPOINT`` points at it."""
    with FakeHub() as hub:
        hub.add_commit(REPO, main_files, refs=("main",))
        hub.add_commit(REPO, v2_files, refs=("v2",))
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        yield hub
