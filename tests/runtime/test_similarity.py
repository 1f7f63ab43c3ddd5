"""similarity, similarity_pairwise and semantic_search against sentence-transformers' own."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sentence_transformers import util

from static_embed_runner import semantic_search, similarity, similarity_pairwise

ST_MATRIX = {
    "cosine": util.cos_sim,
    "dot": util.dot_score,
    "euclidean": util.euclidean_sim,
    "manhattan": util.manhattan_sim,
}
ST_PAIRWISE = {
    "cosine": util.pairwise_cos_sim,
    "dot": util.pairwise_dot_score,
    "euclidean": util.pairwise_euclidean_sim,
    "manhattan": util.pairwise_manhattan_sim,
}
FLOATS = st.floats(-3, 3, width=32, allow_subnormal=False)


def _close(ours: np.ndarray, theirs, tolerance: float = 2e-5) -> None:
    theirs = theirs.numpy()
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    assert np.allclose(ours, theirs, rtol=tolerance, atol=tolerance)


def test_two_vectors_give_a_one_by_one_array_like_cos_sim() -> None:
    a, b = np.array([1.0, 0.0], dtype=np.float32), np.array([1.0, 1.0], dtype=np.float32)
    value = similarity(a, b)
    assert value.shape == (1, 1) and value.dtype == np.float32
    assert value[0, 0] == pytest.approx(2**-0.5, abs=1e-7)
    _close(value, util.cos_sim(a, b))


@pytest.mark.parametrize("name", list(ST_MATRIX))
@settings(max_examples=25, deadline=None)
@given(
    data=st.integers(1, 12).flatmap(
        lambda d: st.tuples(
            arrays(np.float32, st.tuples(st.integers(1, 6), st.just(d)), elements=FLOATS),
            arrays(np.float32, st.tuples(st.integers(1, 6), st.just(d)), elements=FLOATS),
        )
    )
)
def test_similarity_equals_sentence_transformers_for_each_function(
    name: str, data: tuple[np.ndarray, np.ndarray]
) -> None:
    a, b = data
    _close(similarity(a, b, name), ST_MATRIX[name](a, b))
    _close(similarity(a[0], b, name), ST_MATRIX[name](a[0], b))
    pairs = min(len(a), len(b))
    _close(similarity_pairwise(a[:pairs], b[:pairs], name), ST_PAIRWISE[name](a[:pairs], b[:pairs]))
    _close(similarity_pairwise(a[0], b[0], name), ST_PAIRWISE[name](a[0], b[0]))


def test_distances_are_negative_and_exact_for_identical_vectors() -> None:
    vectors = np.random.default_rng(1).standard_normal((40, 16)).astype(np.float32)
    for name in ("euclidean", "manhattan"):
        scores = similarity(vectors, vectors, name)
        assert np.all(np.diag(scores) == 0.0) and np.all(scores <= 0)


def test_distance_matrices_in_blocks_equal_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("static_embed_runner.similarity")  # the package's
    # attribute of that name is the function
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((37, 9)), rng.standard_normal((11, 9))
    whole = {name: similarity(a, b, name) for name in ("euclidean", "manhattan")}
    monkeypatch.setattr(module, "_DIFFERENCE_BUDGET", 9 * 11 * 4)  # blocks of 4 rows
    for name, expected in whole.items():
        assert np.array_equal(similarity(a, b, name), expected)


def test_zero_vectors_have_cosine_zero_not_nan() -> None:
    assert similarity(np.zeros(3), np.ones(3)).tolist() == [[0.0]]
    assert not np.isnan(similarity(np.zeros((2, 3)), np.zeros((2, 3)))).any()
    assert similarity_pairwise(np.zeros((2, 3)), np.ones((2, 3))).tolist() == [0.0, 0.0]


def test_bad_shapes_and_names_raise_value_error() -> None:
    with pytest.raises(ValueError, match="same dimension, found 3 and 4"):
        similarity(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        similarity(np.ones((2, 2, 2)), np.ones(2))
    with pytest.raises(ValueError, match=r"same shape, found \(2, 3\) and \(3, 3\)"):
        similarity_pairwise(np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="similarity_fn_name must be one of"):
        similarity(np.ones(3), np.ones(3), "hamming")


def _ids_and_scores(results: list[list[dict]]) -> tuple[list[list[int]], np.ndarray]:
    ids = [[hit["corpus_id"] for hit in hits] for hits in results]
    return ids, np.array([[hit["score"] for hit in hits] for hits in results])


@pytest.mark.parametrize("name", list(ST_MATRIX))
def test_semantic_search_equals_sentence_transformers_on_a_real_corpus(
    docs_vectors, default_runner, name
) -> None:
    queries, corpus = docs_vectors
    if name != "cosine":  # raw means: dot and distances see the vectors' lengths
        corpus = corpus * np.linspace(0.5, 2.0, len(corpus), dtype=np.float32)[:, None]
    queries, corpus = queries[:20], corpus[:400]
    ours = semantic_search(queries, corpus, top_k=10, score_function=name, corpus_chunk_size=150)
    theirs = util.semantic_search(
        queries, corpus, top_k=10, score_function=ST_MATRIX[name], corpus_chunk_size=150
    )
    our_ids, our_scores = _ids_and_scores(ours)
    their_ids, their_scores = _ids_and_scores(theirs)
    assert our_ids == their_ids
    assert np.allclose(our_scores, their_scores, atol=1e-5)
    # sentence-transformers' functions work as score_function too
    assert (
        _ids_and_scores(semantic_search(queries, corpus, score_function=util.cos_sim))[0]
        == (_ids_and_scores(util.semantic_search(queries, corpus))[0])
    )


@settings(max_examples=30, deadline=None)
@given(
    corpus=arrays(np.float32, st.tuples(st.integers(0, 30), st.just(4)), elements=FLOATS),
    queries=arrays(np.float32, st.tuples(st.integers(1, 5), st.just(4)), elements=FLOATS),
    top_k=st.integers(1, 12),
    corpus_chunk_size=st.integers(1, 9),
    query_chunk_size=st.integers(1, 3),
)
def test_semantic_search_in_chunks_equals_an_exact_sort_with_ties_by_corpus_id(
    corpus: np.ndarray,
    queries: np.ndarray,
    top_k: int,
    corpus_chunk_size: int,
    query_chunk_size: int,
) -> None:
    """Chunking never changes the result: the top_k of a full sort by (-score, corpus_id)."""
    corpus, queries = np.round(corpus), np.round(queries)  # exact dot products, many ties
    results = semantic_search(
        queries,
        corpus,
        top_k=top_k,
        corpus_chunk_size=corpus_chunk_size,
        query_chunk_size=query_chunk_size,
        score_function="dot",
    )
    scores = queries @ corpus.T
    for row, hits in zip(scores, results, strict=True):
        expected = sorted(range(len(corpus)), key=lambda i, row=row: (-row[i], i))[:top_k]
        assert [hit["corpus_id"] for hit in hits] == expected
        assert [hit["score"] for hit in hits] == [float(row[i]) for i in expected]


def test_semantic_search_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="top_k must be a positive int, got 0"):
        semantic_search(np.ones((1, 2)), np.ones((3, 2)), top_k=0)
    with pytest.raises(ValueError, match="corpus_embeddings hold NaN"):
        semantic_search(np.ones((1, 2)), np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="score_function must be one of"):
        semantic_search(np.ones((1, 2)), np.ones((3, 2)), score_function="jaccard")
    with pytest.raises(ValueError, match=r"score_function returned shape \(1,\)"):
        semantic_search(np.ones((1, 2)), np.ones((3, 2)), score_function=lambda a, b: a[:, 0])
