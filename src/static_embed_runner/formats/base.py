"""What every layout module hands the runner: a table, a tokenizer file, a head and the semantics.

A layout module (``sentence_transformers``, ``model2vec``, ``sse``) exposes a :class:`Layout`
value: its name, a description of the files it needs, ``matches(files)`` and
``needed_files(files)`` (both on a plain file listing, so they work for a local directory and
for a Hub repository alike), and ``load(directory, table)`` -> :class:`ModelParts`. The runner only
reads these values; it never branches on a layout's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import ModelFileNotFoundError, ModelFormatError
from ..head import Head
from ..io.json_file import MAX_CONFIG_BYTES, MAX_TOKENIZER_BYTES, describe_type, read_json_file
from ..io.safetensors import SafetensorsFile
from ..io.table import DenseTable, Table

_TABLE_DTYPES = frozenset({"F64", "F32", "F16", "BF16", "I8"})
_HALF_DTYPES = frozenset({"F16", "BF16"})  # widened by table="f32"


@dataclass(frozen=True)
class EncodeSemantics:
    """How a layout's reference library turns a string into the ids it averages.

    - ``char_limit``: cut each string to this many characters before tokenizing (``None``: no cut).
    - ``token_limit``: keep the first this-many ids, replacing tokenizer.json's own truncation.
    - ``apply_tokenizer_truncation``: when ``token_limit`` is None, whether tokenizer.json's
      ``truncation`` block applies (True) or no truncation at all (False).
    - ``drop_unk``: remove the tokenizer's unknown-token id after truncation.
    - ``normalize_default``: whether the reference L2-normalises by default.
    - ``prompts``: named prompts a caller may prepend (sentence-transformers' ``prompts``);
      ``default_prompt_name`` names the one prepended when the caller gives none.
    - ``cuts_chars_per_token``: model2vec's string cut, ``char_limit`` = ``token_limit`` times
      ``chars_per_token``, the median length of the tokenizer's vocabulary tokens. A layout cannot
      know that median without the tokenizer, so it leaves both None and :meth:`for_vocab` fills
      them in once the tokenizer is loaded (tokenizer.json is parsed once, by the tokenizer).
    """

    char_limit: int | None
    token_limit: int | None
    apply_tokenizer_truncation: bool
    drop_unk: bool
    normalize_default: bool
    prompts: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    default_prompt_name: str | None = None
    cuts_chars_per_token: bool = False
    chars_per_token: int | None = None

    @property
    def default_prompt(self) -> str:
        """What is prepended to every text when the caller names no prompt (usually nothing)."""
        name = self.default_prompt_name
        return "" if name is None else self.prompts[name]

    def for_vocab(self, vocab: Callable[[], Iterable[str]]) -> EncodeSemantics:
        """These semantics with the string cut resolved against ``vocab()``'s tokens (called
        only when the layout cuts strings per token; the tokenizer's ``get_vocab``)."""
        if not self.cuts_chars_per_token or self.chars_per_token is not None:
            return self
        resolved = replace(self, chars_per_token=median_token_length(vocab()))
        return replace(resolved, char_limit=resolved.char_limit_for(self.token_limit))

    def char_limit_for(self, max_length: int | None) -> int | None:
        """The string cut that goes with a caller's token limit: ``max_length`` times
        ``chars_per_token`` where the layout cuts strings, as ``StaticModel.encode(max_length=...)``
        does; None (no cut) for other layouts or without a limit."""
        if self.chars_per_token is None or max_length is None:
            return None
        return max_length * self.chars_per_token


def median_token_length(tokens: Iterable[str]) -> int:
    """``int(median(len(token)))`` over the vocabulary's tokens, as ``StaticModel`` computes it
    (``tokens``: the keys of ``get_vocab(with_added_tokens=True)``; 0 for an empty vocabulary)."""
    lengths = np.fromiter(map(len, tokens), dtype=np.intp)
    return int(np.median(lengths)) if lengths.size else 0


@dataclass(frozen=True)
class ModelParts:
    """A loaded model, before its tokenizer is built."""

    format: str
    table: Table
    tokenizer_file: Path
    semantics: EncodeSemantics
    head: Head | None = None


@dataclass(frozen=True)
class Layout:
    """One supported model layout, described as data."""

    name: str
    needs: str
    matches: Callable[[frozenset[str]], bool]
    needed_files: Callable[[frozenset[str]], list[str]]
    load: Callable[[Path, str], ModelParts]


def list_files(directory: Path) -> frozenset[str]:
    """Relative POSIX paths of the files in ``directory`` (two levels deep is enough)."""
    found = set()
    for entry in directory.iterdir():
        if entry.is_file():
            found.add(entry.name)
        elif entry.is_dir():
            found.update(f"{entry.name}/{sub.name}" for sub in entry.iterdir() if sub.is_file())
    return frozenset(found)


def require_file(directory: Path, relative: str, layout: str) -> Path:
    """``directory / relative`` (confined to the folder, see :func:`model_path`), or
    :class:`ModelFileNotFoundError` naming the layout."""
    path = model_path(directory, relative)
    if not path.is_file():
        raise ModelFileNotFoundError(
            f"{directory}: the {layout} layout needs {relative!r}, which is missing"
        )
    return path


def optional_file(directory: Path, relative: str) -> Path | None:
    """``directory / relative`` if that file exists (confined to the folder), else None."""
    path = model_path(directory, relative)
    return path if path.is_file() else None


def model_path(directory: Path, relative: str, *, field: str | None = None) -> Path:
    """``directory / relative``, refused unless it stays inside the model folder.

    ``relative`` must be a relative POSIX path without ``..`` parts, and the file it names must
    resolve (after symlinks) inside the folder, or, for a Hub snapshot, inside the cache's blob
    store of the same repository (where the snapshot's symlinks point). ``field`` names where
    the path was read from (``modules.json: [0].path``) in the error.
    """
    origin = f"{field} " if field else ""
    pure = PurePosixPath(relative)
    if (
        pure.is_absolute()
        or ".." in pure.parts
        or "\\" in relative
        or "\0" in relative
        or re.match(r"^[A-Za-z]:", relative)
    ):
        raise ModelFormatError(
            f"{directory}: {origin}{relative!r} must be a relative path inside the model folder "
            f"(no absolute path, '..', backslash or drive letter)"
        )
    path = directory.joinpath(*pure.parts)
    real = os.path.realpath(path)
    roots = _allowed_roots(directory)
    if not any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
        raise ModelFormatError(
            f"{path}: {origin}resolves to {real}, outside the model folder {roots[0]}; a model "
            f"may only use its own files (copy the file into the folder)"
        )
    return path


def _allowed_roots(directory: Path) -> list[str]:
    """The model folder, and for a Hub snapshot (``models--*/snapshots/<commit>``) its blobs."""
    roots = [os.path.realpath(directory)]
    snapshots = directory.parent
    if snapshots.name == "snapshots" and snapshots.parent.name.startswith("models--"):
        roots.append(os.path.realpath(snapshots.parent / "blobs"))
    return roots


def read_json(path: Path, expected: type = dict, *, max_bytes: int = MAX_CONFIG_BYTES) -> Any:
    """Parse ``path`` with the bounded JSON reader and check the top-level type."""
    return read_json_file(path, max_bytes=max_bytes, expected=expected)


def present(files: Iterable[str], *candidates: str) -> list[str]:
    """The ``candidates`` that appear in ``files``, in the given order."""
    files = set(files)
    return [c for c in candidates if c in files]


def dense_table(
    tensors: SafetensorsFile,
    name: str,
    table: str,
    *,
    float64_dtypes: frozenset[str] = frozenset({"F64"}),
) -> DenseTable:
    """The 2-D tensor ``name`` of ``tensors`` as a memory-mapped :class:`DenseTable`.

    Pooling sums in float64 for the stored dtypes in ``float64_dtypes``, in float32 otherwise.
    ``table="f32"`` widens a float16 or bfloat16 table to an in-memory float32 copy at load.
    """
    info = tensors.tensors[name]
    if info.dtype not in _TABLE_DTYPES:
        raise ModelFormatError(
            f"{tensors.path}: tensor {name!r} has dtype {info.dtype}; a token table must be one "
            f"of {sorted(_TABLE_DTYPES)}"
        )
    stored = DenseTable(
        tensors.tensor(name),
        bf16=info.dtype == "BF16",
        source=f"{tensors.path}:{name}",
        compute_dtype=np.float64 if info.dtype in float64_dtypes else np.float32,
    )
    return stored.in_compute_dtype() if table == "f32" and info.dtype in _HALF_DTYPES else stored


def optional_tensor(tensors: SafetensorsFile, name: str) -> np.ndarray | None:
    """The tensor ``name`` if the file has it, else None."""
    return tensors.tensor(name) if name in tensors else None


def tokenizer_vocab(path: Path) -> dict[str, int]:
    """token -> id as ``tokenizers.Tokenizer.get_vocab(with_added_tokens=True)`` returns it, read
    from the file (a second parse: only for what is needed before the tokenizer is built).

    The model's vocabulary (a dict for WordPiece/BPE/WordLevel, a list of ``[piece, score]`` for
    Unigram, where the id is the position; a later duplicate wins), then the added tokens on top.
    Every id must be a non-negative integer, as ``tokenizers`` requires.
    """
    config = read_json(path, max_bytes=MAX_TOKENIZER_BYTES)
    model = config.get("model")
    if not isinstance(model, dict) or "vocab" not in model:
        raise ModelFormatError(f"{path}: the field 'model.vocab' is missing")
    raw_vocab = model["vocab"]
    if isinstance(raw_vocab, dict):
        vocab = {}
        for token, token_id in raw_vocab.items():
            vocab[token] = _token_id(token_id, path, f"model.vocab[{token!r}]")
    elif isinstance(raw_vocab, list):
        vocab = {}
        for index, entry in enumerate(raw_vocab):
            if not isinstance(entry, list) or not entry or not isinstance(entry[0], str):
                raise ModelFormatError(
                    f"{path}: model.vocab[{index}] must be [piece, score], found "
                    f"{describe_type(entry)}"
                )
            vocab[entry[0]] = index
    else:
        raise ModelFormatError(
            f"{path}: model.vocab must be an object or an array, found {describe_type(raw_vocab)}"
        )
    added = config.get("added_tokens")
    if added is None:
        added = []
    if not isinstance(added, list):
        raise ModelFormatError(
            f"{path}: added_tokens must be an array, found {describe_type(added)}"
        )
    for index, token in enumerate(added):
        where = f"added_tokens[{index}]"
        if not isinstance(token, dict) or not isinstance(token.get("content"), str):
            raise ModelFormatError(
                f"{path}: {where} must be an object with a string 'content', found "
                f"{describe_type(token)}"
            )
        if "id" not in token:
            raise ModelFormatError(f"{path}: {where}.id is missing (token {token['content']!r})")
        vocab[token["content"]] = _token_id(token["id"], path, f"{where}.id")
    return vocab


def _token_id(value: object, path: Path, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise ModelFormatError(
            f"{path}: {field} must be a token id (an integer from 0 to 2**32-1), found "
            f"{describe_type(value)}"
        )
    return value
