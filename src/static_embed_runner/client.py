"""RemoteRunner: ``encode`` through a static-embed-runner server, with nothing beyond numpy and
the standard library, so many API workers can share one model process (a sidecar).

It speaks the server's OpenAI route with base64 float32 on the wire, so the arrays are bit for
bit those of in-process ``encode``; over TCP (``http://host:port``) or a Unix socket
(``unix:///path/to.sock``). Each thread keeps its own keep-alive connection.

>>> from static_embed_runner.client import RemoteRunner
>>> runner = RemoteRunner("unix:///tmp/embed.sock")  # doctest: +SKIP
>>> runner.encode(["a text", "another"]).shape  # doctest: +SKIP
(2, 256)
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

import numpy as np

from .errors import StaticEmbedRunnerError
from .runner import DEFAULT_BATCH_SIZE, MaxLength, _check_texts, _for_role


class RemoteError(StaticEmbedRunnerError, ValueError):
    """The server refused a request (4xx): its message, status and the field it names."""

    def __init__(self, message: str, status: int, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.param = param


class ServerUnavailableError(StaticEmbedRunnerError, ConnectionError):
    """The server cannot be reached, went away, or did not answer in time."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class RemoteRunner:
    """A server's model with :class:`~static_embed_runner.StaticEmbedRunner`'s ``encode``,
    ``encode_query`` and ``encode_document`` signatures and results.

    ``url``: ``http://host:port`` or ``unix:///path``; ``model``: the served model's name (None:
    the server's first); ``api_key``: sent as a bearer token; ``timeout``: seconds for connecting
    and for each answer. ``dim``, ``prompts``, ``max_tokens`` and ``default_prompt_name`` are
    read from the server's ``/info`` on first use."""

    def __init__(
        self,
        url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme == "unix":
            self._socket_path: str | None = unquote(parts.path)
            self._host, self._port = "localhost", None
        elif parts.scheme == "http" and parts.hostname:
            self._socket_path = None
            self._host, self._port = parts.hostname, parts.port or 80
        else:
            raise ValueError(f"url must be http://host:port or unix:///path, got {url!r}")
        self.url = url
        self.model = model
        self.timeout = timeout
        self._headers = {"content-type": "application/json"}
        if api_key:
            self._headers["authorization"] = f"Bearer {api_key}"
        self._local = threading.local()
        self._info: dict | None = None

    # -- model description -------------------------------------------------------------------

    def _model_info(self) -> dict:
        if self._info is None:
            info = self._call("GET", "/info", None)
            models = info["models"]
            chosen = models[0] if self.model is None else None
            for entry in models:
                if entry["name"] == self.model:
                    chosen = entry
            if chosen is None:
                names = ", ".join(entry["name"] for entry in models)
                raise RemoteError(
                    f"the server at {self.url} does not serve {self.model!r} (it serves {names})",
                    404,
                    "model",
                )
            self._info = {**chosen, "max_inputs": info["max_client_batch_size"]}
        return self._info

    @property
    def dim(self) -> int:
        return self._model_info()["dim"]

    @property
    def prompts(self) -> dict[str, str]:
        return dict(self._model_info()["prompts"])

    @property
    def default_prompt_name(self) -> str | None:
        return self._model_info()["default_prompt_name"]

    @property
    def max_tokens(self) -> int | None:
        return self._model_info()["max_input_length"]

    # -- encoding ----------------------------------------------------------------------------

    def encode(
        self,
        texts: str | Iterable[str],
        *,
        prompt_name: str | None = None,
        prompt: str | None = None,
        max_length: MaxLength = "model",
        normalize: bool | None = True,
        truncate_dim: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> np.ndarray:
        """:meth:`StaticEmbedRunner.encode` on the server: the same arguments, the same array.
        ``batch_size`` bounds the texts per request (and the server's ``max_inputs`` too)."""
        if type(batch_size) is not int or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        batch = _check_texts(texts)
        info = self._model_info()
        fields = {
            "model": info["name"],
            "encoding_format": "base64",
            "allow_empty": True,  # "" is a text, as in encode (no tokens: a zero vector)
            "prompt_name": prompt_name,
            "prompt": prompt,
            "max_length": max_length,
            "dimensions": truncate_dim,
        }
        if normalize is None:  # the model's own library's default, as encode(normalize=None)
            normalize = info["normalize_default"]
        fields["normalize"] = normalize
        step = min(batch_size, info["max_inputs"])
        out_dim = info["dim"] if truncate_dim is None else truncate_dim
        out = np.empty((len(batch), out_dim), dtype=np.float32)
        for start in range(0, len(batch), step):
            chunk = batch[start : start + step]
            answer = self._call("POST", "/v1/embeddings", {**fields, "input": chunk})
            for item in answer["data"]:
                out[start + item["index"]] = np.frombuffer(
                    base64.b64decode(item["embedding"]), dtype="<f4"
                )
        return out[0] if isinstance(texts, str) else out

    def encode_query(self, texts: str | Iterable[str], **options) -> np.ndarray:
        """:meth:`StaticEmbedRunner.encode_query` on the server."""
        return self.encode(texts, **_for_role("query", options, self.prompts))

    def encode_document(self, texts: str | Iterable[str], **options) -> np.ndarray:
        """:meth:`StaticEmbedRunner.encode_document` on the server."""
        return self.encode(texts, **_for_role("document", options, self.prompts))

    # -- HTTP --------------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if self._socket_path is not None:
                connection = _UnixConnection(self._socket_path, self.timeout)
            else:
                connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=self.timeout
                )
            self._local.connection = connection
        return connection

    def _call(self, method: str, path: str, body: dict | None) -> dict:
        payload = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):  # a kept-alive connection the server closed is retried once
            connection = self._connection()
            try:
                connection.request(method, path, body=payload, headers=self._headers)
                response = connection.getresponse()
                data = response.read()
                break
            except OSError as exc:
                self.close()
                stale = isinstance(exc, (ConnectionResetError, BrokenPipeError))
                if isinstance(exc, http.client.RemoteDisconnected) or stale:
                    if attempt == 1:
                        continue
                    reason = f"the server went away ({exc})"
                elif isinstance(exc, TimeoutError):
                    reason = f"no answer within {self.timeout} s"
                else:
                    reason = f"cannot connect ({exc})"
                raise ServerUnavailableError(f"{self.url}: {reason}") from exc
        if response.status != 200:
            raise _refusal(self.url, response.status, data)
        return json.loads(data)

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def __repr__(self) -> str:
        return f"RemoteRunner({self.url!r}, model={self.model!r})"


def _refusal(url: str, status: int, data: bytes) -> StaticEmbedRunnerError:
    try:
        body = json.loads(data)
    except ValueError:
        body = {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    if isinstance(error, str):  # TEI's shape
        message, param = error, None
    else:
        message, param = error.get("message", data.decode(errors="replace")), error.get("param")
    if status >= 500 or status == 429:
        return ServerUnavailableError(f"{url}: {status}: {message}")
    return RemoteError(message, status, param)
