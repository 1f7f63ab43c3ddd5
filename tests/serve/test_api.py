"""The server's routes against in-process ``encode``: the official ``openai`` client (float and
base64) and plain HTTP on the TEI routes give the same vectors bit for bit, for every served
model, prompts, ``dimensions``, truncation and token-id inputs; every bad request is a 4xx in the
caller's API shape."""

from __future__ import annotations

import base64
import socket

import httpx
import numpy as np
import openai
import pytest
from serve.live_server import live_server

from static_embed_runner.serve import ServeSettings

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "東京は日本の首都です。",
    "Prices rose 12.5% in Q3 2024 (from $1,234.56 to $1,388.88).",
    "Emoji: 😀👍🏽👨‍👩‍👧‍👦",
    " ",
    "word " * 300,
]
MODELS = ["default", "m2v", "st-prompts", "st-trunc"]


@pytest.fixture(scope="module")
def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)


@pytest.fixture(scope="module")
def http(server) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=30) as session:
        yield session


# -- OpenAI route ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_the_openai_client_with_its_default_base64_gets_encode_bit_for_bit(client, runners, model):
    response = client.embeddings.create(model=model, input=TEXTS)

    got = np.asarray([item.embedding for item in response.data], dtype=np.float32)
    assert [item.index for item in response.data] == list(range(len(TEXTS)))
    assert np.array_equal(got, runners[model].encode(TEXTS))
    assert response.model == model


@pytest.mark.parametrize("model", MODELS)
def test_the_openai_client_with_float_encoding_gets_encode_bit_for_bit(client, runners, model):
    response = client.embeddings.create(model=model, input=TEXTS, encoding_format="float")

    got = np.asarray([item.embedding for item in response.data], dtype=np.float32)
    assert np.array_equal(got, runners[model].encode(TEXTS))


def test_a_single_string_input_equals_encode_of_that_string(client, runners):
    response = client.embeddings.create(model="m2v", input=TEXTS[0], encoding_format="float")

    assert len(response.data) == 1
    got = np.asarray(response.data[0].embedding, dtype=np.float32)
    assert np.array_equal(got, runners["m2v"].encode(TEXTS[0]))


def test_base64_on_the_wire_is_little_endian_float32(http, runners):
    body = http.post(
        "/v1/embeddings", json={"model": "default", "input": ["a cat"], "encoding_format": "base64"}
    ).json()

    raw = base64.b64decode(body["data"][0]["embedding"])
    assert np.array_equal(np.frombuffer(raw, dtype="<f4"), runners["default"].encode("a cat"))


@pytest.mark.parametrize("dims", [1, 7, 128])
def test_dimensions_truncates_then_renormalises_like_truncate_dim(client, runners, dims):
    response = client.embeddings.create(model="default", input=TEXTS, dimensions=dims)

    got = np.asarray([item.embedding for item in response.data], dtype=np.float32)
    assert got.shape == (len(TEXTS), dims)
    assert np.array_equal(got, runners["default"].encode(TEXTS, truncate_dim=dims))


def test_usage_counts_the_real_tokens_after_truncation(client, runners):
    response = client.embeddings.create(model="st-trunc", input=TEXTS)

    tokens = sum(len(ids) for ids in runners["st-trunc"].token_ids(TEXTS))
    assert response.usage.prompt_tokens == response.usage.total_tokens == tokens
    assert max(len(ids) for ids in runners["st-trunc"].token_ids(TEXTS)) == 100


def test_the_model_is_chosen_by_name_and_defaults_to_the_first_served(http, runners):
    named = http.post("/v1/embeddings", json={"model": "st-prompts", "input": ["x y"]}).json()
    unnamed = http.post("/v1/embeddings", json={"input": ["x y"]}).json()

    assert np.array_equal(
        np.asarray(named["data"][0]["embedding"], np.float32), runners["st-prompts"].encode("x y")
    )
    assert unnamed["model"] == "default"
    assert np.array_equal(
        np.asarray(unnamed["data"][0]["embedding"], np.float32), runners["default"].encode("x y")
    )


