"""Decoding stored codes through a lookup table into a given buffer (4-bit codes, ``q4.py``)."""

from __future__ import annotations

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
