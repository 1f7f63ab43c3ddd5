"""RemoteRunner, the sidecar client: ``encode`` through a TCP and a Unix-socket server equals
in-process ``encode`` bit for bit for every option; a server that refuses, goes away or hangs
is a clear error, never a hang; a bounded load from 8 client processes loses nothing."""

from __future__ import annotations

import multiprocessing
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from serve.live_server import live_server

from static_embed_runner.client import RemoteError, RemoteRunner, ServerUnavailableError
from static_embed_runner.serve import ModelSpec, ServeSettings

TEXTS = ["The quick brown fox.", "東京は日本の首都です。", "word " * 300, "", " "]
OPTIONS = [
    {},
    {"truncate_dim": 2},
    {"normalize": False},
    {"normalize": None},
    {"max_length": 4},
    {"max_length": None},
    {"prompt_name": "query"},
    {"prompt": "search: "},
]


@pytest.fixture(scope="module")
def unix_server(tmp_path_factory, model_dirs):
    sock = tmp_path_factory.mktemp("uds") / "embed.sock"
    specs = [ModelSpec(n, None if p is None else str(p)) for n, p in model_dirs.items()]
    with live_server(ServeSettings(models=specs), uds=sock):
        yield sock


@pytest.mark.parametrize(
    ("model", "options"),
    [
        (model, options)
        for model in ("st-prompts", "m2v", "default")
        for options in OPTIONS
        if model == "st-prompts" or "prompt_name" not in options  # only it has named prompts
    ],
    ids=repr,
)
def test_encode_over_tcp_equals_in_process_encode(server, runners, model, options):
    remote = RemoteRunner(server.url, model=model)

    got = remote.encode(TEXTS, **options)

    assert got.dtype == np.float32 and got.flags.c_contiguous
    assert np.array_equal(got, runners[model].encode(TEXTS, **options))
    assert np.array_equal(
        remote.encode(TEXTS[0], **options), runners[model].encode(TEXTS[0], **options)
    )


def test_encode_over_a_unix_socket_equals_in_process_encode(unix_server, runners):
    remote = RemoteRunner(f"unix://{unix_server}", model="st-trunc")

    assert np.array_equal(remote.encode(TEXTS), runners["st-trunc"].encode(TEXTS))
    assert remote.dim == runners["st-trunc"].dim and remote.max_tokens == 100


def test_query_and_document_prompts_and_model_facts_come_from_the_server(server, runners):
    remote = RemoteRunner(server.url, model="st-prompts")
    runner = runners["st-prompts"]

    assert np.array_equal(remote.encode_query(TEXTS), runner.encode_query(TEXTS))
    assert np.array_equal(remote.encode_document(TEXTS), runner.encode_document(TEXTS))
    assert remote.prompts == runner.prompts
    assert remote.default_prompt_name == runner.default_prompt_name


def test_many_texts_are_split_into_requests_within_the_server_limit(server, runners):
    texts = [f"text number {i}" for i in range(150)]  # the fixture allows 64 inputs per request
    remote = RemoteRunner(server.url, model="m2v")

    assert np.array_equal(remote.encode(texts, batch_size=1000), runners["m2v"].encode(texts))
    assert remote.encode([]).shape == (0, runners["m2v"].dim)


def test_refusals_are_remote_errors_naming_the_field(server):
    remote = RemoteRunner(server.url, model="st-prompts")

    with pytest.raises(RemoteError, match="not one of the model's prompts") as refused:
        remote.encode(["a"], prompt_name="nope")
    assert (refused.value.status, refused.value.param) == (400, "prompt_name")
    with pytest.raises(RemoteError, match="maximum embedding dimension"):
        remote.encode(["a"], truncate_dim=10_000)
    with pytest.raises(RemoteError, match="does not serve 'nope'"):
        RemoteRunner(server.url, model="nope").encode(["a"])
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str"):
        remote.encode(["a", 1])
    with pytest.raises(ValueError, match="url must be"):
        RemoteRunner("ftp://x")


def test_a_server_that_is_not_there_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ServerUnavailableError, match="cannot connect"):
        RemoteRunner(f"http://127.0.0.1:{port}").encode(["a"])


def test_a_server_that_goes_away_between_calls_is_a_clear_error(model_dirs):
    settings = ServeSettings(models=[ModelSpec("m2v", str(model_dirs["m2v"]))])
    with live_server(settings) as running:
        remote = RemoteRunner(running.url)
        remote.encode(["before"])
    with pytest.raises(ServerUnavailableError):
        remote.encode(["after"])


def test_a_server_that_never_answers_times_out_instead_of_hanging():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(ServerUnavailableError, match=r"no answer within 0\.5 s"):
            RemoteRunner(f"http://127.0.0.1:{port}", timeout=0.5).encode(["a"])
    finally:
        listener.close()
    assert time.monotonic() - started < 5


def _worker(url: str, worker: int, results) -> None:
    remote = RemoteRunner(url, model="m2v")
    for request in range(25):
        texts = [f"worker {worker} request {request} text {i}" for i in range(request % 7 + 1)]
        results.put((worker, request, texts, remote.encode(texts).tobytes()))


def test_eight_client_processes_under_a_bounded_load_lose_nothing(server, runners):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(server.url, w, results)) for w in range(8)]
    for process in workers:
        process.start()
    answers = [results.get(timeout=120) for _ in range(8 * 25)]
    for process in workers:
        process.join(60)
        assert process.exitcode == 0

    assert sorted((w, r) for w, r, _, _ in answers) == [(w, r) for w in range(8) for r in range(25)]
    for _, _, texts, raw in answers:
        got = np.frombuffer(raw, dtype=np.float32).reshape(len(texts), -1)
        assert np.array_equal(got, runners["m2v"].encode(texts))


def test_the_client_imports_nothing_beyond_numpy_and_the_standard_library():
    code = (
        "import sys; import static_embed_runner.client; "
        "bad = [m for m in ('starlette', 'uvicorn', 'orjson', 'prometheus_client', 'httpx') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
