"""Embeddings inside SQL: ``register_sql_functions`` adds ``embed()`` to a SQLite or DuckDB
connection, calling back into one loaded runner (no native code, the model never reloaded).

SQLite (``sqlite3`` when it allows extensions, ``pysqlite3``, or ``apsw``; see :mod:`.sqlite`):
``embed(text [, prompt_name [, truncate_dim]])`` -> a ``float[N]`` blob for sqlite-vec,
``embed_int8(...)`` / ``embed_bit(...)`` -> its ``int8[N]`` / ``bit[N]`` blobs. DuckDB (extra
``duckdb``; see :mod:`.duckdb`): ``embed(text)`` -> ``FLOAT[N]``, computed a column at a time.
Importing this package imports neither engine.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..runner import StaticEmbedRunner

__all__ = ["register_sql_functions"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def register_sql_functions(
    connection: object,
    runner: StaticEmbedRunner,
    *,
    name: str = "embed",
    prompt_name: str | None = None,
    truncate_dim: int | None = None,
) -> None:
    """Add the embedding functions to ``connection`` (SQLite or DuckDB), all backed by ``runner``.

    ``name`` names the functions (``embed``, and on SQLite ``embed_int8`` and ``embed_bit``).
    ``prompt_name`` and ``truncate_dim`` are what ``runner.encode`` gets when the SQL call does
    not say (on DuckDB, always: register a second name for queries, e.g.
    ``name="embed_query", prompt_name="query"``). The vectors are ``runner.encode(text, ...)``'s,
    L2-normalised, byte for byte. One runner may back any number of connections in any threads;
    anything with the runner's ``encode``, ``dim`` and ``prompts`` will do (a ``CachedRunner``, a
    ``RemoteRunner``).
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name must be an SQL identifier (letters, digits, _), got {name!r}")
    if not all(hasattr(runner, attribute) for attribute in ("encode", "dim", "prompts")):
        raise TypeError(
            f"runner must be a StaticEmbedRunner (or have its encode, dim and prompts), got "
            f"{type(runner).__name__}"
        )
    check_truncate_dim(truncate_dim, runner.dim, "truncate_dim")
    dim = output_dim(runner, truncate_dim)
    check_prompt_name(prompt_name, runner.prompts, "prompt_name")
    module = type(connection).__module__.split(".")[0]
    if module in ("duckdb", "_duckdb"):
        from .duckdb import register_duckdb

        register_duckdb(connection, runner, name, prompt_name, truncate_dim, dim)
        return
    from .sqlite import register_sqlite, sqlite_flavour

    flavour = sqlite_flavour(connection)
    if flavour is None:
        raise TypeError(
            "connection must be a SQLite connection (sqlite3, pysqlite3 or apsw) or a DuckDB "
            f"connection, got {type(connection).__module__}.{type(connection).__qualname__}"
        )
    register_sqlite(connection, flavour, runner, name, prompt_name, truncate_dim)


def output_dim(runner: StaticEmbedRunner, truncate_dim: int | None) -> int:
    """The length of ``runner.encode(text, truncate_dim=truncate_dim)``: the runner's own
    resolver where it has one (a set ``runner.truncate_dim`` applies when ``truncate_dim`` is
    None), else ``truncate_dim`` or ``runner.dim``."""
    resolve = getattr(runner, "_check_truncate_dim", None)
    if resolve is not None:
        return int(resolve(truncate_dim))
    return int(runner.dim) if truncate_dim is None else truncate_dim


def check_truncate_dim(truncate_dim: object, dim: int, what: str) -> int:
    """``truncate_dim`` (None: the model's ``dim``) checked to be an int in 1..dim."""
    if truncate_dim is None:
        return dim
    if isinstance(truncate_dim, bool) or not isinstance(truncate_dim, int):
        raise TypeError(f"{what} must be an integer or NULL/None, got {truncate_dim!r}")
    if not 1 <= truncate_dim <= dim:
        raise ValueError(
            f"{what} must be between 1 and the model dimension {dim}, got {truncate_dim}"
        )
    return truncate_dim


def check_prompt_name(prompt_name: object, prompts: dict[str, str], what: str) -> None:
    """``prompt_name`` checked to be None or one of the model's prompt names."""
    if prompt_name is None:
        return
    if not isinstance(prompt_name, str):
        raise TypeError(f"{what} must be text or NULL/None, got {prompt_name!r}")
    if prompt_name not in prompts:
        known = ", ".join(repr(key) for key in prompts) or "none"
        raise ValueError(f"{what} {prompt_name!r} is not one of this model's prompts ({known})")
