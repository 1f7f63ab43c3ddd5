"""float16 -> float32 widening by bit operations, against numpy's own cast, bit for bit."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from static_embed_runner.io import float16
from static_embed_runner.io.float16 import float16_to_float32, subnormals_kept
from static_embed_runner.io.table import DenseTable

EVERY_HALF = np.arange(1 << 16, dtype=np.uint16).view(np.float16)


def test_this_process_keeps_subnormals_so_the_bit_operations_are_what_is_tested() -> None:
    assert subnormals_kept()
    answers = []
    worker = threading.Thread(target=lambda: answers.append(subnormals_kept()))
    worker.start()
    worker.join()
    assert answers == [True]


@pytest.mark.parametrize(
    "shape", [(1 << 16, 1), (256, 256), (16, 4096), (1, 1 << 16), (1 << 16,), (4, 128, 128)]
)
def test_widening_matches_astype_for_every_bit_pattern(shape: tuple[int, ...]) -> None:
    halves = EVERY_HALF.reshape(shape)
    expected = halves.astype(np.float32).view(np.uint32)
    assert np.array_equal(float16_to_float32(halves).view(np.uint32), expected)
    out = np.full(shape, 7.0, dtype=np.float32)
    assert float16_to_float32(halves, out) is out
    assert np.array_equal(out.view(np.uint32), expected)


@pytest.mark.parametrize(
    "special", [np.inf, -np.inf, np.nan, 65504.0, -65504.0, -0.0, 2.0**-24, -(2.0**-24)]
)
def test_infinities_nans_extremes_and_subnormals_among_ordinary_values_widen_exactly(
    special: float, monkeypatch
) -> None:
    monkeypatch.setattr(float16, "_CAST_UP_TO", 0)  # the bit operations even for a small block
    halves = np.random.default_rng(0).standard_normal((64, 32)).astype(np.float16)
    halves[5, 7] = halves[60, 0] = special
    halves[1, 1] = np.float16(-special)
    expected = halves.astype(np.float32).view(np.uint32)
    assert np.array_equal(float16_to_float32(halves).view(np.uint32), expected)


def test_a_strided_view_widens_like_its_contiguous_copy() -> None:
    halves = EVERY_HALF.reshape(256, 256)[::3, 1::2]
    expected = halves.astype(np.float32).view(np.uint32)
    assert np.array_equal(float16_to_float32(halves).view(np.uint32), expected)


def test_a_thread_that_reads_subnormals_as_zero_gets_numpys_cast(monkeypatch) -> None:
    monkeypatch.setattr(float16, "subnormals_kept", lambda: False)
    halves = EVERY_HALF.reshape(256, 256)
    out = np.empty((256, 256), dtype=np.float32)
    assert float16_to_float32(halves, out) is out
    assert np.array_equal(out.view(np.uint32), halves.astype(np.float32).view(np.uint32))


@pytest.mark.parametrize("cast_up_to", [0, float16._CAST_UP_TO])
@pytest.mark.parametrize("rows", [1, 17, 32, 33])
def test_a_sentence_of_rows_widens_exactly_by_either_path(
    rows: int, cast_up_to: int, monkeypatch
) -> None:
    monkeypatch.setattr(float16, "_CAST_UP_TO", cast_up_to)
    halves = EVERY_HALF[7 : 7 + rows * 256 * 7 : 7].reshape(rows, 256)
    expected = halves.astype(np.float32).view(np.uint32)
    assert np.array_equal(float16_to_float32(halves).view(np.uint32), expected)
    out = np.empty(halves.shape, dtype=np.float32)
    assert float16_to_float32(halves, out) is out
    assert np.array_equal(out.view(np.uint32), expected)


@pytest.mark.parametrize("cast_up_to", [0, float16._CAST_UP_TO])
def test_float16_table_rows_and_whole_table_widen_to_the_cast_values(
    cast_up_to: int, monkeypatch
) -> None:
    monkeypatch.setattr(float16, "_CAST_UP_TO", cast_up_to)
    halves = EVERY_HALF.reshape(4096, 16)
    table = DenseTable(halves)
    ids = np.array([0, 4095, 17, 17, 2048])
    expected = halves[ids].astype(np.float32).view(np.uint32)
    assert np.array_equal(table.gather(ids).view(np.uint32), expected)
    out = np.empty((len(ids), 16), dtype=np.float32)
    assert np.array_equal(table.gather(ids, out).view(np.uint32), expected)
    widened = table.in_compute_dtype().direct_rows()
    assert widened is not None
    assert np.array_equal(widened.view(np.uint32), halves.astype(np.float32).view(np.uint32))
