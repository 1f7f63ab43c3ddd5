"""Several models at run time: models idle past the keep-alive are unloaded (their memory
returned) and load again on the next request, requests that arrive during a load wait for it,
the admin routes add and remove models behind their own key, and with two workers both serve
the same set after every admin change."""

from __future__ import annotations

import re
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from serve.live_server import live_server
from serve.test_lifecycle import _metric, _start, _wait_ready

from static_embed_runner.serve import ModelSpec, ServeSettings

ADMIN = {"authorization": "Bearer admin-secret"}


def _rss_mb() -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


@pytest.fixture(scope="module")
def big_model(tmp_path_factory, model_dirs) -> Path:
    """A sentence-transformers model with a 30,522 x 1,024 float32 table (125 MB)."""
    from safetensors.numpy import save_file

    path = tmp_path_factory.mktemp("big") / "st-big"
    shutil.copytree(model_dirs["st-trunc"], path)
    table = np.random.default_rng(3).standard_normal((30522, 1024)).astype(np.float32)
    save_file({"embedding.weight": table}, str(path / "model.safetensors"))
    return path


def _wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _loaded(http: httpx.Client, name: str) -> bool:
    rows = http.get("/admin/models", headers=ADMIN).json()["models"]
    return next(row["loaded"] for row in rows if row["name"] == name)


def test_an_idle_model_is_unloaded_its_memory_freed_and_loaded_again_on_demand(big_model, runners):
    settings = ServeSettings(
        models=[ModelSpec("big", str(big_model))], keep_alive=0.5, admin_key="admin-secret"
    )
    with live_server(settings) as running, httpx.Client(base_url=running.url) as http:
        first = http.post("/embed", json={"inputs": ["hello there"]}).json()
        loaded_rss = _rss_mb()
        _wait_until(lambda: not _loaded(http, "big"))
        unloaded_rss = _rss_mb()
        again = http.post("/embed", json={"inputs": ["hello there"]}).json()
        assert _loaded(http, "big")
        metrics = http.get("/metrics").text

    assert loaded_rss - unloaded_rss > 100  # the 125 MB table was mapped and is gone
    assert first == again
    assert _metric(metrics, "ser_model_load_duration_seconds_count") == 2
    assert _metric(metrics, "ser_models_loaded") == 1


def test_requests_arriving_while_their_model_loads_wait_and_succeed(model_dirs, runners):
    settings = ServeSettings(
        models=[ModelSpec("m2v", str(model_dirs["m2v"]))], keep_alive=0.2, admin_key="admin-secret"
    )
    texts = [f"text {i}" for i in range(12)]
    with live_server(settings) as running, httpx.Client(base_url=running.url) as http:
        _wait_until(lambda: not _loaded(http, "m2v"))
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda t: http.post("/embed", json={"inputs": t}), texts))
        metrics = http.get("/metrics").text

    got = np.concatenate([np.asarray(a.json(), np.float32) for a in answers])
    assert np.array_equal(got, runners["m2v"].encode(texts))
    assert _metric(metrics, "ser_model_load_duration_seconds_count") == 2  # start + one reload


