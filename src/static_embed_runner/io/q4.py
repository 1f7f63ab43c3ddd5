"""The SSE 4-bit token table (``embedding.q4_k_m.bin``), kept packed and decoded row by row.

File layout: ``vocab x dim/2`` bytes, two 4-bit codes per byte (high nibble = even column, low
nibble = the next one), followed by ``vocab`` little-endian float32 per-row scales. A code ``q``
in a row with scale ``s`` stands for ``(q / 7.5 - 1) * s``, i.e. 16 levels spread evenly over
``[-s, s]``. The file carries no dimensions: callers pass either ``dim`` or ``vocab_size`` and
the other follows from the file size.

Decoding goes through a 256 x 2 lookup table (byte -> the two float32 levels it holds; read two
bytes at a time where a row's byte count is even), so a batch costs one fancy-index into the
packed bytes, one table lookup and one row scaling, and only for the rows it uses.
The levels are computed with the same float32 operations as the reference quantiser's decoder
(``q / 7.5 - 1``, then ``* scale``), so decoded values are bit-identical to it.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import numpy as np

from ..errors import ModelFormatError
from .lookup import take_in_steps
from .table import check_table_shape

_SCALE_BYTES = 4
_EPSILON = 1e-8  # added to every row's max |x| by the reference quantiser, so zero rows stay finite


def _build_lut() -> np.ndarray:
    codes = np.arange(256)
    nibbles = np.stack([codes >> 4, codes & 0x0F], axis=1).astype(np.float32)
    return nibbles / np.float32(7.5) - np.float32(1.0)


LUT: np.ndarray = _build_lut()
# The same table with each byte's two float32 levels as one 8-byte item: indexing this 1-D array
# with a whole block of codes copies one machine word per byte (several times faster than
# np.take over LUT's rows), and viewing the result as float32 gives back the two levels in order.
_LUT_PAIRS: np.ndarray = LUT.view(np.uint64).reshape(256)


@cache
def _lut_quads() -> np.ndarray:
    """Two packed bytes read as one native uint16 -> their four float32 levels as one 16-byte
    item (1 MiB, built on first use). Half as many lookups as :data:`_LUT_PAIRS`; complex128 is
    only a 16-byte container here: indexing copies bits and no arithmetic touches them."""
    byte_pairs = np.arange(1 << 16, dtype=np.uint16).view(np.uint8).reshape(-1, 2)  # memory order
    return _LUT_PAIRS[byte_pairs].view(np.complex128).reshape(-1)


def decode_levels(codes: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Packed codes ``(rows, dim/2)`` (C-contiguous uint8) -> the unscaled float32 levels
    ``(rows, dim)``, exactly ``LUT[codes].reshape(rows, dim)``; written into ``out`` (a
    C-contiguous float32 ``(rows, dim)`` array) when given."""
    if codes.shape[1] % 2 == 0:
        lut, keys = _lut_quads(), codes.view(np.uint16)
    else:
        lut, keys = _LUT_PAIRS, codes
    if out is None:  # intp keys: numpy indexes with them directly, without its own cast pass
        return lut[keys.astype(np.intp)].view(np.float32)  # the view widens the last axis
    take_in_steps(lut, keys, out.view(lut.dtype).reshape(keys.shape))
    return out


