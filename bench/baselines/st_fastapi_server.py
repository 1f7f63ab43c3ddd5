"""Baseline embedding server: FastAPI + sentence-transformers, as a user would typically write it.

Usage: python st_fastapi_server.py --model DIR [--host 127.0.0.1] [--port 8000]
Routes: POST /v1/embeddings (OpenAI-style {"input": str | [str], "model": ...}), GET /health.
Run it from bench/.venv-st-serve (see bench/setup_serve_baselines.sh).
"""

import argparse

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sentence_transformers import SentenceTransformer


class EmbeddingRequest(BaseModel):
    input: str | list[str]
    model: str | None = None


def create_app(model_dir: str) -> FastAPI:
    model = SentenceTransformer(model_dir, device="cpu")
    app = FastAPI()

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.post("/v1/embeddings")
    def embeddings(request: EmbeddingRequest):
        texts = [request.input] if isinstance(request.input, str) else request.input
        vectors = model.encode(texts, normalize_embeddings=True).tolist()
        return {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": vector}
                for i, vector in enumerate(vectors)
            ],
            "model": request.model or model_dir,
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="sentence-transformers model folder")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(create_app(args.model), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
