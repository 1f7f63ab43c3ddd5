"""Layout detection on local folders and on Hub file listings."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import MODEL_FIXTURES

from static_embed_runner.errors import ModelFileNotFoundError, UnknownModelLayoutError
from static_embed_runner.formats.detect import detect_layout, files_to_download

STATIC_RETRIEVAL_MRL = [
    ".gitattributes",
    "0_StaticEmbedding/model.safetensors",
    "0_StaticEmbedding/tokenizer.json",
    "README.md",
    "config_sentence_transformers.json",
    "modules.json",
]
POTION = [
    ".gitattributes",
    "README.md",
    "config.json",
    "model.safetensors",
    "modules.json",
    "tokenizer.json",
]
SSE = ["README.md", "embedding.q4_k_m.bin", "model_rest.safetensors", "tokenizer.json", "sse.py"]


@pytest.mark.parametrize(
    ("listing", "expected"),
    [
        (
            STATIC_RETRIEVAL_MRL,
            [
                "modules.json",
                "config_sentence_transformers.json",
                "0_StaticEmbedding/model.safetensors",
                "0_StaticEmbedding/tokenizer.json",
            ],
        ),
        (POTION, ["config.json", "model.safetensors", "tokenizer.json"]),
        (SSE, ["embedding.q4_k_m.bin", "tokenizer.json", "model_rest.safetensors"]),
        (
            ["config_sentence_transformers.json", "model.safetensors", "tokenizer.json"],
            ["config_sentence_transformers.json", "model.safetensors", "tokenizer.json"],
        ),
    ],
)
def test_files_to_download_lists_what_the_detected_layout_needs(
    listing: list[str], expected: list[str]
) -> None:
    assert files_to_download(listing) == expected


def test_unknown_listing_names_the_files_and_every_layouts_needs() -> None:
    with pytest.raises(UnknownModelLayoutError) as info:
        files_to_download(["README.md", "pytorch_model.bin"])
    message = str(info.value)
    assert "README.md, pytorch_model.bin" in message
    for layout in ("sse-q4", "model2vec", "sentence-transformers"):
        assert layout in message


@pytest.mark.parametrize(
    ("fixture", "layout"),
    [
        ("model2vec-rs-test-model-float32", "model2vec"),
        ("model2vec-rs-test-model-vocab-quantized", "model2vec"),
        ("model2vec-rs-test-model-sentence-transformers", "model2vec"),
    ],
)
def test_model2vec_fixture_folders_are_detected_as_model2vec(fixture: str, layout: str) -> None:
    assert detect_layout(MODEL_FIXTURES / fixture).name == layout


def test_sentence_transformers_folder_is_detected(st_references) -> None:
    for case in ("bert", "subfolder"):
        assert detect_layout(st_references[case].path).name == "sentence-transformers"


def test_unknown_local_folder_and_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(b"")
    with pytest.raises(UnknownModelLayoutError, match=r"found \[weights\.bin\]"):
        detect_layout(tmp_path)
    with pytest.raises(ModelFileNotFoundError, match="does not exist"):
        detect_layout(tmp_path / "nope")
