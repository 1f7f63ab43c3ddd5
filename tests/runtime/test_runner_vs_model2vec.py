"""StaticEmbedRunner against model2vec 0.10 ``StaticModel.encode`` on models model2vec saved."""

from __future__ import annotations

import json

import numpy as np
import pytest
from corpus import CORPUS, MODEL_FIXTURES, TOKENIZER_FIXTURES
from runtime.reference_models import M2V_CASES, M2V_FIXTURES, Reference
from verification import assert_within

from static_embed_runner.formats.base import tokenizer_vocab
from static_embed_runner.formats.model2vec import median_token_length
from static_embed_runner.runner import StaticEmbedRunner

ALL_CASES = [*M2V_CASES, *(f"fixture-{name}" for name in M2V_FIXTURES)]
FLOAT16_CASES = {"float16", "vocab-quantized-float16", "fixture-float16"}
EXPECTED = MODEL_FIXTURES / "model2vec-rs-expected"


@pytest.mark.parametrize("case", ALL_CASES)
def test_token_ids_match_model2vec(
    case: str, backend: str, m2v_references: dict[str, Reference]
) -> None:
    reference = m2v_references[case]
    runner = StaticEmbedRunner.load(reference.path, tokenizer_backend=backend)
    assert runner.model_format == "model2vec"
    assert runner.token_ids(CORPUS) == reference.token_ids


@pytest.mark.parametrize("case", ALL_CASES)
def test_embeddings_match_model2vec_encode(
    case: str, backend: str, m2v_references: dict[str, Reference]
) -> None:
    reference = m2v_references[case]
    runner = StaticEmbedRunner.load(reference.path, tokenizer_backend=backend)
    ours = runner.encode(CORPUS, normalize=None)
    assert ours.dtype == np.float32 and ours.flags.c_contiguous
    assert_within(f"model2vec/{case}", ours, reference.embeddings)


@pytest.mark.parametrize("case", sorted(FLOAT16_CASES))
def test_float16_tables_widened_at_load_give_the_same_bits_as_mapped_ones(
    case: str, m2v_references: dict[str, Reference]
) -> None:
    reference = m2v_references[case]
    stored = StaticEmbedRunner.load(reference.path, table="q4", tokenizer_backend="lite")
    widened = StaticEmbedRunner.load(reference.path, table="f32", tokenizer_backend="lite")
    assert "table='float16'" in repr(stored) and "table='float32'" in repr(widened)
    assert np.array_equal(widened.encode(CORPUS), stored.encode(CORPUS))
    assert np.array_equal(widened.encode(CORPUS[3]), stored.encode(CORPUS[3]))


def test_float32_model_is_bit_identical_to_model2vec(m2v_references: dict[str, Reference]) -> None:
    reference = m2v_references["maxlen-16-unnormalized"]
    runner = StaticEmbedRunner.load(reference.path, tokenizer_backend="tokenizers")
    assert np.array_equal(runner.encode(CORPUS, normalize=None), reference.embeddings)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_distilled_minilm_matches_model2vec(
    dtype: str, backend: str, distilled_references: dict[str, Reference]
) -> None:
    reference = distilled_references[dtype]
    runner = StaticEmbedRunner.load(reference.path, tokenizer_backend=backend)
    assert runner.token_ids(CORPUS) == reference.token_ids
    ours = runner.encode(CORPUS, normalize=None)
    assert_within(f"model2vec/distilled-all-MiniLM-L6-v2-{dtype}", ours, reference.embeddings)


@pytest.mark.parametrize(
    ("model", "expected", "text"),
    [
        ("float32", "embeddings_short.json", "hello world"),
        ("float32", "embeddings_long.json", " ".join(["hello"] * 1000)),
        ("vocab-quantized", "embeddings_vocab_quantized.json", " ".join(["hello"] * 1000)),
    ],
)
def test_model2vec_rs_fixture_embeddings_are_reproduced(
    model: str, expected: str, text: str, backend: str
) -> None:
    runner = StaticEmbedRunner.load(
        MODEL_FIXTURES / f"model2vec-rs-test-model-{model}", tokenizer_backend=backend
    )
    reference = np.asarray(json.loads((EXPECTED / expected).read_text()), dtype=np.float64)
    ours = runner.encode([text], normalize=None)
    assert_within(f"model2vec-rs-expected/{expected}", ours, reference)


def test_max_length_cuts_characters_then_tokens(m2v_references: dict[str, Reference]) -> None:
    runner = StaticEmbedRunner.load(
        m2v_references["maxlen-16-unnormalized"].path, tokenizer_backend="tokenizers"
    )
    assert max(len(ids) for ids in runner.token_ids(CORPUS)) <= 16
    unlimited = StaticEmbedRunner.load(
        m2v_references["maxlen-none"].path, tokenizer_backend="tokenizers"
    )
    assert max(len(ids) for ids in unlimited.token_ids(CORPUS)) > 512


def test_unknown_token_is_dropped(m2v_references: dict[str, Reference]) -> None:
    runner = StaticEmbedRunner.load(m2v_references["float32"].path, tokenizer_backend="tokenizers")
    unk = runner.tokenizer.token_to_id("[UNK]")
    assert not any(unk in ids for ids in runner.token_ids(CORPUS))
    assert np.array_equal(runner.encode("😀"), np.zeros(runner.dim, dtype=np.float32))


@pytest.mark.parametrize(
    "tokenizer",
    [
        "bert-base-uncased",
        "xlm-roberta-paraphrase-multilingual-mpnet-base-v2",
        "gpt2",
        "potion-base-8M",
    ],
)
def test_median_token_length_matches_static_model(tokenizer: str) -> None:
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    path = TOKENIZER_FIXTURES / tokenizer / "tokenizer.json"
    rust = Tokenizer.from_file(str(path))
    vectors = np.zeros((rust.get_vocab_size(), 2), dtype=np.float32)
    expected = StaticModel(vectors, rust).median_token_length
    assert median_token_length(tokenizer_vocab(path)) == expected


@pytest.mark.parametrize("case", ["vocab-quantized", "int8", "float16"])
def test_single_text_path_equals_batch_path(
    case: str, m2v_references: dict[str, Reference]
) -> None:
    runner = StaticEmbedRunner.load(m2v_references[case].path, tokenizer_backend="tokenizers")
    batch = runner.encode(CORPUS)
    assert np.array_equal(batch, np.stack([runner.encode(text) for text in CORPUS]))
