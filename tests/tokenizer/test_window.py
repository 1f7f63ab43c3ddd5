"""Windowed truncation: a long text is tokenized only as far as its kept ids need, and the ids
equal those of the whole text cut by the same truncation (the fuzzer checks short texts with the
window forced; these check the default thresholds on long texts)."""

from __future__ import annotations

import pytest
from corpus import LONG_TEXT
from tokenizer.reference_tokenizers import ADVERSARIAL, fixture_tokenizers, reference_tokenizer

from static_embed_runner.tokenizer import window
from static_embed_runner.tokenizer.backend import load_tokenizer
from static_embed_runner.tokenizer.truncation import Truncation

LONG = " ".join([LONG_TEXT, *ADVERSARIAL] * 12)
NAMES = ["bert-base-uncased", "gpt2", "llama-2", "t5-small"]


@pytest.mark.parametrize("backend", ["lite", "tokenizers"])
@pytest.mark.parametrize("direction", ["right", "left"])
@pytest.mark.parametrize("name", NAMES)
def test_a_long_text_keeps_the_ids_of_the_whole_text_from_a_window(
    name, direction, backend, monkeypatch
):
    path = fixture_tokenizers()[name]
    truncation = Truncation(128, direction)
    reference = reference_tokenizer(path.read_text(encoding="utf-8"))
    reference.no_truncation()
    expected = truncation.apply(reference.encode(LONG, add_special_tokens=False).ids)
    tokenizer = load_tokenizer(path, backend).with_truncation(truncation)
    seen: list[int] = []
    real = window.encode_truncated

    def spying(encode, text, truncation, whole_up_to=None):
        return real(lambda part: seen.append(len(part)) or encode(part), text, truncation)

    monkeypatch.setattr(f"{type(tokenizer).__module__}.encode_truncated", spying)

    assert len(LONG) > 40_000
    assert tokenizer.encode(LONG) == expected
    assert tokenizer.encode_batch(["short text", LONG]) == [
        truncation.apply(reference.encode("short text", add_special_tokens=False).ids),
        expected,
    ]
    assert seen and max(seen) < len(LONG) // 4  # only windows were tokenized


@pytest.mark.parametrize("direction", ["right", "left"])
def test_a_text_without_whitespace_to_cut_at_is_tokenized_whole(direction):
    path = fixture_tokenizers()["gpt2"]
    text = "abc" * 5000
    truncation = Truncation(16, direction)
    reference = reference_tokenizer(path.read_text(encoding="utf-8"))
    reference.no_truncation()

    tokenizer = load_tokenizer(path, "lite").with_truncation(truncation)

    assert tokenizer.encode(text) == truncation.apply(
        reference.encode(text, add_special_tokens=False).ids
    )
