"""Reading ``.safetensors`` files as zero-copy, memory-mapped numpy arrays.

Layout: an 8-byte little-endian header length ``n``, ``n`` bytes of JSON describing each tensor
(``dtype``, ``shape``, ``data_offsets`` relative to the buffer), then the buffer. The header is
validated completely before any tensor is handed out; every tensor is a view into one read-only
``np.memmap`` of the file, so opening a 400 MB table reads only its header.

BF16 has no numpy dtype: :meth:`SafetensorsFile.tensor` returns its raw ``uint16`` bits and
:func:`bf16_to_float32` widens them (exactly) when the values are needed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SafetensorsError
from .json_file import describe_type, parse_json

# The Hub's own cap for reading safetensors headers (huggingface_hub's
# SAFETENSORS_MAX_HEADER_LENGTH); safetensors itself allows 100 MB. Real headers are far smaller:
# about 150 bytes per tensor, so a file of 100,000 tensors has a header of ~15 MB.
MAX_HEADER_BYTES = 25_000_000
# Tensors per file: the largest published single files hold a few thousand; a token table file
# holds one to three. Checked while the header is parsed, so a header of a million empty tensors
# stops early instead of costing seconds and gigabytes.
MAX_TENSORS = 100_000
# numpy 1.x's limit on dimensions (numpy 2 allows 64); a table has 2.
MAX_RANK = 32
_MAX_BYTES = 2**63 - 1  # an array's size in bytes must fit numpy's signed index type

DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}


@dataclass(frozen=True)
class TensorInfo:
    """One header entry: where a tensor's bytes are and how to read them."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


class SafetensorsFile:
    """A validated safetensors file; tensors are read-only views of one memory map."""

    def __init__(
        self,
        path: Path,
        tensors: dict[str, TensorInfo],
        metadata: dict[str, str],
        buffer_start: int,
    ) -> None:
        self.path = path
        self.tensors = tensors
        self.metadata = metadata
        self._buffer_start = buffer_start
        self._map: np.memmap | None = None

    def __contains__(self, name: object) -> bool:
        return name in self.tensors

    def names(self) -> list[str]:
        """Tensor names in the order of their bytes in the file."""
        return list(self.tensors)

    def tensor(self, name: str) -> np.ndarray:
        """The tensor ``name`` as a read-only array backed by the file (BF16 as raw ``uint16``)."""
        info = self.tensors.get(name)
        if info is None:
            raise SafetensorsError(
                f"{self.path}: no tensor named {name!r}; the file holds {sorted(self.tensors)}"
            )
        dtype = DTYPES[info.dtype]
        if info.end == info.begin:
            return np.zeros(info.shape, dtype=dtype)
        raw = self._memory_map()[self._buffer_start + info.begin : self._buffer_start + info.end]
        # A plain ndarray view of the map: same pages, without np.memmap's per-index overhead.
        return np.asarray(raw).view(dtype).reshape(info.shape)

    def float32(self, name: str) -> np.ndarray:
        """The tensor ``name`` converted to float32 (a copy; use for small tensors only)."""
        info = self.tensors.get(name)
        array = self.tensor(name)
        if info is not None and info.dtype == "BF16":
            return bf16_to_float32(array)
        return np.asarray(array, dtype=np.float32).copy()

    def _memory_map(self) -> np.memmap:
        if self._map is None:
            self._map = np.memmap(self.path, dtype=np.uint8, mode="r")
        return self._map


def bf16_to_float32(bits: np.ndarray) -> np.ndarray:
    """Widen raw bfloat16 bits (``uint16``) to float32; exact, since bf16 is float32's top half."""
    return (np.asarray(bits, dtype=np.uint32) << 16).view(np.float32)


def open_safetensors(path: str | os.PathLike[str]) -> SafetensorsFile:
    """Validate the header of the safetensors file at ``path`` and return its tensors.

    >>> f = open_safetensors("model.safetensors")  # doctest: +SKIP
    >>> f.tensor("embeddings").shape  # doctest: +SKIP
    (29528, 64)
    """
    path = Path(path)
    try:
        file_size = path.stat().st_size
        with open(path, "rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise SafetensorsError(
                    f"{path}: file is {file_size} bytes, too short for the 8-byte header length"
                )
            header_len = int.from_bytes(prefix, "little")
            if header_len > MAX_HEADER_BYTES:
                raise SafetensorsError(
                    f"{path}: the header length field says {header_len:,} bytes, above the "
                    f"{MAX_HEADER_BYTES:,}-byte limit for a safetensors header; refusing the file"
                )
            if header_len > file_size - 8:
                raise SafetensorsError(
                    f"{path}: the header length field says {header_len} bytes, but the file has "
                    f"only {file_size - 8} bytes after it; the file is truncated or not a "
                    f"safetensors file"
                )
            header_bytes = handle.read(header_len)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise SafetensorsError(f"{path}: cannot read file: {exc}") from exc
    header = _parse_header(path, header_bytes)
    buffer_len = file_size - 8 - header_len
    metadata = _parse_metadata(path, header.pop("__metadata__", None))
    infos = [_parse_entry(path, name, entry, buffer_len) for name, entry in header.items()]
    infos.sort(key=lambda info: (info.begin, info.end))
    _check_no_overlap(path, infos)
    return SafetensorsFile(path, {i.name: i for i in infos}, metadata, 8 + header_len)


