"""WordPiece's fast segmentation equals the plain greedy longest match and ``tokenizers``' model.

``greedy_reference`` is the algorithm as ``tokenizers`` states it (every candidate length from
the longest down, at every position); the model tries each position's candidates as prefixes of
one string and bounds long words' candidates by the longest entry. Vocabularies: random ones
from hypothesis, and the real BERT vocabularies with their own entries, concatenations of them,
and Japanese, CJK, accented, long and unknown words.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable

import pytest
from corpus import CORPUS, TOKENIZER_FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer as ReferenceTokenizer
from tokenizers import models as rust_models
from tokenizers import normalizers, pre_tokenizers

from static_embed_runner.errors import TokenizerInputError
from static_embed_runner.tokenizer.models.wordpiece import WordPiece
from static_embed_runner.tokenizer.pipeline import Tokenizer

UNK = "[UNK]"


def greedy_reference(vocab: dict[str, int], word: str, prefix: str, max_chars: int) -> list[int]:
    """Greedy longest-match-first WordPiece, written plainly."""
    if len(word) > max_chars:
        return [vocab[UNK]]
    out: list[int] = []
    start = 0
    while start < len(word):
        end = len(word)
        while end > start:
            candidate = word[start:end] if start == 0 else prefix + word[start:end]
            if candidate in vocab:
                break
            end -= 1
        else:
            return [vocab[UNK]]
        out.append(vocab[candidate])
        start = end
    return out


def rust_ids(vocab: dict[str, int], prefix: str, max_chars: int, words: list[str]) -> list[list]:
    model = rust_models.WordPiece(
        vocab, unk_token=UNK, continuing_subword_prefix=prefix, max_input_chars_per_word=max_chars
    )
    return [[token.id for token in model.tokenize(word)] for word in words]


def assert_all_agree(vocab: dict[str, int], prefix: str, max_chars: int, words: list[str]) -> None:
    expected = [greedy_reference(vocab, word, prefix, max_chars) for word in words]
    assert rust_ids(vocab, prefix, max_chars, words) == expected
    model = WordPiece(vocab, UNK, prefix, max_chars)
    got = [model.tokenize(word) for word in words]
    mismatches = [(w, g, e) for w, g, e in zip(words, got, expected, strict=True) if g != e]
    assert not mismatches, mismatches[:5]


# ---------------------------------------------------------------------------- random vocabularies

# ASCII, '#', Latin-1, combining mark, kana, CJK, Hangul and an astral-plane emoji.
ALPHABET = "ab#xé\u0301カタかな日本한😀"
PREFIXES = ["##", "", "#", "@@", "\u2581", "カ"]

pieces = st.text(alphabet=st.sampled_from(list(ALPHABET)), min_size=1, max_size=6)


@st.composite
def vocab_and_words(draw: st.DrawFn) -> tuple[dict[str, int], str, int, list[str]]:
    prefix = draw(st.sampled_from(PREFIXES))
    firsts = draw(st.lists(pieces, max_size=25))
    following = [prefix + p for p in draw(st.lists(pieces, max_size=25))]
    entries = [UNK, *dict.fromkeys(firsts + following)]
    vocab = {entry: i for i, entry in enumerate(entries)}
    free = st.text(alphabet=st.sampled_from(list(ALPHABET)), min_size=1, max_size=45)
    built = st.lists(st.sampled_from(firsts + [p[len(prefix) :] for p in following] or ["a"]))
    words = draw(st.lists(free | built.map("".join).filter(bool), min_size=1, max_size=30))
    max_chars = draw(st.sampled_from([0, 3, 12, 40, 100]))
    return vocab, prefix, max_chars, words


@settings(max_examples=300, deadline=None)
@given(vocab_and_words())
def test_model_reference_and_tokenizers_agree_on_random_vocabularies(
    case: tuple[dict[str, int], str, int, list[str]],
) -> None:
    vocab, prefix, max_chars, words = case
    assert_all_agree(vocab, prefix, max_chars, words)


def test_long_words_find_pieces_exactly_as_long_as_the_longest_entry() -> None:
    vocab = {UNK: 0, "abcdefgh": 1, "##abcdefg": 2, "a": 3, "##b": 4, "日本語": 5, "##本": 6}
    words = ["abcdefgh" * 6, "abcdefgh" + "abcdefg" * 6, "a" + "b" * 44, "日本語" + "本" * 40]
    words += ["abcdefgh" * 5 + "x", "a" * 41]
    assert all(len(word) > 40 for word in words)
    assert_all_agree(vocab, "##", 100, words)


# ------------------------------------------------------------------------------ real vocabularies

REAL_VOCABS = ["bert-base-uncased", "bert-base-multilingual-uncased", "bert-base-cased"]

SCRIPTS = {
    "hiragana": (0x3041, 0x3096),
    "katakana": (0x30A1, 0x30FA),
    "cjk": (0x4E00, 0x9FFF),
    "hangul": (0xAC00, 0xD7A3),
    "latin-accented": (0x00C0, 0x017F),
    "cyrillic": (0x0410, 0x044F),
    "thai": (0x0E01, 0x0E3A),
}


def real_words(vocab: dict[str, int], prefix: str, seed: int) -> list[str]:
    """Entries, joins of entries, script runs up to past 100 characters, corpus words, unknowns."""
    rng = random.Random(seed)
    stems = [t.removeprefix(prefix) for t in vocab if t.removeprefix(prefix)]
    words = rng.sample(stems, 1500)
    words += ["".join(rng.choices(stems, k=rng.randint(2, 5))) for _ in range(1500)]
    for low, high in SCRIPTS.values():
        for _ in range(120):
            length = rng.choice([rng.randint(1, 12), rng.randint(13, 45), rng.randint(90, 104)])
            words.append("".join(chr(rng.randint(low, high)) for _ in range(length)))
    mixed_alphabet = [c for c in "abcxyz0123é" + "".join(stems[:2000]) if not c.isspace()]
    words += ["".join(rng.choices(mixed_alphabet, k=rng.randint(5, 60))) for _ in range(300)]
    words += [w for text in CORPUS for w in text.split()]
    words += ["\U0001f600" * 3, "q" * 101, "日本" * 50, "x" * 100 + "\u0301"]
    return words


@pytest.fixture(scope="module")
def real_vocab() -> Callable[[str], dict[str, int]]:
    cache: dict[str, dict[str, int]] = {}

    def load(name: str) -> dict[str, int]:
        if name not in cache:
            config = json.loads((TOKENIZER_FIXTURES / name / "tokenizer.json").read_text("utf-8"))
            cache[name] = config["model"]["vocab"]
        return cache[name]

    return load


@pytest.mark.parametrize("name", REAL_VOCABS)
def test_model_reference_and_tokenizers_agree_on_a_real_bert_vocab(
    name: str, real_vocab: Callable[[str], dict[str, int]]
) -> None:
    vocab = real_vocab(name)
    words = real_words(vocab, "##", seed=len(name))
    assert len(words) > 4000
    assert_all_agree(vocab, "##", 100, words)


def test_threads_sharing_a_fresh_model_get_the_greedy_ids(
    real_vocab: Callable[[str], dict[str, int]],
) -> None:
    vocab = real_vocab("bert-base-multilingual-uncased")
    words = real_words(vocab, "##", seed=7)
    words = [w for w in words if len(w) >= 8]
    expected = [greedy_reference(vocab, w, "##", 100) for w in words]
    model = WordPiece(vocab, UNK, "##", 100)
    start = threading.Barrier(4)
    results: dict[int, list[list[int]]] = {}

    def work(seed: int) -> None:
        order = list(range(len(words)))
        random.Random(seed).shuffle(order)
        start.wait()
        got = {i: model.tokenize(words[i]) for i in order * 4}
        results[seed] = [got[i] for i in range(len(words))]

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[seed] == expected for seed in range(4))


# ------------------------------------------------- first sight in the pipeline: one-char misses


def _pipeline_json(model: object) -> str:
    tokenizer = ReferenceTokenizer(model)
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return tokenizer.to_str()


SHORTCUT_TEXTS = [
    "駅は日本の東にある",  # CJK characters: each its own pre-token, most missing from the vocab
    "かな and カタカナ, 한국어 😀 ok!",
    "日 本 x 日本語 ?",
    "",
    "unknown ☃ snowman ☃ again",
]
SHORTCUT_VOCAB = [UNK, "日", "本", "x", "##本", "ok", "!", "?", ",", "and", "か", "##な"]


def _spied_pipeline(json_text: str) -> tuple[Tokenizer, list[str]]:
    """The pure-Python tokenizer with its model's ``tokenize`` recording every word it gets."""
    tokenizer = Tokenizer.from_str(json_text)
    seen: list[str] = []
    tokenize = tokenizer.model.tokenize

    def spy(word: str) -> list[int]:
        seen.append(word)
        return tokenize(word)

    tokenizer.model.tokenize = spy
    return tokenizer, seen


