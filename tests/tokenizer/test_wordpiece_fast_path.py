"""WordPiece's fast segmentation equals the plain greedy longest match and ``tokenizers``' model.

``greedy_reference`` is the algorithm as ``tokenizers`` states it (every candidate length from
the longest down, at every position). The model is checked three ways: before its vocab limits
exist (the plain loop), with them built up front (the limited loop), and as shipped (limits
built once enough lookups failed, part way through the words). Vocabularies: random ones from
hypothesis, and the real BERT vocabularies with their own entries, concatenations of them,
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
from tokenizers import models as rust_models

from static_embed_runner.tokenizer.models.wordpiece import WordPiece, _vocab_limits

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


def three_ways(vocab: dict[str, int], prefix: str, max_chars: int) -> dict[str, WordPiece]:
    """The model before its limits exist, with them built up front, and as shipped."""
    unlimited = WordPiece(vocab, UNK, prefix, max_chars)
    unlimited._misses = -(10**12)  # never reaches the build
    limited = WordPiece(vocab, UNK, prefix, max_chars)
    limited._limits = _vocab_limits(vocab, prefix)
    return {
        "unlimited": unlimited,
        "limited": limited,
        "shipped": WordPiece(vocab, UNK, prefix, max_chars),
    }


def rust_ids(vocab: dict[str, int], prefix: str, max_chars: int, words: list[str]) -> list[list]:
    model = rust_models.WordPiece(
        vocab, unk_token=UNK, continuing_subword_prefix=prefix, max_input_chars_per_word=max_chars
    )
    return [[token.id for token in model.tokenize(word)] for word in words]


def assert_all_agree(vocab: dict[str, int], prefix: str, max_chars: int, words: list[str]) -> None:
    expected = [greedy_reference(vocab, word, prefix, max_chars) for word in words]
    assert rust_ids(vocab, prefix, max_chars, words) == expected
    for name, model in three_ways(vocab, prefix, max_chars).items():
        got = [model.tokenize(word) for word in words]
        mismatches = [(w, g, e) for w, g, e in zip(words, got, expected, strict=True) if g != e]
        assert not mismatches, (name, mismatches[:5])


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
def test_all_three_paths_and_tokenizers_agree_on_random_vocabularies(
    case: tuple[dict[str, int], str, int, list[str]],
) -> None:
    vocab, prefix, max_chars, words = case
    assert_all_agree(vocab, prefix, max_chars, words)


def test_limits_hold_the_longest_entry_per_leading_non_ascii_character() -> None:
    vocab = {UNK: 0, "日本語です": 1, "日": 2, "##本": 3, "##本語": 4, "a日本": 5, "##ab日本": 6}
    vocab |= {"abcdefgh": 7, "##abcdef": 8}
    limits = _vocab_limits(vocab, "##")
    assert limits.longest == 8
    # Keys of ASCII-led entries ("a", "#", "##a", "a日本") are never looked up: an ASCII
    # character is limited by ``longest`` instead.
    assert limits.first == {"日": 5, "#": 6, "a": 3}
    assert limits.following == {"日": 1, "日本語": 5, "##本": 4, "a日本": 3, "##a": 6}
    words = ["日本語です", "日本語でした", "日本語日本", "a日本語", "日ab日本", "日語", "本"]
    # Pieces exactly as long as the limit at a non-ASCII and at an ASCII character.
    words += [
        "日本語です日本語",
        "日本語日本語日本",
        "abcdefgh本本語",
        "日abcdef本本本",
        "日abcdefg本",
    ]
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
def test_all_three_paths_and_tokenizers_agree_on_a_real_bert_vocab(
    name: str, real_vocab: Callable[[str], dict[str, int]]
) -> None:
    vocab = real_vocab(name)
    words = real_words(vocab, "##", seed=len(name))
    assert len(words) > 4000
    assert_all_agree(vocab, "##", 100, words)


def test_shipped_model_builds_its_limits_only_after_a_vocab_size_of_failed_lookups(
    real_vocab: Callable[[str], dict[str, int]],
) -> None:
    vocab = real_vocab("bert-base-uncased")
    model = WordPiece(vocab, UNK, "##", 100)
    kana = "".join(chr(c) for c in range(0x30A1, 0x30FA))
    short_words = [kana[i : i + 7] for i in range(len(kana) - 7)] + ["unaffable", "x" * 40]
    for word in short_words * 50:  # neither long nor non-ASCII from 8 characters: never counted
        model.tokenize(word)
    assert model._limits is None and model._misses == 0
    long_words = [kana[i : i + 30] for i in range(len(kana) - 30)]
    for word in long_words:
        assert model.tokenize(word) == greedy_reference(vocab, word, "##", 100)
    assert model._limits is None and 0 < model._misses < len(vocab)
    while model._limits is None:
        for word in long_words:
            model.tokenize(word)
    assert model._misses >= len(vocab)
    assert [model.tokenize(w) for w in long_words + short_words] == [
        greedy_reference(vocab, w, "##", 100) for w in long_words + short_words
    ]


def test_threads_sharing_a_model_while_it_builds_its_limits_get_the_greedy_ids(
    real_vocab: Callable[[str], dict[str, int]],
) -> None:
    vocab = real_vocab("bert-base-multilingual-uncased")
    words = real_words(vocab, "##", seed=7)
    words = [w for w in words if len(w) >= 8 and not w.isascii()]
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
    assert model._limits is not None  # the build happened while the threads were running
    assert all(results[seed] == expected for seed in range(4))
