"""embed() in DuckDB: FLOAT[N] equal to runner.encode bit for bit, computed a column chunk at a
time, NULLs, non-text arguments, a 10 MB text, top-k in SQL (array_cosine_distance, and the vss
extension's HNSW index loaded from its PyPI package) against numpy."""

from __future__ import annotations

import threading

import duckdb
import numpy as np
import pytest
from corpus import REAL_SENTENCES
from sql.helpers import QUERIES, assert_exact_top_k, vss_extension_path

from static_embed_runner import StaticEmbedRunner
from static_embed_runner.sql import register_sql_functions

K = 10


@pytest.fixture
def db(runner: StaticEmbedRunner) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    register_sql_functions(connection, runner)
    return connection


def _docs(db: duckdb.DuckDBPyConnection, texts: list[str | None]) -> None:
    db.execute("CREATE TABLE docs (id INTEGER, body VARCHAR, embedding FLOAT[256])")
    db.execute(
        "INSERT INTO docs (id, body) SELECT generate_subscripts($t, 1) - 1, unnest($t)",
        {"t": texts},
    )
    db.execute("UPDATE docs SET embedding = embed(body)")


def _stored(db: duckdb.DuckDBPyConnection) -> list[np.ndarray | None]:
    """The stored vectors, read through Arrow (no per-value Python floats)."""
    column = db.execute("SELECT embedding FROM docs ORDER BY id").to_arrow_table().column(0)
    return [
        None if row.values is None else np.asarray(row.values) for row in column.combine_chunks()
    ]


def test_embed_returns_float_n_equal_to_encode_bit_for_bit(db, runner, corpus) -> None:
    texts = [*corpus] * 9  # 2,000+ rows: more than one of DuckDB's 2,048-row chunks
    _docs(db, texts)
    assert db.execute("SELECT typeof(embed('x'))").fetchone()[0] == "FLOAT[256]"
    stored = np.stack(_stored(db))
    assert stored.tobytes() == runner.encode(texts).tobytes()
    assert np.array_equal(stored[0], runner.encode(texts[0]))


def test_null_bodies_give_null_embeddings_and_the_rest_are_unchanged(db, runner) -> None:
    texts = ["a cat on a mat", None, "", None, "a dog in the fog", *REAL_SENTENCES[:5]]
    _docs(db, texts)
    stored = _stored(db)
    for text, vector in zip(texts, stored, strict=True):
        if text is None:
            assert vector is None
        else:
            assert vector.tobytes() == runner.encode(text).tobytes()
    assert db.execute("SELECT embed(NULL) IS NULL").fetchone()[0] is True
    assert db.execute("SELECT embed(NULL::VARCHAR) IS NULL").fetchone()[0] is True


@pytest.mark.parametrize(
    ("argument", "found"),
    [("42", "INTEGER_LITERAL"), ("1.5", "DECIMAL(2,1)"), ("'abc'::BLOB", "BLOB"), ("[1, 2]", "")],
)
def test_a_non_text_argument_is_a_binder_error_naming_its_type(db, argument, found) -> None:
    with pytest.raises(duckdb.BinderException) as raised:
        db.execute(f"SELECT embed({argument})")
    assert f"embed({found}" in str(raised.value)
    assert "embed(VARCHAR) -> FLOAT[256]" in str(raised.value)


def test_a_10_mb_text_embeds_as_encode_does(db, runner) -> None:
    text = (" ".join(t for t in REAL_SENTENCES if "\0" not in t) * 7000)[: 10 * 1024 * 1024]
    got = np.array(db.execute("SELECT embed(?)", [text]).fetchone()[0], dtype=np.float32)
    assert got.tobytes() == runner.encode(text).tobytes()


def test_the_registered_prompt_and_truncate_dim_apply_to_every_row(runner, corpus) -> None:
    db = duckdb.connect()
    register_sql_functions(db, runner, name="embed64", truncate_dim=64)
    assert db.execute("SELECT typeof(embed64('x'))").fetchone()[0] == "FLOAT[64]"
    rows = db.execute(
        "SELECT embed64(body) FROM (SELECT unnest($t) AS body, generate_subscripts($t, 1) AS i) "
        "ORDER BY i",
        {"t": corpus},
    ).fetchall()
    got = np.array([row[0] for row in rows], dtype=np.float32)
    assert got.tobytes() == runner.encode(corpus, truncate_dim=64).tobytes()


def test_a_runner_s_own_truncate_dim_sizes_the_column_as_encode_does(corpus) -> None:
    runner = StaticEmbedRunner.load()
    runner.truncate_dim = 128
    db = duckdb.connect()
    register_sql_functions(db, runner)
    assert db.execute("SELECT typeof(embed('x'))").fetchone()[0] == "FLOAT[128]"
    rows = db.execute(
        "SELECT embed(body) FROM (SELECT unnest($t) AS body, generate_subscripts($t, 1) AS i) "
        "ORDER BY i",
        {"t": [*corpus[:5], None]},
    ).fetchall()
    assert rows[-1][0] is None
    got = np.array([row[0] for row in rows[:-1]], dtype=np.float32)
    assert got.tobytes() == runner.encode(corpus[:5]).tobytes()


def test_top_k_by_array_cosine_distance_in_sql_equals_numpy(db, runner, corpus) -> None:
    _docs(db, corpus)
    vectors = runner.encode(corpus).astype(np.float64)
    for query in [*QUERIES, *corpus[::25]]:
        rows = db.execute(
            "SELECT id, array_cosine_distance(embedding, embed(?)) AS d FROM docs "
            "ORDER BY d LIMIT ?",
            [query, K],
        ).fetchall()
        q = runner.encode(query).astype(np.float64)
        exact = 1.0 - (vectors @ q) / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(q))
        assert_exact_top_k([r[0] for r in rows], [r[1] for r in rows], exact, K, 1e-5)


def test_the_vss_hnsw_index_serves_an_embed_query(db, runner, corpus) -> None:
    db.execute(f"LOAD '{vss_extension_path()}'")
    _docs(db, corpus)
    db.execute("CREATE INDEX docs_hnsw ON docs USING HNSW (embedding) WITH (metric = 'cosine')")
    search = f"SELECT id FROM docs ORDER BY array_cosine_distance(embedding, embed(?)) LIMIT {K}"
    plan = db.execute("EXPLAIN " + search, ["a query"]).fetchall()[0][1]
    assert "HNSW_INDEX_SCAN" in plan
    vectors = runner.encode(corpus)
    recalls = []
    for query in [*QUERIES, *corpus[::25]]:
        got = [row[0] for row in db.execute(search, [query]).fetchall()]
        exact = np.argsort(-(vectors @ runner.encode(query)), kind="stable")[:K]
        recalls.append(len(set(got) & set(exact.tolist())) / K)
    assert np.mean(recalls) >= 0.95  # HNSW is approximate; on this corpus it is (nearly) exact


def test_threads_with_their_own_connections_share_one_runner(runner, corpus) -> None:
    expected = runner.encode(corpus).tobytes()
    results: list[bytes] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            db = duckdb.connect()
            register_sql_functions(db, runner)
            _docs(db, corpus)
            results.append(np.stack(_stored(db)).tobytes())
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == [expected] * 4
