"""The READMEs' Verification table is the one ``verification`` renders, from figures measured with
the pinned reference versions, and the counts it states are the suite's own."""

from __future__ import annotations

import json
import re

import pytest
import verification
from corpus import TOKENIZER_FIXTURES
from runtime.reference_models import M2V_CASES, M2V_FIXTURES, ST_CASES
from tokenizer.reference_tokenizers import (
    SPM_UNIGRAM_MODELS,
    TRAINED_NAMES,
    UNIGRAM_CONVERTERS,
    fixture_tokenizers,
)

SWIFT_FOLDER = TOKENIZER_FIXTURES / "conformance-swift-transformers"
RENDER = "python scripts/render_verification.py"


@pytest.mark.parametrize("language", sorted(verification.READMES))
def test_readme_verification_table_is_the_rendered_one(language: str) -> None:
    text = verification.READMES[language].read_text(encoding="utf-8")
    assert verification.table_in(text) == verification.render(language), (
        f"{verification.READMES[language].name} differs from the table: run `{RENDER}`"
    )


def test_figures_were_measured_with_the_installed_reference_versions() -> None:
    assert verification.FIGURES["reference_versions"] == verification.installed_versions(), (
        "a reference library changed: re-measure the table (tests/README.md)"
    )


def test_test_extra_pins_exactly_the_versions_the_figures_were_measured_with() -> None:
    pyproject = (verification.REPO / "pyproject.toml").read_text(encoding="utf-8")
    test_extra = re.search(r"^test = \[(.*?)^\]", pyproject, re.MULTILINE | re.DOTALL)
    assert test_extra is not None
    requirement = re.compile(r'^\s*"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^";\s]+)"', re.MULTILINE)
    pins = dict(requirement.findall(test_extra.group(1)))
    measured_with = verification.FIGURES["reference_versions"]
    assert {name: pins.get(name) for name in measured_with} == measured_with


def _case_keys() -> set[str]:
    m2v = [*M2V_CASES, *(f"fixture-{name}" for name in M2V_FIXTURES)]
    rs = ["embeddings_short.json", "embeddings_long.json", "embeddings_vocab_quantized.json"]
    keys = {
        *(f"sentence-transformers/{case}" for case in ST_CASES),
        *(f"sentence-transformers/bare-folder/{case}" for case in verification.BARE_CASES),
        *(f"model2vec/{case}" for case in m2v),
        *(f"model2vec/distilled-all-MiniLM-L6-v2-{dtype}" for dtype in ("float32", "float16")),
        *(f"model2vec/max_length/{case}" for case in verification.MAX_LENGTH_CASES),
        "model2vec/prompt",
        *(f"model2vec-rs-expected/{name}" for name in rs),
        *(f"sse-q4/{case}" for case in [*verification.SSE_CASES, "head-normalized"]),
        *(f"sse-q4/v0.1.0/{case}" for case in verification.SSE_V010_CASES),
        "default-model/model2vec-on-decoded-table",
        "default-model/cosine-mean",
        "default-model/cosine-min",
    }
    return keys


def test_every_compared_case_has_a_figure_and_every_figure_a_case() -> None:
    assert set(verification.FIGURES["measured"]) == _case_keys()
    assert {f"sentence-transformers/{case}" for case in verification.ST_EXACT} <= _case_keys()


def test_bounds_are_the_figures_rounded_up_to_three_significant_digits() -> None:
    assert verification.bound("sentence-transformers/bert") == 0.0
    for key, measured in verification.FIGURES["measured"].items():
        limit = verification.bound(key)
        if verification.is_floor(key):
            assert measured - 0.001 < limit <= measured
        else:
            assert measured <= limit <= measured * 1.01


def test_the_counts_the_table_states_are_the_suites_own() -> None:
    counts = verification.COUNTS
    assert len(fixture_tokenizers()) == counts["tokenizer_fixtures"]
    assert len(TRAINED_NAMES) == counts["trained_tokenizers"]
    assert len(SPM_UNIGRAM_MODELS) == counts["sentencepiece_models"]
    assert len(UNIGRAM_CONVERTERS) == counts["unigram_converters"]
    inputs = json.loads((SWIFT_FOLDER / "inputs.json").read_text(encoding="utf-8"))
    assert len(inputs) == counts["conformance_inputs"]


@pytest.mark.parametrize(
    ("language", "sentence"),
    [("en", "mean cosine of {mean} (minimum {min})"), ("ja", "平均 {mean}（最小 {min}）です")],
)
def test_the_default_model_section_states_the_tables_cosines(language: str, sentence: str) -> None:
    text = " ".join(verification.READMES[language].read_text(encoding="utf-8").split())
    mean = verification.fmt(verification.bound("default-model/cosine-mean"))
    minimum = verification.fmt(verification.bound("default-model/cosine-min"))
    assert sentence.format(mean=mean, min=minimum) in text
