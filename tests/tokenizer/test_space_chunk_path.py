"""The space-chunk shortcut (BERT normalizer and pre-tokenizer, printable text): the ids of a text
are those ``tokenizers`` gives, whether its chunks are memoised already or not, and texts the
shortcut must not take (other whitespace, control characters, added tokens) still match."""

from __future__ import annotations

import pytest
from corpus import CORPUS, TOKENIZER_FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as ReferenceTokenizer

from static_embed_runner.tokenizer.pipeline import Tokenizer

NAMES = ["bert-base-uncased", "bert-base-cased", "bert-base-multilingual-uncased", "potion-base-8M"]
# Characters where per-chunk and whole-text processing could part: capital sigmas (final sigma),
# combining marks after a space, U+FFFD (deleted by clean_text), CJK (padded with spaces),
# punctuation, accented letters, an added token's text, and the whitespace the shortcut avoids.
ALPHABET = [
    *"aAbΣσςΑΩéÉ\u0301\u0308 ,.!?-'\ufffd東京日本語한국",
    *("[CLS]", "[MASK]", "\t", "\n", "\u00a0", "\u3000", "\x1c", "\u200b", "İ", "ﬁ"),
]


@pytest.fixture(scope="module")
def tokenizers() -> dict[str, tuple[Tokenizer, ReferenceTokenizer]]:
    pairs = {}
    for name in NAMES:
        path = TOKENIZER_FIXTURES / name / "tokenizer.json"
        pairs[name] = (Tokenizer.from_file(path), ReferenceTokenizer.from_file(str(path)))
    return pairs


def _reference(reference: ReferenceTokenizer, text: str) -> list[int]:
    return reference.encode(text, add_special_tokens=False).ids


@pytest.mark.parametrize("name", NAMES)
def test_the_shortcut_is_taken_and_matches_tokenizers_on_the_corpus_twice(name, tokenizers):
    ours, reference = tokenizers[name]
    assert ours.chunk_cache is not None
    for _ in range(2):  # first sight, then every chunk from the memo
        for text in CORPUS:
            assert ours.encode(text) == _reference(reference, text), text
    assert len(ours.chunk_cache._data) > 0


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_random_texts_match_tokenizers_with_and_without_memoised_chunks(text, tokenizers):
    for ours, reference in tokenizers.values():
        expected = _reference(reference, text)
        assert ours.encode(text) == expected
        assert ours.encode(text) == expected  # the same text again, chunks now memoised
        for chunk in text.split(" "):  # each chunk alone, then the text from chunks seen alone
            assert ours.encode(chunk) == _reference(reference, chunk)
        assert ours.encode(text) == expected


def test_other_normalizers_and_pre_tokenizers_keep_the_plain_path():
    ours = Tokenizer.from_file(TOKENIZER_FIXTURES / "gpt2" / "tokenizer.json")
    assert ours.chunk_cache is None
