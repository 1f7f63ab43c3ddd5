"""The multi-process pool and streaming encode: the same bits as one process, for every layout,
with the fork and spawn start methods; dead and raising workers give an error, never a hang."""

from __future__ import annotations

import contextlib
import copy
import io
import os
import shutil
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
from corpus import CORPUS, MODEL_FIXTURES

from static_embed_runner import (
    EmbeddingStore,
    ModelFileNotFoundError,
    StaticEmbedRunner,
    TokenizerInputError,
    WorkerError,
    parallel,
)

TEXTS = [f"{text} #{i}" for i in range(4) for text in CORPUS]

LAYOUTS = [
    pytest.param(None, "q4", "lite", id="default-sse-q4"),
    pytest.param(None, "f32", "tokenizers", id="default-sse-f32-rust-tokenizer"),
    pytest.param(MODEL_FIXTURES / "model2vec-rs-test-model-float32", "q4", "lite", id="m2v-f32"),
    pytest.param(MODEL_FIXTURES / "model2vec-rs-test-model-float16", "q4", "lite", id="m2v-f16"),
    pytest.param(MODEL_FIXTURES / "model2vec-rs-test-model-int8", "q4", "lite", id="m2v-int8"),
    pytest.param(
        MODEL_FIXTURES / "model2vec-rs-test-model-vocab-quantized", "q4", "lite", id="m2v-vq"
    ),
    pytest.param(
        MODEL_FIXTURES / "model2vec-rs-test-model-sentence-transformers",
        "f32",
        "lite",
        id="sentence-transformers",
    ),
]


@pytest.fixture(scope="module")
def runner() -> StaticEmbedRunner:
    return StaticEmbedRunner.load(tokenizer_backend="lite")


HANG_GUARD_SECONDS = 300.0


def run_with_timeout(function, seconds: float = HANG_GUARD_SECONDS):
    """``function()``'s result or exception. A hang guard, not a speed claim: the bound is far
    beyond any loaded machine's time, so the test fails with a message instead of hanging."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = function()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"hang: the call had not returned after {seconds:.0f} s"
    return outcome


@pytest.mark.parametrize(("path", "table", "backend"), LAYOUTS)
def test_pool_encode_is_bit_identical_to_one_process_for_every_layout(path, table, backend):
    runner = StaticEmbedRunner.load(path, table=table, tokenizer_backend=backend)
    expected = runner.encode(TEXTS)
    with runner.pool(2, start_method="fork") as pool:
        got = pool.encode(TEXTS)
        assert got.dtype == np.float32 and got.flags.c_contiguous
        assert np.array_equal(got, expected)
        assert np.array_equal(pool.encode(TEXTS[0]), runner.encode(TEXTS[0]))
        batches = list(pool.encode_iter(iter(TEXTS), batch_size=50))
    assert [len(b) for b in batches] == [50] * (len(TEXTS) // 50) + [len(TEXTS) % 50]
    assert np.array_equal(np.concatenate(batches), expected)


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_pool_gives_the_same_bits_with_fork_and_spawn_for_every_entry_point(runner, start_method):
    options = {"prompt": "query: ", "max_length": 7, "normalize": False, "truncate_dim": 64}
    with runner.pool(2, start_method=start_method) as pool:
        assert np.array_equal(pool.encode(TEXTS), runner.encode(TEXTS))
        assert np.array_equal(pool.encode(TEXTS, **options), runner.encode(TEXTS, **options))
        assert np.array_equal(pool.encode_query(TEXTS), runner.encode_query(TEXTS))
        assert np.array_equal(pool.encode_document(TEXTS), runner.encode_document(TEXTS))
        streamed = np.concatenate(list(pool.encode_iter(TEXTS, batch_size=64, **options)))
        assert np.array_equal(streamed, runner.encode(TEXTS, **options))
        assert len(pool.worker_pids) == 2
        assert os.getpid() not in pool.worker_pids
        assert_table_pages_are_shared(runner, pool.worker_pids)


def assert_table_pages_are_shared(runner: StaticEmbedRunner, pids: list[int]) -> None:
    """Each worker maps the 4-bit table from the page cache instead of copying it: most of the
    table's size shows as file-backed resident memory and little as private (smaps_rollup)."""
    table_bytes = (Path(runner.model_source.directory) / "embedding.q4_k_m.bin").stat().st_size
    for pid in pids:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        fields = {line.split()[0].rstrip(":"): int(line.split()[1]) for line in rollup[1:]}
        assert (fields["Rss"] - fields["Anonymous"]) * 1024 >= table_bytes * 0.9
        assert fields["Private_Clean"] * 1024 < table_bytes / 2


