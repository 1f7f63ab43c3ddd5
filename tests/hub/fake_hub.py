"""A local HTTP server that answers like the Hugging Face Hub, for download tests.

It serves the endpoints both our downloader and ``huggingface_hub`` use:

- ``GET /api/models/{repo}[/revision/{rev}]`` -> ``{"id", "sha", "siblings": [{"rfilename"}]}``
- ``GET /api/models/{repo}/tree/{rev}`` -> the recursive file listing with git and LFS ids
- ``HEAD|GET /{repo}/resolve/{rev}/{path}``: regular files answer 200 with the git blob id as ETag;
  LFS files (``.safetensors``, ``.onnx``, ``.bin``) answer 302 to a CDN URL on another host name
  (``localhost`` instead of ``127.0.0.1``) with ``X-Linked-Etag`` (the sha256) and ``X-Linked-Size``
- ``GET /cdn/{sha256}``: the LFS payload

Errors carry ``X-Error-Code`` like the Hub (RepoNotFound, RevisionNotFound, EntryNotFound,
GatedRepo). Every request is logged so tests can assert what went over the wire.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import ssl
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = "minishlab/tiny-model"
LFS_SUFFIXES = (".safetensors", ".onnx", ".bin")


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_lfs(path: str) -> bool:
    return path.endswith(LFS_SUFFIXES)


def read_model_dir(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@dataclass
class Repo:
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    token: str | None = None  # when set, the repository is gated behind this token
    extra_names: list[str] = field(default_factory=list)  # listed but never served


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    authorization: str | None


class FakeHub:
    """Start with ``with FakeHub() as hub:``; ``hub.endpoint`` is the value for ``HF_ENDPOINT``."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context  # serve https with this context
        self.redirects: dict[str, str] = {}  # request path -> Location of a 302 answer
        self.unsized: set[str] = set()  # regular files sent without Content-Length
        self.corrupt_files: set[str] = set()  # regular files sent with one byte flipped
        self.repos: dict[str, Repo] = {}
        self.renamed: dict[str, str] = {}  # old repo id -> new one, answered with relative 307s
        self.requests: list[Request] = []
        self.corrupt_sha256: set[str] = set()  # CDN serves these payloads with one byte flipped
        self.truncate_sha256: set[str] = set()  # CDN serves these payloads cut in half
        self.rendezvous_heads = 0  # hold each file's body until this many HEADs asked for it
        self._heads: dict[str, int] = {}
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- repository content ------------------------------------------------------------------
    def add_commit(
        self, repo_id: str, files: dict[str, bytes], *, refs: tuple[str, ...] = ("main",)
    ) -> str:
        repo = self.repos.setdefault(repo_id, Repo())
        digest = hashlib.sha1(repo_id.encode())
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + files[name])
        commit = digest.hexdigest()
        repo.commits[commit] = dict(files)
        for ref in refs:
            repo.refs[ref] = commit
        return commit

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeHub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        if self.ssl_context is not None:
            self._server.socket = self.ssl_context.wrap_socket(
                self._server.socket, server_side=True
            )
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def scheme(self) -> str:
        return "http" if self.ssl_context is None else "https"

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def served_bodies(self) -> list[str]:
        """Paths whose content was sent: CDN payloads and 200 GETs of regular files."""
        return [
            r.path
            for r in self.requests
            if r.method == "GET" and (r.path.startswith("/cdn/") or "/resolve/" in r.path)
        ]

    # -- request handling --------------------------------------------------------------------
    def _wait_for_rendezvous(self, key: str) -> None:
        with self._cond:
            self._cond.wait_for(
                lambda: self._heads.get(key, 0) >= self.rendezvous_heads, timeout=60
            )

    def _count_head(self, key: str) -> None:
        with self._cond:
            self._heads[key] = self._heads.get(key, 0) + 1
            self._cond.notify_all()


