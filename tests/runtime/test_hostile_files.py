"""Bounds of the model-file readers, checked in-process: the JSON reader, tokenizer.json option
types against ``tokenizers``, safetensors header limits, tables without rows or width, and model
paths confined to the model folder."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import tokenizers
from hostile.corpus import model2vec_folder, safetensors_bytes, st_folder, tokenizer_config

from static_embed_runner import StaticEmbedRunner
from static_embed_runner.errors import (
    ModelFormatError,
    SafetensorsError,
    TokenizerFormatError,
)
from static_embed_runner.formats.base import model_path
from static_embed_runner.io import safetensors as safetensors_module
from static_embed_runner.io.json_file import parse_json, read_json_file
from static_embed_runner.io.safetensors import open_safetensors
from static_embed_runner.io.table import DenseTable
from static_embed_runner.tokenizer.pipeline import Tokenizer


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": ' + "7" * 5000 + "}", "5000 digits"),
        ('{"a": 1e400}', "1e400 at line 1 column 7"),
        ('{"a": -1e400}', "float64 range"),
        ('{"a": NaN}', "NaN, which is not a JSON value"),
        ('{"a": Infinity}', "Infinity"),
        ('{"a": 1,}', "not valid JSON"),
        (b'{"a": "\xff"}', "not UTF-8"),
    ],
)
def test_the_json_reader_turns_every_bound_into_the_callers_error_naming_the_source(text, words):
    with pytest.raises(TokenizerFormatError, match=r"^cfg\.json: ") as info:
        parse_json(text, "cfg.json", error=TokenizerFormatError)
    assert words in str(info.value)


def test_the_json_reader_keeps_numbers_within_bounds_exact():
    value = parse_json('{"a": ' + "9" * 310 + ', "b": 1e308, "c": -0.5}', "x")
    assert value == {"a": int("9" * 310), "b": 1e308, "c": -0.5}


def test_a_json_file_above_its_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"pad": "x" * 5000}))
    with pytest.raises(ModelFormatError, match="above the 4,096-byte limit"):
        read_json_file(path, max_bytes=4096)
    assert read_json_file(path, max_bytes=10_000, expected=dict)["pad"] == "x" * 5000
    with pytest.raises(ModelFormatError, match="expected a JSON array at the top level"):
        read_json_file(path, expected=list)


# Every boolean option the pure-Python tokenizer reads, in the component that holds it.
BOOLEAN_OPTIONS = [
    ("normalizer", {"type": "BertNormalizer"}, "clean_text"),
    ("normalizer", {"type": "BertNormalizer"}, "handle_chinese_chars"),
    ("normalizer", {"type": "BertNormalizer"}, "lowercase"),
    ("normalizer", {"type": "BertNormalizer"}, "strip_accents"),
    ("normalizer", {"type": "Strip", "strip_left": True, "strip_right": True}, "strip_left"),
    ("normalizer", {"type": "Strip", "strip_left": True, "strip_right": True}, "strip_right"),
    ("pre_tokenizer", {"type": "ByteLevel", "trim_offsets": True}, "add_prefix_space"),
    (
        "pre_tokenizer",
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True},
        "use_regex",
    ),
    ("pre_tokenizer", {"type": "Digits"}, "individual_digits"),
    (
        "pre_tokenizer",
        {"type": "Split", "pattern": {"String": " "}, "behavior": "Removed"},
        "invert",
    ),
    (
        "pre_tokenizer",
        {"type": "Metaspace", "replacement": "_", "prepend_scheme": "always"},
        "split",
    ),
]
BERT_DEFAULTS = {"clean_text": True, "handle_chinese_chars": True, "lowercase": True}


@pytest.mark.parametrize(
    ("kind", "component", "option"),
    BOOLEAN_OPTIONS,
    ids=[f"{c['type']}.{o}" for _, c, o in BOOLEAN_OPTIONS],
)
def test_a_string_for_a_boolean_option_is_refused_like_tokenizers_refuses_it(
    kind, component, option
):
    settled = {**component, option: True}
    if component["type"] == "BertNormalizer":
        settled = {**BERT_DEFAULTS, "strip_accents": None, **settled}
    valid = json.dumps(tokenizer_config(**{kind: settled}))
    tokenizers.Tokenizer.from_str(valid)  # the component is otherwise well formed
    Tokenizer.from_str(valid)

    hostile = json.dumps(tokenizer_config(**{kind: {**settled, option: "false"}}))
    with pytest.raises(Exception):  # noqa: B017 - the binding raises a bare Exception
        tokenizers.Tokenizer.from_str(hostile)
    with pytest.raises(TokenizerFormatError) as info:
        Tokenizer.from_str(hostile, source="tok.json")
    assert f"tok.json: {kind}.{option} must be a boolean" in str(info.value)
    assert 'found the string "false"' in str(info.value)


def test_option_types_are_checked_inside_sequences_and_name_the_member():
    steps = [{"type": "Lowercase"}, {"type": "Strip", "strip_left": 1, "strip_right": True}]
    hostile = json.dumps(tokenizer_config(normalizer={"type": "Sequence", "normalizers": steps}))
    with pytest.raises(TokenizerFormatError, match=r"normalizer\.normalizers\[1\]\.strip_left"):
        Tokenizer.from_str(hostile)


def write_safetensors(path: Path, header: bytes, buffer: bytes = b"") -> Path:
    path.write_bytes(struct.pack("<Q", len(header)) + header + buffer)
    return path


@pytest.mark.parametrize(
    "entry",
    [
        '{"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}',
        '{"dtype": "F32", "shape": [0]}',  # no data_offsets to count: caught by the parser
    ],
)
def test_a_header_with_more_tensors_than_the_cap_is_refused(tmp_path, monkeypatch, entry):
    monkeypatch.setattr(safetensors_module, "MAX_TENSORS", 1000)
    entries = ",".join(f'"t{i}": {entry}' for i in range(1001))
    path = write_safetensors(tmp_path / "many.safetensors", ("{" + entries + "}").encode())
    with pytest.raises(SafetensorsError, match="more than 1,000 tensors") as info:
        open_safetensors(path)
    assert str(info.value).startswith(f"{path}: the header")


def test_a_header_at_the_tensor_cap_still_opens(tmp_path, monkeypatch):
    monkeypatch.setattr(safetensors_module, "MAX_TENSORS", 1000)
    entries = ",".join(
        f'"t{i}": {{"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}' for i in range(1000)
    )
    header = '{"__metadata__": {"format": "pt"}, ' + entries + "}"
    path = write_safetensors(tmp_path / "cap.safetensors", header.encode())
    assert len(open_safetensors(path).names()) == 1000


def test_a_header_length_above_the_hub_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.safetensors"
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", 25_000_001))
        out.truncate(8 + 25_000_001)
    with pytest.raises(SafetensorsError, match="above the 25,000,000-byte limit"):
        open_safetensors(path)


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        (f"[0, {2**70}]", "too large to address"),
        (f"[{2**62}, 0, 4]", "too large to address"),
        ("[" + ",".join(["1"] * 33) + "]", "33 dimensions, at most 32"),
        ("[-1, 4]", "integers >= 0"),
        ("[true, 4]", "integers >= 0"),
    ],
)
def test_dimensions_that_numpy_cannot_hold_are_refused_naming_the_tensor(tmp_path, shape, words):
    header = f'{{"w": {{"dtype": "F32", "shape": {shape}, "data_offsets": [0, 0]}}}}'
    path = write_safetensors(tmp_path / "w.safetensors", header.encode())
    with pytest.raises(SafetensorsError, match=words) as info:
        open_safetensors(path).tensor("w")
    assert "tensor 'w'" in str(info.value)


@pytest.mark.parametrize("shape", [(0, 8), (8, 0), (0, 0)])
def test_a_table_without_rows_or_width_is_refused_at_load(tmp_path, shape):
    with pytest.raises(ModelFormatError, match=f"{shape[0]} rows of width {shape[1]}"):
        DenseTable(np.zeros(shape, dtype=np.float32), source="t.safetensors:embeddings")
    folder = tmp_path / "model"
    model2vec_folder(folder, weights=safetensors_bytes({"embeddings": np.zeros(shape, "f4")}))
    with pytest.raises(ModelFormatError, match=r"model\.safetensors:embeddings"):
        StaticEmbedRunner.load(folder)


@pytest.mark.parametrize("relative", ["/etc", "../x", "a/../../x", "a\\b", "C:x", "a/\0"])
def test_a_model_path_that_leaves_the_folder_is_refused(tmp_path, relative):
    with pytest.raises(ModelFormatError, match="relative path inside the model folder"):
        model_path(tmp_path, relative, field="modules.json [0].path")


def test_symlinks_inside_the_folder_are_followed_and_symlinks_out_of_it_refused(tmp_path):
    folder = tmp_path / "model"
    st_folder(folder, module_dir="weights")
    os.symlink("weights", folder / "alias")
    assert model_path(folder, "alias/model.safetensors").is_file()
    elsewhere = tmp_path / "elsewhere"
    st_folder(elsewhere)
    os.symlink(elsewhere, folder / "out")
    with pytest.raises(ModelFormatError, match="outside the model folder"):
        model_path(folder, "out/model.safetensors")


def test_a_hub_snapshot_may_point_into_its_own_blob_store_only(tmp_path):
    repo = tmp_path / "models--org--name"
    snapshot = repo / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir()
    (repo / "blobs" / "abc").write_text("{}")
    os.symlink("../../blobs/abc", snapshot / "config.json")
    assert model_path(snapshot, "config.json").is_file()
    other = tmp_path / "models--org--other" / "blobs"
    other.mkdir(parents=True)
    (other / "abc").write_text("{}")
    os.symlink(other / "abc", snapshot / "tokenizer.json")
    with pytest.raises(ModelFormatError, match="outside the model folder"):
        model_path(snapshot, "tokenizer.json")
