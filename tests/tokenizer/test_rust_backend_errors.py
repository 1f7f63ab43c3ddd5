"""The ``tokenizers`` backend reports bad files and texts with this package's errors, as the
pure-Python engine does, never with a Rust panic (a ``BaseException``) or a bare ``TypeError``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import MODEL_FIXTURES
from tokenizer.reference_tokenizers import fixture_tokenizers

from static_embed_runner.errors import (
    StaticEmbedRunnerError,
    TokenizerFormatError,
    TokenizerInputError,
    UnsupportedTokenizerError,
    is_failure,
)
from static_embed_runner.tokenizer.backend import load_tokenizer

# Charsmaps tokenizers panics on ("Cannot parse precompiled_charsmap"), and one it accepts.
BAD_CHARSMAPS = {
    "trie-larger-than-blob": "/////w==",
    "shorter-than-4-bytes": "AAAA",
    "not-base64": "!!!",
    "not-a-string": None,
}
EMPTY_TRIE = "AAAAAAAAAAAA"  # a trie size of 0 and 5 bytes of strings


def _with_charsmap(charsmap: object) -> str:
    config = json.loads(fixture_tokenizers()["t5-small"].read_text(encoding="utf-8"))
    assert config["normalizer"]["type"] == "Precompiled"
    config["normalizer"]["precompiled_charsmap"] = charsmap
    return json.dumps(config)


@pytest.mark.parametrize("backend", ["tokenizers", "lite"])
@pytest.mark.parametrize("case", sorted(BAD_CHARSMAPS))
def test_an_invalid_precompiled_charsmap_is_a_format_error_naming_the_file(
    tmp_path: Path, backend, case
):
    path = tmp_path / "tokenizer.json"
    path.write_text(_with_charsmap(BAD_CHARSMAPS[case]), encoding="utf-8")

    # The pure-Python engine reads a missing charsmap as a component it cannot reproduce.
    lite_null = backend == "lite" and BAD_CHARSMAPS[case] is None
    expected = UnsupportedTokenizerError if lite_null else TokenizerFormatError
    with pytest.raises(expected, match="precompiled_charsmap") as info:
        load_tokenizer(path, backend)
    assert str(path) in str(info.value)


def test_an_empty_trie_that_tokenizers_loads_and_then_panics_on_is_refused_at_load(
    tmp_path: Path,
):
    import tokenizers

    text = _with_charsmap(EMPTY_TRIE)
    rust = tokenizers.Tokenizer.from_str(text)  # loads...
    with pytest.raises(BaseException, match="index out of bounds"):
        rust.encode("Hello")  # ...and panics on the first text
    path = tmp_path / "tokenizer.json"
    path.write_text(text, encoding="utf-8")
    for backend in ("tokenizers", "lite"):
        with pytest.raises(TokenizerFormatError, match="precompiled_charsmap"):
            load_tokenizer(path, backend)


def test_a_rust_panic_is_reported_as_a_failure_but_interrupts_are_not():
    import tokenizers
    from tokenizers import Regex
    from tokenizers import pre_tokenizers as rust_pre

    split = rust_pre.Split(Regex("(a+)+$"), "isolated")
    with pytest.raises(BaseException) as info:  # the panic type is not importable
        split.pre_tokenize_str("a" * 30 + "b")
    panic = info.value
    assert not isinstance(panic, Exception) and is_failure(panic)
    assert tokenizers.__version__  # the panic came from the installed tokenizers
    for stop in (KeyboardInterrupt(), SystemExit(1), GeneratorExit()):
        assert not is_failure(stop)
    assert is_failure(ValueError("x"))


@pytest.mark.parametrize("backend", ["tokenizers", "lite"])
def test_a_lone_surrogate_is_a_tokenizer_input_error_on_both_backends(backend):
    tokenizer = load_tokenizer(fixture_tokenizers()["bert-base-uncased"], backend)

    with pytest.raises(TokenizerInputError, match=r"lone surrogate U\+D800 at index 1"):
        tokenizer.encode("x\ud800y")
    with pytest.raises(TokenizerInputError, match=r"U\+DFFF at index 4"):
        tokenizer.encode_batch(["fine", "bad \udfff"])
    if backend == "tokenizers":
        with pytest.raises(TokenizerInputError, match="expects str, found int"):
            tokenizer.encode_batch(["fine", 3])  # type: ignore[list-item]


def test_the_cli_reports_an_invalid_charsmap_in_one_line_and_exits_1(tmp_path: Path):
    model = tmp_path / "model"
    shutil.copytree(MODEL_FIXTURES / "model2vec-rs-test-model-float32", model)
    config = json.loads((model / "tokenizer.json").read_text(encoding="utf-8"))
    config["normalizer"] = {"type": "Precompiled", "precompiled_charsmap": "/////w=="}
    (model / "tokenizer.json").write_text(json.dumps(config), encoding="utf-8")

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "static_embed_runner.cli",
            str(model),
            "--tokenizer=tokenizers",
            "hi",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert (done.returncode, done.stdout) == (1, "")
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "precompiled_charsmap" in done.stderr and "tokenizer.json" in done.stderr


def test_errors_of_the_tokenizers_backend_are_package_errors():
    assert issubclass(TokenizerInputError, StaticEmbedRunnerError)
    assert issubclass(TokenizerFormatError, StaticEmbedRunnerError)


@pytest.mark.parametrize("backend", ["tokenizers", "lite"])
def test_a_tokenizer_file_nested_too_deeply_is_a_format_error_naming_it_on_both_backends(
    tmp_path: Path, backend: str
) -> None:
    config = json.loads(fixture_tokenizers()["bert-base-uncased"].read_text(encoding="utf-8"))
    config["normalizer"] = {"type": "Sequence", "normalizers": "NESTED"}
    text = json.dumps(config).replace('"NESTED"', "[" * 100_000 + "]" * 100_000)
    path = tmp_path / "tokenizer.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TokenizerFormatError, match=r"tokenizer\.json: JSON nested too deeply"):
        load_tokenizer(path, backend)