@pytest.mark.parametrize("kind", ["WordPiece", "WordLevel"])
def test_characters_the_vocab_lacks_become_unk_without_a_model_call(kind: str) -> None:
    vocab = {token: i for i, token in enumerate(SHORTCUT_VOCAB)}
    model = (
        rust_models.WordPiece(vocab, unk_token=UNK)
        if kind == "WordPiece"
        else rust_models.WordLevel(vocab, unk_token=UNK)
    )
    json_text = _pipeline_json(model)
    reference = ReferenceTokenizer.from_str(json_text)
    expected = [reference.encode(t, add_special_tokens=False).ids for t in SHORTCUT_TEXTS]
    tokenizer, seen = _spied_pipeline(json_text)
    assert tokenizer.encode_batch(SHORTCUT_TEXTS) == expected
    words = [
        word
        for text in SHORTCUT_TEXTS
        for word, _ in reference.pre_tokenizer.pre_tokenize_str(
            reference.normalizer.normalize_str(text)
        )
    ]
    lacking = {word for word in words if len(word) == 1 and word not in vocab}
    assert {"駅", "☃", "😀", "は"} <= lacking  # the shortcut was needed ...
    assert not lacking & set(seen), seen  # ... and taken: the model never saw those words
    assert any(len(word) > 1 for word in seen)  # while longer unknown words still went to it
    assert tokenizer.encode("駅 ☃") == [vocab[UNK], vocab[UNK]]  # answered from the cache now


def test_a_lacking_character_without_an_unk_token_still_raises_naming_it() -> None:
    vocab = {token: i for i, token in enumerate(SHORTCUT_VOCAB) if token != UNK}
    tokenizer, seen = _spied_pipeline(_pipeline_json(rust_models.WordPiece(vocab, unk_token=UNK)))
    assert tokenizer.encode("日本") == [vocab["日"], vocab["本"]]
    with pytest.raises(TokenizerInputError, match="駅"):
        tokenizer.encode("日 駅")
    assert seen == ["駅"]


def test_a_zero_character_word_limit_makes_every_word_unk_through_the_model() -> None:
    vocab = {token: i for i, token in enumerate(SHORTCUT_VOCAB)}
    json_text = _pipeline_json(
        rust_models.WordPiece(vocab, unk_token=UNK, max_input_chars_per_word=0)
    )
    reference = ReferenceTokenizer.from_str(json_text)
    tokenizer, seen = _spied_pipeline(json_text)
    for text in SHORTCUT_TEXTS:
        assert tokenizer.encode(text) == reference.encode(text, add_special_tokens=False).ids
    assert "日" in seen and "駅" in seen
