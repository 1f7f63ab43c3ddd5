"""Output quantization: float vectors -> int8, uint8 or packed binary codes, numpy only.

:func:`quantize_embeddings` reproduces ``sentence_transformers.quantization.quantize_embeddings``
(sentence-transformers 6.3) bit for bit on finite float input, including what it does without
saying so:

- **int8/uint8 ranges come from the batch itself** when neither ``ranges`` nor
  ``calibration_embeddings`` is given: per dimension, the minimum and maximum of the very
  embeddings being quantized. Two batches then use two different scales, and a single vector
  cannot be quantized at all. ``require_ranges=True`` refuses instead (the safe choice).
- Each dimension's range is cut into 255 equal steps; a value maps to ``floor((x - min) / step)``,
  **clipped to 0..255**: values outside the range saturate at the ends (earlier releases of
  sentence-transformers let them wrap around in the integer cast). ``int8`` is that code minus 128.
  A dimension whose minimum equals its maximum gets step 1.
- **binary/ubinary** set a bit where the value is ``> 0`` (zero and negatives give 0), packed
  **most significant bit first** (``np.packbits``): dimension 0 is bit 7 of byte 0. A dimension
  count that is not a multiple of 8 is **padded with zero bits** to a whole byte. ``ubinary`` is the
  packed byte; ``binary`` is that byte minus 128 as int8 (not a sign-bit code).

Where it differs: NaN or infinite values raise ``ValueError`` here (sentence-transformers turns a
NaN into an arbitrary integer code or a 0 bit), and malformed ``ranges`` raise instead of
broadcasting.

For faiss, :func:`faiss_binary_codes` packs the same bits least significant bit first, faiss's own
order (``faiss.real_to_binary``, ``IndexBinaryFromFloat``), and :func:`rescore` re-ranks the
candidates of a binary (Hamming) search with the float query.

>>> import numpy as np
>>> quantize_embeddings(np.array([[0.5, -1.0, 0.0, 2.0]]), "ubinary")
array([[144]], dtype=uint8)
>>> faiss_binary_codes(np.array([[0.5, -1.0, 0.0, 2.0]]))
array([[9]], dtype=uint8)
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

Precision = Literal["float32", "int8", "uint8", "binary", "ubinary"]
PRECISIONS: tuple[str, ...] = ("float32", "int8", "uint8", "binary", "ubinary")
# Below this many rows, ranges taken from the embeddings themselves are unreliable
# (sentence-transformers logs a warning at the same count).
_FEW_CALIBRATION_ROWS = 100


def quantize_embeddings(
    embeddings: np.ndarray | Sequence,
    precision: Precision,
    ranges: np.ndarray | None = None,
    calibration_embeddings: np.ndarray | None = None,
    *,
    require_ranges: bool = False,
) -> np.ndarray:
    """Quantize float embeddings (``(dim,)`` or ``(n, dim)``) to ``precision``.

    ``"float32"`` casts; ``"int8"``/``"uint8"`` map each dimension's range to 256 codes (``ranges``
    is the ``(2, dim)`` array of per-dimension minima and maxima; without it, they are taken from
    ``calibration_embeddings``, else from ``embeddings`` themselves); ``"ubinary"`` packs one bit
    per dimension (``> 0``) into ``ceil(dim / 8)`` bytes, most significant bit first, and
    ``"binary"`` is the same bytes minus 128 as int8. The module docstring lists what
    sentence-transformers does silently; this function does the same, unless told otherwise:

    ``require_ranges=True``: int8/uint8 raise ``ValueError`` unless ``ranges`` or
    ``calibration_embeddings`` is given, instead of calibrating on the embeddings being quantized
    (which gives every batch its own scale, so codes of two batches do not compare).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    array = _float_array(embeddings, "embeddings")
    if array.ndim == 2 and array.shape[0] == 0:
        return _empty(array.shape[1], precision)
    if precision == "float32":
        return array.astype(np.float32)
    if precision in ("int8", "uint8"):
        if ranges is None:
            ranges = _ranges_for(array, precision, calibration_embeddings, require_ranges)
        codes = _scalar_codes(array, _check_ranges(ranges, array.shape[-1]))
        return codes.astype(np.uint8) if precision == "uint8" else (codes - 128).astype(np.int8)
    packed = np.packbits(array > 0, axis=-1)
    if precision == "ubinary":
        return packed
    return (packed.astype(np.int16) - 128).astype(np.int8)