def test_encode_with_workers_equals_encode_in_one_process(runner):
    assert np.array_equal(runner.encode(TEXTS, workers=2), runner.encode(TEXTS))
    assert np.array_equal(
        runner.encode_query(TEXTS, workers=2, truncate_dim=32),
        runner.encode_query(TEXTS, truncate_dim=32),
    )
    streamed = list(runner.encode_iter(TEXTS, batch_size=100, workers=2))
    assert np.array_equal(np.concatenate(streamed), runner.encode(TEXTS))


def test_a_worker_killed_during_a_call_raises_worker_error_in_the_caller(runner):
    texts = [f"first sight text number {i} of a long call" for i in range(300_000)]
    with runner.pool(2, start_method="fork") as pool:
        victim = pool.worker_pids[1]

        def encode_then_report():
            return pool.encode(texts)

        killer = threading.Timer(0.5, os.kill, (victim, signal.SIGKILL))
        killer.start()
        outcome = run_with_timeout(encode_then_report)
        killer.join()
        error = outcome.get("error")
        assert isinstance(error, WorkerError), outcome
        assert f"pid {victim}" in str(error) and "SIGKILL" in str(error)
        with pytest.raises(WorkerError, match="closed"):
            pool.encode(["the pool is closed now"])


def test_a_worker_killed_while_idle_raises_worker_error_on_the_next_call(runner):
    with runner.pool(2, start_method="fork") as pool:
        victim = pool.worker_pids[0]
        os.kill(victim, signal.SIGKILL)
        outcome = run_with_timeout(lambda: pool.encode(TEXTS))
    assert isinstance(outcome.get("error"), WorkerError)
    assert f"pid {victim}" in str(outcome["error"])


def test_an_exception_in_a_worker_is_raised_in_the_caller_and_the_pool_stays_usable(runner):
    bad = [*TEXTS, "a lone surrogate \ud800 here"]
    with pytest.raises(TokenizerInputError) as single:
        runner.encode(bad)
    with runner.pool(2, start_method="fork") as pool:
        outcome = run_with_timeout(lambda: pool.encode(bad))
        error = outcome.get("error")
        assert type(error) is TokenizerInputError
        assert str(error) == str(single.value)
        assert "in worker process" in str(error.__cause__)
        assert np.array_equal(pool.encode(TEXTS), runner.encode(TEXTS))


