"""The batch JSON formatter of float32 vectors: read back to the same bits, and the same text
as the one-value-at-a-time plain form."""

from __future__ import annotations

import json

import numpy as np
import pytest

from static_embed_runner.jsonfloat import json_array_plain, json_arrays, json_lines

SPECIALS = [0.0, -0.0, 1.0, -1.0, 1e-45, -1.4e-45, 3.4028235e38, 1.17549435e-38, 0.1, 0.5]
SPECIALS += [0.99999994, 1e8, 1e9, 123456789.0, 1e-5, 7e-10, 100.0, 10.0, 999999.9, 5e-324]


def vectors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    unit = rng.standard_normal((300, 64)).astype(np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    bits = rng.integers(0, 2**32, size=(300, 64), dtype=np.uint64).astype(np.uint32)
    anything = bits.view(np.float32)
    anything = np.where(np.isfinite(anything), anything, np.float32(0.0))
    return {
        "unit": unit,
        "every-exponent": anything.astype(np.float32),
        "specials": np.array([SPECIALS], dtype=np.float32),
        "one-column": unit[:, :1].copy(),
    }


@pytest.mark.parametrize("name", ["unit", "every-exponent", "specials", "one-column"])
def test_json_arrays_read_back_to_the_same_bits_and_equal_the_plain_form(name):
    array = vectors()[name]
    rows = json_arrays(array)
    back = np.array([json.loads(row) for row in rows], dtype=np.float32)
    assert np.array_equal(back.view(np.uint32), array.view(np.uint32))
    assert rows == [json_array_plain(row) for row in array]


def test_json_arrays_write_non_finite_values_as_python_json_does():
    array = np.array([[np.nan, np.inf, -np.inf, 0.25]], dtype=np.float32)
    assert json_arrays(array) == [b"[NaN,Infinity,-Infinity,2.5e-1]"]
    back = np.array(json.loads(json_arrays(array)[0]), dtype=np.float32)
    assert np.isnan(back[0]) and back[1] == np.inf and back[2] == -np.inf


def test_json_arrays_of_empty_inputs_and_bad_shapes():
    assert json_arrays(np.zeros((0, 4), dtype=np.float32)) == []
    assert json_arrays(np.zeros((2, 0), dtype=np.float32)) == [b"[]", b"[]"]
    with pytest.raises(ValueError, match="2-D"):
        json_arrays(np.zeros(3, dtype=np.float32))


@pytest.mark.parametrize("name", ["unit", "every-exponent", "specials", "one-column"])
def test_json_lines_are_the_arrays_each_followed_by_a_newline(name):
    array = vectors()[name]  # "unit" and "one-column" span several blocks of the formatter
    assert json_lines(array) == b"".join(row + b"\n" for row in json_arrays(array))


def test_json_lines_of_non_finite_empty_and_width_zero_inputs():
    array = np.array([[np.nan, 0.25], [1.0, -0.0]], dtype=np.float32)
    assert json_lines(array) == b"[NaN,2.5e-1]\n[1.0,-0.0]\n"
    assert json_lines(np.zeros((0, 4), dtype=np.float32)) == b""
    assert json_lines(np.zeros((2, 0), dtype=np.float32)) == b"[]\n[]\n"
    with pytest.raises(ValueError, match="2-D"):
        json_lines(np.zeros(3, dtype=np.float32))
