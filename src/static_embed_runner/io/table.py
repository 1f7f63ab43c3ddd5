"""Token tables behind one interface: ``gather(unique_ids) -> float32 rows``.

Pooling asks a table only for the distinct ids of a batch, so every storage decodes just those
rows: a dense (usually memory-mapped) array in any dtype, the packed 4-bit table
(:class:`~static_embed_runner.io.q4.Q4Table`), or a vocabulary-quantised Model2Vec table where
token ``i`` is row ``mapping[i]`` scaled by ``weights[i]``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..errors import ModelFormatError
from .float16 import float16_to_float32
from .safetensors import bf16_to_float32


class Table(Protocol):
    """What pooling needs from a token table.

    ``compute_dtype`` is float32, or float64 where the reference library averages in float64
    (float64 tables; Model2Vec int8 and per-token-weighted tables); pooling sums in it.
    """

    vocab_size: int
    dim: int
    storage: str
    compute_dtype: np.dtype

    def gather(self, ids: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Rows ``ids`` (1-D ints < vocab_size) as a ``(len, dim)`` compute_dtype array: ``out``
        (C-contiguous, of that shape and dtype) filled and returned when given, else a new one."""
        ...

    def direct_rows(self) -> np.ndarray | None:
        """A ``(vocab, dim)`` compute_dtype array pooling may index per token, or None when rows
        must be decoded through :meth:`gather`."""
        ...

    def stored_arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays holding the table's data as stored (memory-mapped or not), to prefetch."""
        ...


def check_table_shape(vocab_size: int, dim: int, source: str) -> None:
    """Refuse a table no text can be embedded with: no rows, or rows of width 0."""
    if vocab_size < 1 or dim < 1:
        raise ModelFormatError(
            f"{source}: the token table has {vocab_size} rows of width {dim}; a usable table "
            f"needs at least one row and a width of at least 1"
        )


class DenseTable:
    """A ``(vocab, dim)`` array of float64/32/16, bfloat16 bits or int8, converted per gather."""

    def __init__(
        self,
        array: np.ndarray,
        *,
        bf16: bool = False,
        source: str = "<memory>",
        compute_dtype: type = np.float32,
    ) -> None:
        if array.ndim != 2:
            raise ModelFormatError(
                f"{source}: token table must be 2-D (vocab, dim), found shape {array.shape}"
            )
        allowed = "u2" if bf16 else "f8 f4 f2 i1"
        if array.dtype.kind + str(array.dtype.itemsize) not in allowed.split():
            raise ModelFormatError(
                f"{source}: token table dtype must be float64, float32, float16, bfloat16 or "
                f"int8, found {array.dtype}"
            )
        check_table_shape(int(array.shape[0]), int(array.shape[1]), source)
        self._array = array
        self._bf16 = bf16
        self.source = source
        self.vocab_size = int(array.shape[0])
        self.dim = int(array.shape[1])
        self.storage = "bfloat16" if bf16 else array.dtype.name
        self.compute_dtype = np.dtype(compute_dtype)
        self._widens_float16 = array.dtype == np.float16 and self.compute_dtype == np.float32

    def direct_rows(self) -> np.ndarray | None:
        """The table itself when it is stored in compute_dtype (pooling may then index it per
        token instead of gathering distinct rows first), else None."""
        if not self._bf16 and self._array.dtype == self.compute_dtype:
            return self._array
        return None

    def stored_arrays(self) -> tuple[np.ndarray, ...]:
        return (self._array,)

    def in_compute_dtype(self) -> DenseTable:
        """The whole table converted once to ``compute_dtype``, in memory (so pooling indexes it
        per token instead of converting a batch's rows); the table itself when it already is."""
        if self.direct_rows() is not None:
            return self
        # bf16 widening already makes a new float32 array: no second copy of the whole table.
        if self._bf16:
            array = bf16_to_float32(self._array)
        elif self._widens_float16:
            array = float16_to_float32(self._array)
        else:
            array = self._array
        return DenseTable(
            array.astype(self.compute_dtype, copy=False),
            source=self.source,
            compute_dtype=self.compute_dtype,
        )

    def gather(self, ids: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        rows = self._array[ids]  # fancy indexing: np.take would copy a whole unaligned table
        if self._bf16:
            rows = bf16_to_float32(rows)
        elif self._widens_float16:
            return float16_to_float32(rows, out)
        return _deliver(rows, self.compute_dtype, out)


class MappedTable:
    """Token ``i`` = ``base[mapping[i]] * weights[i]`` (either part optional)."""

    def __init__(
        self,
        base: Table,
        mapping: np.ndarray | None,
        weights: np.ndarray | None,
        source: str = "<memory>",
        compute_dtype: type = np.float32,
    ) -> None:
        vocab = base.vocab_size if mapping is None else len(mapping)
        check_table_shape(vocab, base.dim, source)
        if mapping is not None:
            if mapping.ndim != 1 or mapping.dtype.kind not in "iu":
                raise ModelFormatError(
                    f"{source}: 'mapping' must be a 1-D integer tensor, "
                    f"found {mapping.dtype} of shape {mapping.shape}"
                )
            if len(mapping) and (mapping.min() < 0 or mapping.max() >= base.vocab_size):
                raise ModelFormatError(
                    f"{source}: 'mapping' points at rows {int(mapping.min())}..{int(mapping.max())}"
                    f", but the table has {base.vocab_size} rows"
                )
            mapping = np.ascontiguousarray(mapping, dtype=np.int64)
        if weights is not None:
            if weights.shape != (vocab,) or weights.dtype.kind != "f":
                raise ModelFormatError(
                    f"{source}: 'weights' must be a 1-D float tensor with one value per token "
                    f"({vocab}), found {weights.dtype} of shape {weights.shape}"
                )
            weights = np.asarray(weights, dtype=np.float64)
        self._base = base
        self._mapping = mapping
        self._weights = weights
        self.vocab_size = int(vocab)
        self.dim = base.dim
        self.storage = base.storage
        self.compute_dtype = np.dtype(compute_dtype)

    def gather(self, ids: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        base_ids = ids if self._mapping is None else self._mapping[ids]
        if self._weights is None and self._base.compute_dtype == self.compute_dtype:
            return self._base.gather(base_ids, out)
        rows = self._base.gather(base_ids)
        if self._weights is not None:
            # Scaled exactly in float64 (a float32 or narrower row times a float32 weight needs
            # at most 48 bits), then rounded once to compute_dtype: the product the references
            # compute in that dtype.
            rows = rows.astype(np.float64) * self._weights[ids][:, None]
        return _deliver(rows, self.compute_dtype, out)

    def direct_rows(self) -> None:
        """Rows are mapped and scaled, so they always go through :meth:`gather`."""
        return None

    def stored_arrays(self) -> tuple[np.ndarray, ...]:
        return self._base.stored_arrays()


def _deliver(rows: np.ndarray, dtype: np.dtype, out: np.ndarray | None) -> np.ndarray:
    """``rows`` in ``dtype``: written into ``out`` when given, else converted (or kept) as is."""
    if out is None:
        return rows.astype(dtype, copy=False)
    np.copyto(out, rows, casting="same_kind")
    return out
