"""sentence-transformers' encode keywords and model methods on StaticEmbedRunner, compared with a
SentenceTransformer loading the same folder."""

from __future__ import annotations

import logging
import sys
import warnings

import numpy as np
import pytest
import torch
from corpus import CORPUS
from sentence_transformers import SentenceTransformer

from static_embed_runner import StaticEmbedRunner

PRECISIONS = ["float32", "int8", "uint8", "binary", "ubinary"]
SIMILARITY_FN_NAMES = ["cosine", "dot", "euclidean", "manhattan"]


@pytest.fixture(scope="module")
def pair(st_references) -> tuple[StaticEmbedRunner, SentenceTransformer]:
    path = st_references["bert"].path
    return StaticEmbedRunner.load(path), SentenceTransformer(str(path), device="cpu")


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="sentence_transformers")
    warnings.filterwarnings("ignore", message=".*quantization ranges taken from only")


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("normalize", [False, True])
def test_encode_precision_equals_sentence_transformers_encode_precision(
    pair, precision: str, normalize: bool
) -> None:
    runner, model = pair
    ours = runner.encode(CORPUS, precision=precision, normalize_embeddings=normalize)
    theirs = model.encode(CORPUS, precision=precision, normalize_embeddings=normalize)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if precision == "float32":  # normalised vectors differ by float32 rounding at most
        assert np.abs(ours - theirs).max() < 1e-6
    else:  # and here quantize to the same codes
        assert np.array_equal(ours, theirs)


def test_encode_precision_on_one_text_behaves_as_sentence_transformers(pair) -> None:
    runner, model = pair
    with pytest.raises(ValueError, match="single embedding"):
        model.encode(CORPUS[0], precision="int8")
    with pytest.raises(ValueError, match="single embedding"):
        runner.encode(CORPUS[0], precision="int8")
    ours = runner.encode(CORPUS[0], precision="ubinary", normalize=False)
    assert np.array_equal(ours, model.encode(CORPUS[0], precision="ubinary"))
    with pytest.raises(ValueError, match="precision must be one of"):
        runner.encode(CORPUS, precision="int4")


def test_encode_query_and_document_take_the_same_keywords(st_references) -> None:
    path = st_references["prompts"].path
    runner, model = StaticEmbedRunner.load(path), SentenceTransformer(str(path), device="cpu")
    for method in ("encode_query", "encode_document"):
        ours = getattr(runner, method)(CORPUS, precision="ubinary", normalize_embeddings=False)
        assert np.array_equal(ours, getattr(model, method)(CORPUS, precision="ubinary"))
        tensor = getattr(runner, method)(CORPUS[:3], convert_to_tensor=True)
        assert isinstance(tensor, torch.Tensor) and tensor.shape == (3, runner.dim)


def test_normalize_embeddings_is_normalize_under_sentence_transformers_name(pair) -> None:
    runner, _ = pair
    raw = runner.encode(CORPUS, normalize=False)
    assert np.array_equal(runner.encode(CORPUS, normalize_embeddings=False), raw)
    assert np.array_equal(
        runner.encode(CORPUS, normalize_embeddings=True), runner.encode(CORPUS, normalize=True)
    )
    assert np.array_equal(runner.encode(CORPUS, normalize=False, normalize_embeddings=False), raw)
    with pytest.raises(ValueError, match="give normalize or normalize_embeddings, not both"):
        runner.encode(CORPUS, normalize=False, normalize_embeddings=True)


def test_convert_to_tensor_and_to_list_match_sentence_transformers_types(pair) -> None:
    runner, model = pair
    texts = CORPUS[:4]
    for options in (
        {"convert_to_tensor": True},
        {"convert_to_numpy": False},
        {"convert_to_tensor": True, "precision": "int8"},
    ):
        for inputs in (texts, texts[0]):
            if options.get("precision") and isinstance(inputs, str):
                continue
            ours = runner.encode(inputs, normalize=False, **options)
            theirs = model.encode(inputs, **options)
            assert type(ours) is type(theirs)
            if isinstance(theirs, list):
                assert len(ours) == len(theirs)
                ours, theirs = torch.stack(ours), torch.stack(theirs)
            assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
            assert torch.equal(ours, theirs)


def test_torch_outputs_without_torch_name_the_extra(pair, monkeypatch) -> None:
    runner, _ = pair
    monkeypatch.setitem(sys.modules, "torch", None)
    for options in ({"convert_to_tensor": True}, {"convert_to_numpy": False}):
        with pytest.raises(ImportError, match=r'pip install "static-embed-runner\[torch\]"'):
            runner.encode(CORPUS[:2], **options)
    assert runner.encode(CORPUS[:2]).shape == (2, runner.dim)


