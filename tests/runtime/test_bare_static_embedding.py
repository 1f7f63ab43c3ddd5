"""A bare sentence-transformers StaticEmbedding folder (model.safetensors + tokenizer.json, no
modules.json), against ``sentence_transformers.models.StaticEmbedding.load(folder)``."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import verification
from corpus import CORPUS, MODEL_FIXTURES
from runtime.reference_models import BERT, _table, rust_tokenizer

from static_embed_runner.formats.detect import detect_layout, files_to_download
from static_embed_runner.head import l2_normalize
from static_embed_runner.runner import StaticEmbedRunner


def _static_embedding_output(path: Path) -> np.ndarray:
    """What ``StaticEmbedding.load(path)`` computes for the corpus (its forward pass)."""
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    module = StaticEmbedding.load(str(path))
    features = module.preprocess(CORPUS)
    return module(features)["sentence_embedding"].detach().numpy()


@pytest.fixture(scope="module")
def bare_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Saved by ``StaticEmbedding.save`` (embedding.weight), and a folder holding only Model2Vec
    tensors (embeddings, mapping, weights) with its tokenizer, which ``StaticEmbedding.load``
    folds to one row per token."""
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    root = tmp_path_factory.mktemp("bare")
    saved = root / "saved"
    saved.mkdir()
    tokenizer = rust_tokenizer(BERT)
    weights = _table(tokenizer.get_vocab_size(), 24, seed=11)
    StaticEmbedding(tokenizer, embedding_weights=weights).save(str(saved))
    folded = root / "model2vec-tensors"
    folded.mkdir()
    source = MODEL_FIXTURES / "model2vec-rs-test-model-vocab-quantized"
    for name in ("model.safetensors", "tokenizer.json"):
        shutil.copyfile(source / name, folded / name)
    return {"saved": saved, "model2vec-tensors": folded}


@pytest.mark.parametrize("case", verification.BARE_CASES)
def test_bare_folder_loads_as_static_embedding_without_normalize(
    case: str, backend: str, bare_folders: dict[str, Path]
) -> None:
    path = bare_folders[case]
    assert sorted(p.name for p in path.iterdir()) == ["model.safetensors", "tokenizer.json"]
    reference = _static_embedding_output(path)
    runner = StaticEmbedRunner.load(path, tokenizer_backend=backend)
    assert runner.model_format == "sentence-transformers"
    raw = runner.encode(CORPUS, normalize=None)
    verification.assert_within(f"sentence-transformers/bare-folder/{case}", raw, reference)
    # normalize=True (encode's default) is that output divided by its norm, the package's one
    # normalisation (sentence-transformers' Normalize module is within 1 ulp of it).
    assert np.array_equal(runner.encode(CORPUS), l2_normalize(reference))
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0)


def test_bare_folder_is_detected_locally_and_on_the_hub(bare_folders: dict[str, Path]) -> None:
    assert detect_layout(bare_folders["saved"]).name == "sentence-transformers"
    listing = ["README.md", ".gitattributes", "model.safetensors", "tokenizer.json"]
    assert files_to_download(listing) == ["model.safetensors", "tokenizer.json"]
