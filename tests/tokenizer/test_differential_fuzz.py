"""A bounded run of the differential fuzzer: the pure-Python engine against ``tokenizers`` on
every tokenizer.json the tests carry, and windowed truncation against the whole text.

``scripts/fuzz_tokenizers.py`` runs the same check for as long as it is given; a mismatch it
finds is to be added here as a regression test with its minimal input (none found so far).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from tokenizer.fuzz_cases import Differential, case_names, fuzz_text, fuzz_truncation

from static_embed_runner.tokenizer.truncation import Truncation

# Examples per tokenizer file (loading its three sides costs more than the examples).
EXAMPLES = 5


@pytest.mark.parametrize("name", case_names())
def test_lite_and_windowed_ids_equal_tokenizers_on_fuzzed_texts(
    name: str, tokenizer_json: Callable[[str], str]
):
    differential = Differential(tokenizer_json(name))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(text=fuzz_text, truncation=fuzz_truncation)
    def run(text: str, truncation: Truncation) -> None:
        differential.check(text, truncation)

    run()
    assert differential.cases >= EXAMPLES