def quantization_ranges(calibration_embeddings: np.ndarray | Sequence) -> np.ndarray:
    """The ``(2, dim)`` float32 ``ranges`` (per-dimension minimum, then maximum) that int8/uint8
    quantization derives from ``calibration_embeddings``: compute them once on a representative
    sample (the corpus), store them, and quantize every later batch (queries too) with them."""
    array = _float_array(calibration_embeddings, "calibration_embeddings")
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(
            f"calibration_embeddings must be a non-empty (n, dim) array, found shape {array.shape}"
        )
    return np.vstack((array.min(axis=0), array.max(axis=0))).astype(np.float32)


def dequantize_embeddings(
    codes: np.ndarray, precision: Literal["int8", "uint8"], ranges: np.ndarray
) -> np.ndarray:
    """int8/uint8 codes back to float64 vectors: each code as the start of its step,
    ``min + code * (max - min) / 255`` per dimension (sentence-transformers' rescoring does the
    same). ``ranges`` must be the ones the codes were made with."""
    expected = {"int8": np.int8, "uint8": np.uint8}.get(precision)
    codes = np.asarray(codes)
    if expected is None or codes.dtype != expected:
        raise ValueError(
            f"precision must be 'int8' or 'uint8' matching the codes' dtype, got {precision!r} "
            f"for {codes.dtype} codes"
        )
    ranges = _check_ranges(ranges, codes.shape[-1])
    steps = (ranges[1] - ranges[0]) / 255
    steps = np.where(steps == 0, 1, steps)
    return (codes.astype(np.float64) + (128 if precision == "int8" else 0)) * steps + ranges[0]


def faiss_binary_codes(embeddings: np.ndarray | Sequence) -> np.ndarray:
    """One bit per dimension (``> 0``), packed least significant bit first into
    ``ceil(dim / 8)`` uint8 bytes: faiss's own layout, the bytes ``faiss.real_to_binary`` and
    ``IndexBinaryFromFloat`` produce, for ``faiss.IndexBinaryFlat(8 * codes.shape[1])``.

    Hamming distance does not depend on the order of bits inside a byte, so these codes and
    ``quantize_embeddings(..., "ubinary")`` (most significant bit first) give the same distances,
    as long as the index and its queries use one of the two, never a mix. A dimension count that
    is not a multiple of 8 is padded with zero bits, the same in every code."""
    return pack_sign_bits(_float_array(embeddings, "embeddings"))


def pack_sign_bits(array: np.ndarray) -> np.ndarray:
    """The one bit packer of the package: along the last axis, bit ``i % 8`` (least significant
    first) of byte ``i // 8`` is set where value ``i`` is ``> 0``. The layout of both faiss binary
    codes and sqlite-vec's ``bit[N]``; callers validate ``array`` first."""
    return np.packbits(array > 0, axis=-1, bitorder="little")


