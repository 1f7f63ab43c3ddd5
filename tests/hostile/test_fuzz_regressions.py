"""Every input the file-reader fuzzer ever failed on, shrunk to its smallest form: each must now
get a package error naming the file and the field."""

from __future__ import annotations

import json

import pytest
from hostile.corpus import tokenizer_config

from static_embed_runner.errors import TokenizerFormatError
from static_embed_runner.tokenizer.pipeline import Tokenizer


def component(kind: str, value: object) -> str:
    config = tokenizer_config()
    config[kind] = {**config[kind], "type": value} if kind == "model" else {"type": value}
    return json.dumps(config)


@pytest.mark.parametrize("kind", ["model", "normalizer", "pre_tokenizer"])
def test_a_component_type_that_is_not_a_string_is_a_format_error(kind):
    # found by the fuzzer: "model": {"type": [], ...} raised TypeError (unhashable list)
    with pytest.raises(TokenizerFormatError, match=rf"t\.json: {kind}\.type must be a string"):
        Tokenizer.from_str(component(kind, []), source="t.json")
