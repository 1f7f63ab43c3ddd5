"""Mean pooling: the fast grouped form against the plain one-token-at-a-time algorithm."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from static_embed_runner import pooling
from static_embed_runner.errors import ModelFormatError
from static_embed_runner.head import SeparableDyT, l2_normalize, truncate
from static_embed_runner.io.q4 import Q4Table, quantize
from static_embed_runner.io.table import DenseTable, MappedTable
from static_embed_runner.pooling import (
    RowScratch,
    block_bytes_for,
    mean_pool,
    mean_pool_one,
    mean_pool_reference,
)


def _table(vocab: int, dim: int, dtype=np.float32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((vocab, dim)).astype(dtype)


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.lists(st.integers(0, 49), max_size=40), max_size=25),
    dim=st.sampled_from([1, 2, 5, 64]),
    max_cells=st.sampled_from([1, 64, 1 << 23]),
)
def test_grouped_pooling_is_bit_identical_to_the_plain_algorithm(
    ids: list[list[int]], dim: int, max_cells: int
) -> None:
    table = DenseTable(_table(50, dim))
    fast = mean_pool(ids, table, max_cells=max_cells)
    assert fast.dtype == np.float32 and fast.flags.c_contiguous and fast.shape == (len(ids), dim)
    assert np.array_equal(fast, mean_pool_reference(ids, table))


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.lists(st.integers(0, 49), max_size=40), max_size=25),
    dim=st.sampled_from([1, 2, 5, 64]),
    pad_bytes=st.sampled_from([0, 64, 1 << 15, 1 << 30]),
    block_bytes=st.sampled_from([1, 256, 1 << 20]),
    decoded=st.booleans(),
)
def test_bucketed_pooling_is_bit_identical_to_the_plain_algorithm(
    ids: list[list[int]], dim: int, pad_bytes: int, block_bytes: int, decoded: bool
) -> None:
    """Buckets merged by padding (decoded rows only) and cut to a block size, through the
    scratch buffers or without them."""
    table = DenseTable(_table(50, dim, np.float16 if decoded else np.float32))
    assert (table.direct_rows() is None) == decoded
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pooling, "_PAD_BYTES", pad_bytes)
        patch.setattr(pooling, "_BLOCK_BYTES", block_bytes)
        fast = mean_pool(ids, table, scratch=RowScratch())
        plain = mean_pool(ids, table)
    expected = mean_pool_reference(ids, table)
    assert np.array_equal(fast, expected) and np.array_equal(plain, expected)


@pytest.mark.parametrize("dim", [1, 6])
def test_padding_with_negative_zero_keeps_every_bit_of_every_sum(dim: int) -> None:
    """Rows of -0.0, +0.0, infinities, NaN and ordinary values, summed in padded buckets (rows
    decoded through a mapped table), in one bucket per length (the float32 rows indexed
    directly) and one token at a time from zero: the same bits, the signs of zeros (a sum of
    -0.0 rows is +0.0, as from zero) and the NaN payloads included."""
    raw = _table(8, dim)
    raw[0] = -0.0
    raw[1] = 0.0
    raw[2, ::2], raw[2, 1::2] = np.inf, -np.inf
    raw[3] = np.float32(np.nan)
    raw[3, -1] = np.uint32(0x7FC0_1234).view(np.float32)
    direct = DenseTable(raw)
    decoded = MappedTable(direct, None, None)
    ids = [[0], [0, 0], [0, 0, 0, 0], [1, 0], [0, 1, 0], [2, 4], [2, 2, 5], [3, 6], [7, 3, 3], []]
    ids += [[4, 5, 6, 7][: 1 + i % 4] for i in range(20)]
    lengths = np.sort([len(seq) for seq in ids if seq])
    assert len(pooling._buckets(lengths, dim * 4, True)) < len(
        pooling._buckets(lengths, dim * 4, False)
    )
    padded = mean_pool(ids, decoded, scratch=RowScratch()).view(np.uint32)
    assert np.array_equal(padded, mean_pool(ids, direct).view(np.uint32))
    reference = mean_pool_reference(ids, direct).view(np.uint32)
    assert np.array_equal(padded, reference)
    alone = np.stack([mean_pool_one(seq, table) for seq in ids for table in (direct, decoded)])
    assert np.array_equal(alone.view(np.uint32), np.repeat(reference, 2, axis=0))


def test_a_text_is_pooled_alone_exactly_as_in_a_batch() -> None:
    table = DenseTable(_table(1000, 32))
    rng = np.random.default_rng(1)
    ids = [rng.integers(0, 1000, size=n).tolist() for n in rng.integers(0, 300, size=64)]
    batch = mean_pool(ids, table)
    assert np.array_equal(batch, np.concatenate([mean_pool([seq], table) for seq in ids]))
    assert np.array_equal(batch, np.stack([mean_pool_one(seq, table) for seq in ids]))


@pytest.mark.parametrize("dtype", [np.float64, np.float16])
@pytest.mark.parametrize("max_cells", [1, 64, 1 << 23])
def test_one_text_pooled_alone_is_float32_and_bit_identical_to_a_batch_row(
    dtype: type, max_cells: int
) -> None:
    compute = np.float64 if dtype is np.float64 else np.float32
    table = DenseTable(_table(100, 8, dtype), compute_dtype=compute)
    rng = np.random.default_rng(2)
    for seq in [[], [7], rng.integers(0, 100, size=90).tolist()]:
        one = mean_pool_one(seq, table, max_cells=max_cells)
        assert one.dtype == np.float32 and one.shape == (8,)
        assert np.array_equal(one, mean_pool([seq], table, max_cells=max_cells)[0])
        assert np.array_equal(one, mean_pool_reference([seq], table)[0])


def test_texts_without_tokens_give_zero_vectors_never_nan() -> None:
    out = mean_pool([[], [1, 2], []], DenseTable(_table(5, 3)))
    assert np.array_equal(out[[0, 2]], np.zeros((2, 3), np.float32))
    assert not np.isnan(out).any()
    assert mean_pool([], DenseTable(_table(5, 3))).shape == (0, 3)


@pytest.mark.parametrize("dtype", [np.float16, np.int8, np.float64])
def test_other_table_dtypes_pool_to_float32(dtype) -> None:
    raw = (_table(20, 4) * 30).astype(dtype)
    compute = np.float64 if dtype in (np.int8, np.float64) else np.float32
    table = DenseTable(raw, compute_dtype=compute)
    ids = [[1, 2, 3], [4], [19, 19]]
    out = mean_pool(ids, table)
    assert out.dtype == np.float32
    expected = np.stack([raw[seq].astype(compute).mean(axis=0) for seq in ids]).astype(np.float32)
    assert np.array_equal(out, expected)


def test_mapped_table_scales_mapped_rows_by_token_weights() -> None:
    base = DenseTable(_table(4, 3))
    mapping = np.array([3, 0, 0, 2, 1])
    weights = np.array([0.5, 2.0, 1.0, -1.0, 3.0])
    table = MappedTable(base, mapping, weights, compute_dtype=np.float64)
    rows = table.gather(np.arange(5))
    assert rows.dtype == np.float64
    assert np.array_equal(rows, base.gather(mapping).astype(np.float64) * weights[:, None])


def _decoding_tables() -> dict[str, object]:
    """One table of every kind whose rows pooling decodes through ``gather``."""
    raw = _table(300, 12, seed=4)
    weights = np.random.default_rng(5).uniform(-2, 2, 300)
    mapping = np.random.default_rng(6).integers(0, 40, 300)
    bf16 = (raw.view(np.uint32) >> 16).astype(np.uint16)
    return {
        "q4": Q4Table(*quantize(raw)),
        "q4-odd-half": Q4Table(*quantize(raw[:, :10])),
        "float16": DenseTable(raw.astype(np.float16)),
        "bfloat16": DenseTable(bf16, bf16=True),
        "int8-in-float64": DenseTable((raw * 30).astype(np.int8), compute_dtype=np.float64),
        "mapped": MappedTable(DenseTable(raw[:40].astype(np.float16)), mapping, None),
        "weighted": MappedTable(DenseTable(raw), None, weights, compute_dtype=np.float64),
    }


@pytest.mark.parametrize("kind", list(_decoding_tables()))
def test_every_table_gathers_into_a_given_buffer_exactly_as_into_a_new_one(kind: str) -> None:
    table = _decoding_tables()[kind]
    assert table.direct_rows() is None
    ids = np.array([0, 299, 5, 5, 17, 123])
    buffer = np.full((len(ids), table.dim), np.nan, dtype=table.compute_dtype)
    filled = table.gather(ids, buffer)
    assert filled is buffer
    assert np.array_equal(buffer, table.gather(ids))


@pytest.mark.parametrize("kind", ["float16", "bfloat16", "int8-in-float64"])
def test_a_dense_table_converted_to_its_compute_dtype_holds_the_rows_gather_gives(
    kind: str,
) -> None:
    table = _decoding_tables()[kind]
    converted = table.in_compute_dtype()
    rows = converted.direct_rows()
    assert rows is not None and rows.dtype == table.compute_dtype
    assert np.array_equal(rows, table.gather(np.arange(table.vocab_size)))
    assert converted.in_compute_dtype() is converted


@pytest.mark.parametrize("kind", list(_decoding_tables()))
@pytest.mark.parametrize("keep_bytes", [0, 1 << 24])
def test_pooling_through_the_scratch_buffer_is_bit_identical(kind: str, keep_bytes: int) -> None:
    table = _decoding_tables()[kind]
    rng = np.random.default_rng(7)
    ids = [rng.integers(0, 300, size=n).tolist() for n in rng.integers(0, 60, size=80)]
    scratch = RowScratch(keep_bytes=keep_bytes)
    first = mean_pool(ids, table, scratch=scratch)
    assert np.array_equal(first, mean_pool_reference(ids, table))
    assert np.array_equal(first, mean_pool(ids, table))
    assert scratch.nbytes == (
        0
        if keep_bytes == 0
        else (len({i for seq in ids for i in seq}) + 1)  # the decoded rows and a padding row
        * table.dim
        * table.compute_dtype.itemsize
    )
    assert np.array_equal(mean_pool(ids[::-1], table, scratch=scratch), first[::-1])


def test_the_scratch_buffer_is_lent_to_one_chunk_at_a_time_and_reused() -> None:
    scratch = RowScratch(keep_bytes=4096)
    with scratch.lend(8, 16, np.dtype(np.float32)) as first:
        assert first.shape == (8, 16) and first.dtype == np.float32 and first.flags.c_contiguous
        with scratch.lend(2, 2, np.dtype(np.float32)) as busy:
            assert busy is None
    with scratch.lend(4, 16, np.dtype(np.float64)) as again:
        assert again is not None and np.shares_memory(first, again)
    with scratch.lend(33, 16, np.dtype(np.float64)) as too_big:
        assert too_big is None
    assert scratch.nbytes == 512
    with scratch.lend(9, 16, np.dtype(np.float32)) as grown:
        assert grown is not None and grown.shape == (9, 16)
    assert scratch.nbytes == 1024  # at least twice the old size, so growth is not paid per batch
    with scratch.lend(33, 16, np.dtype(np.float32)) as larger:
        assert larger is not None
    assert scratch.nbytes == 33 * 16 * 4  # more than twice: what the chunk needs
    with scratch.lend(34, 16, np.dtype(np.float32)) as capped:
        assert capped is not None
    assert scratch.nbytes == 4096  # twice would pass keep_bytes: capped there


def test_reserving_grows_the_scratch_buffer_up_to_its_limit_and_never_shrinks_it() -> None:
    scratch = RowScratch(keep_bytes=1 << 16)
    scratch.reserve(1000)
    assert scratch.nbytes == 1000
    scratch.reserve(10)
    assert scratch.nbytes == 1000
    scratch.reserve(1 << 20)
    assert scratch.nbytes == 1 << 16
    with scratch.lend(4, 4, np.dtype(np.float32)) as lent:
        assert lent is not None and not lent.flags.owndata


@settings(max_examples=80, deadline=None)
@given(
    batches=st.lists(st.lists(st.integers(0, 999), min_size=1, max_size=300), max_size=4),
    vocab_size=st.sampled_from([1000, 5000, 200_000]),
    keep_bytes=st.sampled_from([0, 4096, 1 << 23]),
)
def test_distinct_ids_through_the_marks_equal_np_unique_batch_after_batch(
    batches: list[list[int]], vocab_size: int, keep_bytes: int
) -> None:
    scratch = RowScratch(keep_bytes=keep_bytes)
    for batch in batches:  # the marks are reused: each batch must find them clean
        ids = np.array(batch, dtype=np.int64)
        unique, index = scratch.distinct(ids, vocab_size)
        want_unique, want_index = np.unique(ids, return_inverse=True)
        assert np.array_equal(unique, want_unique)
        assert np.array_equal(index, want_index)
        assert np.array_equal(unique[index], ids)


def test_distinct_ids_fall_back_to_sorting_while_another_thread_holds_the_marks() -> None:
    scratch = RowScratch()
    scratch.reserve(0, vocab_size=1000)
    ids = np.array([9, 3, 9, 700, 3, 0] * 2)
    with scratch._marks_lock:  # what a concurrent chunk looks like from here
        unique, index = scratch.distinct(ids, 1000)
    assert unique.tolist() == [0, 3, 9, 700] and index.tolist() == [2, 1, 2, 3, 1, 0] * 2
    assert np.array_equal(scratch.distinct(ids, 1000)[1], index)


def test_a_batch_finds_its_distinct_ids_through_the_marks_without_sorting(monkeypatch) -> None:
    scratch = RowScratch()
    ids = np.array([5, 1, 5, 2, 9, 1, 0, 9])
    expected = np.unique(ids, return_inverse=True)

    def no_sorting(*args, **kwargs):
        raise AssertionError("np.unique was called")

    monkeypatch.setattr(np, "unique", no_sorting)
    unique, index = scratch.distinct(ids, 10)
    assert np.array_equal(unique, expected[0]) and np.array_equal(index, expected[1])
    assert len(scratch._seen) == 10 and not scratch._seen.any()  # left clean for the next batch


def test_reserving_sizes_the_distinct_id_marks_only_when_they_fit_in_the_buffer_limit() -> None:
    scratch = RowScratch(keep_bytes=5000)
    scratch.reserve(0, vocab_size=1000)
    assert len(scratch._seen) == 1000 and not scratch._seen.any()
    scratch.reserve(0, vocab_size=1001)  # 5 bytes per token would pass keep_bytes
    assert len(scratch._seen) == 1000


@pytest.mark.parametrize("decoded", [False, True])
def test_a_chunk_gathers_into_the_reserved_block_buffer_and_the_next_batch_reuses_it(
    decoded: bool,
) -> None:
    raw = _table(300, 16)
    table = DenseTable(raw.astype(np.float16) if decoded else raw)
    rng = np.random.default_rng(9)
    ids = [rng.integers(0, 300, size=n).tolist() for n in rng.integers(0, 50, size=40)]
    scratch = RowScratch()
    scratch.reserve(0, block_bytes=block_bytes_for(len(ids), 16 * 4))
    held = scratch._blocks._buffer
    held.fill(0xFF)  # NaN bytes: a sum read from stale memory would show
    first = mean_pool(ids, table, scratch=scratch)
    assert np.array_equal(first, mean_pool_reference(ids, table))
    assert scratch._blocks._buffer is held and not (held == 0xFF).all()  # written, not grown
    assert np.array_equal(mean_pool(ids[::-1], table, scratch=scratch), first[::-1])
    assert scratch._blocks._buffer is held


def test_a_chunk_finding_the_block_buffer_lent_out_gathers_into_new_arrays() -> None:
    table = DenseTable(_table(300, 16))
    ids = [[1, 2, 3], [4, 5], [6, 7, 8], [9]]
    scratch = RowScratch()
    with scratch.lend_blocks(64) as lent:  # what a concurrent chunk looks like from here
        assert lent is not None
        busy = mean_pool(ids, table, scratch=scratch)
    assert np.array_equal(busy, mean_pool_reference(ids, table))
    assert scratch.block_nbytes == 64


def test_threads_sharing_one_scratch_buffer_get_their_own_exact_vectors() -> None:
    table = _decoding_tables()["q4"]
    rng = np.random.default_rng(8)
    batches = [
        [rng.integers(0, 300, size=n).tolist() for n in rng.integers(1, 40, size=50)]
        for _ in range(24)
    ]
    expected = [mean_pool(batch, table) for batch in batches]
    scratch = RowScratch()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda b: mean_pool(b, table, scratch=scratch), batches * 4))
    for got, want in zip(results, expected * 4, strict=True):
        assert np.array_equal(got, want)


def test_ids_outside_the_table_raise_model_format_error() -> None:
    with pytest.raises(
        ModelFormatError, match="token id 7 is outside the token table \\(5 rows\\)"
    ):
        mean_pool([[1, 7]], DenseTable(_table(5, 3)))


def test_pooling_stays_float32_without_silent_float64_promotion() -> None:
    table = DenseTable(_table(10, 4))
    assert mean_pool([[1, 2]], table).dtype == np.float32
    head = SeparableDyT(np.ones(4), np.ones(4), np.zeros(4))
    assert head(mean_pool([[1, 2]], table)).dtype == np.float32
    assert l2_normalize(mean_pool([[1, 2]], table)).dtype == np.float32


def test_l2_normalize_keeps_zero_rows_zero() -> None:
    vectors = np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float32)
    assert l2_normalize(vectors).tolist() == [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]


@pytest.mark.parametrize("dim", [1, 3, 7, 64, 256, 384, 1024])
def test_one_vector_is_normalised_to_the_same_bits_as_its_row_in_a_batch(dim: int) -> None:
    rng = np.random.default_rng(dim)
    scale = rng.uniform(1e-3, 1e3, (200, 1)).astype(np.float32)
    vectors = rng.standard_normal((200, dim)).astype(np.float32) * scale
    vectors[7] = 0.0
    batch = l2_normalize(vectors)
    for vector, row in zip(vectors, batch, strict=True):
        one = l2_normalize(vector)
        assert one.dtype == np.float32 and one.shape == (dim,)
        assert np.array_equal(one.view(np.uint32), row.view(np.uint32))
    zero = np.zeros(dim, dtype=np.float32)
    assert not np.shares_memory(l2_normalize(zero), zero)


def test_a_float64_square_root_rounded_to_float32_is_numpys_float32_square_root() -> None:
    """One vector's norm is taken with math.sqrt; a batch's with np.sqrt on float32."""
    rng = np.random.default_rng(11)
    finite = rng.integers(0, 0x7F800000, 2_000_000, dtype=np.uint32)
    edges = np.array([0, 1, 2, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0x7F800000], dtype=np.uint32)
    squares = np.concatenate([finite, edges]).view(np.float32)
    via_math = np.array([math.sqrt(x) for x in squares.tolist()]).astype(np.float32)
    assert np.array_equal(via_math.view(np.uint32), np.sqrt(squares).view(np.uint32))


def test_head_and_normalisation_in_place_give_the_bits_of_their_new_array_forms() -> None:
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((50, 24)).astype(np.float32)
    vectors[3] = 0.0
    head = SeparableDyT(*rng.standard_normal((3, 24)))
    for batch in (vectors, vectors[0], vectors[3]):
        expected_head, expected_norm = head(batch), l2_normalize(batch)
        in_place = batch.copy()
        assert head(in_place, out=in_place) is in_place
        assert np.array_equal(in_place.view(np.uint32), expected_head.view(np.uint32))
        in_place = batch.copy()
        assert l2_normalize(in_place, out=in_place) is in_place
        assert np.array_equal(in_place.view(np.uint32), expected_norm.view(np.uint32))
    assert not np.shares_memory(head(vectors), vectors)
    assert not np.shares_memory(l2_normalize(vectors), vectors)


def test_truncate_keeps_leading_dimensions_contiguous() -> None:
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    short = truncate(vectors, 2)
    assert short.tolist() == [[0, 1], [4, 5], [8, 9]] and short.flags.c_contiguous
    assert truncate(vectors, None) is vectors


def test_separable_dyt_is_beta_tanh_alpha_x_plus_bias() -> None:
    alpha, beta, bias = np.array([0.5, 2.0]), np.array([1.5, -1.0]), np.array([0.1, 0.0])
    x = np.array([[1.0, -3.0]], dtype=np.float32)
    expected = beta * np.tanh(alpha * x.astype(np.float64) + bias)
    assert np.abs(SeparableDyT(alpha, beta, bias)(x) - expected).max() < 1e-6
    with pytest.raises(ValueError, match="1-D of one length"):
        SeparableDyT(alpha, beta, np.zeros(3))
