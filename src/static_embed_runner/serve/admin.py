"""Admin routes, guarded by their own key: list the offered models, add one (loaded before the
answer), unload one (its memory freed, still offered), remove one (unloaded in every worker).
Without an admin key they answer 403."""

from __future__ import annotations

import hmac
import time

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import ApiError, invalid, unknown_model
from .metrics import Metrics
from .registry import Registry
from .requests import parse_json
from .settings import ADMIN_KEY_ENV, ModelSpec, check_name

_MAX_BODY = 64 * 1024


class AdminRoutes:
    def __init__(self, registry: Registry, key: str | None, metrics: Metrics) -> None:
        self._registry = registry
        self._key = key
        self._metrics = metrics

    def routes(self) -> list[Route]:
        return [
            Route("/admin/models", self.list_models, methods=["GET"]),
            Route("/admin/models", self.add_model, methods=["POST"]),
            Route("/admin/models/{name:path}/unload", self.unload_model, methods=["POST"]),
            Route("/admin/models/{name:path}", self.remove_model, methods=["DELETE"]),
        ]

    async def list_models(self, request: Request) -> Response:
        async def answer() -> dict:
            loaded = {model.name: model for model in self._registry.loaded()}
            now = time.monotonic()
            rows = []
            for spec in self._registry.offered.specs():
                model = loaded.get(spec.name)
                rows.append(
                    {
                        "name": spec.name,
                        "source": spec.source,
                        "loaded": model is not None,
                        "idle_seconds": None if model is None else round(now - model.last_used, 3),
                        "requests_in_flight": 0 if model is None else model.active,
                    }
                )
            return {"models": rows}

        return await self._guarded(request, answer)

    async def add_model(self, request: Request) -> Response:
        async def answer() -> dict:
            body = await request.body()
            if len(body) > _MAX_BODY:
                raise invalid(f"the admin request body exceeds {_MAX_BODY} bytes")
            payload = parse_json(body)
            if not isinstance(payload, dict):
                raise invalid("the body must be a JSON object with `name` and `source`")
            name, source = payload.get("name"), payload.get("source")
            if not isinstance(name, str):
                raise invalid("`name` must be a string", "name")
            if source is not None and (not isinstance(source, str) or not source):
                raise invalid(
                    "`source` must be a folder or Hub id, or null (default model)", "source"
                )
            try:
                check_name(name)
            except ValueError as exc:
                raise invalid(str(exc), "name") from None
            model = await self._registry.add(ModelSpec(name, source))
            return {"name": model.name, "source": source, "loaded": True, "dim": model.runner.dim}

        return await self._guarded(request, answer)

    async def unload_model(self, request: Request) -> Response:
        """Free the model's memory in this worker now; it stays offered, and the next request
        for it loads it again (other workers free theirs after the keep-alive)."""

        async def answer() -> dict:
            name = request.path_params["name"]
            if self._registry.offered.get(name) is None:
                raise unknown_model(name, [s.name for s in self._registry.offered.specs()])
            await self._registry.unload(name)
            return {"name": name, "loaded": False}

        return await self._guarded(request, answer)

    async def remove_model(self, request: Request) -> Response:
        async def answer() -> dict:
            name = request.path_params["name"]
            await self._registry.remove(name)
            return {"name": name, "removed": True}

        return await self._guarded(request, answer)

    async def _guarded(self, request: Request, answer) -> Response:
        started = time.perf_counter()
        try:
            self._authorize(request)
            response = Response(orjson.dumps(await answer()), media_type="application/json")
        except ApiError as exc:
            response = Response(
                orjson.dumps(exc.openai_body()), exc.status, media_type="application/json"
            )
        self._metrics.answered(
            request.scope["path"], response.status_code, time.perf_counter() - started
        )
        return response

    def _authorize(self, request: Request) -> None:
        if self._key is None:
            raise ApiError(
                403,
                f"the admin routes are disabled: start the server with --admin-key or "
                f"${ADMIN_KEY_ENV}",
                code="admin_disabled",
            )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self._key.encode()
        ):
            raise ApiError(
                401,
                "missing or wrong admin key: send 'Authorization: Bearer <admin key>'",
                code="invalid_admin_key",
            )
