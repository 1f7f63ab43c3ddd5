"""Chroma (>= 1.1, the first with ``embed_query``): :class:`StaticEmbedRunnerEmbeddingFunction`,
an ``EmbeddingFunction`` registered under the name ``"static_embed_runner"`` (extra ``chroma``).

A collection created with it stores that name and :meth:`~StaticEmbedRunnerEmbeddingFunction.
get_config` (where the model is, never its table); Chroma rebuilds the function from them when the
collection is opened again, in any process that has imported this module.

>>> import chromadb  # doctest: +SKIP
>>> collection = chromadb.Client().create_collection(  # doctest: +SKIP
...     "notes", embedding_function=StaticEmbedRunnerEmbeddingFunction())
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..runner import TABLES, StaticEmbedRunner
from ..tokenizer.backend import BACKENDS
from ._model import ModelArg, adapter_model, missing_extra

try:
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
    from chromadb.utils.embedding_functions import register_embedding_function
except ImportError as error:
    raise missing_extra("chromadb", "chroma") from error

# Each config key: what it must be, and the test of a value.
_CONFIG: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "model": ("a str (model folder or Hub id) or None", lambda v: v is None or type(v) is str),
    "revision": ("a str or None", lambda v: v is None or type(v) is str),
    "truncate_dim": ("a positive int or None", lambda v: v is None or (type(v) is int and v > 0)),
    "normalize": ("true or false", lambda v: type(v) is bool),
    "table": (f"one of {TABLES}", lambda v: v in TABLES),
    "tokenizer_backend": (f"one of {BACKENDS}", lambda v: v in BACKENDS),
}
# The keys every config has (table and tokenizer_backend were added later: default q4, auto).
_REQUIRED = ("model", "revision", "truncate_dim", "normalize")
# Settings that change the vectors: a collection's function may not change them.
_FIXED = ("truncate_dim", "normalize")


@register_embedding_function
class StaticEmbedRunnerEmbeddingFunction(EmbeddingFunction[Documents]):
    """A static-embedding model as a Chroma embedding function: ``add``/``upsert`` documents go
    through ``encode_document``, ``query(query_texts=...)`` through ``encode_query`` (Chroma's
    ``embed_query``), so each gets the model's own prompt.

    ``model``: a loaded :class:`~static_embed_runner.StaticEmbedRunner`, a model folder, a Hub id
    (with ``revision``) or None for the embedded default model; loaded once, here.
    ``truncate_dim`` keeps the first dimensions (Matryoshka; None: a given runner's own
    ``truncate_dim``); ``normalize`` L2-normalises (then the function's default space,
    ``"cosine"``, ranks as ``"ip"`` does). ``table`` and ``tokenizer_backend`` are ``load``'s
    (a given runner's own are kept); all of these go into :meth:`get_config`.
    """

    def __init__(
        self,
        model: ModelArg = None,
        *,
        revision: str | None = None,
        truncate_dim: int | None = None,
        normalize: bool = True,
        table: str = "q4",
        tokenizer_backend: str = "auto",
    ) -> None:
        self.model = adapter_model(
            model,
            revision=revision,
            truncate_dim=truncate_dim,
            normalize=normalize,
            table=table,
            tokenizer_backend=tokenizer_backend,
        )
        self.runner: StaticEmbedRunner = self.model.runner  # type: ignore[assignment]
        self.truncate_dim = self.model.truncate_dim
        self.normalize = normalize

    def __call__(self, input: Documents) -> Embeddings:
        return list(
            self.runner.encode_document(
                _texts(input), truncate_dim=self.truncate_dim, normalize=self.normalize
            )
        )

    def embed_query(self, input: Documents) -> Embeddings:
        return list(
            self.runner.encode_query(
                _texts(input), truncate_dim=self.truncate_dim, normalize=self.normalize
            )
        )

    @staticmethod
    def name() -> str:
        return "static_embed_runner"

    def default_space(self) -> Space:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {
            "model": self.model.reference,
            "revision": self.model.revision,
            "truncate_dim": self.truncate_dim,
            "normalize": self.normalize,
            "table": self.model.table,
            "tokenizer_backend": self.model.tokenizer_backend,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> StaticEmbedRunnerEmbeddingFunction:
        StaticEmbedRunnerEmbeddingFunction.validate_config(config)
        return StaticEmbedRunnerEmbeddingFunction(
            config["model"],
            revision=config["revision"],
            truncate_dim=config["truncate_dim"],
            normalize=config["normalize"],
            table=config.get("table", "q4"),
            tokenizer_backend=config.get("tokenizer_backend", "auto"),
        )

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if not isinstance(config, dict):
            raise ValueError(f"static_embed_runner config must be a dict, got {config!r}")
        if not set(_REQUIRED) <= set(config) <= set(_CONFIG):
            raise ValueError(
                f"static_embed_runner config must have the keys {sorted(_REQUIRED)} (and "
                f"optionally {sorted(set(_CONFIG) - set(_REQUIRED))}), got {sorted(config)}"
            )
        for key, (expected, valid) in _CONFIG.items():
            if key in config and not valid(config[key]):
                raise ValueError(
                    f"static_embed_runner config {key!r} must be {expected}, got {config[key]!r}"
                )

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        for key in _FIXED:
            if key in new_config and new_config[key] != old_config.get(key):
                raise ValueError(
                    f"a collection's static_embed_runner {key} cannot change "
                    f"({old_config.get(key)!r} -> {new_config[key]!r}): its stored vectors "
                    f"were made with the old value"
                )

    def is_legacy(self) -> bool:
        # name, get_config and build_from_config are all implemented; Chroma's own check would
        # build a second function from the config, which loads the model again.
        return False


def _texts(input: Documents) -> list[str]:
    if isinstance(input, str):
        raise TypeError("an embedding function takes a list of str, got one str")
    return list(input)
