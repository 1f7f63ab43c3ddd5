"""StaticEmbedRunner against SentenceTransformer.encode on models saved by sentence-transformers."""

from __future__ import annotations

import numpy as np
import pytest
from corpus import CORPUS
from runtime.reference_models import ST_CASES, Reference
from verification import assert_within

from static_embed_runner.runner import StaticEmbedRunner

# Cases whose reference averages narrow floats (its own precision), not float32.
AVERAGED_IN = {"from-model2vec-float16": "float16", "bert-bfloat16": "bfloat16"}


@pytest.mark.parametrize("case", ST_CASES)
def test_token_ids_match_sentence_transformers(
    case: str, backend: str, st_references: dict[str, Reference]
) -> None:
    reference = st_references[case]
    runner = StaticEmbedRunner.load(reference.path, tokenizer_backend=backend)
    assert runner.model_format == "sentence-transformers"
    assert runner.token_ids(CORPUS) == reference.token_ids


@pytest.mark.parametrize("case", ST_CASES)
def test_embeddings_match_sentence_transformers_encode(
    case: str, backend: str, st_references: dict[str, Reference]
) -> None:
    reference = st_references[case]
    runner = StaticEmbedRunner.load(reference.path, tokenizer_backend=backend)
    ours = runner.encode(CORPUS, normalize=None)
    assert ours.dtype == np.float32 and ours.flags.c_contiguous
    assert ours.shape == reference.embeddings.shape
    assert_within(f"sentence-transformers/{case}", ours, reference.embeddings)


@pytest.mark.parametrize("case", sorted(AVERAGED_IN))
def test_a_narrow_float_table_widened_at_load_gives_the_same_bits_and_is_indexed_directly(
    case: str, st_references: dict[str, Reference]
) -> None:
    path = st_references[case].path
    stored = StaticEmbedRunner.load(path, table="q4")
    widened = StaticEmbedRunner.load(path, table="f32")
    assert stored._table.storage == AVERAGED_IN[case]
    assert stored._table.direct_rows() is None
    assert widened._table.direct_rows() is not None
    assert np.array_equal(widened.encode(CORPUS), stored.encode(CORPUS))


def test_unnormalized_model_is_bit_identical_to_embedding_bag(
    st_references: dict[str, Reference],
) -> None:
    reference = st_references["bert"]
    runner = StaticEmbedRunner.load(reference.path, tokenizer_backend="tokenizers")
    assert np.array_equal(runner.encode(CORPUS, normalize=False), reference.embeddings)


def test_normalize_module_sets_the_default_and_normalize_true_matches_it(
    st_references: dict[str, Reference],
) -> None:
    plain = StaticEmbedRunner.load(st_references["bert"].path, tokenizer_backend="tokenizers")
    normalized = StaticEmbedRunner.load(
        st_references["bert-normalize"].path, tokenizer_backend="tokenizers"
    )
    norms = np.linalg.norm(normalized.encode(CORPUS, normalize=None), axis=1)
    empty = np.array([not ids for ids in normalized.token_ids(CORPUS)])
    assert np.allclose(norms[~empty], 1.0, atol=1e-6) and np.all(norms[empty] == 0)
    raw_norms = np.linalg.norm(plain.encode(CORPUS, normalize=None), axis=1)
    assert not np.allclose(raw_norms[~empty], 1.0)


def test_tokenizer_json_truncation_applies(st_references: dict[str, Reference]) -> None:
    runner = StaticEmbedRunner.load(
        st_references["bert-truncation-100"].path, tokenizer_backend="tokenizers"
    )
    assert max(len(ids) for ids in runner.token_ids(CORPUS)) == 100


def test_unknown_tokens_are_kept(st_references: dict[str, Reference]) -> None:
    runner = StaticEmbedRunner.load(st_references["bert"].path, tokenizer_backend="tokenizers")
    unk = runner.tokenizer.token_to_id("[UNK]")
    assert any(unk in ids for ids in runner.token_ids(CORPUS))


@pytest.mark.parametrize("case", ["bert", "from-model2vec-vocab-quantized"])
def test_single_text_path_equals_batch_path(case: str, st_references: dict[str, Reference]) -> None:
    runner = StaticEmbedRunner.load(st_references[case].path, tokenizer_backend="tokenizers")
    batch = runner.encode(CORPUS)
    singles = np.stack([runner.encode(text) for text in CORPUS])
    assert np.array_equal(batch, singles)
    assert np.array_equal(batch, runner.encode(CORPUS, batch_size=3))
