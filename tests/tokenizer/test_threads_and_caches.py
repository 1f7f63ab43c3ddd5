"""One Tokenizer shared by many threads gives the serial ids, and its memo cache stays bounded."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from tokenizer.reference_tokenizers import TEXTS, reference_ids

from static_embed_runner.tokenizer.cache import BoundedCache
from static_embed_runner.tokenizer.pipeline import Tokenizer

THREAD_CASES = [
    "bert-base-uncased",
    "gpt2",
    "llama-2",
    "xlm-roberta-paraphrase-multilingual-mpnet-base-v2",
    "trained-bpe-prefix-suffix-fused-unk",
]


def _with_cache(tok: Tokenizer, cache: BoundedCache) -> Tokenizer:
    return Tokenizer(
        tok.model,
        normalizer=tok.normalizer,
        pre_tokenizer=tok.pre_tokenizer,
        added_vocabulary=tok.added_vocabulary,
        truncation=tok.truncation,
        cache=cache,
    )


@pytest.mark.parametrize("capacity", [50_000, 16])
@pytest.mark.parametrize("name", THREAD_CASES)
def test_concurrent_encoding_from_threads_equals_serial_encoding(
    name: str, capacity: int, tokenizer_json: Callable[[str], str]
) -> None:
    json_text = tokenizer_json(name)
    texts = TEXTS[:-1]  # the very long text once per thread would dominate the run time
    serial = Tokenizer.from_str(json_text).encode_batch(texts)
    assert serial == reference_ids(json_text, texts)
    shared = _with_cache(Tokenizer.from_str(json_text), BoundedCache(capacity))
    start = threading.Barrier(6)

    def work(seed: int) -> list[tuple[int, list[int]]]:
        order = list(range(len(texts)))
        random.Random(seed).shuffle(order)
        start.wait()
        return [(i, shared.encode(texts[i])) for i in order]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(work, range(6)))
    for result in results:
        for i, ids in result:
            assert ids == serial[i]
    assert len(shared.cache) <= capacity


def test_cache_never_exceeds_its_capacity_while_fed_many_distinct_words(
    tokenizer_json: Callable[[str], str],
) -> None:
    json_text = tokenizer_json("gpt2")
    tok = _with_cache(Tokenizer.from_str(json_text), BoundedCache(100))
    rng = random.Random(0)
    texts = [
        " ".join("".join(rng.choice("abcdefghijklmnop") for _ in range(6)) for _ in range(40))
        for _ in range(60)
    ]
    sizes = []
    for text in texts:
        tok.encode(text)
        sizes.append(len(tok.cache))
    assert max(sizes) <= 100
    assert sizes[-1] > 50  # the cache is used, not disabled
    assert tok.encode_batch(texts) == reference_ids(json_text, texts)


def test_default_cache_is_bounded_and_skips_very_long_words() -> None:
    cache: BoundedCache[str, tuple[int, ...]] = BoundedCache()
    for i in range(cache.capacity + 500):
        cache.put(f"w{i}", (i,))
        assert len(cache) <= cache.capacity
    cache.put("x" * (cache.max_key_length + 1), (1,))
    assert cache.get("x" * (cache.max_key_length + 1)) is None
    assert cache.get(f"w{cache.capacity + 499}") == (cache.capacity + 499,)


def test_with_truncation_shares_the_cache_and_leaves_the_original_unchanged(
    tokenizer_json: Callable[[str], str],
) -> None:
    from static_embed_runner.tokenizer.truncation import Truncation

    tok = Tokenizer.from_str(tokenizer_json("bert-base-uncased"))
    cut = tok.with_truncation(Truncation(3))
    assert cut.cache is tok.cache
    assert len(cut.encode(TEXTS[0])) == 3 and len(tok.encode(TEXTS[0])) > 3
