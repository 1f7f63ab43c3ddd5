"""A persistent embedding store: vectors computed once, kept in a SQLite file, reused across runs.

A vector is filed under its *space* and the hash of its text. A space is one model, named by its
:attr:`~.runner.StaticEmbedRunner.content_fingerprint` (the bytes of its files, not their path,
so a changed table or tokenizer is a new space and never returns stale vectors), and one set of
the options that change a vector, resolved to what they do: the prompt string prepended, the
string and token limits, whether vectors are normalised, the output dimension. Texts are hashed
with BLAKE2b-128.

The file is the standard library's ``sqlite3`` in WAL mode: any number of processes may read and
write one store at once; each write is one ``BEGIN IMMEDIATE`` transaction of
``INSERT OR IGNORE`` rows, so concurrent writers wait their turn (up to ``timeout`` seconds)
and nothing is lost. Vectors are stored as little-endian float32 bytes: a hit returns the same
bits as a fresh computation.

>>> store = EmbeddingStore("embeddings.sqlite")  # doctest: +SKIP
>>> runner.encode(texts, store=store)  # computes what the store lacks, adds it  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import StoreError

if TYPE_CHECKING:
    from .runner import StaticEmbedRunner

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS spaces (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    options TEXT NOT NULL,
    dim INTEGER NOT NULL,
    UNIQUE (model, options)
);
CREATE TABLE IF NOT EXISTS vectors (
    space INTEGER NOT NULL REFERENCES spaces (id),
    text_hash BLOB NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (space, text_hash)
) WITHOUT ROWID;
"""
_LOOKUP_CHUNK = 500  # hashes per SELECT ... IN (...), below every SQLite's variable limit
_KNOWN_OPTIONS = frozenset({"prompt_name", "prompt", "max_length", "normalize", "truncate_dim"})
_IGNORED_OPTIONS = frozenset({"batch_size"})  # never changes a vector


