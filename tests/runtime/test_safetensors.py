"""The hand-written safetensors reader against files written by the ``safetensors`` package."""

from __future__ import annotations

import json
import mmap
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from static_embed_runner.errors import SafetensorsError
from static_embed_runner.io.safetensors import bf16_to_float32, open_safetensors

NUMPY_DTYPES = [
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int32,
    np.int16,
    np.int8,
    np.uint8,
    np.bool_,
]


def _write(path: Path, header: dict, buffer: bytes = b"", header_len: int | None = None) -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(
        struct.pack("<Q", len(raw) if header_len is None else header_len) + raw + buffer
    )
    return path


def test_every_numpy_dtype_round_trips_from_the_safetensors_package(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    tensors = {
        f"t_{np.dtype(dtype).name}": (rng.standard_normal((3, 5)) * 50).astype(dtype)
        for dtype in NUMPY_DTYPES
    }
    tensors["scalar"] = np.array(2.5, dtype=np.float32)
    tensors["empty"] = np.zeros((0, 4), dtype=np.float32)
    save_file(tensors, str(tmp_path / "all.safetensors"), metadata={"format": "np"})
    reader = open_safetensors(tmp_path / "all.safetensors")
    assert reader.metadata == {"format": "np"}
    for name, expected in tensors.items():
        got = reader.tensor(name)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got, expected)


def test_bf16_is_read_as_bits_and_widened_exactly(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    values = torch.tensor([[1.0, -2.5, 3.140625], [0.0, 1e-3, -65504.0]], dtype=torch.bfloat16)
    save_file({"w": values}, str(tmp_path / "bf16.safetensors"))
    reader = open_safetensors(tmp_path / "bf16.safetensors")
    assert reader.tensor("w").dtype == np.uint16
    assert np.array_equal(reader.float32("w"), values.float().numpy())
    assert np.array_equal(bf16_to_float32(reader.tensor("w")), values.float().numpy())


def test_tensors_are_read_only_views_of_one_memory_map(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    save_file({"a": np.ones((4, 4), np.float32)}, str(tmp_path / "m.safetensors"))
    array = open_safetensors(tmp_path / "m.safetensors").tensor("a")
    base = array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    assert isinstance(base, mmap.mmap)
    assert not array.flags.writeable


@pytest.mark.parametrize("padding", [0, 1], ids=["aligned", "unaligned"])
def test_a_200mb_table_is_not_read_into_memory(tmp_path: Path, padding: int) -> None:
    from static_embed_runner.io.table import DenseTable

    rows, dim = 51_200, 1024  # 200 MiB of float32, written as a sparse file
    entry = {"dtype": "F32", "shape": [rows, dim], "data_offsets": [0, rows * dim * 4]}
    raw = json.dumps({"embedding.weight": entry}).encode()
    raw += b" " * ((-len(raw)) % 8 + padding)
    path = tmp_path / "big.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size + rows * dim * 4)
    before = _rss_bytes()
    table = DenseTable(open_safetensors(path).tensor("embedding.weight"))
    rows_used = table.gather(np.array([0, 7, rows - 1]))
    growth = _rss_bytes() - before
    assert table.vocab_size == rows and rows_used.shape == (3, dim)
    assert growth < 20 * 2**20, f"resident memory grew by {growth / 2**20:.1f} MiB"


def _rss_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x01\x02", "too short for the 8-byte header length"),
        (struct.pack("<Q", 1000) + b"{}", "header length field says 1000 bytes"),
        (struct.pack("<Q", 4) + b"[1] ", "header must be a JSON object, found an array of 1 item"),
        (struct.pack("<Q", 3) + b"{x}", r"\(header\): not valid JSON"),
    ],
)
def test_corrupt_files_raise_safetensors_error_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(SafetensorsError, match=message) as info:
        open_safetensors(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("entry", "buffer_len", "message"),
    [
        ({"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, 8, "reach past the end"),
        ({"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}, 16, "needs 16 bytes"),
        ({"dtype": "F8", "shape": [2], "data_offsets": [0, 2]}, 2, "unknown dtype 'F8'"),
        ({"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}, 4, "shape must be a list"),
        ({"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}, 4, "data_offsets must be"),
        ({"dtype": "F32", "shape": [1]}, 4, "lacks \\['data_offsets'\\]"),
    ],
)
def test_header_lies_raise_errors_naming_file_and_tensor(
    tmp_path: Path, entry: dict, buffer_len: int, message: str
) -> None:
    path = _write(tmp_path / "lie.safetensors", {"weights": entry}, b"\0" * buffer_len)
    with pytest.raises(SafetensorsError, match=message) as info:
        open_safetensors(path)
    assert str(path) in str(info.value) and "'weights'" in str(info.value)


def test_truncated_buffer_is_reported(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    path = tmp_path / "t.safetensors"
    save_file({"e": np.ones((8, 8), np.float32)}, str(path))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(SafetensorsError, match="truncated"):
        open_safetensors(path)


def test_overlapping_tensors_are_rejected(tmp_path: Path) -> None:
    header = {
        "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]},
    }
    path = _write(tmp_path / "o.safetensors", header, b"\0" * 24)
    with pytest.raises(
        SafetensorsError, match=r"'a' \(bytes 0\.\.16\) and 'b' \(bytes 8\.\.24\) overlap"
    ):
        open_safetensors(path)


def test_bad_metadata_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.safetensors", {"__metadata__": {"n": 1}})
    with pytest.raises(SafetensorsError, match="'__metadata__' must be an object of string values"):
        open_safetensors(path)


def test_asking_for_a_missing_tensor_lists_what_exists(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "x.safetensors",
        {"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}},
        b"\0",
    )
    with pytest.raises(SafetensorsError, match="no tensor named 'b'; the file holds \\['a'\\]"):
        open_safetensors(path).tensor("b")
