"""sentence-transformers ``StaticEmbedding`` models: a ``modules.json`` pipeline, or one module.

Files: ``modules.json`` listing a ``StaticEmbedding`` module first (at the model root, ``path`` ""
or ".", or in a sub-folder such as ``0_StaticEmbedding/``) holding ``model.safetensors``
(tensor ``embedding.weight``) and ``tokenizer.json``, optionally followed by ``Normalize``.
A bare module folder, ``model.safetensors`` + ``tokenizer.json`` with no ``modules.json`` (what
``StaticEmbedding.save`` writes, the inside of ``0_StaticEmbedding/``), is that module alone, as
``StaticEmbedding.load(folder)`` reads it: no ``Normalize``. (A folder with ``config.json`` or
``config_sentence_transformers.json`` and no ``modules.json`` is Model2Vec's, matched first.)

Semantics (sentence-transformers 6.2, ``StaticEmbedding.preprocess`` + ``EmbeddingBag(mean)``):
``encode_batch(add_special_tokens=False)`` with padding off; tokenizer.json's ``truncation`` block
still applies; the unknown token is kept; no character cut. ``SentenceTransformer.encode`` does
not normalise unless the pipeline has a ``Normalize`` module. ``config_sentence_transformers.json``
may name ``prompts`` (``query`` and ``document`` always exist, empty by default) and a
``default_prompt_name``, whose prompt ``encode`` prepends to every text unless told otherwise.

Like ``StaticEmbedding.load``, a module whose weights are in Model2Vec form (``embeddings`` with
optional ``mapping``/``weights``) is folded to one row per token.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from ..errors import ModelFormatError
from ..io.json_file import describe_type
from ..io.safetensors import open_safetensors
from ..io.table import MappedTable
from .base import (
    EncodeSemantics,
    Layout,
    ModelParts,
    dense_table,
    model_path,
    optional_file,
    optional_tensor,
    read_json,
    require_file,
)

NAME = "sentence-transformers"
_MODULE_DIRS = ("0_StaticEmbedding/", "")


_BARE_FILES = ("model.safetensors", "tokenizer.json")


def matches(files: frozenset[str]) -> bool:
    return ("modules.json" in files and _module_dir(files) is not None) or _is_bare(files)


def _is_bare(files: frozenset[str]) -> bool:
    return "modules.json" not in files and all(name in files for name in _BARE_FILES)


def needed_files(files: frozenset[str]) -> list[str]:
    if _is_bare(files):
        return list(_BARE_FILES)
    module_dir = _module_dir(files) or ""
    extra = [f for f in ("config_sentence_transformers.json",) if f in files]
    return ["modules.json", *extra, f"{module_dir}model.safetensors", f"{module_dir}tokenizer.json"]


def _module_dir(files: frozenset[str]) -> str | None:
    for prefix in _MODULE_DIRS:
        if f"{prefix}model.safetensors" in files:
            return prefix
    return None


def load(directory: Path, table: str) -> ModelParts:
    modules_path = optional_file(directory, "modules.json")
    if modules_path is not None:
        prefix, normalize = _pipeline(directory, modules_path)
    else:
        prefix, normalize = "", False  # a bare StaticEmbedding module
    weights_path = require_file(directory, f"{prefix}model.safetensors", NAME)
    tokenizer_path = require_file(directory, f"{prefix}tokenizer.json", NAME)
    tensors = open_safetensors(weights_path)
    if "embedding.weight" in tensors:
        token_table = dense_table(tensors, "embedding.weight", table)
    elif "embeddings" in tensors:
        base = dense_table(tensors, "embeddings", table)
        token_table = MappedTable(
            base,
            optional_tensor(tensors, "mapping"),
            optional_tensor(tensors, "weights"),
            source=str(weights_path),
            compute_dtype=base.compute_dtype,
        )
    else:
        raise ModelFormatError(
            f"{weights_path}: expected tensor 'embedding.weight' (or Model2Vec 'embeddings'), "
            f"found {tensors.names()}"
        )
    prompts, default_prompt_name = _prompts(
        optional_file(directory, "config_sentence_transformers.json")
    )
    semantics = EncodeSemantics(
        char_limit=None,
        token_limit=None,
        apply_tokenizer_truncation=True,
        drop_unk=False,
        normalize_default=normalize,
        prompts=prompts,
        default_prompt_name=default_prompt_name,
    )
    return ModelParts(NAME, token_table, tokenizer_path, semantics)


def _pipeline(directory: Path, modules_path: Path) -> tuple[str, bool]:
    """From modules.json: the StaticEmbedding module's folder (confined to the model folder)
    and whether Normalize follows."""
    entries = _modules(read_json(modules_path, list), modules_path)
    types = [entry["type"] for entry in entries]
    if not types or not types[0].endswith("StaticEmbedding"):
        raise ModelFormatError(
            f"{modules_path}: the first module must be a StaticEmbedding, found {types}"
        )
    unsupported = [t for t in types[1:] if not t.endswith("Normalize")]
    if unsupported:
        raise ModelFormatError(
            f"{modules_path}: only Normalize may follow StaticEmbedding, found {unsupported}"
        )
    module_path = entries[0]["path"]
    field = f"modules.json [{entries[0]['position']}].path"
    module_dir = model_path(directory, module_path or ".", field=field)
    prefix = "" if module_dir == directory else f"{module_path.strip('/')}/"
    return prefix, len(types) > 1


def _modules(modules: list, path: Path) -> list[dict]:
    """modules.json's entries in ``idx`` order, each checked: an object with a string ``type``,
    a string ``path`` (default "") and an integer ``idx``; ``position`` is its place in the file."""
    entries = []
    for position, module in enumerate(modules):
        where = f"{path}: [{position}]"
        if not isinstance(module, dict):
            raise ModelFormatError(f"{where} must be an object, found {describe_type(module)}")
        for key, kind, default in (("type", str, ""), ("path", str, ""), ("idx", int, position)):
            value = module.get(key, default)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ModelFormatError(
                    f"{where}.{key} must be a {_KIND_NAMES[kind]}, found {describe_type(value)}"
                )
        entries.append(
            {
                "type": module.get("type", ""),
                "path": module.get("path", ""),
                "idx": module.get("idx", position),
                "position": position,
            }
        )
    return sorted(entries, key=lambda entry: entry["idx"])


_KIND_NAMES = {str: "string", int: "integer"}


def _prompts(config_path: Path | None) -> tuple[Mapping[str, str], str | None]:
    """``prompts`` and ``default_prompt_name`` as ``SentenceTransformer`` holds them after loading:
    ``query`` and ``document`` always exist (empty unless the config fills them), a ``null``
    prompt is empty, and the default must name one of them."""
    prompts = {"query": "", "document": ""}
    if config_path is None:
        return MappingProxyType(prompts), None
    config = read_json(config_path)
    saved = config.get("prompts")
    if saved is None:
        saved = {}
    if not isinstance(saved, dict):
        raise ModelFormatError(f"{config_path}: 'prompts' must be an object, found {saved!r}")
    for name, text in saved.items():
        if text is not None and not isinstance(text, str):
            raise ModelFormatError(
                f"{config_path}: prompt {name!r} must be a string, found {type(text).__name__}"
            )
        prompts[name] = text or ""
    name = config.get("default_prompt_name")
    if name is not None and name not in prompts:
        raise ModelFormatError(
            f"{config_path}: default_prompt_name {name!r} is not one of the prompts "
            f"{sorted(prompts)}"
        )
    return MappingProxyType(prompts), name


LAYOUT = Layout(
    name=NAME,
    needs="modules.json + model.safetensors (embedding.weight) + tokenizer.json, at the root or "
    "in 0_StaticEmbedding/; or a bare StaticEmbedding folder: model.safetensors + tokenizer.json",
    matches=matches,
    needed_files=needed_files,
    load=load,
)
