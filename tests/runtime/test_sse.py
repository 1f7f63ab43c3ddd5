"""SSE 4-bit models written by the test, against the layout's formula evaluated in float64."""

from __future__ import annotations

import json

import numpy as np
import pytest
from corpus import CORPUS
from runtime.reference_models import SseModel, rust_tokenizer, sse_formula
from verification import assert_within

from static_embed_runner.runner import StaticEmbedRunner


def _reference_ids(model: SseModel) -> list[list[int]]:
    tokenizer = rust_tokenizer(model.path / "tokenizer.json")
    return [e.ids for e in tokenizer.encode_batch(CORPUS, add_special_tokens=False)]


@pytest.mark.parametrize("case", ["head", "no-head", "truncation-64"])
def test_sse_matches_float64_formula(
    case: str, backend: str, sse_models: dict[str, SseModel]
) -> None:
    model = sse_models[case]
    ids = _reference_ids(model)
    runner = StaticEmbedRunner.load(model.path, tokenizer_backend=backend)
    assert runner.model_format == "sse-q4"
    assert runner.token_ids(CORPUS) == ids
    ours = runner.encode(CORPUS, normalize=False)
    assert_within(f"sse-q4/{case}", ours, sse_formula(model, ids))


def test_sse_normalizes_by_default_and_after_the_head(sse_models: dict[str, SseModel]) -> None:
    model = sse_models["head"]
    ids = _reference_ids(model)
    expected = sse_formula(model, ids)
    expected /= np.maximum(np.linalg.norm(expected, axis=1, keepdims=True), 1e-300)
    runner = StaticEmbedRunner.load(model.path, tokenizer_backend="tokenizers")
    assert_within("sse-q4/head-normalized", runner.encode(CORPUS, normalize=None), expected)
    assert np.array_equal(runner.encode(CORPUS), runner.encode(CORPUS, normalize=None))


@pytest.mark.parametrize("case", ["head", "no-head"])
def test_q4_table_equals_f32_table(case: str, sse_models: dict[str, SseModel]) -> None:
    path = sse_models[case].path
    packed = StaticEmbedRunner.load(path, table="q4", tokenizer_backend="tokenizers")
    decoded = StaticEmbedRunner.load(path, table="f32", tokenizer_backend="tokenizers")
    assert np.array_equal(packed.encode(CORPUS), decoded.encode(CORPUS))
    assert np.array_equal(
        packed.encode(CORPUS, normalize=False), decoded.encode(CORPUS, normalize=False)
    )


def test_single_text_path_equals_batch_path(sse_models: dict[str, SseModel]) -> None:
    runner = StaticEmbedRunner.load(sse_models["head"].path, tokenizer_backend="tokenizers")
    batch = runner.encode(CORPUS)
    assert np.array_equal(batch, np.stack([runner.encode(text) for text in CORPUS]))


def test_tokenizer_json_truncation_applies(sse_models: dict[str, SseModel]) -> None:
    runner = StaticEmbedRunner.load(
        sse_models["truncation-64"].path, tokenizer_backend="tokenizers"
    )
    assert max(len(ids) for ids in runner.token_ids(CORPUS)) == 64


def test_config_hidden_dim_is_used_and_checked(tmp_path, sse_models: dict[str, SseModel]) -> None:
    import shutil

    from static_embed_runner.errors import ModelFormatError

    target = tmp_path / "sse"
    shutil.copytree(sse_models["no-head"].path, target)
    (target / "config.json").write_text(json.dumps({"hidden_dim": 16}))
    assert StaticEmbedRunner.load(target, tokenizer_backend="tokenizers").dim == 16
    (target / "config.json").write_text(json.dumps({"hidden_dim": 30}))
    with pytest.raises(ModelFormatError, match="not a whole number of rows"):
        StaticEmbedRunner.load(target, tokenizer_backend="tokenizers")


def test_matryoshka_truncation_normalizes_the_kept_dimensions(
    sse_models: dict[str, SseModel],
) -> None:
    runner = StaticEmbedRunner.load(sse_models["head"].path, tokenizer_backend="tokenizers")
    full = runner.encode(CORPUS, normalize=False)
    short = runner.encode(CORPUS, truncate_dim=8)
    assert short.shape == (len(CORPUS), 8) and short.flags.c_contiguous
    norms = np.linalg.norm(full[:, :8], axis=1, keepdims=True)
    expected = np.divide(full[:, :8], norms, out=np.zeros_like(short), where=norms > 0)
    assert np.abs(short - expected).max() <= 1e-6
    assert np.array_equal(short[norms[:, 0] == 0], np.zeros((int((norms == 0).sum()), 8)))
