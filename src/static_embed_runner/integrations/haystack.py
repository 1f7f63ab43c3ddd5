"""Haystack (2.x and later): :class:`StaticEmbedRunnerTextEmbedder` and
:class:`StaticEmbedRunnerDocumentEmbedder` components (extra ``haystack``).

They take the parameters of Haystack's own Sentence Transformers embedders that apply to a static
model (``prefix``, ``suffix``, ``batch_size``, ``normalize_embeddings``, ``truncate_dim``, and for
documents ``meta_fields_to_embed`` and ``embedding_separator``), load the model in ``warm_up``
(``run`` warms up when needed), and serialise with ``to_dict`` / ``from_dict`` as a reference to
the model (its folder or Hub id), never its table.

>>> from haystack import Document  # doctest: +SKIP
>>> StaticEmbedRunnerDocumentEmbedder().run([Document(content="A note.")])  # doctest: +SKIP
"""

# No "from __future__ import annotations": Haystack reads the run() annotations at runtime.
import asyncio
from dataclasses import replace
from typing import Any

from ..runner import DEFAULT_BATCH_SIZE, StaticEmbedRunner
from ._model import ModelArg, adapter_model, missing_extra

try:
    from haystack import Document, component, default_from_dict, default_to_dict
except ImportError as error:
    raise missing_extra("haystack-ai", "haystack") from error


class _Embedder:
    """What both components share: the model (loaded by ``warm_up``) and the encode options."""

    def __init__(
        self,
        model: ModelArg,
        revision: str | None,
        truncate_dim: int | None,
        normalize_embeddings: bool,
        prefix: str,
        suffix: str,
        batch_size: int,
    ) -> None:
        for name, value in (("prefix", prefix), ("suffix", suffix)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, got {type(value).__name__}")
        if type(batch_size) is not int or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.model = adapter_model(
            model,
            revision=revision,
            truncate_dim=truncate_dim,
            normalize=normalize_embeddings,
            normalize_name="normalize_embeddings",
            load=False,
        )
        self.truncate_dim = self.model.truncate_dim
        self.normalize_embeddings = normalize_embeddings
        self.prefix = prefix
        self.suffix = suffix
        self.batch_size = batch_size

    def warm_up(self) -> None:
        """Load the model, once (a component built from a loaded runner already has it)."""
        self.model = self.model.loaded()

    @property
    def runner(self) -> StaticEmbedRunner:
        self.warm_up()
        assert self.model.runner is not None
        return self.model.runner

    def _options(self) -> dict[str, Any]:
        return {
            "truncate_dim": self.truncate_dim,
            "normalize": self.normalize_embeddings,
            "batch_size": self.batch_size,
        }

    def _init_parameters(self) -> dict[str, Any]:
        return {
            "model": self.model.reference,
            "revision": self.model.revision,
            "truncate_dim": self.truncate_dim,
            "normalize_embeddings": self.normalize_embeddings,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "batch_size": self.batch_size,
        }


@component
class StaticEmbedRunnerTextEmbedder(_Embedder):
    """Embeds a query string with the model's query prompt (``encode_query``): the text embedder
    that goes before an embedding retriever.

    ``model``: a loaded :class:`~static_embed_runner.StaticEmbedRunner`, a model folder, a Hub id
    (with ``revision``) or None for the embedded default model. ``prefix`` and ``suffix`` are
    added around the text, after the model's own prompt.
    """

    def __init__(
        self,
        model: ModelArg = None,
        *,
        revision: str | None = None,
        truncate_dim: int | None = None,
        normalize_embeddings: bool = True,
        prefix: str = "",
        suffix: str = "",
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        # Not super(): @component builds a new class, which the zero-argument form does not know.
        _Embedder.__init__(
            self, model, revision, truncate_dim, normalize_embeddings, prefix, suffix, batch_size
        )

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, **self._init_parameters())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StaticEmbedRunnerTextEmbedder":
        return default_from_dict(cls, data)

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, Any]:
        """The embedding of ``text``."""
        if not isinstance(text, str):
            raise TypeError(
                f"{type(self).__name__} embeds one str, got {type(text).__name__}; "
                "to embed Documents, use StaticEmbedRunnerDocumentEmbedder"
            )
        vector = self.runner.encode_query(self.prefix + text + self.suffix, **self._options())
        return {"embedding": vector.tolist()}

    @component.output_types(embedding=list[float])
    async def run_async(self, text: str) -> dict[str, Any]:
        """:meth:`run` in a worker thread, so the event loop is never blocked."""
        return await asyncio.to_thread(self.run, text)


@component
class StaticEmbedRunnerDocumentEmbedder(_Embedder):
    """Embeds Documents with the model's document prompt (``encode_document``) and returns copies
    of them with ``embedding`` set: the embedder that goes before a document writer.

    The text embedded for a document is, as in Haystack's own embedders,
    ``prefix + embedding_separator.join([*meta values, content]) + suffix``, where the meta values
    are those of ``meta_fields_to_embed`` that the document has (and are not None), as strings.
    """

    def __init__(
        self,
        model: ModelArg = None,
        *,
        revision: str | None = None,
        truncate_dim: int | None = None,
        normalize_embeddings: bool = True,
        prefix: str = "",
        suffix: str = "",
        batch_size: int = DEFAULT_BATCH_SIZE,
        meta_fields_to_embed: list[str] | None = None,
        embedding_separator: str = "\n",
    ) -> None:
        # Not super(): @component builds a new class, which the zero-argument form does not know.
        _Embedder.__init__(
            self, model, revision, truncate_dim, normalize_embeddings, prefix, suffix, batch_size
        )
        if not isinstance(embedding_separator, str):
            raise TypeError(
                f"embedding_separator must be a str, got {type(embedding_separator).__name__}"
            )
        self.meta_fields_to_embed = list(meta_fields_to_embed or [])
        self.embedding_separator = embedding_separator

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            **self._init_parameters(),
            meta_fields_to_embed=self.meta_fields_to_embed,
            embedding_separator=self.embedding_separator,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StaticEmbedRunnerDocumentEmbedder":
        return default_from_dict(cls, data)

    def _text_of(self, document: Document) -> str:
        meta = [
            str(document.meta[key])
            for key in self.meta_fields_to_embed
            if document.meta.get(key) is not None
        ]
        body = self.embedding_separator.join([*meta, document.content or ""])
        return self.prefix + body + self.suffix

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Copies of ``documents`` with their embeddings."""
        if not isinstance(documents, list) or not all(
            isinstance(document, Document) for document in documents
        ):
            raise TypeError(
                f"{type(self).__name__} embeds a list of Documents; "
                "to embed a str, use StaticEmbedRunnerTextEmbedder"
            )
        if not documents:
            return {"documents": []}
        texts = [self._text_of(document) for document in documents]
        vectors = self.runner.encode_document(texts, **self._options()).tolist()
        return {
            "documents": [
                replace(document, embedding=vector)
                for document, vector in zip(documents, vectors, strict=True)
            ]
        }

    @component.output_types(documents=list[Document])
    async def run_async(self, documents: list[Document]) -> dict[str, Any]:
        """:meth:`run` in a worker thread, so the event loop is never blocked."""
        return await asyncio.to_thread(self.run, documents)
