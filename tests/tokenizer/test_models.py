"""Each model alone (no normalizer, no pre-tokenizer) gives the ids of the ``tokenizers`` model.

Every tokenizer.json here has only a ``model`` block, so ``tokenizers`` encodes the whole text as
one word: the reference ids are exactly that model's ``tokenize`` output.
"""

from __future__ import annotations

import importlib.util
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer.reference_tokenizers import TRAINED_NAMES, reference_ids, reference_tokenizer
from tokenizer.text_cases import tokenizer_json

from static_embed_runner.errors import (
    TokenizerFormatError,
    TokenizerInputError,
    UnsupportedTokenizerError,
)
from static_embed_runner.tokenizer import backend
from static_embed_runner.tokenizer.json_numbers import serde_json_float
from static_embed_runner.tokenizer.models.bpe import merge_by_queue, merge_by_scan
from static_embed_runner.tokenizer.models.loader import build_model, infer_model_type
from static_embed_runner.tokenizer.pipeline import Tokenizer


def assert_same_ids(json_text: str, words: list[str]) -> None:
    words = [w for w in words if w]
    assert Tokenizer.from_str(json_text).encode_batch(words) == reference_ids(json_text, words)


WORD_ALPHABET = "abcdeé日本😀\u0301x"
words_strategy = st.text(alphabet=st.sampled_from(list(WORD_ALPHABET)), min_size=1, max_size=30)


# ---------------------------------------------------------------------------------- WordPiece

WORDPIECE_VOCAB = {
    "[UNK]": 0,
    "a": 1,
    "b": 2,
    "ab": 3,
    "##b": 4,
    "##c": 5,
    "é": 6,
    "##é": 7,
    "abc": 8,
    "##bc": 9,
    "日": 10,
    "##本": 11,
    "x": 12,
    "##x": 13,
}


def wordpiece(max_chars: int = 100, unk: str = "[UNK]") -> str:
    return tokenizer_json(
        {
            "type": "WordPiece",
            "unk_token": unk,
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": max_chars,
            "vocab": WORDPIECE_VOCAB,
        }
    )


def test_wordpiece_counts_max_input_chars_per_word_in_characters_not_bytes() -> None:
    json_text = wordpiece(max_chars=5)
    assert_same_ids(json_text, ["ééééé", "éééééé", "abcab", "abcabc", "日本日本日"])
    tok = Tokenizer.from_str(json_text)
    assert tok.encode("ééééé") == [6, 7, 7, 7, 7]
    assert tok.encode("éééééé") == [0]


def test_a_vocab_word_over_max_input_chars_per_word_is_unknown_each_time_it_is_seen() -> None:
    json_text = wordpiece(max_chars=2)
    assert_same_ids(json_text, ["abc", "x", "ab"])
    tok = Tokenizer.from_str(json_text)
    assert [tok.encode(word) for word in ("abc", "x", "abc", "x")] == [[0], [12], [0], [12]]


@settings(max_examples=200, deadline=None)
@given(words_strategy)
def test_wordpiece_greedy_longest_match_and_unk_match_tokenizers(word: str) -> None:
    assert_same_ids(wordpiece(max_chars=12), [word])


def test_wordpiece_without_its_unk_in_the_vocab_raises_input_error_only_when_needed() -> None:
    tok = Tokenizer.from_str(wordpiece(unk="[MISSING]"))
    assert tok.encode("abc") == [8]
    with pytest.raises(TokenizerInputError, match=r"unk_token '\[MISSING\]'"):
        tok.encode("q")


# ------------------------------------------------------------------------------------ Unigram


def unigram(byte_fallback: bool = False, unk_id: int | None = 0, seed: int = 0) -> str:
    rng = random.Random(seed)
    pieces = [
        "<unk>",
        "a",
        "b",
        "c",
        "ab",
        "bc",
        "abc",
        "é",
        "日本",
        "本",
        "ca",
        "cab",
        "x",
        "xx",
        "xxx",
    ]
    vocab = [[p, round(-rng.uniform(1, 12), rng.choice([1, 3, 17]))] for p in pieces]
    vocab += [["aa", -6.0], ["bb", -6.0], ["a" * 4, -12.0]]  # exact ties
    if byte_fallback:
        vocab += [[f"<0x{b:02X}>", -20.0] for b in range(256) if b % 7]
    return tokenizer_json(
        {"type": "Unigram", "unk_id": unk_id, "vocab": vocab, "byte_fallback": byte_fallback}
    )


