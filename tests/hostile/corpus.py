"""Hostile model folders, generated (never committed): each case breaks one thing an attacker
controls in a model's files, next to a valid control folder per layout.

``build_corpus(directory)`` writes every case under ``directory/<name>/`` and returns the
:class:`Case` list. A case states what a load must raise (the package's error class, and the
words its message must contain: the file and the field) and which reference library reads the
same file, so ``scripts/make_hostile_corpus.py`` can record what the references do.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from static_embed_runner.io.q4 import write_q4

DIM = 16
TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "the", "a", "##s", "##ing"]
TOKENS += [f"word{i}" for i in range(40)]


@dataclass(frozen=True)
class Case:
    """One folder to load. ``error`` None: a control that must load and encode."""

    name: str
    what: str
    build: Callable[[Path], None]
    error: str | None = None
    mentions: tuple[str, ...] = ()
    # the library that reads the same file: "safetensors", "tokenizers", "model2vec" or
    # "sentence-transformers" (None: no reference reads this layout)
    reference: str | None = None
    reference_file: str = ""  # the file the reference reads, relative to the case folder


# -- valid parts --------------------------------------------------------------------------------


def tokenizer_config(**changes: object) -> dict:
    """A small WordPiece tokenizer.json (BERT normalizer and pre-tokenizer)."""
    config = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": index,
                "content": token,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for index, token in enumerate(TOKENS[:4])
        ],
        "normalizer": {
            "type": "BertNormalizer",
            "clean_text": True,
            "handle_chinese_chars": True,
            "strip_accents": None,
            "lowercase": True,
        },
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": None,
        "decoder": None,
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": {token: index for index, token in enumerate(TOKENS)},
        },
    }
    config.update(changes)
    return config


def table(rows: int = len(TOKENS), dim: int = DIM) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((rows, dim)).astype(np.float32)


def safetensors_bytes(tensors: dict[str, np.ndarray]) -> bytes:
    header: dict[str, object] = {}
    buffers = []
    offset = 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        dtype = {"float32": "F32", "int64": "I64", "float64": "F64"}[array.dtype.name]
        header[name] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        buffers.append(data)
        offset += len(data)
    return with_header(json.dumps(header).encode(), b"".join(buffers))


def with_header(header: bytes, buffer: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + buffer


def write(path: Path, content: bytes | str | dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, (dict, list)):
        content = json.dumps(content)
    path.write_bytes(content.encode() if isinstance(content, str) else content)


def model2vec_folder(
    directory: Path,
    *,
    weights: bytes | None = None,
    config: bytes | str | dict | None = None,
    tokenizer: bytes | str | dict | None = None,
) -> None:
    write(directory / "config.json", config if config is not None else {"normalize": True})
    write(
        directory / "model.safetensors",
        weights if weights is not None else safetensors_bytes({"embeddings": table()}),
    )
    write(directory / "tokenizer.json", tokenizer if tokenizer is not None else tokenizer_config())


def st_folder(directory: Path, *, modules: list | None = None, module_dir: str = "") -> None:
    """A sentence-transformers folder; the StaticEmbedding module in ``module_dir``."""
    write(
        directory / "modules.json",
        modules
        if modules is not None
        else [
            {
                "idx": 0,
                "name": "0",
                "path": module_dir,
                "type": "sentence_transformers.models.StaticEmbedding",
            }
        ],
    )
    module = directory / module_dir if module_dir else directory
    write(module / "model.safetensors", safetensors_bytes({"embedding.weight": table()}))
    write(module / "tokenizer.json", tokenizer_config())


def sse_folder(
    directory: Path, *, config: dict | None = None, tokenizer: dict | None = None
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write_q4(directory / "embedding.q4_k_m.bin", table())
    write(directory / "tokenizer.json", tokenizer if tokenizer is not None else tokenizer_config())
    if config is not None:
        write(directory / "config.json", config)


# -- hostile parts ------------------------------------------------------------------------------


def nested(depth: int) -> bytes:
    return b'{"a": ' + b"[" * depth + b"]" * depth + b"}"


def empty_tensors_file(count: int) -> Callable[[Path], None]:
    """A model2vec folder whose weights header lists ``count`` empty tensors (written in steps:
    the 99 MB case never sits in memory whole)."""
    entry = '"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}'

    def build(d: Path) -> None:
        model2vec_folder(d)
        parts = [b"{"]
        for start in range(0, count, 100_000):
            chunk = ",".join(entry % i for i in range(start, min(start + 100_000, count)))
            parts.append((("," if start else "") + chunk).encode())
        parts.append(b"}")
        with open(d / "model.safetensors", "wb") as out:
            out.write(struct.pack("<Q", sum(map(len, parts))))
            for part in parts:
                out.write(part)

    return build


def table_header(shape: str, offsets: str = "[0, 0]") -> bytes:
    text = f'{{"embeddings": {{"dtype": "F32", "shape": {shape}, "data_offsets": {offsets}}}}}'
    return with_header(text.encode())


def escaping_symlink(directory: Path, name: str, target: Path) -> None:
    (directory / name).unlink()
    os.symlink(target, directory / name)


def _outside_file(directory: Path) -> Path:
    """A valid weights file outside the case folder (beside it)."""
    outside = directory.parent / f"{directory.name}-outside"
    write(outside / "model.safetensors", safetensors_bytes({"embedding.weight": table()}))
    write(outside / "tokenizer.json", tokenizer_config())
    return outside


def _st_symlinked_file(d: Path) -> None:
    st_folder(d)
    escaping_symlink(d, "model.safetensors", _outside_file(d) / "model.safetensors")


def _st_symlinked_dir(d: Path) -> None:
    st_folder(d, module_dir="0_StaticEmbedding")
    outside = _outside_file(d)
    for name in ("model.safetensors", "tokenizer.json"):
        (d / "0_StaticEmbedding" / name).unlink()
    (d / "0_StaticEmbedding").rmdir()
    os.symlink(outside, d / "0_StaticEmbedding")


def _st_modules_path(path: object) -> Callable[[Path], None]:
    def build(d: Path) -> None:
        st_folder(d)
        _outside_file(d)
        write(
            d / "modules.json",
            [{"idx": 0, "path": path, "type": "sentence_transformers.models.StaticEmbedding"}],
        )

    return build


def _absolute_modules_path(d: Path) -> None:
    _st_modules_path(str(_outside_file(d)))(d)


def _sse_added_token_without_id(d: Path) -> None:
    config = tokenizer_config()
    del config["added_tokens"][2]["id"]
    sse_folder(d, tokenizer=config)


def _config_text(text: str | bytes) -> Callable[[Path], None]:
    return lambda d: model2vec_folder(d, config=text)


def _tokenizer_text(text: bytes | str) -> Callable[[Path], None]:
    return lambda d: model2vec_folder(d, tokenizer=text)


def _weights(data: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    return lambda d: model2vec_folder(d, weights=data() if callable(data) else data)


def _tokenizer_with_normalizer_option(d: Path) -> None:
    config = tokenizer_config()
    config["normalizer"]["lowercase"] = "false"
    model2vec_folder(d, tokenizer=config)


def _tokenizer_text_with(old: str, new: str) -> Callable[[Path], None]:
    def build(d: Path) -> None:
        text = json.dumps(tokenizer_config())
        assert old in text
        model2vec_folder(d, tokenizer=text.replace(old, new, 1))

    return build


BIG_INT = "9" * 5000
ST = "model.safetensors"
CASES: list[Case] = [
    Case(
        "control-model2vec",
        "a valid Model2Vec folder",
        model2vec_folder,
        reference="model2vec",
    ),
    Case(
        "control-sentence-transformers",
        "a valid sentence-transformers folder",
        st_folder,
        reference="sentence-transformers",
    ),
    Case("control-sse", "a valid SSE 4-bit folder", lambda d: sse_folder(d)),
    # safetensors header
    Case(
        "safetensors-nested-100000",
        "a safetensors header nested 100,000 deep",
        _weights(with_header(nested(100_000))),
        "SafetensorsError",
        (ST, "header", "nested too deeply"),
        "safetensors",
        ST,
    ),
    Case(
        "safetensors-5000-digit-offset",
        "a 5,000-digit integer in data_offsets",
        _weights(table_header("[1, 16]", f"[0, {BIG_INT}]")),
        "SafetensorsError",
        (ST, "header", "5000 digits"),
        "safetensors",
        ST,
    ),
    Case(
        "safetensors-1e400-shape",
        "1e400 as a dimension",
        _weights(table_header("[1e400, 16]")),
        "SafetensorsError",
        (ST, "header", "1e400", "float64 range"),
        "safetensors",
        ST,
    ),
    Case(
        "safetensors-shape-2-70",
        "shape [0, 2**70] with no bytes",
        _weights(table_header(f"[0, {2**70}]")),
        "SafetensorsError",
        (ST, "'embeddings'", "too large to address"),
        "safetensors",
        ST,
    ),
    Case(
        "safetensors-negative-dim",
        "a negative dimension",
        _weights(table_header("[-1, 16]")),
        "SafetensorsError",
        (ST, "'embeddings'", "shape must be a list of integers >= 0"),
        "safetensors",
        ST,
    ),
    Case(
        "safetensors-fractional-dim",
        "a non-integer dimension",
        _weights(table_header("[2.5, 16]")),
        "SafetensorsError",
        (ST, "'embeddings'", "shape must be a list of integers >= 0"),
        "safetensors",
        ST,
    ),
    Case(
        "safetensors-dtype-list",
        "a dtype that is an array",
        _weights(
            with_header(b'{"embeddings": {"dtype": [], "shape": [0], "data_offsets": [0, 0]}}')
        ),
        "SafetensorsError",
        (ST, "'embeddings'", "unknown dtype"),
        "safetensors",
        ST,
    ),
    Case(
        "safetensors-header-length-beyond-file",
        "a header length larger than the file",
        _weights(struct.pack("<Q", 10**6) + b"{}"),
        "SafetensorsError",
        (ST, "header length field", "truncated"),
        "safetensors",
        ST,
    ),
    Case(
        "safetensors-99mb-header",
        "a 99 MB header of 1.67 million empty tensors",
        empty_tensors_file(1_670_000),
        "SafetensorsError",
        (ST, "header length field", "limit"),
        "safetensors",
        ST,
    ),
    Case(
        "safetensors-300k-empty-tensors",
        "a 19 MB header (under the size cap) of 300,000 empty tensors",
        empty_tensors_file(300_000),
        "SafetensorsError",
        (ST, "more than 100,000 tensors"),
        "safetensors",
        ST,
    ),
    Case(
        "table-width-0",
        "a table of width 0",
        _weights(lambda: safetensors_bytes({"embeddings": np.zeros((len(TOKENS), 0), "f4")})),
        "ModelFormatError",
        (ST, "embeddings", "width 0"),
        "model2vec",
        "",
    ),
    Case(
        "table-0-rows",
        "a table of 0 rows",
        _weights(lambda: safetensors_bytes({"embeddings": np.zeros((0, DIM), "f4")})),
        "ModelFormatError",
        (ST, "embeddings", "0 rows"),
        "model2vec",
        "",
    ),
    Case(
        "table-empty-mapping",
        "a vocabulary-quantised table whose mapping is empty",
        _weights(
            lambda: safetensors_bytes(
                {"embeddings": table(), "mapping": np.zeros((0,), dtype=np.int64)}
            )
        ),
        "ModelFormatError",
        (ST, "0 rows"),
        "model2vec",
        "",
    ),
    # config.json
    Case(
        "config-5000-digit-int",
        "a 5,000-digit max_length",
        _config_text(f'{{"max_length": {BIG_INT}}}'),
        "ModelFormatError",
        ("config.json", "5000 digits", "line 1 column 16"),
        "model2vec",
        "",
    ),
    Case(
        "config-1e400",
        "max_length 1e400",
        _config_text('{"max_length": 1e400}'),
        "ModelFormatError",
        ("config.json", "1e400", "float64 range"),
        "model2vec",
        "",
    ),
    Case(
        "config-nested-100000",
        "config.json nested 100,000 deep",
        _config_text(nested(100_000).decode()),
        "ModelFormatError",
        ("config.json", "nested too deeply"),
        "model2vec",
        "",
    ),
    Case(
        "config-normalize-string",
        'normalize given as the string "false"',
        _config_text('{"normalize": "false"}'),
        "ModelFormatError",
        ("config.json", "'normalize'", "'false'"),
        "model2vec",
        "",
    ),
    Case(
        "config-nan",
        "NaN, which is not JSON",
        _config_text('{"max_length": NaN}'),
        "ModelFormatError",
        ("config.json", "NaN"),
        "model2vec",
        "",
    ),
    Case(
        "config-not-utf8",
        "config.json in Latin-1",
        _config_text('{"normalize": true, "note": "caf\u00e9"}'.encode("latin-1")),
        "ModelFormatError",
        ("config.json", "not UTF-8"),
        "model2vec",
        "",
    ),
    # tokenizer.json
    Case(
        "tokenizer-lowercase-string",
        'a BertNormalizer with lowercase "false"',
        _tokenizer_with_normalizer_option,
        "TokenizerFormatError",
        ("tokenizer.json", "normalizer.lowercase", "boolean"),
        "tokenizers",
        "tokenizer.json",
    ),
    Case(
        "tokenizer-nested-100000",
        "tokenizer.json nested 100,000 deep",
        _tokenizer_text(nested(100_000)),
        "TokenizerFormatError",
        ("tokenizer.json", "nested too deeply"),
        "tokenizers",
        "tokenizer.json",
    ),
    Case(
        "tokenizer-1e400",
        "1e400 as a truncation length",
        _tokenizer_text_with('"truncation": null', '"truncation": {"max_length": 1e400}'),
        "TokenizerFormatError",
        ("tokenizer.json", "1e400", "out of range"),
        "tokenizers",
        "tokenizer.json",
    ),
    Case(
        "tokenizer-5000-digit-id",
        "a 5,000-digit token id",
        _tokenizer_text_with('"hello": 4', f'"hello": {BIG_INT}'),
        "TokenizerFormatError",
        ("tokenizer.json", "5000 digits"),
        "tokenizers",
        "tokenizer.json",
    ),
    # modules.json and paths
    Case(
        "modules-absolute-path",
        "modules.json naming an absolute path",
        _absolute_modules_path,
        "ModelFormatError",
        ("modules.json [0].path", "relative path inside the model folder"),
        "sentence-transformers",
        "",
    ),
    Case(
        "modules-parent-path",
        'modules.json naming "../x"',
        _st_modules_path("../control-sentence-transformers"),
        "ModelFormatError",
        ("modules.json [0].path", "relative path inside the model folder"),
        "sentence-transformers",
        "",
    ),
    Case(
        "modules-path-not-a-string",
        "modules.json with a path that is a number",
        _st_modules_path(7),
        "ModelFormatError",
        ("modules.json", "[0].path must be a string", "the number 7"),
        "sentence-transformers",
        "",
    ),
    Case(
        "modules-symlinked-folder",
        "a module folder that is a symlink out of the model folder",
        _st_symlinked_dir,
        "ModelFormatError",
        ("modules.json [0].path", "outside the model folder"),
        "sentence-transformers",
        "",
    ),
    Case(
        "symlinked-weights",
        "model.safetensors a symlink out of the model folder",
        _st_symlinked_file,
        "ModelFormatError",
        ("model.safetensors", "outside the model folder"),
        "sentence-transformers",
        "",
    ),
    # SSE
    Case(
        "sse-added-token-without-id",
        "an SSE tokenizer.json whose added token has no id",
        _sse_added_token_without_id,
        "ModelFormatError",
        ("tokenizer.json", "added_tokens[2].id is missing"),
        "tokenizers",
        "tokenizer.json",
    ),
    Case(
        "sse-hidden-dim-2-70",
        "an SSE config with hidden_dim 2**70",
        lambda d: sse_folder(d, config={"hidden_dim": 2**70}),
        "ModelFormatError",
        ("embedding.q4_k_m.bin", "whole number of rows"),
    ),
    Case(
        "sse-hidden-dim-string",
        'an SSE config with hidden_dim "16"',
        lambda d: sse_folder(d, config={"hidden_dim": "16"}),
        "ModelFormatError",
        ("config.json", "'hidden_dim'", "positive integer"),
    ),
]


def build_corpus(directory: Path) -> list[Case]:
    """Write every case under ``directory`` (one folder each)."""
    for case in CASES:
        case.build(directory / case.name)
    return list(CASES)
