"""The ASGI app: routes of the OpenAI embeddings API and of text-embeddings-inference over the
registry's models, with limits, an optional API key, metrics and the OpenAPI page.

Each embedding request runs: API key -> concurrency cap (429) -> body size cap (413) -> JSON and
field checks (4xx naming the field) -> the model's queue, awaited together with the client's
connection so a request whose client has gone is dropped before it is computed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from binascii import b2a_base64
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import __version__
from .admin import AdminRoutes
from .batching import Result
from .errors import ApiError, overloaded, too_large, unauthorized, unknown_model
from .metrics import Metrics
from .openapi import DOCS_ASSETS, docs_page, openapi_schema
from .registry import Registry, ServedModel
from .requests import EmbedJob, check_for_model, openai_job, parse_json, tei_job
from .settings import ModelSpec, ServeSettings

log = logging.getLogger("static_embed_runner.serve")
_NUMPY = orjson.OPT_SERIALIZE_NUMPY


class _ClientGone(Exception):
    """The client closed its connection before its result was ready."""


def _json(content: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(content, option=_NUMPY),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


class _Server:
    """The state the routes share: settings, models, metrics and the in-flight count (only
    touched on the event loop)."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.registry = Registry(settings, self.metrics)
        self.api_key = settings.resolved_api_key()
        self.admin = AdminRoutes(self.registry, settings.resolved_admin_key(), self.metrics)
        self.in_flight = 0
        self.started_at = int(time.time())

    # -- embedding routes ------------------------------------------------------------------

    async def openai_embeddings(self, request: Request) -> Response:
        async def handle(body: bytes) -> Response:
            job, encoding = openai_job(parse_json(body), self.settings.max_inputs)
            model, result = await self._embed(request, job)
            return _json(
                _openai_body(model, result, encoding), headers=_timing_headers(job, result)
            )

        return await self._guarded(request, "openai", handle)

    async def tei_embed(self, request: Request) -> Response:
        async def handle(body: bytes) -> Response:
            settings = self.settings
            job = tei_job(parse_json(body), settings.max_inputs, settings.max_input_chars)
            _, result = await self._embed(request, job)
            return _json(result.vectors, headers=_timing_headers(job, result))

        return await self._guarded(request, "tei", handle)

    async def _guarded(
        self, request: Request, family: str, handle: Callable[[bytes], Awaitable[Response]]
    ) -> Response:
        """Run ``handle`` on the request's body within the limits; errors in ``family``'s
        shape; metrics for every outcome."""
        started = time.perf_counter()
        route = request.scope["path"]
        try:
            self.authorize(request)
            if self.in_flight >= self.settings.max_concurrent_requests:
                raise overloaded(self.settings.max_concurrent_requests)
            self.in_flight += 1
            self.metrics.in_flight.inc()
            try:
                body = await _read_body(request, self.settings.max_body_bytes)
                response = await handle(body)
            finally:
                self.in_flight -= 1
                self.metrics.in_flight.dec()
        except ApiError as exc:
            response = _error(exc, family)
        except _ClientGone:
            response = Response(status_code=499)  # nginx's "client closed request"; never sent
        except Exception:
            log.exception("unexpected error on %s", route)
            response = _error(
                ApiError(500, "internal error: the server log has the details", tei_type="Backend"),
                family,
            )
        self.metrics.answered(route, response.status_code, time.perf_counter() - started)
        return response

    async def _embed(self, request: Request, job: EmbedJob) -> tuple[ServedModel, Result]:
        model = await self.registry.get(job.model)
        check_for_model(job, model.runner.dim, model.runner.prompts)
        cache = self.registry.cache
        result = model.batcher.cached(job)
        if result is None:
            model.active += 1  # keeps the model loaded while the request waits
            try:
                result = await self._computed(request, model, job)
            finally:
                model.active -= 1
                model.last_used = time.monotonic()
        if cache is not None:
            self.metrics.observe_cache(cache.stats())
        model.metrics.answered(result.timings, len(result.vectors), result.tokens)
        return model, result

    async def _computed(self, request: Request, model: ServedModel, job: EmbedJob) -> Result:
        """The job through the model's queue, dropped if the client leaves first."""
        future = model.batcher.submit(job)
        # The client leaving cancels the job: the batcher skips a cancelled job it has not begun.
        watcher = asyncio.ensure_future(_disconnected(request))
        watcher.add_done_callback(lambda _: future.cancel())
        try:
            result = await future
        except asyncio.CancelledError:
            if not watcher.done() or watcher.cancelled():
                raise  # the server itself is cancelling this request
            raise _ClientGone from None
        finally:
            watcher.cancel()
        return result

    # -- other routes ----------------------------------------------------------------------

    def authorize(self, request: Request) -> None:
        if self.api_key is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self.api_key.encode()
        ):
            raise unauthorized()

    async def models(self, request: Request) -> Response:
        async def body() -> dict:
            return {"object": "list", "data": [self._openai_model(s) for s in self._offered()]}

        return await self._plain(request, "openai", body)

    async def model(self, request: Request) -> Response:
        async def body() -> dict:
            name = request.path_params["name"]
            spec = self.registry.offered.get(name)
            if spec is None:
                raise unknown_model(name, [s.name for s in self._offered()])
            return self._openai_model(spec)

        return await self._plain(request, "openai", body)

    def _offered(self) -> list[ModelSpec]:
        return self.registry.offered.specs()

    def _openai_model(self, spec: ModelSpec) -> dict:
        loaded = {m.name: m for m in self.registry.loaded()}.get(spec.name)
        return {
            "id": spec.name,
            "object": "model",
            "created": loaded.loaded_at if loaded else self.started_at,
            "owned_by": "static-embed-runner",
        }

    async def info(self, request: Request) -> Response:
        return await self._plain(request, "tei", self._info)

    async def _plain(
        self, request: Request, family: str, build: Callable[[], Awaitable[object]]
    ) -> Response:
        started = time.perf_counter()
        try:
            self.authorize(request)
            response = _json(await build())
        except ApiError as exc:
            response = _error(exc, family)
        self.metrics.answered(
            request.scope["path"], response.status_code, time.perf_counter() - started
        )
        return response

    async def _info(self) -> dict:
        settings = self.settings
        first = await self.registry.get(None)
        loaded = {m.name: m for m in self.registry.loaded()}
        return {
            "model_id": first.name,
            "model_sha": None,
            "model_dtype": "float32",
            "served_model_name": first.name,
            "model_type": {"embedding": {"pooling": "mean"}},
            "max_concurrent_requests": settings.max_concurrent_requests,
            "max_input_length": first.runner.max_tokens,
            "max_batch_tokens": settings.max_batch_tokens,
            "max_batch_requests": None,
            "max_client_batch_size": settings.max_inputs,
            "auto_truncate": True,
            "tokenization_workers": 1,
            "version": __version__,
            "sha": None,
            "docker_label": None,
            "models": [_model_info(spec, loaded.get(spec.name)) for spec in self._offered()],
            "limits": {
                "max_body_bytes": settings.max_body_bytes,
                "max_input_chars": settings.max_input_chars,
                "max_batch_texts": settings.max_batch_texts,
                "batch_wait_ms": settings.batch_wait_ms,
                "cache_bytes": settings.cache_bytes,
                "keep_alive": settings.keep_alive,
            },
        }

    async def health(self, request: Request) -> Response:
        if self.registry.ready:
            return Response(status_code=200)
        return _json({"error": "unhealthy", "error_type": "Unhealthy"}, 503)

    async def metrics_text(self, request: Request) -> Response:
        try:
            self.authorize(request)
        except ApiError as exc:
            return _error(exc, "tei")
        content, media_type = self.metrics.render()
        return Response(content, media_type=media_type)

    async def openapi(self, request: Request) -> Response:
        return _json(openapi_schema())

    async def docs(self, request: Request) -> Response:
        return HTMLResponse(docs_page())


