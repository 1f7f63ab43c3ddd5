"""k-nearest-neighbour queries written entirely in SQL (vec0 filled with embed(), searched with
MATCH embed(:q) AND k = ?) against an exact numpy search over the same vectors: float with L2 and
with distance_metric=cosine, int8 with L2, bit with hamming."""

from __future__ import annotations

import numpy as np
import pytest
from sql.helpers import QUERIES, assert_exact_top_k

from static_embed_runner import vector_blobs as vb
from static_embed_runner.sql import register_sql_functions

K = 10


def _l2(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    difference = vectors.astype(np.float64) - query.astype(np.float64)
    return np.sqrt(np.einsum("ij,ij->i", difference, difference))


def _cosine(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    a, q = vectors.astype(np.float64), query.astype(np.float64)
    return 1.0 - (a @ q) / (np.linalg.norm(a, axis=1) * np.linalg.norm(q))


def _hamming(codes: np.ndarray, query: np.ndarray) -> np.ndarray:
    return np.unpackbits(codes ^ query, axis=1).sum(axis=1).astype(np.float64)


# column type, how a blob enters the column, numpy's view of the stored vectors, distance, tolerance
CASES = {
    "float-l2": ("float[256]", "embed({})", lambda v: v, _l2, 1e-5),
    "float-cosine": ("float[256] distance_metric=cosine", "embed({})", lambda v: v, _cosine, 1e-5),
    "int8-l2": ("int8[256]", "vec_int8(embed_int8({}))", vb.quantize_int8, _l2, 1e-3),
    "bit-hamming": ("bit[256]", "vec_bit(embed_bit({}))", vb.quantize_binary, _hamming, 0.0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_knn_in_sql_returns_the_exact_numpy_neighbours(connect, runner, corpus, case) -> None:
    column, wrap, stored, distance, tol = CASES[case]
    db = connect()
    register_sql_functions(db, runner)
    db.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT)")
    db.executemany("INSERT INTO docs (id, body) VALUES (?, ?)", list(enumerate(corpus)))
    db.execute(f"CREATE VIRTUAL TABLE vec_docs USING vec0(embedding {column})")
    db.execute(
        f"INSERT INTO vec_docs (rowid, embedding) SELECT id, {wrap.format('body')} FROM docs"
    )
    vectors = stored(runner.encode(corpus))
    searches = [*QUERIES, *corpus[::25]]
    for query in searches:
        rows = list(
            db.execute(
                f"SELECT rowid, distance FROM vec_docs WHERE embedding MATCH {wrap.format('?')} "
                "AND k = ? ORDER BY distance",
                (query, K),
            )
        )
        exact = distance(vectors, stored(runner.encode(query)[None, :])[0])
        assert_exact_top_k([r[0] for r in rows], [r[1] for r in rows], exact, K, tol)


def test_a_knn_query_can_join_back_to_the_texts_with_limit(connect, runner, corpus) -> None:
    db = connect()
    register_sql_functions(db, runner)
    db.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT)")
    db.executemany("INSERT INTO docs (id, body) VALUES (?, ?)", list(enumerate(corpus)))
    db.execute("CREATE VIRTUAL TABLE vec_docs USING vec0(embedding float[256])")
    db.execute("INSERT INTO vec_docs (rowid, embedding) SELECT id, embed(body) FROM docs")
    query = "Whales were followed with satellite trackers."
    rows = list(
        db.execute(
            "SELECT docs.body FROM (SELECT rowid, distance FROM vec_docs "
            "WHERE embedding MATCH embed(?) ORDER BY distance LIMIT 3) AS hits "
            "JOIN docs ON docs.id = hits.rowid ORDER BY hits.distance",
            (query,),
        )
    )
    exact = np.argsort(_l2(runner.encode(corpus), runner.encode(query)))[:3]
    assert [row[0] for row in rows] == [corpus[i] for i in exact]
    assert rows[0][0] == "Researchers tracked the migration of whales using small satellite tags."
