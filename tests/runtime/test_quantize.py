"""quantize_embeddings against sentence-transformers' own, bit for bit, and its safety switches."""

from __future__ import annotations

import logging
from contextlib import nullcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sentence_transformers.util.quantization import quantize_embeddings as st_quantize

from static_embed_runner import dequantize_embeddings, quantization_ranges, quantize_embeddings
from static_embed_runner.quantize import faiss_binary_codes

PRECISIONS = ["float32", "int8", "uint8", "binary", "ubinary"]
FLOATS = st.floats(-4, 4, width=32, allow_subnormal=False)


def _same(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)


@pytest.fixture(autouse=True)
def _quiet_sentence_transformers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="sentence_transformers")


@settings(max_examples=60, deadline=None)
@given(
    embeddings=st.integers(2, 40).flatmap(
        lambda n: st.integers(1, 21).flatmap(lambda d: arrays(np.float32, (n, d), elements=FLOATS))
    ),
    precision=st.sampled_from(PRECISIONS),
)
def test_quantize_equals_sentence_transformers_with_ranges_from_the_batch(
    embeddings: np.ndarray, precision: str
) -> None:
    with (
        pytest.warns(UserWarning, match="ranges taken from only")
        if precision.endswith("int8")
        else nullcontext()
    ):
        ours = quantize_embeddings(embeddings, precision)
    _same(ours, st_quantize(embeddings, precision))


@settings(max_examples=60, deadline=None)
@given(
    data=st.integers(1, 19).flatmap(
        lambda d: st.tuples(
            arrays(np.float32, (5, d), elements=st.floats(-8, 8, width=32)),
            arrays(np.float32, (7, d), elements=FLOATS),
        )
    ),
    precision=st.sampled_from(["int8", "uint8"]),
)
def test_quantize_int8_equals_sentence_transformers_with_calibration_and_out_of_range_values(
    data: tuple[np.ndarray, np.ndarray], precision: str
) -> None:
    """Values outside the calibration range (up to twice as wide here) saturate in both."""
    embeddings, calibration = data
    ours = quantize_embeddings(embeddings, precision, calibration_embeddings=calibration)
    _same(ours, st_quantize(embeddings, precision, calibration_embeddings=calibration))
    ranges = quantization_ranges(calibration)
    _same(quantize_embeddings(embeddings, precision, ranges), ours)
    _same(st_quantize(embeddings, precision, ranges=ranges), ours)


def test_quantize_of_a_real_model_output_equals_sentence_transformers_in_every_dtype(
    default_runner,
) -> None:
    from corpus import CORPUS

    vectors = default_runner.encode(CORPUS)
    queries = default_runner.encode(["where is the station?", "東京"])
    ranges = quantization_ranges(vectors)
    for dtype in (np.float16, np.float32, np.float64):
        for precision in PRECISIONS:
            _same(
                quantize_embeddings(queries.astype(dtype), precision, ranges),
                st_quantize(queries.astype(dtype), precision, ranges=ranges),
            )
            with pytest.warns(UserWarning) if precision.endswith("int8") else nullcontext():
                ours = quantize_embeddings(vectors.astype(dtype), precision)
            _same(ours, st_quantize(vectors.astype(dtype), precision))


def test_quantize_one_vector_needs_ranges_as_in_sentence_transformers() -> None:
    vector = np.linspace(-1, 1, 12, dtype=np.float32)
    with pytest.raises(ValueError, match="single embedding"):
        st_quantize(vector, "int8")
    with pytest.raises(ValueError, match="single embedding"):
        quantize_embeddings(vector, "int8")
    ranges = np.vstack([np.full(12, -1.0), np.full(12, 1.0)])
    _same(quantize_embeddings(vector, "int8", ranges), st_quantize(vector, "int8", ranges=ranges))
    _same(quantize_embeddings(vector, "ubinary"), st_quantize(vector, "ubinary"))


def test_quantize_empty_batches_keep_their_width_as_in_sentence_transformers() -> None:
    for precision in PRECISIONS:
        empty = np.zeros((0, 12), dtype=np.float32)
        _same(quantize_embeddings(empty, precision), st_quantize(empty, precision))


