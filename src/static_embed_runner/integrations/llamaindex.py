"""LlamaIndex: :class:`StaticEmbedRunnerEmbedding`, a
``llama_index.core.base.embeddings.base.BaseEmbedding`` (extra ``llamaindex``).

>>> from llama_index.core import VectorStoreIndex  # doctest: +SKIP
>>> embed_model = StaticEmbedRunnerEmbedding()  # doctest: +SKIP
>>> index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..runner import StaticEmbedRunner
from ..source import ModelSource
from ._model import ModelArg, adapter_model, missing_extra, runner_dim

try:
    from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
    from llama_index.core.bridge.pydantic import Field, PrivateAttr
except ImportError as error:
    raise missing_extra("llama-index-core", "llamaindex") from error


class StaticEmbedRunnerEmbedding(BaseEmbedding):
    """A static-embedding model as a LlamaIndex embedding: texts (the nodes an index stores)
    through ``encode_document``, queries through ``encode_query``, so each gets the model's own
    prompt.

    ``model``: a loaded :class:`~static_embed_runner.StaticEmbedRunner`, a model folder, a Hub id
    (with ``revision``) or None for the embedded default model; loaded once, here. The model is
    kept by reference in the ``model_name`` field (its folder or Hub id; None for the default
    model), so ``to_dict()`` / ``from_dict()`` and pickling carry that reference, not the table.
    ``from_dict`` passes ``model_name=``, which this constructor takes in place of ``model``.
    The async methods run the sync ones in a worker thread, so the event loop is never blocked.
    """

    model_name: str | None = Field(
        default=None,
        description="Model folder or Hub id; None: static-embed-runner's embedded default model.",
    )
    revision: str | None = Field(
        default=None, description="Hub revision of model_name; None for the default branch."
    )
    truncate_dim: int | None = Field(
        default=None, gt=0, description="Keep the first dimensions (Matryoshka); None keeps all."
    )
    normalize: bool = Field(default=True, description="L2-normalise the vectors.")
    embed_batch_size: int = Field(
        default=1024, gt=0, le=2048, description="Texts embedded per call to the model."
    )
    _runner: StaticEmbedRunner = PrivateAttr()

    def __init__(
        self,
        model: ModelArg = None,
        *,
        model_name: str | None = None,
        revision: str | None = None,
        **kwargs: Any,
    ) -> None:
        if model is not None and model_name is not None:
            raise ValueError("give the model as model or as model_name, not both")
        held = adapter_model(model_name if model is None else model, revision=revision)
        super().__init__(model_name=held.reference, revision=held.revision, **kwargs)
        assert held.runner is not None
        self.truncate_dim = runner_dim(held.runner, self.truncate_dim)
        self._runner = held.runner

    @classmethod
    def class_name(cls) -> str:
        return "StaticEmbedRunnerEmbedding"

    @property
    def model_source(self) -> ModelSource | None:
        """The loaded runner's record of its model."""
        return self._runner.model_source

    def __getstate__(self) -> dict[str, Any]:
        # Pickle the fields only (LlamaIndex's unpickling runs __init__ on them, which loads the
        # model again), and never try the runner: a copy of this object without it.
        bare = self.model_copy()
        object.__setattr__(bare, "__pydantic_private__", {})
        return super(StaticEmbedRunnerEmbedding, bare).__getstate__()

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._runner.encode_query(
            query, truncate_dim=self.truncate_dim, normalize=self.normalize
        ).tolist()

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._runner.encode_document(
            text, truncate_dim=self.truncate_dim, normalize=self.normalize
        ).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        if not texts:
            return []
        return self._runner.encode_document(
            texts, truncate_dim=self.truncate_dim, normalize=self.normalize
        ).tolist()

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return await asyncio.to_thread(self._get_query_embedding, query)

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return await asyncio.to_thread(self._get_text_embedding, text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)