def rescore(
    query_embeddings: np.ndarray | Sequence,
    candidate_ids: np.ndarray | Sequence,
    corpus_embeddings: np.ndarray,
    *,
    top_k: int = 10,
    corpus_precision: Precision = "float32",
    ranges: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Re-rank each query's candidates by the dot product of the float query with their rows of
    ``corpus_embeddings`` -> ``(scores, ids)``, each ``(n_queries, top_k)``, best first.

    The second step of binary search: find ``top_k * 4`` or so candidates per query by Hamming
    distance (``faiss.IndexBinaryFlat.search`` returns ``(distances, candidate_ids)``), then
    rescore them here. ``corpus_embeddings`` holds what was kept of the corpus: float32 vectors
    (``corpus_precision="float32"``), int8/uint8 codes with the ``ranges`` they were made with
    (each code read back as the start of its step, as sentence-transformers does), or the
    binary codes themselves (``"ubinary"``/``"binary"``, most significant bit first: each bit as
    0 or 1, sentence-transformers' rescoring). A candidate id of -1 (faiss's padding when the
    index holds fewer than ``k`` vectors) is skipped; rows with fewer than ``top_k`` candidates
    are padded with id -1 and score ``-inf``. Ties keep the candidates' order.
    """
    queries = _float_array(query_embeddings, "query_embeddings")
    queries = queries[None, :] if queries.ndim == 1 else queries
    ids = np.asarray(candidate_ids)
    ids = ids[None, :] if ids.ndim == 1 else ids
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer) or len(ids) != len(queries):
        raise ValueError(
            f"candidate_ids must be an integer array of shape ({len(queries)}, k), one row per "
            f"query, found {ids.dtype} {ids.shape}"
        )
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
        raise ValueError(f"top_k must be a positive int, got {top_k!r}")
    corpus = np.asarray(corpus_embeddings)
    if corpus.ndim != 2:
        raise ValueError(f"corpus_embeddings must be 2-D, found shape {corpus.shape}")
    if ids.size and (ids.max() >= len(corpus) or ids.min() < -1):
        raise ValueError(
            f"candidate_ids must be -1 or 0..{len(corpus) - 1}, found {ids.min()}..{ids.max()}"
        )
    valid = ids >= 0
    rows = _rows_as_floats(
        corpus[np.where(valid, ids, 0)], corpus_precision, ranges, queries.shape[-1]
    )
    scores = np.einsum("qd,qkd->qk", queries.astype(np.float64), rows)
    scores[~valid] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")[:, :top_k]
    scores = np.take_along_axis(scores, order, axis=1)
    ids = np.where(np.isneginf(scores), -1, np.take_along_axis(ids, order, axis=1))
    pad = top_k - scores.shape[1]
    if pad > 0:
        scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=-np.inf)
        ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)
    return scores, ids.astype(np.int64)


def _rows_as_floats(
    rows: np.ndarray, precision: str, ranges: np.ndarray | None, dim: int
) -> np.ndarray:
    """Gathered corpus rows ``(n, k, width)`` as float64 vectors of ``dim`` values."""
    if precision == "float32":
        if not np.issubdtype(rows.dtype, np.floating) or rows.shape[-1] != dim:
            raise ValueError(
                f"float32 corpus_embeddings must be float vectors of the query dimension {dim}, "
                f"found {rows.dtype} rows of {rows.shape[-1]}"
            )
        return rows.astype(np.float64)
    if precision in ("int8", "uint8"):
        expected = np.int8 if precision == "int8" else np.uint8
        if rows.dtype != expected or rows.shape[-1] != dim:
            raise ValueError(
                f"{precision} corpus_embeddings must be {np.dtype(expected)} codes of the query "
                f"dimension {dim}, found {rows.dtype} rows of {rows.shape[-1]}"
            )
        if ranges is None:
            raise ValueError(
                f"rescoring {precision} codes needs the ranges they were quantized with "
                f"(see quantization_ranges)"
            )
        return dequantize_embeddings(rows, precision, ranges)
    if precision in ("binary", "ubinary"):
        if (
            rows.dtype != (np.int8 if precision == "binary" else np.uint8)
            or rows.shape[-1] != (dim + 7) // 8
        ):
            raise ValueError(
                f"{precision} corpus_embeddings must be packed codes of {(dim + 7) // 8} bytes "
                f"for dimension {dim}, found {rows.dtype} rows of {rows.shape[-1]}"
            )
        packed = rows.view(np.uint8) ^ 0x80 if precision == "binary" else rows
        return np.unpackbits(packed, axis=-1)[..., :dim].astype(np.float64)
    raise ValueError(f"corpus_precision must be one of {PRECISIONS}, got {precision!r}")


def _float_array(values: object, name: str) -> np.ndarray:
    """``values`` as a 1-D or 2-D floating-point array of finite numbers."""
    try:
        array = np.asarray(values)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a (dim,) or (n, dim) array: {exc}") from None
    if not np.issubdtype(array.dtype, np.floating):
        already = " (already quantized?)" if array.dtype in (np.int8, np.uint8) else ""
        raise TypeError(f"{name} must be floating-point, found dtype {array.dtype}{already}")
    if array.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (dim,) or 2-D (n, dim), found shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} hold NaN or infinite values; they have no quantized code")
    return array


def _ranges_for(
    array: np.ndarray,
    precision: str,
    calibration_embeddings: np.ndarray | None,
    require_ranges: bool,
) -> np.ndarray:
    """sentence-transformers' ranges when none are given: from the calibration set, else from
    ``array`` itself (refused for a single vector, warned about below 100 vectors)."""
    if calibration_embeddings is not None:
        calibration = _float_array(calibration_embeddings, "calibration_embeddings")
        if calibration.shape[-1] != array.shape[-1]:
            raise ValueError(
                f"calibration_embeddings have dimension {calibration.shape[-1]}, the embeddings "
                f"{array.shape[-1]}"
            )
        return np.vstack((np.min(calibration, axis=0), np.max(calibration, axis=0)))
    if require_ranges:
        raise ValueError(
            f"{precision} quantization needs ranges or calibration_embeddings "
            f"(require_ranges=True forbids taking them from the embeddings being quantized)"
        )
    if array.ndim == 1 or array.shape[0] == 1:
        raise ValueError(
            f"cannot compute {precision} quantization ranges from a single embedding; pass ranges "
            f"or calibration_embeddings from a representative set (see quantization_ranges)"
        )
    if array.shape[0] < _FEW_CALIBRATION_ROWS:
        warnings.warn(
            f"{precision} quantization ranges taken from only {array.shape[0]} embeddings; pass "
            f"ranges or calibration_embeddings computed on more (see quantization_ranges)",
            UserWarning,
            stacklevel=_caller_stacklevel(),
        )
    return np.vstack((np.min(array, axis=0), np.max(array, axis=0)))


def _check_ranges(ranges: object, dim: int) -> np.ndarray:
    checked = np.asarray(ranges)
    if checked.shape != (2, dim) or not np.issubdtype(checked.dtype, np.number):
        raise ValueError(
            f"ranges must be a (2, {dim}) array of per-dimension minima and maxima, found "
            f"{checked.dtype} {checked.shape}"
        )
    checked = checked.astype(np.float32, copy=False)
    if not np.isfinite(checked).all() or (checked[0] > checked[1]).any():
        raise ValueError("ranges must be finite with every minimum (row 0) <= its maximum (row 1)")
    return checked


def _scalar_codes(array: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """Codes 0..255 as floats: the arithmetic of sentence-transformers, step for step, so every
    intermediate has its dtype (float32 ranges, the embeddings' own precision)."""
    starts = ranges[0, :]
    steps = (ranges[1, :] - starts) / 255
    steps = np.where(steps == 0, 1, steps)
    return np.clip(np.floor((array - starts) / steps), 0, 255)


def _empty(dim: int, precision: str) -> np.ndarray:
    """The ``(0, width)`` result for no rows, in the precision's dtype and width."""
    width = (dim + 7) // 8 if precision.endswith("binary") else dim
    dtype = {"float32": np.float32, "int8": np.int8, "binary": np.int8}.get(precision, np.uint8)
    return np.zeros((0, width), dtype=dtype)


_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning raised by the calling function at the first
    frame outside this package: the user's line, whether it called ``quantize_embeddings`` or
    ``encode(precision=...)`` (through the runner or a pool)."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level
