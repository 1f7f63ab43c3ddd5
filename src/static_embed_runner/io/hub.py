"""Hugging Face Hub downloads into the cache ``huggingface_hub`` shares, standard library only.

The cache layout is the one ``huggingface_hub`` writes, so a model downloaded by
sentence-transformers or model2vec loads here with no network, and one downloaded here is reused
by them::

    $HF_HUB_CACHE/models--{org}--{name}/
        refs/{revision}            the commit hash the branch or tag pointed to
        blobs/{etag}               file contents; the etag is the sha256 for LFS files
        snapshots/{commit}/{path}  relative symlink to ../../blobs/{etag} (a copy without symlinks)

A download lists the repository at a revision, asks the model layout which files it needs, and
fetches only those. Every blob is written to a process-unique ``.incomplete`` file next to its
final place, checked against the announced size (and sha256 for LFS files), then renamed into
place under a per-blob lock that ``huggingface_hub`` also honours, so two processes never
half-write a blob.

The server is not trusted further than that:

- only ``http``/``https`` URLs are opened (no ``file:``, ``ftp:`` or ``data:`` redirect), and a
  redirect from ``https`` to ``http`` is refused, so the token never travels in clear; the token
  goes only to the endpoint's own scheme and host;
- a body is never read beyond its announced size, and a file whose size the server does not
  announce is capped at :data:`MAX_UNKNOWN_SIZE_BYTES`;
- every blob is checked against its content hash: the sha256 of LFS files and, for regular
  files, the git blob SHA-1 the Hub gives as their ETag (``sha1(b"blob <size>\\0" + data)``,
  which ``huggingface_hub`` also compares for local files);
- a blob already in the cache is checked the same way before it is used again, and a corrupt one
  is downloaded anew (or named in the error when offline); a blob is hashed once, then
  recognised by a stamp of its size, inode and modification time kept beside its lock;
- ``.incomplete`` files left by killed downloads are removed when their blob's lock is free (a
  download in progress in another process holds that lock, so its file is left alone).
"""

from __future__ import annotations

import contextlib
import email.message
import errno
import hashlib
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPException, HTTPResponse
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from ..errors import (
    DownloadIntegrityError,
    GatedRepoError,
    HubError,
    ModelFormatError,
    OfflineModeError,
    RepositoryNotFoundError,
    StaticEmbedRunnerError,
)
from .json_file import parse_json, read_json_file

__all__ = ["hub_cache_dir", "is_offline", "snapshot_download"]

DEFAULT_ENDPOINT = "https://huggingface.co"
# A file whose size the server does not announce. The Hub stores every file above 10 MB in LFS,
# which always announces its size, so only small regular files can come without one.
MAX_UNKNOWN_SIZE_BYTES = 256 << 20
_CHUNK = 1 << 20
# A repository listing: ~100 bytes per file; the largest repositories list ~100,000 files.
MAX_LISTING_BYTES = 64 << 20
_SCHEMES = frozenset({"http", "https"})
_GIT_SHA1_RE = re.compile(r"^[0-9a-f]{40}$")
_MAX_REDIRECTS = 10
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_ETAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_REPO_PART_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TRUE = frozenset({"1", "on", "yes", "true"})

FileSelector = Callable[[list[str]], list[str]]


def _hf_home() -> Path:
    """``$HF_HOME``, else ``$XDG_CACHE_HOME/huggingface``, else ``~/.cache/huggingface``."""
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    home = os.environ.get("HF_HOME") or os.path.join(xdg, "huggingface")
    return Path(os.path.expandvars(os.path.expanduser(home)))


def hub_cache_dir() -> Path:
    """The Hub cache directory, resolved from the environment exactly as ``huggingface_hub`` does.

    ``$HF_HUB_CACHE``, else the legacy ``$HUGGINGFACE_HUB_CACHE``, else ``$HF_HOME/hub``, else
    ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub``.
    """
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return Path(os.path.expandvars(os.path.expanduser(explicit)))
    return _hf_home() / "hub"


def hub_token() -> str | None:
    """The access token, found where ``huggingface_hub`` looks for it.

    ``$HF_TOKEN``, else the legacy ``$HUGGING_FACE_HUB_TOKEN``, else the file that
    ``hf auth login`` writes (``$HF_TOKEN_PATH``, else ``$HF_HOME/token``). Blank values count as
    no token.
    """
    for variable in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        value = (os.environ.get(variable) or "").strip()
        if value:
            return value
    token_path = os.environ.get("HF_TOKEN_PATH") or str(_hf_home() / "token")
    try:
        value = Path(os.path.expandvars(os.path.expanduser(token_path))).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return value or None


