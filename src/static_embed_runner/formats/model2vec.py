"""Model2Vec models: ``model.safetensors`` (``embeddings``) + ``config.json`` + ``tokenizer.json``.

The three folder layouts model2vec 0.10 itself accepts, tried in its order: ``config.json`` +
``model.safetensors`` + ``tokenizer.json``; ``config_sentence_transformers.json`` +
``model.safetensors`` (``embedding.weight``) + ``tokenizer.json``; the same with the last two
under ``0_StaticEmbedding/``. Tables may be float64/32/16 or int8 (int8 values are averaged as they
are, like model2vec does); vocabulary-quantised models add ``mapping`` (token id -> table row)
and ``weights`` (one float per token id): token ``i`` = ``embeddings[mapping[i]] * weights[i]``.

Semantics (``StaticModel.encode``): with ``max_length`` from the config (default 512; ``null``
disables both cuts), each string is first cut to ``max_length * median_token_length``
characters, where the median runs over the lengths of every vocabulary token (added tokens
included) and is truncated to an int; the tokenizer's own truncation is replaced by
``max_length`` tokens (kept from the start); then the unknown token's id is removed; mean pooling,
no tokens -> zeros; ``normalize`` from the config (default False).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelFormatError
from ..io.safetensors import open_safetensors
from ..io.table import MappedTable
from .base import (
    EncodeSemantics,
    Layout,
    ModelParts,
    dense_table,
    optional_tensor,
    read_json,
    require_file,
)
from .base import median_token_length as median_token_length  # model2vec's rule, re-exported

NAME = "model2vec"
DEFAULT_MAX_LENGTH = 512

# (config, weights, tokenizer, expected table tensor), in model2vec's own order of preference.
_FOLDER_LAYOUTS = (
    ("config.json", "model.safetensors", "tokenizer.json", "embeddings"),
    (
        "config_sentence_transformers.json",
        "model.safetensors",
        "tokenizer.json",
        "embedding.weight",
    ),
    (
        "config_sentence_transformers.json",
        "0_StaticEmbedding/model.safetensors",
        "0_StaticEmbedding/tokenizer.json",
        "embedding.weight",
    ),
)


def _folder_layout(files: frozenset[str]) -> tuple[str, str, str, str] | None:
    """The first layout whose config and weights files are present (the tokenizer is checked on
    load, so that a missing tokenizer.json is reported as such)."""
    for layout in _FOLDER_LAYOUTS:
        if layout[0] in files and layout[1] in files:
            return layout
    return None


def matches(files: frozenset[str]) -> bool:
    layout = _folder_layout(files)
    if layout is None:
        return False
    # Next to modules.json, config_sentence_transformers.json means a sentence-transformers model.
    return layout[0] == "config.json" or "modules.json" not in files


def needed_files(files: frozenset[str]) -> list[str]:
    layout = _folder_layout(files) or _FOLDER_LAYOUTS[0]
    return list(layout[:3])


def load(directory: Path, table: str) -> ModelParts:
    layout = _folder_layout(frozenset(_existing(directory)))
    if layout is None:
        raise ModelFormatError(f"{directory}: no Model2Vec folder layout found")
    config_name, weights_name, tokenizer_name, table_name = layout
    config_path = require_file(directory, config_name, NAME)
    config = read_json(config_path)
    tensors = open_safetensors(require_file(directory, weights_name, NAME))
    names = [n for n in (table_name, "embeddings", "embedding.weight") if n in tensors]
    if not names:
        raise ModelFormatError(
            f"{tensors.path}: expected tensor {table_name!r}, found {tensors.names()}"
        )
    mapping = optional_tensor(tensors, "mapping")
    weights = optional_tensor(tensors, "weights")
    # numpy averages int8 (as integers) and float64 tables in float64.
    token_table = dense_table(tensors, names[0], table, float64_dtypes=frozenset({"F64", "I8"}))
    if mapping is not None or weights is not None:
        token_table = MappedTable(
            token_table,
            mapping,
            weights,
            source=str(tensors.path),
            compute_dtype=token_table.compute_dtype
            if weights is None
            else _weighted_dtype(token_table.storage, weights.dtype),
        )
    tokenizer_path = require_file(directory, tokenizer_name, NAME)
    semantics = encode_semantics(config, config_path)
    return ModelParts(NAME, token_table, tokenizer_path, semantics)


def encode_semantics(config: dict, config_path: Path) -> EncodeSemantics:
    """``StaticModel.encode``'s semantics from a config's ``max_length`` and ``normalize``.

    The character cut depends on the vocabulary's median token length, so it is left for
    :meth:`EncodeSemantics.for_vocab` to resolve once the tokenizer is loaded. Also used by the
    SSE layout for tables distilled with model2vec (the embedded default model).
    """
    max_length = _max_length(config, config_path)
    normalize = config.get("normalize", False)
    if not isinstance(normalize, bool):
        raise ModelFormatError(
            f"{config_path}: 'normalize' must be true or false, found {normalize!r}"
        )
    return EncodeSemantics(
        char_limit=None,
        token_limit=max_length,
        apply_tokenizer_truncation=False,
        drop_unk=True,
        normalize_default=normalize,
        cuts_chars_per_token=True,
    )


def _weighted_dtype(table_storage: str, weights: np.dtype) -> type:
    """What weighted rows and their mean are computed in: float64 when the table or the weights
    are float64, as numpy's promotion in model2vec gives, else float32, which is also model2vec's
    dtype for float32 weights. Where model2vec multiplies in float16 (float16 weights with a
    float16 or int8 table), float32 is the more precise of the two, and the vectors differ from
    model2vec's by its float16 rounding, as with any float16 table."""
    return np.float64 if "float64" in (table_storage, weights.name) else np.float32


def _max_length(config: dict, config_path: Path) -> int | None:
    value = config.get("max_length", DEFAULT_MAX_LENGTH)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ModelFormatError(
            f"{config_path}: 'max_length' must be a non-negative integer or null, found {value!r}"
        )
    return value


def _existing(directory: Path) -> list[str]:
    names = {name for layout in _FOLDER_LAYOUTS for name in layout[:3]}
    return [name for name in names if (directory / name).is_file()]


LAYOUT = Layout(
    name=NAME,
    needs="config.json + model.safetensors (embeddings) + tokenizer.json (or "
    "config_sentence_transformers.json + model.safetensors + tokenizer.json, no modules.json)",
    matches=matches,
    needed_files=needed_files,
    load=load,
)
