"""The plain embedder interface of agent-memory libraries: :class:`StaticEmbedRunnerEmbedder`
(no extra: numpy only).

It has the methods memoripy's ``EmbeddingModel`` declares (``get_embedding(text) -> np.ndarray``
and ``initialize_embedding_dimension() -> int``) and the ``get_dimension() -> int`` that many
hand-written memory stores ask for, so it can be passed wherever such an embedding model goes.

>>> embedder = StaticEmbedRunnerEmbedder()  # doctest: +SKIP
>>> vector = embedder.get_embedding("I parked on level 3.")  # doctest: +SKIP
>>> vector.shape == (embedder.get_dimension(),)  # doctest: +SKIP
True
"""

from __future__ import annotations

import numpy as np

from ..runner import StaticEmbedRunner
from ._model import ModelArg, adapter_model


class StaticEmbedRunnerEmbedder:
    """One text in, one float32 vector out, with the model's default prompt (memory libraries
    embed what they store and what they look up the same way).

    A blank text (empty or only whitespace) gives a zero vector, as the embedding wrappers of
    memory stores commonly return for it, rather than the vector of the prompt alone.
    ``model``: a loaded :class:`~static_embed_runner.StaticEmbedRunner`, a model folder, a Hub id
    (with ``revision``) or None for the embedded default model; loaded once, here.
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

    def get_embedding(self, text: str) -> np.ndarray:
        """The ``(dimension,)`` float32 vector of ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"get_embedding takes one str, got {type(text).__name__}")
        if not text.strip():
            return np.zeros(self.get_dimension(), dtype=np.float32)
        return self.runner.encode(text, truncate_dim=self.truncate_dim, normalize=self.normalize)

    def get_dimension(self) -> int:
        """The length of every vector :meth:`get_embedding` returns."""
        return self.runner.dim if self.truncate_dim is None else self.truncate_dim

    def initialize_embedding_dimension(self) -> int:
        """:meth:`get_dimension` under the name memoripy's ``MemoryManager`` calls."""
        return self.get_dimension()