async def _read_body(request: Request, cap: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``cap`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise too_large(f"the request body is {declared} bytes, above the limit of {cap} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise too_large(f"the request body exceeds the limit of {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _disconnected(request: Request) -> None:
    """Return once the client has closed the connection (uvicorn's ``receive`` blocks after
    the body until then)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """Starlette's own 404/405 as a JSON body in the route family's shape."""
    family = "openai" if request.url.path.startswith(("/v1/", "/admin/")) else "tei"
    message = f"{request.method} {request.url.path}: {exc.detail}"
    return _error(ApiError(exc.status_code, message, tei_status=exc.status_code), family)


def _error(exc: ApiError, family: str) -> Response:
    if family == "openai":
        return _json(exc.openai_body(), exc.status)
    return _json(exc.tei_body(), exc.tei_status_code())


def _openai_body(model: ServedModel, result: Result, encoding: str) -> dict:
    vectors = result.vectors
    if encoding == "base64":
        rows = vectors.astype("<f4", copy=False)
        embeddings: list = [b2a_base64(row, newline=False).decode("ascii") for row in rows]
    else:
        embeddings = list(vectors)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": e} for i, e in enumerate(embeddings)
        ],
        "model": model.name,
        "usage": {"prompt_tokens": result.tokens, "total_tokens": result.tokens},
    }


def _timing_headers(job: EmbedJob, result: Result) -> dict[str, str]:
    """TEI's headers (whole milliseconds) and a ``Server-Timing`` header with the fractions."""
    t = result.timings
    compute = t.queue + t.tokenize + t.pool
    characters = sum(len(item) for item in job.items)
    return {
        "x-compute-type": "cpu",
        "x-compute-time": str(int(compute * 1000)),
        "x-compute-characters": str(characters),
        "x-compute-tokens": str(result.tokens),
        "x-total-time": str(int(compute * 1000)),
        "x-queue-time": str(int(t.queue * 1000)),
        "x-tokenization-time": str(int(t.tokenize * 1000)),
        "x-inference-time": str(int(t.pool * 1000)),
        "server-timing": (
            f"queue;dur={t.queue * 1000:.3f}, tokenize;dur={t.tokenize * 1000:.3f}, "
            f"pool;dur={t.pool * 1000:.3f}"
        ),
    }


def _model_info(spec: ModelSpec, model: ServedModel | None) -> dict:
    """A model's entry in ``/info``: what it is, when it is loaded in this worker."""
    if model is None:
        return {"name": spec.name, "source": spec.source, "loaded": False}
    runner = model.runner
    return {
        "name": model.name,
        "source": model.spec.source,
        "loaded": True,
        "format": runner.model_format,
        "dim": runner.dim,
        "max_input_length": runner.max_tokens,
        "truncation_direction": runner.truncation_direction,
        "prompts": runner.prompts,
        "default_prompt_name": runner.default_prompt_name,
        "normalize_default": runner.normalize_default,
    }


def create_app(settings: ServeSettings | None = None) -> Starlette:
    """The server as an ASGI app; its models load during lifespan start-up, so the app
    answers only once they are ready (and a model that fails to load stops the start)."""
    server = _Server(settings or ServeSettings())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await server.registry.start()
        try:
            yield
        finally:
            await server.registry.stop()

    routes = [
        Route("/v1/embeddings", server.openai_embeddings, methods=["POST"]),
        Route("/embeddings", server.openai_embeddings, methods=["POST"]),
        Route("/v1/models", server.models, methods=["GET"]),
        Route("/v1/models/{name:path}", server.model, methods=["GET"]),
        Route("/embed", server.tei_embed, methods=["POST"]),
        Route("/info", server.info, methods=["GET"]),
        Route("/health", server.health, methods=["GET"]),
        Route("/metrics", server.metrics_text, methods=["GET"]),
        Route("/openapi.json", server.openapi, methods=["GET"]),
        *server.admin.routes(),
        Route("/docs", server.docs, methods=["GET"]),
        Mount("/docs/assets", app=StaticFiles(directory=DOCS_ASSETS), name="docs-assets"),
    ]
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error}
    )
    app.state.server = server
    return app


def create_app_from_environment() -> Starlette:
    """The app for one of several worker processes: settings from the environment variable
    the ``serve`` command sets (see :mod:`.command`)."""
    from .command import settings_from_environment

    return create_app(settings_from_environment())
