"""Structure-aware fuzzing of the file readers: valid model files, mutated, loaded for real.

A mutation works on a file's parsed structure (replace, delete or insert a value anywhere in the
JSON tree, with values chosen to be awkward: huge and negative integers, floats, strings where
booleans belong, deep arrays) or on its bytes (flip, cut, splice). Every target writes a valid
model folder, swaps in one mutated file, and runs ``StaticEmbedRunner.load`` and ``encode``:
anything other than success or a :class:`StaticEmbedRunnerError` is a finding.

The number of examples per target comes from ``FUZZ_EXAMPLES`` (the suite's bounded run uses the
default; ``scripts/fuzz_file_readers.py`` runs long).
"""

from __future__ import annotations

import copy
import json
import os
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hostile.corpus import DIM, TOKENS, safetensors_bytes, table
from hypothesis import strategies as st

from static_embed_runner import StaticEmbedRunner
from static_embed_runner.errors import StaticEmbedRunnerError

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, -1, 2, 16, 2**31, 2**63, 2**64, 2**70, -(2**70), 10**400]),
    st.integers(min_value=-1000, max_value=1000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "false", "true", "0", "F32", "I8", "BF16", "[UNK]", "##", ".", "..", "/"]),
    st.text(max_size=12),
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside ``value`` (the root is the empty path)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _at(value: Any, path: tuple) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def mutated_json(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with one to three structural mutations."""
    value = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(value) if p]
        if not paths:
            return draw(json_values)
        path = draw(st.sampled_from(paths))
        parent = _at(value, path[:-1])
        key = path[-1]
        action = draw(st.sampled_from(["replace", "delete", "insert", "nest"]))
        if action == "replace":
            parent[key] = draw(json_values)
        elif action == "delete":
            del parent[key]
        elif action == "nest":
            parent[key] = [parent[key]] * draw(st.integers(1, 2))
        elif isinstance(parent, list):
            parent.insert(key, draw(json_values))
        else:
            parent[draw(st.text(max_size=8))] = draw(json_values)
    return value


@st.composite
def mutated_bytes(draw: st.DrawFn, base: bytes) -> bytes:
    """``base`` with a few bytes flipped, a cut, or a splice of random bytes."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        where = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "splice"]))
        if action == "flip":
            data[where] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[where:]
        else:
            data[where:where] = draw(st.binary(max_size=16))
    return bytes(data)


def json_file(base: Any) -> st.SearchStrategy[bytes]:
    """A JSON file: a structural mutation, or a byte mutation of the serialised text."""
    text = json.dumps(base).encode()
    return mutated_json(base).map(lambda v: json.dumps(v).encode()) | mutated_bytes(text)


@st.composite
def safetensors_file(draw: st.DrawFn) -> bytes:
    """A weights file whose header or bytes are mutated."""
    valid = safetensors_bytes({"embeddings": table()})
    (length,) = struct.unpack("<Q", valid[:8])
    header = json.loads(valid[8 : 8 + length])
    buffer = valid[8 + length :]
    if draw(st.booleans()):
        text = json.dumps(draw(mutated_json(header))).encode()
        return struct.pack("<Q", len(text)) + text + buffer
    return draw(mutated_bytes(valid))


def load_and_encode(folder: Path) -> None:
    """What a user does: load, then embed; only a package error may come out."""
    try:
        runner = StaticEmbedRunner.load(folder, tokenizer_backend="lite", prefetch=False)
        runner.encode(["hello world", "the words", ""])
    except StaticEmbedRunnerError:
        pass


def in_folder(build: Callable[[Path], None]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory) / "model"
        build(folder)
        load_and_encode(folder)


def write_file(path: Path, data: bytes) -> None:
    path.write_bytes(data)


VALID_MODULES = [
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.StaticEmbedding"},
    {
        "idx": 1,
        "name": "1",
        "path": "1_Normalize",
        "type": "sentence_transformers.models.Normalize",
    },
]
VALID_CONFIG = {"normalize": True, "max_length": 512, "hidden_dim": DIM, "model_type": "model2vec"}
VALID_SSE_CONFIG = {"hidden_dim": DIM, "vocab_size": len(TOKENS)}
Q4_BYTES = len(TOKENS) * (DIM // 2 + 4)
