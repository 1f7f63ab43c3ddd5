"""The packed 4-bit table: decoding, writing, shape inference, staying packed."""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np
import pytest

from static_embed_runner.errors import ModelFormatError
from static_embed_runner.io.q4 import LUT, Q4Table, decode_levels, infer_shape, write_q4


def _reference_decode(packed: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The reference decoder, written out: unpack nibbles, q / 7.5 - 1 in float32, times scale."""
    codes = np.empty((packed.shape[0], packed.shape[1] * 2), dtype=np.uint8)
    codes[:, 0::2] = packed >> 4
    codes[:, 1::2] = packed & 0x0F
    return (codes.astype(np.float32) / np.float32(7.5) - np.float32(1.0)) * scales[:, None]


@pytest.fixture
def q4_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(3)
    table = rng.standard_normal((300, 12)).astype(np.float32)
    table[5] = 0.0
    path = tmp_path / "embedding.q4_k_m.bin"
    write_q4(path, table)
    return path, table


def test_lookup_table_holds_both_nibbles_of_every_byte() -> None:
    assert LUT.shape == (256, 2) and LUT.dtype == np.float32
    assert LUT[0x00].tolist() == [-1.0, -1.0] and LUT[0xFF].tolist() == [1.0, 1.0]
    assert LUT[0xF0].tolist() == [1.0, -1.0]


@pytest.mark.parametrize("half", [1, 2, 5, 256])
def test_decoded_levels_are_the_lookup_table_rows_for_every_byte_pair(half: int) -> None:
    every_pair = np.stack(np.meshgrid(np.arange(256), np.arange(256)), axis=-1).reshape(-1, 2)
    codes = np.resize(every_pair.astype(np.uint8), (65536 * 2 // half, half))
    expected = LUT[codes].reshape(len(codes), 2 * half)
    assert np.array_equal(decode_levels(codes).view(np.uint32), expected.view(np.uint32))
    out = np.full(expected.shape, np.nan, dtype=np.float32)
    assert decode_levels(codes, out) is out  # in several np.take steps: 65,536+ keys
    assert np.array_equal(out.view(np.uint32), expected.view(np.uint32))


@pytest.mark.parametrize("dim", [10, 12])
def test_gather_and_dequantize_all_are_bit_identical_to_the_reference_decoder(
    tmp_path: Path, dim: int
) -> None:
    rng = np.random.default_rng(dim)
    path = tmp_path / "embedding.q4_k_m.bin"
    write_q4(path, rng.standard_normal((300, dim)).astype(np.float32))
    raw = np.fromfile(path, dtype=np.uint8)
    packed = raw[: 300 * dim // 2].reshape(300, dim // 2)
    scales = raw[300 * dim // 2 :].view("<f4")
    expected = _reference_decode(packed, scales)
    table = Q4Table.open(path, dim=dim)
    assert np.array_equal(table.dequantize_all(rows_per_step=7), expected)
    ids = np.array([0, 299, 5, 5, 17])
    assert np.array_equal(table.gather(ids), expected[ids])


def test_written_file_matches_the_reference_quantiser(q4_file) -> None:
    path, table = q4_file
    scales = np.abs(table).max(axis=1) + np.float32(1e-8)
    codes = np.clip(np.round((table / scales[:, None] + 1) * 7.5), 0, 15).astype(np.uint8)
    expected = ((codes[:, 0::2] << 4) | codes[:, 1::2]).tobytes() + scales.astype("<f4").tobytes()
    assert path.read_bytes() == expected
    decoded = Q4Table.open(path, vocab_size=300).dequantize_all()
    assert np.abs(decoded - table).max() <= scales.max() / 15 + 1e-6


def test_table_stays_packed_in_a_memory_map(q4_file) -> None:
    path, _ = q4_file
    table = Q4Table.open(path, dim=12)
    base = table._packed
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    assert isinstance(base, mmap.mmap) and table._packed.dtype == np.uint8


def test_shape_is_inferred_from_size_and_checked() -> None:
    assert infer_shape(300 * 10, dim=12, vocab_size=None, source="f") == (300, 12)
    assert infer_shape(300 * 10, dim=None, vocab_size=300, source="f") == (300, 12)
    with pytest.raises(ModelFormatError, match="not a whole number of rows of 10 bytes"):
        infer_shape(2999, dim=12, vocab_size=None, source="f")
    with pytest.raises(ModelFormatError, match="expected 301 rows of dim 12"):
        infer_shape(3000, dim=12, vocab_size=301, source="f")
    with pytest.raises(ModelFormatError, match="positive and even"):
        infer_shape(3000, dim=7, vocab_size=None, source="f")
    with pytest.raises(ModelFormatError, match="does not split into 7 rows"):
        infer_shape(3000, dim=None, vocab_size=7, source="f")