class Q4Table:
    """A packed 4-bit table: ``gather(ids)`` decodes only the requested rows to float32."""

    storage = "q4"
    compute_dtype = np.dtype(np.float32)

    def __init__(self, packed: np.ndarray, scales: np.ndarray, source: str = "<memory>") -> None:
        if packed.ndim != 2 or scales.shape != (packed.shape[0],):
            raise ModelFormatError(
                f"{source}: expected packed codes of shape (vocab, dim/2) and vocab scales, "
                f"found {packed.shape} and {scales.shape}"
            )
        check_table_shape(int(packed.shape[0]), int(packed.shape[1]) * 2, source)
        self._packed = packed
        self._scales = scales
        self._scale_column = scales[:, None]  # indexed by ids: one (n, 1) column per gather
        self.source = source
        self.vocab_size = int(packed.shape[0])
        self.dim = int(packed.shape[1]) * 2

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        dim: int | None = None,
        vocab_size: int | None = None,
    ) -> Q4Table:
        """Memory-map ``path``; give ``dim`` or ``vocab_size`` (the other follows, checked)."""
        path = Path(path)
        size = path.stat().st_size
        vocab_size, dim = infer_shape(size, dim=dim, vocab_size=vocab_size, source=str(path))
        raw = np.asarray(np.memmap(path, dtype=np.uint8, mode="r"))  # plain view of the map
        packed_bytes = vocab_size * dim // 2
        packed = raw[:packed_bytes].reshape(vocab_size, dim // 2)
        scales = raw[packed_bytes:].view("<f4")
        return cls(packed, scales, str(path))

    def gather(self, ids: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Decode rows ``ids`` (1-D integer array) into a float32 ``(len(ids), dim)`` array:
        ``out`` when given, else a new one."""
        # fancy indexing: np.take would copy a whole unaligned memmap
        rows = decode_levels(self._packed[ids], out)
        rows *= self._scale_column[ids]  # fancy indexing reads only these rows, aligned or not
        return rows

    def direct_rows(self) -> None:
        """Packed rows are decoded through :meth:`gather` only (the table stays packed)."""
        return None

    def stored_arrays(self) -> tuple[np.ndarray, ...]:
        return (self._packed, self._scales)

    def dequantize_all(self, rows_per_step: int = 8192) -> np.ndarray:
        """The whole table as a float32 ``(vocab, dim)`` array, decoded in bounded steps."""
        out = np.empty((self.vocab_size, self.dim), dtype=np.float32)
        for start in range(0, self.vocab_size, rows_per_step):
            stop = min(start + rows_per_step, self.vocab_size)
            decode_levels(np.ascontiguousarray(self._packed[start:stop]), out[start:stop])
            out[start:stop] *= np.asarray(self._scales[start:stop])[:, None]
        return out


def infer_shape(
    size: int, *, dim: int | None, vocab_size: int | None, source: str
) -> tuple[int, int]:
    """``(vocab_size, dim)`` of a q4 file of ``size`` bytes, from whichever of the two is known."""
    if dim is not None:
        if dim <= 0 or dim % 2:
            raise ModelFormatError(f"{source}: dimension must be positive and even, got {dim}")
        row_bytes = dim // 2 + _SCALE_BYTES
        if size == 0 or size % row_bytes:
            raise ModelFormatError(
                f"{source}: {size} bytes is not a whole number of rows of {row_bytes} bytes "
                f"(dim {dim}: {dim // 2} packed bytes + a 4-byte scale per row)"
            )
        inferred = size // row_bytes
        if vocab_size is not None and vocab_size != inferred:
            raise ModelFormatError(
                f"{source}: expected {vocab_size} rows of dim {dim} "
                f"({vocab_size * row_bytes} bytes), found {size} bytes = {inferred} rows"
            )
        return inferred, dim
    if vocab_size is None or vocab_size <= 0:
        raise ModelFormatError(f"{source}: need the table's dim or vocab size to read it")
    if size % vocab_size or size // vocab_size <= _SCALE_BYTES:
        raise ModelFormatError(
            f"{source}: {size} bytes does not split into {vocab_size} rows of "
            f"dim/2 packed bytes + a 4-byte scale"
        )
    return vocab_size, 2 * (size // vocab_size - _SCALE_BYTES)


def quantize(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Packed codes and per-row scales for a float ``(vocab, dim)`` table (``dim`` even)."""
    table = np.asarray(table, dtype=np.float32)
    if table.ndim != 2 or table.shape[1] % 2:
        raise ValueError(f"expected a (vocab, even dim) table, got shape {table.shape}")
    scales = (np.max(np.abs(table), axis=1) + np.float32(_EPSILON)).astype(np.float32)
    codes = np.clip(np.round((table / scales[:, None] + 1) * 7.5), 0, 15).astype(np.uint8)
    packed = (codes[:, 0::2] << 4) | codes[:, 1::2]
    return packed, scales


def write_q4(path: str | os.PathLike[str], table: np.ndarray) -> None:
    """Quantise ``table`` (per-row scale = max |x| + 1e-8, 16 levels) and write the q4 file."""
    packed, scales = quantize(table)
    with open(path, "wb") as handle:
        handle.write(np.ascontiguousarray(packed).tobytes())
        handle.write(scales.astype("<f4").tobytes())
