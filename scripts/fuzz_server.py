"""Long fuzzing run of the HTTP server against its own OpenAPI schema, for manual runs.

The same checks as ``tests/serve/test_openapi_fuzz.py`` (no 5xx; a documented status code,
content type and body for every response), with many more examples: for every operation in the
server's ``/openapi.json``, ``--examples`` valid requests and as many invalid ones.

By default it starts a fresh server on 127.0.0.1 (random port) serving the same four models as
the test fixture (the embedded default model as "default", the Model2Vec test model as "m2v" and
two sentence-transformers models built with the reference libraries as "st-prompts" and
"st-trunc"), with the fixture's limits. ``--url`` fuzzes a server that is already running
instead. Every failure is printed with a curl command that reproduces it; the exit status is 1
when there was any.

    python scripts/fuzz_server.py                  # 2000 examples per operation and mode
    python scripts/fuzz_server.py --examples 200 --operation /embed
    python scripts/fuzz_server.py --url http://127.0.0.1:8080 --api-key secret

Needs the test extra (``pip install -e ".[test]"``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import hypothesis.errors
import schemathesis
from schemathesis import GenerationMode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from serve.test_openapi_fuzz import CHECKS, REQUEST_TIMEOUT  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--examples", type=int, default=2000, help="examples per operation and mode (2000)"
    )
    parser.add_argument("--url", help="fuzz this running server instead of starting one")
    parser.add_argument("--api-key", help="bearer key of the server given with --url")
    parser.add_argument(
        "--operation", action="append", help="only operations whose path is this (repeatable)"
    )
    parser.add_argument(
        "--mode",
        choices=("positive", "negative", "all"),
        default="all",
        help="valid requests, invalid ones, or both (default)",
    )
    args = parser.parse_args(argv)
    if args.examples < 1:
        parser.error("--examples must be at least 1")
    with _server(args.url) as url:
        return fuzz(url, args.api_key, args.examples, args.operation, args.mode)


@contextlib.contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url.rstrip("/")
        return
    from corpus import MODEL_FIXTURES
    from runtime.reference_models import build_st
    from serve.live_server import live_server

    from static_embed_runner.serve import ModelSpec, ServeSettings

    with tempfile.TemporaryDirectory(prefix="fuzz-server-") as tmp:
        root = Path(tmp)
        print("building the sentence-transformers models ...", flush=True)
        build_st(root / "st-prompts", "prompts")
        build_st(root / "st-trunc", "bert-truncation-100")
        specs = [
            ModelSpec("default", None),
            ModelSpec("m2v", str(MODEL_FIXTURES / "model2vec-rs-test-model-float32")),
            ModelSpec("st-prompts", str(root / "st-prompts")),
            ModelSpec("st-trunc", str(root / "st-trunc")),
        ]
        settings = ServeSettings(
            models=specs, max_inputs=64, max_input_chars=2000, max_body_bytes=200_000
        )
        with live_server(settings) as server:
            print(f"serving on {server.url}", flush=True)
            yield server.url


def fuzz(url: str, api_key: str | None, examples: int, paths: list[str] | None, mode: str) -> int:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", headers=headers)
    schema.config.update(base_url=url, headers=headers or None)
    modes = list(GenerationMode) if mode == "all" else [GenerationMode(mode)]
    settings = hypothesis.settings(
        max_examples=examples,
        deadline=None,
        derandomize=False,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        report_multiple_bugs=True,
    )
    failures = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if paths and operation.path not in paths:
            continue
        for generation_mode in modes:
            started = time.perf_counter()
            sent = 0

            @settings
            @hypothesis.given(case=operation.as_strategy(generation_mode=generation_mode))
            def run(case) -> None:
                nonlocal sent
                sent += 1
                case.call_and_validate(checks=CHECKS, headers=headers, timeout=REQUEST_TIMEOUT)

            label = f"{operation.label} ({generation_mode.value})"
            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                print(f"-    {label}: nothing to generate", flush=True)
                continue
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # schemathesis's FailureGroup is a BaseExceptionGroup
                failures += 1
                print(f"FAIL {label} after {sent} requests:\n{_describe(exc)}\n", flush=True)
            else:
                elapsed = time.perf_counter() - started
                print(f"ok   {label}: {sent} requests in {elapsed:.1f} s", flush=True)
    print(f"{failures} failing operation/mode pair(s)" if failures else "no failures")
    return 1 if failures else 0


def _describe(exc: BaseException) -> str:
    """The failure's report (schemathesis's message holds a curl reproduction), or, for
    several distinct failures, each one's."""
    inner = getattr(exc, "exceptions", None)  # an exception group (Python 3.11+)
    if inner and "curl" not in str(exc):
        return "\n".join(_describe(one) for one in inner)
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
