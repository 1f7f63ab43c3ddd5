"""Structure-aware fuzzing of every file reader (see ``fuzz.py``), a bounded run: each target
mutates one file of a valid model folder and loads it; only package errors may come out.
``scripts/fuzz_file_readers.py`` runs the same targets for as long as asked."""

from __future__ import annotations

import json

from hostile.corpus import model2vec_folder, sse_folder, st_folder, tokenizer_config
from hostile.fuzz import (
    EXAMPLES,
    Q4_BYTES,
    VALID_CONFIG,
    VALID_MODULES,
    VALID_SSE_CONFIG,
    in_folder,
    json_file,
    mutated_bytes,
    safetensors_file,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(weights=safetensors_file())
def test_a_mutated_safetensors_table_loads_or_raises_a_package_error(weights):
    in_folder(lambda d: model2vec_folder(d, weights=weights))


@FUZZ
@given(config=json_file(VALID_CONFIG))
def test_a_mutated_model2vec_config_loads_or_raises_a_package_error(config):
    in_folder(lambda d: model2vec_folder(d, config=config))


@FUZZ
@given(tokenizer=json_file(tokenizer_config()))
def test_a_mutated_tokenizer_json_loads_or_raises_a_package_error(tokenizer):
    in_folder(lambda d: model2vec_folder(d, tokenizer=tokenizer))


@FUZZ
@given(modules=json_file(VALID_MODULES))
def test_a_mutated_modules_json_loads_or_raises_a_package_error(modules):
    def build(d):
        st_folder(d)
        (d / "modules.json").write_bytes(modules)

    in_folder(build)


@FUZZ
@given(
    table=st.binary(min_size=0, max_size=64) | mutated_bytes(b"\x00" * Q4_BYTES),
    config=json_file(VALID_SSE_CONFIG) | st.just(json.dumps(VALID_SSE_CONFIG).encode()),
)
def test_a_mutated_q4_table_and_its_config_load_or_raise_a_package_error(table, config):
    def build(d):
        sse_folder(d, config=VALID_SSE_CONFIG)
        (d / "embedding.q4_k_m.bin").write_bytes(table)
        (d / "config.json").write_bytes(config)

    in_folder(build)
