"""``embed()``, ``embed_int8()`` and ``embed_bit()`` as SQLite functions, for sqlite-vec.

``embed(text [, prompt_name [, truncate_dim]])``: ``text`` TEXT or NULL (NULL gives NULL);
``prompt_name`` one of the model's prompt names (``embed(:q, 'query')``) or NULL for the default;
``truncate_dim`` an INTEGER (keep the first dimensions, then normalise) or NULL for all. The
result is ``runner.encode(text, prompt_name=..., truncate_dim=...)`` as a ``float[N]`` blob;
``embed_int8`` and ``embed_bit`` give the same vector as sqlite-vec's ``int8[N]`` / ``bit[N]``
blobs (:mod:`..vector_blobs`; wrap them in ``vec_int8()`` / ``vec_bit()`` for a ``vec0`` column).
The functions are registered as deterministic. An argument of the wrong type is an SQL error:
apsw raises the function's own ``TypeError``/``ValueError``; ``sqlite3`` and ``pysqlite3`` report
"user-defined function raised exception" (``sqlite3.enable_callback_tracebacks(True)`` prints
the message). SQLite calls a scalar function once per row, so each row is one ``encode`` call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..vector_blobs import quantize_binary, quantize_int8
from . import check_prompt_name, check_truncate_dim

if TYPE_CHECKING:
    from ..runner import StaticEmbedRunner

_BLOBS: dict[str, Callable[[np.ndarray], bytes]] = {
    "": lambda vector: vector.astype("<f4", copy=False).tobytes(),
    "_int8": lambda vector: quantize_int8(vector).tobytes(),
    "_bit": lambda vector: quantize_binary(vector).tobytes(),
}


def sqlite_flavour(connection: object) -> str | None:
    """``"apsw"`` for an apsw connection, ``"dbapi"`` for a ``sqlite3``-style one (the standard
    library's, pysqlite3's), None for anything else."""
    kind = type(connection)
    if kind.__module__.split(".")[0] == "apsw" and hasattr(connection, "create_scalar_function"):
        return "apsw"
    if callable(getattr(connection, "create_function", None)) and hasattr(connection, "execute"):
        return "dbapi"
    return None


def register_sqlite(
    connection: object,
    flavour: str,
    runner: StaticEmbedRunner,
    name: str,
    prompt_name: str | None,
    truncate_dim: int | None,
) -> None:
    """Register ``name``, ``name_int8`` and ``name_bit`` with 1, 2 and 3 arguments."""
    prompts = dict(runner.prompts)
    dim = int(runner.dim)
    for suffix, to_blob in _BLOBS.items():
        function = _sql_function(
            runner, name + suffix, prompts, dim, prompt_name, truncate_dim, to_blob
        )
        for arity in (1, 2, 3):
            if flavour == "apsw":
                connection.create_scalar_function(
                    name + suffix, function, arity, deterministic=True
                )
            else:
                connection.create_function(name + suffix, arity, function, deterministic=True)


def _sql_function(
    runner: StaticEmbedRunner,
    function_name: str,
    prompts: dict[str, str],
    dim: int,
    default_prompt: str | None,
    default_dim: int | None,
    to_blob: Callable[[np.ndarray], bytes],
) -> Callable[..., bytes | None]:
    """The Python callable behind one SQL function name (all arities)."""

    def embed(
        text: object, prompt_name: object = None, truncate_dim: object = None
    ) -> bytes | None:
        if text is None:
            return None
        if not isinstance(text, str):
            raise TypeError(
                f"{function_name}(): the text argument must be TEXT or NULL, got {_describe(text)}"
            )
        if prompt_name is None:
            prompt_name = default_prompt
        else:
            check_prompt_name(prompt_name, prompts, f"{function_name}(): prompt_name")
        if truncate_dim is None:
            truncate_dim = default_dim
        else:
            check_truncate_dim(truncate_dim, dim, f"{function_name}(): truncate_dim")
        vector = runner.encode(text, prompt_name=prompt_name, truncate_dim=truncate_dim)
        try:
            return to_blob(vector)
        except ValueError as error:
            raise ValueError(f"{function_name}(): {error}") from None

    embed.__name__ = function_name
    return embed


def _describe(value: object) -> str:
    """An SQL value as its SQLite type and a short preview."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"a BLOB of {len(memoryview(value).cast('B'))} bytes"
    if isinstance(value, int):
        return f"INTEGER {value}"
    if isinstance(value, float):
        return f"REAL {value!r}"
    return f"{type(value).__name__} {value!r:.40}"
