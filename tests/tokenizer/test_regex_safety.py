"""Regex patterns that backtrack catastrophically are refused; every real pattern is accepted.

The refused shapes hang Python's ``re`` (``(a+)+$`` on 31 characters: over a minute); Oniguruma
inside ``tokenizers`` gives up after its retry limit and panics, which the Rust adapter reports as
a :class:`TokenizerInputError`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tokenizer.reference_tokenizers import fixture_tokenizers, package_tokenizers
from tokenizer.test_onig_regex import EDGE_PATTERNS, PATTERNS

from static_embed_runner.errors import (
    StaticEmbedRunnerError,
    TokenizerInputError,
    UnsupportedTokenizerError,
)
from static_embed_runner.tokenizer.backend import RustTokenizer, load_tokenizer
from static_embed_runner.tokenizer.onig_regex import compile_pattern
from static_embed_runner.tokenizer.pipeline import Tokenizer

# Pre-tokenizer patterns of public tokenizer.json files (facts from those files): cl100k/Llama 3,
# o200k, Mistral Tekken, DeepSeek, Qwen 2 (in PATTERNS too), GPT-2, CLIP.
PUBLIC_PATTERNS = [
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+"
    r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+"
    r"| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    r"\p{N}{1,3}",
    r"[一-龥\u3040-ゟ゠-ヿ]+",
    r"[0-9][0-9][0-9]",
]

CATASTROPHIC = [
    r"(a+)+$",
    r"(a|a)*$",
    r"(a|aa)+$",
    r"(\w+\s?)+$",
    r"(a?a)+b",
    r"(a*)*b",
    r"\s*\s*\s*x",
    r"(.*a){20}",
    r"(?:a+){5}",
    r"((a+)b?)+$",
    r"(?=(a+)+$)",
    r"(x+x+)+y",
    r"(\d+|\w+)+$",
    r"(a{1,2})+$",
    r"(?i:(A+)+$)",
]


def _regex_patterns(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["Regex"]] if isinstance(value.get("Regex"), str) else []
        return found + [p for v in value.values() for p in _regex_patterns(v)]
    if isinstance(value, list):
        return [p for v in value for p in _regex_patterns(v)]
    return []


def _carried_patterns(json_texts: list[str]) -> set[str]:
    return {p for text in json_texts for p in _regex_patterns(json.loads(text))}


def test_every_regex_pattern_of_every_tokenizer_the_tests_carry_is_accepted(
    trained_cases, spm_cases
):
    files = [*fixture_tokenizers().values(), *package_tokenizers().values()]
    texts = [path.read_text(encoding="utf-8") for path in files]
    patterns = _carried_patterns([*texts, *trained_cases.values(), *spm_cases.values()])
    patterns |= {*PATTERNS.values(), *EDGE_PATTERNS, *PUBLIC_PATTERNS}
    assert len(patterns) > 30

    refused = []
    for pattern in sorted(patterns):
        try:
            compile_pattern(pattern)
        except UnsupportedTokenizerError as exc:  # some edge patterns test other refusals
            if "backtrack" in str(exc):
                refused.append(str(exc))
    assert refused == []


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_pattern_that_backtracks_catastrophically_is_refused_naming_it(pattern):
    with pytest.raises(UnsupportedTokenizerError, match="backtrack catastrophically") as info:
        compile_pattern(pattern)
    assert repr(pattern) in str(info.value)


def _gpt2_with(component: str, config: dict) -> str:
    tokenizer = json.loads(
        (fixture_tokenizers()["gpt2"]).read_text(encoding="utf-8"),
    )
    tokenizer[component] = config
    return json.dumps(tokenizer)


SPLIT = {"type": "Split", "pattern": {"Regex": "(a+)+$"}, "behavior": "Isolated", "invert": False}
REPLACE = {"type": "Replace", "pattern": {"Regex": "(a+)+$"}, "content": "x"}


@pytest.mark.parametrize(
    ("component", "config"), [("pre_tokenizer", SPLIT), ("normalizer", REPLACE)]
)
def test_the_lite_backend_refuses_the_file_naming_file_field_and_pattern(
    tmp_path: Path, component, config
):
    path = tmp_path / "tokenizer.json"
    path.write_text(_gpt2_with(component, config), encoding="utf-8")

    with pytest.raises(UnsupportedTokenizerError) as info:
        load_tokenizer(path, "lite")
    assert str(info.value).startswith(f"{path}: {component}: regex pattern '(a+)+$'")


def test_auto_falls_back_to_tokenizers_whose_retry_limit_becomes_a_typed_error(tmp_path: Path):
    path = tmp_path / "tokenizer.json"
    path.write_text(_gpt2_with("pre_tokenizer", SPLIT), encoding="utf-8")

    tokenizer = load_tokenizer(path, "auto")
    assert isinstance(tokenizer, RustTokenizer)
    assert tokenizer.encode("hello") == [31373]
    with pytest.raises(TokenizerInputError, match="retry-limit") as info:
        tokenizer.encode("a" * 30 + "b")
    assert isinstance(info.value, StaticEmbedRunnerError)
    assert tokenizer.encode("hello") == [31373]  # still usable after the panic


def test_an_accepted_pattern_compiles_to_the_same_matcher_as_before_the_check():
    """The check only refuses: what it accepts is compiled exactly as the translator wrote it."""
    from static_embed_runner.tokenizer.onig_regex import translate

    for pattern in PATTERNS.values():
        assert compile_pattern(pattern).pattern == translate(pattern)
    assert Tokenizer.from_file(fixture_tokenizers()["gpt2"]).encode("Hello world") == [
        15496,
        995,
    ]
