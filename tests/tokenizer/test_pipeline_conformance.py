"""The pure-Python Tokenizer gives exactly the ids of ``tokenizers`` on every reference tokenizer.

Reference: ``tokenizers.Tokenizer.from_str(same json).encode(text, add_special_tokens=False).ids``
with padding off and the file's own truncation block left in place (it applies in both).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from corpus import TOKENIZER_FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizer.reference_tokenizers import (
    TEXTS,
    TRAINED_NAMES,
    added_token_texts,
    fixture_tokenizers,
    package_tokenizers,
    reference_ids,
    reference_tokenizer,
    spm_case_names,
)
from verification import COUNTS

from static_embed_runner.errors import TokenizerFormatError, TokenizerInputError
from static_embed_runner.tokenizer.backend import RustTokenizer, load_tokenizer
from static_embed_runner.tokenizer.pipeline import Tokenizer
from static_embed_runner.tokenizer.truncation import Truncation

REAL_CASES = [*fixture_tokenizers(), *package_tokenizers()]
ALL_CASES = [*REAL_CASES, *TRAINED_NAMES, *spm_case_names()]
ADDED_TOKEN_CASES = [
    f"{name}+added-tokens"
    for name in (
        *TRAINED_NAMES,
        "bert-base-uncased",
        "gpt2",
        "llama-2",
        "t5-small",
        "nmt-unigram-metaspace-split",
        "clip-vit",
    )
]


def _mismatches(json_text: str, texts: list[str]) -> list[str]:
    expected = reference_ids(json_text, texts)
    got = Tokenizer.from_str(json_text).encode_batch(texts)
    return [
        f"{text[:40]!r}: expected {e[:12]}... got {g[:12]}..."
        for text, e, g in zip(texts, expected, got, strict=True)
        if e != g
    ]


@pytest.mark.parametrize("name", ALL_CASES)
def test_lite_ids_equal_tokenizers_ids_on_corpus_and_adversarial_texts(
    name: str, tokenizer_json: Callable[[str], str]
) -> None:
    bad = _mismatches(tokenizer_json(name), TEXTS)
    assert not bad, f"{len(bad)}/{len(TEXTS)} texts differ for {name}: {bad[:3]}"


@pytest.mark.parametrize("name", ADDED_TOKEN_CASES)
def test_lite_ids_equal_tokenizers_ids_with_added_tokens_in_every_flag_combination(
    name: str, tokenizer_json: Callable[[str], str]
) -> None:
    texts = added_token_texts() + TEXTS[:40]
    bad = _mismatches(tokenizer_json(name), texts)
    assert not bad, f"{len(bad)}/{len(texts)} texts differ for {name}: {bad[:3]}"


PROPERTY_CASES = [
    "bert-base-uncased",
    "gpt2",
    "llama-2",
    "xlm-roberta-paraphrase-multilingual-mpnet-base-v2",
    "llm-jp-v2.1-unigram-bytefallback",
    "falcon-7b",
    "trained-bpe-prefix-suffix-fused-unk",
    "trained-unigram-byte-fallback",
]
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40) | st.lists(
    st.sampled_from(["a", "é", " ", "  ", "\t", "日本", "😀", "\u0301", "<s>", "[CLS]", "ab", "1"]),
    max_size=12,
).map("".join)
# A few hundred to a few thousand characters: many random texts joined, so the long ones hold the
# same mix of scripts, spaces, marks and special-token strings.
_long_text = st.lists(_text, min_size=10, max_size=120).map("".join)


def _check_ids_on(strategy, name: str, tokenizer_json, max_examples: int) -> None:
    json_text = tokenizer_json(name)
    lite = Tokenizer.from_str(json_text)
    rust = reference_tokenizer(json_text)

    @settings(
        max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(strategy)
    def check(text: str) -> None:
        assert lite.encode(text) == rust.encode(text, add_special_tokens=False).ids

    check()


@pytest.mark.parametrize("name", PROPERTY_CASES)
def test_lite_ids_equal_tokenizers_ids_on_random_unicode(
    name: str, tokenizer_json: Callable[[str], str]
) -> None:
    _check_ids_on(_text, name, tokenizer_json, max_examples=120)


@pytest.mark.parametrize("name", PROPERTY_CASES)
def test_lite_ids_equal_tokenizers_ids_on_long_random_unicode(
    name: str, tokenizer_json: Callable[[str], str]
) -> None:
    _check_ids_on(_long_text, name, tokenizer_json, max_examples=15)


# Special tokens the swift-transformers baselines carry around the inner ids: (prefix, suffix).
SWIFT_BASELINES = {
    "bge_small_multilingual.json": ("bert-base-uncased", 1, 1),
    "t5_small_multilingual.json": ("t5-small", 0, 1),
    "gpt2_multilingual.json": ("gpt2", 0, 0),
    "roberta_base_multilingual.json": ("roberta-base", 1, 1),
    "tinyllama_multilingual.json": ("llama-2", 1, 0),
}


def test_every_tokenizer_the_verification_table_counts_is_compared() -> None:
    assert len(SWIFT_BASELINES) == COUNTS["conformance_tokenizers"]
    assert len(fixture_tokenizers()) == COUNTS["tokenizer_fixtures"]
    assert len(REAL_CASES) == COUNTS["tokenizer_fixtures"] + len(package_tokenizers())


@pytest.mark.parametrize("baseline", sorted(SWIFT_BASELINES))
def test_lite_ids_equal_independent_transformers_ids_without_their_special_tokens(
    baseline: str,
) -> None:
    folder = TOKENIZER_FIXTURES / "conformance-swift-transformers"
    fixture, n_prefix, n_suffix = SWIFT_BASELINES[baseline]
    tok = Tokenizer.from_file(TOKENIZER_FIXTURES / fixture / "tokenizer.json")
    inputs = {e["id"]: e["text"] for e in json.loads((folder / "inputs.json").read_text())}
    entries = json.loads((folder / baseline).read_text())["entries"]
    assert len(entries) == len(inputs) == COUNTS["conformance_inputs"]
    bad = []
    for entry in entries:
        ids = entry["input_ids"]
        inner = ids[n_prefix : len(ids) - n_suffix]
        specials = ids[:n_prefix] + ids[len(ids) - n_suffix :]
        assert all(tok.id_to_token(i) in {"[CLS]", "[SEP]", "</s>", "<s>"} for i in specials)
        if tok.encode(inputs[entry["id"]]) != inner:
            bad.append(entry["id"])
    assert not bad, f"{len(bad)} of 83 inputs differ from {baseline}: {bad[:5]}"


@pytest.mark.parametrize(
    ("name", "max_length"),
    [
        ("xlm-roberta-paraphrase-multilingual-mpnet-base-v2", 128),
        ("bert-base-multilingual-uncased", 512),
    ],
)
def test_truncation_block_of_tokenizer_json_applies_like_tokenizers(
    name: str, max_length: int, tokenizer_json: Callable[[str], str]
) -> None:
    json_text = tokenizer_json(name)
    tok = Tokenizer.from_str(json_text)
    assert tok.truncation == Truncation(max_length, "right")
    long_text = TEXTS[-1]
    assert len(tok.with_truncation(None).encode(long_text)) > max_length
    assert (
        tok.encode(long_text)
        == reference_tokenizer(json_text).encode(long_text, add_special_tokens=False).ids
    )


@pytest.mark.parametrize("direction", ["right", "left"])
def test_with_truncation_returns_a_new_tokenizer_matching_tokenizers_truncation(
    direction: str, tokenizer_json: Callable[[str], str]
) -> None:
    json_text = tokenizer_json("gpt2")
    tok = Tokenizer.from_str(json_text)
    cut = tok.with_truncation(Truncation(7, direction))
    rust = reference_tokenizer(json_text)
    rust.enable_truncation(7, direction=direction)
    for text in TEXTS[:30]:
        assert cut.encode(text) == rust.encode(text, add_special_tokens=False).ids
    assert tok.truncation is None
    assert cut is not tok and cut.truncation == Truncation(7, direction)


@pytest.mark.parametrize(
    "name",
    [*fixture_tokenizers(), *package_tokenizers(),
     "gpt2+added-tokens", "bert-base-uncased+added-tokens"],
)  # fmt: skip
def test_the_rust_adapter_counts_the_vocab_as_tokenizers_does_without_building_it(
    name: str, tokenizer_json: Callable[[str], str]
) -> None:
    json_text = tokenizer_json(name)
    adapter = RustTokenizer.from_str(json_text, name)
    assert adapter.get_vocab_size() == reference_tokenizer(json_text).get_vocab_size(True)


def test_vocab_size_token_lookup_and_unk_id_match_tokenizers(
    tokenizer_json: Callable[[str], str],
) -> None:
    for name in ["bert-base-uncased", "gpt2", "t5-small", "llama-2", "gpt-neox-20b"]:
        json_text = tokenizer_json(name)
        tok = Tokenizer.from_str(json_text)
        rust = reference_tokenizer(json_text)
        assert tok.get_vocab_size() == rust.get_vocab_size(with_added_tokens=True)
        for token in ["[UNK]", "<unk>", "the", "Ġthe", "▁the", "<|endoftext|>", "</s>", "zzzq"]:
            assert tok.token_to_id(token) == rust.token_to_id(token)
        for token_id in [0, 1, 5, 100, 1000, 30000, 32099, 50256, 50270, 10**7]:
            assert tok.id_to_token(token_id) == rust.id_to_token(token_id)
    assert Tokenizer.from_str(tokenizer_json("bert-base-uncased")).unk_token_id == 100
    assert Tokenizer.from_str(tokenizer_json("t5-small")).unk_token_id == 2
    assert Tokenizer.from_str(tokenizer_json("gpt2")).unk_token_id is None


@pytest.mark.parametrize(
    "path", sorted(TOKENIZER_FIXTURES.glob("*/tokenizer.json")), ids=lambda p: p.parent.name
)
def test_get_vocab_of_both_backends_equals_tokenizers_get_vocab_with_added_tokens(path) -> None:
    rust = reference_tokenizer(path.read_text(encoding="utf-8"))
    expected = rust.get_vocab(with_added_tokens=True)
    assert Tokenizer.from_file(path).get_vocab() == expected
    assert load_tokenizer(path, backend="tokenizers").get_vocab() == expected


def test_lone_surrogate_raises_tokenizer_input_error_with_its_index(
    tokenizer_json: Callable[[str], str],
) -> None:
    tok = Tokenizer.from_str(tokenizer_json("bert-base-uncased"))
    with pytest.raises(TokenizerInputError, match=r"U\+D800 at index 3"):
        tok.encode("abc\ud800def")
    with pytest.raises(TokenizerInputError, match="expects str"):
        tok.encode(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):  # what tokenizers does with the same text
        reference_tokenizer(tokenizer_json("bert-base-uncased")).encode("abc\ud800def")


def test_malformed_tokenizer_json_raises_format_error_naming_file_and_field(tmp_path) -> None:
    path = tmp_path / "tokenizer.json"
    path.write_text("{not json")
    with pytest.raises(TokenizerFormatError, match=r"tokenizer\.json: not valid JSON"):
        Tokenizer.from_file(path)
    path.write_text(json.dumps({"added_tokens": []}))
    with pytest.raises(
        TokenizerFormatError, match=r"tokenizer\.json: the field 'model' is missing"
    ):
        Tokenizer.from_file(path)
    model = {
        "type": "WordPiece",
        "vocab": {"a": 0},
        "unk_token": "a",
        "continuing_subword_prefix": "##",
        "max_input_chars_per_word": "many",
    }
    path.write_text(json.dumps({"model": model}))
    with pytest.raises(TokenizerFormatError, match=r"tokenizer\.json: .*max_input_chars_per_word"):
        Tokenizer.from_file(path)
    path.write_text(
        json.dumps(
            {
                "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"},
                "added_tokens": [{"content": 3}],
            }
        )
    )
    with pytest.raises(
        TokenizerFormatError, match=r"tokenizer.json: added_tokens: added_tokens\[0\]"
    ):
        Tokenizer.from_file(path)
