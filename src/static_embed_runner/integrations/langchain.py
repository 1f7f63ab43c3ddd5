"""LangChain: :class:`StaticEmbedRunnerEmbeddings`, a ``langchain_core.embeddings.Embeddings``
(extra ``langchain``).

>>> from langchain_core.vectorstores import InMemoryVectorStore  # doctest: +SKIP
>>> store = InMemoryVectorStore(StaticEmbedRunnerEmbeddings())  # doctest: +SKIP
"""

from __future__ import annotations

from ..runner import StaticEmbedRunner
from ._model import ModelArg, adapter_model, missing_extra

try:
    from langchain_core.embeddings import Embeddings
except ImportError as error:
    raise missing_extra("langchain-core", "langchain") from error


class StaticEmbedRunnerEmbeddings(Embeddings):
    """A static-embedding model as LangChain embeddings: documents through
    ``encode_document``, queries through ``encode_query``, so each gets the model's own prompt.

    ``model``: a loaded :class:`~static_embed_runner.StaticEmbedRunner`, a model folder, a Hub id
    (with ``revision``) or None for the embedded default model; loaded once, here.
    ``truncate_dim`` keeps the first dimensions (Matryoshka); ``normalize`` L2-normalises.
    ``aembed_documents`` / ``aembed_query`` are LangChain's own: they run the sync methods in an
    executor thread, so the event loop is never blocked.
    """

    def __init__(
        self,
        model: ModelArg = None,
        *,
        revision: str | None = None,
        truncate_dim: int | None = None,
        normalize: bool = True,
    ) -> None:
        self.model = adapter_model(
            model, revision=revision, truncate_dim=truncate_dim, normalize=normalize
        )
        self.runner: StaticEmbedRunner = self.model.runner  # type: ignore[assignment]
        self.truncate_dim = self.model.truncate_dim
        self.normalize = normalize

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, as the model embeds the documents it searches."""
        if isinstance(texts, str):
            raise TypeError("embed_documents takes a list of str, got one str; use embed_query")
        if not texts:
            return []
        return self.runner.encode_document(
            texts, truncate_dim=self.truncate_dim, normalize=self.normalize
        ).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The vector of one search query."""
        if not isinstance(text, str):
            raise TypeError(f"embed_query takes one str, got {type(text).__name__}")
        return self.runner.encode_query(
            text, truncate_dim=self.truncate_dim, normalize=self.normalize
        ).tolist()
