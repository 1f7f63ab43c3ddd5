"""Prefetch: map a memory-mapped table's pages in the background before the first batch needs them.

Opening a memory-mapped table costs nothing, but the first batch then pays a page fault for every
page it touches: a 1024-d float32 row is one 4 KiB page, and a batch of a few hundred sentences
touches over a thousand distinct rows, a few microseconds each. :func:`prefetch` hands the
table's byte ranges to one daemon thread that maps them all while the caller gets its first batch
ready. The runner starts it only once the model has passed every load check, so a refused model
never has its table read:

- on Linux, one ``madvise(MADV_POPULATE_READ)`` per array (kernel 5.14+), which maps the pages in
  bulk (a fraction of a microsecond per page), called through ctypes, which releases the GIL;
- elsewhere, or when the kernel refuses, a numpy reduction that reads one byte per page (numpy
  releases the GIL in reductions too).

Nothing is copied: the pages stay the page cache's, shared with every process mapping the file.
What it costs: they count as this process's resident memory, and on a cold page cache the
whole file is read from disk once. Vectors never depend on it.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import sys
import threading
from collections.abc import Callable, Iterable

import numpy as np

_MADV_POPULATE_READ = 22  # <linux/mman.h>; Python's mmap module exposes it only from 3.13


def usable_cpus() -> int:
    """How many CPUs this process may run on (its affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def is_memory_mapped(array: np.ndarray) -> bool:
    """Whether ``array``'s memory belongs to a memory map (following views to their base)."""
    owner: object = array
    while owner is not None:
        if isinstance(owner, mmap.mmap):
            return True
        owner = owner.obj if isinstance(owner, memoryview) else getattr(owner, "base", None)
    return False


def prefetch(
    arrays: Iterable[np.ndarray], *, then: Callable[[], object] | None = None
) -> threading.Thread | None:
    """Start mapping the pages of the memory-mapped ``arrays`` in a daemon thread, then run
    ``then()`` there (more first-batch work done ahead of time, such as reserving buffers).

    Arrays in ordinary memory are skipped. Returns the started thread, or None when there was
    nothing to do.
    """
    mapped = [a for a in arrays if a.nbytes and a.flags.c_contiguous and is_memory_mapped(a)]
    if not mapped and then is None:
        return None
    thread = threading.Thread(
        target=_warm_up, args=(mapped, then), name="static-embed-runner-prefetch", daemon=True
    )
    thread.start()
    return thread


def _warm_up(arrays: list[np.ndarray], then: Callable[[], object] | None) -> None:
    for array in arrays:
        if not _populate(array):
            _touch_pages(array)
    if then is not None:
        then()


def _touch_pages(array: np.ndarray) -> None:
    """Read one byte of every page of the C-contiguous ``array`` (the portable way to map them)."""
    flat = array.reshape(-1).view(np.uint8)
    np.bitwise_or.reduce(flat[:: mmap.PAGESIZE])
    flat[-1:].sum()  # the last page, when the stride stepped over its start


def _populate(array: np.ndarray) -> bool:
    """``madvise(MADV_POPULATE_READ)`` over ``array``'s pages; False where that is unavailable."""
    madvise = _linux_madvise()
    if madvise is None:
        return False
    address = array.ctypes.data
    start = address - address % mmap.PAGESIZE  # the map itself starts on a page boundary
    return madvise(start, array.nbytes + (address - start), _MADV_POPULATE_READ) == 0


def _linux_madvise() -> Callable[[int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    madvise = ctypes.CDLL(None, use_errno=True).madvise
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    madvise.restype = ctypes.c_int
    return madvise
