"""Decoding stored values through lookup tables: float16 bits, and 4-bit codes (``q4.py``).

numpy widens float16 to float32 at about 1.7 ns per value here (no hardware conversion); a
lookup in a 65,536-entry float32 table (256 KiB, built once by that same cast, so every bit
pattern, NaN payloads included, maps to exactly what the cast gives) takes about 1 ns.
"""

from __future__ import annotations

from functools import cache

import numpy as np

TAKE_KEYS = 1 << 13  # keys per np.take call when decoding into a given buffer


def take_in_steps(lut: np.ndarray, keys: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[...] = lut[keys]`` for 2-D ``keys`` and an ``out`` of the same shape and lut's dtype.

    np.take copies its keys to intp first: in steps, that copy stays small enough for the
    allocator to reuse (one block of the whole would be fresh memory, a page fault per 4 KiB).
    Every key is in range; "wrap" only spares np.take the temporary it makes for "raise".
    """
    step = max(1, TAKE_KEYS // max(keys.shape[1], 1))
    for start in range(0, keys.shape[0], step):
        np.take(lut, keys[start : start + step], out=out[start : start + step], mode="wrap")
    return out


@cache
def float16_lookup() -> np.ndarray:
    """float16 bits (as uint16) -> float32, built on first use."""
    return np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)


def float16_to_float32(halves: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A 2-D float16 array widened to float32, bit for bit as ``astype`` would; into ``out`` (a
    C-contiguous float32 array of the same shape) when given."""
    if out is None:
        out = np.empty(halves.shape, dtype=np.float32)
    keys = np.ascontiguousarray(halves).view(np.uint16)
    return take_in_steps(float16_lookup(), keys, out)
