"""Cosine similarity between embeddings, for vectors or batches of them.

>>> import numpy as np
>>> similarity(np.array([1.0, 0.0]), np.array([1.0, 1.0]))  # doctest: +ELLIPSIS
0.7071...
>>> similarity(np.eye(2), np.eye(2)).tolist()
[[1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from .head import l2_normalize


def similarity(a: np.ndarray, b: np.ndarray) -> float | np.ndarray:
    """Cosine similarity in float32; a zero vector has similarity 0 with everything.

    Two 1-D vectors give a float; otherwise 1-D inputs count as one row and the result is the
    ``(len(a), len(b))`` matrix of every pair.
    """
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    for name, value in (("a", a), ("b", b)):
        if value.ndim not in (1, 2):
            raise ValueError(f"{name} must be 1-D or 2-D, found {value.ndim}-D shape {value.shape}")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"a and b must have the same dimension, found {a.shape[-1]} and {b.shape[-1]}"
        )
    scores = l2_normalize(np.atleast_2d(a)) @ l2_normalize(np.atleast_2d(b)).T
    if a.ndim == 1 and b.ndim == 1:
        return float(scores[0, 0])
    return scores
