"""Vectors <-> the BLOBs that sqlite-vec's ``vec0`` columns store, with sqlite-vec's conventions.

- ``float[N]``: N little-endian float32 values (``float_blob``; ``vector_from_blob`` reads one).
- ``int8[N]``: ``vec_quantize_int8(v, 'unit')``: each value x (as float32) maps to
  ``trunc((x + 1) / step - 128)`` in double precision, ``step`` being the float32 nearest to
  2/255, clamped to [-128, 127] (NaN becomes 127).
- ``bit[N]``: ``vec_quantize_binary(v)``: bit i of the blob (byte i // 8, least significant bit
  first) is set when value i is > 0; N must be a multiple of 8.

A value is first rounded to float32, as it is when SQL quantizes a stored ``float[N]`` vector, so
``int8_blob(v) == vec_quantize_int8(float_blob(v), 'unit')`` for any v. In SQL, an int8 or bit
blob goes into a ``vec0`` column or a ``MATCH`` through ``vec_int8(?)`` / ``vec_bit(?)`` (sqlite-vec
reads an untyped blob as float32). One-vector functions take a 1-D vector; the ``*_blobs``
functions take a 2-D ``(n, N)`` array and return a list of n blobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .quantize import pack_sign_bits

# sqlite-vec's ``f32 step = (1.0 - (-1.0)) / 255``: computed in double, stored as float32.
_INT8_STEP = float(np.float32(2.0 / 255))


def _as_float32(values: object, ndim: int, what: str) -> np.ndarray:
    """``values`` as a float32 array of ``ndim`` dimensions with at least one column, or a clear
    ``TypeError``/``ValueError`` naming ``what`` and what was found."""
    array = np.asarray(values)
    if array.dtype.kind not in "fiu":
        raise TypeError(
            f"{what} must hold real numbers (a float or integer array), got dtype {array.dtype}"
        )
    if array.ndim != ndim:
        shape = "a 1-D vector" if ndim == 1 else "a 2-D (n, dim) array"
        raise ValueError(f"{what} must be {shape}, got shape {array.shape}")
    if array.shape[-1] == 0:
        raise ValueError(f"{what} has no dimensions (shape {array.shape}); sqlite-vec needs >= 1")
    return np.ascontiguousarray(array, dtype="<f4")


def quantize_int8(vectors: object) -> np.ndarray:
    """sqlite-vec's ``vec_quantize_int8(v, 'unit')`` of each vector: an int8 array of the input's
    shape (1-D or 2-D)."""
    array = np.asarray(vectors)
    values = _as_float32(array, max(array.ndim, 1), "vectors").astype(np.float64)
    scaled = (values + 1.0) / _INT8_STEP - 128.0
    scaled = np.where(scaled <= 127.0, scaled, 127.0)  # NaN fails the test: 127, as in C
    scaled = np.where(scaled >= -128.0, scaled, -128.0)
    return np.trunc(scaled).astype(np.int8)  # C's (i8) cast truncates toward zero


def quantize_binary(vectors: object) -> np.ndarray:
    """sqlite-vec's ``vec_quantize_binary(v)`` of each vector: a uint8 array whose last axis is
    ``dim // 8`` bytes, bit ``i % 8`` (least significant first) of byte ``i // 8`` set where
    value i > 0. ``dim`` must be a multiple of 8, as sqlite-vec requires."""
    array = np.asarray(vectors)
    values = _as_float32(array, max(array.ndim, 1), "vectors")
    if values.shape[-1] % 8:
        raise ValueError(
            f"binary quantization needs a dimension divisible by 8 (sqlite-vec's bit[N]), "
            f"got {values.shape[-1]}"
        )
    return pack_sign_bits(values)


def float_blob(vector: object) -> bytes:
    """One vector -> a ``float[N]`` blob (little-endian float32)."""
    return _as_float32(vector, 1, "vector").tobytes()


def int8_blob(vector: object) -> bytes:
    """One vector -> an ``int8[N]`` blob, ``vec_quantize_int8(vector, 'unit')``."""
    return quantize_int8(_as_float32(vector, 1, "vector")).tobytes()


def bit_blob(vector: object) -> bytes:
    """One vector -> a ``bit[N]`` blob, ``vec_quantize_binary(vector)``."""
    return quantize_binary(_as_float32(vector, 1, "vector")).tobytes()


def float_blobs(vectors: object) -> list[bytes]:
    """An ``(n, N)`` array -> n ``float[N]`` blobs."""
    return _rows(_as_float32(vectors, 2, "vectors"))


def int8_blobs(vectors: object) -> list[bytes]:
    """An ``(n, N)`` array -> n ``int8[N]`` blobs."""
    return _rows(quantize_int8(_as_float32(vectors, 2, "vectors")))


def bit_blobs(vectors: object) -> list[bytes]:
    """An ``(n, N)`` array -> n ``bit[N]`` blobs."""
    return _rows(quantize_binary(_as_float32(vectors, 2, "vectors")))


def vector_from_blob(blob: bytes | bytearray | memoryview, dim: int | None = None) -> np.ndarray:
    """A ``float[N]`` blob -> a ``(N,)`` float32 array (a copy). ``dim``, when given, is checked."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise TypeError(f"blob must be bytes, got {type(blob).__name__}")
    size = len(memoryview(blob).cast("B"))
    if size == 0 or size % 4:
        raise ValueError(
            f"a float[N] blob holds 4 bytes per value; got {size} bytes, not a positive multiple "
            f"of 4"
        )
    if dim is not None and size != 4 * dim:
        raise ValueError(f"expected a float[{dim}] blob ({4 * dim} bytes), got {size} bytes")
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


def vectors_from_blobs(
    blobs: Iterable[bytes | bytearray | memoryview], dim: int | None = None
) -> np.ndarray:
    """``float[N]`` blobs, all of one length -> an ``(n, N)`` float32 array. ``dim`` is needed
    for an empty input (else the result has 0 columns) and checked when given."""
    rows: Sequence = list(blobs)
    if not rows:
        return np.empty((0, dim or 0), dtype=np.float32)
    first = vector_from_blob(rows[0], dim)
    out = np.empty((len(rows), first.shape[0]), dtype=np.float32)
    out[0] = first
    for index in range(1, len(rows)):
        try:
            out[index] = vector_from_blob(rows[index], first.shape[0])
        except ValueError as error:
            raise ValueError(
                f"blob {index}: {error} (blob 0 had {first.shape[0]} values)"
            ) from None
    return out


def _rows(array: np.ndarray) -> list[bytes]:
    return [row.tobytes() for row in array]
