"""A real server for tests: the app on uvicorn in a background thread, bound to 127.0.0.1
port 0 or to a Unix socket in a temp dir."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from static_embed_runner.serve import ServeSettings, create_app


class LiveServer:
    """A uvicorn server running ``app`` in its own thread and event loop."""

    def __init__(self, app, uds: Path | None = None) -> None:
        where = {"uds": str(uds)} if uds else {"host": "127.0.0.1", "port": 0}
        config = uvicorn.Config(app, log_level="warning", lifespan="on", **where)
        self.server = uvicorn.Server(config)
        self.uds = uds
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    def _serve(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self.server.serve())

    def start(self) -> LiveServer:
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the server failed to start")
            self._thread.join(0.01)
        return self

    @property
    def url(self) -> str:
        if self.uds:
            return "http://localhost"
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(30)


@contextmanager
def live_server(settings: ServeSettings, uds: Path | None = None) -> Iterator[LiveServer]:
    server = LiveServer(create_app(settings), uds).start()
    try:
        yield server
    finally:
        server.stop()
