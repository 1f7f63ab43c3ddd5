"""The differential fuzz check shared by the suite's bounded run and scripts/fuzz_tokenizers.py.

One fuzz case is a text and a truncation. The check compares, for one tokenizer.json:

- the pure-Python engine's ids with ``tokenizers``' own ids for the whole text;
- the ids kept by a truncation computed from a window of the text (forced to a window even for a
  short text) with the reference ids cut by the same truncation;
- the same window computation through the ``tokenizers`` adapter.

Texts mix corpus words, special characters, random Unicode and runs of whitespace, so that window
cuts, added tokens and normalizers meet each other often.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from tokenizer.reference_tokenizers import (
    TEXTS,
    TRAINED_NAMES,
    added_token_texts,
    fixture_tokenizers,
    package_tokenizers,
    reference_tokenizer,
    spm_case_names,
)
from tokenizer.text_cases import ADVERSARIAL, unicode_text

from static_embed_runner.tokenizer.backend import RustTokenizer
from static_embed_runner.tokenizer.pipeline import Tokenizer
from static_embed_runner.tokenizer.truncation import Truncation
from static_embed_runner.tokenizer.window import encode_truncated

_WORDS = sorted({w for text in [*TEXTS, *ADVERSARIAL, *added_token_texts()] for w in text.split()})
_SPACES = [" ", "  ", "\n", "\t", " \n ", "\r\n", "\u3000", "\u00a0", "   "]

fuzz_piece = st.one_of(
    st.sampled_from(_WORDS), unicode_text, st.sampled_from(_SPACES), st.sampled_from(_WORDS)
)
fuzz_text = st.lists(fuzz_piece, max_size=24).map("".join)
fuzz_truncation = st.builds(
    Truncation, st.integers(min_value=0, max_value=24), st.sampled_from(["right", "left"])
)


def case_names() -> list[str]:
    """Every tokenizer.json the tests carry, by the names the ``tokenizer_json`` fixture knows."""
    return [
        *fixture_tokenizers(),
        *package_tokenizers(),
        *TRAINED_NAMES,
        *spm_case_names(),
        "bert-base-uncased+added-tokens",
        "gpt2+added-tokens",
        "trained-unigram+added-tokens",
    ]


def family(json_config: dict[str, Any]) -> str:
    """A tokenizer's family for reports: model type and pre-tokenizer (or normalizer) type."""
    config = json_config.get("model") or {}
    model = config.get("type") or _untyped_model(config)
    pre = json_config.get("pre_tokenizer") or {}
    norm = json_config.get("normalizer") or {}
    return f"{model}/{pre.get('type') or norm.get('type') or 'none'}"


def _untyped_model(config: dict[str, Any]) -> str:
    """The model type of an older file that does not name it, from the fields it has."""
    if "merges" in config:
        return "BPE"
    if "unk_id" in config or isinstance(config.get("vocab"), list):
        return "Unigram"
    return "WordPiece" if "continuing_subword_prefix" in config else "WordLevel"


@dataclass
class Differential:
    """The three sides of one tokenizer.json, built once; :meth:`check` runs one fuzz case."""

    json_text: str
    lite: Tokenizer = field(init=False)
    rust: RustTokenizer = field(init=False)
    reference: Any = field(init=False)
    cases: int = 0

    def __post_init__(self) -> None:
        self.lite = Tokenizer.from_str(self.json_text).with_truncation(None)
        self.rust = RustTokenizer.from_str(self.json_text, "<fuzz>").with_truncation(None)
        self.reference = reference_tokenizer(self.json_text)
        self.reference.no_truncation()

    def check(self, text: str, truncation: Truncation) -> None:
        self.cases += 1
        expected = self.reference.encode(text, add_special_tokens=False).ids
        assert self.lite.encode(text) == expected, "lite differs from tokenizers"
        kept = truncation.apply(expected)
        for name, encode in (("lite", self.lite.encode), ("tokenizers", self.rust.encode)):
            windowed = encode_truncated(encode, text, truncation, whole_up_to=0)
            assert windowed == kept, f"{name}: the window changed the kept ids"


def differential_for(get_json: Callable[[str], str], name: str) -> Differential:
    return Differential(get_json(name))
