"""``embed()`` as a DuckDB function (extra ``duckdb``): VARCHAR -> ``FLOAT[N]``, vectorized.

DuckDB hands the function a whole column chunk (up to 2,048 rows) as an Arrow array, so a
``UPDATE docs SET embedding = embed(body)`` encodes 2,048 texts per call, as a batch ``encode``
does. NULL gives NULL; any argument type other than VARCHAR is DuckDB's own binder error (no
implicit cast to text). The function is free of side effects, so DuckDB folds ``embed('a
constant')`` into a constant, which is what lets the ``vss`` extension's HNSW index serve
``ORDER BY array_cosine_distance(embedding, embed(...)) LIMIT k``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

try:
    import duckdb
    import pyarrow as pa
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "embed() for DuckDB needs duckdb and pyarrow: pip install 'static-embed-runner[duckdb]'"
    ) from error

if TYPE_CHECKING:
    from ..runner import StaticEmbedRunner


def register_duckdb(
    connection: duckdb.DuckDBPyConnection,
    runner: StaticEmbedRunner,
    name: str,
    prompt_name: str | None,
    truncate_dim: int | None,
    dim: int,
) -> None:
    """Register ``name(VARCHAR) -> FLOAT[dim]`` on ``connection``."""

    def embed(texts: pa.Array | pa.ChunkedArray) -> pa.FixedSizeListArray:
        values = texts.to_pylist()
        missing = np.fromiter((value is None for value in values), dtype=bool, count=len(values))
        if missing.any():
            present = np.flatnonzero(~missing)
            vectors = np.zeros((len(values), dim), dtype=np.float32)
            if present.size:
                vectors[present] = runner.encode(
                    [values[i] for i in present], prompt_name=prompt_name, truncate_dim=truncate_dim
                )
            mask = pa.array(missing)
        else:
            vectors = runner.encode(values, prompt_name=prompt_name, truncate_dim=truncate_dim)
            mask = None
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1))
        return pa.FixedSizeListArray.from_arrays(flat, dim, mask=mask)

    connection.create_function(
        name,
        embed,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype(f"FLOAT[{dim}]"),
        type="arrow",
        null_handling="special",
        side_effects=False,
    )
