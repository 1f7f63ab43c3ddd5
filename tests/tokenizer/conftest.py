"""Session fixtures: every reference tokenizer.json, built or fetched once per session.

Case names are known at collection time (so tests can be parametrized by them); the JSON texts
are produced lazily by session fixtures: trained tokenizers (seconds), sentencepiece models from
the PyPI sdist converted by transformers (downloaded once into the session temp dir; a failure to
fetch fails the tests loudly), package and fixture files read from disk.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tokenizer.reference_tokenizers import (
    TRAINED_NAMES,
    convert_sentencepiece_models,
    fetch_sentencepiece_models,
    fixture_tokenizers,
    package_tokenizers,
    train_tokenizers,
    with_all_added_token_flags,
)


@pytest.fixture(scope="session")
def trained_cases() -> dict[str, str]:
    cases = train_tokenizers()
    assert sorted(cases) == sorted(TRAINED_NAMES)
    return cases


@pytest.fixture(scope="session")
def sentencepiece_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return fetch_sentencepiece_models(tmp_path_factory.mktemp("sentencepiece-sdist"))


@pytest.fixture(scope="session")
def spm_cases(sentencepiece_models: dict[str, Path]) -> dict[str, str]:
    return convert_sentencepiece_models(sentencepiece_models)


@pytest.fixture(scope="session")
def _added_token_cases() -> dict[str, str]:
    return {}


@pytest.fixture
def tokenizer_json(
    request: pytest.FixtureRequest, _added_token_cases: dict[str, str]
) -> Callable[[str], str]:
    """``name -> tokenizer.json text`` for every case name the tests parametrize over."""
    files = {**fixture_tokenizers(), **package_tokenizers()}
    added_cache = _added_token_cases

    def get(name: str) -> str:
        if name in files:
            return files[name].read_text(encoding="utf-8")
        if name.endswith("+added-tokens"):
            base = name.removesuffix("+added-tokens")
            if base not in added_cache:
                added_cache[base] = with_all_added_token_flags(get(base))
            return added_cache[base]
        if name.startswith("trained-"):
            return request.getfixturevalue("trained_cases")[name]
        if name.startswith("spm-"):
            return request.getfixturevalue("spm_cases")[name]
        raise KeyError(name)

    return get
