"""Embeddings inside SQL: rows per second of ``UPDATE docs SET embedding = embed(body)`` in SQLite
(apsw and pysqlite3, with sqlite-vec loaded) and DuckDB, against embedding in Python with one
batch ``encode`` and writing the vectors back (``executemany`` / an Arrow join), and against
``encode`` alone (one batch, and one call per text: what a per-row SQL function cannot beat).
DuckDB also fills a new table with ``CREATE TABLE ... AS SELECT ..., embed(body)`` (no UPDATE of
a ``FLOAT[N]`` column; not faster in the committed run), and runs the UPDATE with one worker thread
(``threads=1``): the Python function runs on one thread anyway, and DuckDB's other workers compete
with it for the CPU.

Every path starts from a fresh in-memory database holding the same ``--rows`` texts (the
benchmark corpus's sentences repeated) and ends with every row's vector stored; paths run
interleaved in each of ``--rounds`` rounds after one warm-up pass; the summary is the median.
Writes ``results/sql/bench_sql.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import apsw
import duckdb
import numpy as np
import pyarrow as pa
import pysqlite3
import sqlite_vec

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harness import machine_info  # noqa: E402
from texts import SENTENCES, repeat_to  # noqa: E402

from static_embed_runner import StaticEmbedRunner  # noqa: E402
from static_embed_runner.sql import register_sql_functions  # noqa: E402
from static_embed_runner.vector_blobs import float_blobs  # noqa: E402

OUT = BENCH.parent / "results" / "sql" / "bench_sql.json"


def _sqlite(module: str, runner: StaticEmbedRunner, texts: list[str]):
    if module == "apsw":
        db = apsw.Connection(":memory:")
    else:
        db = pysqlite3.connect(":memory:", isolation_level=None)
    db.enable_load_extension(True)
    sqlite_vec.load(db)
    register_sql_functions(db, runner)
    db.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT, embedding BLOB)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO docs (id, body) VALUES (?, ?)", list(enumerate(texts)))
    db.execute("COMMIT")
    return db


def _duckdb(
    runner: StaticEmbedRunner, texts: list[str], threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect(config={} if threads is None else {"threads": threads})
    register_sql_functions(db, runner)
    db.execute(f"CREATE TABLE docs (id INTEGER, body VARCHAR, embedding FLOAT[{runner.dim}])")
    db.execute(
        "INSERT INTO docs (id, body) SELECT generate_subscripts($t, 1) - 1, unnest($t)",
        {"t": texts},
    )
    return db


def sqlite_udf(module: str) -> Callable:
    def run(runner: StaticEmbedRunner, texts: list[str]) -> tuple[float, object]:
        db = _sqlite(module, runner, texts)
        start = time.perf_counter()
        db.execute("UPDATE docs SET embedding = embed(body)")
        return time.perf_counter() - start, db

    return run


def sqlite_python_batch(runner: StaticEmbedRunner, texts: list[str]) -> tuple[float, object]:
    db = _sqlite("apsw", runner, texts)
    start = time.perf_counter()
    rows = list(db.execute("SELECT id, body FROM docs"))
    blobs = float_blobs(runner.encode([body for _, body in rows]))
    db.execute("BEGIN")
    db.executemany(
        "UPDATE docs SET embedding = ? WHERE id = ?",
        [(blob, row[0]) for blob, row in zip(blobs, rows, strict=True)],
    )
    db.execute("COMMIT")
    return time.perf_counter() - start, db


def duckdb_udf(threads: int | None) -> Callable:
    def run(runner: StaticEmbedRunner, texts: list[str]) -> tuple[float, object]:
        db = _duckdb(runner, texts, threads)
        start = time.perf_counter()
        db.execute("UPDATE docs SET embedding = embed(body)")
        return time.perf_counter() - start, db

    return run


def duckdb_udf_create_as(runner: StaticEmbedRunner, texts: list[str]) -> tuple[float, object]:
    db = _duckdb(runner, texts)
    start = time.perf_counter()
    db.execute("CREATE TABLE embedded AS SELECT id, body, embed(body) AS embedding FROM docs")
    db.execute("DROP TABLE docs")
    db.execute("ALTER TABLE embedded RENAME TO docs")
    return time.perf_counter() - start, db


def duckdb_python_batch(runner: StaticEmbedRunner, texts: list[str]) -> tuple[float, object]:
    db = _duckdb(runner, texts)
    start = time.perf_counter()
    table = db.execute("SELECT id, body FROM docs").to_arrow_table()
    vectors = runner.encode(table.column("body").to_pylist())
    values = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), runner.dim)
    computed = pa.table({"id": table.column("id"), "e": values})  # noqa: F841 (read by SQL)
    db.execute("UPDATE docs SET embedding = computed.e FROM computed WHERE docs.id = computed.id")
    return time.perf_counter() - start, db


def encode_batch(runner: StaticEmbedRunner, texts: list[str]) -> tuple[float, object]:
    start = time.perf_counter()
    vectors = runner.encode(texts)
    return time.perf_counter() - start, vectors


def encode_per_text(runner: StaticEmbedRunner, texts: list[str]) -> tuple[float, object]:
    start = time.perf_counter()
    vectors = [runner.encode(text) for text in texts]
    return time.perf_counter() - start, vectors


PATHS: dict[str, Callable] = {
    "sqlite (apsw): UPDATE ... = embed(body)": sqlite_udf("apsw"),
    "sqlite (pysqlite3): UPDATE ... = embed(body)": sqlite_udf("pysqlite3"),
    "sqlite: batch encode + executemany": sqlite_python_batch,
    "duckdb: UPDATE ... = embed(body)": duckdb_udf(None),
    "duckdb, threads=1: UPDATE ... = embed(body)": duckdb_udf(1),
    "duckdb: CREATE TABLE ... AS SELECT embed(body)": duckdb_udf_create_as,
    "duckdb: batch encode + UPDATE FROM arrow": duckdb_python_batch,
    "encode, one batch (no database)": encode_batch,
    "encode, one call per text (no database)": encode_per_text,
}


def _check(name: str, result: object, expected: np.ndarray) -> None:
    """Every path must have stored exactly encode's vectors."""
    if isinstance(result, np.ndarray):
        got = result
    elif isinstance(result, list):
        got = np.stack(result)
    elif isinstance(result, duckdb.DuckDBPyConnection):
        column = result.execute("SELECT embedding FROM docs ORDER BY id").to_arrow_table()
        got = column.column(0).combine_chunks().values.to_numpy().reshape(expected.shape)
    else:
        blobs = [row[0] for row in result.execute("SELECT embedding FROM docs ORDER BY id")]
        got = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(expected.shape)
    if got.tobytes() != expected.tobytes():
        raise AssertionError(f"{name}: the stored vectors differ from encode's")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    runner = StaticEmbedRunner.load()
    texts = repeat_to(SENTENCES, args.rows)
    expected = runner.encode(texts)
    for name, path in PATHS.items():  # warm-up, and each path's result checked once
        _check(name, path(runner, texts)[1], expected)
    seconds: dict[str, list[float]] = {name: [] for name in PATHS}
    load = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for name, path in PATHS.items():
            seconds[name].append(path(runner, texts)[0])
        load.append(os.getloadavg()[0])
    batch = statistics.median(seconds["encode, one batch (no database)"])
    rows = {
        name: {
            "median_seconds": statistics.median(times),
            "rows_per_second": args.rows / statistics.median(times),
            "vs_batch_encode": batch / statistics.median(times),
            "seconds": times,
        }
        for name, times in seconds.items()
    }
    result = {
        "rows": args.rows,
        "rounds": args.rounds,
        "model": "the embedded default model (SSE 4-bit, 256 dimensions)",
        "versions": {
            "sqlite (apsw)": apsw.sqlite_lib_version(),
            "sqlite (pysqlite3)": pysqlite3.sqlite_version,
            "duckdb": duckdb.__version__,
        },
        "load_average_during_run": load,
        "machine": machine_info(),
        "paths": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    span = f"load {min(load):.1f}-{max(load):.1f}"
    print(f"{args.rows} rows, median of {args.rounds} rounds ({span})")
    print(f"{'path':<46} {'rows/s':>10} {'x batch encode':>15}")
    for name, row in rows.items():
        print(f"{name:<46} {row['rows_per_second']:>10,.0f} {row['vs_batch_encode']:>15.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
