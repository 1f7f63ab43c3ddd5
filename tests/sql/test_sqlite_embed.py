"""embed(), embed_int8() and embed_bit() in SQLite (apsw and pysqlite3 with sqlite-vec loaded, and
the standard library's sqlite3): the bytes of runner.encode and of sqlite-vec's own quantization,
the optional arguments, NULLs, wrong types, a 10 MB text, and threads sharing one runner."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from corpus import LONG_TEXT, MODEL_FIXTURES, REAL_SENTENCES
from sql.helpers import fetch_one, stdlib_sqlite_connect

from static_embed_runner import StaticEmbedRunner
from static_embed_runner import vector_blobs as vb
from static_embed_runner.sql import register_sql_functions

# vec_normalize(vec_slice(embed(x), 0, d)) renormalises an already normalised vector in float32
# with a sequential sum; encode(truncate_dim=d) normalises the raw mean once. They agree within
# this absolute bound per component of a unit vector (measured: at most 2.1e-7 over the corpus).
NORMALIZE_BOUND = 1e-6


@pytest.fixture
def db(connect, runner: StaticEmbedRunner):
    connection = connect()
    register_sql_functions(connection, runner)
    return connection


def _error_types(connection: object) -> tuple[type[BaseException], ...]:
    """What a failing statement raises: apsw re-raises the function's own exception; sqlite3 and
    pysqlite3 raise their OperationalError."""
    module = type(connection).__module__.split(".")[0]
    if module == "apsw":
        return (TypeError, ValueError)
    return (__import__(module).OperationalError,)


def test_embed_in_sql_equals_encode_byte_for_byte(db, runner: StaticEmbedRunner, corpus) -> None:
    db.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT, embedding BLOB)")
    texts = [text for text in [*corpus, LONG_TEXT, ""] if "\0" not in text]
    db.executemany("INSERT INTO docs (id, body) VALUES (?, ?)", list(enumerate(texts)))
    db.execute("UPDATE docs SET embedding = embed(body)")
    stored = [row[0] for row in db.execute("SELECT embedding FROM docs ORDER BY id")]
    assert stored == vb.float_blobs(runner.encode(texts))
    assert stored[0] == runner.encode(texts[0]).tobytes()


def test_a_text_with_a_nul_reaches_embed_whole_except_through_pysqlite3(connect, runner) -> None:
    db = connect()
    register_sql_functions(db, runner)
    text = next(text for text in REAL_SENTENCES if "\0" in text)
    got = fetch_one(db, "SELECT embed(?)", (text,))
    if type(db).__module__.startswith("pysqlite3"):  # it passes text to Python up to the NUL
        assert got == runner.encode(text[: text.index("\0")]).tobytes()
    else:
        assert got == runner.encode(text).tobytes()
    stdlib = stdlib_sqlite_connect()
    register_sql_functions(stdlib, runner)
    assert fetch_one(stdlib, "SELECT embed(?)", (text,)) == runner.encode(text).tobytes()


def test_embed_int8_and_bit_equal_sqlite_vecs_quantization_of_embed(db, runner, corpus) -> None:
    expected_int8 = vb.int8_blobs(runner.encode(corpus))
    expected_bit = vb.bit_blobs(runner.encode(corpus))
    for text, int8, bit in zip(corpus, expected_int8, expected_bit, strict=True):
        row = next(
            iter(
                db.execute(
                    "SELECT embed_int8(?1), vec_quantize_int8(embed(?1), 'unit'), embed_bit(?1), "
                    "vec_quantize_binary(embed(?1))",
                    (text,),
                )
            )
        )
        assert tuple(row) == (int8, int8, bit, bit)


@pytest.mark.parametrize("dim", [8, 32, 64, 100, 128, 255])
def test_vec_normalize_of_vec_slice_equals_encode_with_truncate_dim(db, runner, corpus, dim):
    for text in corpus:
        sliced = fetch_one(db, "SELECT vec_normalize(vec_slice(embed(?), 0, ?))", (text, dim))
        in_sql = np.frombuffer(sliced, dtype=np.float32)
        expected = runner.encode(text, truncate_dim=dim)
        assert in_sql.shape == (dim,)
        assert np.max(np.abs(in_sql - expected)) <= NORMALIZE_BOUND


def test_the_truncate_dim_argument_equals_encode_with_truncate_dim(db, runner, corpus) -> None:
    for text in corpus[:40]:
        for dim in (8, 64, 256):
            got = fetch_one(db, "SELECT embed(?, NULL, ?)", (text, dim))
            assert got == runner.encode(text, truncate_dim=dim).tobytes()
            got_bit = fetch_one(db, "SELECT embed_bit(?, NULL, ?)", (text, dim))
            assert got_bit == vb.bit_blob(runner.encode(text, truncate_dim=dim))


PROMPTS = {"query": "query: ", "passage": "passage: ", "classification": "Classify this: "}


@pytest.fixture(scope="module")
def prompted_runner(tmp_path_factory: pytest.TempPathFactory) -> StaticEmbedRunner:
    """A sentence-transformers model (a 64-dimensional real fixture's table and tokenizer) whose
    config names prompts."""
    source = MODEL_FIXTURES / "model2vec-rs-test-model-vocab-quantized"
    path = tmp_path_factory.mktemp("sql-prompts")
    for name in ("model.safetensors", "tokenizer.json", "modules.json"):
        shutil.copyfile(source / name, path / name)
    (path / "config_sentence_transformers.json").write_text(json.dumps({"prompts": PROMPTS}))
    runner = StaticEmbedRunner.load(path)
    assert runner.model_format == "sentence-transformers"
    return runner


def test_the_prompt_name_argument_equals_encode_with_prompt_name(connect, prompted_runner) -> None:
    db = connect()
    register_sql_functions(db, prompted_runner)
    register_sql_functions(db, prompted_runner, name="embed_query", prompt_name="query")
    for text in REAL_SENTENCES[:12]:
        for prompt_name in PROMPTS:
            expected = prompted_runner.encode(text, prompt_name=prompt_name).tobytes()
            assert fetch_one(db, "SELECT embed(?, ?)", (text, prompt_name)) == expected
        query = prompted_runner.encode(text, prompt_name="query", truncate_dim=8).tobytes()
        assert fetch_one(db, "SELECT embed(?, 'query', 8)", (text,)) == query
        assert fetch_one(db, "SELECT embed_query(?, NULL, 8)", (text,)) == query
        plain = prompted_runner.encode(text).tobytes()
        assert fetch_one(db, "SELECT embed(?, NULL)", (text,)) == plain
        assert prompted_runner.encode(text, prompt_name="query").tobytes() != plain
    with pytest.raises(_error_types(db)):
        fetch_one(db, "SELECT embed('x', 'no-such-prompt')")


def test_null_text_gives_null_for_every_function_and_arity(db) -> None:
    for function in ("embed", "embed_int8", "embed_bit"):
        assert fetch_one(db, f"SELECT {function}(NULL)") is None
        assert fetch_one(db, f"SELECT {function}(NULL, NULL)") is None
        assert fetch_one(db, f"SELECT {function}(NULL, NULL, 16)") is None
    db.execute("CREATE TABLE docs (body TEXT, embedding BLOB)")
    db.execute("INSERT INTO docs (body) VALUES ('a text'), (NULL)")
    db.execute("UPDATE docs SET embedding = embed(body)")
    rows = list(db.execute("SELECT body IS NULL, embedding IS NULL FROM docs ORDER BY rowid"))
    assert [tuple(row) for row in rows] == [(0, 0), (1, 1)]


@pytest.mark.parametrize(
    ("value", "found"),
    [(42, "INTEGER 42"), (1.5, "REAL 1.5"), (b"abc", "a BLOB of 3 bytes")],
)
def test_a_non_text_argument_is_an_sql_error_naming_what_was_given(db, value, found) -> None:
    for function in ("embed", "embed_int8", "embed_bit"):
        with pytest.raises(_error_types(db)) as raised:
            fetch_one(db, f"SELECT {function}(?)", (value,))
        if type(db).__module__ == "apsw":
            assert str(raised.value) == (
                f"{function}(): the text argument must be TEXT or NULL, got {found}"
            )
        else:
            assert "user-defined function raised exception" in str(raised.value)
    assert fetch_one(db, "SELECT embed('still works') IS NOT NULL") == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("'x', NULL, 0", "truncate_dim must be between 1 and the model dimension 256, got 0"),
        ("'x', NULL, 257", "embed(): truncate_dim must be between 1 and the model dimension 256"),
        ("'x', NULL, 8.0", "embed(): truncate_dim must be an integer or NULL/None, got 8.0"),
        ("'x', 3", "embed(): prompt_name must be text or NULL/None, got 3"),
        ("'x', 'query'", "embed(): prompt_name 'query' is not one of this model's prompts (none)"),
    ],
)
def test_bad_optional_arguments_are_sql_errors(connect, runner, arguments, message) -> None:
    import apsw

    db = connect()
    register_sql_functions(db, runner)
    with pytest.raises(_error_types(db)) as raised:
        fetch_one(db, f"SELECT embed({arguments})")
    if isinstance(db, apsw.Connection):
        assert message in str(raised.value)


def test_embed_bit_of_a_dimension_not_divisible_by_8_is_an_sql_error(db) -> None:
    with pytest.raises(_error_types(db)) as raised:
        fetch_one(db, "SELECT embed_bit('x', NULL, 12)")
    if type(db).__module__ == "apsw":
        assert "embed_bit(): binary quantization needs a dimension divisible by 8" in str(
            raised.value
        )


def test_a_10_mb_text_embeds_as_encode_does(db, runner: StaticEmbedRunner) -> None:
    text = (" ".join(t for t in REAL_SENTENCES if "\0" not in t) * 7000)[: 10 * 1024 * 1024]
    assert len(text) == 10 * 1024 * 1024
    assert fetch_one(db, "SELECT embed(?)", (text,)) == runner.encode(text).tobytes()
    assert fetch_one(db, "SELECT length(embed(?))", (text,)) == 4 * runner.dim


def test_the_functions_are_deterministic_so_sqlite_accepts_them_in_an_index(db, runner) -> None:
    db.execute("CREATE TABLE docs (body TEXT)")
    db.execute("INSERT INTO docs VALUES ('a cat on a mat'), ('a dog in the fog')")
    db.execute("CREATE INDEX by_bits ON docs (embed_bit(body))")
    bits = vb.bit_blob(runner.encode("a dog in the fog"))
    assert fetch_one(db, "SELECT body FROM docs WHERE embed_bit(body) = ?", (bits,)) == (
        "a dog in the fog"
    )


def test_the_standard_librarys_sqlite3_gets_the_same_functions(runner, corpus) -> None:
    db = stdlib_sqlite_connect()
    register_sql_functions(db, runner)
    for text in corpus[:30]:
        vector = runner.encode(text)
        assert fetch_one(db, "SELECT embed(?)", (text,)) == vector.tobytes()
        assert fetch_one(db, "SELECT embed_int8(?)", (text,)) == vb.int8_blob(vector)
    assert fetch_one(db, "SELECT embed(NULL)") is None


def test_threads_with_their_own_connections_share_one_runner(connect, runner, corpus) -> None:
    expected = vb.float_blobs(runner.encode(corpus))
    results: dict[int, list[bytes]] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            db = connect()
            register_sql_functions(db, runner)
            db.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT, embedding BLOB)")
            rows = list(enumerate(corpus))
            order = rows[37 * worker :] + rows[: 37 * worker]
            for _ in range(2):
                db.execute("DELETE FROM docs")
                db.executemany("INSERT INTO docs (id, body) VALUES (?, ?)", order)
                db.execute("UPDATE docs SET embedding = embed(body)")
            stored = db.execute("SELECT embedding FROM docs ORDER BY id")
            results[worker] = [row[0] for row in stored]
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == {worker: expected for worker in range(4)}


def test_registration_rejects_what_is_not_a_connection_runner_or_name(connect, runner) -> None:
    db = connect()
    with pytest.raises(TypeError, match="connection must be a SQLite connection"):
        register_sql_functions(object(), runner)
    with pytest.raises(TypeError, match="runner must be a StaticEmbedRunner"):
        register_sql_functions(db, "model")
    with pytest.raises(ValueError, match="name must be an SQL identifier"):
        register_sql_functions(db, runner, name="embed; DROP TABLE x")
    with pytest.raises(ValueError, match="prompt_name 'query' is not one of this model's prompts"):
        register_sql_functions(db, runner, prompt_name="query")
    with pytest.raises(ValueError, match="truncate_dim must be between 1 and"):
        register_sql_functions(db, runner, truncate_dim=1000)


def test_a_registered_truncate_dim_is_the_default_of_the_sql_call(connect, runner) -> None:
    db = connect()
    register_sql_functions(db, runner, name="embed64", truncate_dim=64)
    expected = runner.encode("a short text", truncate_dim=64)
    assert fetch_one(db, "SELECT embed64('a short text')") == expected.tobytes()
    assert fetch_one(db, "SELECT embed64_int8('a short text')") == vb.int8_blob(expected)
    full = runner.encode("a short text").tobytes()
    assert fetch_one(db, "SELECT embed64('a short text', NULL, 256)") == full


def test_the_sql_module_imports_no_database_engine() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import static_embed_runner.sql, static_embed_runner.vector_blobs; "
        "print(sorted(m for m in ('duckdb', 'pyarrow', 'apsw', 'pysqlite3', 'sqlite_vec') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert Path(__file__).exists()
