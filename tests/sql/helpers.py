"""Helpers of the SQL tests: SQLite connections with the real sqlite-vec extension loaded (apsw and
pysqlite3), the DuckDB vss extension from its PyPI package, and an exact-k-NN check."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sqlite_vec

# Searches that are not in the corpus, in both of its languages.
QUERIES = [
    "Where can I park my bicycle?",
    "The weather was terrible last night.",
    "How do I bake bread at home?",
    "A bug made the report show the wrong date.",
    "Whales were followed with satellite trackers.",
    "Our revenue went up this quarter.",
    "電車が遅れています。",
    "明日は雨が降るでしょう。",
    "The museum is closed for renovation.",
    "vector search inside a database",
]


def _apsw_connect():
    import apsw

    connection = apsw.Connection(":memory:")
    connection.enable_load_extension(True)
    sqlite_vec.load(connection)
    connection.enable_load_extension(False)
    return connection


def _pysqlite3_connect():
    import pysqlite3

    connection = pysqlite3.connect(":memory:", check_same_thread=False)
    connection.enable_load_extension(True)
    sqlite_vec.load(connection)
    connection.enable_load_extension(False)
    return connection


SQLITE_MODULES: dict[str, Callable[[], object]] = {
    "apsw": _apsw_connect,
    "pysqlite3": _pysqlite3_connect,
}


def fetch_one(connection: object, sql: str, parameters: tuple = ()) -> object:
    """The single value a query returns (apsw and sqlite3 connections alike)."""
    rows = list(connection.execute(sql, parameters))
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


def stdlib_sqlite_connect() -> sqlite3.Connection:
    """The standard library's sqlite3 (this Python's cannot load extensions; embed() needs none)."""
    return sqlite3.connect(":memory:", check_same_thread=False)


def vss_extension_path() -> str:
    """The vss extension file shipped by the duckdb-extension-vss package for this duckdb."""
    import duckdb
    import duckdb_extension_vss

    path = (
        Path(duckdb_extension_vss.__file__).parent
        / "extensions"
        / f"v{duckdb.__version__}"
        / "vss.duckdb_extension"
    )
    version = duckdb.__version__
    assert path.is_file(), f"duckdb-extension-vss ships no extension for duckdb {version}"
    return str(path)


def assert_exact_top_k(
    got_ids: list[int], got_distances: list[float], distances: np.ndarray, k: int, tol: float
) -> None:
    """``got_ids`` (in order, with their reported distances) are an exact k-nearest answer over
    ``distances`` (all rows' exact distances to the query): the reported distances are the rows'
    own, they are the k smallest, and every row strictly closer than the k-th is returned. Without
    ties (within ``tol``) that is exactly numpy's ``argsort(distances)[:k]``."""
    assert len(got_ids) == k
    got = np.asarray(got_distances, dtype=np.float64)
    np.testing.assert_allclose(distances[got_ids], got, rtol=0, atol=tol)
    smallest = np.sort(distances)[:k]
    np.testing.assert_allclose(got, smallest, rtol=0, atol=tol)
    must = set(np.flatnonzero(distances < smallest[-1] - tol).tolist())
    assert must <= set(got_ids)
    order = np.argsort(distances, kind="stable")[:k]
    gaps = np.diff(np.sort(distances)[: k + 1])
    if np.all(gaps > tol):
        assert list(got_ids) == order.tolist()
