"""A Hub server that cannot be trusted: redirects to other schemes or down to http, bodies with
no size, regular files that do not match their git SHA-1, corrupt blobs already in the cache and
partial files left by killed downloads."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hub.fake_hub import REPO, FakeHub, git_blob_id
from hub.tls import make_server_context

from static_embed_runner.errors import DownloadIntegrityError, HubError, OfflineModeError
from static_embed_runner.io import hub as hub_module
from static_embed_runner.io.hub import redirect_target, snapshot_download

REPO_DIR = "models--minishlab--tiny-model"


def resolve_path(hub: FakeHub, name: str, ref: str = "main") -> str:
    return f"/{REPO}/resolve/{hub.repos[REPO].refs[ref]}/{name}"


def cached_contents(cache_dir: Path) -> list[bytes]:
    return [p.read_bytes() for p in cache_dir.rglob("*") if p.is_file() and not p.is_symlink()]


@pytest.mark.parametrize(
    "target",
    ["file://{secret}", "ftp://127.0.0.1/tokenizer.json", "data:text/plain;base64,e30="],
)
def test_a_redirect_to_a_scheme_other_than_http_is_refused_and_nothing_is_cached(
    fake_hub, cache_dir, tmp_path, target
):
    secret = tmp_path / "secret.json"
    secret.write_bytes(b'{"not": "from the hub"}')
    fake_hub.redirects[resolve_path(fake_hub, "tokenizer.json")] = target.format(secret=secret)

    with pytest.raises(HubError, match="only http and https redirects are followed"):
        snapshot_download(REPO)

    assert secret.read_bytes() not in cached_contents(cache_dir)
    assert b"{}" not in cached_contents(cache_dir)


def test_redirect_targets_keep_http_and_https_and_never_step_down_to_http():
    assert redirect_target("http://a/x", "/y") == "http://a/y"
    assert redirect_target("https://a/x", "https://cdn/y") == "https://cdn/y"
    assert redirect_target("http://a/x", "https://a/y") == "https://a/y"
    for current, location in [
        ("https://a/x", "http://a/y"),
        ("https://a/x", "HTTP://cdn/y"),
        ("http://a/x", "file:///etc/passwd"),
        ("https://a/x", "javascript:alert(1)"),
    ]:
        with pytest.raises(HubError):
            redirect_target(current, location)


@pytest.fixture
def tls_hub(hub_env, monkeypatch, tmp_path, main_files):
    """The fake Hub over https, with a CA the client trusts through SSL_CERT_FILE."""
    context, ca_file = make_server_context(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with FakeHub(ssl_context=context) as hub:
        hub.add_commit(REPO, main_files, refs=("main",))
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        yield hub


def test_an_https_hub_that_redirects_to_http_gets_refused_and_the_token_never_travels_in_clear(
    tls_hub, monkeypatch, main_files
):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    with FakeHub() as plain:
        plain.add_commit(REPO, main_files, refs=("main",))
        path = resolve_path(tls_hub, "tokenizer.json")
        tls_hub.redirects[path] = f"http://127.0.0.1:{plain.port}{path}"

        with pytest.raises(HubError, match="from https to http is refused"):
            snapshot_download(REPO)
        assert plain.requests == []

        del tls_hub.redirects[path]
        snapshot = snapshot_download(REPO)  # the same server over https works, token included
    assert (snapshot / "tokenizer.json").read_bytes() == main_files["tokenizer.json"]
    hub_side = [r for r in tls_hub.requests if not r.path.startswith("/cdn/")]
    assert hub_side and all(r.authorization == "Bearer hf_secret" for r in hub_side)


def test_a_file_served_without_a_size_is_capped(fake_hub, cache_dir, monkeypatch, main_files):
    fake_hub.unsized.add("tokenizer.json")
    monkeypatch.setattr(hub_module, "MAX_UNKNOWN_SIZE_BYTES", 1000)
    assert len(main_files["tokenizer.json"]) > 1000

    with pytest.raises(DownloadIntegrityError, match="announced no size and sent more than 1,000"):
        snapshot_download(REPO)
    assert main_files["tokenizer.json"] not in cached_contents(cache_dir)

    monkeypatch.setattr(hub_module, "MAX_UNKNOWN_SIZE_BYTES", 1 << 30)
    snapshot = snapshot_download(REPO)
    assert (snapshot / "tokenizer.json").read_bytes() == main_files["tokenizer.json"]


def test_a_regular_file_that_does_not_match_its_git_blob_sha1_is_rejected(
    fake_hub, cache_dir, main_files
):
    fake_hub.corrupt_files.add("tokenizer.json")

    with pytest.raises(DownloadIntegrityError, match=r"tokenizer\.json: the git blob SHA-1"):
        snapshot_download(REPO)
    assert not (cache_dir / REPO_DIR / "blobs" / git_blob_id(main_files["tokenizer.json"])).exists()

    fake_hub.corrupt_files.clear()
    snapshot = snapshot_download(REPO)
    assert (snapshot / "tokenizer.json").read_bytes() == main_files["tokenizer.json"]


def corrupt_cached_blobs(snapshot: Path) -> None:
    """Cut tokenizer.json's blob short and flip one byte of model.safetensors' (same size), a
    second after they were written (file times are coarser than a test runs)."""
    tokenizer_blob = Path(os.path.realpath(snapshot / "tokenizer.json"))
    tokenizer_blob.write_bytes(tokenizer_blob.read_bytes()[:100])
    table_blob = Path(os.path.realpath(snapshot / "model.safetensors"))
    data = bytearray(table_blob.read_bytes())
    data[-1] ^= 0xFF
    table_blob.write_bytes(bytes(data))
    for blob in (tokenizer_blob, table_blob):
        later = blob.stat().st_mtime_ns + 1_000_000_000
        os.utime(blob, ns=(later, later))


def test_an_intact_cached_blob_is_hashed_once_not_by_every_later_process(
    fake_hub, monkeypatch, main_files
):
    snapshot = snapshot_download(REPO)
    monkeypatch.setattr(hub_module, "_VERIFIED", set())  # a new process

    def no_hashing(*args):
        raise AssertionError("an intact, already checked blob was hashed again")

    monkeypatch.setattr(hub_module, "_file_digest", no_hashing)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert snapshot_download(REPO) == snapshot


def test_a_corrupt_blob_in_the_cache_is_downloaded_again_or_named_when_offline(
    fake_hub, monkeypatch, main_files
):
    snapshot = snapshot_download(REPO)
    corrupt_cached_blobs(snapshot)
    monkeypatch.setattr(hub_module, "_VERIFIED", set())  # a new process: nothing checked yet
    served = len(fake_hub.served_bodies())

    assert snapshot_download(REPO) == snapshot
    for name in ("tokenizer.json", "model.safetensors"):
        assert (snapshot / name).read_bytes() == main_files[name]
    assert len(fake_hub.served_bodies()) == served + 2

    corrupt_cached_blobs(snapshot)
    monkeypatch.setattr(hub_module, "_VERIFIED", set())
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineModeError, match="corrupt files") as info:
        snapshot_download(REPO)
    assert "tokenizer.json" in str(info.value) and "model.safetensors" in str(info.value)


HOLD_LOCK = textwrap.dedent(
    """
    import fcntl, os, sys
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("locked", flush=True)
    sys.stdin.read()
    """
)


@pytest.mark.skipif(os.name == "nt", reason="the lock holder uses fcntl")
def test_partial_files_of_killed_downloads_are_removed_but_not_one_still_being_written(
    fake_hub, cache_dir, main_files
):
    root = cache_dir / REPO_DIR
    blobs = root / "blobs"
    blobs.mkdir(parents=True)
    killed = "a" * 64
    busy = "b" * 64
    fetched = hashlib.sha256(main_files["model.safetensors"]).hexdigest()
    stale = [
        blobs / f"{killed}.0123abcd.incomplete",
        blobs / f"{killed}.incomplete",
        blobs / f"{fetched}.incomplete",
    ]
    for path in stale:
        path.write_bytes(b"half a file")
    in_progress = blobs / f"{busy}.89abcdef.incomplete"
    in_progress.write_bytes(b"being written")
    lock = cache_dir / ".locks" / REPO_DIR / f"{busy}.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        snapshot_download(REPO)
    finally:
        holder.communicate("", timeout=30)

    assert [path for path in stale if path.exists()] == []
    assert in_progress.read_bytes() == b"being written"
