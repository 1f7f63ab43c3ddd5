"""encode(max_length=...) against StaticModel.encode(max_length=...), and on other layouts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from corpus import CORPUS
from runtime.reference_models import Reference, rust_tokenizer
from verification import assert_within

from static_embed_runner.runner import StaticEmbedRunner

LIMITS = [None, 0, 1, 7, 64, 1000]
# The config's own max_length differs in each: 512 (default), 16, and null.
M2V_CASES = ["float32", "maxlen-16-unnormalized", "maxlen-none", "vocab-quantized", "xlmr-unigram"]


@pytest.fixture(scope="module")
def model2vec_models(m2v_references: dict[str, Reference]):
    from model2vec import StaticModel

    return {case: StaticModel.from_pretrained(str(m2v_references[case].path)) for case in M2V_CASES}


@pytest.fixture(scope="module")
def runners(m2v_references: dict[str, Reference]):
    """One loaded runner per model and backend, shared by this module's tests."""
    loaded: dict[tuple[str, str], StaticEmbedRunner] = {}

    def runner(case: str, backend: str) -> StaticEmbedRunner:
        if (case, backend) not in loaded:
            path = m2v_references[case].path
            loaded[case, backend] = StaticEmbedRunner.load(path, tokenizer_backend=backend)
        return loaded[case, backend]

    return runner


@pytest.mark.parametrize("case", M2V_CASES)
@pytest.mark.parametrize("max_length", LIMITS)
def test_max_length_matches_model2vec_encode(
    case: str, max_length, backend: str, model2vec_models, runners
) -> None:
    reference = model2vec_models[case]
    expected = reference.encode(CORPUS, max_length=max_length, use_multiprocessing=False)
    runner = runners(case, backend)
    ours = runner.encode(CORPUS, max_length=max_length, normalize=None)
    assert_within(f"model2vec/max_length/{case}", ours, expected)
    assert np.array_equal(
        np.stack([runner.encode(text, max_length=max_length, normalize=None) for text in CORPUS]),
        ours,
    )


def test_max_length_changes_what_a_model2vec_model_averages(
    m2v_references: dict[str, Reference],
) -> None:
    runner = StaticEmbedRunner.load(m2v_references["maxlen-16-unnormalized"].path)
    longest = max(runner.token_ids(CORPUS, max_length=None), key=len)
    assert len(longest) > 1000  # the corpus holds texts far beyond the config's 16 tokens
    assert max(map(len, runner.token_ids(CORPUS))) == 16
    assert max(map(len, runner.token_ids(CORPUS, max_length=40))) == 40
    assert np.array_equal(runner.encode(CORPUS, max_length=16), runner.encode(CORPUS))
    assert not np.array_equal(runner.encode(CORPUS, max_length=None), runner.encode(CORPUS))


def test_max_length_on_a_sentence_transformers_model_replaces_tokenizer_json_truncation(
    backend: str, st_references: dict[str, Reference]
) -> None:
    path = st_references["bert-truncation-100"].path
    runner = StaticEmbedRunner.load(path, tokenizer_backend=backend)
    reference = rust_tokenizer(path / "tokenizer.json")
    reference.no_truncation()
    untruncated = runner.token_ids(CORPUS, max_length=None)
    assert untruncated == [e.ids for e in reference.encode_batch(CORPUS, add_special_tokens=False)]
    assert max(map(len, untruncated)) > 100 == max(map(len, runner.token_ids(CORPUS)))
    assert runner.token_ids(CORPUS, max_length=5) == [ids[:5] for ids in untruncated]
    assert np.array_equal(runner.encode(CORPUS, max_length=100), runner.encode(CORPUS))
    assert np.array_equal(
        runner.encode(CORPUS, max_length=None)[0], runner.encode(CORPUS[0], max_length=None)
    )


@pytest.mark.parametrize(
    ("max_length", "error", "message"),
    [
        (-1, ValueError, "max_length must be >= 0 or None, got -1"),
        ("auto", ValueError, "max_length must be an int, None or 'model', got 'auto'"),
        (2.5, TypeError, "max_length must be an int, None or 'model', got 2.5"),
        (True, TypeError, "got True"),
    ],
)
def test_a_bad_max_length_is_a_clear_error(
    max_length, error: type, message: str, m2v_references: dict[str, Reference]
) -> None:
    runner = StaticEmbedRunner.load(m2v_references["float32"].path)
    with pytest.raises(error, match=message):
        runner.encode(CORPUS, max_length=max_length)
    with pytest.raises(error, match=message):
        runner.encode(CORPUS[0], max_length=max_length)


def test_a_prompt_counts_toward_model2vecs_cuts_as_part_of_the_text(
    model2vec_models, runners
) -> None:
    reference, runner = model2vec_models["float32"], runners("float32", "lite")
    prompted = ["query: " + text for text in CORPUS]
    for max_length in ("model", 7, None):
        options = {} if max_length == "model" else {"max_length": max_length}
        expected = reference.encode(prompted, use_multiprocessing=False, **options)
        ours = runner.encode(CORPUS, prompt="query: ", normalize=None, **options)
        assert_within("model2vec/prompt", ours, expected)


def test_max_length_model_is_the_default_and_numpy_integers_are_accepted(
    m2v_references: dict[str, Reference],
) -> None:
    runner = StaticEmbedRunner.load(m2v_references["float32"].path)
    assert np.array_equal(runner.encode(CORPUS, max_length="model"), runner.encode(CORPUS))
    # An empty prompt takes the per-call path, with the model's own cuts.
    assert np.array_equal(runner.encode(CORPUS, prompt=""), runner.encode(CORPUS))
    assert np.array_equal(
        runner.encode(CORPUS, max_length=np.int64(7)), runner.encode(CORPUS, max_length=7)
    )


def test_max_length_keeps_the_end_where_tokenizer_json_truncates_from_the_left(
    st_references: dict[str, Reference], tmp_path: Path
) -> None:
    model = tmp_path / "left"
    shutil.copytree(st_references["bert-truncation-100"].path, model)
    config = json.loads((model / "tokenizer.json").read_text(encoding="utf-8"))
    config["truncation"]["direction"] = "Left"
    (model / "tokenizer.json").write_text(json.dumps(config), encoding="utf-8")
    runner = StaticEmbedRunner.load(model)
    untruncated = runner.token_ids(CORPUS, max_length=None)
    assert runner.token_ids(CORPUS) == [ids[-100:] for ids in untruncated]
    assert runner.token_ids(CORPUS, max_length=5) == [ids[-5:] for ids in untruncated]
    assert np.array_equal(runner.encode(CORPUS, max_length=100), runner.encode(CORPUS))