def test_prompt_name_and_prompt_prepend_as_in_encode(http, runners):
    runner = runners["st-prompts"]
    for extra, kwargs in [
        ({"prompt_name": "query"}, {"prompt_name": "query"}),
        ({"prompt": "search: "}, {"prompt": "search: "}),
    ]:
        body = http.post(
            "/v1/embeddings", json={"model": "st-prompts", "input": TEXTS, **extra}
        ).json()
        got = np.asarray([d["embedding"] for d in body["data"]], dtype=np.float32)
        assert np.array_equal(got, runner.encode(TEXTS, **kwargs))
    assert runner.prompts["query"]  # the model really has a non-empty query prompt


def test_token_id_inputs_are_pooled_as_given(http, runners):
    runner = runners["default"]
    ids = runner.token_ids(TEXTS[:3])
    flat = http.post("/v1/embeddings", json={"model": "default", "input": ids[0]}).json()
    nested = http.post("/v1/embeddings", json={"model": "default", "input": ids}).json()

    assert np.array_equal(
        np.asarray(flat["data"][0]["embedding"], np.float32), runner.encode(TEXTS[0])
    )
    got = np.asarray([d["embedding"] for d in nested["data"]], dtype=np.float32)
    assert np.array_equal(got, runner.encode(TEXTS[:3]))
    assert nested["usage"]["prompt_tokens"] == sum(map(len, ids))


def test_models_lists_every_served_model(client):
    listed = client.models.list()

    assert [m.id for m in listed.data] == MODELS
    assert client.models.retrieve("st-trunc").id == "st-trunc"


# -- TEI routes --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_tei_embed_always_answers_a_list_of_vectors_equal_to_encode(http, runners, model):
    many = http.post("/embed", json={"model": model, "inputs": TEXTS})
    one = http.post("/embed", json={"model": model, "inputs": TEXTS[0]})

    assert many.status_code == one.status_code == 200
    assert np.array_equal(np.asarray(many.json(), np.float32), runners[model].encode(TEXTS))
    assert np.array_equal(np.asarray(one.json(), np.float32), runners[model].encode(TEXTS[:1]))


def test_tei_normalize_false_returns_the_raw_mean(http, runners):
    got = http.post("/embed", json={"model": "m2v", "inputs": TEXTS, "normalize": False}).json()

    assert np.array_equal(
        np.asarray(got, np.float32), runners["m2v"].encode(TEXTS, normalize=False)
    )


def test_tei_dimensions_and_prompt_name_match_encode(http, runners):
    got = http.post(
        "/embed",
        json={"model": "st-prompts", "inputs": TEXTS, "dimensions": 5, "prompt_name": "document"},
    ).json()

    expected = runners["st-prompts"].encode(TEXTS, truncate_dim=5, prompt_name="document")
    assert np.array_equal(np.asarray(got, np.float32), expected)


def test_tei_truncation_direction_left_keeps_the_last_tokens(http, runners):
    runner = runners["st-trunc"]
    long_text = " ".join(f"w{i}" for i in range(400))
    got = http.post(
        "/embed",
        json={"model": "st-trunc", "inputs": [long_text], "truncation_direction": "Left"},
    ).json()

    all_ids = runner.token_ids([long_text], max_length=None)[0]
    assert len(all_ids) > 100
    expected = runner.embed_ids([all_ids[-100:]])
    assert np.array_equal(np.asarray(got, np.float32), expected)
    right = http.post("/embed", json={"model": "st-trunc", "inputs": [long_text]}).json()
    assert np.array_equal(np.asarray(right, np.float32), runner.encode([long_text]))


def test_tei_truncate_false_refuses_an_input_over_the_model_limit_with_422(http, runners):
    long_text = " ".join(f"w{i}" for i in range(400))
    response = http.post(
        "/embed", json={"model": "st-trunc", "inputs": ["short", long_text], "truncate": False}
    )

    assert response.status_code == 422
    body = response.json()
    assert body["error_type"] == "Validation"
    assert "must have less than 100 tokens" in body["error"] and "inputs[1]" in body["error"]
    fits = http.post("/embed", json={"model": "st-trunc", "inputs": ["short"], "truncate": False})
    assert np.array_equal(
        np.asarray(fits.json(), np.float32), runners["st-trunc"].encode(["short"])
    )


