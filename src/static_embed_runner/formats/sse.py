"""SSE 4-bit models (RikkaBotan stable-static-embedding, quantised): packed table + DyT head.

Files: ``embedding.q4_k_m.bin`` (see :mod:`static_embed_runner.io.q4`), ``tokenizer.json``, and
optionally ``model_rest.safetensors`` with ``dyt.alpha``, ``dyt.beta``, ``dyt.bias`` (the
SeparableDyT head ``beta * tanh(alpha * x + bias)``, applied element-wise to the mean) and
optionally ``config.json`` with ``hidden_dim``/``vocab_size``. Without ``model_rest.safetensors``
the model is a plain 4-bit table with no head (the package's embedded default model uses this).

The table file stores no dimensions. The dimension comes from ``config.json`` ``hidden_dim``, else
from the head's length, else from the file size and the tokenizer's vocabulary size
(``size / vocab = dim / 2 + 4``); whichever is used, the file size must agree with it.

Semantics (the reference ``SSEQ`` module: ``EmbeddingBag(mean)`` then the head): like
sentence-transformers ``StaticEmbedding`` -- ``encode_batch(add_special_tokens=False)``, no
padding, tokenizer.json truncation applies, unknown tokens kept. The reference consumers
L2-normalise the result, so the model's default is to normalise. A ``config.json`` with
``"encode_semantics": "model2vec"`` (the embedded default model, a table distilled with
model2vec) selects Model2Vec's semantics instead, with its ``max_length`` and ``normalize``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ModelFormatError
from ..head import SeparableDyT
from ..io.q4 import Q4Table
from ..io.safetensors import open_safetensors
from ..io.table import DenseTable
from . import model2vec
from .base import (
    EncodeSemantics,
    Layout,
    ModelParts,
    optional_file,
    read_json,
    require_file,
    tokenizer_vocab,
)

NAME = "sse-q4"
TABLE_FILE = "embedding.q4_k_m.bin"
HEAD_FILE = "model_rest.safetensors"
_HEAD_TENSORS = ("dyt.alpha", "dyt.beta", "dyt.bias")
_SSE_SEMANTICS = EncodeSemantics(
    char_limit=None,
    token_limit=None,
    apply_tokenizer_truncation=True,
    drop_unk=False,
    normalize_default=True,
)


def matches(files: frozenset[str]) -> bool:
    return TABLE_FILE in files


def needed_files(files: frozenset[str]) -> list[str]:
    optional = [f for f in (HEAD_FILE, "config.json") if f in files]
    return [TABLE_FILE, "tokenizer.json", *optional]


def load(directory: Path, table: str) -> ModelParts:
    table_path = require_file(directory, TABLE_FILE, NAME)
    tokenizer_path = require_file(directory, "tokenizer.json", NAME)
    head_path = optional_file(directory, HEAD_FILE)
    head = _load_head(head_path) if head_path is not None else None
    config_path = optional_file(directory, "config.json")
    config = read_json(config_path) if config_path is not None else {}
    dim = _config_int(config, "hidden_dim", directory) or (head.dim if head is not None else None)
    vocab_size = _config_int(config, "vocab_size", directory)
    if dim is None and vocab_size is None:
        vocab = tokenizer_vocab(tokenizer_path)
        vocab_size = max(vocab.values(), default=-1) + 1
    q4 = Q4Table.open(table_path, dim=dim, vocab_size=vocab_size)
    if head is not None and head.dim != q4.dim:
        raise ModelFormatError(
            f"{directory}: the head in {HEAD_FILE} has dimension {head.dim}, "
            f"the table {TABLE_FILE} has dimension {q4.dim}"
        )
    token_table = q4 if table == "q4" else DenseTable(q4.dequantize_all(), source=str(table_path))
    semantics = _semantics(config, directory / "config.json")
    return ModelParts(NAME, token_table, tokenizer_path, semantics, head)


def _semantics(config: dict, config_path: Path) -> EncodeSemantics:
    kind = config.get("encode_semantics", "sentence-transformers")
    if kind == "sentence-transformers":
        return _SSE_SEMANTICS
    if kind == "model2vec":
        return model2vec.encode_semantics(config, config_path)
    raise ModelFormatError(
        f"{config_path}: 'encode_semantics' must be 'sentence-transformers' or 'model2vec', "
        f"found {kind!r}"
    )


def _config_int(config: dict, key: str, directory: Path) -> int | None:
    value = config.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise ModelFormatError(
            f"{directory / 'config.json'}: {key!r} must be a positive integer, found {value!r}"
        )
    return value


def _load_head(path: Path) -> SeparableDyT:
    tensors = open_safetensors(path)
    missing = [name for name in _HEAD_TENSORS if name not in tensors]
    if missing:
        raise ModelFormatError(
            f"{path}: the SeparableDyT head needs {list(_HEAD_TENSORS)}, missing {missing}; "
            f"found {tensors.names()}"
        )
    alpha, beta, bias = (tensors.float32(name) for name in _HEAD_TENSORS)
    try:
        return SeparableDyT(alpha, beta, bias)
    except ValueError as exc:
        raise ModelFormatError(f"{path}: {exc}") from exc


LAYOUT = Layout(
    name=NAME,
    needs=f"{TABLE_FILE} + tokenizer.json (+ optional {HEAD_FILE} with dyt.alpha/beta/bias)",
    matches=matches,
    needed_files=needed_files,
    load=load,
)
