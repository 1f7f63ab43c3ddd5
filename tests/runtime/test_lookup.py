"""Lookup-table decoding in steps into a given buffer."""

from __future__ import annotations

import numpy as np

from static_embed_runner.io.lookup import TAKE_KEYS, take_in_steps


def test_take_in_steps_fills_every_row_across_step_boundaries() -> None:
    lut = np.arange(100, dtype=np.float64) * 1.5
    keys = np.random.default_rng(0).integers(0, 100, (3 * TAKE_KEYS // 7 + 5, 7))
    out = np.zeros(keys.shape, dtype=np.float64)
    take_in_steps(lut, keys, out)
    assert np.array_equal(out, lut[keys])