def _handler_for(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_HEAD(self) -> None:
            self._dispatch(send_body=False)

        def do_GET(self) -> None:
            self._dispatch(send_body=True)

        def _dispatch(self, *, send_body: bool) -> None:
            path = urllib.parse.urlsplit(self.path).path
            hub.requests.append(Request(self.command, path, self.headers.get("Authorization")))
            parts = [urllib.parse.unquote(p) for p in path.split("/")[1:]]
            if path in hub.redirects:
                self._send(302, b"", {"Location": hub.redirects[path]})
                return
            for old, new in hub.renamed.items():
                for prefix in (f"/api/models/{old}/", f"/{old}/"):
                    if path.startswith(prefix):
                        target = prefix.replace(old, new) + path[len(prefix) :]
                        self._send(307, b"", {"Location": target})
                        return
            if parts[:2] == ["api", "models"] and len(parts) >= 4:
                self._api(parts[2] + "/" + parts[3], parts[4:])
            elif len(parts) >= 5 and parts[2] == "resolve":
                self._resolve(parts[0] + "/" + parts[1], parts[3], "/".join(parts[4:]), send_body)
            elif len(parts) == 2 and parts[0] == "cdn":
                self._cdn(parts[1], send_body)
            else:
                self._error(404, "EntryNotFound")

        def _repo(self, repo_id: str) -> Repo | None:
            repo = hub.repos.get(repo_id)
            if repo is None:
                self._error(404, "RepoNotFound")
                return None
            if repo.token is not None:
                auth = self.headers.get("Authorization")
                if auth != f"Bearer {repo.token}":
                    self._error(401 if auth is None else 403, "GatedRepo")
                    return None
            return repo

        def _commit(self, repo: Repo, revision: str) -> str | None:
            commit = revision if revision in repo.commits else repo.refs.get(revision)
            if commit is None:
                self._error(404, "RevisionNotFound")
            return commit

        def _api(self, repo_id: str, rest: list[str]) -> None:
            repo = self._repo(repo_id)
            if repo is None:
                return
            revision = rest[1] if len(rest) >= 2 else "main"
            commit = self._commit(repo, revision)
            if commit is None:
                return
            files = repo.commits[commit]
            if rest[:1] == ["tree"]:
                body = [_tree_entry(name, data) for name, data in sorted(files.items())]
            else:
                names = sorted(files) + repo.extra_names
                body = {
                    "id": repo_id,
                    "sha": commit,
                    "siblings": [{"rfilename": name} for name in names],
                }
            self._send(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

        def _resolve(self, repo_id: str, revision: str, name: str, send_body: bool) -> None:
            repo = self._repo(repo_id)
            if repo is None:
                return
            commit = self._commit(repo, revision)
            if commit is None:
                return
            data = repo.commits[commit].get(name)
            if data is None:
                self._error(404, "EntryNotFound")
                return
            if is_lfs(name):
                sha = hashlib.sha256(data).hexdigest()
                headers = {
                    "Location": f"{hub.scheme}://localhost:{hub.port}/cdn/{sha}",
                    "X-Repo-Commit": commit,
                    "X-Linked-Etag": f'"{sha}"',
                    "X-Linked-Size": str(len(data)),
                    "ETag": f'"{git_blob_id(data)}"',
                }
                if not send_body:
                    hub._count_head(sha)
                self._send(302, b"", headers)
                return
            headers = {"X-Repo-Commit": commit, "ETag": f'"{git_blob_id(data)}"'}
            key = f"{commit}/{name}"
            if name in hub.corrupt_files:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            if name in hub.unsized:
                self._send_unsized(data if send_body else b"", headers)
                return
            if not send_body:
                hub._count_head(key)
                self._send(200, data, headers, send_body=False)
                return
            hub._wait_for_rendezvous(key)
            self._send(200, data, headers)

        def _cdn(self, sha: str, send_body: bool) -> None:
            for repo in hub.repos.values():
                for files in repo.commits.values():
                    for data in files.values():
                        if hashlib.sha256(data).hexdigest() == sha:
                            if send_body:
                                hub._wait_for_rendezvous(sha)
                            self._send(200, _tamper(hub, sha, data), {}, send_body=send_body)
                            return
            self._error(404, "EntryNotFound")

        def _error(self, code: int, error_code: str) -> None:
            body = json.dumps({"error": error_code}).encode()
            self._send(code, body, {"X-Error-Code": error_code, "Content-Type": "application/json"})

        def _send_unsized(self, body: bytes, headers: dict[str, str]) -> None:
            """200 without Content-Length: the body ends when the connection closes."""
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        def _send(
            self, code: int, body: bytes, headers: dict[str, str], *, send_body: bool = True
        ) -> None:
            self.send_response(code)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and self.command != "HEAD":
                self.wfile.write(body)

    return Handler


def _tree_entry(name: str, data: bytes) -> dict[str, object]:
    entry: dict[str, object] = {
        "type": "file",
        "path": name,
        "size": len(data),
        "oid": git_blob_id(data),
    }
    if is_lfs(name):
        sha = hashlib.sha256(data).hexdigest()
        entry["lfs"] = {"oid": sha, "size": len(data), "pointerSize": 134}
    return entry


def _tamper(hub: FakeHub, sha: str, data: bytes) -> bytes:
    if sha in hub.corrupt_sha256:
        return bytes([data[0] ^ 0xFF]) + data[1:]
    if sha in hub.truncate_sha256:
        return data[: len(data) // 2]
    return data


def subprocess_env() -> dict[str, str]:
    """The current environment with this checkout's ``src`` first on ``PYTHONPATH``."""
    from static_embed_runner import errors

    src = str(Path(errors.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env
