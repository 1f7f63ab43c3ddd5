"""Shared inputs and references for the normalizer / pre-tokenizer / regex conformance tests.

The reference is always the ``tokenizers`` package itself: a component is built from the same JSON
config on both sides (``reference_normalizer`` / ``reference_pre_tokenizer`` wrap it in a minimal
tokenizer.json), and outputs are compared on the shared corpus, the adversarial cases below, every
code point, and hypothesis-generated Unicode text.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import tokenizers
from corpus import CORPUS, TOKENIZER_FIXTURES
from hypothesis import strategies as st

ADVERSARIAL: list[str] = [
    "a\r\nb\rc\nd\r\n\r\n",
    "e\u0301 E\u0301 \uff21\u0301 a\u0301\u0302 \u0391\u0301 \u0435\u0308",
    "\u0600" + "1 \u06dd2 \u0890x",
    "\u1100\uac00\u0301 \u1100\u1161\u11a8 \uac01\u11a8",
    "x\u200d\u00a9 \u00a9\u200d\u00a9 \U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001f1ef\U0001f1f5\U0001f1fa\U0001f1f8\U0001f1e6",
    "\u2764\ufe0f \u0023\ufe0f\u20e3 \U0001f44d\U0001f3fd",
    "\u03a3 \u0391\u03a3 \u0391\u03a3\u0391 \u0130 \u1e9e \u2126 \u212a",
    "\ufdfa \ufdfb \u3392 \u32ff \u2460 \u00bd \u2075 \ufb01",
    "\uff8a\uff9f \uff76\uff9e \uff21\uff22\uff23 \uff11\uff12 \u3000",
    "\x00a\x00 \x01\x02\x7f\x80\x85\x9f \u200b\u200c\u200d\u200e\u2060\ufeff \ufffd",
    "\u1c89\u1c8a \U00010d50\U00010d70 \U00031350 \U0002ebf0 \u2ffc \U00011f04",
    "  a  b  \t\n ",
    "\u2581a\u2581 \u2581\u2581b \u2581",
    "\u0e01\u0e33 \u0eb3 \u0915\u094d\u0937 \u0915\u093f \u0995\u09be",
    "\u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627",
    "\ue000\U000f0000\U0010fffd \U0001d400\U0001d7ce",
    "\u0301leading mark",
    "'s 'S 'T 'RE 've 'M 'LL 'D \u017fs \u212a \ufb05 \ufb06",
    "don't DON'T I'm You'RE we'VE 123 4567 12345678 \u0661\u0662\u0663",
    "  \n\n  hello\r\n  \t world  \n",
    "a" * 300 + " " + "\u00e9" * 200 + " " + "\u4e2d" * 100,
    "<|endoftext|><|startoftext|>",
    "\u3042\u30fc\u30a2 \u3005 \u30fc",
]

TEXTS: list[str] = [*CORPUS, *ADVERSARIAL]

ALL_CODE_POINTS: str = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)


def code_point_chunks(size: int = 4096) -> list[str]:
    """Every code point, in consecutive chunks (so a mismatch is easy to locate)."""
    return [ALL_CODE_POINTS[i : i + size] for i in range(0, len(ALL_CODE_POINTS), size)]


FIXTURE_FILES: dict[str, Path] = {
    p.parent.name: p for p in sorted(TOKENIZER_FIXTURES.glob("*/tokenizer.json"))
}


@cache
def fixture_config(name: str) -> dict[str, Any]:
    return json.loads(FIXTURE_FILES[name].read_text(encoding="utf-8"))


UNK_ONLY_MODEL: dict[str, Any] = {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}


def tokenizer_json(model: dict[str, Any] | None = None, **parts: Any) -> str:
    """A tokenizer.json text holding ``model`` (default: a WordLevel model that knows only
    ``[UNK]``) and the given top-level ``parts``; every other part is empty."""
    config = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": None,
        "model": UNK_ONLY_MODEL if model is None else model,
    }
    config.update(parts)
    return json.dumps(config)


def _minimal_tokenizer(normalizer: Any = None, pre_tokenizer: Any = None) -> tokenizers.Tokenizer:
    return tokenizers.Tokenizer.from_str(
        tokenizer_json(normalizer=normalizer, pre_tokenizer=pre_tokenizer)
    )


def reference_normalizer(config: dict[str, Any]) -> Any:
    """``tokenizers``' own normalizer built from ``config``."""
    return _minimal_tokenizer(normalizer=config).normalizer


def reference_pre_tokenizer(config: dict[str, Any]) -> Any:
    """``tokenizers``' own pre-tokenizer built from ``config``."""
    return _minimal_tokenizer(pre_tokenizer=config).pre_tokenizer


def reference_pieces(pre_tokenizer: Any, text: str) -> list[str]:
    return [piece for piece, _ in pre_tokenizer.pre_tokenize_str(text)]


# Random Unicode (no surrogates: tokenizers cannot take them), plus a dense alphabet of the
# characters components treat specially, so hypothesis hits their interactions often.
_SPECIAL = (
    " \t\n\r\x0b\x0c\x85\xa0\u3000\u2581'sStTdDmMlLrReEvV0123456789\u0661.,!?-_()[]"
    "aAzZ\u00e9\u0301\u0308\u0300\u200d\u200c\u200b\ufe0f\u00a9\u4e2d\u3042\u30a2\uac00\u1100"
    "\u1161\u11a8\u0e33\u0915\u094d\uff21\uff9e\u2460\u00bd\ufb01\u03a3\u0130\x00\x01\x7f"
    "\U0001f468\U0001f1ef\U0001f3fd\u0600\ue000\U00010d50"
)
unicode_text = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",)), st.sampled_from(list(_SPECIAL))
    ),
    max_size=40,
)
