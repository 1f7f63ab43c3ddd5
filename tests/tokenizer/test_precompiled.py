"""The sentencepiece ``precompiled_charsmap`` normalizer against tokenizers' Precompiled."""

from __future__ import annotations

import base64
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from tokenizer.text_cases import (
    ALL_CODE_POINTS,
    FIXTURE_FILES,
    TEXTS,
    code_point_chunks,
    fixture_config,
    reference_normalizer,
    unicode_text,
)

from static_embed_runner.errors import TokenizerFormatError
from static_embed_runner.tokenizer.normalizers import build_normalizer
from static_embed_runner.tokenizer.precompiled import Precompiled


def _charsmap_config(name: str) -> dict:
    normalizer = fixture_config(name)["normalizer"]
    if normalizer["type"] == "Sequence":
        normalizer = next(n for n in normalizer["normalizers"] if n["type"] == "Precompiled")
    return normalizer


def _has_charsmap(name: str) -> bool:
    normalizer = fixture_config(name).get("normalizer") or {}
    steps = normalizer.get("normalizers", [normalizer])
    return any(step.get("type") == "Precompiled" for step in steps)


CHARSMAP_FIXTURES = [name for name in FIXTURE_FILES if _has_charsmap(name)]


@cache
def _pair(name: str) -> tuple[Precompiled, object]:
    config = _charsmap_config(name)
    ours = build_normalizer(config)
    assert isinstance(ours, Precompiled)
    return ours, reference_normalizer(config)


# Code points followed by marks and joiners, so that multi-character clusters (the case the
# whole-cluster rule applies to) start at every code point.
_SUFFIXES = ["\u0301", "\u0308\u0301", "\u200d", "\u3099", "\uff9e", "\r\n", "\U0001f3fd"]


def _cluster_texts(step: int = 1) -> list[str]:
    """Planes 0-1 completely, the rest sampled (plain CJK ideographs and private use there)."""
    chars = (ALL_CODE_POINTS[:0x1F800] + ALL_CODE_POINTS[0x1F800::16])[::step]
    return [
        "".join(c + suffix for c in chars[i : i + 2048])
        for suffix in _SUFFIXES
        for i in range(0, len(chars), 2048)
    ]


def test_every_fixture_with_a_charsmap_is_covered() -> None:
    assert {"t5-small", "xlm-roberta-paraphrase-multilingual-mpnet-base-v2"} <= set(
        CHARSMAP_FIXTURES
    )
    assert "nmt-unigram-metaspace-split" in CHARSMAP_FIXTURES


@pytest.mark.parametrize("name", CHARSMAP_FIXTURES)
def test_charsmap_matches_tokenizers_on_corpus_and_every_code_point(name: str) -> None:
    ours, theirs = _pair(name)
    texts = TEXTS + code_point_chunks(8192)
    bad = [t for t in texts if ours.normalize(t) != theirs.normalize_str(t)]  # type: ignore[attr-defined]
    assert [t[:20] for t in bad] == []


@pytest.mark.parametrize("name", CHARSMAP_FIXTURES)
def test_charsmap_matches_tokenizers_on_clusters_starting_at_every_code_point(name: str) -> None:
    ours, theirs = _pair(name)
    bad = [t for t in _cluster_texts() if ours.normalize(t) != theirs.normalize_str(t)]  # type: ignore[attr-defined]
    assert [t[:20] for t in bad] == []


@pytest.mark.parametrize("name", CHARSMAP_FIXTURES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=unicode_text)
def test_charsmap_matches_tokenizers_on_random_unicode(name: str, text: str) -> None:
    ours, theirs = _pair(name)
    assert ours.normalize(text) == theirs.normalize_str(text)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", CHARSMAP_FIXTURES)
def test_fast_path_equals_the_plain_algorithm(name: str) -> None:
    ours, _ = _pair(name)
    for text in TEXTS + _cluster_texts(step=97) + code_point_chunks(65536):
        assert ours.normalize(text) == ours.normalize_reference(text)


@pytest.mark.parametrize("name", CHARSMAP_FIXTURES)
@settings(max_examples=200, deadline=None)
@given(text=unicode_text)
def test_fast_path_equals_the_plain_algorithm_on_random_unicode(name: str, text: str) -> None:
    ours, _ = _pair(name)
    assert ours.normalize(text) == ours.normalize_reference(text)


def test_whole_cluster_quirk_replaces_a_short_cluster_by_its_first_prefix() -> None:
    ours, theirs = _pair("t5-small")
    # CRLF is one cluster: the shortest prefix ("\r") replaces both characters.
    assert ours.normalize("a\r\nb") == theirs.normalize_str("a\r\nb")  # type: ignore[attr-defined]
    # Full-width A + acute (5 bytes) is rewritten as a whole; with 2 acutes (7 bytes) per char.
    for text in ("\uff21\u0301", "\uff21\u0301\u0301"):
        assert ours.normalize(text) == theirs.normalize_str(text)  # type: ignore[attr-defined]


def test_truncated_charsmap_is_a_format_error() -> None:
    blob = base64.b64decode(_charsmap_config("t5-small")["precompiled_charsmap"])
    with pytest.raises(TokenizerFormatError, match="trie of"):
        Precompiled(blob[:100])
    with pytest.raises(TokenizerFormatError, match="base64"):
        Precompiled.from_base64("not base64!")
