"""The persistent embedding store: hits are the bits a fresh computation gives, a changed model
never returns stale vectors, options that change a vector are kept apart, and two processes
writing one store at once lose nothing."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sqlite3
import struct
from pathlib import Path

import numpy as np
import pytest
from corpus import CORPUS, MODEL_FIXTURES

from static_embed_runner import (
    EmbeddingStore,
    ModelFileNotFoundError,
    StaticEmbedRunner,
    StoreError,
    UnknownModelLayoutError,
)

FLOAT32 = MODEL_FIXTURES / "model2vec-rs-test-model-float32"
TEXTS = [f"{text} ({i})" for i in range(3) for text in CORPUS]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "model"
    shutil.copytree(FLOAT32, path)
    return path


@pytest.fixture
def store(tmp_path: Path) -> EmbeddingStore:
    with EmbeddingStore(tmp_path / "store.sqlite") as store:
        yield store


def missing(store: EmbeddingStore, runner: StaticEmbedRunner, texts: list[str], **options):
    """The texts the store would compute for ``runner.encode(texts, store=store, **options)``."""
    return store.plan(runner, texts, options)[0]


def test_store_hits_return_the_same_bits_as_a_fresh_computation(model, store):
    runner = StaticEmbedRunner.load(model)
    first = runner.encode(TEXTS, store=store)
    assert np.array_equal(first, runner.encode(TEXTS))
    assert len(store) == len(set(TEXTS))
    assert missing(store, runner, TEXTS) == []
    again = runner.encode(TEXTS, store=store)
    assert again.dtype == np.float32 and again.flags.c_contiguous and again.flags.writeable
    assert np.array_equal(again, runner.encode(TEXTS))
    assert np.array_equal(runner.encode(TEXTS[5], store=store), runner.encode(TEXTS[5]))


def test_store_computes_only_the_texts_it_lacks(model, store):
    runner = StaticEmbedRunner.load(model)
    runner.encode(TEXTS[:40], store=store)
    more = [*TEXTS, "a new text", "a new text"]
    assert missing(store, runner, more) == [*TEXTS[40:], "a new text"]
    assert np.array_equal(runner.encode(more, store=store), runner.encode(more))
    assert len(store) == len(set(more))


def test_the_same_model_files_at_another_path_share_the_stored_vectors(model, store, tmp_path):
    runner = StaticEmbedRunner.load(model)
    runner.encode(TEXTS, store=store)
    copy = tmp_path / "elsewhere"
    shutil.copytree(model, copy)
    moved = StaticEmbedRunner.load(copy, table="f32", tokenizer_backend="tokenizers")
    assert moved.content_fingerprint == runner.content_fingerprint
    assert missing(store, moved, TEXTS) == []


def test_two_models_loaded_by_relative_paths_never_share_vectors_after_a_chdir(
    tmp_path, store, monkeypatch
):
    for name in ("model2vec-rs-test-model-float32", "model2vec-rs-test-model-int8"):
        shutil.copytree(MODEL_FIXTURES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    a = StaticEmbedRunner.load("model2vec-rs-test-model-float32")
    b = StaticEmbedRunner.load("model2vec-rs-test-model-int8")
    monkeypatch.chdir(tmp_path / "model2vec-rs-test-model-int8")
    assert a.model_source.directory == str(tmp_path / "model2vec-rs-test-model-float32")
    a.encode(TEXTS, store=store)
    assert a.content_fingerprint != b.content_fingerprint
    assert np.array_equal(b.encode(TEXTS, store=store), b.encode(TEXTS))


def test_a_moved_model_folder_is_a_clear_error_not_an_empty_fingerprint(model, store, tmp_path):
    runner = StaticEmbedRunner.load(model)
    model.rename(tmp_path / "moved")
    with pytest.raises(ModelFileNotFoundError, match="no longer exists"):
        runner.encode(TEXTS, store=store)
    with pytest.raises(ModelFileNotFoundError, match="no longer exists"):
        runner.model_source.load()


def test_a_folder_emptied_of_its_model_files_is_a_clear_error(model, store):
    runner = StaticEmbedRunner.load(model)
    for file in model.iterdir():
        file.unlink()
    (model / "README.md").write_text("not a model")
    with pytest.raises(UnknownModelLayoutError, match="no supported model layout"):
        runner.encode(TEXTS, store=store)


def test_files_the_model_does_not_read_leave_its_fingerprint_unchanged(model, tmp_path):
    before = StaticEmbedRunner.load(model)
    (model / ".git").mkdir()
    (model / ".git" / "HEAD").write_text("ref: refs/heads/main")
    (model / ".cache" / "huggingface").mkdir(parents=True)
    (model / ".cache" / "huggingface" / "model.safetensors.metadata").write_text("etag")
    (model / "README.md").write_text("a model card")
    after = StaticEmbedRunner.load(model)
    assert after.content_fingerprint == before.content_fingerprint
    assert after.fingerprint == before.fingerprint


def test_a_runner_s_truncate_dim_keys_the_store_and_sizes_its_vectors(model, store):
    runner = StaticEmbedRunner.load(model)
    runner.truncate_dim = 1
    kept = runner.encode(TEXTS, store=store)
    assert kept.shape == (len(TEXTS), 1)
    assert np.array_equal(kept, runner.encode(TEXTS, truncate_dim=1))
    runner.truncate_dim = None
    assert np.array_equal(runner.encode(TEXTS, store=store), runner.encode(TEXTS))


def _row_offset(path: Path, tensor: str, row: int) -> int:
    """Byte offset of ``row`` of a float32 ``tensor`` in a safetensors file."""
    header_size = struct.unpack("<Q", path.read_bytes()[:8])[0]
    header = json.loads(path.read_bytes()[8 : 8 + header_size])
    start = header[tensor]["data_offsets"][0]
    dim = header[tensor]["shape"][1]
    return 8 + header_size + start + row * dim * 4


def test_changing_one_byte_of_the_table_invalidates_the_store(model, store):
    runner = StaticEmbedRunner.load(model)
    old = runner.encode(TEXTS, store=store)
    token = runner.token_ids([TEXTS[0]])[0][0]
    table = model / "model.safetensors"
    data = bytearray(table.read_bytes())
    data[_row_offset(table, "embeddings", token) + 3] ^= 0x40
    table.write_bytes(bytes(data))
    changed = StaticEmbedRunner.load(model)
    assert changed.content_fingerprint != runner.content_fingerprint
    fresh = changed.encode(TEXTS)
    assert not np.array_equal(fresh[0], old[0])
    assert np.array_equal(changed.encode(TEXTS, store=store), fresh)


def test_options_that_change_a_vector_are_stored_apart_and_batch_size_is_not(model, store):
    runner = StaticEmbedRunner.load(model)
    variants = [
        {},
        {"normalize": False},
        {"truncate_dim": 1},
        {"prompt": "query: "},
        {"max_length": 4},
    ]
    for options in variants:
        assert np.array_equal(
            runner.encode(TEXTS, store=store, **options), runner.encode(TEXTS, **options)
        )
    assert len(store) == len(variants) * len(set(TEXTS))
    assert missing(store, runner, TEXTS, batch_size=7, normalize=True, max_length="model") == []
    for options in variants:
        assert np.array_equal(
            runner.encode(TEXTS, store=store, **options), runner.encode(TEXTS, **options)
        )


def test_a_pool_and_encode_iter_use_the_store(model, store):
    runner = StaticEmbedRunner.load(model)
    runner.encode(TEXTS[::2], store=store)
    with runner.pool(2, start_method="fork") as pool:
        assert np.array_equal(pool.encode(TEXTS, store=store), runner.encode(TEXTS))
        streamed = list(pool.encode_iter(TEXTS, batch_size=16, store=store))
    assert np.array_equal(np.concatenate(streamed), runner.encode(TEXTS))
    streamed = list(runner.encode_iter([*TEXTS, "late"], batch_size=16, store=store))
    assert np.array_equal(np.concatenate(streamed), runner.encode([*TEXTS, "late"]))
    assert len(store) == len(set(TEXTS)) + 1


def _write_many(path: str, model: str, texts: list[str], start, barrier) -> None:
    runner = StaticEmbedRunner.load(model)
    store = EmbeddingStore(path)
    barrier.wait()
    for i in range(0, len(texts), 5):  # many small transactions, interleaved with the other writer
        runner.encode(texts[i : i + 5], store=store)


def test_two_processes_writing_one_store_at_once_lose_nothing(model, tmp_path):
    path = tmp_path / "shared.sqlite"
    EmbeddingStore(path).close()
    texts = [f"shared text {i}" for i in range(600)]
    halves = [texts[:400], texts[200:]]  # 200 texts written by both
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    writers = [
        context.Process(target=_write_many, args=(str(path), str(model), half, 0, barrier))
        for half in halves
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store = EmbeddingStore(path)
    runner = StaticEmbedRunner.load(model)
    assert len(store) == len(texts)
    assert missing(store, runner, texts) == []
    assert np.array_equal(runner.encode(texts, store=store), runner.encode(texts))


def test_a_file_that_is_not_a_store_is_reported_with_its_path(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"these are not the vectors you are looking for" * 100)
    with pytest.raises(StoreError, match=r"notes\.sqlite: not an embedding store"):
        EmbeddingStore(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        EmbeddingStore(tmp_path / "missing-dir" / "store.sqlite")


def test_a_store_pickles_as_its_path(store):
    import pickle

    copy = pickle.loads(pickle.dumps(store))
    assert copy.path == store.path
    assert len(copy) == len(store)
