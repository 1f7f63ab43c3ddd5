"""Every pre-tokenizer type against ``tokenizers`` built from the same JSON config."""

from __future__ import annotations

from typing import Any

import pytest
import tokenizers
from hypothesis import HealthCheck, given, settings
from tokenizer.text_cases import (
    ALL_CODE_POINTS,
    FIXTURE_FILES,
    TEXTS,
    code_point_chunks,
    fixture_config,
    reference_pieces,
    reference_pre_tokenizer,
    tokenizer_json,
    unicode_text,
)

from static_embed_runner.errors import TokenizerFormatError, UnsupportedTokenizerError
from static_embed_runner.tokenizer.pre_tokenizers import (
    BYTES_TO_UNICODE,
    build_pre_tokenizer,
    byte_level_encode,
)

LLAMA3 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
BEHAVIORS = ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]

CONFIGS: dict[str, dict[str, Any]] = {
    "bert": {"type": "BertPreTokenizer"},
    "whitespace": {"type": "Whitespace"},
    "whitespace-split": {"type": "WhitespaceSplit"},
    "metaspace-always-split": {
        "type": "Metaspace",
        "replacement": "\u2581",
        "prepend_scheme": "always",
        "split": True,
    },
    "metaspace-first-nosplit": {
        "type": "Metaspace",
        "replacement": "\u2581",
        "prepend_scheme": "first",
        "split": False,
    },
    "metaspace-never-split": {
        "type": "Metaspace",
        "replacement": "_",
        "prepend_scheme": "never",
        "split": True,
    },
    "metaspace-old-add-prefix-space": {
        "type": "Metaspace",
        "replacement": "\u2581",
        "str_rep": "\u2581",
        "add_prefix_space": True,
    },
    "metaspace-no-prefix-space-and-never": {
        "type": "Metaspace",
        "replacement": "\u2581",
        "add_prefix_space": False,
        "prepend_scheme": "never",
    },
    "byte-level": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True},
    "byte-level-prefix": {
        "type": "ByteLevel",
        "add_prefix_space": True,
        "use_regex": True,
        "trim_offsets": True,
    },
    "byte-level-no-regex": {
        "type": "ByteLevel",
        "add_prefix_space": False,
        "use_regex": False,
        "trim_offsets": True,
    },
    "punctuation": {"type": "Punctuation", "behavior": "Contiguous"},
    "punctuation-default": {"type": "Punctuation"},
    "digits": {"type": "Digits", "individual_digits": False},
    "digits-individual": {"type": "Digits", "individual_digits": True},
    "char-delimiter": {"type": "CharDelimiterSplit", "delimiter": "e"},
    "unicode-scripts": {"type": "UnicodeScripts"},
    "sequence-unicode-scripts-metaspace-first": {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "UnicodeScripts"},
            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first"},
        ],
    },
    "sequence-whitespace-split-unicode-scripts-digits": {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "UnicodeScripts"},
            {"type": "Digits", "individual_digits": True},
        ],
    },
    "sequence-llama3": {
        "type": "Sequence",
        "pretokenizers": [
            {
                "type": "Split",
                "pattern": {"Regex": LLAMA3},
                "behavior": "Isolated",
                "invert": False,
            },
            {
                "type": "ByteLevel",
                "add_prefix_space": False,
                "use_regex": False,
                "trim_offsets": True,
            },
        ],
    },
    "sequence-first-after-split": {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first"},
        ],
    },
    **{
        f"split-regex-{behavior}-{invert}": {
            "type": "Split",
            "pattern": {"Regex": r"\s+|[\p{P}]"},
            "behavior": behavior,
            "invert": invert,
        }
        for behavior in BEHAVIORS
        for invert in (False, True)
    },
    **{
        f"split-string-{behavior}": {
            "type": "Split",
            "pattern": {"String": "a"},
            "behavior": behavior,
            "invert": False,
        }
        for behavior in BEHAVIORS
    },
    "split-empty-matches": {
        "type": "Split",
        "pattern": {"Regex": "x*"},
        "behavior": "MergedWithNext",
        "invert": False,
    },
}

FIXTURES_WITH_PRE_TOKENIZER = [n for n in FIXTURE_FILES if fixture_config(n).get("pre_tokenizer")]


def _assert_same(config: dict[str, Any], texts: list[str]) -> None:
    ours = build_pre_tokenizer(config)
    theirs = reference_pre_tokenizer(config)
    assert ours is not None
    bad = [t for t in texts if ours.pre_tokenize(t) != reference_pieces(theirs, t)]
    assert bad == [], [
        (t[:30], ours.pre_tokenize(t)[:5], reference_pieces(theirs, t)[:5]) for t in bad[:3]
    ]


