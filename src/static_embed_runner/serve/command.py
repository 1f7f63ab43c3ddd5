"""``static-embed-runner serve``: parse the server's options and run it on uvicorn, in one
process or in ``--workers N`` processes sharing one socket."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
from collections.abc import Sequence

import uvicorn

from .settings import ADMIN_KEY_ENV, API_KEY_ENV, ModelSpec, ServeSettings

SETTINGS_ENV = "STATIC_EMBED_RUNNER_SERVE_SETTINGS"
_FACTORY = "static_embed_runner.serve.app:create_app_from_environment"

EPILOG = f"""\
models:
  MODEL is a folder, a Hugging Face id (org/name) or name=PATH to serve it under a name; the
  first one answers requests that name no model. With no MODEL the embedded default model is
  served as 'static-embed-runner/default' (offline).

examples:
  static-embed-runner serve                                  # default model on 127.0.0.1:8080
  static-embed-runner serve ./my-model --port 9000
  static-embed-runner serve small=./m2v big=org/name --uds /tmp/embed.sock
  {API_KEY_ENV}=secret static-embed-runner serve --host 0.0.0.0 --workers 2
"""


def build_parser() -> argparse.ArgumentParser:
    defaults = ServeSettings()
    parser = argparse.ArgumentParser(
        prog="static-embed-runner serve",
        description="Serve embeddings over HTTP: the OpenAI embeddings API (/v1/embeddings) and "
        "the text-embeddings-inference API (/embed, /info, /health), with /metrics and /docs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("models", nargs="*", metavar="MODEL")
    where = parser.add_argument_group("where to listen")
    where.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    where.add_argument("--port", type=_count(0), default=8080, help="TCP port (default 8080)")
    where.add_argument("--uds", metavar="PATH", help="listen on this Unix socket instead")
    where.add_argument(
        "--workers", type=_count(1), default=1, help="processes sharing the socket (default 1)"
    )
    model = parser.add_argument_group("models")
    model.add_argument("--table", choices=("q4", "f32"), default=defaults.table)
    model.add_argument(
        "--tokenizer", choices=("auto", "lite", "tokenizers"), default=defaults.tokenizer_backend
    )
    batch = parser.add_argument_group("micro-batching")
    batch.add_argument("--max-batch-texts", type=_count(1), default=defaults.max_batch_texts)
    batch.add_argument("--max-batch-tokens", type=_count(1), default=defaults.max_batch_tokens)
    batch.add_argument(
        "--batch-wait-ms",
        type=float,
        default=defaults.batch_wait_ms,
        help="wait this long for more requests before a batch starts (default 0: batches form "
        "from what queued while the previous one ran)",
    )
    batch.add_argument(
        "--cache-mb",
        type=_count(0),
        default=0,
        help="an embedding cache of this many MiB shared by the models (default 0: none)",
    )
    manage = parser.add_argument_group("model management")
    manage.add_argument(
        "--keep-alive",
        type=_duration,
        default=None,
        metavar="DURATION",
        help="unload a model idle this long (30s, 5m, 1h; default: never); the next request "
        "for it loads it again",
    )
    manage.add_argument(
        "--admin-key",
        help=f"enable the admin routes (/admin/models) with this bearer key (or set "
        f"{ADMIN_KEY_ENV})",
    )
    limits = parser.add_argument_group("limits")
    limits.add_argument(
        "--max-concurrent-requests", type=_count(1), default=defaults.max_concurrent_requests
    )
    limits.add_argument("--max-body-bytes", type=_count(1), default=defaults.max_body_bytes)
    limits.add_argument(
        "--max-inputs", type=_count(1), default=defaults.max_inputs, help="inputs per request"
    )
    limits.add_argument(
        "--max-input-chars",
        type=_count(1),
        default=defaults.max_input_chars,
        help="characters per input when the request does not truncate (TEI truncate: false)",
    )
    limits.add_argument(
        "--api-key",
        help=f"require 'Authorization: Bearer KEY' (or set {API_KEY_ENV}, which ps cannot show)",
    )
    parser.add_argument(
        "--access-log", action="store_true", help="log every request (off: it costs throughput)"
    )
    parser.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    return parser


def _count(minimum: int):
    def parse(text: str) -> int:
        if not text.isascii() or not text.isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}")
        return int(text)

    return parse


def _duration(text: str) -> float | None:
    """Seconds from ``90``, ``30s``, ``5m``, ``1h``; ``never`` for None."""
    if text == "never":
        return None
    scale = {"s": 1, "m": 60, "h": 3600}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in "smh" else text
    try:
        seconds = float(number) * scale
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or not number.replace(".", "", 1).isdigit():
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 90, 30s, 5m, 1h or never, got {text!r}"
        )
    return seconds


def main(argv: Sequence[str]) -> int:
    """Run the server until it is stopped; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        settings = ServeSettings(
            models=[ModelSpec.parse(text) for text in args.models],
            table=args.table,
            tokenizer_backend=args.tokenizer,
            max_batch_texts=args.max_batch_texts,
            max_batch_tokens=args.max_batch_tokens,
            batch_wait_ms=args.batch_wait_ms,
            max_concurrent_requests=args.max_concurrent_requests,
            max_body_bytes=args.max_body_bytes,
            max_inputs=args.max_inputs,
            max_input_chars=args.max_input_chars,
            api_key=args.api_key,
            cache_bytes=args.cache_mb * 2**20,
            keep_alive=args.keep_alive,
            admin_key=args.admin_key,
        )
        settings.model_specs()
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        print(f"static-embed-runner serve: error: {exc}", file=sys.stderr)
        return 2
    where = {"uds": args.uds} if args.uds else {"host": args.host, "port": args.port}
    common = {
        "log_level": args.log_level,
        "access_log": args.access_log,
        "timeout_graceful_shutdown": 30,
        **where,
    }
    if args.workers == 1:
        from .app import create_app

        uvicorn.run(create_app(settings), **common)
        return 0
    with tempfile.TemporaryDirectory(prefix="ser-workers-") as shared:
        # The workers share their metrics and the set of offered models through this folder.
        metrics_dir = os.path.join(shared, "metrics")
        os.mkdir(metrics_dir)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        settings = dataclasses.replace(settings, state_dir=shared)
        os.environ[SETTINGS_ENV] = json.dumps(_to_json(settings))
        uvicorn.run(_FACTORY, factory=True, workers=args.workers, **common)
    return 0


def _to_json(settings: ServeSettings) -> dict:
    values = dataclasses.asdict(settings)
    values["models"] = [[spec.name, spec.source] for spec in settings.model_specs()]
    return values


def settings_from_environment() -> ServeSettings:
    """The settings a worker process was started with (set by :func:`main`)."""
    text = os.environ.get(SETTINGS_ENV)
    if text is None:
        raise RuntimeError(
            f"{SETTINGS_ENV} is not set: start workers with 'static-embed-runner serve'"
        )
    values = json.loads(text)
    values["models"] = [ModelSpec(name, source) for name, source in values["models"]]
    return ServeSettings(**values)