def test_workers_that_cannot_load_the_model_fail_the_pool_start(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(MODEL_FIXTURES / "model2vec-rs-test-model-float32", model)
    runner = StaticEmbedRunner.load(model)
    shutil.rmtree(model)
    outcome = run_with_timeout(lambda: runner.pool(2, start_method="fork"))
    assert isinstance(outcome.get("error"), ModelFileNotFoundError)
    assert str(model) in str(outcome["error"])


def test_abandoning_encode_iter_leaves_the_pool_usable(runner):
    with runner.pool(2, start_method="fork") as pool:
        stream = pool.encode_iter(TEXTS, batch_size=10)
        first = next(stream)
        stream.close()
        assert np.array_equal(first, runner.encode(TEXTS[:10]))
        assert np.array_equal(pool.encode(TEXTS), runner.encode(TEXTS))


@pytest.mark.parametrize("workers", [None, 2])
def test_encode_iter_reads_its_input_lazily_so_memory_stays_bounded(runner, workers):
    pulled = 0

    def endless():
        nonlocal pulled
        while True:
            pulled += 1
            yield f"text {pulled}"

    stream = runner.encode_iter(endless(), batch_size=100, workers=workers)
    batches = [next(stream) for _ in range(5)]
    stream.close()
    assert all(b.shape == (100, runner.dim) for b in batches)
    assert np.array_equal(batches[4], runner.encode([f"text {i}" for i in range(401, 501)]))
    ahead = 0 if workers is None else 2 * workers
    assert pulled <= (5 + ahead) * 100 + 1


def test_bad_arguments_are_reported_before_any_worker_starts(runner):
    with pytest.raises(ValueError, match="workers must be a positive int"):
        runner.pool(0)
    with pytest.raises(ValueError, match="workers must be a positive int"):
        runner.encode(TEXTS, workers=-1)
    with pytest.raises(TypeError, match="workers must be a positive int, got '2'"):
        runner.encode(TEXTS, workers="2")
    with pytest.raises(TypeError, match="workers must be a positive int"):
        runner.pool(2.0)
    with pytest.raises(ValueError, match="workers must be a positive int, got 0"):
        runner.encode_iter(TEXTS, workers=0)  # at the call, not at the first next()
    with pytest.raises(TypeError, match="workers must be a positive int"):
        runner.encode_iter(TEXTS, workers="3")
    with pytest.raises(TypeError, match=r"texts\[3\] must be a str, got int"):
        list(runner.encode_iter(["a", "b", "c", 4], batch_size=2))
    with pytest.raises(TypeError, match="iterable of str, got str"):
        runner.encode_iter("one string")
    with pytest.raises(ValueError, match="truncate_dim"):
        runner.encode_iter(TEXTS, truncate_dim=10_000)
    unloaded = copy.copy(runner)
    unloaded.model_source = None
    with pytest.raises(ValueError, match=r"StaticEmbedRunner\.load"):
        unloaded.pool(2)


def test_pool_quantizes_over_the_whole_result_and_keeps_the_runner_truncate_dim(runner):
    copy_ = StaticEmbedRunner.load(tokenizer_backend="lite")
    copy_.truncate_dim = 32
    with copy_.pool(2, start_method="fork") as pool:
        assert np.array_equal(pool.encode(TEXTS), copy_.encode(TEXTS))
        assert pool.encode(TEXTS).shape == (len(TEXTS), 32)
        for precision in ("int8", "ubinary"):
            assert np.array_equal(
                pool.encode(TEXTS, precision=precision), copy_.encode(TEXTS, precision=precision)
            )
    assert np.array_equal(
        copy_.encode(TEXTS, workers=2, precision="int8"), copy_.encode(TEXTS, precision="int8")
    )


def test_a_pool_s_methods_refuse_a_workers_argument(runner):
    with runner.pool(1, start_method="fork") as pool:
        for call in (
            lambda: pool.encode(TEXTS, workers=2),
            lambda: pool.encode_iter(TEXTS, workers=2),
            lambda: pool.encode_batches([TEXTS], workers=2),
        ):
            with pytest.raises(TypeError, match="take no workers argument"):
                call()
        assert np.array_equal(pool.encode(TEXTS[:3]), runner.encode(TEXTS[:3]))


def test_encoding_no_texts_with_workers_starts_no_process(runner, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a process was started")

    monkeypatch.setattr(parallel.EncodePool, "__init__", refuse)
    empty = runner.encode([], workers=2)
    assert empty.shape == (0, runner.dim) and empty.dtype == np.float32


@pytest.mark.parametrize("with_store", [False, True])
def test_show_progress_bar_shows_progress_with_workers_or_a_store(runner, tmp_path, with_store):
    stderr = io.StringIO()
    store = EmbeddingStore(tmp_path / "s.sqlite") if with_store else None
    with contextlib.redirect_stderr(stderr):
        got = runner.encode(TEXTS, workers=2, store=store, show_progress_bar=True)
    assert np.array_equal(got, runner.encode(TEXTS))
    assert f"{len(TEXTS)}/{len(TEXTS)}" in stderr.getvalue()
    if with_store:
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            hits = runner.encode(TEXTS, store=store, show_progress_bar=True)  # every text a hit
        assert np.array_equal(hits, got)
        assert f"{len(TEXTS)}/{len(TEXTS)}" in stderr.getvalue()
        stderr = io.StringIO()
        more = [*TEXTS, "a new one"]
        with contextlib.redirect_stderr(stderr):
            got = runner.encode(more, store=store, show_progress_bar=True, batch_size=2)
        assert np.array_equal(got, runner.encode(more))
        assert f"{len(more)}/{len(more)}" in stderr.getvalue()


def test_the_int8_few_rows_warning_points_at_the_caller_s_line(runner):
    for call in (
        lambda: runner.encode(TEXTS[:3], precision="int8"),
        lambda: runner.encode_query(TEXTS[:3], precision="int8"),
        lambda: runner.encode(TEXTS[:3], workers=2, precision="int8"),
    ):
        with pytest.warns(UserWarning, match="taken from only 3 embeddings") as caught:
            call()
        assert caught[0].filename == __file__


def test_a_model_loaded_by_a_relative_path_reloads_in_workers_after_a_chdir(tmp_path, monkeypatch):
    monkeypatch.chdir(MODEL_FIXTURES)
    runner = StaticEmbedRunner.load("model2vec-rs-test-model-float32")
    monkeypatch.chdir(tmp_path)
    assert (
        runner.source
        == runner.model_source.directory
        == str((MODEL_FIXTURES / "model2vec-rs-test-model-float32").resolve())
    )
    assert np.array_equal(runner.model_source.load().encode(TEXTS), runner.encode(TEXTS))
    with runner.pool(1, start_method="spawn") as pool:
        assert np.array_equal(pool.encode(TEXTS), runner.encode(TEXTS))