@pytest.mark.parametrize("byte_fallback", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unigram_viterbi_unk_penalty_fused_unk_and_byte_fallback_match_tokenizers(
    byte_fallback: bool, seed: int
) -> None:
    json_text = unigram(byte_fallback, seed=seed)
    rng = random.Random(seed)
    words = [
        "".join(rng.choice(WORD_ALPHABET + "q") for _ in range(rng.randint(1, 25)))
        for _ in range(300)
    ]
    words += ["aaaa", "aaaaaaaa", "abab", "xxxxxxxxxxx", "qqq", "q😀q", "<unk>", "<unk>q"]
    assert_same_ids(json_text, words)


def test_unigram_unk_score_is_min_score_minus_ten() -> None:
    model = build_model(json.loads(unigram())["model"])
    assert model.unk_score == model.min_score - 10.0


def test_unigram_without_unk_id_raises_input_error_for_an_uncovered_character() -> None:
    tok = Tokenizer.from_str(unigram(unk_id=None))
    assert tok.encode("abc") == reference_ids(unigram(unk_id=None), ["abc"])[0]
    with pytest.raises(TokenizerInputError, match="U\\+0071"):
        tok.encode("aqa")


def test_serde_json_float_matches_the_scores_tokenizers_reads() -> None:
    rng = random.Random(5)
    literals = []
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 24)))
        literal = f"-{int(digits[:2])}.{digits[2:] or '0'}"
        if rng.random() < 0.2:
            literal += f"e{rng.randint(-30, 30)}"
        literals.append(literal)
    vocab = ",".join(f'["p{i}", {lit}]' for i, lit in enumerate(literals))
    json_text = tokenizer_json({"type": "Unigram", "unk_id": 0, "vocab": []}).replace(
        '"vocab": []', f'"vocab": [{vocab}]'
    )
    read_back = json.loads(reference_tokenizer(json_text).to_str())["model"]["vocab"]
    assert [serde_json_float(lit) for lit in literals] == [score for _, score in read_back]
    assert any(float(lit) != score for lit, (_, score) in zip(literals, read_back, strict=True))


# ---------------------------------------------------------------------------------------- BPE


def bpe(**flags: Any) -> str:
    chars = ["a", "b", "c", "é", "日"]
    vocab: dict[str, int] = {"<unk>": 0}
    prefix = flags.get("continuing_subword_prefix") or ""
    suffix = flags.get("end_of_word_suffix") or ""
    for ch in chars:
        for form in (ch, prefix + ch, ch + suffix, prefix + ch + suffix):
            vocab.setdefault(form, len(vocab))
    merges = []
    rng = random.Random(3)
    for _ in range(40):
        a, b = rng.sample(sorted(vocab)[1:], 2)
        if not b.startswith(prefix) or (a.endswith(suffix) and suffix):
            continue
        merged = a + b[len(prefix) :]
        vocab.setdefault(merged, len(vocab))
        merges.append([a, b])
    for b in range(256):
        if b % 5:
            vocab[f"<0x{b:02X}>"] = len(vocab)
    model = {"type": "BPE", "dropout": None, "vocab": vocab, "merges": merges, **flags}
    return tokenizer_json(model)


BPE_FLAGS = [
    {},
    {"unk_token": "<unk>"},
    {"unk_token": "<unk>", "fuse_unk": True},
    {"unk_token": "<unk>", "byte_fallback": True},
    {"unk_token": "<unk>", "fuse_unk": True, "byte_fallback": True},
    {"continuing_subword_prefix": "##", "end_of_word_suffix": "</w>", "unk_token": "<unk>"},
    {"ignore_merges": True, "unk_token": "<unk>"},
]


@pytest.mark.parametrize("flags", BPE_FLAGS, ids=lambda f: "-".join(f) or "plain")
def test_bpe_merges_unk_fuse_byte_fallback_prefix_suffix_match_tokenizers(flags: dict) -> None:
    rng = random.Random(len(flags))
    words = [
        "".join(rng.choice("abcé日qz😀") for _ in range(rng.randint(1, 40))) for _ in range(300)
    ]
    assert_same_ids(bpe(**flags), [*words, "abc", "q", "qq", "aqqa", "a" * 120])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=2, max_size=80), st.randoms(use_true_random=False))
