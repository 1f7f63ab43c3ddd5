"""The ``/docs`` page in a real browser: headless Chromium (Debian's ``chromium``) loads it from
the live server, runs Swagger UI and dumps the rendered DOM, which must show an operation block
for every documented route.

The page must work offline: Chromium runs with every host name but 127.0.0.1 unresolvable, its
network log must show that the page requested nothing outside the server, and the served HTML
must name no http(s) URL outside the server (no CDN).

Without ``/usr/bin/chromium`` the tests skip, except in CI (``$CI`` set), where they fail: the CI
script installs it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROUTES = ("/v1/embeddings", "/v1/models", "/embed", "/info", "/health", "/metrics")
_URL = re.compile(r"""https?://[^\s"'<>)]+""")
# URLs the browser fetches by itself: script and image sources, stylesheets (not <a> links).
_LOADED = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)="([^"]*)\"""")


@dataclass
class RenderedPage:
    dom: str  # the DOM after Swagger UI ran
    requested: list[str]  # every URL the page itself requested (from Chromium's network log)


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to "
            f"test the /docs page in a browser"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {message}")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def rendered_docs(server, chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> RenderedPage:
    """``/docs`` loaded in headless Chromium, which may reach nothing but 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("chromium")
    net_log = tmp / "net-log.json"
    command = [
        str(chromium),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--log-net-log={net_log}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        f"{server.url}/docs",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}):\n{done.stderr[-3000:]}"
    assert "<html" in done.stdout, f"chromium dumped no DOM:\n{done.stderr[-3000:]}"
    return RenderedPage(done.stdout, _page_requests(net_log, server.url))


def _page_requests(net_log: Path, origin: str) -> list[str]:
    """The URLs of requests made on behalf of a page whose top frame is on ``origin``'s site
    (the browser's own background requests belong to no such page)."""
    text = net_log.read_text()
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # the log of a browser that did not exit cleanly has no end
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    site = origin.rsplit(":", 1)[0]  # http://127.0.0.1:PORT -> http://127.0.0.1
    urls = []
    for event in log["events"]:
        params = event.get("params", {})
        if event["type"] == start_job and params.get("network_isolation_key", "").startswith(site):
            urls.append(params["url"])
    return urls


def _operation_paths(dom: str) -> set[str]:
    """The paths of the operation blocks Swagger UI rendered."""
    return set(re.findall(r'class="opblock-summary-path"[^>]*data-path="([^"]+)"', dom))


def test_the_docs_page_renders_an_operation_block_for_every_documented_route(
    server, rendered_docs: RenderedPage
) -> None:
    documented = set(httpx.get(f"{server.url}/openapi.json").json()["paths"])
    assert set(ROUTES) <= documented
    dom = rendered_docs.dom
    assert "Unable to render this definition" not in dom, _swagger_error(dom)
    assert 'class="opblock ' in dom, "Swagger UI rendered no operation block"
    assert _operation_paths(dom) == documented


def test_the_docs_page_shows_the_api_title_and_the_embedding_routes(
    rendered_docs: RenderedPage,
) -> None:
    dom = rendered_docs.dom
    assert "static-embed-runner" in dom
    for path in ("/v1/embeddings", "/embed", "/v1/models"):
        assert f'data-path="{path}"' in dom, f"no operation block for {path}"


def test_the_docs_page_loads_its_assets_and_schema_from_the_server_only(
    server, rendered_docs: RenderedPage
) -> None:
    requested = rendered_docs.requested
    assert f"{server.url}/docs" in requested, f"the network log misses the page: {requested}"
    for needed in ("docs/assets/swagger-ui-bundle.js", "docs/assets/swagger-ui.css"):
        assert f"{server.url}/{needed}" in requested
    assert f"{server.url}/openapi.json" in requested
    outside = [url for url in requested if not url.startswith(f"{server.url}/")]
    assert outside == [], f"the page requested URLs outside the server: {outside}"


def test_the_docs_html_names_no_url_outside_the_server(server, rendered_docs) -> None:
    page = httpx.get(f"{server.url}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    foreign = [url for url in _URL.findall(page.text) if not url.startswith(f"{server.url}/")]
    assert foreign == [], f"the served /docs HTML names URLs outside the server: {foreign}"
    base = f"{server.url}/docs"
    loaded = [urljoin(base, url) for url in _LOADED.findall(rendered_docs.dom)]
    assert loaded, "the rendered page loads no script or stylesheet"
    foreign = [url for url in loaded if not url.startswith(f"{server.url}/")]
    assert foreign == [], f"the rendered page loads URLs outside the server: {foreign}"


def _swagger_error(dom: str) -> str:
    """Swagger UI's own message for a definition it cannot render, as plain text."""
    start = dom.find("Unable to render this definition")
    text = re.sub(r"<[^>]+>", " ", dom[start : start + 1000])
    return "Swagger UI cannot render /openapi.json: " + " ".join(text.split())[:400]
