"""Pre-tokenized input and the truncation side: ``embed_ids(token_ids(...))`` is ``encode`` bit
for bit on every layout; ``truncation_direction="left"`` keeps the ids ``tokenizers`` keeps with
left truncation; bad ids are clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from corpus import CORPUS, MODEL_FIXTURES
from runtime.reference_models import BERT, SseModel, build_st

from static_embed_runner.runner import StaticEmbedRunner


@pytest.fixture(scope="module")
def st_truncating(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("st") / "st-trunc"
    build_st(path, "bert-truncation-100")
    return path


@pytest.fixture(scope="module")
def layouts(sse_models: dict[str, SseModel], st_truncating: Path) -> dict[str, StaticEmbedRunner]:
    return {
        "sse-head": StaticEmbedRunner.load(sse_models["head"].path),
        "m2v-vocab-quantized": StaticEmbedRunner.load(
            MODEL_FIXTURES / "model2vec-rs-test-model-vocab-quantized"
        ),
        "m2v-float16": StaticEmbedRunner.load(MODEL_FIXTURES / "model2vec-rs-test-model-float16"),
        "st-trunc": StaticEmbedRunner.load(st_truncating),
        "default": StaticEmbedRunner.load(),
    }


@pytest.mark.parametrize(
    "name", ["sse-head", "m2v-vocab-quantized", "m2v-float16", "st-trunc", "default"]
)
@pytest.mark.parametrize(
    "options",
    [{}, {"max_length": None}, {"max_length": 7}, {"normalize": False}, {"truncate_dim": 2}],
)
def test_embedding_the_ids_of_token_ids_equals_encode(layouts, name, options) -> None:
    runner = layouts[name]
    token_options = {k: v for k, v in options.items() if k == "max_length"}
    pool_options = {k: v for k, v in options.items() if k != "max_length"}

    ids = runner.token_ids(CORPUS, **token_options)

    assert np.array_equal(runner.embed_ids(ids, **pool_options), runner.encode(CORPUS, **options))


def test_the_model_limit_and_side_are_exposed(layouts) -> None:
    assert (layouts["st-trunc"].max_tokens, layouts["st-trunc"].truncation_direction) == (
        100,
        "right",
    )
    assert layouts["sse-head"].max_tokens is None
    assert layouts["default"].max_tokens == 512
    assert layouts["st-trunc"].vocab_size == 30522


@pytest.mark.parametrize("max_length", ["model", 5])
def test_left_truncation_keeps_the_ids_tokenizers_keeps(layouts, max_length) -> None:
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(BERT))
    limit = 100 if max_length == "model" else max_length
    reference.enable_truncation(limit, direction="left")
    texts = [*CORPUS, " ".join(f"w{i}" for i in range(300))]

    ids = layouts["st-trunc"].token_ids(texts, max_length=max_length, truncation_direction="left")

    expected = [e.ids for e in reference.encode_batch(texts, add_special_tokens=False)]
    assert ids == expected
    assert any(len(seq) == limit for seq in ids)


def test_left_truncation_of_a_model2vec_model_tokenizes_the_whole_text(layouts) -> None:
    runner = layouts["m2v-float16"]
    text = " ".join(f"word{i}" for i in range(2000))

    left = runner.token_ids([text], max_length=10, truncation_direction="left")[0]

    assert left == runner.token_ids([text], max_length=None)[0][-10:]


@pytest.mark.parametrize(
    ("ids", "error", "message"),
    [
        ([[1, 30522]], ValueError, r"token_ids\[0\] holds 30522, outside the model's ids 0..30521"),
        ([[3], [-1]], ValueError, r"token_ids\[1\] holds -1"),
        ([[1, "2"]], TypeError, r"token_ids\[0\] must hold only ints"),
        ([[1.0]], TypeError, r"token_ids\[0\] must hold only ints"),
        ([[True]], TypeError, r"token_ids\[0\] must hold only ints"),
        ("12", TypeError, r"token_ids must be a list of lists of int, got str"),
        ([5], TypeError, r"token_ids\[0\] must be a list of int, got int"),
    ],
)
def test_bad_token_ids_are_clear_errors(layouts, ids, error, message) -> None:
    with pytest.raises(error, match=message):
        layouts["st-trunc"].embed_ids(ids)


def test_numpy_integer_ids_and_empty_lists_are_accepted(layouts) -> None:
    runner = layouts["st-trunc"]
    ids = runner.token_ids(CORPUS[:3])

    as_numpy = [np.asarray(seq, dtype=np.int64) for seq in ids]

    assert np.array_equal(runner.embed_ids(as_numpy), runner.encode(CORPUS[:3]))
    assert not runner.embed_ids([[]]).any()


def test_a_bad_truncation_direction_is_a_value_error(layouts) -> None:
    with pytest.raises(ValueError, match="truncation_direction must be 'right' or 'left'"):
        layouts["st-trunc"].token_ids(["a"], truncation_direction="Left")