def text_hash(text: str) -> bytes:
    """The 16-byte key of a text (a lone surrogate is hashed as is; encoding then reports it)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class EmbeddingStore:
    """Vectors on disk at ``path`` (created if missing), shared by threads and processes.

    Pass it as ``store=`` to :meth:`StaticEmbedRunner.encode`, ``encode_iter``, a pool's
    ``encode`` or the ``embed-file`` command. It pickles as its path (each process opens its
    own connection)."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.timeout = float(timeout)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._spaces: dict[tuple[str, str], tuple[int, int]] = {}
        self._connect()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "timeout": self.timeout}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], timeout=state["timeout"])  # type: ignore[misc]

    def __enter__(self) -> EmbeddingStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EmbeddingStore({str(self.path)!r})"

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __len__(self) -> int:
        """Vectors stored, over every model and option set."""
        return int(self._read("SELECT count(*) FROM vectors", ())[0][0])

    def _connect(self) -> sqlite3.Connection:
        """This process's connection (a connection inherited through fork is not reused)."""
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        if not self.path.parent.is_dir():
            raise FileNotFoundError(
                f"cannot open the store {self.path}: the directory {self.path.parent} does not "
                f"exist"
            )
        try:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _SCHEMA_VERSION):
                raise StoreError(
                    f"{self.path}: store schema version {version}, this package reads version "
                    f"{_SCHEMA_VERSION}"
                )
            if version == 0:
                conn.executescript(
                    f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version = {_SCHEMA_VERSION};COMMIT;"
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not an embedding store ({exc})") from exc
        self._conn, self._pid, self._spaces = conn, os.getpid(), {}
        return conn

    def _read(self, sql: str, params: Sequence[object]) -> list[tuple]:
        with self._lock:
            try:
                return self._connect().execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

    def _write(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(sql, rows)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

    def _space(self, model: str, options: str, dim: int) -> int:
        """The id of (model, options), created on first use."""
        known = self._spaces.get((model, options))
        if known is None:
            self._write(
                "INSERT OR IGNORE INTO spaces (model, options, dim) VALUES (?, ?, ?)",
                [(model, options, dim)],
            )
            found = self._read(
                "SELECT id, dim FROM spaces WHERE model = ? AND options = ?", (model, options)
            )
            known = self._spaces[(model, options)] = (int(found[0][0]), int(found[0][1]))
        if known[1] != dim:
            raise StoreError(
                f"{self.path}: space {known[0]} holds {known[1]}-d vectors, expected {dim}"
            )
        return known[0]

    def get(self, space: int, hashes: Sequence[bytes], dim: int) -> dict[bytes, bytes]:
        """The stored vector bytes of those ``hashes`` that ``space`` holds."""
        found: dict[bytes, bytes] = {}
        for start in range(0, len(hashes), _LOOKUP_CHUNK):
            chunk = hashes[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = (
                f"SELECT text_hash, vector FROM vectors WHERE space = ? AND text_hash IN ({marks})"
            )
            found.update(self._read(sql, (space, *chunk)))
        size = 4 * dim
        for key, blob in found.items():
            if len(blob) != size:
                raise StoreError(
                    f"{self.path}: a stored vector has {len(blob)} bytes, expected {size} "
                    f"(text hash {key.hex()})"
                )
        return found

    def put(self, space: int, hashes: Sequence[bytes], vectors: np.ndarray) -> None:
        """Add ``vectors`` (one row per hash); a hash already stored keeps its vector."""
        data = np.ascontiguousarray(vectors, dtype="<f4")
        rows = [(space, key, row.tobytes()) for key, row in zip(hashes, data, strict=True)]
        if rows:
            self._write("INSERT OR IGNORE INTO vectors VALUES (?, ?, ?)", rows)

    def plan(
        self, runner: StaticEmbedRunner, texts: list[str], options: dict[str, Any]
    ) -> tuple[list[str], Callable[[np.ndarray], np.ndarray]]:
        """(the texts to compute, a function taking their vectors and returning the vectors
        of all ``texts``, after storing the new ones). Each distinct missing text is computed
        once."""
        dim, key = vector_options(runner, options)
        space = self._space(runner.content_fingerprint, key, dim)
        hashes = [text_hash(text) for text in texts]
        found = self.get(space, list(dict.fromkeys(hashes)), dim)
        missing: dict[bytes, str] = {}
        for key_hash, text in zip(hashes, texts, strict=True):
            if key_hash not in found and key_hash not in missing:
                missing[key_hash] = text

        def complete(computed: np.ndarray) -> np.ndarray:
            new = list(missing)
            if new:
                self.put(space, new, computed)
                fresh = np.ascontiguousarray(computed, dtype="<f4")
                found.update(zip(new, (row.tobytes() for row in fresh), strict=True))
            joined = bytearray(b"".join([found[key_hash] for key_hash in hashes]))
            vectors = np.frombuffer(joined, dtype="<f4").reshape(len(hashes), dim)
            return vectors.astype(np.float32, copy=False)

        return list(missing.values()), complete


def vector_options(runner: StaticEmbedRunner, options: dict[str, Any]) -> tuple[int, str]:
    """(output dimension, a canonical string of what ``options`` do to a vector): the prompt
    actually prepended, the string cut, the token limit and its direction, normalisation and
    the dimension. Two option sets with the same string give the same vectors."""
    steps = runner._steps(
        options.get("prompt_name"), options.get("prompt"), options.get("max_length", "model")
    )
    truncation = steps.tokenizer.truncation
    normalize = options.get("normalize", True)
    dim = runner._check_truncate_dim(options.get("truncate_dim"))
    resolved: dict[str, Any] = {
        "prefix": steps.prefix,
        "char_limit": steps.char_limit,
        "truncation": None if truncation is None else [truncation.max_length, truncation.direction],
        "normalize": runner.normalize_default if normalize is None else bool(normalize),
        "dim": dim,
    }
    for name, value in options.items():
        if name not in _KNOWN_OPTIONS and name not in _IGNORED_OPTIONS:
            resolved[f"option:{name}"] = repr(value)
    return dim, json.dumps(resolved, sort_keys=True)