def is_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` (or the legacy ``TRANSFORMERS_OFFLINE``) is set to true."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in _TRUE


def snapshot_download(
    repo_id: str,
    *,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    token: str | None = None,
    allow_files: FileSelector | None = None,
) -> Path:
    """Make the files a model needs available locally and return their snapshot directory.

    ``revision`` is a branch, tag or commit hash (default ``"main"``). ``token`` defaults to
    :func:`hub_token` (``$HF_TOKEN``, then the ``hf auth login`` token file). ``allow_files``
    maps the repository's file list to the files to fetch; it defaults to the layout detection
    of :func:`static_embed_runner.formats.detect.files_to_download`.

    With ``HF_HUB_OFFLINE=1``, or when the Hub cannot be reached, the cached snapshot of the
    revision is used if it holds every needed file; otherwise :class:`OfflineModeError` says what
    is missing. A full commit hash whose snapshot is complete is served from the cache with no
    request at all.
    """
    _check_repo_id(repo_id)
    revision = revision or "main"
    _check_revision(revision)
    select = allow_files if allow_files is not None else _default_selector()
    cache = Path(cache_dir).expanduser() if cache_dir is not None else hub_cache_dir()
    repo = _RepoCache(cache, repo_id)

    if is_offline():
        return repo.cached_snapshot(revision, select, reason="HF_HUB_OFFLINE is set")
    if _COMMIT_RE.match(revision):
        with contextlib.suppress(OfflineModeError):
            return repo.cached_snapshot(revision, select, reason="")

    hub = _Hub(token if token is not None else hub_token())
    try:
        commit, filenames = hub.list_files(repo_id, revision)
    except _HubUnreachable as exc:
        return repo.cached_snapshot(revision, select, reason=str(exc))
    try:
        needed = select(filenames)
    except ModelFormatError as exc:
        raise type(exc)(f"{repo_id} at revision {revision!r}: {exc}") from exc
    repo.remove_stale_partial_files()
    for name in needed:
        repo.fetch(hub, commit, name)
    if revision != commit:
        repo.write_ref(revision, commit)
    return repo.snapshot_dir(commit)


def _default_selector() -> FileSelector:
    from ..formats.detect import files_to_download

    return files_to_download


# --------------------------------------------------------------------------------------------
# Validation of names that end up as paths on disk


def _check_repo_id(repo_id: str) -> None:
    parts = repo_id.split("/") if isinstance(repo_id, str) else []
    valid = (
        1 <= len(parts) <= 2
        and len(repo_id) <= 96
        and all(_REPO_PART_RE.match(part) for part in parts)
        and ".." not in repo_id
        and "--" not in repo_id
        and not repo_id.endswith(".")
    )
    if not valid:
        raise HubError(
            f"invalid Hugging Face repository id {repo_id!r}: expected 'org/name' made of letters, "
            "digits, '-', '_' and '.' (no '--' or '..', at most 96 characters)"
        )


def _check_revision(revision: str) -> None:
    parts = revision.split("/")
    if (
        "\\" in revision
        or ":" in revision
        or "\x00" in revision
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise HubError(
            f"invalid revision {revision!r}: expected a branch, tag or commit hash without empty, "
            "'.' or '..' path segments, backslashes or drive letters"
        )


def _safe_relative_path(name: object, *, repo_id: str) -> str:
    """A repository file name from the server, accepted only if it stays inside the snapshot."""
    text = name if isinstance(name, str) else ""
    parts = text.split("/")
    unsafe = (
        not text
        or "\\" in text
        or "\x00" in text
        or text.startswith("/")
        or re.match(r"^[A-Za-z]:", text) is not None
        or any(part in ("", ".", "..") for part in parts)
    )
    if unsafe:
        raise HubError(
            f"the Hub listing of {repo_id} contains the file name {name!r}, which would escape the "
            "cache directory (absolute path, '..', backslash or drive letter); refusing to download"
        )
    return text


# --------------------------------------------------------------------------------------------
# HTTP


class _HubUnreachable(Exception):
    """The listing request failed for network reasons (or a 5xx): the cache may still serve it."""


@dataclass(frozen=True)
class _RemoteFile:
    """What a ``HEAD`` on a resolve URL announced about one file."""

    etag: str
    size: int | None
    download_url: str
    checksum: str | None  # "sha256" (LFS), "git-sha1" (a regular file on the Hub) or None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Surface 3xx responses as ``HTTPError`` so their headers (Hub metadata) stay readable."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: email.message.Message,
        newurl: str,
    ) -> None:
        return None


def _http_only_opener() -> urllib.request.OpenerDirector:
    """An opener that speaks http and https only (no file, ftp or data handlers)."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        _NoRedirect(),
    ):
        opener.add_handler(handler)
    return opener


_OPENER = _http_only_opener()


def redirect_target(current: str, location: str) -> str:
    """Where a redirect from ``current`` to ``location`` leads, if it may be followed.

    Only http(s) targets are followed, and never from https down to http.
    """
    target = urllib.parse.urljoin(current, location)
    scheme = urllib.parse.urlsplit(target).scheme.lower()
    if scheme not in _SCHEMES:
        raise HubError(
            f"{current} redirected to {target[:200]!r}; only http and https redirects are followed"
        )
    if scheme == "http" and urllib.parse.urlsplit(current).scheme.lower() == "https":
        raise HubError(
            f"{current} redirected to the unencrypted {target[:200]!r}; a redirect from https to "
            "http is refused (the request and its token would travel in clear)"
        )
    return target


def _env_seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class _Hub:
    """Requests to the Hub endpoint; the token is only ever sent to the endpoint's own host."""

    def __init__(self, token: str | None) -> None:
        self.endpoint = (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        split = urllib.parse.urlsplit(self.endpoint)
        if split.scheme.lower() not in _SCHEMES or not split.netloc:
            raise HubError(f"HF_ENDPOINT must be an http or https URL, found {self.endpoint!r}")
        self.scheme = split.scheme.lower()
        self.host = split.netloc.lower()
        self.token = token or None
        self.metadata_timeout = _env_seconds("HF_HUB_ETAG_TIMEOUT", 10.0)
        self.download_timeout = _env_seconds("HF_HUB_DOWNLOAD_TIMEOUT", 10.0)

    def _headers(self, url: str) -> dict[str, str]:
        from .. import __version__

        headers = {
            "User-Agent": f"static-embed-runner/{__version__}; python/{sys.version.split()[0]}",
            "Accept-Encoding": "identity",
        }
        if self.token and self._on_hub(url):
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _on_hub(self, url: str) -> bool:
        split = urllib.parse.urlsplit(url)
        return split.scheme.lower() == self.scheme and split.netloc.lower() == self.host

    def _open(self, method: str, url: str, timeout: float) -> HTTPResponse:
        request = urllib.request.Request(url, method=method, headers=self._headers(url))
        return _OPENER.open(request, timeout=timeout)

    def list_files(self, repo_id: str, revision: str) -> tuple[str, list[str]]:
        """The commit a revision points to and the repository's file names at that commit."""
        url = (
            f"{self.endpoint}/api/models/{repo_id}/revision/{urllib.parse.quote(revision, safe='')}"
        )
        try:
            with self._get_following(url, self.metadata_timeout) as response:
                body = response.read(MAX_LISTING_BYTES + 1)
            if len(body) > MAX_LISTING_BYTES:
                raise HubError(
                    f"the Hub listing {url} is larger than {MAX_LISTING_BYTES:,} bytes; refusing it"
                )
            payload = parse_json(body, f"the Hub listing {url}", error=HubError)
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                raise _HubUnreachable(f"the Hub answered {exc.code} for {url}") from exc
            raise _status_error(exc, url, repo_id=repo_id, revision=revision) from exc
        except (urllib.error.URLError, HTTPException, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise _HubUnreachable(f"cannot reach {url} ({reason})") from exc
        return _parse_listing(payload, url=url, repo_id=repo_id)

    def head(self, repo_id: str, url: str) -> _RemoteFile:
        """Resolve a file's etag and size, stopping at the redirect that carries LFS metadata."""
        current = url
        for _ in range(_MAX_REDIRECTS):
            try:
                response = self._open("HEAD", current, self.metadata_timeout)
            except urllib.error.HTTPError as exc:
                if exc.code not in _REDIRECT_CODES or "Location" not in exc.headers:
                    raise _status_error(exc, current, repo_id=repo_id) from exc
                exc.close()
                target = redirect_target(current, exc.headers["Location"])
                if exc.headers.get("X-Linked-Etag") or not self._on_hub(target):
                    return _remote_file(exc.headers, target, url, redirected=True)
                current = target
                continue
            except (urllib.error.URLError, HTTPException, TimeoutError, ConnectionError) as exc:
                raise HubError(f"cannot reach {current}: {getattr(exc, 'reason', exc)}") from exc
            with response:
                return _remote_file(response.headers, current, url, redirected=False)
        raise HubError(f"more than {_MAX_REDIRECTS} redirects while resolving {url}")

    @contextlib.contextmanager
    def _get_following(self, url: str, timeout: float) -> Iterator[HTTPResponse]:
        """``GET`` following redirects; the Authorization header is dropped off the Hub host."""
        current = url
        for _ in range(_MAX_REDIRECTS):
            try:
                response = self._open("GET", current, timeout)
            except urllib.error.HTTPError as exc:
                if exc.code in _REDIRECT_CODES and "Location" in exc.headers:
                    exc.close()
                    current = redirect_target(current, exc.headers["Location"])
                    continue
                raise
            with response:
                yield response
            return
        raise HubError(f"more than {_MAX_REDIRECTS} redirects while fetching {url}")

    def download(self, remote: _RemoteFile, out: BinaryIO) -> tuple[int, str]:
        """Stream a file body into ``out``; returns the byte count and the body's sha256."""
        digest = hashlib.sha256()
        count = 0
        limit = remote.size if remote.size is not None else MAX_UNKNOWN_SIZE_BYTES
        try:
            with self._get_following(remote.download_url, self.download_timeout) as response:
                while chunk := response.read(_CHUNK):
                    count += len(chunk)
                    if count > limit:
                        break
                    digest.update(chunk)
                    _write_chunk(out, chunk)
        except urllib.error.HTTPError as exc:
            raise _status_error(exc, remote.download_url, repo_id=None) from exc
        except (urllib.error.URLError, HTTPException, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise HubError(f"download of {remote.download_url} failed: {reason}") from exc
        return count, digest.hexdigest()


def _write_chunk(out: BinaryIO, chunk: bytes) -> None:
    out.write(chunk)


def _parse_listing(payload: object, *, url: str, repo_id: str) -> tuple[str, list[str]]:
    if not isinstance(payload, dict):
        raise HubError(f"the Hub answered {url} with {type(payload).__name__}, expected an object")
    commit = payload.get("sha")
    if not isinstance(commit, str) or not _COMMIT_RE.match(commit):
        raise HubError(f"the Hub listing {url} has no valid 'sha' (40 hex digits): {commit!r}")
    siblings = payload.get("siblings")
    if not isinstance(siblings, list) or not all(isinstance(s, dict) for s in siblings):
        raise HubError(f"the Hub listing {url} has no 'siblings' list of {{'rfilename': ...}}")
    names = [_safe_relative_path(s.get("rfilename"), repo_id=repo_id) for s in siblings]
    return commit, names


def _remote_file(headers, download_url: str, url: str, *, redirected: bool) -> _RemoteFile:  # type: ignore[no-untyped-def]
    raw_etag = headers.get("X-Linked-Etag") or headers.get("ETag")
    etag = _normalize_etag(raw_etag)
    if etag is None or not _ETAG_RE.match(etag):
        raise HubError(
            f"the Hub answered {url} without a usable ETag (got {raw_etag!r}); cannot place the "
            "file in the cache"
        )
    size_text = headers.get("X-Linked-Size") or (
        None if redirected else headers.get("Content-Length")
    )
    try:
        size = int(size_text) if size_text is not None else None
    except ValueError:
        size = None
    if size is not None and size < 0:
        size = None
    return _RemoteFile(
        etag=etag, size=size, download_url=download_url, checksum=_checksum_kind(etag, redirected)
    )


def _checksum_kind(etag: str, redirected: bool) -> str | None:
    """How a blob named ``etag`` can be checked: its sha256, its git blob SHA-1 (the ETag the
    Hub's own answer gives a regular file, not a CDN's), or not at all."""
    if _SHA256_RE.match(etag):
        return "sha256"
    if _GIT_SHA1_RE.match(etag) and not redirected:
        return "git-sha1"
    return None


def _normalize_etag(etag: str | None) -> str | None:
    """``W/"abc"`` and ``"abc"`` both become ``abc`` (the form used as a blob file name)."""
    if etag is None:
        return None
    value = etag.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def _status_error(
    exc: urllib.error.HTTPError, url: str, *, repo_id: str | None, revision: str | None = None
) -> HubError:
    """The error a user can act on for an HTTP error status from the Hub."""
    code = exc.code
    error_code = exc.headers.get("X-Error-Code", "") if exc.headers else ""
    what = repo_id or url
    if error_code == "RevisionNotFound":
        return RepositoryNotFoundError(
            f"revision {revision!r} not found in {what} (HTTP {code} from {url}); check the "
            "branch, tag or commit hash"
        )
    if error_code == "EntryNotFound":
        return HubError(
            f"{url} not found on the Hub (HTTP {code} EntryNotFound) although the repository "
            "listing names it; the repository may have changed, retry"
        )
    if error_code == "RepoNotFound" or code == 404:
        subject = what if revision in (None, "main") else f"{what} or its revision {revision!r}"
        hint = (
            " If it is private or gated, set HF_TOKEN to a token with access."
            if code == 401
            else ""
        )
        return RepositoryNotFoundError(
            f"{subject} not found on the Hub (HTTP {code} from {url}); check the repository "
            f"id.{hint}"
        )
    if code in (401, 403) or error_code == "GatedRepo":
        return GatedRepoError(
            f"access to {what} denied (HTTP {code} from {url}): the repository is gated or "
            "private. Accept its terms on the Hub and set HF_TOKEN (or pass token=...) to a token "
            "with access."
        )
    if code == 429:
        return HubError(
            f"rate limited by the Hub (HTTP 429 for {url}); retry later or set HF_TOKEN"
        )
    return HubError(f"the Hub answered HTTP {code} for {url}")


# --------------------------------------------------------------------------------------------
# Cache


class _RepoCache:
    """One repository's folder in the shared cache: refs, blobs, snapshots and lock files."""

    def __init__(self, cache: Path, repo_id: str) -> None:
        folder = "--".join(["models", *repo_id.split("/")])
        self.repo_id = repo_id
        self.root = cache / folder
        self.blobs = self.root / "blobs"
        self.locks = cache / ".locks" / folder

    def snapshot_dir(self, commit: str) -> Path:
        return self.root / "snapshots" / commit

    def resolve_ref(self, revision: str) -> str | None:
        if _COMMIT_RE.match(revision):
            return revision
        try:
            commit = (self.root / "refs" / revision).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return commit if _COMMIT_RE.match(commit) else None

    def write_ref(self, revision: str, commit: str) -> None:
        ref = self.root / "refs" / revision
        with contextlib.suppress(OSError):
            if ref.read_text(encoding="utf-8") == commit:
                return
        ref.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=ref.parent, prefix=f".{ref.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(commit)
            os.replace(tmp, ref)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def cached_snapshot(self, revision: str, select: FileSelector, *, reason: str) -> Path:
        """The cached snapshot of ``revision`` if it has all needed files, else OfflineModeError."""
        how = (
            f"Download {self.repo_id} once with network access (HF_HUB_OFFLINE unset), "
            "or pass a local model directory."
        )
        why = f" ({reason})" if reason else ""
        commit = self.resolve_ref(revision)
        snapshot = self.snapshot_dir(commit) if commit else None
        if snapshot is None or not snapshot.is_dir():
            raise OfflineModeError(
                f"{self.repo_id} at revision {revision!r} is not in the cache {self.root}{why}. "
                f"{how}"
            )
        present = _files_under(snapshot)
        listing = sorted(set(present) | set(_tree_cache_listing(self.root, commit)))
        try:
            needed = select(listing)
        except StaticEmbedRunnerError as exc:
            raise OfflineModeError(
                f"the cached snapshot {snapshot} of {self.repo_id} is incomplete: {exc}{why}. {how}"
            ) from exc
        missing = [name for name in needed if name not in present]
        if missing:
            raise OfflineModeError(
                f"the cached snapshot {snapshot} of {self.repo_id} lacks {', '.join(missing)}"
                f"{why}. {how}"
            )
        corrupt = [name for name in needed if not self.intact(snapshot / PurePosixPath(name))]
        if corrupt:
            raise OfflineModeError(
                f"the cached snapshot {snapshot} of {self.repo_id} has corrupt files (their "
                f"content does not match their hash): {', '.join(corrupt)}{why}. {how}"
            )
        return snapshot

    def fetch(self, hub: _Hub, commit: str, name: str) -> Path:
        """Place ``snapshots/{commit}/{name}``, downloading its blob unless the cache has an
        intact copy."""
        pointer = self.snapshot_dir(commit) / PurePosixPath(name)
        if pointer.is_file() and self.intact(pointer):
            return pointer
        url = f"{hub.endpoint}/{self.repo_id}/resolve/{commit}/{urllib.parse.quote(name)}"
        remote = hub.head(self.repo_id, url)
        blob = self.blobs / remote.etag
        with _exclusive_lock(self.locks / f"{remote.etag}.lock"):
            self._remove_partial_files(remote.etag)
            if not (blob.is_file() and self._blob_matches(blob, remote.etag, remote.size)):
                with contextlib.suppress(FileNotFoundError):
                    blob.unlink()
                self._download_blob(hub, remote, blob, name)
            _link(blob, pointer)
        return pointer

    def intact(self, pointer: Path) -> bool:
        """Whether the blob a snapshot file points to still has the content its name promises
        (a copy made without symlinks has no such name and is taken as it is)."""
        if not pointer.is_symlink():
            return True
        blob = Path(os.path.realpath(pointer))
        if blob.parent != Path(os.path.realpath(self.blobs)):
            return True
        return self._blob_matches(blob, blob.name, None)

    def _blob_matches(self, blob: Path, etag: str, size: int | None) -> bool:
        """Whether ``blob`` has ``size`` bytes (when known) and the content hash its ``etag``
        names (sha256 or git blob SHA-1; an etag that is neither is taken on trust).

        A blob is hashed once: the check leaves a stamp of the file's identity (device, inode,
        size, modification time) beside the blob's lock, and a blob whose identity still
        matches its stamp, in this process or a later one, is not hashed again.
        """
        stamp = self.locks / f"{etag}.verified"
        try:
            identity = _identity(blob)
            if size is not None and identity[2] != size:
                return False
            if identity in _VERIFIED or _read_stamp(stamp) == identity:
                _VERIFIED.add(identity)
                return True
            if _SHA256_RE.match(etag):
                matches = _file_digest(blob, hashlib.sha256()) == etag
            elif _GIT_SHA1_RE.match(etag):
                matches = _git_blob_sha1(blob) == etag
            else:
                return True
        except OSError:
            return False
        if matches:
            self._stamp_verified(blob, etag)
        return matches

    def _stamp_verified(self, blob: Path, etag: str) -> None:
        identity = _identity(blob)
        _VERIFIED.add(identity)
        stamp = self.locks / f"{etag}.verified"
        with contextlib.suppress(OSError):
            stamp.parent.mkdir(parents=True, exist_ok=True)
            tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
            tmp.write_text(" ".join(map(str, identity)), encoding="ascii")
            os.replace(tmp, stamp)

    def remove_stale_partial_files(self) -> None:
        """Delete ``.incomplete`` files whose blob's lock is free: their download was killed (a
        download in progress, in any process, holds the lock while it writes)."""
        try:
            partial = [entry.name for entry in os.scandir(self.blobs)]
        except OSError:
            return
        etags = {name.split(".", 1)[0] for name in partial if name.endswith(".incomplete")}
        for etag in sorted(etags):
            if not _ETAG_RE.match(etag):
                continue
            with _try_lock(self.locks / f"{etag}.lock") as acquired:
                if acquired:
                    self._remove_partial_files(etag)

    def _remove_partial_files(self, etag: str) -> None:
        """Delete ``{etag}.incomplete`` (huggingface_hub's name) and ``{etag}.*.incomplete``
        (ours); the caller holds the blob's lock."""
        for stale in [self.blobs / f"{etag}.incomplete", *self.blobs.glob(f"{etag}.*.incomplete")]:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                stale.unlink()

    def _download_blob(self, hub: _Hub, remote: _RemoteFile, blob: Path, name: str) -> None:
        blob.parent.mkdir(parents=True, exist_ok=True)
        tmp = blob.with_name(f"{blob.name}.{os.urandom(4).hex()}.incomplete")
        try:
            try:
                with open(tmp, "xb") as out:  # closing flushes: a full disk can show up here too
                    count, sha256 = hub.download(remote, out)
            except HubError:
                raise
            except OSError as exc:
                raise _disk_error(exc, blob, name, self.repo_id) from exc
            self._verify(remote, count, sha256, name)
            if remote.checksum == "git-sha1" and _git_blob_sha1(tmp) != remote.etag:
                raise DownloadIntegrityError(
                    f"{self.repo_id}/{name}: the git blob SHA-1 of the downloaded bytes is not "
                    f"the {remote.etag} the Hub announced as its ETag; nothing was stored, retry "
                    "the download"
                )
            os.replace(tmp, blob)
            self._stamp_verified(blob, remote.etag)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def _verify(self, remote: _RemoteFile, count: int, sha256: str, name: str) -> None:
        if remote.size is None and count > MAX_UNKNOWN_SIZE_BYTES:
            raise DownloadIntegrityError(
                f"{self.repo_id}/{name}: the server announced no size and sent more than "
                f"{MAX_UNKNOWN_SIZE_BYTES:,} bytes, the cap for such a file; nothing was stored"
            )
        if remote.size is not None and count != remote.size:
            raise DownloadIntegrityError(
                f"{self.repo_id}/{name}: the Hub announced {remote.size} bytes, received "
                f"{count}{' or more' if count > remote.size else ''} from {remote.download_url}; "
                "nothing was stored, retry the download"
            )
        if _SHA256_RE.match(remote.etag) and sha256 != remote.etag:
            raise DownloadIntegrityError(
                f"{self.repo_id}/{name}: sha256 of the downloaded bytes is {sha256}, the Hub "
                f"announced {remote.etag}; nothing was stored, retry the download"
            )


# Blobs checked by this process, by (device, inode, size, mtime) (see _RepoCache._blob_matches).
_VERIFIED: set[tuple[int, int, int, int]] = set()


def _identity(path: Path) -> tuple[int, int, int, int]:
    stat = path.stat()
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _read_stamp(stamp: Path) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in stamp.read_text(encoding="ascii").split())
    except (OSError, ValueError):
        return None


def _git_blob_sha1(path: Path) -> str:
    """The git blob id of a file: ``sha1(b"blob <size>\\0" + content)``."""
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    return _file_digest(path, digest)


def _file_digest(path: Path, digest: hashlib._Hash) -> str:
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _disk_error(exc: OSError, blob: Path, name: str, repo_id: str) -> HubError:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return HubError(
            f"disk full while downloading {repo_id}/{name} into {blob.parent}: free some space "
            "(or point HF_HUB_CACHE at a larger disk) and retry; nothing was stored"
        )
    return HubError(f"cannot write {repo_id}/{name} into {blob.parent}: {exc}")


def _files_under(snapshot: Path) -> list[str]:
    """Relative POSIX paths of the readable files in a snapshot (broken symlinks excluded)."""
    found = []
    for dirpath, _dirnames, filenames in os.walk(snapshot, followlinks=True):
        base = Path(dirpath)
        for filename in filenames:
            path = base / filename
            if path.is_file():
                found.append(path.relative_to(snapshot).as_posix())
    return sorted(found)


def _tree_cache_listing(root: Path, commit: str) -> list[str]:
    """File names from the tree listing ``huggingface_hub`` caches per commit, if there is one."""
    try:
        data = read_json_file(root / "trees" / f"{commit}.json", max_bytes=MAX_LISTING_BYTES)
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [name for name in files if isinstance(name, str)] if isinstance(files, dict) else []


def _link(blob: Path, pointer: Path) -> None:
    """Point ``pointer`` at ``blob`` by a relative symlink; copy where symlinks are unavailable."""
    pointer.parent.mkdir(parents=True, exist_ok=True)
    target = os.path.relpath(blob, pointer.parent)
    tmp = pointer.with_name(f".{pointer.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        try:
            os.symlink(target, tmp)
        except (OSError, NotImplementedError):
            shutil.copyfile(blob, tmp)
        os.replace(tmp, pointer)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def _try_lock(path: Path) -> Iterator[bool]:
    """The lock on ``path`` if it is free right now (yields True, held until the block ends),
    else yields False at once."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield False
        return
    try:
        if os.name == "nt":
            import msvcrt

            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                yield False
                return
            try:
                yield True
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """An inter-process lock on ``path`` (``flock``; ``msvcrt`` on Windows), like ``filelock``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if os.name == "nt":
            import msvcrt
            import time

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
