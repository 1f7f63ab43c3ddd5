"""similarity(): cosine for vectors and batches, float32, zero vectors safe."""

from __future__ import annotations

import numpy as np
import pytest

from static_embed_runner.similarity import similarity


def test_two_vectors_give_a_float_cosine() -> None:
    value = similarity(np.array([1.0, 0.0]), np.array([1.0, 1.0]))
    assert isinstance(value, float)
    assert value == pytest.approx(2**-0.5, abs=1e-7)


def test_matrices_give_every_pair_in_float32() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 8)), rng.standard_normal((5, 8))
    scores = similarity(a, b)
    assert scores.shape == (3, 5) and scores.dtype == np.float32
    expected = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (
        b / np.linalg.norm(b, axis=1, keepdims=True)
    ).T
    assert np.abs(scores - expected).max() < 1e-6


def test_a_vector_against_a_matrix_gives_one_row() -> None:
    assert similarity(np.array([1.0, 0.0]), np.eye(2)).tolist() == [[1.0, 0.0]]
    assert similarity(np.eye(2), np.array([0.0, 2.0])).tolist() == [[0.0], [1.0]]


def test_zero_vectors_have_similarity_zero_not_nan() -> None:
    assert similarity(np.zeros(3), np.ones(3)) == 0.0
    assert not np.isnan(similarity(np.zeros((2, 3)), np.zeros((2, 3)))).any()


def test_mismatched_dimensions_raise_value_error() -> None:
    with pytest.raises(ValueError, match="same dimension, found 3 and 4"):
        similarity(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        similarity(np.ones((2, 2, 2)), np.ones(2))