@pytest.mark.parametrize("name", FIXTURES_WITH_PRE_TOKENIZER)
def test_fixture_pre_tokenizer_matches_tokenizers_on_normalized_corpus(name: str) -> None:
    config = fixture_config(name)
    reference = tokenizers.Tokenizer.from_file(str(FIXTURE_FILES[name]))
    ours = build_pre_tokenizer(config["pre_tokenizer"])
    assert ours is not None
    for text in TEXTS:
        normalized = reference.normalizer.normalize_str(text) if reference.normalizer else text
        assert ours.pre_tokenize(normalized) == reference_pieces(
            reference.pre_tokenizer, normalized
        )


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_pre_tokenizer_matches_tokenizers_on_corpus_and_code_points(name: str) -> None:
    _assert_same(CONFIGS[name], TEXTS + code_point_chunks(65536))


@pytest.mark.parametrize("name", sorted(CONFIGS))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=unicode_text)
def test_pre_tokenizer_matches_tokenizers_on_random_unicode(name: str, text: str) -> None:
    _assert_same(CONFIGS[name], [text])


def _first_scheme_tokens(pre_tokenizer: dict[str, Any], text: str, vocab: list[str]) -> list[str]:
    """tokenizers' tokens for ``text`` behind an added token ``<x>`` (WordLevel over ``vocab``)."""
    model = {
        "type": "WordLevel",
        "vocab": {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(vocab)}},
        "unk_token": "[UNK]",
    }
    reference = tokenizers.Tokenizer.from_str(tokenizer_json(model, pre_tokenizer=pre_tokenizer))
    reference.add_tokens(["<x>"])
    return reference.encode(text, add_special_tokens=False).tokens


@pytest.mark.parametrize(
    "name",
    [
        "metaspace-first-nosplit",
        "sequence-first-after-split",
        "sequence-unicode-scripts-metaspace-first",
    ],
)
@pytest.mark.parametrize(
    "text", ["hello world", " hello world", "hello  world ", " \u4e2d\u6587 text", "\u3000ab"]
)
def test_metaspace_first_prepends_only_to_a_piece_at_original_offset_zero(
    name: str, text: str
) -> None:
    ours = build_pre_tokenizer(CONFIGS[name])
    assert ours is not None
    at_start = ours.pre_tokenize(text, at_start=True)
    after_token = ours.pre_tokenize(text, at_start=False)
    vocab = sorted({*at_start, *after_token})
    assert _first_scheme_tokens(CONFIGS[name], text, vocab) == at_start
    assert _first_scheme_tokens(CONFIGS[name], "<x>" + text, vocab) == ["<x>", *after_token]


def test_byte_alphabet_is_gpt2s_and_matches_tokenizers() -> None:
    assert len(BYTES_TO_UNICODE) == 256
    assert len(set(BYTES_TO_UNICODE.values())) == 256
    alphabet = tokenizers.pre_tokenizers.ByteLevel.alphabet()
    assert set(BYTES_TO_UNICODE.values()) == set(alphabet)
    assert BYTES_TO_UNICODE[ord(" ")] == "\u0120" and BYTES_TO_UNICODE[ord("\n")] == "\u010a"
    reference = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    assert byte_level_encode(ALL_CODE_POINTS) == reference_pieces(reference, ALL_CODE_POINTS)[0]


def test_empty_text_gives_no_pieces() -> None:
    for config in CONFIGS.values():
        ours = build_pre_tokenizer(config)
        assert ours is not None and ours.pre_tokenize("") == []


def test_unknown_pre_tokenizer_type_names_the_component() -> None:
    with pytest.raises(UnsupportedTokenizerError, match="pre_tokenizer type 'Foo'"):
        build_pre_tokenizer({"type": "Sequence", "pretokenizers": [{"type": "Foo"}]})


def test_oldest_metaspace_without_prefix_space_means_never() -> None:
    """``{add_prefix_space: false}`` alone (pre-0.14 files): tokenizers 0.22 refuses to load it,
    older releases read it as "never"; this engine keeps loading it, as "never"."""
    oldest = build_pre_tokenizer(
        {"type": "Metaspace", "replacement": "_", "add_prefix_space": False}
    )
    never = build_pre_tokenizer(
        {"type": "Metaspace", "replacement": "_", "prepend_scheme": "never"}
    )
    assert oldest is not None and never is not None
    for text in TEXTS:
        assert oldest.pre_tokenize(text) == never.pre_tokenize(text)


def test_old_metaspace_with_contradicting_scheme_is_a_format_error() -> None:
    config = {"type": "Metaspace", "replacement": "_", "add_prefix_space": False,
              "prepend_scheme": "always"}  # fmt: skip
    with pytest.raises(TokenizerFormatError, match="add_prefix_space"):
        build_pre_tokenizer(config)


def test_split_with_unknown_behavior_is_a_format_error() -> None:
    config = {"type": "Split", "pattern": {"String": "a"}, "behavior": "Sideways", "invert": False}
    with pytest.raises(TokenizerFormatError, match="Sideways"):
        build_pre_tokenizer(config)
