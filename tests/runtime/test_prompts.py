"""Prompts (prompt_name, prompt, encode_query, encode_document) against SentenceTransformer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from corpus import CORPUS
from runtime.reference_models import PROMPTS, Reference

from static_embed_runner.errors import ModelFormatError
from static_embed_runner.runner import StaticEmbedRunner

COMMON_CALLS = [
    {},
    {"prompt_name": "query"},
    {"prompt_name": "document"},
    {"prompt": "Represent this sentence: "},
    {"prompt": ""},
]
CALLS = [("default-prompt", call) for call in COMMON_CALLS] + [
    ("prompts", call)
    for call in [*COMMON_CALLS, {"prompt_name": "passage"}, {"prompt_name": "classification"}]
]


def _sentence_transformer(path: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu")


@pytest.fixture(scope="module")
def prompted(st_references: dict[str, Reference]):
    """Both models with prompts, loaded by sentence-transformers and by this package."""
    return {
        case: (_sentence_transformer(path), StaticEmbedRunner.load(path))
        for case in ("prompts", "default-prompt")
        for path in [st_references[case].path]
    }


def test_the_model_lists_the_prompts_sentence_transformers_holds(prompted) -> None:
    for reference, runner in prompted.values():
        assert runner.prompts == reference.prompts
        assert runner.default_prompt_name == reference.default_prompt_name
    assert prompted["prompts"][1].prompts == {**PROMPTS, "document": ""}


@pytest.mark.parametrize(("case", "call"), CALLS, ids=[f"{c}-{json.dumps(k)}" for c, k in CALLS])
def test_encode_with_a_prompt_gives_sentence_transformers_bits(case: str, call, prompted) -> None:
    reference, runner = prompted[case]
    expected = reference.encode(CORPUS, convert_to_numpy=True, **call)
    assert np.array_equal(runner.encode(CORPUS, normalize=False, **call), expected)
    assert np.array_equal(runner.encode(CORPUS[5], normalize=False, **call), expected[5])


@pytest.mark.parametrize("case", ["prompts", "default-prompt"])
def test_encode_query_and_encode_document_choose_prompts_as_sentence_transformers(
    case: str, prompted
) -> None:
    reference, runner = prompted[case]
    for ours, theirs in (
        (runner.encode_query, reference.encode_query),
        (runner.encode_document, reference.encode_document),
    ):
        expected = theirs(CORPUS, convert_to_numpy=True)
        assert np.array_equal(ours(CORPUS, normalize=False), expected)
        assert np.array_equal(ours(CORPUS[2], normalize=False), expected[2])
        explicit = theirs(CORPUS, prompt="Q: ", convert_to_numpy=True)
        assert np.array_equal(ours(CORPUS, prompt="Q: ", normalize=False), explicit)


def test_encode_document_takes_the_empty_document_prompt_over_a_passage_prompt(prompted) -> None:
    reference, runner = prompted["prompts"]
    assert runner.prompts["document"] == "" and runner.prompts["passage"] == "passage: "
    expected = reference.encode(CORPUS, prompt="", convert_to_numpy=True)
    assert np.array_equal(runner.encode_document(CORPUS, normalize=False), expected)
    passage = runner.encode(CORPUS, prompt_name="passage", normalize=False)
    assert not np.array_equal(runner.encode_document(CORPUS, normalize=False), passage)


def test_token_ids_follow_the_chosen_prompt(prompted) -> None:
    reference, runner = prompted["prompts"]
    tokenizer = reference[0].tokenizer
    prompted_texts = ["query: " + text for text in CORPUS]
    expected = [e.ids for e in tokenizer.encode_batch(prompted_texts, add_special_tokens=False)]
    assert runner.token_ids(CORPUS, prompt_name="query") == expected
    assert runner.token_ids(CORPUS, prompt="query: ") == expected
    assert runner.token_ids(CORPUS) == runner.token_ids(CORPUS, prompt="")


def test_an_unknown_prompt_name_is_an_error_naming_the_known_ones(prompted) -> None:
    _reference, runner = prompted["prompts"]
    with pytest.raises(ValueError, match=r"prompt_name 'qeury' is not one of") as error:
        runner.encode(CORPUS, prompt_name="qeury")
    assert all(repr(name) in str(error.value) for name in runner.prompts)
    with pytest.raises(ValueError, match="'qeury'"):
        runner.encode("one text", prompt_name="qeury")


def test_prompt_and_prompt_name_together_are_an_error(prompted) -> None:
    _reference, runner = prompted["prompts"]
    with pytest.raises(ValueError, match="not both"):
        runner.encode(CORPUS, prompt="x: ", prompt_name="query")
    with pytest.raises(ValueError, match="not both"):
        runner.encode_query(CORPUS, prompt="x: ", prompt_name="query")
    with pytest.raises(ValueError, match="not both"):
        runner.encode_document(CORPUS[0], prompt="x: ", prompt_name="passage")


def test_a_prompt_or_prompt_name_that_is_not_a_string_is_a_type_error(prompted) -> None:
    _reference, runner = prompted["prompts"]
    with pytest.raises(TypeError, match="prompt must be a str, got bytes"):
        runner.encode(CORPUS, prompt=b"query: ")
    with pytest.raises(TypeError, match="prompt_name must be a str, got list"):
        runner.encode(CORPUS, prompt_name=["query"])


def test_a_model2vec_model_has_no_prompts_but_takes_a_prompt_string(
    m2v_references: dict[str, Reference],
) -> None:
    runner = StaticEmbedRunner.load(m2v_references["fixture-float32"].path)
    assert runner.prompts == {} and runner.default_prompt_name is None
    assert np.array_equal(runner.encode_query(CORPUS), runner.encode(CORPUS))
    assert np.array_equal(runner.encode_document(CORPUS), runner.encode(CORPUS))
    prompted_ids = runner.token_ids(["query: " + t for t in CORPUS])
    assert runner.token_ids(CORPUS, prompt="query: ") == prompted_ids
    with pytest.raises(ValueError, match=r"'query' is not one of this model's prompts \(none\)"):
        runner.encode(CORPUS, prompt_name="query")


def _copy_with_config(source: Path, target: Path, config: dict) -> Path:
    shutil.copytree(source, target)
    (target / "config_sentence_transformers.json").write_text(json.dumps(config))
    return target


def test_a_default_prompt_name_the_config_does_not_list_loads_as_in_sentence_transformers(
    st_references: dict[str, Reference], tmp_path: Path
) -> None:
    path = _copy_with_config(
        st_references["bert"].path,
        tmp_path / "model",
        {"prompts": {"passage": "passage: "}, "default_prompt_name": "query"},
    )
    reference, runner = _sentence_transformer(path), StaticEmbedRunner.load(path)
    assert runner.prompts == reference.prompts and runner.default_prompt_name == "query"
    assert np.array_equal(
        runner.encode(CORPUS, normalize=False), reference.encode(CORPUS, convert_to_numpy=True)
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"prompts": {}, "default_prompt_name": "nope"}, r"default_prompt_name 'nope' is not one"),
        ({"prompts": {"query": 3}}, r"prompt 'query' must be a string, found int"),
        ({"prompts": ["query: "]}, r"'prompts' must be an object"),
        ({"prompts": []}, r"'prompts' must be an object"),
        ({"prompts": ""}, r"'prompts' must be an object"),
    ],
)
def test_a_broken_prompt_config_is_a_format_error_naming_the_file(
    config: dict, message: str, st_references: dict[str, Reference], tmp_path: Path
) -> None:
    path = _copy_with_config(st_references["bert"].path, tmp_path / "model", config)
    with pytest.raises(ModelFormatError, match=message) as error:
        StaticEmbedRunner.load(path)
    assert "config_sentence_transformers.json" in str(error.value)


def test_a_null_prompt_is_empty_as_in_sentence_transformers(
    st_references: dict[str, Reference], tmp_path: Path
) -> None:
    path = _copy_with_config(
        st_references["bert"].path, tmp_path / "model", {"prompts": {"query": None}}
    )
    reference, runner = _sentence_transformer(path), StaticEmbedRunner.load(path)
    assert runner.prompts == reference.prompts == {"query": "", "document": ""}
    expected = reference.encode_query(CORPUS, convert_to_numpy=True)
    assert np.array_equal(runner.encode_query(CORPUS, normalize=False), expected)
    assert np.array_equal(runner.encode(CORPUS, prompt_name="query"), runner.encode(CORPUS))


def test_an_empty_default_prompt_name_is_a_name_as_in_sentence_transformers(
    st_references: dict[str, Reference], tmp_path: Path
) -> None:
    config = {"prompts": {"": "x: "}, "default_prompt_name": ""}
    path = _copy_with_config(st_references["bert"].path, tmp_path / "model", config)
    reference, runner = _sentence_transformer(path), StaticEmbedRunner.load(path)
    assert runner.default_prompt_name == reference.default_prompt_name == ""
    expected = reference.encode(CORPUS, convert_to_numpy=True)
    assert np.array_equal(runner.encode(CORPUS, normalize=False), expected)
    assert runner.token_ids(CORPUS) == runner.token_ids(CORPUS, prompt="x: ")