def _parse_header(path: Path, header_bytes: bytes) -> dict[str, Any]:
    # Every tensor entry has a "data_offsets" key: counting them costs one pass over the bytes,
    # so a header of too many tensors is refused before any of it is parsed.
    if header_bytes.count(b'"data_offsets"') > MAX_TENSORS:
        raise SafetensorsError(
            f"{path}: the header describes more than {MAX_TENSORS:,} tensors; refusing it"
        )
    objects = 0

    def build_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal objects
        objects += 1
        if objects > MAX_TENSORS + 2:  # the tensors, __metadata__ and the header itself
            raise SafetensorsError(
                f"{path}: the header describes more than {MAX_TENSORS:,} tensors; refusing it"
            )
        return dict(pairs)

    header = parse_json(
        header_bytes, f"{path} (header)", error=SafetensorsError, object_pairs_hook=build_object
    )
    if isinstance(header, dict) and len(header) - ("__metadata__" in header) > MAX_TENSORS:
        raise SafetensorsError(
            f"{path}: the header describes more than {MAX_TENSORS:,} tensors; refusing it"
        )
    if not isinstance(header, dict):
        raise SafetensorsError(
            f"{path}: header must be a JSON object, found {describe_type(header)}"
        )
    return header


def _parse_metadata(path: Path, metadata: object) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise SafetensorsError(
            f"{path}: '__metadata__' must be an object of string values, found "
            f"{describe_type(metadata)}"
        )
    return dict(metadata)


def _parse_entry(path: Path, name: str, entry: object, buffer_len: int) -> TensorInfo:
    shown = name if len(name) <= 80 else f"{name[:80]}..."
    where = f"{path}: tensor {shown!r}"
    if not isinstance(entry, dict):
        raise SafetensorsError(f"{where}: entry must be an object, found {describe_type(entry)}")
    missing = [key for key in ("dtype", "shape", "data_offsets") if key not in entry]
    if missing:
        raise SafetensorsError(f"{where}: entry lacks {missing}; found keys {sorted(entry)}")
    dtype = entry["dtype"]
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise SafetensorsError(
            f"{where}: unknown dtype {dtype!r:.40}; expected one of {sorted(DTYPES)}"
        )
    shape = entry["shape"]
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        raise SafetensorsError(
            f"{where}: shape must be a list of integers >= 0, found {describe_type(shape)}"
        )
    if len(shape) > MAX_RANK:
        raise SafetensorsError(f"{where}: shape has {len(shape)} dimensions, at most {MAX_RANK}")
    if math.prod(d for d in shape if d) * DTYPES[dtype].itemsize > _MAX_BYTES:
        raise SafetensorsError(
            f"{where}: shape {shape} is too large to address (more than 2**63 bytes)"
        )
    offsets = entry["data_offsets"]
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_int(o) for o in offsets)
        or not 0 <= offsets[0] <= offsets[1]
    ):
        found = offsets if isinstance(offsets, list) and len(offsets) == 2 else None
        raise SafetensorsError(
            f"{where}: data_offsets must be [begin, end] with 0 <= begin <= end, found "
            f"{found if found is not None else describe_type(offsets)}"
        )
    begin, end = offsets
    if end > buffer_len:
        raise SafetensorsError(
            f"{where}: data_offsets {offsets} reach past the end of the data buffer "
            f"({buffer_len} bytes); the file is truncated or the header is wrong"
        )
    expected = math.prod(shape) * DTYPES[dtype].itemsize
    if expected != end - begin:
        raise SafetensorsError(
            f"{where}: shape {shape} of {dtype} needs {expected} bytes, but data_offsets "
            f"{offsets} span {end - begin} bytes"
        )
    return TensorInfo(name, dtype, tuple(shape), begin, end)


def _check_no_overlap(path: Path, infos: list[TensorInfo]) -> None:
    spans = [info for info in infos if info.end > info.begin]
    for previous, current in pairwise(spans):
        if current.begin < previous.end:
            raise SafetensorsError(
                f"{path}: tensors {previous.name!r} (bytes {previous.begin}..{previous.end}) and "
                f"{current.name!r} (bytes {current.begin}..{current.end}) overlap"
            )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
