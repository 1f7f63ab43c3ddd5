"""The vectors in faiss: exact inner-product search, binary codes in IndexBinaryFlat, and the
binary-then-rescore recipe, on a real corpus embedded by the default model."""

from __future__ import annotations

import logging

import faiss
import numpy as np
import pytest
from sentence_transformers.util.quantization import semantic_search_faiss

from static_embed_runner import (
    faiss_binary_codes,
    quantization_ranges,
    quantize_embeddings,
    rescore,
    semantic_search,
)


def _exact_top(queries: np.ndarray, corpus: np.ndarray, k: int) -> np.ndarray:
    scores = queries.astype(np.float64) @ corpus.astype(np.float64).T
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(
        np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, exact, strict=True)])
    )


def _hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Differing bits of every pair of packed codes, from the unpacked bits."""
    bits_a, bits_b = np.unpackbits(a, axis=1), np.unpackbits(b, axis=1)
    return (bits_a[:, None, :] != bits_b[None, :, :]).sum(axis=2)


def test_index_flat_ip_top_k_equals_numpy_exact_top_k(docs_vectors) -> None:
    queries, corpus = docs_vectors
    index = faiss.IndexFlatIP(corpus.shape[1])
    index.add(corpus)
    scores, ids = index.search(queries, 10)
    assert np.array_equal(ids, _exact_top(queries, corpus, 10))
    ours = semantic_search(queries, corpus, top_k=10)
    assert [[hit["corpus_id"] for hit in hits] for hits in ours] == ids.tolist()
    assert np.allclose([[hit["score"] for hit in hits] for hits in ours], scores, atol=1e-5)


def test_faiss_binary_codes_are_faiss_own_real_to_binary_bytes(docs_vectors) -> None:
    _, corpus = docs_vectors
    vectors = np.ascontiguousarray(corpus[:50, :250])  # 250 dims: the last byte is padded
    ours = faiss_binary_codes(vectors)
    assert ours.shape == (50, 32) and ours.dtype == np.uint8
    padded = np.zeros((50, 256), dtype=np.float32)
    padded[:, :250] = vectors
    theirs = np.zeros((50, 32), dtype=np.uint8)
    faiss.real_to_binary(50 * 256, faiss.swig_ptr(padded), faiss.swig_ptr(theirs))
    assert np.array_equal(ours, theirs)


def test_index_binary_flat_gives_the_hamming_distances_numpy_computes(docs_vectors) -> None:
    """In faiss's bit order or sentence-transformers' (ubinary), the distances are the same."""
    queries, corpus = docs_vectors
    queries, corpus = queries[:30], corpus[:300]
    expected = _hamming(faiss_binary_codes(queries), faiss_binary_codes(corpus))
    assert np.array_equal(
        expected,
        _hamming(quantize_embeddings(queries, "ubinary"), quantize_embeddings(corpus, "ubinary")),
    )
    for pack in (faiss_binary_codes, lambda x: quantize_embeddings(x, "ubinary")):
        index = faiss.IndexBinaryFlat(8 * pack(corpus).shape[1])
        index.add(pack(corpus))
        distances, ids = index.search(pack(queries), len(corpus))
        assert np.array_equal(distances, np.take_along_axis(expected, ids, axis=1))


def test_mixing_bit_orders_in_one_index_gives_wrong_distances(docs_vectors) -> None:
    """The pitfall the README states: faiss-order queries against ubinary codes."""
    queries, corpus = docs_vectors
    index = faiss.IndexBinaryFlat(corpus.shape[1])
    index.add(quantize_embeddings(corpus[:100], "ubinary"))
    wrong, _ = index.search(faiss_binary_codes(queries[:10]), 100)
    right, _ = index.search(quantize_embeddings(queries[:10], "ubinary"), 100)
    assert not np.array_equal(np.sort(wrong), np.sort(right))


def test_binary_then_rescore_equals_sentence_transformers_semantic_search_faiss(
    docs_vectors, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="sentence_transformers")
    queries, corpus = docs_vectors
    codes = quantize_embeddings(corpus, "ubinary")
    index = faiss.IndexBinaryFlat(8 * codes.shape[1])
    index.add(codes)
    _, candidates = index.search(quantize_embeddings(queries, "ubinary"), 40)
    scores, ids = rescore(queries, candidates, codes, top_k=10, corpus_precision="ubinary")
    theirs, _ = semantic_search_faiss(
        queries, corpus_embeddings=codes, corpus_precision="ubinary", top_k=10, rescore_multiplier=4
    )
    assert ids.tolist() == [[hit["corpus_id"] for hit in hits] for hits in theirs]
    assert np.allclose(scores, [[hit["score"] for hit in hits] for hits in theirs], atol=1e-9)


def test_binary_then_rescore_recall_at_10_against_exact_float_search(docs_vectors) -> None:
    """Measured on ~1,260 Python documentation paragraphs, 140 held-out queries, 256 dims
    (bench/bench_quantized_recall.py records the figures): binary alone finds about half of the
    exact top 10; rescoring 40 candidates with the float32 or the int8 corpus finds over 80%."""
    queries, corpus = docs_vectors
    exact = _exact_top(queries, corpus, 10)
    index = faiss.IndexBinaryFlat(corpus.shape[1])
    index.add(faiss_binary_codes(corpus))
    _, binary_ids = index.search(faiss_binary_codes(queries), 10)
    _, candidates = index.search(faiss_binary_codes(queries), 40)
    ranges = quantization_ranges(corpus)
    int8_corpus = quantize_embeddings(corpus, "int8", ranges)
    _, float_ids = rescore(queries, candidates, corpus, top_k=10)
    _, int8_ids = rescore(
        queries, candidates, int8_corpus, top_k=10, corpus_precision="int8", ranges=ranges
    )
    binary, with_float, with_int8 = (
        _recall(found, exact) for found in (binary_ids, float_ids, int8_ids)
    )
    assert 0.4 < binary < 0.7
    assert with_float > 0.8 and with_int8 > 0.8
    assert with_float > binary + 0.2
    _, more = rescore(queries, index.search(faiss_binary_codes(queries), 100)[1], corpus, top_k=10)
    assert _recall(more, exact) > with_float  # more candidates, closer to exact


def test_rescore_pads_short_candidate_lists_and_skips_faiss_padding() -> None:
    corpus = np.eye(4, dtype=np.float32)
    index = faiss.IndexBinaryFlat(8)
    index.add(faiss_binary_codes(corpus[:2]))
    _, candidates = index.search(faiss_binary_codes(corpus[:1]), 3)  # only 2 vectors: one -1
    assert candidates.tolist()[0][-1] == -1
    scores, ids = rescore(corpus[:1], candidates, corpus, top_k=4)
    assert ids.tolist() == [[0, 1, -1, -1]]
    assert scores.tolist() == [[1.0, 0.0, -np.inf, -np.inf]]


def test_rescore_rejects_mismatched_inputs() -> None:
    corpus = np.eye(8, dtype=np.float32)
    with pytest.raises(ValueError, match="needs the ranges"):
        rescore(corpus[:1], [[0, 1]], corpus.astype(np.int8), corpus_precision="int8")
    with pytest.raises(ValueError, match="packed codes of 1 bytes"):
        rescore(corpus[:1], [[0, 1]], corpus.astype(np.uint8), corpus_precision="ubinary")
    with pytest.raises(ValueError, match=r"candidate_ids must be -1 or 0\.\.7, found 0\.\.9"):
        rescore(corpus[:1], [[0, 9]], corpus)
    with pytest.raises(ValueError, match="one row per query"):
        rescore(corpus[:2], [[0, 1]], corpus)