def test_bpe_scan_merge_loop_equals_the_priority_queue_loop(symbols: list[int], rnd) -> None:
    merges = {}
    ids = iter(range(1000, 100000))
    for rank in range(150):
        pair = (rnd.randint(0, 40), rnd.randint(0, 40))
        merges[pair] = (rank, next(ids))
    for rank in range(150, 300):  # merges of merged symbols
        pair = (rnd.choice(list(merges.values()))[1], rnd.randint(0, 40))
        merges[pair] = (rank, next(ids))
    assert merge_by_scan(symbols, merges) == merge_by_queue(symbols, merges)


def test_bpe_legacy_merges_with_version_line_equal_pair_merges() -> None:
    config = json.loads(bpe())
    legacy = json.loads(bpe())
    legacy["model"]["merges"] = ["#version: 0.2"] + [" ".join(m) for m in config["model"]["merges"]]
    words = ["abcabc", "ébé日", "cab"]
    assert Tokenizer.from_str(json.dumps(legacy)).encode_batch(words) == Tokenizer.from_str(
        json.dumps(config)
    ).encode_batch(words)
    assert_same_ids(json.dumps(legacy), words)


def test_bpe_dropout_is_unsupported_in_lite_and_auto_falls_back_to_rust(tmp_path) -> None:
    config = json.loads(bpe())
    config["model"]["dropout"] = 0.1
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(config))
    with pytest.raises(UnsupportedTokenizerError, match="dropout"):
        Tokenizer.from_file(path)
    with pytest.raises(UnsupportedTokenizerError, match="dropout"):
        backend.load_tokenizer(path, backend="lite")
    auto = backend.load_tokenizer(path, backend="auto")
    assert auto.backend == "tokenizers"
    config["model"]["dropout"] = 0.0
    path.write_text(json.dumps(config))
    assert backend.load_tokenizer(path, backend="auto").backend == "lite"


def test_auto_backend_raises_unsupported_when_tokenizers_is_not_installed(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = json.loads(bpe())
    config["model"]["dropout"] = 0.5
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(config))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tokenizers" else real_find_spec(name, *a),
    )
    with pytest.raises(UnsupportedTokenizerError, match="dropout"):
        backend.load_tokenizer(path, backend="auto")
    with pytest.raises(UnsupportedTokenizerError, match="tokenizers package"):
        backend.load_tokenizer(path, backend="tokenizers")


def test_bpe_merge_naming_a_token_outside_the_vocab_is_a_format_error_naming_the_field() -> None:
    config = json.loads(bpe())
    config["model"]["merges"].append(["a", "nope"])
    with pytest.raises(TokenizerFormatError, match=r"x\.json: model\.merges\[\d+\].*'nope'"):
        build_model(config["model"], "x.json")


# ------------------------------------------------------------------------ old serialisation


@pytest.mark.parametrize("name", [n for n in TRAINED_NAMES if "metaspace" not in n])
def test_old_serialisation_without_model_type_infers_the_model_like_tokenizers(
    name: str, tokenizer_json: Callable[[str], str]
) -> None:
    config = json.loads(tokenizer_json(name))
    kind = config["model"].pop("type")
    assert infer_model_type(config["model"]) == kind
    json_text = json.dumps(config)
    texts = ["Hello world, this is a test of the old format.", "日本語 ümlaut 😀 x" * 3]
    assert Tokenizer.from_str(json_text).encode_batch(texts) == reference_ids(json_text, texts)


def test_fixture_bert_base_uncased_is_the_old_serialisation_and_loads_as_wordpiece(
    tokenizer_json: Callable[[str], str],
) -> None:
    config = json.loads(tokenizer_json("bert-base-uncased"))
    assert "type" not in config["model"]
    assert Tokenizer.from_str(json.dumps(config)).model.kind == "WordPiece"


def test_model_without_type_and_unknown_fields_is_a_format_error() -> None:
    with pytest.raises(TokenizerFormatError, match=r"m\.json: 'model' has no 'type'"):
        build_model({"vocab": 3}, "m.json")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab cé日😀\u2581q")), max_size=60))
def test_bpe_chunking_before_metaspace_equals_merging_the_whole_word(text: str) -> None:
    model = _llama_model()
    assert model.chunk_at_metaspace
    word = "\u2581" + text.replace(" ", "\u2581")
    assert model.tokenize(word) == model.merge_word(word)


_LLAMA: list = []


def _llama_model():
    if not _LLAMA:
        from corpus import TOKENIZER_FIXTURES

        config = json.loads((TOKENIZER_FIXTURES / "llama-2" / "tokenizer.json").read_text())
        _LLAMA.append(build_model(config["model"]))
    return _LLAMA[0]
