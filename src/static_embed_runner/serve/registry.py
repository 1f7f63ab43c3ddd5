"""The served models: which names the server offers (a :class:`~.model_set.ModelSet`, shared by
the workers) and which of them this process has loaded, each a runner with its batcher.

A request for an offered model that is not loaded loads it (off the event loop; concurrent
requests share one load and wait for it). With ``keep_alive``, a model nobody has used for that
many seconds, and with no request in flight, is unloaded; the next request loads it again. A
model removed from the set (by any worker) is unloaded here as soon as this worker notices.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import EmbeddingCache
from ..errors import StaticEmbedRunnerError
from ..runner import StaticEmbedRunner
from .batching import Batcher
from .errors import ApiError, unknown_model
from .metrics import Metrics, ModelMetrics
from .model_set import ModelSet
from .settings import ModelSpec, ServeSettings

log = logging.getLogger("static_embed_runner.serve")


@dataclass
class ServedModel:
    spec: ModelSpec
    runner: StaticEmbedRunner
    batcher: Batcher
    metrics: ModelMetrics
    loaded_at: int
    last_used: float = field(default_factory=time.monotonic)
    active: int = 0  # requests in flight

    @property
    def name(self) -> str:
        return self.spec.name


class Registry:
    """Offered models by name (the first answers requests that name none) and the loaded ones."""

    def __init__(self, settings: ServeSettings, metrics: Metrics) -> None:
        self._settings = settings
        self._metrics = metrics
        state = settings.state_dir
        self.offered = ModelSet(
            settings.model_specs(), None if state is None else Path(state) / "models.json"
        )
        self._loaded: dict[str, ServedModel] = {}
        self._loading: dict[str, asyncio.Future] = {}
        self.cache = EmbeddingCache(settings.cache_bytes) if settings.cache_bytes else None
        self.ready = False
        self._reaper: asyncio.Task | None = None

    async def start(self) -> None:
        """Load every offered model (a failure stops the start), then watch idle ones."""
        for spec in self.offered.specs():
            await self._load(spec)
        self.ready = True
        if self._settings.keep_alive is not None:
            self._reaper = asyncio.ensure_future(self._reap_forever())

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for name in list(self._loaded):
            await self.unload(name)

    def loaded(self) -> list[ServedModel]:
        return list(self._loaded.values())

    async def get(self, name: str | None) -> ServedModel:
        """The model called ``name`` (None: the first offered), loaded if it is not."""
        spec = self.offered.first() if name is None else self.offered.get(name)
        await self._drop_removed()
        if spec is None:
            raise unknown_model(str(name), [s.name for s in self.offered.specs()])
        model = self._loaded.get(spec.name)
        if model is None or model.spec != spec:
            model = await self._load(spec)
        model.last_used = time.monotonic()
        return model

    async def add(self, spec: ModelSpec) -> ServedModel:
        """Load ``spec`` here, then offer it in every worker; a name already offered from
        another source is a 409."""
        current = self.offered.get(spec.name)
        if current is not None and current != spec:
            raise ApiError(
                409,
                f"`{spec.name}` is already served from {current.source!r}: remove it first",
                "name",
                "model_exists",
                tei_status=409,
            )
        model = await self._load(spec)
        self.offered.update(lambda specs: specs.setdefault(spec.name, spec))
        return model

    async def remove(self, name: str) -> None:
        """Stop offering ``name`` in every worker and unload it here."""
        if self.offered.get(name) is None:
            raise unknown_model(name, [s.name for s in self.offered.specs()])
        self.offered.update(lambda specs: specs.pop(name, None))
        await self.unload(name)

    async def unload(self, name: str) -> None:
        """Free the model's runner (its table is unmapped once the last array goes)."""
        model = self._loaded.pop(name, None)
        if model is None:
            return
        await asyncio.to_thread(model.batcher.stop)  # answers what is queued first
        self._metrics.models_loaded.set(len(self._loaded))
        log.info("unloaded model %s", name)

    async def _load(self, spec: ModelSpec) -> ServedModel:
        pending = self._loading.get(spec.name)
        if pending is None:
            pending = asyncio.ensure_future(self._load_now(spec))
            self._loading[spec.name] = pending
            pending.add_done_callback(lambda _: self._loading.pop(spec.name, None))
        return await asyncio.shield(pending)

    async def _load_now(self, spec: ModelSpec) -> ServedModel:
        settings = self._settings
        started = time.perf_counter()
        try:
            runner = await asyncio.to_thread(
                StaticEmbedRunner.load,
                spec.source,
                table=settings.table,
                tokenizer_backend=settings.tokenizer_backend,
            )
        except (StaticEmbedRunnerError, OSError, ValueError) as exc:
            if not self.ready:
                raise  # at start: the server does not start
            raise ApiError(
                422, f"model `{spec.name}` could not be loaded: {exc}", "model", "model_load_failed"
            ) from exc
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
        previous = self._loaded.get(spec.name)
        model = ServedModel(spec, runner, batcher, metrics, int(time.time()))
        self._loaded[spec.name] = model
        if previous is not None:
            await asyncio.to_thread(previous.batcher.stop)
        self._metrics.models_loaded.set(len(self._loaded))
        self._metrics.model_load_duration.observe(time.perf_counter() - started)
        log.info("loaded model %s from %s", spec.name, spec.source or "the embedded default")
        return model

    async def _drop_removed(self) -> None:
        offered = {spec.name for spec in self.offered.specs()}
        for name in [name for name in self._loaded if name not in offered]:
            await self.unload(name)

    async def _reap_forever(self) -> None:
        keep_alive = self._settings.keep_alive
        while True:
            await asyncio.sleep(min(1.0, keep_alive / 4) if keep_alive else 0.05)
            await self._drop_removed()
            await self._unload_idle(keep_alive)

    async def _unload_idle(self, keep_alive: float) -> None:
        """One pass of the keep-alive (its own frame: no model stays referenced in between)."""
        now = time.monotonic()
        idle = [
            name
            for name, model in self._loaded.items()
            if model.active == 0 and now - model.last_used > keep_alive
        ]
        for name in idle:
            await self.unload(name)
