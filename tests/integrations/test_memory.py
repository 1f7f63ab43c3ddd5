"""The plain get_embedding/get_dimension embedder: the runner's vectors bit for bit, a zero vector
for blank text, and recall of a stored memory by a paraphrase."""

from __future__ import annotations

import numpy as np
import pytest
from integrations.paraphrases import CORPUS, QUERIES

from static_embed_runner import StaticEmbedRunner
from static_embed_runner.integrations.memory import StaticEmbedRunnerEmbedder


def test_get_embedding_gives_encode_bits_and_get_dimension_its_length(prompted) -> None:
    embedder = StaticEmbedRunnerEmbedder(prompted)
    vector = embedder.get_embedding(CORPUS[2])
    assert vector.dtype == np.float32 and vector.shape == (embedder.get_dimension(),) == (16,)
    assert vector.tobytes() == prompted.encode(CORPUS[2]).tobytes()
    assert embedder.initialize_embedding_dimension() == 16
    truncated = StaticEmbedRunnerEmbedder(prompted, truncate_dim=5, normalize=False)
    assert truncated.get_dimension() == 5
    assert truncated.get_embedding(CORPUS[2]).tobytes() == (
        prompted.encode(CORPUS[2], truncate_dim=5, normalize=False).tobytes()
    )


@pytest.mark.parametrize("blank", ["", " ", "\n\t ", "\u3000"])
def test_blank_text_gives_a_zero_vector_of_the_dimension(prompted, blank: str) -> None:
    embedder = StaticEmbedRunnerEmbedder(prompted, truncate_dim=9)
    vector = embedder.get_embedding(blank)
    assert vector.dtype == np.float32 and vector.shape == (9,) and not vector.any()


def test_a_stored_memory_is_recalled_by_a_paraphrase(runner) -> None:
    embedder = StaticEmbedRunnerEmbedder(runner)
    memories = np.stack([embedder.get_embedding(text) for text in CORPUS])
    for query, expected in QUERIES.items():
        assert int(np.argmax(memories @ embedder.get_embedding(query))) == expected


def test_a_text_that_is_not_a_str_is_a_type_error(runner) -> None:
    with pytest.raises(TypeError, match="get_embedding takes one str, got list"):
        StaticEmbedRunnerEmbedder(runner).get_embedding(["a"])


def test_a_runner_s_own_truncate_dim_sets_the_dimension_and_the_vectors(prompted_dir) -> None:
    runner = StaticEmbedRunner.load(prompted_dir)
    runner.truncate_dim = 7
    embedder = StaticEmbedRunnerEmbedder(runner)
    assert embedder.get_dimension() == 7 == embedder.get_embedding(CORPUS[0]).shape[0]
    assert embedder.get_embedding("").shape == (7,)
    assert embedder.get_embedding(CORPUS[0]).tobytes() == runner.encode(CORPUS[0]).tobytes()
