"""Bad models and bad input raise the specific error, and the message says what is wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from corpus import MODEL_FIXTURES
from runtime.reference_models import SseModel

from static_embed_runner import runner as runner_module
from static_embed_runner.errors import (
    ModelFileNotFoundError,
    ModelFormatError,
    SafetensorsError,
    UnknownModelLayoutError,
)
from static_embed_runner.runner import StaticEmbedRunner

FLOAT32 = MODEL_FIXTURES / "model2vec-rs-test-model-float32"


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    for path in target.rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)
    return target


def _save(path: Path, tensors: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    save_file(tensors, str(path))


@pytest.fixture(scope="module")
def runner() -> StaticEmbedRunner:
    return StaticEmbedRunner.load(FLOAT32, tokenizer_backend="tokenizers")


def test_missing_tokenizer_json_is_model_file_not_found(tmp_path: Path) -> None:
    model = _copy(FLOAT32, tmp_path)
    (model / "tokenizer.json").unlink()
    with pytest.raises(ModelFileNotFoundError, match=r"model2vec layout needs 'tokenizer\.json'"):
        StaticEmbedRunner.load(model, tokenizer_backend="tokenizers")


def test_table_smaller_than_the_vocabulary_names_both_sizes(tmp_path: Path) -> None:
    model = _copy(FLOAT32, tmp_path)
    _save(model / "model.safetensors", {"embeddings": np.ones((1000, 2), np.float32)})
    with pytest.raises(
        ModelFormatError, match="tokenizer has 29528 tokens but the token table has only 1000 rows"
    ):
        StaticEmbedRunner.load(model, tokenizer_backend="tokenizers")


def test_corrupt_weights_file_is_a_safetensors_error(tmp_path: Path) -> None:
    model = _copy(FLOAT32, tmp_path)
    data = (model / "model.safetensors").read_bytes()
    (model / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(SafetensorsError, match=r"model\.safetensors.*truncated"):
        StaticEmbedRunner.load(model, tokenizer_backend="tokenizers")


def test_wrong_dtype_size_is_a_safetensors_error(tmp_path: Path) -> None:
    model = _copy(FLOAT32, tmp_path)
    raw = (model / "model.safetensors").read_bytes()
    (model / "model.safetensors").write_bytes(raw.replace(b'"F32"', b'"F16"', 1))
    with pytest.raises(
        SafetensorsError, match="'embeddings': shape \\[29528, 2\\] of F16 needs 118112 bytes"
    ):
        StaticEmbedRunner.load(model, tokenizer_backend="tokenizers")


def test_unknown_layout_lists_files_and_layouts(tmp_path: Path) -> None:
    (tmp_path / "pytorch_model.bin").write_bytes(b"\0")
    with pytest.raises(UnknownModelLayoutError, match=r"found \[pytorch_model\.bin\].*model2vec"):
        StaticEmbedRunner.load(tmp_path)


def test_missing_table_tensor_lists_the_tensors_found(tmp_path: Path) -> None:
    model = _copy(FLOAT32, tmp_path)
    _save(model / "model.safetensors", {"emb": np.ones((3, 2), np.float32)})
    with pytest.raises(ModelFormatError, match="expected tensor 'embeddings', found \\['emb'\\]"):
        StaticEmbedRunner.load(model, tokenizer_backend="tokenizers")


def test_sentence_transformers_pipeline_with_other_modules_is_rejected(
    tmp_path: Path, st_references
) -> None:
    model = _copy(st_references["bert"].path, tmp_path)
    modules = json.loads((model / "modules.json").read_text())
    modules.append(
        {"idx": 1, "name": "1", "path": "1_Dense", "type": "sentence_transformers.models.Dense"}
    )
    (model / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(ModelFormatError, match="only Normalize may follow StaticEmbedding"):
        StaticEmbedRunner.load(model, tokenizer_backend="tokenizers")


def test_sse_head_missing_a_parameter_is_named(
    tmp_path: Path, sse_models: dict[str, SseModel]
) -> None:
    model = _copy(sse_models["head"].path, tmp_path)
    _save(model / "model_rest.safetensors", {"dyt.alpha": np.ones(32, np.float32)})
    with pytest.raises(ModelFormatError, match=r"missing \['dyt\.beta', 'dyt\.bias'\]"):
        StaticEmbedRunner.load(model, tokenizer_backend="tokenizers")


def test_sse_table_size_that_does_not_fit_the_head(
    tmp_path: Path, sse_models: dict[str, SseModel]
) -> None:
    model = _copy(sse_models["head"].path, tmp_path)
    table = model / "embedding.q4_k_m.bin"
    table.write_bytes(table.read_bytes()[:-3])
    with pytest.raises(ModelFormatError, match="not a whole number of rows of 20 bytes"):
        StaticEmbedRunner.load(model, tokenizer_backend="tokenizers")


def test_invalid_max_length_in_config(tmp_path: Path) -> None:
    model = _copy(FLOAT32, tmp_path)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "max_length": "long"}))
    with pytest.raises(
        ModelFormatError, match="'max_length' must be a non-negative integer or null"
    ):
        StaticEmbedRunner.load(model, tokenizer_backend="tokenizers")


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["ok", None], "texts\\[1\\] must be a str, got NoneType"),
        (["ok", "fine", b"bytes"], "texts\\[2\\] must be a str, got bytes"),
        ([3], "texts\\[0\\] must be a str, got int"),
        (b"bytes", "texts must be a str or a list of str, got bytes"),
        (None, "texts must be a str or a list of str, got NoneType"),
    ],
)
def test_non_string_input_is_a_type_error_naming_the_index(
    runner: StaticEmbedRunner, texts, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        runner.encode(texts)


@pytest.mark.parametrize("truncate_dim", [0, -1, 3])
def test_truncate_dim_out_of_range_is_a_value_error(
    runner: StaticEmbedRunner, truncate_dim: int
) -> None:
    with pytest.raises(
        ValueError, match="truncate_dim must be between 1 and the model dimension 2"
    ):
        runner.encode("text", truncate_dim=truncate_dim)


def test_bad_load_options_are_value_errors() -> None:
    with pytest.raises(ValueError, match="table must be one of \\('q4', 'f32'\\), got 'q8'"):
        StaticEmbedRunner.load(FLOAT32, table="q8")
    with pytest.raises(ValueError, match="tokenizer_backend must be one of"):
        StaticEmbedRunner.load(FLOAT32, tokenizer_backend="fast")


def test_output_shapes_for_str_list_and_empty_list(runner: StaticEmbedRunner) -> None:
    assert runner.encode("hello").shape == (2,)
    assert runner.encode(["hello", ""]).shape == (2, 2)
    assert runner.encode([]).shape == (0, 2)
    assert runner.encode(("a", "b")).shape == (2, 2)
    assert np.array_equal(runner.encode(""), np.zeros(2, np.float32))


def test_missing_path_that_is_not_a_repo_id(tmp_path: Path) -> None:
    with pytest.raises(ModelFileNotFoundError, match="no such model folder"):
        StaticEmbedRunner.load(str(tmp_path / "a" / "b" / "c"))


def test_repo_id_goes_to_the_hub_helper_with_the_revision(monkeypatch, tmp_path: Path) -> None:
    from static_embed_runner.io import hub

    calls = []

    def fake_download(repo_id: str, *, revision: str | None = None) -> Path:
        calls.append((repo_id, revision))
        return FLOAT32

    monkeypatch.setattr(hub, "snapshot_download", fake_download)
    monkeypatch.chdir(tmp_path)
    loaded = StaticEmbedRunner.load(
        "minishlab/potion-test", revision="abc", tokenizer_backend="tokenizers"
    )
    assert calls == [("minishlab/potion-test", "abc")] and loaded.model_format == "model2vec"


def test_no_path_loads_the_embedded_default_model_folder(
    monkeypatch, tmp_path: Path, sse_models: dict[str, SseModel]
) -> None:
    monkeypatch.setattr(runner_module, "DEFAULT_MODEL_DIR", sse_models["no-head"].path)
    assert StaticEmbedRunner.load(tokenizer_backend="tokenizers").dim == 16
    monkeypatch.setattr(runner_module, "DEFAULT_MODEL_DIR", tmp_path / "absent")
    with pytest.raises(ModelFileNotFoundError, match="embedded default model is missing"):
        StaticEmbedRunner.load()