def test_show_progress_bar_draws_a_tqdm_bar_on_stderr(pair, capsys) -> None:
    runner, _ = pair
    vectors = runner.encode(CORPUS, batch_size=10, show_progress_bar=True)
    assert np.array_equal(vectors, runner.encode(CORPUS))
    err = capsys.readouterr().err
    assert f"{len(CORPUS)}/{len(CORPUS)}" in err and "texts" in err and "|" in err  # tqdm's bar


def test_show_progress_bar_without_tqdm_writes_a_counter_line(pair, capsys, monkeypatch) -> None:
    runner, _ = pair
    monkeypatch.setitem(sys.modules, "tqdm", None)
    runner.encode(CORPUS, batch_size=10, show_progress_bar=True)
    err = capsys.readouterr().err
    assert err.endswith("\n") and "|" not in err
    assert f"\r{len(CORPUS)}/{len(CORPUS)} texts, " in err
    runner.encode(CORPUS[0], show_progress_bar=True)
    assert "\r1/1 texts, " in capsys.readouterr().err
    runner.encode(CORPUS, show_progress_bar=False)
    assert capsys.readouterr().err == ""


def test_truncate_dim_and_embedding_dimension_follow_sentence_transformers(st_references) -> None:
    path = st_references["bert-normalize"].path
    runner = StaticEmbedRunner.load(path)
    model = SentenceTransformer(str(path), device="cpu")
    assert runner.get_sentence_embedding_dimension() == model.get_embedding_dimension() == 24
    runner.truncate_dim, model.truncate_dim = 8, 8
    assert runner.get_embedding_dimension() == model.get_embedding_dimension() == 8
    assert runner.get_sentence_embedding_dimension() == 8
    # truncation, then normalisation (sentence-transformers' Normalize module comes before it)
    ours, theirs = runner.encode(CORPUS), model.encode(CORPUS, normalize_embeddings=True)
    assert ours.shape == theirs.shape == (len(CORPUS), 8)
    assert np.abs(ours - theirs).max() < 1e-6
    assert runner.encode(CORPUS, truncate_dim=12).shape == (len(CORPUS), 12)
    with pytest.raises(ValueError, match="between 1 and the model dimension 24"):
        runner.truncate_dim = 25
    runner.truncate_dim = None
    assert runner.encode(CORPUS[0]).shape == (24,)


def test_max_seq_length_is_the_model_token_limit_and_read_only(st_references) -> None:
    runner = StaticEmbedRunner.load(st_references["bert-truncation-100"].path)
    assert runner.max_seq_length == runner.max_tokens == 100
    assert StaticEmbedRunner.load(st_references["bert"].path).max_seq_length is None
    with pytest.raises(AttributeError, match=r"read-only .* encode\(max_length=50\)"):
        runner.max_seq_length = 50


@pytest.mark.parametrize("name", SIMILARITY_FN_NAMES)
def test_runner_similarity_equals_sentence_transformer_similarity(pair, name: str) -> None:
    runner, model = pair
    runner.similarity_fn_name = model.similarity_fn_name = name
    try:
        a, b = runner.encode(CORPUS[:7], normalize=False), runner.encode(CORPUS[7:12])
        for x, y in ((a, b), (a[0], b), (a[0], b[0])):
            ours, theirs = runner.similarity(x, y), model.similarity(x, y).numpy()
            assert ours.shape == theirs.shape
            assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-5)
        ours, theirs = runner.similarity_pairwise(a[:5], b), model.similarity_pairwise(a[:5], b)
        assert ours.shape == tuple(theirs.shape)
        assert np.allclose(ours, theirs.numpy(), rtol=1e-5, atol=1e-5)
    finally:
        runner.similarity_fn_name = "cosine"


def test_similarity_fn_name_defaults_to_cosine_and_rejects_unknown_names(pair) -> None:
    from sentence_transformers.util import SimilarityFunction

    runner, _ = pair
    assert runner.similarity_fn_name == "cosine"
    with pytest.raises(ValueError, match="similarity_fn_name must be one of"):
        runner.similarity_fn_name = "maxsim"
    runner.similarity_fn_name = SimilarityFunction.DOT_PRODUCT
    assert runner.similarity_fn_name == "dot"
    runner.similarity_fn_name = "cosine"


def test_a_cached_runner_keys_on_the_runner_truncate_dim(pair) -> None:
    from static_embed_runner.cache import CachedRunner

    runner, _ = pair
    cached = CachedRunner(runner)
    assert cached.encode(CORPUS[:3]).shape == (3, 24)
    runner.truncate_dim = 6
    try:
        assert np.array_equal(cached.encode(CORPUS[:3]), runner.encode(CORPUS[:3]))
        assert cached.encode(CORPUS[:3]).shape == (3, 6)
    finally:
        runner.truncate_dim = None