def test_tei_timing_headers_are_sent(http):
    response = http.post("/embed", json={"inputs": ["a b c"]})

    for name in ("x-compute-time", "x-queue-time", "x-tokenization-time", "x-inference-time"):
        assert response.headers[name].isdigit()
    assert response.headers["x-compute-tokens"] == "3"
    assert response.headers["x-compute-characters"] == "5"
    assert "queue;dur=" in response.headers["server-timing"]


def test_info_and_health_describe_the_served_models(http, runners):
    info = http.get("/info").json()

    assert info["model_id"] == "default"
    assert info["max_client_batch_size"] == 64
    assert [m["name"] for m in info["models"]] == MODELS
    st = next(m for m in info["models"] if m["name"] == "st-trunc")
    assert (st["dim"], st["max_input_length"]) == (runners["st-trunc"].dim, 100)
    health = http.get("/health")
    assert (health.status_code, health.content) == (200, b"")


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        ({}, "input", "`input` is required"),
        ({"input": ""}, "input", "cannot be empty"),
        ({"input": []}, "input", "cannot be empty"),
        ({"input": ["a", ""]}, "input[1]", "cannot be empty"),
        ({"input": ["a", 3]}, "input[1]", "must be a string or an array of token ids"),
        ({"input": [[1, 2], []]}, "input[1]", "cannot be empty"),
        ({"input": [1, -2]}, "input", "integers >= 0"),
        ({"input": [1, 2.5]}, "input", "integers >= 0"),
        ({"input": {"a": 1}}, "input", "got an object"),
        ({"input": "a", "dimensions": 0}, "dimensions", "should be positive"),
        ({"input": "a", "dimensions": 10_000}, "dimensions", "maximum embedding dimension"),
        ({"input": "a", "dimensions": "8"}, "dimensions", "positive integer"),
        ({"input": "a", "encoding_format": "int8"}, "encoding_format", "'float' or 'base64'"),
        ({"input": "a", "model": 3}, "model", "must be a string"),
        ({"input": "a", "prompt_name": "nope"}, "prompt_name", "not one of the model's prompts"),
        ({"input": "a", "prompt_name": "query", "prompt": "q: "}, "prompt", "not both"),
        ({"input": ["a"] * 65}, "input", "batch size 65 > maximum allowed batch size 64"),
        ({"input": [[10**9]]}, "input[0]", "outside the model's ids"),
    ],
)
def test_a_bad_openai_request_is_a_400_naming_the_field(http, body, param, fragment):
    response = http.post("/v1/embeddings", json=body)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert fragment in error["message"]


def test_the_openai_client_raises_its_own_exceptions_for_server_errors(client):
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.embeddings.create(model="nope", input="a")
    with pytest.raises(openai.BadRequestError, match="cannot be empty"):
        client.embeddings.create(model="default", input=[""])


@pytest.mark.parametrize(
    ("body", "status", "error_type"),
    [
        ({"inputs": ""}, 400, "Empty"),
        ({"inputs": []}, 400, "Empty"),
        ({"inputs": ["a", None]}, 422, "Validation"),
        ({"inputs": "a", "normalize": "yes"}, 422, "Validation"),
        ({"inputs": "a", "truncate": 1}, 422, "Validation"),
        ({"inputs": "a", "truncation_direction": "up"}, 422, "Validation"),
        ({"inputs": "a", "dimensions": -1}, 422, "Validation"),
        ({"inputs": ["a"] * 65}, 422, "Validation"),
        ({"inputs": "x" * 2001, "truncate": False}, 413, "Validation"),
        ({"inputs": "a", "model": "nope"}, 404, "Validation"),
    ],
)
def test_a_bad_tei_request_gets_tei_status_and_error_body(http, body, status, error_type):
    response = http.post("/embed", json=body)

    assert response.status_code == status, response.text
    assert response.json()["error_type"] == error_type
    assert response.json()["error"]


@pytest.mark.parametrize("route", ["/v1/embeddings", "/embed"])
@pytest.mark.parametrize(
    "raw", [b"{", b"not json", b"[1, 2]", b"null", "\ud800".encode("utf-8", "surrogatepass")]
)
def test_a_body_that_is_not_a_json_object_is_a_4xx_not_a_500(http, route, raw):
    response = http.post(route, content=raw, headers={"content-type": "application/json"})

    assert response.status_code in (400, 422)
    assert "JSON" in response.text


