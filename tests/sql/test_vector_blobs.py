"""vector_blobs against the real sqlite-vec extension: the blobs are the ones its own SQL functions
produce from the same float vector, at random values, at the quantization thresholds and outside
[-1, 1]."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sql.helpers import SQLITE_MODULES, fetch_one

from static_embed_runner import vector_blobs as vb

# Where vec_quantize_int8(v, 'unit') changes its output: x with (x + 1) / step - 128 an integer.
_STEP = np.float32(2.0 / 255)
_INT8_EDGES = [float(np.float32(-1.0 + (j + 128) * np.float64(_STEP))) for j in range(-130, 131)]


def _near(value: float) -> st.SearchStrategy[float]:
    """``value`` as float32 and its float32 neighbours."""
    x = np.float32(value)
    return st.sampled_from(
        [float(np.nextafter(x, np.float32(-np.inf))), float(x), float(np.nextafter(x, np.inf))]
    )


SPECIAL = st.one_of(
    st.floats(width=32, allow_nan=True, allow_infinity=True),
    st.sampled_from(_INT8_EDGES).flatmap(_near),
    st.sampled_from([0.0, -0.0, 1e-45, -1e-45, 1e-38, -1e-38]),
)


@st.composite
def _vectors(draw: st.DrawFn, multiple_of: int = 1) -> np.ndarray:
    """Random values at a drawn scale (most within [-1, 1], some far outside), with drawn
    special values (thresholds and their neighbours, zeros, infinities, NaN) at drawn places."""
    dim = draw(st.integers(1, 16)) * multiple_of
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.01, 0.3, 1.0, 4.0]))
    vector = (rng.standard_normal(dim) * scale).astype(np.float32)
    specials = draw(st.lists(st.tuples(st.integers(0, dim - 1), SPECIAL), max_size=dim))
    for index, value in specials:
        vector[index] = value
    return vector


@pytest.fixture(scope="module")
def vec(request: pytest.FixtureRequest):
    return SQLITE_MODULES["apsw"]()


@settings(max_examples=150, deadline=None)
@given(vector=_vectors())
def test_int8_blob_equals_vec_quantize_int8_unit_in_sql(vec, vector: np.ndarray) -> None:
    expected = fetch_one(vec, "SELECT vec_quantize_int8(?, 'unit')", (vb.float_blob(vector),))
    assert vb.int8_blob(vector) == expected
    assert vb.quantize_int8(vector).tobytes() == expected


@settings(max_examples=150, deadline=None)
@given(vector=_vectors(multiple_of=8))
def test_bit_blob_equals_vec_quantize_binary_in_sql(vec, vector: np.ndarray) -> None:
    expected = fetch_one(vec, "SELECT vec_quantize_binary(?)", (vb.float_blob(vector),))
    assert vb.bit_blob(vector) == expected


@settings(max_examples=40, deadline=None)
@given(vector=_vectors(multiple_of=8))
def test_float_blob_is_what_vec_f32_stores_and_reads_back(vec, vector: np.ndarray) -> None:
    as_json = "[" + ",".join(repr(float(x)) for x in vector) + "]"
    if np.all(np.isfinite(vector)):
        assert fetch_one(vec, "SELECT vec_f32(?)", (as_json,)) == vb.float_blob(vector)
    assert vb.vector_from_blob(vb.float_blob(vector)).tobytes() == vector.tobytes()


def test_batch_forms_equal_the_one_vector_forms_row_by_row(vec) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(scale=0.6, size=(20, 64)).astype(np.float64)
    assert vb.float_blobs(vectors) == [vb.float_blob(row) for row in vectors]
    assert vb.int8_blobs(vectors) == [vb.int8_blob(row) for row in vectors]
    assert vb.bit_blobs(vectors) == [vb.bit_blob(row) for row in vectors]
    query = "SELECT vec_quantize_int8(?, 'unit')"
    sql = [fetch_one(vec, query, (blob,)) for blob in vb.float_blobs(vectors)]
    assert vb.int8_blobs(vectors) == sql
    back = vb.vectors_from_blobs(vb.float_blobs(vectors), dim=64)
    assert back.dtype == np.float32
    assert np.array_equal(back, vectors.astype(np.float32))


def test_float64_input_is_rounded_to_float32_first_as_sqlite_vec_sees_it() -> None:
    just_above = np.nextafter(np.float64(np.float32(_INT8_EDGES[140])), 1.0)
    vector = np.array([just_above] * 8)
    assert vb.int8_blob(vector) == vb.int8_blob(vector.astype(np.float32))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: vb.float_blob(np.zeros((2, 8))), ValueError, "1-D vector, got shape (2, 8)"),
        (lambda: vb.float_blobs(np.zeros(8)), ValueError, "2-D (n, dim) array, got shape (8,)"),
        (lambda: vb.int8_blob(np.zeros(0)), ValueError, "no dimensions"),
        (lambda: vb.bit_blob(np.zeros(12)), ValueError, "divisible by 8"),
        (lambda: vb.bit_blobs(np.zeros((3, 9))), ValueError, "got 9"),
        (lambda: vb.float_blob(["a", "b"]), TypeError, "real numbers"),
        (lambda: vb.int8_blob(np.ones(8, dtype=bool)), TypeError, "dtype bool"),
        (lambda: vb.float_blob(np.ones(8, dtype=complex)), TypeError, "complex128"),
        (lambda: vb.vector_from_blob(b"\x00" * 6), ValueError, "got 6 bytes"),
        (lambda: vb.vector_from_blob(b"\x00" * 8, dim=4), ValueError, "float[4] blob (16 bytes)"),
        (lambda: vb.vector_from_blob("abcd"), TypeError, "blob must be bytes, got str"),
        (
            lambda: vb.vectors_from_blobs([b"\x00" * 8, b"\x00" * 12]),
            ValueError,
            "blob 1: expected a float[2] blob",
        ),
    ],
)
def test_wrong_shapes_and_types_get_a_clear_error(call, error, message: str) -> None:
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)


def test_sqlite_vec_rejects_the_same_bit_dimension_vector_blobs_rejects(vec) -> None:
    import apsw

    with pytest.raises(apsw.SQLError, match="divisible by 8"):
        fetch_one(vec, "SELECT vec_quantize_binary(?)", (vb.float_blob(np.ones(12)),))


def test_bit_blobs_are_the_faiss_binary_codes_of_the_same_vectors() -> None:
    """One bit layout in the package: sqlite-vec's bit[N] bytes equal faiss's binary codes (the
    faiss tests compare those with faiss's own real_to_binary)."""
    from static_embed_runner.quantize import faiss_binary_codes

    vectors = np.random.default_rng(7).standard_normal((5, 64)).astype(np.float32)
    assert np.array_equal(vb.quantize_binary(vectors), faiss_binary_codes(vectors))
    assert np.array_equal(vb.quantize_binary(vectors[0]), faiss_binary_codes(vectors[0]))
