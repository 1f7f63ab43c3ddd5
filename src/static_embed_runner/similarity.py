"""Similarity scores and semantic search, with sentence-transformers' conventions, numpy only.

``similarity(a, b)`` is the ``(len(a), len(b))`` matrix of every pair (a 1-D input counts as one
row, so two vectors give a ``(1, 1)`` array, as ``sentence_transformers.util.cos_sim`` does);
``similarity_pairwise(a, b)`` scores ``a[i]`` with ``b[i]``. ``similarity_fn_name`` picks the
function: ``"cosine"`` (default), ``"dot"``, and ``"euclidean"`` / ``"manhattan"``, which are
*negative* distances so that higher always means more similar. Scores are float32 numpy arrays
(sentence-transformers returns torch tensors of the same values).

>>> import numpy as np
>>> similarity(np.array([1.0, 0.0]), np.array([1.0, 1.0]))
array([[0.70710677]], dtype=float32)
>>> similarity(np.eye(2), np.eye(2)).tolist()
[[1.0, 0.0], [0.0, 1.0]]
>>> similarity(np.array([0.0, 3.0]), np.array([4.0, 0.0]), "euclidean").tolist()
[[-5.0]]
>>> semantic_search(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0], [2.0, 0.1]]), top_k=1)
[[{'corpus_id': 1, 'score': 0.9987523555755615}]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

SimilarityFnName = Literal["cosine", "dot", "euclidean", "manhattan"]
SIMILARITY_FN_NAMES: tuple[str, ...] = ("cosine", "dot", "euclidean", "manhattan")
ScoreFunction = SimilarityFnName | Callable[[np.ndarray, np.ndarray], np.ndarray]
# Cosine divides by max(norm, this), as torch.nn.functional.normalize does for
# sentence-transformers: a vector shorter than that (a zero vector too) scores about 0.
_NORM_FLOOR = np.float32(1e-12)
# The distance functions work on blocks of rows of ``a`` whose (rows, len(b), dim) differences
# hold at most this many float32 values (64 MiB).
_DIFFERENCE_BUDGET = 1 << 24


def check_similarity_fn_name(name: object) -> str:
    """``name`` as one of :data:`SIMILARITY_FN_NAMES` (a sentence-transformers
    ``SimilarityFunction`` member counts as its value); anything else is a ``ValueError``."""
    value = getattr(name, "value", name)
    if value not in SIMILARITY_FN_NAMES:
        raise ValueError(f"similarity_fn_name must be one of {SIMILARITY_FN_NAMES}, got {name!r}")
    return value


def similarity(
    a: np.ndarray, b: np.ndarray, similarity_fn_name: SimilarityFnName = "cosine"
) -> np.ndarray:
    """The ``(len(a), len(b))`` float32 scores of every pair; 1-D inputs count as one row.

    Cosine: a zero vector has similarity 0 with everything (vectors are divided by
    ``max(norm, 1e-12)``, as in sentence-transformers). Euclidean and manhattan are negative
    distances (``-||a - b||``, ``-sum |a - b|``)."""
    name = check_similarity_fn_name(similarity_fn_name)
    a, b = _batch(a, "a"), _batch(b, "b")
    _check_dims(a, b)
    return _MATRIX[name](a, b)


def similarity_pairwise(
    a: np.ndarray, b: np.ndarray, similarity_fn_name: SimilarityFnName = "cosine"
) -> np.ndarray:
    """The float32 score of each pair ``(a[i], b[i])``: shape ``(n,)`` for two ``(n, dim)``
    arrays, a 0-d array for two vectors (sentence-transformers' ``similarity_pairwise``)."""
    name = check_similarity_fn_name(similarity_fn_name)
    a, b = _vectors(a, "a"), _vectors(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, found {a.shape} and {b.shape}")
    if name == "cosine":
        a, b = _unit_rows(a), _unit_rows(b)
    if name in ("cosine", "dot"):
        return np.asarray(np.einsum("...i,...i->...", a, b))
    difference = a - b
    if name == "euclidean":
        return np.asarray(-np.sqrt(np.einsum("...i,...i->...", difference, difference)))
    return np.asarray(-np.abs(difference).sum(axis=-1, dtype=np.float32))


def semantic_search(
    query_embeddings: np.ndarray,
    corpus_embeddings: np.ndarray,
    query_chunk_size: int = 100,
    corpus_chunk_size: int = 500_000,
    top_k: int = 10,
    score_function: ScoreFunction = "cosine",
) -> list[list[dict[str, int | float]]]:
    """The ``top_k`` best corpus entries for each query, as ``sentence_transformers.util.
    semantic_search`` returns them: one list per query of ``{"corpus_id": int, "score": float}``,
    best first.

    ``score_function``: a name from :data:`SIMILARITY_FN_NAMES` or a function ``(queries,
    corpus_chunk) -> (len(queries), len(corpus_chunk))`` scores (sentence-transformers'
    ``util.cos_sim`` works too). The corpus is scored ``corpus_chunk_size`` rows against
    ``query_chunk_size`` queries at a time, so memory stays bounded by one such block of scores
    whatever the corpus size. Equal scores are ordered by ascending ``corpus_id`` (sentence-
    transformers leaves the order of exact ties to ``torch.topk``)."""
    for label, value in (
        ("query_chunk_size", query_chunk_size),
        ("corpus_chunk_size", corpus_chunk_size),
        ("top_k", top_k),
    ):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{label} must be a positive int, got {value!r}")
    queries = _batch(query_embeddings, "query_embeddings")
    corpus = _batch(corpus_embeddings, "corpus_embeddings")
    _check_dims(queries, corpus)
    for label, array in (("query_embeddings", queries), ("corpus_embeddings", corpus)):
        if not np.isfinite(array).all():
            raise ValueError(f"{label} hold NaN or infinite values")
    score = _score_function(score_function)
    if score_function == "cosine":  # normalise each row once, not once per pairing of chunks
        queries, score = _unit_rows(queries), _dot
    best_scores = [np.empty(0, dtype=np.float32) for _ in range(len(queries))]
    best_ids = [np.empty(0, dtype=np.int64) for _ in range(len(queries))]
    for corpus_start in range(0, len(corpus), corpus_chunk_size):
        chunk = corpus[corpus_start : corpus_start + corpus_chunk_size]
        if score_function == "cosine":
            chunk = _unit_rows(chunk)
        keep = min(top_k, len(chunk))
        for query_start in range(0, len(queries), query_chunk_size):
            block = queries[query_start : query_start + query_chunk_size]
            scores = np.asarray(score(block, chunk), dtype=np.float32)
            if scores.shape != (len(block), len(chunk)):
                raise ValueError(
                    f"score_function returned shape {scores.shape}, expected "
                    f"{(len(block), len(chunk))}"
                )
            # The keep-th best score of each query; every entry at least as good is a candidate,
            # so ties at the boundary all reach the exact ordering below.
            kth = np.partition(scores, len(chunk) - keep, axis=1)[:, len(chunk) - keep]
            for offset, row in enumerate(scores):
                query = query_start + offset
                candidates = np.flatnonzero(row >= kth[offset])
                merged_scores = np.concatenate([best_scores[query], row[candidates]])
                merged_ids = np.concatenate([best_ids[query], candidates + corpus_start])
                order = np.lexsort((merged_ids, -merged_scores))[:top_k]
                best_scores[query], best_ids[query] = merged_scores[order], merged_ids[order]
    return [
        [
            {"corpus_id": int(corpus_id), "score": float(value)}
            for corpus_id, value in zip(ids, values, strict=True)
        ]
        for ids, values in zip(best_ids, best_scores, strict=True)
    ]


def _score_function(score_function: object) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    if callable(score_function):
        return score_function
    if isinstance(score_function, str) and score_function in SIMILARITY_FN_NAMES:
        return _MATRIX[score_function]
    raise ValueError(
        f"score_function must be one of {SIMILARITY_FN_NAMES} or a function (queries, corpus) -> "
        f"scores, got {score_function!r}"
    )


def _vectors(value: object, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.float32)
    if array.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, found {array.ndim}-D shape {array.shape}")
    return array


def _batch(value: object, name: str) -> np.ndarray:
    return np.atleast_2d(_vectors(value, name))


def _check_dims(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"a and b must have the same dimension, found {a.shape[-1]} and {b.shape[-1]}"
        )


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows divided by ``max(norm, 1e-12)``, float32 (sentence-transformers' normalisation)."""
    norms = np.sqrt(np.einsum("...i,...i->...", vectors, vectors))[..., None]
    return vectors / np.maximum(norms, _NORM_FLOOR)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b.T


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _unit_rows(a) @ _unit_rows(b).T


def _negative_distance(a: np.ndarray, b: np.ndarray, squared: bool) -> np.ndarray:
    """``-||a_i - b_j||`` (``squared``: Euclidean, else Manhattan) for every pair, computed from the
    differences themselves (exact for near-identical vectors), a block of rows at a time."""
    out = np.empty((len(a), len(b)), dtype=np.float32)
    rows = max(1, _DIFFERENCE_BUDGET // max(1, len(b) * a.shape[1]))
    for start in range(0, len(a), rows):
        difference = a[start : start + rows, None, :] - b[None, :, :]
        if squared:
            block = np.sqrt(np.einsum("ijk,ijk->ij", difference, difference))
        else:
            block = np.abs(difference, out=difference).sum(axis=-1)
        np.negative(block, out=out[start : start + rows])
    return out


def _euclidean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _negative_distance(a, b, squared=True)


def _manhattan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _negative_distance(a, b, squared=False)


_MATRIX: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "cosine": _cosine,
    "dot": _dot,
    "euclidean": _euclidean,
    "manhattan": _manhattan,
}