def test_a_lone_surrogate_escape_in_a_text_is_a_4xx(http):
    response = http.post("/v1/embeddings", content=b'{"input": "a \\ud800 b"}')

    assert response.status_code == 400, response.text


def test_a_body_over_the_size_limit_is_refused_with_413_before_it_is_read(http):
    response = http.post("/v1/embeddings", json={"input": "x" * 300_000})

    assert response.status_code == 413
    assert "above the limit of 200000 bytes" in response.json()["error"]["message"]


def test_a_chunked_body_over_the_size_limit_is_refused_with_413(http):
    def chunks():
        yield b'{"inputs": "'
        for _ in range(30):
            yield b"x" * 10_000
        yield b'"}'

    response = http.post("/embed", content=chunks())

    assert response.status_code == 413
    assert response.json()["error_type"] == "Validation"


def test_unknown_routes_and_methods_are_json_4xx(http):
    assert http.get("/nope").status_code == 404
    assert http.get("/v1/embeddings").status_code == 405
    assert http.get("/v1/nope").json()["error"]["message"]  # OpenAI's shape under /v1/
    unmatched = http.post("/admin/models/a%0Ab/unload")  # a newline no route matches
    assert unmatched.status_code == 404 and unmatched.json()["error"]["message"]


# -- limits and keys ---------------------------------------------------------------------------


def test_an_api_key_is_required_on_every_route_but_health_and_docs(model_dirs):
    settings = ServeSettings(api_key="s3cret")
    with live_server(settings) as running, httpx.Client(base_url=running.url) as session:
        assert session.post("/v1/embeddings", json={"input": "a"}).status_code == 401
        wrong = session.post("/embed", json={"inputs": "a"}, headers={"authorization": "Bearer x"})
        assert wrong.status_code == 401 and wrong.json()["error"]
        for route in ("/v1/models", "/info", "/metrics"):
            assert session.get(route).status_code == 401
        assert session.get("/health").status_code == 200
        assert session.get("/docs").status_code == 200
        assert session.get("/openapi.json").status_code == 200
        good = openai.OpenAI(base_url=f"{running.url}/v1", api_key="s3cret", max_retries=0)
        assert len(good.embeddings.create(model="static-embed-runner/default", input="a").data) == 1
        bad = openai.OpenAI(base_url=f"{running.url}/v1", api_key="nope", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            bad.embeddings.create(input="a", model="static-embed-runner/default")


def test_the_api_key_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("STATIC_EMBED_RUNNER_API_KEY", "from-env")
    with live_server(ServeSettings()) as running, httpx.Client(base_url=running.url) as session:
        assert session.post("/embed", json={"inputs": "a"}).status_code == 401
        ok = session.post(
            "/embed", json={"inputs": "a"}, headers={"authorization": "Bearer from-env"}
        )
        assert ok.status_code == 200


def test_a_unix_socket_server_answers_like_tcp(tmp_path, runners):
    sock = tmp_path / "embed.sock"
    with live_server(ServeSettings(), uds=sock):
        transport = httpx.HTTPTransport(uds=str(sock))
        with httpx.Client(transport=transport, base_url="http://localhost") as session:
            got = session.post("/embed", json={"inputs": TEXTS}).json()
    assert np.array_equal(np.asarray(got, np.float32), runners["default"].encode(TEXTS))


def test_settings_refuse_bad_limits_and_duplicate_names():
    with pytest.raises(ValueError, match="max_inputs must be a positive integer"):
        ServeSettings(max_inputs=0)
    with pytest.raises(ValueError, match="two models are served as 'a'"):
        ServeSettings(models=["a=x", "a=y"]).model_specs()
    with pytest.raises(ValueError, match="must start with a letter or digit"):
        ServeSettings(models=["=x"]).model_specs()


def test_the_port_is_bound_to_loopback_only(server):
    host = server.server.servers[0].sockets[0].getsockname()[0]
    assert host == "127.0.0.1"
    assert socket.inet_aton(host)