def test_require_ranges_refuses_ranges_from_the_embeddings_being_quantized() -> None:
    rng = np.random.default_rng(0)
    corpus = rng.standard_normal((200, 8)).astype(np.float32)
    with pytest.raises(ValueError, match="require_ranges=True"):
        quantize_embeddings(corpus, "int8", require_ranges=True)
    ranges = quantization_ranges(corpus)
    codes = quantize_embeddings(corpus, "int8", ranges, require_ranges=True)
    _same(codes, st_quantize(corpus, "int8"))
    binary = quantize_embeddings(corpus, "ubinary", require_ranges=True)
    _same(binary, st_quantize(corpus, "ubinary"))


def test_ranges_from_a_small_batch_warn_visibly() -> None:
    with pytest.warns(UserWarning, match="from only 3 embeddings"):
        quantize_embeddings(np.eye(3, dtype=np.float32), "uint8")


def test_binary_bit_order_padding_and_threshold_are_stated_ones() -> None:
    """Dimension 0 is the most significant bit; 0 and negatives give 0; 10 dims pad to 2 bytes."""
    vector = np.array([[1.0, 0.0, -1.0, 0, 0, 0, 0, 0.5, 2.0, 0.0]], dtype=np.float32)
    assert quantize_embeddings(vector, "ubinary").tolist() == [[0b10000001, 0b10000000]]
    assert quantize_embeddings(vector, "binary").tolist() == [[129 - 128, 128 - 128]]
    assert faiss_binary_codes(vector).tolist() == [[0b10000001, 0b00000001]]


def test_bad_precision_shape_dtype_and_ranges_raise_clear_errors() -> None:
    good = np.ones((4, 8), dtype=np.float32)
    with pytest.raises(ValueError, match=r"precision must be one of .* got 'int4'"):
        quantize_embeddings(good, "int4")
    with pytest.raises(ValueError, match=r"2-D \(n, dim\), found shape \(2, 2, 2\)"):
        quantize_embeddings(np.ones((2, 2, 2)), "ubinary")
    with pytest.raises(TypeError, match=r"found dtype int8 \(already quantized\?\)"):
        quantize_embeddings(good.astype(np.int8), "int8")
    with pytest.raises(ValueError, match="NaN or infinite"):
        quantize_embeddings(np.array([[np.nan, 1.0], [0.0, 1.0]]), "ubinary")
    with pytest.raises(ValueError, match=r"ranges must be a \(2, 8\) array"):
        quantize_embeddings(good, "int8", np.zeros((2, 7)))
    with pytest.raises(ValueError, match=r"minimum .* <= its maximum"):
        quantize_embeddings(good, "int8", np.vstack([np.ones(8), np.zeros(8)]))
    with pytest.raises(ValueError, match="calibration_embeddings have dimension 3"):
        quantize_embeddings(good, "int8", calibration_embeddings=np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"non-empty \(n, dim\)"):
        quantization_ranges(np.ones(8))
    with pytest.raises(ValueError, match="must be a"):
        quantize_embeddings([[1.0, 2.0], [3.0]], "ubinary")


def test_dequantize_equals_sentence_transformers_rescoring_step(default_runner) -> None:
    from corpus import CORPUS
    from sentence_transformers.util.quantization import _dequantize_embeddings

    vectors = default_runner.encode(CORPUS)
    ranges = quantization_ranges(vectors)
    for precision in ("int8", "uint8"):
        codes = quantize_embeddings(vectors, precision, ranges)
        ours = dequantize_embeddings(codes, precision, ranges)
        theirs = _dequantize_embeddings(codes.astype(int), precision, ranges)
        assert ours.dtype == theirs.dtype == np.float64
        assert np.array_equal(ours, theirs)
        assert np.abs(ours - vectors).max() <= (ranges[1] - ranges[0]).max() / 255 + 1e-6
    with pytest.raises(ValueError, match="matching the codes' dtype"):
        dequantize_embeddings(codes, "int8", ranges)