def test_admin_routes_add_and_remove_models(model_dirs, runners):
    settings = ServeSettings(
        models=[ModelSpec("m2v", str(model_dirs["m2v"]))], admin_key="admin-secret"
    )
    with live_server(settings) as running, httpx.Client(base_url=running.url) as http:
        added = http.post(
            "/admin/models",
            json={"name": "st", "source": str(model_dirs["st-prompts"])},
            headers=ADMIN,
        )
        assert added.status_code == 200 and added.json()["loaded"] is True
        got = http.post("/v1/embeddings", json={"model": "st", "input": ["x y"]}).json()
        assert np.array_equal(
            np.asarray(got["data"][0]["embedding"], np.float32), runners["st-prompts"].encode("x y")
        )
        assert [m["id"] for m in http.get("/v1/models").json()["data"]] == ["m2v", "st"]

        removed = http.delete("/admin/models/st", headers=ADMIN)
        assert removed.json() == {"name": "st", "removed": True}
        gone = http.post("/v1/embeddings", json={"model": "st", "input": ["x y"]})
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "model_not_found"
        assert http.delete("/admin/models/st", headers=ADMIN).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"name": "x", "source": "/no/such/folder"}, 422, "could not be loaded"),
        ({"name": "bad name", "source": None}, 400, "must start with a letter or digit"),
        ({"name": 3}, 400, "`name` must be a string"),
        ({"name": "m2v", "source": "/elsewhere"}, 409, "already served from"),
        ([1], 400, "JSON object"),
    ],
)
def test_bad_admin_requests_are_clear_4xx(model_dirs, body, status, fragment):
    settings = ServeSettings(
        models=[ModelSpec("m2v", str(model_dirs["m2v"]))], admin_key="admin-secret"
    )
    with live_server(settings) as running, httpx.Client(base_url=running.url) as http:
        response = http.post("/admin/models", json=body, headers=ADMIN)

    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]["message"]


def test_admin_routes_need_their_own_key_and_are_off_without_one(model_dirs):
    keyed = ServeSettings(api_key="user", admin_key="admin-secret")
    with live_server(keyed) as running, httpx.Client(base_url=running.url) as http:
        user = {"authorization": "Bearer user"}
        assert http.get("/admin/models", headers=user).status_code == 401
        assert http.get("/admin/models", headers=ADMIN).status_code == 200
    with live_server(ServeSettings()) as running, httpx.Client(base_url=running.url) as http:
        off = http.get("/admin/models", headers=ADMIN)
        assert off.status_code == 403 and "--admin-key" in off.json()["error"]["message"]


def test_with_two_workers_both_serve_the_same_set_after_admin_changes(model_dirs, runners):
    process, url = _start(
        "--workers", "2", "--admin-key", "admin-secret", f"m2v={model_dirs['m2v']}"
    )
    try:
        _wait_ready(url)
        added = httpx.post(
            f"{url}/admin/models",
            json={"name": "st", "source": str(model_dirs["st-trunc"])},
            headers=ADMIN,
            timeout=60,
        )
        assert added.status_code == 200

        def embed(_):  # a new connection each time, so both workers answer some
            return httpx.post(f"{url}/embed", json={"model": "st", "inputs": ["x y"]}, timeout=60)

        with ThreadPoolExecutor(4) as pool:
            served = list(pool.map(embed, range(40)))
        removed = httpx.delete(f"{url}/admin/models/st", headers=ADMIN)
        with ThreadPoolExecutor(4) as pool:
            refused = list(pool.map(embed, range(40)))
        listed = [m["id"] for m in httpx.get(f"{url}/v1/models").json()["data"]]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)

    expected = runners["st-trunc"].encode(["x y"])
    assert all(np.array_equal(np.asarray(a.json(), np.float32), expected) for a in served)
    assert removed.status_code == 200
    assert [a.status_code for a in refused] == [404] * 40
    assert listed == ["m2v"]


def test_an_admin_unload_frees_the_model_and_the_next_request_loads_it_again(big_model):
    settings = ServeSettings(models=[ModelSpec("big", str(big_model))], admin_key="admin-secret")
    with live_server(settings) as running, httpx.Client(base_url=running.url) as http:
        before = http.post("/embed", json={"inputs": ["hello there"]}).json()
        loaded_rss = _rss_mb()
        unloaded = http.post("/admin/models/big/unload", headers=ADMIN)
        unloaded_rss = _rss_mb()
        assert unloaded.json() == {"name": "big", "loaded": False}
        assert not _loaded(http, "big")
        after = http.post("/embed", json={"inputs": ["hello there"]}).json()
        missing = http.post("/admin/models/nope/unload", headers=ADMIN)

    assert loaded_rss - unloaded_rss > 100
    assert before == after
    assert missing.status_code == 404
