"""Post-processing after pooling: an element-wise head, Matryoshka truncation, L2 normalisation.

Order in the runner: pooled mean -> head (if the model has one) -> keep the first ``truncate_dim``
columns -> L2-normalise. Everything stays float32.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np


class Head(Protocol):
    """An element-wise transform of pooled vectors (float32 in, float32 out, same shape)."""

    def __call__(self, pooled: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The transformed vectors, in ``out`` when given (which may be ``pooled`` itself)."""
        ...


class SeparableDyT:
    """``beta * tanh(alpha * x + bias)`` with one (alpha, beta, bias) triple per dimension."""

    def __init__(self, alpha: np.ndarray, beta: np.ndarray, bias: np.ndarray) -> None:
        shapes = {np.shape(alpha), np.shape(beta), np.shape(bias)}
        if len(shapes) != 1 or len(np.shape(alpha)) != 1:
            raise ValueError(
                f"alpha, beta and bias must be 1-D of one length, found shapes "
                f"{np.shape(alpha)}, {np.shape(beta)}, {np.shape(bias)}"
            )
        self.alpha = np.asarray(alpha, dtype=np.float32)
        self.beta = np.asarray(beta, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.dim = len(self.alpha)

    def __call__(self, pooled: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        out = np.multiply(pooled, self.alpha, out=out)
        out += self.bias
        np.tanh(out, out=out)
        out *= self.beta
        return out


def truncate(vectors: np.ndarray, dim: int | None) -> np.ndarray:
    """The first ``dim`` columns (Matryoshka), as a C-contiguous array; ``None`` keeps all."""
    if dim is None or dim == vectors.shape[-1]:
        return vectors
    return np.ascontiguousarray(vectors[..., :dim])


def l2_normalize(vectors: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Rows divided by their L2 norm, as a new float32 array or into ``out`` (which may be
    ``vectors`` itself: the runner normalises its own fresh arrays in place, which spares a
    process's first batches a page fault per 4 KiB of output); zero rows stay zero (never NaN)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:  # one text: the same reduction, without the per-row bookkeeping
        # The float32 square root through math.sqrt: a float64 root rounded to float32 (where
        # the division takes it) is the correctly rounded float32 root, as np.sqrt gives.
        norm = math.sqrt(np.einsum("...i,...i->...", vectors, vectors))
        return np.divide(vectors, norm or 1.0, out=out)  # a zero vector divided by 1 stays zero
    norms = np.sqrt(np.einsum("...i,...i->...", vectors, vectors))[..., None]
    if not norms.all():
        norms[norms == 0] = 1.0  # a zero row divided by 1 stays zero
    return np.divide(vectors, norms, out=out)
