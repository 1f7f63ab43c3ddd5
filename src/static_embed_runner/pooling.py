"""Mean pooling: token ids per text -> one float32 vector per text.

Plain algorithm (what the references compute): for each text, start from zero, add the table
row of each token in order (in the table's ``compute_dtype``, float32 unless the reference uses
float64), divide by the number of tokens, round to float32; no tokens -> zeros.
torch's ``EmbeddingBag(mode="mean")`` (sentence-transformers) and numpy's ``mean`` over a bucket of
equal-length texts (model2vec) both add in exactly this order, so following it gives bit-identical
vectors, and a text gets the same bits alone or in any batch.

Fast form: texts are processed in chunks of at most ``max_cells`` (tokens x dim) gathered values
(a text longer than that alone, in slices). Per chunk, the distinct ids are decoded once
(``table.gather`` into a reused :class:`RowScratch` buffer; this is where a 4-bit table pays its
decoding; a float32 table is indexed directly instead), texts are sorted by token count and cut
into buckets, and each bucket is one gather into a token-major ``(length, texts, dim)`` block
summed over its first axis. Decoded rows get one more row of ``-0.0``, the float that leaves
whatever it is added to unchanged, so neighbouring lengths can share a bucket: the shorter
texts are padded with it. Work is linear in the number of tokens and memory is bounded by
the chunk. (A bag-of-tokens count matrix x unique rows, one sgemm per chunk, measured no faster
on 2 cores and changes the summation order, hence the last bits: up to 3e-6 away from
sentence-transformers on N(0, 1) tables; see ``bench/bench_pooling_scaling.py``.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from itertools import accumulate, chain

import numpy as np

from .errors import ModelFormatError
from .io.table import Table

DEFAULT_MAX_CELLS = 1 << 23
_PYTHON_MIN_MAX = 64
# Padding one bucket of texts may gather and add before a separate bucket is cheaper (a bucket
# costs a few microseconds of calls): best between 16 and 32 KiB on the benchmark sentences.
_PAD_BYTES = 1 << 15
# Largest gathered block of one bucket, so that the block buffer stays small enough to reserve
# at load (larger blocks mean fewer calls: 2 MiB is 3-5% slower than 8 MiB on the benchmark
# sentences, 1 MiB 4-10%).
_BLOCK_BYTES = 1 << 21


class _Lender:
    """One byte buffer, kept while it is at most ``keep_bytes`` and lent to one user at a time."""

    def __init__(self, keep_bytes: int) -> None:
        self.keep_bytes = keep_bytes
        self._lock = threading.Lock()
        self._buffer = np.empty(0, dtype=np.uint8)

    @property
    def nbytes(self) -> int:
        return self._buffer.nbytes

    def reserve(self, nbytes: int) -> None:
        """Grow to ``min(nbytes, keep_bytes)``, writing every page once."""
        nbytes = min(nbytes, self.keep_bytes)
        with self._lock:
            if self._buffer.nbytes < nbytes:
                buffer = np.empty(nbytes, dtype=np.uint8)
                buffer.fill(0)
                self._buffer = buffer

    @contextmanager
    def lend(self, nbytes: int) -> Iterator[np.ndarray | None]:
        """The first ``nbytes`` of the buffer for the ``with`` block, or None when a new array
        should be used instead (more than ``keep_bytes``, or lent out to another thread)."""
        if nbytes > self.keep_bytes or not self._lock.acquire(blocking=False):
            yield None
            return
        try:
            if self._buffer.nbytes < nbytes:  # grow at least twofold: batches vary in size
                grown = min(self.keep_bytes, max(nbytes, 2 * self._buffer.nbytes))
                self._buffer = np.empty(grown, dtype=np.uint8)
            yield self._buffer[:nbytes]
        finally:
            self._lock.release()


class RowScratch:
    """Reusable buffers for one chunk's pooling: its distinct ids and decoded rows (tables without
    direct rows), and the gathered token blocks and their sums (every table).

    Writing a new array of a few megabytes costs a page fault per 4 KiB page whenever the
    allocator takes that memory fresh from the system, as it does for a process's first batches
    (2-4 us per fault here: about a third of a first batch's pooling on a 4-bit table, some 500
    faults on a 1024-d one). Each buffer is allocated once, kept while it is at most
    ``keep_bytes`` (8 MiB: 4,096 rows at 512-d), and lent to one chunk at a time; a chunk that
    finds one lent out (another thread) or needs more than ``keep_bytes`` uses a new array
    instead. :meth:`reserve` allocates and touches them ahead of time.

    The distinct ids come from two vocabulary-sized marks kept the same way (:meth:`distinct`,
    5 bytes per token): marking the ids and reading the marks back is linear, where ``np.unique``
    sorts (0.03 ms instead of 0.26 ms for a 236-sentence batch on a 30k vocabulary).
    """

    def __init__(self, keep_bytes: int = 1 << 23) -> None:
        self.keep_bytes = keep_bytes
        self._rows = _Lender(keep_bytes)
        self._blocks = _Lender(keep_bytes)
        self._marks_lock = threading.Lock()
        self._seen = np.zeros(0, dtype=bool)  # all False between calls
        self._slot = np.zeros(0, dtype=np.int32)

    @property
    def nbytes(self) -> int:
        """Bytes held for decoded rows."""
        return self._rows.nbytes

    @property
    def block_nbytes(self) -> int:
        """Bytes held for gathered token blocks and their sums."""
        return self._blocks.nbytes

    def reserve(self, nbytes: int, vocab_size: int = 0, block_bytes: int = 0) -> None:
        """Grow the row buffer to ``min(nbytes, keep_bytes)``, the block buffer to
        ``min(block_bytes, keep_bytes)`` and the marks to ``vocab_size`` tokens (when they fit in
        ``keep_bytes``), writing every page of them once."""
        self._rows.reserve(nbytes)
        self._blocks.reserve(block_bytes)
        if self._marks_fit(vocab_size):
            with self._marks_lock:
                self._grow_marks(vocab_size)

    @contextmanager
    def lend(self, rows: int, dim: int, dtype: np.dtype) -> Iterator[np.ndarray | None]:
        """A C-contiguous ``(rows, dim)`` ``dtype`` view of the row buffer for the ``with``
        block, or None when a new array should be used instead."""
        with self._rows.lend(rows * dim * dtype.itemsize) as raw:
            yield None if raw is None else raw.view(dtype).reshape(rows, dim)

    def lend_blocks(self, nbytes: int) -> AbstractContextManager[np.ndarray | None]:
        """``nbytes`` of the block buffer (uint8) for the ``with`` block, or None."""
        return self._blocks.lend(nbytes)

    def distinct(self, ids: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
        """``np.unique(ids, return_inverse=True)`` for 1-D ``ids`` in ``[0, vocab_size)``: the
        sorted distinct ids and, per id, its position among them (as int32 through the marks).

        Marks are used when they fit in ``keep_bytes``, are free (another thread may hold
        them) and the batch is not tiny next to the vocabulary; ``np.unique`` serves otherwise.
        """
        if (
            len(ids) * 128 < vocab_size  # fewer ids: sorting them beats reading every mark
            or not self._marks_fit(vocab_size)
            or not self._marks_lock.acquire(blocking=False)
        ):
            return np.unique(ids, return_inverse=True)
        try:
            self._grow_marks(vocab_size)
            seen = self._seen
            try:
                seen[ids] = True
                unique = np.flatnonzero(seen)
            finally:
                seen[ids] = False
            slot = self._slot
            slot[unique] = np.arange(len(unique), dtype=np.int32)
            return unique, slot[ids]
        finally:
            self._marks_lock.release()

    def _marks_fit(self, vocab_size: int) -> bool:
        return 0 < vocab_size * 5 <= self.keep_bytes

    def _grow_marks(self, vocab_size: int) -> None:
        if len(self._seen) < vocab_size:
            self._seen = np.zeros(vocab_size, dtype=bool)
            slot = np.empty(vocab_size, dtype=np.int32)
            slot.fill(0)  # touched now, like the row buffer
            self._slot = slot


def mean_pool(
    token_ids: Sequence[Sequence[int]],
    table: Table,
    *,
    max_cells: int = DEFAULT_MAX_CELLS,
    scratch: RowScratch | None = None,
) -> np.ndarray:
    """Average the rows of each text's tokens: a float32 C-contiguous ``(len(token_ids), dim)``.

    ``scratch`` holds each chunk's gathered rows and sums, and the decoded distinct rows of
    tables that decode them (see :class:`RowScratch`); without it they go to new arrays."""
    n = len(token_ids)
    out = np.zeros((n, table.dim), dtype=np.float32)
    max_tokens = _max_tokens(table, max_cells)
    lengths = np.fromiter(map(len, token_ids), dtype=np.int64, count=n)
    ends = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=ends[1:])
    start = 0
    while start < n:
        stop = int(np.searchsorted(ends, ends[start] + max_tokens, side="right")) - 1
        stop = min(max(stop, start + 1), n)
        if stop == start + 1:
            out[start] = _pool_one(token_ids[start], table, max_tokens)
        elif ends[stop] > ends[start]:
            chunk = token_ids[start:stop]
            _pool_chunk(chunk, lengths[start:stop], table, out[start:stop], scratch)
        start = stop
    return out


def block_bytes_for(texts: int, row_bytes: int) -> int:
    """Block-buffer bytes a chunk of ``texts`` texts needs (their sums and one bucket's gathered
    rows), unless one of its texts alone gathers more than ``_BLOCK_BYTES``."""
    return texts * row_bytes + _BLOCK_BYTES


def mean_pool_one(
    token_ids: Sequence[int], table: Table, *, max_cells: int = DEFAULT_MAX_CELLS
) -> np.ndarray:
    """One text's average row, a float32 ``(dim,)``: ``mean_pool([token_ids], table)[0]`` without
    the batch bookkeeping (the same sums, so the same bits)."""
    return _pool_one(token_ids, table, _max_tokens(table, max_cells))


def _max_tokens(table: Table, max_cells: int) -> int:
    return max(1, max_cells // max(table.dim, 1))


def _pool_one(token_ids: Sequence[int], table: Table, max_tokens: int) -> np.ndarray:
    """One text, in slices of at most ``max_tokens`` rows; each slice's sum starts from the
    previous running total, so the additions happen in exactly the plain token order."""
    n = len(token_ids)
    if not n:
        return np.zeros(table.dim, dtype=np.float32)
    ids = np.asarray(token_ids, dtype=np.int64)
    if n <= _PYTHON_MIN_MAX:  # cheaper than two numpy reductions for a sentence's worth of ids
        _check_ids(min(token_ids), max(token_ids), table)
    else:
        _check_ids(int(ids.min()), int(ids.max()), table)
    if n <= max_tokens:  # a sentence: one gather and one sum
        total = _sum_tokens(table.gather(ids))
    else:
        total = None
        for start in range(0, n, max_tokens):
            rows = table.gather(ids[start : start + max_tokens])
            if total is not None:
                rows = np.concatenate([total[None], rows])
            total = _sum_tokens(rows)
    total /= n  # the count as compute_dtype (exact below 2**24), the sum a fresh array
    return total if total.dtype == np.float32 else total.astype(np.float32)


def _pool_chunk(
    token_ids: Sequence[Sequence[int]],
    lengths: np.ndarray,
    table: Table,
    out: np.ndarray,
    scratch: RowScratch | None,
) -> None:
    flat = np.fromiter(chain.from_iterable(token_ids), dtype=np.int64, count=int(lengths.sum()))
    _check_ids(int(flat.min()), int(flat.max()), table)
    rows = table.direct_rows()
    if rows is not None:  # index the stored table itself, no distinct-id pass
        _sum_groups(rows, flat, lengths, out, scratch=scratch)
        return
    unique, index = (
        np.unique(flat, return_inverse=True)
        if scratch is None
        else scratch.distinct(flat, table.vocab_size)
    )
    pad = len(unique)  # one row past the decoded ones: the padding row
    lent = (
        nullcontext() if scratch is None else scratch.lend(pad + 1, table.dim, table.compute_dtype)
    )
    with lent as buffer:
        if buffer is None:
            buffer = np.empty((pad + 1, table.dim), dtype=table.compute_dtype)
        table.gather(unique, buffer[:pad])
        buffer[pad] = -0.0
        _sum_groups(buffer, index, lengths, out, pad, scratch)


def _sum_groups(
    rows: np.ndarray,
    index: np.ndarray,
    lengths: np.ndarray,
    out: np.ndarray,
    pad: int | None = None,
    scratch: RowScratch | None = None,
) -> None:
    """``out[i]`` = mean of ``rows[index[...]]`` over text ``i``'s span of ``index`` (the texts'
    tokens back to back, ``lengths[i]`` each): texts in length order, one gather and sum per
    bucket of texts.

    Without ``pad`` a bucket holds the texts of one length. With ``pad``, the index of a row of
    ``-0.0`` in ``rows``, neighbouring lengths share a bucket, the shorter texts padded with that
    row up to the bucket's longest: adding ``-0.0`` leaves every float as it is (``-0.0``, NaN
    and infinities included), and the pads follow a text's tokens, so the sums keep their bits.
    A bucket saves a gather and a sum (a few microseconds) and pays for its padding rows, so one
    grows while its padding stays under ``_PAD_BYTES``. The sums and each bucket's gathered block
    go into ``scratch``'s block buffer when it is free.
    """
    order = lengths.argsort(kind="stable")
    sorted_lengths = lengths[order]
    first = int(sorted_lengths.searchsorted(1))  # texts without tokens stay zero
    if first == len(order):
        return
    if first:
        order, sorted_lengths = order[first:], sorted_lengths[first:]
    row_bytes = rows.shape[1] * rows.itemsize
    buckets = _buckets(sorted_lengths, row_bytes, pad is not None)
    laid_out, starts = _lay_out(index, lengths, order, buckets, pad)
    sums_bytes = len(order) * row_bytes
    space_bytes = (
        sums_bytes + max(width * (stop - first) for first, stop, width in buckets) * row_bytes
    )
    # np.take is the faster gather, but copies a whole unaligned (memory-mapped) array first; it
    # writes into the lent space only then (with "clip": every index is in range, and "raise"
    # would gather into a temporary first).
    aligned = rows.flags.aligned
    lent = nullcontext() if scratch is None or not aligned else scratch.lend_blocks(space_bytes)
    with lent as space:
        if space is None:
            sums = np.empty((len(order), rows.shape[1]), dtype=rows.dtype)
        else:
            sums = space[:sums_bytes].view(rows.dtype).reshape(len(order), rows.shape[1])
        for (begin, stop, width), start in zip(buckets, starts, strict=True):
            block = laid_out[start : start + width * (stop - begin)].reshape(width, stop - begin)
            if space is None:
                gathered = rows.take(block, 0) if aligned else rows[block]
            else:
                target = space[sums_bytes : sums_bytes + block.size * row_bytes]
                target = target.view(rows.dtype).reshape(*block.shape, rows.shape[1])
                gathered = rows.take(block, 0, out=target, mode="clip")
            _sum_tokens(gathered, sums[begin:stop])
        sums /= sorted_lengths[:, None].astype(sums.dtype)
        out[order] = sums


def _lay_out(
    index: np.ndarray,
    lengths: np.ndarray,
    order: np.ndarray,
    buckets: list[tuple[int, int, int]],
    pad: int | None,
) -> tuple[np.ndarray, list[int]]:
    """``index`` rearranged into one ``(width, texts)`` block per bucket, back to back, and where
    each block starts. Column ``j`` of a block holds the bucket's ``j``-th text (``order[first +
    j]``): its tokens, then ``pad`` up to the width. Token-major blocks make the sum over tokens
    one contiguous ``(texts, dim)`` addition per position, not one short addition per token."""
    counts = [stop - first for first, stop, _ in buckets]
    sizes = [width * count for (_, _, width), count in zip(buckets, counts, strict=True)]
    starts = [0, *accumulate(sizes)]
    slots = starts.pop()
    # Per text: the slot of its first token minus where its tokens start in ``index``; its next
    # token is its bucket's number of texts further on.
    shifts = [start - first for start, (first, _, _) in zip(starts, buckets, strict=True)]
    column = np.zeros(len(lengths), dtype=np.int64)
    column[order] = np.repeat(shifts, counts) + np.arange(len(order))
    text_starts = lengths.cumsum() - lengths
    column -= text_starts
    tokens = np.arange(len(index))
    if max(counts) == 1:  # a text per bucket: its tokens stay one run
        target = tokens + column.repeat(lengths)
    else:  # first slot + (token - text start) * stride
        stride = np.ones(len(lengths), dtype=np.int64)
        stride[order] = np.repeat(counts, counts)
        target = (column - text_starts * (stride - 1)).repeat(lengths)
        target += tokens * stride.repeat(lengths)
    if pad is None or slots == len(index):
        laid_out = np.empty(slots, dtype=index.dtype)
    else:
        laid_out = np.full(slots, pad, dtype=index.dtype)
    laid_out[target] = index
    return laid_out, starts


def _buckets(sorted_lengths: np.ndarray, row_bytes: int, pad: bool) -> list[tuple[int, int, int]]:
    """``(first, stop, width)`` per bucket of the (ascending) texts: one per length, or with
    ``pad`` neighbouring lengths merged while the padding stays under ``_PAD_BYTES``; then cut so
    that no bucket gathers more than ``_BLOCK_BYTES`` (unless one text alone does)."""
    changes = (sorted_lengths[1:] != sorted_lengths[:-1]).nonzero()[0] + 1
    starts = [0, *changes.tolist(), len(sorted_lengths)]
    group_lengths = [int(sorted_lengths[0]), *sorted_lengths[changes].tolist()]
    merged: list[tuple[int, int, int]] = []
    if pad:
        budget = _PAD_BYTES // row_bytes  # padding rows one bucket may take
        first, width, padding = 0, group_lengths[0], 0
        for start, length in zip(starts[1:-1], group_lengths[1:], strict=True):
            padding += (start - first) * (length - width)  # the bucket's texts grow to ``length``
            if padding > budget:
                merged.append((first, start, width))
                first, padding = start, 0
            width = length
        merged.append((first, len(sorted_lengths), width))
    else:
        merged = list(zip(starts[:-1], starts[1:], group_lengths, strict=True))
    buckets = []
    for first, stop, width in merged:
        step = max(1, _BLOCK_BYTES // (width * row_bytes))  # texts per cut
        buckets.extend(
            (begin, min(begin + step, stop), width) for begin in range(first, stop, step)
        )
    return buckets


def _check_ids(smallest: int, largest: int, table: Table) -> None:
    if smallest < 0 or largest >= table.vocab_size:
        bad = smallest if smallest < 0 else largest
        raise ModelFormatError(
            f"token id {bad} is outside the token table ({table.vocab_size} rows); "
            f"the tokenizer and the table do not belong together"
        )


def _sum_tokens(block: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Sum ``(tokens, ...)`` over its first axis, strictly in token order (into ``out``).

    numpy reduces along an outer axis one slice at a time (sequential), starting from zero; a
    block with one value per token is reduced as a flat array, and numpy would sum that
    pairwise, so that case takes the (always sequential) running sum instead. That one starts
    from the first token, which differs from starting at zero only for a total of -0.0 (every
    token -0.0); adding zero turns that into the +0.0 the other way gives, and changes nothing else.
    """
    if block.size == block.shape[0]:
        return np.add(np.cumsum(block, axis=0)[-1], 0, out=out)
    return np.add.reduce(block, axis=0, out=out)


def mean_pool_reference(token_ids: Sequence[Sequence[int]], table: Table) -> np.ndarray:
    """The plain algorithm, one text and one token at a time (for tests)."""
    out = np.zeros((len(token_ids), table.dim), dtype=np.float32)
    for i, ids in enumerate(token_ids):
        if len(ids):
            total = np.zeros(table.dim, dtype=table.compute_dtype)
            for row in table.gather(np.asarray(ids, dtype=np.int64)):
                total += row
            out[i] = total / total.dtype.type(len(ids))
    return out
