"""Lookup-table decoding: float16 widening and stepped np.take, against numpy's own cast."""

from __future__ import annotations

import numpy as np
import pytest

from static_embed_runner.io.lookup import TAKE_KEYS, float16_to_float32, take_in_steps
from static_embed_runner.io.table import DenseTable

EVERY_HALF = np.arange(1 << 16, dtype=np.uint16).view(np.float16)


@pytest.mark.parametrize("shape", [(1 << 16, 1), (256, 256), (16, 4096), (1, 1 << 16)])
def test_float16_widening_matches_astype_for_every_bit_pattern(shape: tuple[int, int]) -> None:
    halves = EVERY_HALF.reshape(shape)
    expected = halves.astype(np.float32).view(np.uint32)
    assert np.array_equal(float16_to_float32(halves).view(np.uint32), expected)
    out = np.full(shape, 7.0, dtype=np.float32)
    assert float16_to_float32(halves, out) is out
    assert np.array_equal(out.view(np.uint32), expected)


def test_take_in_steps_fills_every_row_across_step_boundaries() -> None:
    lut = np.arange(100, dtype=np.float64) * 1.5
    keys = np.random.default_rng(0).integers(0, 100, (3 * TAKE_KEYS // 7 + 5, 7))
    out = np.zeros(keys.shape, dtype=np.float64)
    take_in_steps(lut, keys, out)
    assert np.array_equal(out, lut[keys])


def test_float16_table_rows_and_whole_table_widen_to_the_cast_values() -> None:
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
