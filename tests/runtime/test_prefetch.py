"""Prefetch: a memory-mapped table is mapped in the background, and nothing else changes."""

from __future__ import annotations

import mmap
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from corpus import CORPUS
from runtime.reference_models import Reference, SseModel

from static_embed_runner import runner as runner_module
from static_embed_runner.io import prefetch as prefetch_module
from static_embed_runner.io.prefetch import is_memory_mapped, prefetch
from static_embed_runner.pooling import block_bytes_for
from static_embed_runner.runner import StaticEmbedRunner

MIB = 1 << 20
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads resident memory from /proc/self/smaps"
)


def _mapped_file(tmp_path: Path, mib: int = 32) -> np.ndarray:
    path = tmp_path / "table.bin"
    path.write_bytes(np.arange(mib * MIB // 4, dtype=np.float32).tobytes())
    return np.asarray(np.memmap(path, dtype=np.float32, mode="r")).reshape(-1, 1024)


def _resident_bytes(array: np.ndarray) -> int:
    """Resident bytes of the mapping holding ``array`` (from /proc/self/smaps)."""
    address = array.ctypes.data
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and not head.endswith(":"):
            low, high = (int(part, 16) for part in head.split("-"))
            inside = low <= address < high
        elif inside and head == "Rss:":
            return int(line.split()[1]) * 1024
    raise AssertionError("the array's mapping is not in /proc/self/smaps")


@linux_only
def test_prefetch_maps_every_page_of_a_memory_mapped_table(tmp_path: Path) -> None:
    table = _mapped_file(tmp_path)
    assert _resident_bytes(table) < MIB
    thread = prefetch([table])
    assert thread is not None and thread.daemon
    thread.join()
    assert _resident_bytes(table) == table.nbytes


@linux_only
def test_the_portable_fallback_maps_every_page_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prefetch_module, "_linux_madvise", lambda: None)
    table = _mapped_file(tmp_path, mib=8)
    thread = prefetch([table[1:]])  # a view that starts inside the first page's row block
    assert thread is not None
    thread.join()
    assert _resident_bytes(table) >= table.nbytes - 4 * 1024  # all but the skipped first row


def test_arrays_in_ordinary_memory_are_not_prefetched() -> None:
    assert prefetch([np.ones((64, 8), dtype=np.float32), np.empty((0, 8))]) is None


def test_memory_maps_are_recognised_through_views(tmp_path: Path) -> None:
    table = _mapped_file(tmp_path, mib=1)
    assert is_memory_mapped(table) and is_memory_mapped(table[3:7, ::2])
    with open(tmp_path / "table.bin", "rb") as handle:
        raw = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    assert is_memory_mapped(np.frombuffer(raw, dtype=np.uint8)[10:])
    assert not is_memory_mapped(np.array(table))


@linux_only
def test_the_prefetch_thread_runs_the_follow_up_step_once_the_pages_are_mapped(
    tmp_path: Path,
) -> None:
    table = _mapped_file(tmp_path, mib=1)
    seen: list[int] = []
    thread = prefetch([table], then=lambda: seen.append(_resident_bytes(table)))
    assert thread is not None
    thread.join()
    assert seen == [table.nbytes]


def test_a_follow_up_step_runs_in_the_background_even_with_nothing_to_map() -> None:
    seen: list[str] = []
    thread = prefetch([np.ones(3)], then=lambda: seen.append(threading.current_thread().name))
    assert thread is not None
    thread.join()
    assert seen == ["static-embed-runner-prefetch"]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[np.ndarray, ...]]:
    """Records the arrays each load hands to prefetch (and still prefetches them, and runs the
    follow-up step, before load goes on)."""
    calls: list[tuple[np.ndarray, ...]] = []

    def spy(arrays, *, then=None):
        arrays = tuple(arrays)
        calls.append(arrays)
        thread = prefetch(arrays, then=then)
        if thread is not None:
            thread.join()
        return thread

    monkeypatch.setattr(runner_module, "start_prefetch", spy)
    return calls


def test_load_prefetches_by_default_on_two_or_more_cpus(
    st_references: dict[str, Reference],
    started: list[tuple[np.ndarray, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = st_references["bert"].path
    monkeypatch.setattr(runner_module, "usable_cpus", lambda: 2)
    StaticEmbedRunner.load(path)
    assert len(started) == 1 and all(is_memory_mapped(array) for array in started[0])
    monkeypatch.setattr(runner_module, "usable_cpus", lambda: 1)
    StaticEmbedRunner.load(path)
    StaticEmbedRunner.load(path, prefetch=False)
    assert len(started) == 1
    StaticEmbedRunner.load(path, prefetch=True)
    assert len(started) == 2


def test_a_prefetched_q4_table_hands_over_its_packed_codes_and_scales(
    sse_models: dict[str, SseModel], started: list[tuple[np.ndarray, ...]]
) -> None:
    runner = StaticEmbedRunner.load(sse_models["head"].path, prefetch=True)
    (packed, scales) = started[0]
    assert packed.dtype == np.uint8 and packed.shape == (runner._table.vocab_size, runner.dim // 2)
    assert scales.shape == (runner._table.vocab_size,)


def test_prefetch_reserves_the_block_buffer_and_for_decoded_rows_their_buffer_and_id_marks(
    sse_models: dict[str, SseModel],
    st_references: dict[str, Reference],
    started: list[tuple[np.ndarray, ...]],
) -> None:
    packed = StaticEmbedRunner.load(sse_models["head"].path, prefetch=True)
    row_bytes = packed.dim * 4
    assert packed._scratch.nbytes == 1280 * row_bytes
    assert packed._scratch.block_nbytes == block_bytes_for(256, row_bytes)
    assert len(packed._scratch._seen) == packed._table.vocab_size
    unprefetched = StaticEmbedRunner.load(sse_models["head"].path, prefetch=False)
    assert unprefetched._scratch.nbytes == 0 and len(unprefetched._scratch._seen) == 0
    assert unprefetched._scratch.block_nbytes == 0
    direct = StaticEmbedRunner.load(st_references["bert"].path, prefetch=True)
    assert direct._table.direct_rows() is not None and direct._scratch.nbytes == 0
    assert direct._scratch.block_nbytes == block_bytes_for(256, direct.dim * 4)
    assert len(direct._scratch._seen) == 0


def test_prefetch_does_not_change_a_single_bit(
    backend: str, st_references: dict[str, Reference]
) -> None:
    path = st_references["bert"].path
    lazy = StaticEmbedRunner.load(path, tokenizer_backend=backend, prefetch=False)
    eager = StaticEmbedRunner.load(path, tokenizer_backend=backend, prefetch=True)
    assert np.array_equal(eager.encode(CORPUS), lazy.encode(CORPUS))


@pytest.mark.parametrize("value", ["yes", 1, 0.0])
def test_prefetch_must_be_a_bool_or_none(sse_models: dict[str, SseModel], value: object) -> None:
    with pytest.raises(TypeError, match="prefetch must be True, False or None"):
        StaticEmbedRunner.load(sse_models["head"].path, prefetch=value)
