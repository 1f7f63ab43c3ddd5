"""Ray Data: embed a text column of a ``ray.data.Dataset`` with ``map_batches``, one model per
actor (the ``ray`` extra).

>>> import ray.data
>>> from static_embed_runner.integrations.ray import EmbedBatches
>>> ds = ray.data.read_parquet("docs.parquet")  # doctest: +SKIP
>>> ds = ds.map_batches(
...     EmbedBatches,
...     fn_constructor_kwargs={"model": "path/to/model", "text_column": "text"},
...     compute=ray.data.ActorPoolStrategy(size=4),
...     batch_size=1024,
...     batch_format="numpy",
... )  # doctest: +SKIP

Ray builds one :class:`EmbedBatches` per actor from its constructor arguments, a model folder
or Hub id (or a runner's :attr:`~static_embed_runner.StaticEmbedRunner.model_source`) and options: a
few bytes to ship, and each actor loads the model once from its own files. Each batch gets a
vector column (float32, ``(rows, dim)``) beside its columns; ``numpy`` (a dict of arrays) and
``pandas`` batch formats are accepted.
"""

from __future__ import annotations

from typing import Any

try:
    import ray.data  # noqa: F401 - the extra's presence is checked here, at import
except ImportError:
    raise ImportError(
        "static_embed_runner.integrations.ray needs Ray Data: "
        "pip install 'static-embed-runner[ray]'"
    ) from None

from ..runner import StaticEmbedRunner
from ..source import ModelSource

__all__ = ["EmbedBatches"]


class EmbedBatches:
    """A callable class for ``Dataset.map_batches``: adds ``vector_column`` with the vectors of
    ``text_column``. ``model``: a folder, a Hub id, None (the embedded default) or a
    :class:`~static_embed_runner.source.ModelSource`; ``encode_options`` go to ``encode``
    (``normalize``, ``truncate_dim``, ``prompt_name``, ...)."""

    def __init__(
        self,
        model: str | ModelSource | None = None,
        *,
        text_column: str = "text",
        vector_column: str = "embedding",
        table: str = "q4",
        tokenizer_backend: str = "auto",
        revision: str | None = None,
        **encode_options: Any,
    ) -> None:
        if isinstance(model, ModelSource):
            self.runner = model.load()
        else:
            self.runner = StaticEmbedRunner.load(
                model,
                table=table,
                tokenizer_backend=tokenizer_backend,
                revision=revision,  # type: ignore[arg-type]
            )
        self.runner.encode([], **encode_options)  # check the options once, in the actor
        self.text_column = text_column
        self.vector_column = vector_column
        self.encode_options = encode_options

    def __call__(self, batch: Any) -> Any:
        columns = list(batch.keys()) if isinstance(batch, dict) else list(batch.columns)
        if self.text_column not in columns:
            raise ValueError(
                f"the batch has no text column {self.text_column!r}; columns: "
                f"{', '.join(map(str, columns))}"
            )
        vectors = self.runner.encode(list(batch[self.text_column]), **self.encode_options)
        if isinstance(batch, dict):
            return {**batch, self.vector_column: vectors}
        out = batch.copy(deep=False)
        out[self.vector_column] = list(vectors)
        return out
