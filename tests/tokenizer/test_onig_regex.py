"""The Oniguruma -> Python ``re`` translation, proven against tokenizers' Split pre-tokenizer."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from tokenizer.text_cases import ALL_CODE_POINTS, TEXTS, code_point_chunks, unicode_text
from tokenizers import Regex
from tokenizers import pre_tokenizers as rust_pre

from static_embed_runner.errors import UnsupportedTokenizerError
from static_embed_runner.tokenizer import unicode_classes as uc
from static_embed_runner.tokenizer.onig_regex import compile_pattern, find_spans
from static_embed_runner.tokenizer.pre_tokenizers import split_segments

# The pre-tokenizer patterns real byte-level BPE models ship (facts from their tokenizer.json).
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
CLIP = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]"
    r"|[^\s\p{L}\p{N}]+"
)
PATTERNS = {"gpt2": GPT2, "llama3": LLAMA3, "qwen2": QWEN2, "clip": CLIP}

# Constructs that translate differently from a naive pass-through.
EDGE_PATTERNS = [
    r"\s+",
    r"\S+",
    r"\d+",
    r"\D",
    r"\w+",
    r"\W+",
    r"\h+",
    r"[\s\d]+",
    r"[^\w\s]+",
    r"\P{L}+",
    r"[\P{N}]+",
    r"\p{^L}+",
    r"\p{Letter}+",
    r"^",
    r"$",
    r"(?<!\n)^",
    r"^\s*$",
    r"a*",
    r"|a",
    r"\b",
    r"\B",
    r"\Aa|a\z|a\Z",
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)",
    r"(?<w>\w)\k<w>",
    r"(\w)\1",
    r"[\x{2581}\x20]+",
    r"\x41|\u00e9",
    r"[a-z&&]",
    r"(?m:.+)",
    r".+",
    r"[\r\n]+|\t",
    r" ?\p{Lu}\p{Ll}+",
    r"\p{M}+|\p{S}+|\p{Z}+|\p{C}+|\p{P}+",
    r"\p{Lt}|\p{Lm}|\p{Nl}|\p{No}|\p{Pc}|\p{Pd}|\p{Ps}|\p{Pe}|\p{Pi}|\p{Pf}",
    r"\p{Sm}|\p{Sc}|\p{Sk}|\p{So}|\p{Zs}|\p{Zl}|\p{Zp}|\p{Cc}|\p{Cf}|\p{Co}|\p{Cn}",
]


def _ours(pattern: str, text: str, behavior: str = "Isolated") -> list[str]:
    spans = find_spans(compile_pattern(pattern), text)
    return [text[s:e] for s, e in split_segments(len(text), spans, behavior)]


def _theirs(pattern: str, text: str, behavior: str = "isolated") -> list[str]:
    split = rust_pre.Split(Regex(pattern), behavior)
    return [piece for piece, _ in split.pre_tokenize_str(text)]


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_model_pattern_splits_like_tokenizers_on_corpus_and_every_code_point(name: str) -> None:
    pattern = PATTERNS[name]
    texts = TEXTS + code_point_chunks(2048)
    assert [t for t in texts if _ours(pattern, t) != _theirs(pattern, t)] == []


@pytest.mark.parametrize("name", sorted(PATTERNS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=unicode_text)
def test_model_pattern_splits_like_tokenizers_on_random_unicode(name: str, text: str) -> None:
    assert _ours(PATTERNS[name], text) == _theirs(PATTERNS[name], text)


@pytest.mark.parametrize("pattern", EDGE_PATTERNS)
def test_edge_pattern_matches_like_oniguruma(pattern: str) -> None:
    try:
        compile_pattern(pattern)
    except UnsupportedTokenizerError:
        assert pattern == r"[a-z&&]"
        return
    texts = [*TEXTS, "a\n", "\n", "aa\nbb\n\n", "\u00e9\u00e9 aa", "", "a"]
    for behavior in ("Isolated", "Removed"):
        bad = [
            t for t in texts if _ours(pattern, t, behavior) != _theirs(pattern, t, behavior.lower())
        ]
        assert bad == []


# Classes the real patterns use are checked on every code point; the rest on planes 0-2 (where
# nearly all assigned characters are) to keep the suite fast.
EXHAUSTIVE = {"L", "N", "P", "S", "M", "Z", "C", "Lu", "Ll", "Lo", "Nd"}


def _assert_class_equals_oniguruma(pattern: str, text: str = ALL_CODE_POINTS) -> None:
    """The runs of code points a one-character class does not match are the same on both sides."""
    theirs = [p for p, _ in rust_pre.Split(Regex(pattern), "removed").pre_tokenize_str(text)]
    ours = [p for p in compile_pattern(pattern).split(text) if p]
    assert len(ours) == len(theirs)
    assert [(a[:3], b[:3]) for a, b in zip(ours, theirs, strict=True) if a != b][:5] == []


@pytest.mark.parametrize(
    "category", [c for c in uc.GENERAL_CATEGORIES if c != "Cs"] + ["L", "M", "N", "P", "S", "Z"]
)
def test_property_class_equals_oniguruma_on_every_code_point(category: str) -> None:
    text = ALL_CODE_POINTS if category in EXHAUSTIVE else ALL_CODE_POINTS[:0x30000]
    _assert_class_equals_oniguruma(rf"\p{{{category}}}", text)


@pytest.mark.parametrize("shorthand", [r"\s", r"\d", r"\w", r"[\w]", r"\h", r"\W", r"[\W]"])
def test_shorthand_class_equals_oniguruma_on_every_code_point(shorthand: str) -> None:
    _assert_class_equals_oniguruma(shorthand)


def test_empty_matches_follow_the_onig_crate_iteration() -> None:
    rx = compile_pattern("x*")
    assert find_spans(rx, "abxd") == [(0, 0), (1, 1), (2, 3), (4, 4)]
    assert find_spans(compile_pattern("|a"), "a") == [(0, 0), (1, 1)]


def test_caret_is_a_line_anchor_that_never_matches_at_the_very_end() -> None:
    assert find_spans(compile_pattern("^"), "a\nb\n") == [(0, 0), (2, 2)]
    assert find_spans(compile_pattern("(?<!\\n)^"), "a\nb") == [(0, 0)]


@pytest.mark.parametrize(
    ("pattern", "construct"),
    [
        (r"\p{Han}", "Han"),
        (r"[[:alpha:]]", "POSIX"),
        (r"[a&&b]", "&&"),
        (r"\X", "\\X"),
        (r"(?i)a", "flag group"),
        (r"[a", "unterminated"),
        (r"(?i:sS)", "case-insensitive 'ss'"),
        (r"(?i:'st)", "case-insensitive 'st'"),
    ],
)
def test_unknown_construct_raises_unsupported_naming_it(pattern: str, construct: str) -> None:
    with pytest.raises(UnsupportedTokenizerError, match=construct.replace("\\", "\\\\")):
        compile_pattern(pattern)
