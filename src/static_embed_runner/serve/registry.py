"""The served models by name: each a loaded runner and its batcher."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from ..cache import EmbeddingCache
from ..runner import StaticEmbedRunner
from .batching import Batcher
from .errors import unknown_model
from .metrics import Metrics, ModelMetrics
from .settings import ModelSpec, ServeSettings


@dataclass
class ServedModel:
    spec: ModelSpec
    runner: StaticEmbedRunner
    batcher: Batcher
    metrics: ModelMetrics
    loaded_at: int

    @property
    def name(self) -> str:
        return self.spec.name


class Registry:
    """Loads every model at start (off the event loop) and finds them by name; the first one
    answers requests that name no model."""

    def __init__(self, settings: ServeSettings, metrics: Metrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._specs = settings.model_specs()
        self._models: dict[str, ServedModel] = {}
        self.cache = EmbeddingCache(settings.cache_bytes) if settings.cache_bytes else None

    async def load_all(self) -> None:
        for spec in self._specs:
            runner = await asyncio.to_thread(
                StaticEmbedRunner.load,
                spec.source,
                table=self._settings.table,
                tokenizer_backend=self._settings.tokenizer_backend,
            )
            settings = self._settings
            metrics = self._metrics.for_model(spec.name)
            batcher = Batcher(
                runner,
                max_batch_texts=settings.max_batch_texts,
                max_batch_tokens=settings.max_batch_tokens,
                batch_wait_ms=settings.batch_wait_ms,
                observer=metrics,
                cache=self.cache,
                name=spec.name,
            )
            self._models[spec.name] = ServedModel(spec, runner, batcher, metrics, int(time.time()))
            self._metrics.models_loaded.set(len(self._models))

    def stop(self) -> None:
        for model in self._models.values():
            model.batcher.stop()
        self._models.clear()

    @property
    def ready(self) -> bool:
        return len(self._models) == len(self._specs)

    def models(self) -> list[ServedModel]:
        return list(self._models.values())

    def get(self, name: str | None) -> ServedModel:
        """The model called ``name`` (None: the first served model)."""
        if name is None:
            return self._models[self._specs[0].name]
        model = self._models.get(name)
        if model is None:
            raise unknown_model(name, [spec.name for spec in self._specs])
        return model
