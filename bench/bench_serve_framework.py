"""Why the server is Starlette + orjson: per-request cost of the web framework and JSON encoder
alone, measured side by side in one process through the ASGI interface (no sockets, no model).

Each contender answers an OpenAI-shaped embeddings request with fixed float32 vectors (1 and 64
rows of 256 dimensions), the way it would be written idiomatically:

- ``starlette+orjson``: a Starlette route, the body parsed by orjson, numpy rows serialised by
  orjson (what ``static_embed_runner.serve`` does);
- ``starlette+json``: the same with the standard library's ``json`` and ``.tolist()``;
- ``fastapi+pydantic``: a FastAPI route with pydantic request and response models (FastAPI's
  validation and serialisation);
- ``fastapi+orjson``: FastAPI with a pydantic request model and an orjson response.

Rounds alternate between contenders; the figure is the median of the rounds' mean microseconds
per request. Usage: python bench/bench_serve_framework.py [--rounds 7] [--requests 2000]
[--json results/serve_framework.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import numpy as np
import orjson
from fastapi import FastAPI
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DIM = 256


class EmbeddingRequest(BaseModel):
    input: str | list[str]
    model: str | None = None


class EmbeddingItem(BaseModel):
    object: str = "embedding"
    index: int
    embedding: list[float]


class EmbeddingResponse(BaseModel):
    object: str = "list"
    data: list[EmbeddingItem]
    model: str


def _vectors(count: int) -> np.ndarray:
    rng = np.random.default_rng(count)
    return rng.standard_normal((count, DIM)).astype(np.float32)


def _texts(payload: dict) -> list[str]:
    value = payload["input"]
    return [value] if isinstance(value, str) else value


def starlette_orjson(vectors: dict[int, np.ndarray]) -> Starlette:
    async def embeddings(request: Request) -> Response:
        texts = _texts(orjson.loads(await request.body()))
        rows = vectors[len(texts)]
        data = [{"object": "embedding", "index": i, "embedding": r} for i, r in enumerate(rows)]
        body = {"object": "list", "data": data, "model": "m"}
        return Response(
            orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
        )

    return Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"])])


def starlette_json(vectors: dict[int, np.ndarray]) -> Starlette:
    async def embeddings(request: Request) -> Response:
        texts = _texts(json.loads(await request.body()))
        rows = vectors[len(texts)].tolist()
        data = [{"object": "embedding", "index": i, "embedding": r} for i, r in enumerate(rows)]
        body = {"object": "list", "data": data, "model": "m"}
        return Response(json.dumps(body), media_type="application/json")

    return Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"])])


def fastapi_pydantic(vectors: dict[int, np.ndarray]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/embeddings", response_model=EmbeddingResponse)
    async def embeddings(request: EmbeddingRequest) -> EmbeddingResponse:
        texts = [request.input] if isinstance(request.input, str) else request.input
        rows = vectors[len(texts)].tolist()
        data = [EmbeddingItem(index=i, embedding=r) for i, r in enumerate(rows)]
        return EmbeddingResponse(data=data, model="m")

    return app


def fastapi_orjson(vectors: dict[int, np.ndarray]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/embeddings")
    async def embeddings(request: EmbeddingRequest) -> ORJSONResponse:
        texts = [request.input] if isinstance(request.input, str) else request.input
        rows = vectors[len(texts)]
        data = [{"object": "embedding", "index": i, "embedding": r} for i, r in enumerate(rows)]
        body = {"object": "list", "data": data, "model": "m"}
        return Response(
            orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
        )

    return app


CONTENDERS = {
    "starlette+orjson": starlette_orjson,
    "starlette+json": starlette_json,
    "fastapi+pydantic": fastapi_pydantic,
    "fastapi+orjson": fastapi_orjson,
}


async def _call(app, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/embeddings",
        "raw_path": b"/v1/embeddings",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }
    delivered = False
    size = 0

    async def receive() -> dict:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        nonlocal size
        if message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    await app(scope, receive, send)
    return size


async def _mean_us(app, body: bytes, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await _call(app, body)
    return (time.perf_counter() - started) / requests * 1e6


async def main_async(rounds: int, requests: int) -> dict:
    vectors = {1: _vectors(1), 64: _vectors(64)}
    apps = {name: build(vectors) for name, build in CONTENDERS.items()}
    bodies = {
        1: orjson.dumps({"input": "one text", "model": "m"}),
        64: orjson.dumps({"input": [f"text {i}" for i in range(64)], "model": "m"}),
    }
    samples: dict[str, dict[int, list[float]]] = {n: {1: [], 64: []} for n in apps}
    for name, app in apps.items():  # warm-up, and every contender answers the same bytes' shape
        for size, body in bodies.items():
            assert await _call(app, body) > size * DIM * 5, name
    for round_index in range(rounds):
        order = list(apps)[round_index % len(apps) :] + list(apps)[: round_index % len(apps)]
        for name in order:
            for size, body in bodies.items():
                count = requests if size == 1 else max(requests // 16, 50)
                samples[name][size].append(await _mean_us(apps[name], body, count))
    return {
        name: {f"{size}-text us/request": statistics.median(s) for size, s in by_size.items()}
        for name, by_size in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = asyncio.run(main_async(args.rounds, args.requests))
    base = figures["starlette+orjson"]
    header = ("contender", "1 text us", "64 texts us", "x ours (1)", "x ours (64)")
    print(f"{header[0]:<20} {header[1]:>10} {header[2]:>12} {header[3]:>10} {header[4]:>11}")
    for name, row in figures.items():
        one, many = row["1-text us/request"], row["64-text us/request"]
        print(
            f"{name:<20} {one:>10.1f} {many:>12.1f} {one / base['1-text us/request']:>10.2f} "
            f"{many / base['64-text us/request']:>11.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
