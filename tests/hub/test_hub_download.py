"""Hub downloads against a local server that answers like the Hub: cache layout, offline use,
revisions, integrity, errors a user can act on, path safety, concurrency and disk-full handling."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hub.fake_hub import REPO, git_blob_id, is_lfs, subprocess_env

from static_embed_runner.errors import (
    DownloadIntegrityError,
    GatedRepoError,
    HubError,
    OfflineModeError,
    RepositoryNotFoundError,
    UnknownModelLayoutError,
)
from static_embed_runner.formats.detect import files_to_download
from static_embed_runner.io import hub as hub_module
from static_embed_runner.io.hub import hub_cache_dir, snapshot_download

REPO_DIR = "models--minishlab--tiny-model"


def needed_files(files: dict[str, bytes]) -> list[str]:
    return sorted(files_to_download(sorted(files)))


def snapshot_files(snapshot: Path) -> dict[str, bytes]:
    return {
        p.relative_to(snapshot).as_posix(): p.read_bytes()
        for p in snapshot.rglob("*")
        if p.is_file()
    }


def leftovers(cache_dir: Path) -> list[str]:
    return sorted(p.name for p in cache_dir.rglob("*") if p.name.endswith((".incomplete", ".tmp")))


def test_first_download_fetches_only_the_files_the_layout_needs(fake_hub, cache_dir, main_files):
    snapshot = snapshot_download(REPO)

    commit = fake_hub.repos[REPO].refs["main"]
    assert snapshot == cache_dir / REPO_DIR / "snapshots" / commit
    needed = needed_files(main_files)
    assert {"model.safetensors", "tokenizer.json"} <= set(needed)
    assert snapshot_files(snapshot) == {name: main_files[name] for name in needed}
    fetched = fake_hub.served_bodies()
    assert not any("onnx" in path for path in fetched)
    assert len(fetched) == len(needed)


def test_cache_layout_matches_huggingface_hub(fake_hub, cache_dir, main_files):
    snapshot = snapshot_download(REPO)

    root = cache_dir / REPO_DIR
    commit = fake_hub.repos[REPO].refs["main"]
    assert (root / "refs" / "main").read_text() == commit
    for name in needed_files(main_files):
        pointer = snapshot / name
        data = main_files[name]
        etag = hashlib.sha256(data).hexdigest() if is_lfs(name) else git_blob_id(data)
        assert pointer.is_symlink()
        assert os.readlink(pointer) == os.path.relpath(root / "blobs" / etag, pointer.parent)
        assert (root / "blobs" / etag).read_bytes() == data
    assert leftovers(cache_dir) == []


def test_huggingface_hub_reads_our_cache(fake_hub, cache_dir, main_files):
    from huggingface_hub import hf_hub_download, scan_cache_dir

    snapshot_download(REPO)
    fake_hub.stop()

    info = scan_cache_dir(cache_dir)
    assert info.warnings == []
    (repo,) = info.repos
    assert repo.repo_id == REPO
    (revision,) = repo.revisions
    assert revision.commit_hash == snapshot_download(REPO).name
    assert set(revision.refs) == {"main"}
    for name in needed_files(main_files):
        path = hf_hub_download(REPO, name, cache_dir=cache_dir, local_files_only=True)
        assert Path(path).read_bytes() == main_files[name]


def test_a_cache_written_by_huggingface_hub_loads_with_the_server_stopped(
    fake_hub, cache_dir, main_files, monkeypatch
):
    from huggingface_hub import constants as hf_constants
    from huggingface_hub import snapshot_download as hf_snapshot_download

    # huggingface_hub reads HF_HUB_OFFLINE once at import; another test module may have imported
    # it while offline mode was set, so switch its frozen copy back on for this download.
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)

    hf_path = hf_snapshot_download(REPO, cache_dir=cache_dir, endpoint=fake_hub.endpoint)
    fake_hub.stop()
    fake_hub.requests.clear()

    snapshot = snapshot_download(REPO)

    assert snapshot == Path(hf_path)
    needed = needed_files(main_files)
    assert {k: v for k, v in snapshot_files(snapshot).items() if k in needed} == {
        name: main_files[name] for name in needed
    }
    assert fake_hub.requests == []


def test_cached_model_loads_with_the_server_stopped(fake_hub):
    first = snapshot_download(REPO)
    fake_hub.stop()

    assert snapshot_download(REPO) == first


def test_hf_hub_offline_uses_the_cache_without_any_request(fake_hub, monkeypatch):
    first = snapshot_download(REPO)
    fake_hub.requests.clear()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    assert snapshot_download(REPO) == first
    assert fake_hub.requests == []


def test_hf_hub_offline_without_cache_names_the_repo_and_the_fix(fake_hub, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    with pytest.raises(OfflineModeError, match="HF_HUB_OFFLINE") as info:
        snapshot_download(REPO)
    assert REPO in str(info.value)
    assert fake_hub.requests == []


def test_offline_with_an_incomplete_snapshot_lists_the_missing_file(fake_hub, monkeypatch):
    snapshot = snapshot_download(REPO)
    (snapshot / "tokenizer.json").unlink()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    with pytest.raises(OfflineModeError, match=r"tokenizer\.json"):
        snapshot_download(REPO)


def test_unreachable_hub_and_empty_cache_raise_offline_error_with_the_url(fake_hub):
    endpoint = fake_hub.endpoint
    fake_hub.stop()

    with pytest.raises(OfflineModeError, match="cannot reach") as info:
        snapshot_download(REPO)
    assert f"{endpoint}/api/models/{REPO}/revision/main" in str(info.value)


def test_revisions_are_pinned_and_unchanged_files_share_one_blob(
    fake_hub, cache_dir, main_files, v2_files
):
    refs = fake_hub.repos[REPO].refs
    main = snapshot_download(REPO)
    v2 = snapshot_download(REPO, revision="v2")
    by_commit = snapshot_download(REPO, revision=refs["main"])

    assert main.name == refs["main"] and v2.name == refs["v2"] and by_commit == main
    assert (main / "model.safetensors").read_bytes() == main_files["model.safetensors"]
    assert (v2 / "model.safetensors").read_bytes() == v2_files["model.safetensors"]
    assert main_files["model.safetensors"] != v2_files["model.safetensors"]
    assert (cache_dir / REPO_DIR / "refs" / "v2").read_text() == refs["v2"]
    assert main_files["tokenizer.json"] == v2_files["tokenizer.json"]
    assert os.readlink(main / "tokenizer.json") == os.readlink(v2 / "tokenizer.json")


def test_a_cached_commit_hash_needs_no_network(fake_hub):
    commit = fake_hub.repos[REPO].refs["v2"]
    snapshot_download(REPO, revision=commit)
    fake_hub.requests.clear()

    assert snapshot_download(REPO, revision=commit).name == commit
    assert fake_hub.requests == []


@pytest.mark.parametrize("tamper", ["corrupt", "truncate"])
def test_a_payload_that_does_not_match_its_etag_is_rejected_and_not_stored(
    fake_hub, cache_dir, main_files, tamper
):
    sha = hashlib.sha256(main_files["model.safetensors"]).hexdigest()
    getattr(fake_hub, f"{tamper}_sha256").add(sha)

    with pytest.raises(DownloadIntegrityError, match=r"model\.safetensors"):
        snapshot_download(REPO)

    root = cache_dir / REPO_DIR
    assert not (root / "blobs" / sha).exists()
    assert not (
        root / "snapshots" / fake_hub.repos[REPO].refs["main"] / "model.safetensors"
    ).exists()
    assert leftovers(cache_dir) == []

    getattr(fake_hub, f"{tamper}_sha256").clear()
    snapshot = snapshot_download(REPO)
    assert (snapshot / "model.safetensors").read_bytes() == main_files["model.safetensors"]


def test_unknown_repository_raises_repository_not_found(fake_hub):
    with pytest.raises(RepositoryNotFoundError, match="minishlab/missing"):
        snapshot_download("minishlab/missing")


def test_unknown_revision_is_worded_as_a_revision_problem(fake_hub):
    with pytest.raises(RepositoryNotFoundError, match="revision 'no-such-branch' not found"):
        snapshot_download(REPO, revision="no-such-branch")


def test_gated_repository_without_token_asks_for_hf_token(fake_hub, main_files):
    fake_hub.add_commit("org/gated", main_files)
    fake_hub.repos["org/gated"].token = "hf_secret"

    with pytest.raises(GatedRepoError, match="HF_TOKEN") as info:
        snapshot_download("org/gated")
    assert "401" in str(info.value)
    with pytest.raises(GatedRepoError, match="403"):
        snapshot_download("org/gated", token="hf_wrong")


def test_token_from_hf_token_is_sent_to_the_hub_but_not_to_the_cdn(
    fake_hub, monkeypatch, main_files
):
    fake_hub.add_commit("org/gated", main_files)
    fake_hub.repos["org/gated"].token = "hf_secret"
    monkeypatch.setenv("HF_TOKEN", "hf_secret")

    snapshot = snapshot_download("org/gated")

    assert (snapshot / "model.safetensors").read_bytes() == main_files["model.safetensors"]
    cdn = [r for r in fake_hub.requests if r.path.startswith("/cdn/")]
    hub_side = [r for r in fake_hub.requests if not r.path.startswith("/cdn/")]
    assert cdn and all(r.authorization is None for r in cdn)
    assert hub_side and all(r.authorization == "Bearer hf_secret" for r in hub_side)


@pytest.mark.parametrize("where", ["hf_home", "hf_token_path"])
def test_token_saved_by_hf_auth_login_is_used_when_hf_token_is_unset(
    fake_hub, monkeypatch, tmp_path, main_files, where
):
    fake_hub.add_commit("org/gated", main_files)
    fake_hub.repos["org/gated"].token = "hf_secret"
    if where == "hf_home":
        token_file = Path(os.environ["HF_HOME"]) / "token"
    else:
        token_file = tmp_path / "elsewhere" / "my-token"
        monkeypatch.setenv("HF_TOKEN_PATH", str(token_file))
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text("hf_secret\n")

    snapshot = snapshot_download("org/gated")

    assert (snapshot / "model.safetensors").read_bytes() == main_files["model.safetensors"]
    hub_side = [r for r in fake_hub.requests if not r.path.startswith("/cdn/")]
    assert hub_side and all(r.authorization == "Bearer hf_secret" for r in hub_side)


def test_hf_token_takes_precedence_over_the_login_token_file(fake_hub, monkeypatch, main_files):
    fake_hub.add_commit("org/gated", main_files)
    fake_hub.repos["org/gated"].token = "hf_secret"
    token_file = Path(os.environ["HF_HOME"]) / "token"
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text("hf_stale")
    monkeypatch.setenv("HF_TOKEN", "hf_secret")

    snapshot_download("org/gated")

    assert all(
        r.authorization == "Bearer hf_secret"
        for r in fake_hub.requests
        if not r.path.startswith("/cdn/")
    )


@pytest.mark.parametrize(
    "evil",
    ["../../escape.json", "/etc/evil.json", "sub\\..\\..\\evil.json", "C:/evil.json", "a//b"],
)
def test_file_names_that_would_escape_the_cache_are_rejected(fake_hub, tmp_path, evil):
    fake_hub.repos[REPO].extra_names.append(evil)

    with pytest.raises(HubError, match="escape the cache"):
        snapshot_download(REPO)
    assert fake_hub.served_bodies() == []
    assert sorted(p.name for p in tmp_path.rglob("*evil*")) == []


@pytest.mark.parametrize("repo_id", ["../etc", "org/../x", "org/a--b", "a/b/c", "", "org/"])
def test_malformed_repository_ids_are_rejected_before_any_request(fake_hub, repo_id):
    with pytest.raises(HubError, match="invalid Hugging Face repository id"):
        snapshot_download(repo_id)
    assert fake_hub.requests == []


@pytest.mark.parametrize("revision", ["../main", "refs/../../x", "C:\\main", "a//b"])
def test_malformed_revisions_are_rejected_before_any_request(fake_hub, revision):
    with pytest.raises(HubError, match="invalid revision"):
        snapshot_download(REPO, revision=revision)
    assert fake_hub.requests == []


def test_disk_full_mid_download_leaves_nothing_that_looks_complete(
    fake_hub, cache_dir, monkeypatch, main_files
):
    def write_half_then_fail(out, chunk):
        out.write(chunk[: len(chunk) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(hub_module, "_write_chunk", write_half_then_fail)

    with pytest.raises(HubError, match="disk full"):
        snapshot_download(REPO)

    root = cache_dir / REPO_DIR
    blobs = sorted(p.name for p in (root / "blobs").iterdir()) if (root / "blobs").exists() else []
    assert blobs == []
    assert leftovers(cache_dir) == []
    assert not (root / "refs" / "main").exists()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineModeError):
        snapshot_download(REPO)


def test_without_symlinks_the_snapshot_holds_copies(fake_hub, monkeypatch, main_files):
    def no_symlinks(*args, **kwargs):
        raise OSError(errno.EPERM, "symlinks not permitted")

    monkeypatch.setattr(hub_module.os, "symlink", no_symlinks)

    snapshot = snapshot_download(REPO)

    for name in needed_files(main_files):
        assert not (snapshot / name).is_symlink()
        assert (snapshot / name).read_bytes() == main_files[name]


CONCURRENT_SCRIPT = """
import sys
from static_embed_runner.io.hub import snapshot_download
print(snapshot_download(sys.argv[1]))
"""


def test_two_processes_downloading_at_once_fetch_each_file_once(fake_hub, cache_dir, main_files):
    # The server holds every file body until both processes have asked for that file, so the two
    # downloads overlap; the per-blob lock must make the second process reuse the first one's blob.
    fake_hub.rendezvous_heads = 2
    env = subprocess_env()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_SCRIPT, REPO],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [proc.communicate(timeout=120) for proc in procs]

    assert [proc.returncode for proc in procs] == [0, 0], [err for _, err in results]
    paths = {out.strip() for out, _ in results}
    assert len(paths) == 1
    snapshot = Path(paths.pop())
    needed = needed_files(main_files)
    assert snapshot_files(snapshot) == {name: main_files[name] for name in needed}
    assert len(fake_hub.served_bodies()) == len(needed)
    assert leftovers(cache_dir) == []


def test_cache_dir_follows_the_huggingface_hub_environment_variables(monkeypatch, tmp_path):
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert hub_cache_dir() == tmp_path / "home" / ".cache" / "huggingface" / "hub"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub_cache_dir() == tmp_path / "xdg" / "huggingface" / "hub"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    assert hub_cache_dir() == tmp_path / "hf-home" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "explicit"))
    assert hub_cache_dir() == tmp_path / "explicit"


def test_a_repository_without_a_supported_layout_is_named_in_the_error(fake_hub):
    fake_hub.add_commit("org/not-a-model", {"README.md": b"# hello\n"})

    with pytest.raises(UnknownModelLayoutError, match="org/not-a-model"):
        snapshot_download("org/not-a-model")
    assert fake_hub.served_bodies() == []


def test_a_nested_sentence_transformers_repo_loads_through_the_runner(
    fake_hub, tmp_path, main_files
):
    from static_embed_runner.runner import StaticEmbedRunner

    modules = [
        {"idx": 0, "name": "0", "path": "0_StaticEmbedding", "type": "StaticEmbedding"},
        {"idx": 1, "name": "1", "path": "1_Normalize", "type": "Normalize"},
    ]
    files = {
        "modules.json": json.dumps(modules).encode(),
        "0_StaticEmbedding/model.safetensors": main_files["model.safetensors"],
        "0_StaticEmbedding/tokenizer.json": main_files["tokenizer.json"],
        "1_Normalize/.gitkeep": b"",
    }
    fake_hub.add_commit("org/nested", files)
    local = tmp_path / "local-copy"
    for name, data in files.items():
        (local / name).parent.mkdir(parents=True, exist_ok=True)
        (local / name).write_bytes(data)

    from_hub = StaticEmbedRunner.load("org/nested")
    texts = ["A cat sits on the mat.", "東京は日本の首都です。"]

    assert np.array_equal(from_hub.encode(texts), StaticEmbedRunner.load(local).encode(texts))
    snapshot = snapshot_download("org/nested")
    pointer = snapshot / "0_StaticEmbedding" / "model.safetensors"
    assert os.readlink(pointer).startswith("../../../blobs/")


def test_a_listed_file_the_hub_then_cannot_find_is_not_reported_as_a_missing_repo(
    fake_hub, main_files
):
    files = {k: v for k, v in main_files.items() if k != "tokenizer.json"}
    fake_hub.add_commit("org/half", files)
    fake_hub.repos["org/half"].extra_names.append("tokenizer.json")

    with pytest.raises(HubError, match="EntryNotFound") as info:
        snapshot_download("org/half")
    assert not isinstance(info.value, RepositoryNotFoundError)
    assert "resolve/" in str(info.value) and "tokenizer.json" in str(info.value)


def test_a_renamed_repository_is_followed_through_relative_redirects(
    fake_hub, cache_dir, main_files
):
    fake_hub.renamed["old-org/tiny-model"] = REPO

    snapshot = snapshot_download("old-org/tiny-model")

    assert snapshot.parent.parent == cache_dir / "models--old-org--tiny-model"
    needed = needed_files(main_files)
    assert snapshot_files(snapshot) == {name: main_files[name] for name in needed}
    assert any(r.path.startswith("/old-org/") for r in fake_hub.requests)


def test_a_runner_records_where_it_was_loaded_from_so_it_can_be_loaded_again(fake_hub):
    from static_embed_runner.runner import StaticEmbedRunner

    from_hub = StaticEmbedRunner.load(REPO, revision="v2")
    assert (from_hub.source, from_hub.revision) == (REPO, "v2")
    again = StaticEmbedRunner.load(from_hub.source, revision=from_hub.revision)
    assert np.array_equal(again.encode("a text"), from_hub.encode("a text"))
    main = StaticEmbedRunner.load(REPO)  # the revision matters: main holds another table
    assert main.revision is None and not np.array_equal(
        main.encode("a text"), again.encode("a text")
    )
    local = snapshot_download(REPO)
    relative = os.path.relpath(local)
    from_folder = StaticEmbedRunner.load(relative, revision="ignored for a folder")
    assert (from_folder.source, from_folder.revision) == (str(local.resolve()), None)
    assert (StaticEmbedRunner.load().source, StaticEmbedRunner.load().revision) == (None, None)
